// The key table: references (links and anchors) and destruction, cycles, quotas,
// possession through searchable keyrings, and the special ids' creation rules.

import { describe, expect, it } from "vitest";
import { EDEADLK, EDQUOT, EINVAL, ENOKEY } from "../../../../linux-abi/errno.ts";
import {
  KEY_NEED_SEARCH, KEY_POS_ALL, KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_SESSION_KEYRING, KEY_SPEC_THREAD_KEYRING, KEY_USR_VIEW,
} from "../../../../linux-abi/keyctl.ts";
import { keyType, type Key } from "../../../../libos/keys/key.ts";
import { KeyTable } from "../../../../libos/keys/key_table.ts";
import { makeThread } from "../_fake_process.ts";

const USER = keyType("user")!;
const KEYRING = keyType("keyring")!;

function userKey(keys: KeyTable, desc: string, bytes = 4, uid = 0): Key {
  const k = keys.alloc(USER, desc, { uid, gid: 0, perm: KEY_POS_ALL | KEY_USR_VIEW, dataLen: bytes });
  if (typeof k === "number") throw new Error(`alloc failed: ${k}`);
  return k;
}

describe("KeyTable", () => {
  it("destroys a key when its last link goes, and a keyring's links with it", () => {
    const keys = new KeyTable();
    const t = makeThread();
    const ring = keys.install(t, "process") as Key;
    const inner = keys.alloc(KEYRING, "inner", { uid: 0, gid: 0, perm: KEY_POS_ALL, dataLen: 0 }) as Key;
    const k = userKey(keys, "a");
    expect(keys.link(ring, inner)).toBe(0);
    expect(keys.link(inner, k)).toBe(0);
    expect([...keys.keys]).toContain(k);
    expect(keys.unlink(ring, inner)).toBe(0);
    expect([...keys.keys]).not.toContain(inner);
    expect([...keys.keys]).not.toContain(k);
    expect(keys.lookup(t, k.serial, 0)).toBe(-ENOKEY);
  });

  it("replaces a link of the same type and description, and refuses cycles", () => {
    const keys = new KeyTable();
    const t = makeThread();
    const ring = keys.install(t, "thread") as Key;
    const a = userKey(keys, "same");
    const b = userKey(keys, "same");
    keys.link(ring, a);
    keys.link(ring, b);
    expect(ring.links).toEqual([b]);
    expect([...keys.keys]).not.toContain(a);
    const inner = keys.alloc(KEYRING, "inner", { uid: 0, gid: 0, perm: KEY_POS_ALL, dataLen: 0 }) as Key;
    keys.link(ring, inner);
    expect(keys.link(inner, ring)).toBe(-EDEADLK);
    expect(keys.link(inner, inner)).toBe(-EDEADLK);
  });

  it("charges the owner's quota and refuses keys past it", () => {
    const keys = new KeyTable();
    keys.limits.maxkeys = 2;
    userKey(keys, "1", 4, 1000);
    userKey(keys, "2", 4, 1000);
    expect(keys.alloc(USER, "3", { uid: 1000, gid: 0, perm: 0, dataLen: 4 })).toBe(-EDQUOT);
    keys.limits.maxbytes = 10;
    expect(keys.alloc(USER, "x", { uid: 1001, gid: 0, perm: 0, dataLen: 9 })).toBe(-EDQUOT);
    expect(keys.userOf(1000).qnkeys).toBe(2);
  });

  it("makes special keyrings only when asked to create, and drops anchors with their thread", () => {
    const keys = new KeyTable();
    const t = makeThread();
    expect(keys.lookup(t, KEY_SPEC_THREAD_KEYRING, KEY_NEED_SEARCH)).toBe(-ENOKEY);
    const ring = keys.lookup(t, KEY_SPEC_THREAD_KEYRING, KEY_NEED_SEARCH, { create: true });
    expect(typeof ring).toBe("object");
    expect(keys.lookup(t, -6, KEY_NEED_SEARCH)).toBe(-EINVAL);
    // Without a session keyring, the user session keyring stands in for it.
    const session = keys.lookup(t, KEY_SPEC_SESSION_KEYRING, KEY_NEED_SEARCH);
    expect(typeof session === "object" && session.key.description).toBe("_uid_ses.0");
    keys.threadGone(t);
    expect([...keys.keys].map((k) => k.description).sort()).toEqual(["_uid.0", "_uid_ses.0"]);
  });

  it("counts a key as possessed when a searchable keyring of the caller's reaches it", () => {
    const keys = new KeyTable();
    const t = makeThread();
    const other = makeThread();
    const ring = keys.lookup(t, KEY_SPEC_PROCESS_KEYRING, KEY_NEED_SEARCH, { create: true });
    if (typeof ring === "number") throw new Error("no process keyring");
    const inner = keys.alloc(KEYRING, "inner", { uid: 0, gid: 0, perm: KEY_POS_ALL, dataLen: 0 }) as Key;
    const k = userKey(keys, "deep");
    keys.link(ring.key, inner);
    keys.link(inner, k);
    expect(keys.possesses(t, k)).toBe(true);
    expect(keys.possesses(other, k)).toBe(false);
    inner.perm = KEY_POS_ALL & ~0x08000000;
    expect(keys.possesses(t, k)).toBe(false);
  });
});
