// The user kernel's keys (Linux: security/keys/key.c, keyring.c, process_keys.c,
// request_key.c): one table per kernel-task, as one key namespace.
//
//   keys      by serial (random, ≥ 3, as Linux's); users by uid with their quotas
//   anchors   a thread's thread and session keyrings and its request_key default
//             (KeyAnchors on the Thread), a process's process keyring, a user's user and
//             user session keyrings: each holds a reference, as the credentials do in Linux.
//             fork keeps the session keyring, a new thread gets its own thread keyring when
//             its creator had one, exec drops the thread and process keyrings
//   lookup    lookup_user_key: a special id (KEY_SPEC_*) finds or makes the caller's
//             keyring; a serial finds the key, possessed when a search from the caller's
//             keyrings reaches it; then the state and the permission the call needs
//   search    keyring_search: depth first through keyrings the caller may search (six
//             deep), matching type and description exactly; the caller's keyrings in
//             Linux's order (thread, process, session or else user session)
//   links     a keyring holds each (type, description) once: a new link replaces the old;
//             a link that would close a cycle is EDEADLK. Unlinked keys nothing else
//             refers to are destroyed at once (Linux's garbage collector, without its delay)
//
// Bounds: the per-uid quotas of /proc/sys/kernel/keys (root's larger), and under them a
// table-wide bound on keys, payload bytes and links, so a guest's keys hold the kernel-task's
// memory to a few tens of MiB whatever root writes to the sysctls.

import { EACCES, EAGAIN, EDEADLK, EDQUOT, EINVAL, EKEYREVOKED, ENFILE, ENOENT, ENOKEY, ENOTDIR } from "../../linux-abi/errno.ts";
import {
  KEY_NEED_SEARCH, KEY_POS_ALL, KEY_SPEC_GROUP_KEYRING, KEY_SPEC_PROCESS_KEYRING,
  KEY_SPEC_REQKEY_AUTH_KEY, KEY_SPEC_REQUESTOR_KEYRING, KEY_SPEC_SESSION_KEYRING, KEY_SPEC_THREAD_KEYRING,
  KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING, KEY_USR_ALL, KEY_USR_READ, KEY_USR_VIEW,
} from "../../linux-abi/keyctl.ts";
import type { Credentials } from "../creds.ts";
import type { Process, Thread } from "../process.ts";
import { KEYRING_TYPE, Key, keyPermission, type KeyType, type KeyUser } from "./key.ts";

/** What a thread's credentials hold of the key service (Linux: struct cred's keyring fields). */
export interface KeyAnchors {
  thread: Key | null;
  session: Key | null;
  /** KEYCTL_SET_REQKEY_KEYRING's choice (KEY_REQKEY_DEFL_*). */
  reqkeyDefault: number;
}

export const newAnchors = (): KeyAnchors => ({ thread: null, session: null, reqkeyDefault: 0 });

/** /proc/sys/kernel/keys: the quotas and the garbage collector's delay. */
export interface KeyLimits {
  maxkeys: number;
  maxbytes: number;
  rootMaxkeys: number;
  rootMaxbytes: number;
  gcDelay: number;
  persistentExpiry: number;
}

/** A key found for a caller, with whether the caller possesses it. */
export interface KeyRef {
  key: Key;
  possessed: boolean;
}

/** How the caller asks for a key: create its special keyring, accept one whatever its state. */
export interface LookupFlags {
  create?: boolean;
  partial?: boolean;
}

/**
 * The rights a lookup checks (KEY_NEED_* bits), "defer" when the caller checks them itself
 * and wants the key whatever its state (KEY_DEFER_PERM_CHECK), "unlink" for no check at all.
 */
export type Need = number | "defer" | "unlink";

/** KEYRING_SEARCH_MAX_DEPTH. */
const MAX_DEPTH = 6;
const TABLE_MAX_KEYS = 1 << 16;
const TABLE_MAX_BYTES = 64 << 20;
const TABLE_MAX_LINKS = 1 << 20;

export class KeyTable {
  readonly limits: KeyLimits = { maxkeys: 200, maxbytes: 20000, rootMaxkeys: 1000000, rootMaxbytes: 25000000, gcDelay: 300, persistentExpiry: 259200 };
  readonly #keys = new Map<number, Key>();
  readonly #users = new Map<number, KeyUser>();
  #bytes = 0;
  #links = 0;

  get keys(): IterableIterator<Key> {
    return this.#keys.values();
  }

  get users(): IterableIterator<KeyUser> {
    return this.#users.values();
  }

