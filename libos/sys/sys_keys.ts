// The key retention service's calls: add_key, request_key, keyctl (Linux: security/keys/
// keyctl.c, request_key.c). Argument decoding in Linux's order, then the user kernel's key
// table (libos/keys/key_table.ts).
//
//   add_key      a new key in a keyring, or an update of the same type and description
//                there when the type updates (user, logon)
//   request_key  a search of the caller's keyrings; on a miss with callout information,
//                the construction Linux hands to /sbin/request-key: there is no such
//                program here, so the key is negated for 60 s in the destination keyring
//                and the call answers ENOENT, as Linux does when the program is missing
//                (a second request finds the negative key: ENOKEY)
//   keyctl       the operations by number; those that need a request_key authorization
//                key (INSTANTIATE, NEGATE, REJECT) answer EPERM as for a caller without one;
//                persistent keyrings, Diffie-Hellman, public-key operations, keyring
//                restrictions and notifications are kernel options this kernel lacks
//                (EOPNOTSUPP)

import * as E from "../../linux-abi/errno.ts";
import { stringToBytes } from "../../linux-abi/_byte_string.ts";
import { CAP_SYS_ADMIN } from "../../linux-abi/capability.ts";
import * as K from "../../linux-abi/keyctl.ts";
import { capable } from "../capabilities.ts";
import { inGroup } from "../creds.ts";
import { Key, keyPermission, keyType, type KeyType } from "../keys/key.ts";
import type { KeyRef, KeyTable } from "../keys/key_table.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getString } from "./_struct.ts";

/** add_key's bound on a payload (1 MiB - 1), and KEYCTL_UPDATE's (a page). */
const ADD_KEY_MAX_PAYLOAD = (1 << 20) - 1;
const UPDATE_MAX_PAYLOAD = 4096;
/** A negative key from a failed construction lasts this long (key_negative_timeout). */
const NEGATIVE_TIMEOUT_MS = 60_000;
const NO_ID = 0xffffffff;

/** key_get_type_from_user: 1-31 bytes (EINVAL), not a "." internal type (EPERM). */
function typeName(t: Thread, addr: number): string | number {
  const name = getString(t.process.memory, addr, K.KEY_TYPE_NAME_SIZE, -E.EINVAL);
  if (typeof name === "number") return name;
  if (name === "") return -E.EINVAL;
  return name.startsWith(".") ? -E.EPERM : name;
}

/** strndup_user with KEY_MAX_DESC_SIZE: EFAULT, or EINVAL when too long. */
const userString = (t: Thread, addr: number): string | number => getString(t.process.memory, addr, K.KEY_MAX_DESC_SIZE, -E.EINVAL);

/** copy_from_user of a payload into the kernel-task's own buffer. */
function payload(t: Thread, addr: number, len: number): Uint8Array | number {
  if (len === 0) return new Uint8Array(0);
  const view = t.process.memory.view(addr, len, PROT_READ);
  return view ? view.slice() : -E.EFAULT;
}

/** The permissions a key made by add_key or request_key starts with (key_create_or_update). */
function initialPerm(type: KeyType): number {
  let perm = K.KEY_POS_VIEW | K.KEY_POS_SEARCH | K.KEY_POS_LINK | K.KEY_POS_SETATTR | K.KEY_USR_VIEW;
  if (type.readable) perm |= K.KEY_POS_READ;
  if (type.keyring || type.updatable) perm |= K.KEY_POS_WRITE;
  return perm;
}

/** The type's checks of a description and payload (vet_description, preparse). */
function vet(type: KeyType, description: string | null, data: Uint8Array): number {
  if (description === null) return -E.EINVAL;
  if (type.needsPrefix && description.indexOf(":") <= 0) return -E.EINVAL;
  return data.length < type.minData || data.length > type.maxData ? -E.EINVAL : 0;
}

