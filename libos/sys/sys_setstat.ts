// Changing a file's attributes: its mode, owner, times and size (chmod, chown, utimensat,
// truncate and their f*/l*/*at forms), and its space (fallocate).
// Linux: fs/open.c (chmod_common, chown_common, do_truncate, vfs_fallocate), fs/utimes.c,
// fs/attr.c (setattr_prepare: who may change what).
//
// A path is looked up as _path.ts says (walked, and checked, for a caller the checks can
// stop); a descriptor's file is checked by its fstat. Then the file's file system makes
// the change. On a read-only mount the file system's EROFS comes first, as Linux asks for
// write access to the mount before it checks the caller.
//
// fallocate is checked here as the VFS does and done by the file's file system
// (FileSystem.fallocate), which alone can reserve space or free it.

import * as E from "../../linux-abi/errno.ts";
import { IN_ATTRIB, IN_MODIFY } from "../../linux-abi/inotify.ts";
import * as F from "../../linux-abi/fcntl.ts";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW } from "../../linux-abi/fcntl.ts";
import { isFallocateMode, type FileSystem, type FsStat, type FsTime } from "../../fs-task/file_system.ts";
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, UTIME_NOW, UTIME_OMIT } from "../../linux-abi/stat.ts";
import { SIZEOF_TIMESPEC, decodeTimespec, type Timespec } from "../../linux-abi/time.ts";
import { RLIMIT_FSIZE } from "../../linux-abi/resource.ts";
import { MAY_WRITE, chmodMode, fsPrivileged, mayChown, ownerOrCapable, permission } from "../permission.ts";
import type { OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import { REOPEN_FILE } from "../procfs.ts";
import { softLimit } from "../rlimits.ts";
import { FsFile } from "../vfs.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { fileSizeOk } from "./_io.ts";
import { sizeAllowed } from "./_offsets.ts";
import { lookupArg, type Lookup } from "./_path.ts";
import { getStruct } from "./_struct.ts";
import { holdsLink } from "./sys_file.ts";

/** A change's check of the file it changes (setattr_prepare and friends): 0 or -errno. */
type Check = (st: FsStat) => number;

/**
 * `op` on the file `lk` names, once `check` allows it. `check` runs only for a walked
 * path (the caller passes every check otherwise), on the file itself (a followed magic
 * link's target), and not on a read-only mount, whose EROFS is the file system's.
 */
function changePath(k: KernelServices, lk: Lookup, follow: boolean, check: Check, op: (fs: FileSystem, inner: string) => number, event = IN_ATTRIB): number {
  const w = lk.found;
  if (w !== null && !k.vfs.route(lk.path).mount.readOnly) {
    let st: FsStat | number | null = w.st;
    if (st !== null && follow && (st.mode & S_IFMT) === S_IFLNK) st = k.vfs.call(lk.path, (fs, inner) => fs.stat(inner, true));
    if (st === null) return -E.ENOENT;
    if (typeof st === "number") return st;
    const r = check(st);
    if (r < 0) return r;
  }
  return k.vfs.call(lk.path, (fs, inner, mount) => k.fsnotify.attrib(mount, fs, inner, follow, () => op(fs, inner), event));
}

/** `op` on the file open as `f`, once `check` allows it (for a caller the checks can stop). */
function changeOpen(k: KernelServices, t: Thread, f: OpenFile, check: Check, op: (fs: FileSystem, inner: string) => number): number {
  if (!fsPrivileged(t.creds)) {
    const st = f.ops.stat();
    if (typeof st === "number") return st;
    const readOnly = f.ops instanceof FsFile && f.ops.mount?.readOnly === true;
    const r = readOnly ? 0 : check(st);
    if (r < 0) return r;
  }
  return k.vfs.call(f.ops.path, (fs, inner, mount) => k.fsnotify.attrib(mount, fs, inner, true, () => op(fs, inner)));
}

/** chmod's rule: the owner or CAP_FOWNER (EPERM); the mode may lose S_ISGID (chmodMode). */
function chmodCheck(t: Thread, mode: number, apply: (mode: number) => void): Check {
  return (st) => {
    if (!ownerOrCapable(t.creds, st)) return -E.EPERM;
    apply(chmodMode(t.creds, st, mode));
    return 0;
  };
}

function chmodAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, requested: number): number {
  const lk = lookupArg(k, t, dirfd, pathAddr, "follow");
  if (typeof lk === "number") return lk;
  let mode = requested & 0o7777;
  return changePath(k, lk, true, chmodCheck(t, mode, (m) => (mode = m)), (fs, inner) => fs.chmod(inner, mode));
}

