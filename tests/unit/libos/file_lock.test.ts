import { describe, expect, it } from "vitest";
import { EAGAIN, EBADF, EDEADLK, EFAULT, EINVAL, EOVERFLOW, EWOULDBLOCK } from "../../../linux-abi/errno.ts";
import * as F from "../../../linux-abi/fcntl.ts";
import { SEEK_CUR, SEEK_END, SEEK_SET } from "../../../linux-abi/fs.ts";
import { FIRST_ARG } from "../../../syscall-shim/x86_64.ts";
import type { FsStat } from "../../../fs-task/file_system.ts";
import { FileLocks, TO_EOF, lockRange, type LockOwner, type RecordRequest } from "../../../libos/file_lock.ts";
import { OpenFile, type FileOps } from "../../../libos/file.ts";
import { PAGE } from "../../../libos/memory.ts";
import type { Thread } from "../../../libos/process.ts";
import { SyscallArgs } from "../../../libos/sys/args.ts";
import type { KernelServices } from "../../../libos/sys/context.ts";
import { fcntlLock, fileLockKey, releaseOnClose, sysFlock } from "../../../libos/sys/sys_lock.ts";
import { ERESTARTSYS } from "../../../libos/wait_queue.ts";
import { RW, flushMicrotasks, killInfo, makeProcess, makeThread, track } from "./_fake_process.ts";

const FILE = "8:42";
const OTHER_FILE = "8:43";

/** A record request on FILE. */
function rec(owner: LockOwner, type: number, start: number, end: number, file = FILE): RecordRequest {
  return { file, owner, type, start, end };
}

const RD = F.F_RDLCK, WR = F.F_WRLCK, UN = F.F_UNLCK;

/** What another owner sees over [start, end] with a write probe: the lowest conflicting lock. */
function probe(locks: FileLocks, start: number, end: number, file = FILE): [number, number, number, number] | null {
  const h = locks.testRecord(rec(-1, WR, start, end, file));
  return h && [h.type, h.start, h.end, h.pid];
}

describe("lockRange()", () => {
  const at = { offset: 100, size: 1000 };
  const fl = (l_whence: number, l_start: number, l_len: number): F.Flock => ({ l_type: RD, l_whence, l_start, l_len, l_pid: 0 });

  it("SEEK_SET with a positive length covers [start, start + len - 1]", () => {
    expect(lockRange(fl(SEEK_SET, 10, 5), at)).toEqual({ start: 10, end: 14 });
  });

  it("l_len 0 runs to the end of the file", () => {
    expect(lockRange(fl(SEEK_SET, 10, 0), at)).toEqual({ start: 10, end: TO_EOF });
  });

  it("a negative length reaches back from l_start", () => {
    expect(lockRange(fl(SEEK_SET, 10, -4), at)).toEqual({ start: 6, end: 9 });
    expect(lockRange(fl(SEEK_SET, 10, -10), at)).toEqual({ start: 0, end: 9 });
    expect(lockRange(fl(SEEK_SET, 10, -11), at)).toBe(-EINVAL);
  });

  it("SEEK_CUR counts from the file offset and SEEK_END from the size", () => {
    expect(lockRange(fl(SEEK_CUR, -20, 2), at)).toEqual({ start: 80, end: 81 });
    expect(lockRange(fl(SEEK_END, 0, 0), at)).toEqual({ start: 1000, end: TO_EOF });
    expect(lockRange(fl(SEEK_END, -1, 1), at)).toEqual({ start: 999, end: 999 });
  });

  it("rejects an unknown whence, a start before 0 and ranges past OFFSET_MAX", () => {
    expect(lockRange(fl(3, 0, 1), at)).toBe(-EINVAL);
    expect(lockRange(fl(SEEK_SET, -1, 1), at)).toBe(-EINVAL);
    expect(lockRange(fl(SEEK_END, -1001, 1), at)).toBe(-EINVAL);
    expect(lockRange(fl(SEEK_SET, 2 ** 62, 2 ** 62 + 2 ** 12), at)).toBe(-EOVERFLOW);
    expect(lockRange(fl(SEEK_SET, 2 ** 62, 2 ** 62), at)).toEqual({ start: 2 ** 62, end: TO_EOF });
  });
});