/** Add_key implements Linux syscall add_key(2). */
export function sysAddKey(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const plen = a.size(3);
  if (plen > ADD_KEY_MAX_PAYLOAD) return -E.EINVAL;
  const name = typeName(t, a.ptr(0));
  if (typeof name === "number") return name;
  let description: string | null = null;
  if (a.ptr(1)) {
    const d = userString(t, a.ptr(1));
    if (typeof d === "number") return d;
    if (d !== "" && d.startsWith(".") && name.startsWith("keyring")) return -E.EPERM;
    description = d === "" ? null : d;
  }
  const data = payload(t, a.ptr(2), plen);
  if (typeof data === "number") return data;
  const dest = k.keys.lookup(t, a.int(4), K.KEY_NEED_WRITE, { create: true });
  if (typeof dest === "number") return dest;
  const type = keyType(name);
  if (!type) return -E.ENODEV;
  if (!dest.key.links) return -E.ENOTDIR;
  const bad = vet(type, description, data);
  if (bad < 0) return bad;
  return createOrUpdate(k.keys, t, dest, type, description!, data);
}

/** key_create_or_update: update the key of that type and description in the keyring, or make one. */
function createOrUpdate(keys: KeyTable, t: Thread, dest: KeyRef, type: KeyType, description: string, data: Uint8Array): number {
  if (type.updatable) {
    const old = dest.key.links!.find((k) => k.type === type && k.description === description && !k.revoked && !k.invalidated);
    if (old) {
      if (!keyPermission(old, t.creds, dest.possessed, K.KEY_NEED_WRITE)) return -E.EACCES;
      const r = keys.setPayload(old, data);
      if (r < 0) return r;
      old.rejection = 0;
      return old.serial;
    }
  }
  const c = t.creds;
  const key = keys.alloc(type, description, { uid: c.fsuid, gid: c.fsgid, perm: initialPerm(type), dataLen: data.length });
  if (typeof key === "number") return key;
  key.payload = data;
  const r = keys.link(dest.key, key);
  if (r < 0) {
    keys.discard(key);
    return r;
  }
  return key.serial;
}

/** Request_key implements Linux syscall request_key(2). */
export function sysRequestKey(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const name = typeName(t, a.ptr(0));
  if (typeof name === "number") return name;
  const description = userString(t, a.ptr(1));
  if (typeof description === "number") return description;
  let callout: string | null = null;
  if (a.ptr(2)) {
    const c = userString(t, a.ptr(2));
    if (typeof c === "number") return c;
    callout = c;
  }
  const keys = k.keys;
  let dest: KeyRef | null = null;
  if (a.int(3)) {
    const d = keys.lookup(t, a.int(3), K.KEY_NEED_WRITE, { create: true });
    if (typeof d === "number") return d;
    dest = d;
  }
  const type = keyType(name);
  if (!type) return -E.ENOKEY;
  const found = keys.searchMine(t, type, description);
  if (typeof found !== "number") {
    if (dest) {
      const r = keys.link(dest.key, found.key);
      if (r < 0) return r;
    }
    return found.key.serial;
  }
  if (found !== -E.EAGAIN) return found;
  if (callout === null) return -E.ENOKEY;
  return constructNegative(keys, t, type, description, dest?.key ?? null);
}

/** construct_key_and_link with no upcall program: a negative key in the destination keyring, ENOENT. */
function constructNegative(keys: KeyTable, t: Thread, type: KeyType, description: string, given: Key | null): number {
  let ring = given;
  if (!ring) {
    const d = defaultDestination(keys, t);
    if (typeof d === "number") return d;
    if (d && !keyPermission(d, t.creds, true, K.KEY_NEED_WRITE)) return -E.EACCES;
    ring = d;
  }
  const c = t.creds;
  const key = keys.alloc(type, description, { uid: c.fsuid, gid: c.fsgid, perm: initialPerm(type), dataLen: 0 });
  if (typeof key === "number") return key;
  key.rejection = -E.ENOKEY;
  key.expiry = performance.now() + NEGATIVE_TIMEOUT_MS;
  const r = ring ? keys.link(ring, key) : 0;
  if (!ring || r < 0) keys.discard(key);
  return r < 0 ? r : -E.ENOENT;
}

