// The id and key table every System V IPC kind keeps (Linux: ipc/util.c), and the
// permission rules they share.
//
//   IpcIds    objects by index (lowest free, as idr_alloc) and by key. An object's id is
//             index + seq * IPCMNI, seq counting creations, so a stale id of a removed
//             object does not name the one that reuses its index. IPC_RMID takes the
//             object out of both tables (its key becomes free at once).
//   ipcGet    msgget/semget/shmget: IPC_PRIVATE always creates; a key finds or, with
//             IPC_CREAT, creates; IPC_EXCL refuses an existing key; access is checked
//             before the kind's own checks (a size or count too large).

import { EACCES, EAGAIN, EEXIST, EINTR, ENOENT, ENOSPC, EPERM } from "../../linux-abi/errno.ts";
import { IPCMNI, IPC_CREAT, IPC_EXCL, IPC_PRIVATE, type IpcPerm } from "../../linux-abi/ipc.ts";
import { CAP_IPC_OWNER, CAP_SYS_ADMIN } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import { inGroup, type Credentials } from "../creds.ts";
import type { Thread } from "../process.ts";
import { sleep, type WaitQueue } from "../wait_queue.ts";

export interface IpcObject {
  readonly id: number;
  readonly perm: IpcPerm;
  /** Last change (creation, IPC_SET, SETVAL…), in seconds since the epoch. */
  ctime: number;
}

const IPCID_SEQ_MAX = 0x7fffffff >> 15;
const S_IRWXUGO = 0o777;

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class IpcIds<T extends IpcObject> {
  readonly #byIndex: (T | undefined)[] = [];
  readonly #byKey = new Map<number, T>();
  #seq = 0;
  #inUse = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.#inUse;
  }

  /** The highest index in use, or -1 (what IPC_INFO and *_INFO return). */
  maxIndex(): number {
    for (let i = this.#byIndex.length - 1; i >= 0; i--) if (this.#byIndex[i]) return i;
    return -1;
  }

  /** The object `id` names, or null (EINVAL for the caller; EIDRM is the kinds' own). */
  lookup(id: number): T | null {
    if (id < 0) return null;
    const obj = this.#byIndex[id % IPCMNI];
    return obj && obj.id === id ? obj : null;
  }

  /** The object at index `idx` (SHM_STAT, SEM_STAT, MSG_STAT). */
  atIndex(idx: number): T | null {
    return (idx >= 0 && this.#byIndex[idx]) || null;
  }

  /** A new object: `make` gets the id and the initial permissions; null when the kind is full. */
  add(key: number, mode: number, c: Credentials, make: (id: number, perm: IpcPerm) => T): T | null {
    if (this.#inUse >= this.limit) return null;
    let idx = 0;
    while (this.#byIndex[idx]) idx++;
    const seq = this.#seq;
    this.#seq = seq >= IPCID_SEQ_MAX ? 0 : seq + 1;
    const perm: IpcPerm = { key, uid: c.euid, gid: c.egid, cuid: c.euid, cgid: c.egid, mode: mode & S_IRWXUGO, seq };
    const obj = make(idx + seq * IPCMNI, perm);
    this.#byIndex[idx] = obj;
    if (key !== IPC_PRIVATE) this.#byKey.set(key, obj);
    this.#inUse++;
    return obj;
  }

  /** IPC_RMID: the id and the key are free from now on. */
  remove(obj: T): void {
    const idx = obj.id % IPCMNI;
    if (this.#byIndex[idx] !== obj) return;
    this.#byIndex[idx] = undefined;
    while (this.#byIndex.length > 0 && !this.#byIndex[this.#byIndex.length - 1]) this.#byIndex.length--;
    this.forgetKey(obj);
    this.#inUse--;
  }

  /** The key no longer finds `obj` (a segment marked for removal while still attached). */
  forgetKey(obj: T): void {
    if (obj.perm.key !== IPC_PRIVATE && this.#byKey.get(obj.perm.key) === obj) this.#byKey.delete(obj.perm.key);
    obj.perm.key = IPC_PRIVATE;
  }

  byKey(key: number): T | undefined {
    return this.#byKey.get(key);
  }

  *values(): Generator<T> {
    for (const obj of this.#byIndex) if (obj) yield obj;
  }
}

/**
 * msgget/semget/shmget (ipcget): the id, or -errno. `create` makes the object (or answers
 * an errno such as EINVAL for a bad size); `check` is the kind's test of an existing one.
 */
export function ipcGet<T extends IpcObject>(
  ids: IpcIds<T>, key: number, flags: number, c: Credentials,
  create: (id: number, perm: IpcPerm) => T, valid: () => number, check: (obj: T) => number,
): number {
  const found = key === IPC_PRIVATE ? undefined : ids.byKey(key);
  if (!found) {
    if (key !== IPC_PRIVATE && !(flags & IPC_CREAT)) return -ENOENT;
    const bad = valid();
    if (bad < 0) return bad;
    return ids.add(key, flags, c, create)?.id ?? -ENOSPC;
  }
  if (flags & IPC_CREAT && flags & IPC_EXCL) return -EEXIST;
  if (!permits(found.perm, c, flags)) return -EACCES;
  const bad = check(found);
  return bad < 0 ? bad : found.id;
}

/** ipcperms: `requested` (rwx bits in any of the three places) granted by the object's mode. */
export function permits(perm: IpcPerm, c: Credentials, requested: number): boolean {
  requested = (requested >> 6) | (requested >> 3) | requested;
  let granted = perm.mode;
  if (c.euid === perm.cuid || c.euid === perm.uid) granted >>= 6;
  else if (inGroup(c, perm.cgid) || inGroup(c, perm.gid)) granted >>= 3;
  return (requested & ~granted & 0o7) === 0 || capable(c, CAP_IPC_OWNER);
}

/** Read or write access as the calls ask for it: S_IRUGO or S_IWUGO. */
export const READ = 0o444;
export const WRITE = 0o222;

/** IPC_SET and IPC_RMID (ipcctl_obtain_check): the owner, the creator or CAP_SYS_ADMIN. */
export function mayControl(perm: IpcPerm, c: Credentials): number {
  return c.euid === perm.cuid || c.euid === perm.uid || capable(c, CAP_SYS_ADMIN) ? 0 : -EPERM;
}

/** IPC_SET's common part: owner and the permission bits. */
export function setPerm(obj: IpcObject, next: { uid: number; gid: number; mode: number }): void {
  obj.perm.uid = next.uid;
  obj.perm.gid = next.gid;
  obj.perm.mode = (obj.perm.mode & ~S_IRWXUGO) | (next.mode & S_IRWXUGO);
  obj.ctime = nowSeconds();
}

/**
 * A retry's answer when the call would block under IPC_NOWAIT. sleep() takes -EAGAIN from
 * a retry as "keep waiting", so EAGAIN travels as this and is turned back by ipcSleep.
 */
export const WOULD_BLOCK = -0x10000;

/** A blocking IPC call: a signal ends it with EINTR (these calls are never restarted). */
export function ipcSleep(t: Thread, q: WaitQueue, retry: () => number, deadline?: number): number | Promise<number> {
  const r = sleep(t, [q], retry, { deadline, onTimeout: -EAGAIN, interrupted: -EINTR });
  const answer = (x: number): number => (x === WOULD_BLOCK ? -EAGAIN : x);
  return typeof r === "number" ? answer(r) : r.then(answer);
}