describe("FileLocks record locks", () => {
  it("read locks of two processes share; a write lock conflicts with either", () => {
    const locks = new FileLocks();
    expect(locks.setRecord(rec(1, RD, 0, 9))).toBe(0);
    expect(locks.setRecord(rec(2, RD, 5, 14))).toBe(0);
    expect(locks.setRecord(rec(3, WR, 9, 9))).toBe(-EAGAIN);
    expect(locks.setRecord(rec(3, WR, 15, 20))).toBe(0);
    expect(locks.setRecord(rec(1, WR, 20, 20))).toBe(-EAGAIN);
  });

  it("an owner's own locks never conflict: it upgrades and downgrades in place", () => {
    const locks = new FileLocks();
    expect(locks.setRecord(rec(1, RD, 0, 9))).toBe(0);
    expect(locks.setRecord(rec(1, WR, 0, 9))).toBe(0);
    expect(probe(locks, 0, 100)).toEqual([WR, 0, 9, 1]);
    expect(locks.setRecord(rec(1, RD, 0, 9))).toBe(0);
    expect(probe(locks, 0, 100)).toEqual([RD, 0, 9, 1]);
    expect(locks.setRecord(rec(2, RD, 0, 9))).toBe(0);
  });

  it("merges overlapping and adjacent locks of the same type", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(1, RD, 0, 9));
    locks.setRecord(rec(1, RD, 10, 19));
    locks.setRecord(rec(1, RD, 15, 29));
    expect(probe(locks, 0, 100)).toEqual([RD, 0, 29, 1]);
    locks.setRecord(rec(1, RD, 40, 49));
    locks.setRecord(rec(1, RD, 30, 39));
    expect(probe(locks, 0, 100)).toEqual([RD, 0, 49, 1]);
  });

  it("does not merge adjacent locks of different types", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(1, RD, 0, 9));
    locks.setRecord(rec(1, WR, 10, 19));
    expect(probe(locks, 0, 100)).toEqual([RD, 0, 9, 1]);
    expect(probe(locks, 10, 100)).toEqual([WR, 10, 19, 1]);
  });

  it("a lock of another type in the middle splits an owner's lock in three", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(1, RD, 0, 99));
    locks.setRecord(rec(1, WR, 40, 59));
    expect(probe(locks, 0, 100)).toEqual([RD, 0, 39, 1]);
    expect(probe(locks, 40, 100)).toEqual([WR, 40, 59, 1]);
    expect(probe(locks, 60, 100)).toEqual([RD, 60, 99, 1]);
    // Another reader fits around the write lock but not over it.
    expect(locks.setRecord(rec(2, RD, 0, 39))).toBe(0);
    expect(locks.setRecord(rec(2, RD, 59, 60))).toBe(-EAGAIN);
  });

  it("unlocking a sub-range splits the lock; unlocking what is not held succeeds", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(1, WR, 0, TO_EOF));
    expect(locks.setRecord(rec(1, UN, 100, 199))).toBe(0);
    expect(probe(locks, 0, TO_EOF)).toEqual([WR, 0, 99, 1]);
    expect(probe(locks, 100, 199)).toBeNull();
    expect(probe(locks, 100, 200)).toEqual([WR, 200, TO_EOF, 1]);
    expect(locks.setRecord(rec(1, UN, 0, TO_EOF))).toBe(0);
    expect(probe(locks, 0, TO_EOF)).toBeNull();
    expect(locks.setRecord(rec(1, UN, 0, TO_EOF))).toBe(0);
    expect(locks.holds(1)).toBe(false);
  });

  it("an upgrade that conflicts fails whole and leaves the owner's lock as it was", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(1, RD, 0, 9));
    locks.setRecord(rec(2, RD, 5, 5));
    expect(locks.setRecord(rec(1, WR, 0, 9))).toBe(-EAGAIN);
    expect(locks.testRecord(rec(3, WR, 0, 4))).toEqual({ type: RD, start: 0, end: 9, pid: 1 });
  });

  it("a lock to EOF conflicts with any later range", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(1, WR, 1000, TO_EOF));
    expect(locks.setRecord(rec(2, RD, 2 ** 50, 2 ** 50))).toBe(-EAGAIN);
    expect(locks.setRecord(rec(2, RD, 0, 999))).toBe(0);
  });

  it("files are independent", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(1, WR, 0, TO_EOF));
    expect(locks.setRecord(rec(2, WR, 0, TO_EOF, OTHER_FILE))).toBe(0);
  });
});