/** construct_get_dest_keyring: where request_key puts a key by the caller's default. */
function defaultDestination(keys: KeyTable, t: Thread): Key | null | number {
  const a = t.keyrings;
  let step = a.reqkeyDefault === K.KEY_REQKEY_DEFL_REQUESTOR_KEYRING ? K.KEY_REQKEY_DEFL_DEFAULT : a.reqkeyDefault;
  // Each choice falls through to the next when its keyring is missing, as Linux's switch does.
  for (;;) {
    switch (step) {
      case K.KEY_REQKEY_DEFL_DEFAULT:
      case K.KEY_REQKEY_DEFL_THREAD_KEYRING:
        if (a.thread) return a.thread;
        step = K.KEY_REQKEY_DEFL_PROCESS_KEYRING;
        continue;
      case K.KEY_REQKEY_DEFL_PROCESS_KEYRING:
        if (t.process.processKeyring) return t.process.processKeyring;
        step = K.KEY_REQKEY_DEFL_SESSION_KEYRING;
        continue;
      case K.KEY_REQKEY_DEFL_SESSION_KEYRING:
        if (a.session) return a.session;
        step = K.KEY_REQKEY_DEFL_USER_SESSION_KEYRING;
        continue;
      case K.KEY_REQKEY_DEFL_USER_SESSION_KEYRING:
      case K.KEY_REQKEY_DEFL_USER_KEYRING: {
        const u = keys.userKeyrings(t.creds.uid, t.creds);
        if (typeof u === "number") return u;
        return step === K.KEY_REQKEY_DEFL_USER_KEYRING ? u.keyring : u.session;
      }
      default:
        return null;
    }
  }
}

// ----- keyctl -------------------------------------------------------------------------------

type KeyctlOp = (keys: KeyTable, t: Thread, a: SyscallArgs) => number;

/** Keyctl implements Linux syscall keyctl(2). */
export function sysKeyctl(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const op = KEYCTL_OPS.get(a.int(0));
  return op ? op(k.keys, t, a) : -E.EOPNOTSUPP;
}

/** Runs `fn` on the key `a.int(i)` names when the lookup succeeds. */
function withKey(keys: KeyTable, t: Thread, id: number, need: number | "defer" | "unlink", f: { create?: boolean; partial?: boolean }, fn: (r: KeyRef) => number): number {
  const r = keys.lookup(t, id, need, f);
  return typeof r === "number" ? r : fn(r);
}

/** Copies `bytes` out when the caller's buffer holds them all; the full length either way. */
function copyOut(t: Thread, addr: number, buflen: number, bytes: Uint8Array): number {
  if (addr && buflen >= bytes.length && bytes.length > 0 && !t.process.memory.write(addr, bytes)) return -E.EFAULT;
  return bytes.length;
}

function getKeyringId(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  return withKey(keys, t, a.int(1), K.KEY_NEED_SEARCH, { create: a.int(2) !== 0 }, (r) => r.key.serial);
}

/** join_session_keyring: a new anonymous session keyring, or the named one (found or made). */
function joinSession(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  if (!a.ptr(1)) {
    const ring = keys.install(t, "session");
    return typeof ring === "number" ? ring : ring.serial;
  }
  const name = userString(t, a.ptr(1));
  if (typeof name === "number") return name;
  if (name.startsWith(".")) return -E.EPERM;
  const c = t.creds;
  let ring: Key | undefined;
  for (const key of keys.keys) {
    if (key.links && key.description === name && key.validity(performance.now()) === 0 && !isUserKeyring(keys, key) && keyPermission(key, c, false, K.KEY_NEED_SEARCH)) ring = key;
  }
  if (ring && ring === t.keyrings.session) return 0;
  if (!ring) {
    const made = keys.alloc(keyType("keyring")!, name, { uid: c.uid, gid: c.gid, perm: K.KEY_POS_ALL | K.KEY_USR_VIEW | K.KEY_USR_READ | K.KEY_USR_LINK, dataLen: 0 });
    if (typeof made === "number") return made;
    ring = made;
  }
  const r = keys.install(t, "session", ring);
  return typeof r === "number" ? r : r.serial;
}

