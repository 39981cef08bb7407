// Advisory file locks (Linux: fs/locks.c). The syscall side is sys/sys_lock.ts.
//
//   record locks  fcntl(2) F_GETLK/F_SETLK/F_SETLKW: read (shared) and write (exclusive)
//                 locks on byte ranges [start, end], end TO_EOF for "to the end of the
//                 file". A POSIX lock is owned by a process (its owner is the pid, a
//                 number); an OFD lock (F_OFD_*) by an open file description (an object).
//                 An owner's own locks never conflict with each other: a new request is
//                 merged with, splits, upgrades or downgrades what the owner already holds.
//   flock locks   flock(2): whole-file shared or exclusive locks owned by an open file
//                 description. They never interact with record locks. Converting one
//                 is not atomic: the old lock goes first (and stays gone if the new one
//                 cannot be had), as in Linux.
//
// Files are named by a key the caller builds from fstat (`${dev}:${ino}`). The table
// holds no I/O: a blocking request (F_SETLKW, flock without LOCK_NB) sleeps on its file's
// wait queue and tries again after each change, so a signal interrupts it like any other
// sleep (-ERESTARTSYS). A POSIX request that would wait for an owner that (transitively)
// waits for it fails with EDEADLK instead (posix_locks_deadlock); OFD requests are not
// checked, as in Linux.
//
// Release, which the descriptor paths call:
//   closed(pid, file)        a process closed any descriptor of `file`: all its POSIX
//                            locks on that file go (even those taken through other fds)
//   releaseDescription(ofd)  the last reference to an open file description went: its
//                            OFD and flock locks go
//   processExited(pid)       all the POSIX locks of the process go
//   holds(owner)             whether an owner holds any lock (skips the fstat on close)

import { EAGAIN, EDEADLK, EINVAL, EOVERFLOW } from "../linux-abi/errno.ts";
import { F_UNLCK, F_WRLCK, type Flock } from "../linux-abi/fcntl.ts";
import { SEEK_CUR, SEEK_END, SEEK_SET } from "../linux-abi/fs.ts";
import type { Thread } from "./process.ts";
import { AGAIN, WaitQueue, sleep } from "./wait_queue.ts";

/** The end of a range that runs to the end of the file, however far it grows. */
export const TO_EOF = Infinity;
/** Linux's OFFSET_MAX (2^63 - 1, held as the nearest double). */
const OFFSET_MAX = 2 ** 63 - 1;
/** How far posix_locks_deadlock follows a chain of waiting owners. */
const MAX_DEADLK_ITERATIONS = 10;

/** A POSIX lock's owner is its process's pid; an OFD or flock lock's owner is its open file description. */
export type LockOwner = number | object;

export interface LockRange {
  start: number;
  /** Inclusive; TO_EOF for l_len 0. */
  end: number;
}

/** A record lock request: type F_RDLCK, F_WRLCK or F_UNLCK over an absolute range. */
export interface RecordRequest extends LockRange {
  file: string;
  owner: LockOwner;
  type: number;
}

/** A lock as F_GETLK reports it: pid is the owner's, or -1 for an OFD lock. */
export interface HeldRecord extends LockRange {
  type: number;
  pid: number;
}

/** A flock(2) request: type F_RDLCK (LOCK_SH), F_WRLCK (LOCK_EX) or F_UNLCK (LOCK_UN). */
export interface FlockRequest {
  file: string;
  owner: object;
  type: number;
}

interface RecordLock extends LockRange {
  readonly owner: LockOwner;
  readonly type: number;
}

interface FlockLock {
  readonly owner: object;
  readonly type: number;
}

interface FileState {
  records: RecordLock[];
  flocks: FlockLock[];
  /** Blocked requests sleep here; every change notifies it. */
  readonly changed: WaitQueue;
  /** Sleeping requests: the state outlives its locks while anyone waits on `changed`. */
  sleepers: number;
}

/** An F_SETLKW asleep and the lock it waits for; POSIX ones are listed for deadlock detection (Linux's blocked_hash). */
interface Waiter {
  readonly owner: LockOwner;
  readonly file: string;
  blocker: RecordLock | null;
}