describe("FileLocks testRecord() (F_GETLK)", () => {
  it("answers null when the request could be set now", () => {
    const locks = new FileLocks();
    expect(locks.testRecord(rec(1, WR, 0, TO_EOF))).toBeNull();
    locks.setRecord(rec(1, RD, 0, 9));
    expect(locks.testRecord(rec(2, RD, 0, 9))).toBeNull();
    expect(locks.testRecord(rec(1, WR, 0, 9))).toBeNull(); // its own lock
  });

  it("reports the conflicting lock with the lowest start and its owner's pid", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(7, WR, 50, 59));
    locks.setRecord(rec(8, RD, 10, 19));
    expect(locks.testRecord(rec(9, WR, 0, 100))).toEqual({ type: RD, start: 10, end: 19, pid: 8 });
    expect(locks.testRecord(rec(9, RD, 0, 100))).toEqual({ type: WR, start: 50, end: 59, pid: 7 });
  });
});

describe("FileLocks OFD locks", () => {
  it("belong to the open file description: two descriptions conflict, one does not with itself", () => {
    const locks = new FileLocks();
    const ofdA = {}, ofdB = {};
    expect(locks.setRecord(rec(ofdA, WR, 0, 9))).toBe(0);
    expect(locks.setRecord(rec(ofdA, WR, 5, 14))).toBe(0);
    expect(locks.setRecord(rec(ofdB, RD, 14, 14))).toBe(-EAGAIN);
    expect(probe(locks, 0, 100)).toEqual([WR, 0, 14, -1]);
  });

  it("conflict with the POSIX locks of the very process that holds the description", () => {
    const locks = new FileLocks();
    const ofd = {};
    expect(locks.setRecord(rec(1, WR, 0, 9))).toBe(0);
    expect(locks.setRecord(rec(ofd, RD, 0, 0))).toBe(-EAGAIN);
    expect(locks.testRecord(rec(ofd, RD, 0, 0))).toEqual({ type: WR, start: 0, end: 9, pid: 1 });
    expect(locks.setRecord(rec(ofd, RD, 10, 19))).toBe(0);
    expect(locks.testRecord(rec(1, WR, 0, 19))).toEqual({ type: RD, start: 10, end: 19, pid: -1 });
  });
});

describe("FileLocks flock()", () => {
  it("shared locks share, an exclusive lock excludes, LOCK_UN releases", () => {
    const locks = new FileLocks();
    const a = {}, b = {}, c = {};
    expect(locks.flock({ file: FILE, owner: a, type: RD })).toBe(0);
    expect(locks.flock({ file: FILE, owner: b, type: RD })).toBe(0);
    expect(locks.flock({ file: FILE, owner: c, type: WR })).toBe(-EWOULDBLOCK);
    expect(locks.flock({ file: FILE, owner: a, type: UN })).toBe(0);
    expect(locks.flock({ file: FILE, owner: b, type: UN })).toBe(0);
    expect(locks.flock({ file: FILE, owner: c, type: WR })).toBe(0);
    expect(locks.flock({ file: FILE, owner: c, type: WR })).toBe(0);
    expect(locks.flock({ file: FILE, owner: a, type: RD })).toBe(-EWOULDBLOCK);
  });

  it("converting is not atomic: a failed upgrade has already dropped the shared lock", () => {
    const locks = new FileLocks();
    const a = {}, b = {}, c = {};
    locks.flock({ file: FILE, owner: a, type: RD });
    locks.flock({ file: FILE, owner: b, type: RD });
    expect(locks.flock({ file: FILE, owner: a, type: WR })).toBe(-EWOULDBLOCK);
    expect(locks.holds(a)).toBe(false);
    locks.flock({ file: FILE, owner: b, type: UN });
    expect(locks.flock({ file: FILE, owner: c, type: WR })).toBe(0);
  });

  it("a downgrade lets other shared lockers in", () => {
    const locks = new FileLocks();
    const a = {}, b = {};
    locks.flock({ file: FILE, owner: a, type: WR });
    expect(locks.flock({ file: FILE, owner: a, type: RD })).toBe(0);
    expect(locks.flock({ file: FILE, owner: b, type: RD })).toBe(0);
  });

  it("flock and record locks never interact", () => {
    const locks = new FileLocks();
    const ofd = {};
    locks.setRecord(rec(1, WR, 0, TO_EOF));
    expect(locks.flock({ file: FILE, owner: ofd, type: WR })).toBe(0);
    expect(locks.testRecord(rec(ofd, WR, 0, 0))).toEqual({ type: WR, start: 0, end: TO_EOF, pid: 1 });
  });
});

