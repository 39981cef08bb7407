// File locks from the syscall side: fcntl's six lock commands and flock(2).
// Linux: fs/locks.c (fcntl_getlk, fcntl_setlk, flock64_to_posix_lock, sys_flock).
// Argument checks only; the lock table is libos/file_lock.ts, reached as k.locks.
//
// Owners: a POSIX lock (F_GETLK, F_SETLK, F_SETLKW) belongs to the process, named by its
// pid; an OFD lock (F_OFD_*) and a flock lock belong to the open file description (the
// OpenFile). Files are named by `${dev}:${ino}` from fstat (fileLockKey).

import * as E from "../../linux-abi/errno.ts";
import * as F from "../../linux-abi/fcntl.ts";
import { SEEK_END, SEEK_SET } from "../../linux-abi/fs.ts";
import { lockRange, TO_EOF, type RecordRequest } from "../file_lock.ts";
import type { OpenFile } from "../file.ts";
import type { Process, Thread } from "../process.ts";
import { getStruct, putStruct } from "./_struct.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

/** The lock table's name for the file behind `f`, or -errno when fstat fails. */
export function fileLockKey(f: OpenFile): string | number {
  const st = f.ops.stat();
  return typeof st === "number" ? st : `${st.dev}:${st.ino}`;
}

function isOfdCommand(cmd: number): boolean {
  return cmd === F.F_OFD_GETLK || cmd === F.F_OFD_SETLK || cmd === F.F_OFD_SETLKW;
}

/** The lock request a struct flock names for `f`, or -errno (flock_to_posix_lock). */
function recordRequest(t: Thread, f: OpenFile, fl: F.Flock, ofd: boolean): RecordRequest | number {
  let size = 0;
  if (fl.l_whence === SEEK_END) {
    const st = f.ops.stat();
    if (typeof st === "number") return st;
    size = st.size;
  }
  const range = lockRange(fl, { offset: f.offset, size });
  if (typeof range === "number") return range;
  if (fl.l_type !== F.F_RDLCK && fl.l_type !== F.F_WRLCK && fl.l_type !== F.F_UNLCK) return -E.EINVAL;
  const file = fileLockKey(f);
  if (typeof file === "number") return file;
  return { file, owner: ofd ? f : t.process.pid, type: fl.l_type, ...range };
}

/**
 * The lock commands of fcntl(2): F_GETLK, F_SETLK, F_SETLKW and F_OFD_GETLK, F_OFD_SETLK,
 * F_OFD_SETLKW, with `argp` pointing at a struct flock.
 */
export function fcntlLock(k: KernelServices, t: Thread, fd: number, cmd: number, argp: number): SyscallResult {
  const f = t.process.fds.get(fd);
  if (!f || f.flags & F.O_PATH) return -E.EBADF;
  const mem = t.process.memory;
  const fl = getStruct(mem, argp, F.SIZEOF_FLOCK, F.decodeFlock);
  if (!fl) return -E.EFAULT;
  const ofd = isOfdCommand(cmd);
  if (cmd === F.F_GETLK || cmd === F.F_OFD_GETLK) {
    if (fl.l_type !== F.F_RDLCK && fl.l_type !== F.F_WRLCK) return -E.EINVAL;
    const req = recordRequest(t, f, fl, ofd);
    if (typeof req === "number") return req;
    if (ofd && fl.l_pid !== 0) return -E.EINVAL;
    const held = k.locks.testRecord(req);
    // No conflict: only l_type changes, to F_UNLCK (fcntl_getlk).
    const out: F.Flock = held
      ? { l_type: held.type, l_whence: SEEK_SET, l_start: held.start, l_len: held.end === TO_EOF ? 0 : held.end - held.start + 1, l_pid: held.pid }
      : { ...fl, l_type: F.F_UNLCK };
    return putStruct(mem, argp, F.SIZEOF_FLOCK, F.encodeFlock, out) ? 0 : -E.EFAULT;
  }
  const req = recordRequest(t, f, fl, ofd);
  if (typeof req === "number") return req;
  // check_fmode_for_setlk: a read lock needs a readable description, a write lock a writable one.
  const mode = f.flags & F.O_ACCMODE;
  if ((req.type === F.F_RDLCK && mode === F.O_WRONLY) || (req.type === F.F_WRLCK && mode === F.O_RDONLY)) return -E.EBADF;
  if (ofd && fl.l_pid !== 0) return -E.EINVAL;
  const wait = cmd === F.F_SETLKW || cmd === F.F_OFD_SETLKW;
  const p = t.process;
  if (ofd) f.onLastClose ??= (x) => k.locks.releaseDescription(x);
  else p.fds.onDrop ??= (x) => releaseOnClose(k, p, x);
  return k.locks.setRecord(req, wait ? t : undefined);
}

/** The lock type a flock(2) operation asks for (flock_translate_cmd), or -EINVAL. */
function flockType(op: number): number {
  switch (op) {
    case F.LOCK_SH:
      return F.F_RDLCK;
    case F.LOCK_EX:
      return F.F_WRLCK;
    case F.LOCK_UN:
      return F.F_UNLCK;
    default:
      return -E.EINVAL;
  }
}

/** Flock implements Linux syscall flock(2). */
export function sysFlock(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const op = a.uint(1);
  // LOCK_MAND never worked; Linux accepts it and does nothing.
  if (op & F.LOCK_MAND) return 0;
  const type = flockType(op & ~F.LOCK_NB);
  if (type < 0) return type;
  const f = t.process.fds.get(a.int(0));
  if (!f) return -E.EBADF;
  if (type !== F.F_UNLCK && f.flags & F.O_PATH) return -E.EBADF;
  const file = fileLockKey(f);
  if (typeof file === "number") return file;
  f.onLastClose ??= (x) => k.locks.releaseDescription(x);
  return k.locks.flock({ file, owner: f, type }, op & F.LOCK_NB ? undefined : t);
}

/**
 * close(2) and every other way a process drops a descriptor (dup2 over it, close_range,
 * exec's close-on-exec): its POSIX locks on that file go (locks_remove_posix). Cheap when
 * the process holds no lock.
 */
export function releaseOnClose(k: KernelServices, p: Process, f: OpenFile): void {
  if (!k.locks.holds(p.pid)) return;
  const file = fileLockKey(f);
  if (typeof file === "string") k.locks.closed(p.pid, file);
}