/**
 * The absolute range a struct flock names (flock64_to_posix_lock): l_whence SEEK_SET,
 * SEEK_CUR (from `at.offset`) or SEEK_END (from `at.size`); a negative l_len reaches back
 * from l_start. Returns -EINVAL or -EOVERFLOW for a range Linux refuses.
 */
export function lockRange(fl: Flock, at: { offset: number; size: number }): LockRange | number {
  let base: number;
  if (fl.l_whence === SEEK_SET) base = 0;
  else if (fl.l_whence === SEEK_CUR) base = at.offset;
  else if (fl.l_whence === SEEK_END) base = at.size;
  else return -EINVAL;
  let start = base + fl.l_start;
  if (start > OFFSET_MAX) return -EOVERFLOW;
  if (start < 0) return -EINVAL;
  if (fl.l_len === 0) return { start, end: TO_EOF };
  if (fl.l_len > 0) {
    const end = start + fl.l_len - 1;
    if (end > OFFSET_MAX) return -EOVERFLOW;
    return { start, end: end === OFFSET_MAX ? TO_EOF : end };
  }
  if (start + fl.l_len < 0) return -EINVAL;
  const end = start - 1;
  start += fl.l_len;
  return { start, end };
}

function overlaps(a: LockRange, b: LockRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

function recordsConflict(held: RecordLock, req: RecordRequest): boolean {
  return held.owner !== req.owner && overlaps(held, req) && (held.type === F_WRLCK || req.type === F_WRLCK);
}

/** The owner's locks after `req`: carved out where it lands, merged with same-type neighbours. */
function applyRecord(records: readonly RecordLock[], req: RecordRequest): RecordLock[] {
  const others: RecordLock[] = [];
  const mine: RecordLock[] = [];
  for (const l of records) {
    if (l.owner !== req.owner) others.push(l);
    else if (!overlaps(l, req)) mine.push(l);
    else {
      if (l.start < req.start) mine.push({ ...l, end: req.start - 1 });
      if (l.end > req.end) mine.push({ ...l, start: req.end + 1 });
    }
  }
  if (req.type !== F_UNLCK) mine.push({ owner: req.owner, type: req.type, start: req.start, end: req.end });
  mine.sort((a, b) => a.start - b.start);
  const merged: RecordLock[] = [];
  for (const l of mine) {
    const last = merged[merged.length - 1];
    // Adjacent counts: "start - 1" as Linux compares, since TO_EOF + 1 is no number.
    if (last && last.type === l.type && l.start - 1 <= last.end) merged[merged.length - 1] = { ...last, end: Math.max(last.end, l.end) };
    else merged.push(l);
  }
  return [...others, ...merged];
}

export class FileLocks {
  readonly #files = new Map<string, FileState>();
  readonly #waiters = new Set<Waiter>();

  /** F_GETLK: the conflicting lock with the lowest start, or null when `req` could be set now. */
  testRecord(req: RecordRequest): HeldRecord | null {
    const c = this.#conflict(this.#files.get(req.file), req);
    return c && { type: c.type, start: c.start, end: c.end, pid: typeof c.owner === "number" ? c.owner : -1 };
  }

  /**
   * F_SETLK (no `waiter`): set or clear at once, or -EAGAIN on a conflict. F_SETLKW: the
   * waiting thread sleeps until it can (or -EDEADLK, or -ERESTARTSYS on a signal).
   */
  setRecord(req: RecordRequest, waiter?: Thread): number | Promise<number> {
    const s = this.#state(req.file);
    if (!waiter) return this.#settle(req.file, this.#trySetRecord(s, req, null));
    const w: Waiter = { owner: req.owner, file: req.file, blocker: null };
    return this.#sleep(waiter, req.file, s, () => this.#trySetRecord(s, req, w), w);
  }

  /** flock(2); without `waiter` (LOCK_NB) a conflict answers -EWOULDBLOCK. */
  flock(req: FlockRequest, waiter?: Thread): number | Promise<number> {
    const s = this.#state(req.file);
    const mine = s.flocks.find((l) => l.owner === req.owner);
    if (mine?.type === req.type) return 0;
    if (mine) {
      s.flocks = s.flocks.filter((l) => l !== mine);
      s.changed.notify();
    }
    if (req.type === F_UNLCK) return this.#settle(req.file, 0);
    const attempt = (): number => {
      if (s.flocks.some((l) => l.owner !== req.owner && (l.type === F_WRLCK || req.type === F_WRLCK))) return AGAIN;
      s.flocks.push({ owner: req.owner, type: req.type });
      return 0;
    };
    if (!waiter) return this.#settle(req.file, attempt());
    return this.#sleep(waiter, req.file, s, attempt, null);
  }

  /** A process closed a descriptor of `file`: its POSIX locks there go. */
  closed(pid: number, file: string): void {
    const s = this.#files.get(file);
    if (!s) return;
    this.#drop(file, s, (l) => l.owner === pid);
  }

  /** The last reference to an open file description went: its OFD and flock locks go. */
  releaseDescription(ofd: object): void {
    for (const [file, s] of this.#files) this.#drop(file, s, (l) => l.owner === ofd);
  }

  processExited(pid: number): void {
    for (const [file, s] of this.#files) this.#drop(file, s, (l) => l.owner === pid);
  }

  holds(owner: LockOwner): boolean {
    for (const s of this.#files.values()) {
      if (s.records.some((l) => l.owner === owner) || s.flocks.some((l) => l.owner === owner)) return true;
    }
    return false;
  }

  #state(file: string): FileState {
    let s = this.#files.get(file);
    if (!s) {
      s = { records: [], flocks: [], changed: new WaitQueue(), sleepers: 0 };
      this.#files.set(file, s);
    }
    return s;
  }

  /** Forget a file's state once nothing holds or waits for it. */
  #settle(file: string, result: number): number {
    const s = this.#files.get(file);
    if (s && s.records.length === 0 && s.flocks.length === 0 && s.sleepers === 0) this.#files.delete(file);
    return result;
  }

  #drop(file: string, s: FileState, gone: (l: RecordLock | FlockLock) => boolean): void {
    const records = s.records.filter((l) => !gone(l));
    const flocks = s.flocks.filter((l) => !gone(l));
    if (records.length === s.records.length && flocks.length === s.flocks.length) return;
    s.records = records;
    s.flocks = flocks;
    s.changed.notify();
    this.#settle(file, 0);
  }

  #conflict(s: FileState | undefined, req: RecordRequest): RecordLock | null {
    let first: RecordLock | null = null;
    for (const l of s?.records ?? []) if (recordsConflict(l, req) && (!first || l.start < first.start)) first = l;
    return first;
  }

  /** One attempt (posix_lock_inode) by a request that may wait (`w`) or not: 0, -EAGAIN (AGAIN), -EDEADLK. */
  #trySetRecord(s: FileState, req: RecordRequest, w: Waiter | null): number {
    if (req.type !== F_UNLCK) {
      const blocker = this.#conflict(s, req);
      if (blocker && w && typeof w.owner === "number") {
        if (this.#deadlocks(w.owner, blocker)) return -EDEADLK;
        w.blocker = blocker;
        this.#waiters.add(w);
      }
      if (blocker) return -EAGAIN;
    }
    s.records = applyRecord(s.records, req);
    s.changed.notify();
    return 0;
  }

  /** Would `owner` waiting for `blocker` close a cycle of POSIX owners waiting for each other? */
  #deadlocks(owner: number, blocker: RecordLock): boolean {
    let i = 0;
    for (let b = this.#waitedFor(blocker); b; b = this.#waitedFor(b)) {
      if (i++ > MAX_DEADLK_ITERATIONS) return false;
      if (b.owner === owner) return true;
    }
    return false;
  }

  /** The lock that the owner of `held` waits for, if it is asleep in F_SETLKW (what_owner_is_waiting_for). */
  #waitedFor(held: RecordLock): RecordLock | null {
    for (const w of this.#waiters) {
      // A blocker already gone no longer holds anyone: that waiter is about to retry.
      if (w.owner === held.owner && w.blocker && this.#files.get(w.file)?.records.includes(w.blocker)) return w.blocker;
    }
    return null;
  }

  #sleep(t: Thread, file: string, s: FileState, attempt: () => number, w: Waiter | null): number | Promise<number> {
    s.sleepers++;
    const done = (r: number): number => {
      if (w) this.#waiters.delete(w);
      s.sleepers--;
      return this.#settle(file, r);
    };
    const r = sleep(t, [s.changed], attempt);
    return typeof r === "number" ? done(r) : r.then(done);
  }
}