/** Chmod implements Linux syscall chmod(2). */
export const sysChmod = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => chmodAt(k, t, F.AT_FDCWD, a.ptr(0), a.uint(1));

/** Fchmodat implements Linux syscall fchmodat(2). */
export const sysFchmodat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => chmodAt(k, t, a.int(0), a.ptr(1), a.uint(2));

/** Fchmod implements Linux syscall fchmod(2). */
export function sysFchmod(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  let mode = a.uint(1) & 0o7777;
  return changeOpen(k, t, f, chmodCheck(t, mode, (m) => (mode = m)), (fs, inner) => fs.chmod(inner, mode));
}

function chownOp(uid: number, gid: number, follow: boolean): (fs: FileSystem, inner: string) => number {
  return (fs, inner) => (fs.chown ? fs.chown(inner, uid, gid, follow) : -E.EPERM);
}

function chownAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, uid: number, gid: number, flags: number): number {
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  const lk = lookupArg(k, t, dirfd, pathAddr, follow ? "follow" : "nofollow", { allowEmpty: (flags & AT_EMPTY_PATH) !== 0 });
  if (typeof lk === "number") return lk;
  return changePath(k, lk, follow, (st) => mayChown(t.creds, st, uid, gid), chownOp(uid, gid, follow));
}

/** Chown implements Linux syscall chown(2). */
export const sysChown = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => chownAt(k, t, F.AT_FDCWD, a.ptr(0), a.int(1), a.int(2), 0);

/** Lchown implements Linux syscall lchown(2). */
export const sysLchown = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  chownAt(k, t, F.AT_FDCWD, a.ptr(0), a.int(1), a.int(2), AT_SYMLINK_NOFOLLOW);

/** Fchown implements Linux syscall fchown(2). */
export function sysFchown(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  const uid = a.int(1), gid = a.int(2);
  return changeOpen(k, t, f, (st) => mayChown(t.creds, st, uid, gid), chownOp(uid, gid, true));
}

/** Fchownat implements Linux syscall fchownat(2). */
export function sysFchownat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  return chownAt(k, t, a.int(0), a.ptr(1), a.int(2), a.int(3), flags);
}

/** Ftruncate implements Linux syscall ftruncate(2): the descriptor must be open for writing, no permission is asked. */
export function sysFtruncate(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  const len = a.long(1);
  if (len < 0) return -E.EINVAL;
  if ((f.flags & F.O_ACCMODE) === F.O_RDONLY) return -E.EINVAL;
  if (sizeAllowed(len) < 0) {
    const st = f.ops.stat();
    if (typeof st === "number") return st;
    return (st.mode & S_IFMT) === S_IFREG ? -E.EFBIG : -E.EINVAL;
  }
  const grows = growsPastLimit(k, t, len, () => f.ops.stat());
  return grows < 0 ? grows : f.ops.truncate(len);
}

/** inode_newsize_ok: growing a regular file past RLIMIT_FSIZE is EFBIG with SIGXFSZ; 0 when allowed. */
function growsPastLimit(k: KernelServices, t: Thread, len: number, stat: () => FsStat | number): number {
  if (softLimit(t.process, RLIMIT_FSIZE) >= len) return 0;
  const st = stat();
  if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFREG || st.size >= len) return 0;
  return fileSizeOk(k, t, -1);
}

/** Truncate implements Linux syscall truncate(2): a regular file the caller may write. */
export function sysTruncate(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const len = a.long(1);
  if (len < 0) return -E.EINVAL;
  const lk = lookupArg(k, t, F.AT_FDCWD, a.ptr(0), "follow");
  return typeof lk === "number" ? lk : truncatePath(k, t, lk, len);
}

/** vfs_truncate's permission: write, for a regular file (a directory's EISDIR and the rest are the file system's). */
const truncateCheck = (t: Thread): Check => (st) => ((st.mode & S_IFMT) === S_IFREG ? permission(t.creds, st, MAY_WRITE) : 0);

