// Flushing and advice: sync, syncfs, fsync, fdatasync, sync_file_range, fadvise64.
// Linux: fs/sync.c, mm/fadvise.c. Host-backed files flush to the host (fsync on the
// host fd); memory file systems have nothing to flush.

import * as E from "../../linux-abi/errno.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

const SYNC_FILE_RANGE_ALL = 1 | 2 | 4;
const POSIX_FADV_NOREUSE = 5;

function syncFd(t: Thread, fd: number, dataOnly: boolean): number {
  const f = t.process.fds.getOpen(fd);
  if (!f) return -E.EBADF;
  return f.ops.sync ? f.ops.sync(dataOnly) : -E.EINVAL;
}

/** Sync implements Linux syscall sync(2): file data already reaches the host as written. */
export function sysSync(): SyscallResult {
  return 0;
}

/** Syncfs implements Linux syscall syncfs(2). */
export function sysSyncfs(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return t.process.fds.get(a.int(0)) ? 0 : -E.EBADF;
}

/** Fsync implements Linux syscall fsync(2). */
export function sysFsync(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return syncFd(t, a.int(0), false);
}

/** Fdatasync implements Linux syscall fdatasync(2). */
export function sysFdatasync(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return syncFd(t, a.int(0), true);
}

/** SyncFileRange implements Linux syscall sync_file_range(2), as a data sync of the whole file. */
export function sysSyncFileRange(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const offset = a.long(1), nbytes = a.long(2), flags = a.uint(3);
  if (flags & ~SYNC_FILE_RANGE_ALL || offset < 0 || nbytes < 0) return -E.EINVAL;
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  if (!f.ops.seekable) return -E.ESPIPE;
  return f.ops.sync ? f.ops.sync(true) : 0;
}

/** Fadvise64 implements Linux syscall fadvise64(2): advice is checked and has no effect. */
export function sysFadvise64(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  if (!f.ops.seekable) return -E.ESPIPE;
  const advice = a.int(3);
  return advice < 0 || advice > POSIX_FADV_NOREUSE || a.long(2) < 0 ? -E.EINVAL : 0;
}