describe("FileLocks release", () => {
  it("closed(pid, file) drops every POSIX lock of the process on that file only", () => {
    const locks = new FileLocks();
    const ofd = {};
    locks.setRecord(rec(1, RD, 0, 9));
    locks.setRecord(rec(1, WR, 20, 29));
    locks.setRecord(rec(1, WR, 0, 9, OTHER_FILE));
    locks.setRecord(rec(ofd, WR, 100, 109));
    locks.flock({ file: FILE, owner: ofd, type: WR });
    locks.closed(1, FILE);
    expect(probe(locks, 0, 99)).toBeNull();
    expect(probe(locks, 0, 9, OTHER_FILE)).toEqual([WR, 0, 9, 1]);
    expect(probe(locks, 0, 200)).toEqual([WR, 100, 109, -1]);
    expect(locks.flock({ file: FILE, owner: {}, type: RD })).toBe(-EWOULDBLOCK);
  });

  it("releaseDescription(ofd) drops its OFD and flock locks, not the process's POSIX locks", () => {
    const locks = new FileLocks();
    const ofd = {};
    locks.setRecord(rec(1, WR, 0, 9));
    locks.setRecord(rec(ofd, WR, 10, 19));
    locks.setRecord(rec(ofd, WR, 0, 0, OTHER_FILE));
    locks.flock({ file: FILE, owner: ofd, type: WR });
    expect(locks.holds(ofd)).toBe(true);
    locks.releaseDescription(ofd);
    expect(locks.holds(ofd)).toBe(false);
    expect(probe(locks, 0, 100)).toEqual([WR, 0, 9, 1]);
    expect(probe(locks, 0, 0, OTHER_FILE)).toBeNull();
    expect(locks.flock({ file: FILE, owner: {}, type: WR })).toBe(0);
  });

  it("processExited(pid) drops the process's POSIX locks on every file", () => {
    const locks = new FileLocks();
    locks.setRecord(rec(1, WR, 0, 9));
    locks.setRecord(rec(1, RD, 0, 9, OTHER_FILE));
    locks.setRecord(rec(2, RD, 50, 50));
    locks.processExited(1);
    expect(locks.holds(1)).toBe(false);
    expect(probe(locks, 0, 9)).toBeNull();
    expect(probe(locks, 0, 9, OTHER_FILE)).toBeNull();
    expect(probe(locks, 0, 100)).toEqual([RD, 50, 50, 2]);
  });
});