function truncatePath(k: KernelServices, t: Thread, lk: Lookup, len: number): SyscallResult {
  const r = changePath(k, lk, true, truncateCheck(t), (fs, inner) => {
    const h = fs.open(inner, F.O_WRONLY, 0);
    if (typeof h !== "number") return -E.EINVAL;
    if (h < 0) return h;
    const r = sizeAllowed(len) || growsPastLimit(k, t, len, () => fs.fstat(h)) || fs.ftruncate(h, len);
    const st = r === 0 ? fs.fstat(h) : r;
    if (typeof st !== "number") k.pageCache.lookup(fs, st.ino)?.resized(len);
    fs.close(h);
    return r;
  }, IN_MODIFY);
  if (r !== REOPEN_FILE) return r;
  // A /proc/PID/fd/N link: the file it names (not the descriptor) is truncated; a pipe,
  // terminal or link cannot be. Its name needs no search permission, the file its write one.
  const f = k.procfs.reopenTarget();
  if (!f) return -E.ENOENT;
  if (!(f.ops instanceof FsFile) || holdsLink(f)) return -E.EINVAL;
  const st = lk.found === null ? null : f.ops.stat();
  if (typeof st === "number") return st;
  return truncatePath(k, t, { path: f.ops.path, found: st === null ? null : { path: f.ops.path, st, dir: null } }, len);
}

function fsTime(ts: Timespec): FsTime | number {
  if (ts.tv_nsec === UTIME_NOW) return "now";
  if (ts.tv_nsec === UTIME_OMIT) return "omit";
  if (ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
  return BigInt(ts.tv_sec) * 1_000_000_000n + BigInt(ts.tv_nsec);
}

/**
 * setattr_prepare and notify_change on times: setting both to now needs the owner,
 * CAP_FOWNER or write permission (EACCES); any other time the owner or CAP_FOWNER (EPERM).
 */
function timesCheck(t: Thread, atime: FsTime, mtime: FsTime): Check {
  return (st) => {
    if (ownerOrCapable(t.creds, st)) return 0;
    return atime === "now" && mtime === "now" ? permission(t.creds, st, MAY_WRITE) : -E.EPERM;
  };
}

/** Utimensat implements Linux syscall utimensat(2); a NULL path means the dirfd itself (futimens). */
export function sysUtimensat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const dirfd = a.int(0), pathAddr = a.ptr(1), timesAddr = a.ptr(2), flags = a.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  let atime: FsTime = "now", mtime: FsTime = "now";
  if (timesAddr !== 0) {
    const mem = t.process.memory;
    const at = getStruct(mem, timesAddr, SIZEOF_TIMESPEC, decodeTimespec);
    const mt = getStruct(mem, timesAddr + SIZEOF_TIMESPEC, SIZEOF_TIMESPEC, decodeTimespec);
    if (!at || !mt) return -E.EFAULT;
    // Nothing to do: Linux does not even look the path up.
    if (at.tv_nsec === UTIME_OMIT && mt.tv_nsec === UTIME_OMIT) return 0;
    const x = fsTime(at), y = fsTime(mt);
    if (typeof x === "number") return x;
    if (typeof y === "number") return y;
    atime = x;
    mtime = y;
  }
  const check = timesCheck(t, atime, mtime);
  if (pathAddr === 0) {
    // do_utimes: a NULL path with AT_FDCWD names nothing; by descriptor no flag is allowed.
    if (dirfd === F.AT_FDCWD) return -E.EFAULT;
    if (flags & AT_SYMLINK_NOFOLLOW) return -E.EINVAL;
    const f = t.process.fds.get(dirfd);
    if (!f) return -E.EBADF;
    // By the open file when its file system can: it may have no name any more.
    const ops = f.ops;
    const utimes = (fs: FileSystem, inner: string): number => fs.utimens(inner, atime, mtime, true);
    if (!(ops instanceof FsFile && ops.fs.futimens)) return changeOpen(k, t, f, check, utimes);
    const futimens = ops.fs.futimens.bind(ops.fs);
    return changeOpen(k, t, f, check, () => (ops.mount?.readOnly ? -E.EROFS : futimens(ops.handle, atime, mtime)));
  }
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  const lk = lookupArg(k, t, dirfd, pathAddr, follow ? "follow" : "nofollow", { allowEmpty: (flags & AT_EMPTY_PATH) !== 0 });
  if (typeof lk === "number") return lk;
  return changePath(k, lk, follow, check, (fs, p) => fs.utimens(p, atime, mtime, follow));
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
