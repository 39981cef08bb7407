// One key of the key retention service (Linux: security/keys/key.c, permission.c,
// user_defined.c, keyring.c), and the types this user kernel knows.
//
//   KeyType    "keyring" (holds links to keys), "user" (a payload programs read back) and
//              "logon" (a payload nobody reads: a "service:" prefix in the description);
//              any other name is a type the kernel lacks (ENODEV for add_key)
//   Key        serial, type, description, owner, permissions, state and payload or links.
//              Its lifecycle: allocated (in the owner's quota) and instantiated at once,
//              positive or negative (request_key's construction fails here: no upcall
//              program) → revoked / invalidated / expired → destroyed when nothing refers
//              to it any more (`refs`: keyring links and the credentials' anchors)
//   keyPermission   key_task_permission: the owner's byte, else the group's, else other's,
//              with the possessor's byte added when the caller possesses the key; no
//              capability overrides it

import { EKEYEXPIRED, EKEYREVOKED, ENOKEY } from "../../linux-abi/errno.ts";
import { inGroup, type Credentials } from "../creds.ts";

export interface KeyType {
  readonly name: string;
  /** A keyring: links instead of a payload. */
  readonly keyring: boolean;
  /** The payload sizes the type accepts (add_key, KEYCTL_UPDATE): EINVAL outside. */
  readonly minData: number;
  readonly maxData: number;
  /** KEYCTL_READ works (type->read). */
  readonly readable: boolean;
  /** add_key over an existing key and KEYCTL_UPDATE change it (type->update). */
  readonly updatable: boolean;
  /** logon_vet_description: the description needs a non-empty "service:" prefix. */
  readonly needsPrefix: boolean;
}

const KEY_TYPES: ReadonlyMap<string, KeyType> = new Map([
  ["keyring", { name: "keyring", keyring: true, minData: 0, maxData: 0, readable: true, updatable: false, needsPrefix: false }],
  ["user", { name: "user", keyring: false, minData: 1, maxData: 32767, readable: true, updatable: true, needsPrefix: false }],
  ["logon", { name: "logon", keyring: false, minData: 1, maxData: 32767, readable: false, updatable: true, needsPrefix: true }],
]);

export const keyType = (name: string): KeyType | undefined => KEY_TYPES.get(name);
export const KEYRING_TYPE = KEY_TYPES.get("keyring")!;

/** Per-uid accounting (Linux's struct key_user): all keys, instantiated ones, and the quota. */
export interface KeyUser {
  readonly uid: number;
  nkeys: number;
  nikeys: number;
  qnkeys: number;
  qnbytes: number;
  /** The user keyring "_uid.N" and user session keyring "_uid_ses.N", made on first use. */
  keyring: Key | null;
  session: Key | null;
}

export class Key {
  uid: number;
  gid: number;
  perm: number;
  /** A negative key's error (-ENOKEY unless rejected with another); 0 for a positive key. */
  rejection = 0;
  revoked = false;
  invalidated = false;
  /** performance.now() time at which it expires; 0: never. */
  expiry = 0;
  payload: Uint8Array = new Uint8Array(0);
  /** A keyring's contents, in link order. */
  readonly links: Key[] | null;
  /** Keyring links to it and credentials that anchor it; 0 destroys it. */
  refs = 0;
  /** Bytes charged to the owner's quota (description, its NUL, the payload). */
  quotaBytes = 0;
  /** Counted in the owner's quota (qnkeys, qnbytes); a keyring the kernel installs may overrun it. */
  readonly inQuota: boolean;

  constructor(
    readonly serial: number,
    readonly type: KeyType,
    readonly description: string,
    /** Whose quota it is in (changes with KEYCTL_CHOWN). */
    public user: KeyUser,
    o: { uid: number; gid: number; perm: number; inQuota: boolean },
  ) {
    this.uid = o.uid;
    this.gid = o.gid;
    this.perm = o.perm;
    this.inQuota = o.inQuota;
    this.links = type.keyring ? [] : null;
  }

  /** key_validate: 0, or why the key may not be used (revoked, invalidated, expired). */
  validity(now: number): number {
    if (this.invalidated) return -ENOKEY;
    if (this.revoked) return -EKEYREVOKED;
    if (this.expiry !== 0 && now >= this.expiry) return -EKEYEXPIRED;
    return 0;
  }
}

/** key_task_permission: 0 when `c` holds every right in `need` (KEY_NEED_* bits). */
export function keyPermission(key: Key, c: Credentials, possessed: boolean, need: number): boolean {
  let granted: number;
  if (key.uid === c.fsuid) granted = key.perm >>> 16;
  else if (key.gid !== 0xffffffff && inGroup(c, key.gid)) granted = key.perm >>> 8;
  else granted = key.perm;
  if (possessed) granted |= key.perm >>> 24;
  return (granted & need & 0x3f) === need;
}