describe("FileLocks blocking requests", () => {
  it("F_SETLKW sleeps until the conflicting lock goes, then holds the lock", async () => {
    const locks = new FileLocks();
    const t = makeThread();
    locks.setRecord(rec(1, WR, 0, 9));
    const r = locks.setRecord(rec(t.process.pid, WR, 5, 14), t);
    expect(r).toBeInstanceOf(Promise);
    const s = track(r as Promise<number>);
    // A change that leaves the conflict in place does not end the wait.
    locks.setRecord(rec(1, WR, 0, 5));
    await flushMicrotasks();
    expect(s.settled).toBe(false);
    locks.setRecord(rec(1, UN, 0, 9));
    expect(await r).toBe(0);
    expect(t.sleeper).toBeNull();
    expect(probe(locks, 0, 100)).toEqual([WR, 5, 14, t.process.pid]);
  });

  it("a request that can be had at once answers synchronously", () => {
    const locks = new FileLocks();
    const t = makeThread();
    expect(locks.setRecord(rec(t.process.pid, WR, 0, 9), t)).toBe(0);
  });

  it("a close, a description's release and an exit wake waiters", async () => {
    const locks = new FileLocks();
    const ofd = {};
    const [t1, t2, t3] = [makeThread(), makeThread(), makeThread()];
    locks.setRecord(rec(1, WR, 0, 0));
    locks.setRecord(rec(2, WR, 1, 1));
    locks.setRecord(rec(ofd, WR, 2, 2));
    const r1 = locks.setRecord(rec(t1.process.pid, RD, 0, 0), t1);
    const r2 = locks.setRecord(rec(t2.process.pid, RD, 1, 1), t2);
    const r3 = locks.setRecord(rec(t3.process.pid, RD, 2, 2), t3);
    locks.closed(1, FILE);
    locks.processExited(2);
    locks.releaseDescription(ofd);
    expect(await Promise.all([r1, r2, r3])).toEqual([0, 0, 0]);
  });

  it("a blocking flock waits for the exclusive lock to go", async () => {
    const locks = new FileLocks();
    const a = {}, b = {};
    const t = makeThread();
    locks.flock({ file: FILE, owner: a, type: WR });
    const r = locks.flock({ file: FILE, owner: b, type: RD }, t);
    expect(r).toBeInstanceOf(Promise);
    const s = track(r as Promise<number>);
    await flushMicrotasks();
    expect(s.settled).toBe(false);
    locks.flock({ file: FILE, owner: a, type: UN });
    expect(await r).toBe(0);
    expect(locks.flock({ file: FILE, owner: a, type: WR })).toBe(-EWOULDBLOCK);
  });

  it("a signal ends the wait with -ERESTARTSYS and the lock is not taken", async () => {
    const locks = new FileLocks();
    const t = makeThread();
    locks.setRecord(rec(1, WR, 0, 9));
    const r = locks.setRecord(rec(t.process.pid, WR, 0, 9), t);
    t.sleeper!.interrupt();
    expect(await r).toBe(-ERESTARTSYS);
    locks.setRecord(rec(1, UN, 0, 9));
    await flushMicrotasks();
    expect(locks.holds(t.process.pid)).toBe(false);
  });

  it("a signal already pending answers -ERESTARTSYS without sleeping", () => {
    const locks = new FileLocks();
    const t = makeThread();
    t.process.pending.add(killInfo(10));
    locks.flock({ file: FILE, owner: {}, type: WR });
    expect(locks.flock({ file: FILE, owner: {}, type: WR }, t)).toBe(-ERESTARTSYS);
    expect(t.sleeper).toBeNull();
  });

  it("an interrupted waiter no longer counts for deadlock detection", async () => {
    const locks = new FileLocks();
    const [a, b] = [makeThread(), makeThread()];
    const [pa, pb] = [a.process.pid, b.process.pid];
    locks.setRecord(rec(pa, WR, 0, 0));
    locks.setRecord(rec(pb, WR, 1, 1));
    const ra = locks.setRecord(rec(pa, WR, 1, 1), a);
    a.sleeper!.interrupt();
    expect(await ra).toBe(-ERESTARTSYS);
    const rb = locks.setRecord(rec(pb, WR, 0, 0), b);
    expect(rb).toBeInstanceOf(Promise);
    locks.processExited(pa);
    expect(await rb).toBe(0);
  });
});