function isUserKeyring(keys: KeyTable, key: Key): boolean {
  for (const u of keys.users) if (u.keyring === key || u.session === key) return true;
  return false;
}

function update(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const plen = a.size(3);
  if (plen > UPDATE_MAX_PAYLOAD) return -E.EINVAL;
  const data = payload(t, a.ptr(2), plen);
  if (typeof data === "number") return data;
  return withKey(keys, t, a.int(1), K.KEY_NEED_WRITE, {}, ({ key }) => {
    if (!key.type.updatable) return -E.EOPNOTSUPP;
    const bad = vet(key.type, key.description, data);
    if (bad < 0) return bad;
    const r = keys.setPayload(key, data);
    if (r === 0) key.rejection = 0;
    return r;
  });
}

function revoke(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  let r = keys.lookup(t, a.int(1), K.KEY_NEED_WRITE);
  if (r === -E.EACCES) r = keys.lookup(t, a.int(1), K.KEY_NEED_SETATTR);
  if (typeof r === "number") return r;
  r.key.revoked = true;
  if (r.key.links) keys.clear(r.key);
  else keys.setPayload(r.key, new Uint8Array(0));
  return 0;
}

function chown(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const uid = a.uint(2);
  const gid = a.uint(3);
  return withKey(keys, t, a.int(1), K.KEY_NEED_SETATTR, { create: true, partial: true }, ({ key }) => {
    const c = t.creds;
    if (!capable(c, CAP_SYS_ADMIN)) {
      if (uid !== NO_ID && uid !== key.uid) return -E.EACCES;
      if (gid !== NO_ID && gid !== key.gid && !inGroup(c, gid)) return -E.EACCES;
    }
    if (uid !== NO_ID && uid !== key.uid) {
      const r = keys.chown(key, uid);
      if (r < 0) return r;
    }
    if (gid !== NO_ID) key.gid = gid;
    return 0;
  });
}

function setperm(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const perm = a.uint(2);
  if (perm & ~(K.KEY_POS_ALL | K.KEY_USR_ALL | K.KEY_GRP_ALL | K.KEY_OTH_ALL)) return -E.EINVAL;
  return withKey(keys, t, a.int(1), K.KEY_NEED_SETATTR, { create: true, partial: true }, ({ key }) => {
    if (key.uid !== t.creds.fsuid && !capable(t.creds, CAP_SYS_ADMIN)) return -E.EACCES;
    key.perm = perm;
    return 0;
  });
}

function describe(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  return withKey(keys, t, a.int(1), K.KEY_NEED_VIEW, { partial: true }, ({ key }) => {
    const text = `${key.type.name};${key.uid | 0};${key.gid | 0};${key.perm.toString(16).padStart(8, "0")};${key.description}\0`;
    return copyOut(t, a.ptr(2), a.size(3), stringToBytes(text));
  });
}

function clear(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  return withKey(keys, t, a.int(1), K.KEY_NEED_WRITE, { create: true }, ({ key }) => {
    if (!key.links) return -E.ENOTDIR;
    keys.clear(key);
    return 0;
  });
}

function link(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  return withKey(keys, t, a.int(2), K.KEY_NEED_WRITE, { create: true }, (ring) =>
    withKey(keys, t, a.int(1), K.KEY_NEED_LINK, { create: true }, ({ key }) => keys.link(ring.key, key)));
}

function unlink(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  return withKey(keys, t, a.int(2), K.KEY_NEED_WRITE, {}, (ring) =>
    withKey(keys, t, a.int(1), "unlink", { partial: true }, ({ key }) => keys.unlink(ring.key, key)));
}

