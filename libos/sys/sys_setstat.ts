// Changing a file's owner and its space: chown, fchown, lchown, fchownat, fallocate.
// Linux: fs/open.c (chown_common, vfs_fallocate).
//
// fallocate is checked here as the VFS does and done by the file's file system
// (FileSystem.fallocate), which alone can reserve space or free it.

import * as E from "../../linux-abi/errno.ts";
import * as F from "../../linux-abi/fcntl.ts";
import { isFallocateMode } from "../../fs-task/file_system.ts";
import { S_IFDIR, S_IFIFO, S_IFMT, S_IFREG } from "../../linux-abi/stat.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { sizeAllowed } from "./_offsets.ts";
import { pathArg } from "./_path.ts";

function chownPath(k: KernelServices, path: string | number, uid: number, gid: number, follow: boolean): number {
  if (typeof path === "number") return path;
  return k.vfs.call(path, (fs, inner) => (fs.chown ? fs.chown(inner, uid, gid, follow) : -E.EPERM));
}

/** Chown implements Linux syscall chown(2). */
export function sysChown(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return chownPath(k, pathArg(t, F.AT_FDCWD, a.ptr(0)), a.int(1), a.int(2), true);
}

/** Lchown implements Linux syscall lchown(2). */
export function sysLchown(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return chownPath(k, pathArg(t, F.AT_FDCWD, a.ptr(0)), a.int(1), a.int(2), false);
}

/** Fchown implements Linux syscall fchown(2). */
export function sysFchown(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  return chownPath(k, f.ops.path, a.int(1), a.int(2), true);
}

/** Fchownat implements Linux syscall fchownat(2). */
export function sysFchownat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(4);
  if (flags & ~(F.AT_SYMLINK_NOFOLLOW | F.AT_EMPTY_PATH)) return -E.EINVAL;
  const path = pathArg(t, a.int(0), a.ptr(1), (flags & F.AT_EMPTY_PATH) !== 0);
  return chownPath(k, path, a.int(2), a.int(3), (flags & F.AT_SYMLINK_NOFOLLOW) === 0);
}

/**
 * Fallocate implements Linux syscall fallocate(2): vfs_fallocate's checks, in its order,
 * then the file's own fallocate (the file system's: reservations and holes are its).
 */
export function sysFallocate(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mode = a.int(1), offset = a.long(2), length = a.long(3);
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  if (offset < 0 || length <= 0) return -E.EINVAL;
  if (!isFallocateMode(mode)) return -E.EOPNOTSUPP;
  if ((f.flags & F.O_ACCMODE) === F.O_RDONLY) return -E.EBADF;
  const st = f.ops.stat();
  if (typeof st === "number") return st;
  const type = st.mode & S_IFMT;
  if (type === S_IFIFO) return -E.ESPIPE;
  if (type === S_IFDIR) return -E.EISDIR;
  if (type !== S_IFREG) return -E.ENODEV;
  if (sizeAllowed(offset + length) < 0) return -E.EFBIG;
  return f.ops.fallocate?.(mode, offset, length) ?? -E.EOPNOTSUPP;
}