describe("FileLocks deadlock detection (EDEADLK)", () => {
  it("refuses the F_SETLKW that would close a cycle of two processes", async () => {
    const locks = new FileLocks();
    const [a, b] = [makeThread(), makeThread()];
    const [pa, pb] = [a.process.pid, b.process.pid];
    locks.setRecord(rec(pa, WR, 0, 0));
    locks.setRecord(rec(pb, WR, 1, 1));
    const ra = locks.setRecord(rec(pa, WR, 1, 1), a);
    expect(ra).toBeInstanceOf(Promise);
    expect(locks.setRecord(rec(pb, WR, 0, 0), b)).toBe(-EDEADLK);
    // F_SETLK never waits, so it cannot deadlock: plain EAGAIN.
    expect(locks.setRecord(rec(pb, WR, 0, 0))).toBe(-EAGAIN);
    locks.setRecord(rec(pb, UN, 1, 1));
    expect(await ra).toBe(0);
  });

  it("follows a longer chain, across files", async () => {
    const locks = new FileLocks();
    const [a, b, c] = [makeThread(), makeThread(), makeThread()];
    const [pa, pb, pc] = [a.process.pid, b.process.pid, c.process.pid];
    locks.setRecord(rec(pa, WR, 0, 0));
    locks.setRecord(rec(pb, WR, 0, 0, OTHER_FILE));
    locks.setRecord(rec(pc, WR, 5, 5));
    const ra = locks.setRecord(rec(pa, WR, 0, 0, OTHER_FILE), a); // a waits for b
    const rb = locks.setRecord(rec(pb, WR, 5, 5), b); // b waits for c
    expect(locks.setRecord(rec(pc, RD, 0, 0), c)).toBe(-EDEADLK); // c would wait for a
    locks.processExited(pc);
    expect(await rb).toBe(0);
    locks.processExited(pb);
    expect(await ra).toBe(0);
  });

  it("OFD requests are not checked, as in Linux", () => {
    const locks = new FileLocks();
    const [a, b] = [makeThread(), makeThread()];
    const ofdA = {}, ofdB = {};
    locks.setRecord(rec(ofdA, WR, 0, 0));
    locks.setRecord(rec(ofdB, WR, 1, 1));
    const ra = locks.setRecord(rec(ofdA, WR, 1, 1), a);
    const rb = locks.setRecord(rec(ofdB, WR, 0, 0), b);
    expect(ra).toBeInstanceOf(Promise);
    expect(rb).toBeInstanceOf(Promise);
    a.sleeper!.end(0);
    b.sleeper!.end(0);
  });
});

// ---- The syscall side (libos/sys/sys_lock.ts) over a fake kernel with a lock table. ----

const ARGP = 0x10000;

function fakeFile(flags: number, ino = 42, size = 1000): OpenFile {
  const stat: FsStat = {
    dev: 8, ino, mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, size, blksize: 4096, blocks: 0,
    atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n,
  };
  const ops: FileOps = {
    read: () => 0, write: () => 0, stat: () => stat, readdir: () => -EINVAL, truncate: () => 0, ioctl: () => -EINVAL,
    seekable: true, poll: () => 0, readiness: null, release: () => {}, path: "/f",
  };
  return new OpenFile(ops, flags);
}

interface Guest {
  k: KernelServices;
  t: Thread;
  fd: (f: OpenFile) => number;
  put: (fl: F.Flock) => void;
  get: () => F.Flock;
}

function guest(locks = new FileLocks()): Guest {
  const t = makeThread(makeProcess());
  const mem = t.process.memory;
  expect(mem.mmapAnonymous(ARGP, PAGE, RW, true)).toBe(ARGP);
  const k = { locks } as unknown as KernelServices;
  return {
    k, t,
    fd: (f) => t.process.fds.install(f, false),
    put: (fl) => {
      const b = new Uint8Array(F.SIZEOF_FLOCK);
      F.encodeFlock(new DataView(b.buffer), 0, fl);
      mem.write(ARGP, b);
    },
    get: () => {
      const b = new Uint8Array(F.SIZEOF_FLOCK);
      mem.read(ARGP, b);
      return F.decodeFlock(new DataView(b.buffer), 0);
    },
  };
}

function flockArgs(fd: number, op: number): SyscallArgs {
  const a = new SyscallArgs();
  a.words = new Uint32Array((FIRST_ARG + 6) * 2);
  a.words[FIRST_ARG * 2] = fd;
  a.words[(FIRST_ARG + 1) * 2] = op;
  return a;
}

const lk = (l_type: number, l_start: number, l_len: number, l_whence = SEEK_SET, l_pid = 0): F.Flock => ({ l_type, l_whence, l_start, l_len, l_pid });

