// Changing a file's owner and its space: chown, fchown, lchown, fchownat, fallocate.
// Linux: fs/open.c (chown_common, vfs_fallocate).
//
// fallocate is done with the calls every file has: the space beyond the end of the file
// is allocated by writing zeros there (holes inside the file stay holes), and punching
// or zeroing a range writes zeros over it.

import * as E from "../../linux-abi/errno.ts";
import * as F from "../../linux-abi/fcntl.ts";
import {
  FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_NO_HIDE_STALE,
  FALLOC_FL_PUNCH_HOLE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_ZERO_RANGE,
} from "../../linux-abi/fs.ts";
import { S_IFDIR, S_IFIFO, S_IFMT, S_IFREG } from "../../linux-abi/stat.ts";
import type { OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { pathArg } from "./_path.ts";

const ZEROS = new Uint8Array(1 << 20);

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
  const f = t.process.fds.get(a.int(0));
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

/** Fallocate implements Linux syscall fallocate(2). */
export function sysFallocate(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mode = a.int(1), offset = a.long(2), len = a.long(3);
  const f = t.process.fds.get(a.int(0));
  if (offset < 0 || len <= 0) return -E.EINVAL;
  const known = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_NO_HIDE_STALE | FALLOC_FL_COLLAPSE_RANGE |
    FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE;
  if (mode & ~known) return -E.EOPNOTSUPP;
  if (mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE)) return -E.EOPNOTSUPP;
  if (mode & FALLOC_FL_PUNCH_HOLE && mode & FALLOC_FL_ZERO_RANGE) return -E.EOPNOTSUPP;
  if (!f) return -E.EBADF;
  if ((f.flags & F.O_ACCMODE) === F.O_RDONLY || f.flags & F.O_PATH) return -E.EBADF;
  const st = f.ops.stat();
  if (typeof st === "number") return st;
  const type = st.mode & S_IFMT;
  if (type === S_IFIFO) return -E.ESPIPE;
  if (type === S_IFDIR) return -E.EISDIR;
  if (type !== S_IFREG) return -E.ENODEV;
  if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE)) return -E.EOPNOTSUPP;
  const end = offset + len;
  if (!Number.isSafeInteger(end)) return -E.EFBIG;
  const keepSize = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
  if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) return writeZeros(f, offset, keepSize ? Math.min(end, st.size) : end);
  return keepSize ? 0 : writeZeros(f, Math.max(offset, st.size), end);
}

function writeZeros(f: OpenFile, from: number, to: number): number {
  for (let at = from; at < to;) {
    const n = f.ops.write(ZEROS.subarray(0, Math.min(ZEROS.length, to - at)), at);
    if (typeof n !== "number") return -E.EIO;
    if (n <= 0) return n < 0 ? n : -E.EIO;
    at += n;
  }
  return 0;
}