  userOf(uid: number): KeyUser {
    let u = this.#users.get(uid);
    if (!u) {
      u = { uid, nkeys: 0, nikeys: 0, qnkeys: 0, qnbytes: 0, keyring: null, session: null };
      this.#users.set(uid, u);
    }
    return u;
  }

  quotaOf(uid: number): { keys: number; bytes: number } {
    const l = this.limits;
    return uid === 0 ? { keys: l.rootMaxkeys, bytes: l.rootMaxbytes } : { keys: l.maxkeys, bytes: l.maxbytes };
  }

  // ----- life of a key ------------------------------------------------------------------

  /**
   * key_alloc: a new key of `uid` holding `dataLen` bytes, not yet linked anywhere (refs 0:
   * the caller links or anchors it at once). EDQUOT past the owner's quota unless `overrun`.
   */
  alloc(type: KeyType, description: string, o: { uid: number; gid: number; perm: number; dataLen: number; overrun?: boolean }): Key | number {
    const user = this.userOf(o.uid);
    const bytes = description.length + 1 + o.dataLen;
    const q = this.quotaOf(o.uid);
    if (!o.overrun && (user.qnkeys + 1 > q.keys || user.qnbytes + bytes > q.bytes)) return -EDQUOT;
    if (this.#keys.size >= TABLE_MAX_KEYS || this.#bytes + bytes > TABLE_MAX_BYTES) return -EDQUOT;
    let serial: number;
    do serial = 3 + Math.floor(Math.random() * (0x7fffffff - 3)); while (this.#keys.has(serial));
    const key = new Key(serial, type, description, user, { uid: o.uid, gid: o.gid, perm: o.perm, inQuota: true });
    key.quotaBytes = bytes;
    this.#charge(key, 1, bytes);
    user.nkeys++;
    user.nikeys++;
    this.#keys.set(serial, key);
    return key;
  }

  /** key_payload_reserve and the new data: EDQUOT when the owner's quota has no room. */
  setPayload(key: Key, data: Uint8Array): number {
    const delta = key.description.length + 1 + data.length - key.quotaBytes;
    const q = this.quotaOf(key.user.uid);
    if (delta > 0 && (key.user.qnbytes + delta > q.bytes || this.#bytes + delta > TABLE_MAX_BYTES)) return -EDQUOT;
    this.#charge(key, 0, delta);
    key.quotaBytes += delta;
    key.payload = data;
    return 0;
  }

  /** KEYCTL_CHOWN to another uid: the new owner's quota takes the key (EDQUOT when it cannot). */
  chown(key: Key, uid: number): number {
    const to = this.userOf(uid);
    const q = this.quotaOf(uid);
    if (key.inQuota && (to.qnkeys + 1 > q.keys || to.qnbytes + key.quotaBytes > q.bytes)) return -EDQUOT;
    this.#charge(key, -1, -key.quotaBytes);
    key.user.nkeys--;
    key.user.nikeys--;
    key.user = to;
    key.uid = uid;
    this.#charge(key, 1, key.quotaBytes);
    to.nkeys++;
    to.nikeys++;
    return 0;
  }

  #charge(key: Key, keys: number, bytes: number): void {
    this.#bytes += bytes;
    if (!key.inQuota) return;
    key.user.qnkeys += keys;
    key.user.qnbytes += bytes;
  }

  get(key: Key): Key {
    key.refs++;
    return key;
  }

  /** A reference goes; the last one destroys the key and drops a keyring's links. */
  put(key: Key | null): void {
    if (!key || --key.refs > 0) return;
    this.#keys.delete(key.serial);
    this.#charge(key, -1, -key.quotaBytes);
    key.user.nkeys--;
    key.user.nikeys--;
    if (key.links) this.clear(key);
  }

  /** A freshly allocated key that failed before anything referred to it. */
  discard(key: Key): void {
    key.refs = 1;
    this.put(key);
  }

  // ----- keyrings -------------------------------------------------------------------------

  /** __key_link: `key` into `keyring`, replacing a link of the same type and description. */
  link(keyring: Key, key: Key): number {
    const links = keyring.links;
    if (!links) return -ENOTDIR;
    if (key.links && (key === keyring || this.#reaches(key, keyring, 0))) return -EDEADLK;
    const i = links.findIndex((k) => k.type === key.type && k.description === key.description);
    if (i >= 0) {
      const old = links[i]!;
      if (old === key) return 0;
      links[i] = this.get(key);
      this.put(old);
      return 0;
    }
    if (this.#links >= TABLE_MAX_LINKS) return -ENFILE;
    links.push(this.get(key));
    this.#links++;
    return 0;
  }

  /** key_unlink: 0, or -ENOENT when `keyring` does not hold `key`. */
  unlink(keyring: Key, key: Key): number {
    const links = keyring.links;
    if (!links) return -ENOTDIR;
    const i = links.indexOf(key);
    if (i < 0) return -ENOENT;
    links.splice(i, 1);
    this.#links--;
    this.put(key);
    return 0;
  }

  /** keyring_clear: every link goes. */
  clear(keyring: Key): void {
    const links = keyring.links!.splice(0);
    this.#links -= links.length;
    for (const k of links) this.put(k);
  }

  /** key_invalidate: the key is unusable at once and leaves every keyring (the collector's work). */
  invalidate(key: Key): void {
    key.invalidated = true;
    this.get(key);
    for (const ring of [...this.#keys.values()]) if (ring.links?.includes(key)) this.unlink(ring, key);
    this.put(key);
  }

  /** Whether `target` is linked under `from` (`from` a keyring), within the depth bound. */
  #reaches(from: Key, target: Key, depth: number): boolean {
    if (depth >= MAX_DEPTH * 2) return true;
    for (const k of from.links ?? []) if (k === target || (k.links && this.#reaches(k, target, depth + 1))) return true;
    return false;
  }

  /** A keyring the kernel makes for a caller: owned by it, outside its quota's limit. */
  newKeyring(description: string, c: Credentials, perm: number, uid = c.fsuid, gid = c.fsgid): Key | number {
    return this.alloc(KEYRING_TYPE, description, { uid, gid, perm, dataLen: 0, overrun: true });
  }

  // ----- anchors ----------------------------------------------------------------------------

  /** The user keyrings of `uid` (look_up_user_keyrings), made on first use. */
  userKeyrings(uid: number, c: Credentials): KeyUser | number {
    const u = this.userOf(uid);
    if (u.keyring && u.session) return u;
    const perm = KEY_POS_ALL | KEY_USR_ALL;
    const ring = u.keyring ?? this.newKeyring(`_uid.${uid}`, c, perm, uid, c.fsgid);
    if (typeof ring === "number") return ring;
    u.keyring ??= this.get(ring);
    const session = this.newKeyring(`_uid_ses.${uid}`, c, perm, uid, c.fsgid);
    if (typeof session === "number") return session;
    u.session = this.get(session);
    this.link(ring, session);
    return u;
  }

  /** install_thread_keyring / install_process_keyring / a new session keyring: anchored, or -errno. */
  install(t: Thread, which: "thread" | "process" | "session", ring?: Key): Key | number {
    const c = t.creds;
    const made = ring ?? this.newKeyring(which === "thread" ? "_tid" : which === "process" ? "_pid" : "_ses", c,
      which === "session" ? KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ : KEY_POS_ALL | KEY_USR_VIEW);
    if (typeof made === "number") return made;
    this.get(made);
    if (which === "process") {
      this.put(t.process.processKeyring);
      t.process.processKeyring = made;
    } else {
      this.put(t.keyrings[which]);
      t.keyrings[which] = made;
    }
    return made;
  }

  /** clone: a thread shares the session, gets its own thread keyring if its creator had one; fork drops the process keyring. */
  cloned(parent: Thread, child: Thread, sameProcess: boolean): void {
    const a = parent.keyrings;
    child.keyrings = { thread: null, session: a.session && this.get(a.session), reqkeyDefault: a.reqkeyDefault };
    if (sameProcess && a.thread) this.install(child, "thread");
  }

  /** exec: no thread keyring, a new process keyring when asked for. */
  execed(t: Thread): void {
    this.put(t.keyrings.thread);
    t.keyrings.thread = null;
    this.put(t.process.processKeyring);
    t.process.processKeyring = null;
  }

  threadGone(t: Thread): void {
    this.put(t.keyrings.thread);
    this.put(t.keyrings.session);
    t.keyrings = newAnchors();
  }

  processGone(p: Process): void {
    this.put(p.processKeyring);
    p.processKeyring = null;
  }

  // ----- lookup and search --------------------------------------------------------------

  /** lookup_user_key: the key `id` names for `t`, or -errno; then its state and `need`. */
  lookup(t: Thread, id: number, need: Need, f: LookupFlags = {}): KeyRef | number {
    const found = this.#find(t, id, f.create ?? false);
    if (typeof found === "number") return found;
    const { key } = found;
    if (typeof need !== "number") return found;
    const bad = (f.partial ? 0 : key.rejection) || key.validity(performance.now());
    if (bad < 0) return bad;
    return keyPermission(key, t.creds, found.possessed, need) ? found : -EACCES;
  }

  #find(t: Thread, id: number, create: boolean): KeyRef | number {
    const c = t.creds;
    const mine = (k: Key | number): KeyRef | number => (typeof k === "number" ? k : { key: k, possessed: true });
    switch (id) {
      case KEY_SPEC_THREAD_KEYRING:
        if (t.keyrings.thread) return mine(t.keyrings.thread);
        return create ? mine(this.install(t, "thread")) : -ENOKEY;
      case KEY_SPEC_PROCESS_KEYRING:
        if (t.process.processKeyring) return mine(t.process.processKeyring);
        return create ? mine(this.install(t, "process")) : -ENOKEY;
      case KEY_SPEC_SESSION_KEYRING: {
        const session = t.keyrings.session;
        const u = this.userKeyrings(c.uid, c);
        if (typeof u === "number") return u;
        if (!session) return mine(create ? this.install(t, "session") : this.install(t, "session", u.session!));
        if (session === u.session && create) return mine(this.install(t, "session"));
        return mine(session);
      }
      case KEY_SPEC_USER_KEYRING:
      case KEY_SPEC_USER_SESSION_KEYRING: {
        const u = this.userKeyrings(c.uid, c);
        if (typeof u === "number") return u;
        return mine(id === KEY_SPEC_USER_KEYRING ? u.keyring! : u.session!);
      }
      case KEY_SPEC_GROUP_KEYRING:
      case KEY_SPEC_REQKEY_AUTH_KEY:
      case KEY_SPEC_REQUESTOR_KEYRING:
        return -EINVAL;
    }
    if (id < 1) return -EINVAL;
    const key = this.#keys.get(id);
    if (!key) return -ENOKEY;
    return { key, possessed: this.possesses(t, key) };
  }

  /** The caller's keyrings a search starts from (search_cred_keyrings_rcu's order). */
  roots(t: Thread): Key[] {
    const session = t.keyrings.session ?? this.#users.get(t.creds.uid)?.session ?? null;
    return [t.keyrings.thread, t.process.processKeyring, session].filter((k): k is Key => k !== null);
  }

  /** Whether `t` possesses `key`: one of its keyrings, or reached from one by searchable keyrings. */
  possesses(t: Thread, key: Key): boolean {
    for (const root of this.roots(t)) {
      if (root === key) return true;
      if (keyPermission(root, t.creds, true, KEY_NEED_SEARCH) && this.#reachable(t.creds, root, key, 0)) return true;
    }
    return false;
  }

  #reachable(c: Credentials, ring: Key, target: Key, depth: number): boolean {
    for (const k of ring.links!) {
      if (k === target) return true;
      if (k.links && depth + 1 < MAX_DEPTH && keyPermission(k, c, true, KEY_NEED_SEARCH) && this.#reachable(c, k, target, depth + 1)) return true;
    }
    return false;
  }

  /**
   * keyring_search_rcu from `ring` (a possessed or not keyring): the first usable key of
   * `type` and `description`, or the error the search met (-EAGAIN: nothing at all).
   */
  search(c: Credentials, ring: KeyRef, type: KeyType, description: string): KeyRef | number {
    if (!ring.key.links) return -ENOTDIR;
    if (!keyPermission(ring.key, c, ring.possessed, KEY_NEED_SEARCH)) return -EACCES;
    let result = -EAGAIN;
    const now = performance.now();
    const walk = (keyring: Key, depth: number): Key | null => {
      for (const k of keyring.links!) {
        if (k.type !== type || k.description !== description) continue;
        const bad = k.validity(now);
        if (bad < 0) {
          result = bad === -ENOKEY ? -EKEYREVOKED : bad;
          continue;
        }
        if (!keyPermission(k, c, ring.possessed, KEY_NEED_SEARCH)) {
          result = -EACCES;
          continue;
        }
        if (k.rejection < 0) {
          result = k.rejection;
          continue;
        }
        return k;
      }
      if (depth + 1 >= MAX_DEPTH) return null;
      for (const k of keyring.links!) {
        if (!k.links || k.revoked || k.invalidated || !keyPermission(k, c, ring.possessed, KEY_NEED_SEARCH)) continue;
        const found = walk(k, depth + 1);
        if (found) return found;
      }
      return null;
    };
    const key = walk(ring.key, 0);
    return key ? { key, possessed: ring.possessed } : result;
  }

  /** search_process_keyrings_rcu: a negative key outranks a miss, which outranks the other errors. */
  searchMine(t: Thread, type: KeyType, description: string): KeyRef | number {
    let miss = 0;
    let other = -EAGAIN;
    for (const root of this.roots(t)) {
      const r = this.search(t.creds, { key: root, possessed: true }, type, description);
      if (typeof r !== "number") return r;
      if (r === -ENOKEY || (r === -EAGAIN && !miss)) miss = r;
      else other = r;
    }
    return miss || other;
  }
}