describe("struct flock codec", () => {
  it("round-trips negative and 64-bit fields", () => {
    const b = new Uint8Array(F.SIZEOF_FLOCK).fill(0xff);
    const fl = lk(WR, 2 ** 40 + 3, -7, SEEK_END, 1234);
    F.encodeFlock(new DataView(b.buffer), 0, fl);
    expect(F.decodeFlock(new DataView(b.buffer), 0)).toEqual(fl);
    expect([...b.subarray(4, 8), ...b.subarray(28, 32)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("fcntlLock()", () => {
  it("F_SETLK then F_GETLK from another process reports the lock in SEEK_SET form", () => {
    const locks = new FileLocks();
    const a = guest(locks), b = guest(locks);
    const fa = a.fd(fakeFile(F.O_RDWR)), fb = b.fd(fakeFile(F.O_RDWR));
    a.put(lk(WR, -10, 0, SEEK_END));
    expect(fcntlLock(a.k, a.t, fa, F.F_SETLK, ARGP)).toBe(0);
    b.put(lk(RD, 0, 0));
    expect(fcntlLock(b.k, b.t, fb, F.F_GETLK, ARGP)).toBe(0);
    expect(b.get()).toEqual(lk(WR, 990, 0, SEEK_SET, a.t.process.pid));
    b.put(lk(WR, 0, 990));
    expect(fcntlLock(b.k, b.t, fb, F.F_SETLK, ARGP)).toBe(0);
    b.put(lk(WR, 989, 2));
    expect(fcntlLock(b.k, b.t, fb, F.F_SETLK, ARGP)).toBe(-EAGAIN);
  });

  it("F_GETLK without a conflict changes only l_type", () => {
    const g = guest();
    const fd = g.fd(fakeFile(F.O_RDWR));
    g.put(lk(WR, 5, -3, SEEK_CUR, 0));
    expect(fcntlLock(g.k, g.t, fd, F.F_GETLK, ARGP)).toBe(0);
    expect(g.get()).toEqual(lk(UN, 5, -3, SEEK_CUR, 0));
  });

  it("SEEK_CUR counts from the description's offset", () => {
    const locks = new FileLocks();
    const a = guest(locks), b = guest(locks);
    const f = fakeFile(F.O_RDWR);
    f.offset = 100;
    const fa = a.fd(f), fb = b.fd(fakeFile(F.O_RDWR));
    a.put(lk(WR, 5, 10, SEEK_CUR));
    expect(fcntlLock(a.k, a.t, fa, F.F_SETLK, ARGP)).toBe(0);
    b.put(lk(RD, 0, 0));
    fcntlLock(b.k, b.t, fb, F.F_GETLK, ARGP);
    expect(b.get()).toEqual(lk(WR, 105, 10, SEEK_SET, a.t.process.pid));
  });

  it("OFD commands need l_pid 0 and report OFD locks with l_pid -1", () => {
    const locks = new FileLocks();
    const a = guest(locks), b = guest(locks);
    const fa = a.fd(fakeFile(F.O_RDWR)), fb = b.fd(fakeFile(F.O_RDWR));
    a.put(lk(WR, 0, 1, SEEK_SET, 5));
    expect(fcntlLock(a.k, a.t, fa, F.F_OFD_SETLK, ARGP)).toBe(-EINVAL);
    a.put(lk(WR, 0, 1));
    expect(fcntlLock(a.k, a.t, fa, F.F_OFD_SETLK, ARGP)).toBe(0);
    b.put(lk(RD, 0, 1, SEEK_SET, 3));
    expect(fcntlLock(b.k, b.t, fb, F.F_OFD_GETLK, ARGP)).toBe(-EINVAL);
    b.put(lk(RD, 0, 1));
    expect(fcntlLock(b.k, b.t, fb, F.F_GETLK, ARGP)).toBe(0);
    expect(b.get()).toEqual(lk(WR, 0, 1, SEEK_SET, -1));
    // A second descriptor of the same description shares the lock; the description's end releases it.
    const fa2 = a.fd(a.t.process.fds.get(fa)!.ref());
    a.put(lk(WR, 0, 1));
    expect(fcntlLock(a.k, a.t, fa2, F.F_OFD_SETLK, ARGP)).toBe(0);
    locks.releaseDescription(a.t.process.fds.get(fa)!);
    b.put(lk(WR, 0, 1));
    expect(fcntlLock(b.k, b.t, fb, F.F_SETLK, ARGP)).toBe(0);
  });

  it("checks l_type, the access mode, the pointer and O_PATH", () => {
    const g = guest();
    const ro = g.fd(fakeFile(F.O_RDONLY)), wo = g.fd(fakeFile(F.O_WRONLY)), path = g.fd(fakeFile(F.O_PATH));
    g.put(lk(UN, 0, 0));
    expect(fcntlLock(g.k, g.t, ro, F.F_GETLK, ARGP)).toBe(-EINVAL);
    g.put(lk(3, 0, 0));
    expect(fcntlLock(g.k, g.t, ro, F.F_SETLK, ARGP)).toBe(-EINVAL);
    g.put(lk(WR, 0, 0));
    expect(fcntlLock(g.k, g.t, ro, F.F_SETLK, ARGP)).toBe(-EBADF);
    g.put(lk(RD, 0, 0));
    expect(fcntlLock(g.k, g.t, wo, F.F_SETLK, ARGP)).toBe(-EBADF);
    expect(fcntlLock(g.k, g.t, ro, F.F_SETLK, ARGP)).toBe(0);
    expect(fcntlLock(g.k, g.t, path, F.F_SETLK, ARGP)).toBe(-EBADF);
    expect(fcntlLock(g.k, g.t, 99, F.F_SETLK, ARGP)).toBe(-EBADF);
    expect(fcntlLock(g.k, g.t, ro, F.F_SETLK, 0x900000)).toBe(-EFAULT);
    g.put(lk(RD, -1, 1));
    expect(fcntlLock(g.k, g.t, ro, F.F_SETLK, ARGP)).toBe(-EINVAL);
  });

  it("F_SETLKW blocks the thread until the lock is free", async () => {
    const locks = new FileLocks();
    const a = guest(locks), b = guest(locks);
    const fa = a.fd(fakeFile(F.O_RDWR)), fb = b.fd(fakeFile(F.O_RDWR));
    a.put(lk(WR, 0, 0));
    fcntlLock(a.k, a.t, fa, F.F_SETLK, ARGP);
    b.put(lk(WR, 0, 0));
    const r = fcntlLock(b.k, b.t, fb, F.F_SETLKW, ARGP);
    expect(r).toBeInstanceOf(Promise);
    releaseOnClose(a.k, a.t.process, a.t.process.fds.get(fa)!);
    expect(await r).toBe(0);
  });
});

describe("sysFlock()", () => {
  it("locks through one description and refuses another with LOCK_NB", () => {
    const locks = new FileLocks();
    const a = guest(locks), b = guest(locks);
    const fa = a.fd(fakeFile(F.O_RDONLY)), fb = b.fd(fakeFile(F.O_RDONLY));
    expect(sysFlock(a.k, a.t, flockArgs(fa, F.LOCK_EX))).toBe(0);
    expect(sysFlock(b.k, b.t, flockArgs(fb, F.LOCK_SH | F.LOCK_NB))).toBe(-EWOULDBLOCK);
    expect(sysFlock(a.k, a.t, flockArgs(fa, F.LOCK_UN))).toBe(0);
    expect(sysFlock(b.k, b.t, flockArgs(fb, F.LOCK_SH | F.LOCK_NB))).toBe(0);
  });

  it("checks the operation before the descriptor; LOCK_MAND is accepted and ignored", () => {
    const g = guest();
    const fd = g.fd(fakeFile(F.O_RDONLY)), path = g.fd(fakeFile(F.O_PATH));
    expect(sysFlock(g.k, g.t, flockArgs(99, F.LOCK_SH | F.LOCK_EX))).toBe(-EINVAL);
    expect(sysFlock(g.k, g.t, flockArgs(99, 0))).toBe(-EINVAL);
    expect(sysFlock(g.k, g.t, flockArgs(99, F.LOCK_SH))).toBe(-EBADF);
    expect(sysFlock(g.k, g.t, flockArgs(path, F.LOCK_SH))).toBe(-EBADF);
    expect(sysFlock(g.k, g.t, flockArgs(path, F.LOCK_UN))).toBe(0);
    expect(sysFlock(g.k, g.t, flockArgs(fd, F.LOCK_MAND | F.LOCK_READ))).toBe(0);
  });

  it("fileLockKey() names the file by device and inode", () => {
    expect(fileLockKey(fakeFile(F.O_RDONLY, 77))).toBe("8:77");
  });
});