function search(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const name = typeName(t, a.ptr(2));
  if (typeof name === "number") return name;
  const description = userString(t, a.ptr(3));
  if (typeof description === "number") return description;
  return withKey(keys, t, a.int(1), K.KEY_NEED_SEARCH, {}, (ring) => {
    let dest: KeyRef | null = null;
    if (a.int(4)) {
      const d = keys.lookup(t, a.int(4), K.KEY_NEED_WRITE, { create: true });
      if (typeof d === "number") return d;
      dest = d;
    }
    const type = keyType(name);
    if (!type) return -E.ENOKEY;
    const found = keys.search(t.creds, ring, type, description);
    if (typeof found === "number") return found === -E.EAGAIN ? -E.ENOKEY : found;
    if (dest) {
      if (!keyPermission(found.key, t.creds, found.possessed, K.KEY_NEED_LINK)) return -E.EACCES;
      const r = keys.link(dest.key, found.key);
      if (r < 0) return r;
    }
    return found.key.serial;
  });
}

/** keyctl_read_key: readable with READ permission or when possessed; the whole length always. */
function read(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const r = keys.lookup(t, a.int(1), "defer");
  if (typeof r === "number") return -E.ENOKEY;
  const { key } = r;
  if (key.rejection < 0) return key.rejection;
  if (!keyPermission(key, t.creds, r.possessed, K.KEY_NEED_READ) && !r.possessed) return -E.EACCES;
  if (!key.type.readable) return -E.EOPNOTSUPP;
  const bad = key.validity(performance.now());
  if (bad < 0) return bad;
  let bytes = key.payload;
  if (key.links) {
    bytes = new Uint8Array(key.links.length * 4);
    const view = new DataView(bytes.buffer);
    key.links.forEach((k, i) => view.setInt32(i * 4, k.serial, true));
  }
  return copyOut(t, a.ptr(2), a.size(3), bytes);
}

function setReqkeyKeyring(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const choice = a.int(1);
  const old = t.keyrings.reqkeyDefault;
  switch (choice) {
    case K.KEY_REQKEY_DEFL_NO_CHANGE:
      return old;
    case K.KEY_REQKEY_DEFL_THREAD_KEYRING:
    case K.KEY_REQKEY_DEFL_PROCESS_KEYRING: {
      const which = choice === K.KEY_REQKEY_DEFL_THREAD_KEYRING ? "thread" : "process";
      const has = which === "thread" ? t.keyrings.thread : t.process.processKeyring;
      if (!has) {
        const r = keys.install(t, which);
        if (typeof r === "number") return r;
      }
      break;
    }
    case K.KEY_REQKEY_DEFL_DEFAULT:
    case K.KEY_REQKEY_DEFL_SESSION_KEYRING:
    case K.KEY_REQKEY_DEFL_USER_KEYRING:
    case K.KEY_REQKEY_DEFL_USER_SESSION_KEYRING:
    case K.KEY_REQKEY_DEFL_REQUESTOR_KEYRING:
      break;
    default:
      return -E.EINVAL;
  }
  t.keyrings.reqkeyDefault = choice;
  return old;
}

function setTimeout(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const seconds = a.uint(2);
  return withKey(keys, t, a.int(1), K.KEY_NEED_SETATTR, { create: true, partial: true }, ({ key }) => {
    key.expiry = seconds > 0 ? performance.now() + seconds * 1000 : 0;
    return 0;
  });
}

function invalidate(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  return withKey(keys, t, a.int(1), K.KEY_NEED_SEARCH, {}, ({ key }) => {
    keys.invalidate(key);
    return 0;
  });
}

/** No security module labels keys: an empty string. */
function getSecurity(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  return withKey(keys, t, a.int(1), K.KEY_NEED_VIEW, { partial: true }, () => {
    if (a.ptr(2) && a.size(3) > 0 && !t.process.memory.write(a.ptr(2), new Uint8Array(1))) return -E.EFAULT;
    return 1;
  });
}

/** keyctl_session_to_parent: the parent (single-threaded, same user) takes the caller's session keyring. */
function sessionToParent(keys: KeyTable, t: Thread, _a: SyscallArgs): number {
  const ring = keys.lookup(t, K.KEY_SPEC_SESSION_KEYRING, K.KEY_NEED_LINK);
  if (typeof ring === "number") return ring;
  const parent = t.process.parent;
  const pt = parent?.threads.get(parent.pid);
  if (!parent || !pt || parent.pid === 1 || parent.threads.size !== 1) return -E.EPERM;
  const me = t.creds;
  const pc = pt.creds;
  if (pc.uid !== me.euid || pc.euid !== me.euid || pc.suid !== me.euid || pc.gid !== me.egid || pc.egid !== me.egid || pc.sgid !== me.egid) return -E.EPERM;
  if (pt.keyrings.session === ring.key) return 0;
  keys.put(pt.keyrings.session);
  pt.keyrings.session = keys.get(ring.key);
  return 0;
}

function move(keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const flags = a.uint(4);
  if (flags & ~K.KEYCTL_MOVE_EXCL) return -E.EINVAL;
  return withKey(keys, t, a.int(1), K.KEY_NEED_LINK, { create: true }, ({ key }) =>
    withKey(keys, t, a.int(2), K.KEY_NEED_WRITE, {}, (from) =>
      withKey(keys, t, a.int(3), K.KEY_NEED_WRITE, { create: true }, (to) => {
        if (from.key === to.key) return 0;
        if (!from.key.links || !to.key.links) return -E.ENOTDIR;
        if (!from.key.links.includes(key)) return -E.ENOENT;
        if (flags & K.KEYCTL_MOVE_EXCL && to.key.links.some((k) => k.type === key.type && k.description === key.description)) return -E.EEXIST;
        keys.get(key);
        let r = keys.link(to.key, key);
        if (r === 0) r = keys.unlink(from.key, key);
        keys.put(key);
        return r;
      })));
}

function capabilities(_keys: KeyTable, t: Thread, a: SyscallArgs): number {
  const caps = new Uint8Array([K.KEYCTL_CAPS0_CAPABILITIES | K.KEYCTL_CAPS0_INVALIDATE | K.KEYCTL_CAPS0_MOVE, 0]);
  const n = Math.min(a.size(2), caps.length);
  if (n > 0 && !t.process.memory.write(a.ptr(1), caps.subarray(0, n))) return -E.EFAULT;
  return caps.length;
}

/** KEYCTL_ASSUME_AUTHORITY: 0 drops an authority (there is none); no key here is an authorization key. */
const assumeAuthority: KeyctlOp = (_keys, _t, a) => (a.int(1) < 0 ? -E.EINVAL : a.int(1) === 0 ? 0 : -E.ENOKEY);
/** Instantiation needs the authority of a request_key upcall, which never runs here. */
const noAuthority: KeyctlOp = () => -E.EPERM;

const KEYCTL_OPS: ReadonlyMap<number, KeyctlOp> = new Map<number, KeyctlOp>([
  [K.KEYCTL_GET_KEYRING_ID, getKeyringId],
  [K.KEYCTL_JOIN_SESSION_KEYRING, joinSession],
  [K.KEYCTL_UPDATE, update],
  [K.KEYCTL_REVOKE, revoke],
  [K.KEYCTL_CHOWN, chown],
  [K.KEYCTL_SETPERM, setperm],
  [K.KEYCTL_DESCRIBE, describe],
  [K.KEYCTL_CLEAR, clear],
  [K.KEYCTL_LINK, link],
  [K.KEYCTL_UNLINK, unlink],
  [K.KEYCTL_SEARCH, search],
  [K.KEYCTL_READ, read],
  [K.KEYCTL_INSTANTIATE, noAuthority],
  [K.KEYCTL_NEGATE, noAuthority],
  [K.KEYCTL_SET_REQKEY_KEYRING, setReqkeyKeyring],
  [K.KEYCTL_SET_TIMEOUT, setTimeout],
  [K.KEYCTL_ASSUME_AUTHORITY, assumeAuthority],
  [K.KEYCTL_GET_SECURITY, getSecurity],
  [K.KEYCTL_SESSION_TO_PARENT, sessionToParent],
  [K.KEYCTL_REJECT, noAuthority],
  [K.KEYCTL_INSTANTIATE_IOV, noAuthority],
  [K.KEYCTL_INVALIDATE, invalidate],
  [K.KEYCTL_MOVE, move],
  [K.KEYCTL_CAPABILITIES, capabilities],
]);
