// The file-system component API: what every back end (HostFs, DevFs, …) implements and
// what the fs-task's IPC module will expose. Plain function calls, no IPC inside.
//
// Contract:
//  - Paths are absolute guest paths inside this file system: the kernel-task's VFS has
//    already stripped the mount prefix, so "/" is this file system's root. A back end
//    never resolves a path to anything outside its own root.
//  - Errors are negative Linux errno numbers (-2 = -ENOENT). Successful numeric results
//    are ≥ 0, so `typeof r === "number"` (or `r < 0`) tells them apart.
//  - The fs-task knows nothing of processes or fds. open() returns a handle (a small
//    integer, lowest free first); the caller keeps the file offset and passes it to
//    pread/pwrite explicitly. O_APPEND is recorded: a pwrite on an append handle writes
//    at the end whatever the offset (as Linux pwrite(2) does), and the caller reads the
//    new size with fstat to move its offset.
//  - Everything on regular files and directories answers synchronously. A Promise comes
//    back only where the operation can really block: reading or writing a tty, a FIFO or
//    another stream device, and opening a FIFO (which waits for the other end).
//  - Flags and modes are Linux's generic values (O_* as on x86-64, S_IF*, DT_*).
//  - Paths, names and symlink targets are byte strings (linux-abi/_byte_string.ts: one code
//    unit per byte), never decoded text.
//  - Offsets, sizes and lengths are integers from 0 to MAX_FILE_BYTES (an offset plus a
//    length too): the kernel-task decides Linux's errno for anything beyond at syscall
//    entry (libos/sys/_offsets.ts), so no back end and no protocol word sees more.
//  - Mounts: the kernel-task tells a back end where it is mounted (setMountPoint). A walk
//    that leaves the back end (".." above its root when it is not the guest's root, an
//    absolute symlink when it is not the guest's root, or a directory another mount
//    covers) stops and answers CROSS_MOUNT; crossing() then says where the walk goes on,
//    and the kernel-task routes that path to the right mount. A back end that is never
//    mounted anywhere but "/" with nothing over it may leave both methods out.

import { RENAME_EXCHANGE, RENAME_NOREPLACE } from "./_flags.ts";
import {
  FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_UNSHARE_RANGE,
  FALLOC_FL_ZERO_RANGE,
} from "../linux-abi/fs.ts";

/** struct stat, with nanosecond times. `rdev` and `dev` are encoded as Linux's makedev. */
export interface FsStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** One getdents64 record. `nextCookie` resumes after this entry (dirent64's d_off). */
export interface FsDirEntry {
  name: string;
  ino: number;
  /** DT_* */
  type: number;
  nextCookie: number;
}

/**
 * A page of directory entries. Cookie 0 starts over (and re-reads the directory, as a
 * rewind does); `nextCookie` continues where this page stopped; an empty page is the end.
 */
export interface FsDirPage {
  entries: FsDirEntry[];
  nextCookie: number;
}

/** struct statfs. */
export interface FsStatFs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  namelen: number;
  frsize: number;
  /** ST_* bits; ST_RDONLY = 1. */
  flags: number;
}

/**
 * The largest file size and offset of every file system the LibOS serves (Linux's
 * s_maxbytes): a page short of 2^53, so that a size, an offset and the page around it are
 * all safe integers. Linux's own tmpfs allows 2^63 - 1, ext4 16 TiB.
 */
export const MAX_FILE_BYTES = 2 ** 53 - 4096;

/** A utimensat(2) time: nanoseconds since the epoch, or UTIME_NOW / UTIME_OMIT. */
export type FsTime = bigint | "now" | "omit";

/**
 * A path operation's answer when its walk left this file system (not an errno: Linux's
 * errno values stop at 4095). Call crossing() for where the walk goes on.
 */
export const CROSS_MOUNT = -4096;

/**
 * Where a walk that answered CROSS_MOUNT goes on. `arg` is the path argument that left
 * (0, or 1 for the second path of rename/link). `path` is a guest path: absolute ("/…",
 * from an absolute symlink), "../rest" (".." above this file system's root: rest is
 * relative to the mount point's parent), or "dir/rest" (relative to the mount point: the
 * walk reached a directory another mount covers). A trailing "/" is kept.
 */
export interface FsCrossing {
  arg: number;
  path: string;
}

/** Whether FileSystem.rename takes `flags`: 0, RENAME_NOREPLACE or RENAME_EXCHANGE, one at most. */
export function isRenameFlags(flags: number): boolean {
  return flags === 0 || flags === RENAME_NOREPLACE || flags === RENAME_EXCHANGE;
}

/** The result of a call that yields a T, or a negative errno. */
export type FsResult<T> = T | number;

export interface FileSystem {
  /**
   * Opens (and with O_CREAT creates, applying `mode` as given: the caller applies its
   * umask) and returns a handle. Honours O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY,
   * O_NOFOLLOW, O_APPEND, O_NONBLOCK, O_PATH and the access mode.
   */
  open(path: string, flags: number, mode: number): number | Promise<number>;
  close(handle: number): number;
  /** Bytes read into dst from `offset` (ignored for streams), 0 at end of file. */
  pread(handle: number, dst: Uint8Array, offset: number): number | Promise<number>;
  /** Bytes written from src at `offset` (ignored for streams and append handles). */
  pwrite(handle: number, src: Uint8Array, offset: number): number | Promise<number>;
  fstat(handle: number): FsResult<FsStat>;
  stat(path: string, followSymlinks: boolean): FsResult<FsStat>;
  readlink(path: string): FsResult<string>;
  /** Up to `max` entries starting at `cookie`, "." and ".." included. */
  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage>;
  ftruncate(handle: number, size: number): number;
  /** access(2): `mode` is F_OK (0) or an OR of R_OK, W_OK, X_OK. */
  access(path: string, mode: number): number;
  mkdir(path: string, mode: number): number;
  unlink(path: string): number;
  rmdir(path: string): number;
  /**
   * renameat2(2) within this file system, done in one step: any other caller sees both
   * names as they were before or as they are after, never in between. `flags` (isRenameFlags):
   *  - 0: an existing `to` is replaced (a directory only by a directory, and only if empty:
   *    EISDIR, ENOTDIR, ENOTEMPTY); two names of one file are both left in place.
   *  - RENAME_NOREPLACE: EEXIST if `to` exists (a dangling symlink too), else as 0.
   *  - RENAME_EXCHANGE: the two names trade what they hold; ENOENT if either is missing. A
   *    directory may trade with a non-directory (as on Linux; the parents' link counts
   *    follow); with something inside its own subtree, either way round, it is EINVAL.
   *  - anything else (RENAME_WHITEOUT, both bits): EINVAL, before any lookup.
   * The root, "." and ".." never move: EBUSY (for `to` under RENAME_NOREPLACE, EEXIST).
   * A directory moved into its own subtree is EINVAL.
   */
  rename(from: string, to: string, flags: number): number;
  /** Creates `path` as a symlink holding `target` verbatim. */
  symlink(target: string, path: string): number;
  /** Hard link; `existing` is not followed if it is a symlink (linkat without AT_SYMLINK_FOLLOW). */
  link(existing: string, path: string): number;
  chmod(path: string, mode: number): number;
  /**
   * Optional. chown(2)/lchown(2): -1 leaves an id unchanged. Clears set-user-ID and
   * set-group-ID (the latter only with group execute) on anything but a directory.
   */
  chown?(path: string, uid: number, gid: number, followSymlinks: boolean): number;
  /**
   * Optional. mknod(2): `mode` carries the type (S_IFREG or 0, S_IFCHR, S_IFBLK, S_IFIFO,
   * S_IFSOCK; S_IFDIR is EPERM) and the permission bits; `rdev` is a makedev number for
   * devices. The node is only stored: opening a device or FIFO is the caller's business.
   */
  mknod?(path: string, mode: number, rdev: number): number;
  utimens(path: string, atime: FsTime, mtime: FsTime, followSymlinks: boolean): number;
  /**
   * Optional (callers go by the handle's path without it). futimens(2): utimens on the file
   * open as `handle`, which may have no name left (unlinked while open).
   */
  futimens?(handle: number, atime: FsTime, mtime: FsTime): number;
  statfs(path: string): FsResult<FsStatFs>;
  isatty(handle: number): boolean;
  /**
   * Optional. Where this file system is mounted: `atRoot` if at the guest's "/" (then ".."
   * at the root stays there and absolute symlinks restart at its root), and the inner paths
   * of directories other mounts cover, joined by "\0" ("" for none). Called again whenever
   * the mount table changes.
   */
  setMountPoint?(atRoot: boolean, covered: string): number;
  /** Optional (required with setMountPoint). The crossing of the last call that answered CROSS_MOUNT. */
  crossing?(): FsResult<FsCrossing>;
  /** Optional. The canonical path (no symlink, ".", ".." or "//") of an existing file. */
  realpath?(path: string): FsResult<string>;
  /** Optional (nothing to flush without it). fsync(2), or fdatasync(2) when `dataOnly`. */
  fsync?(handle: number, dataOnly: boolean): number;
  /**
   * Optional. sendfile(2) of up to `count` bytes from `offset` of an open regular file into
   * `hostFd`, a descriptor of the same host process (worker threads share it): bytes sent,
   * 0 at end of file, or -errno. Callers copy through pread instead on any error.
   */
  sendToHost?(handle: number, offset: number, count: number, hostFd: number): number;
  /**
   * Optional. Where the directory open as `handle` is now, from this file system's root
   * (renames followed): ENOENT once it has no name (removed, or moved out of reach),
   * EINVAL for a handle that is not a directory. Without it (a tree that never moves
   * directories), a handle is where it was opened.
   */
  pathOf?(handle: number): FsResult<string>;
  /**
   * Optional, not a message: run where the back end lives when its fs-task stops. Ends
   * every call still waiting for another party (a host FIFO open): each fails with EINTR.
   * A host call left waiting in the host's thread pool would keep the process from exiting.
   */
  releaseBlocked?(): void;
  /**
   * Optional (EOPNOTSUPP without it). fallocate(2) on an open regular file, `mode` one that
   * isFallocateMode accepts: 0 reserves the space of [offset, offset+length) so later
   * writes there cannot fail for want of it, growing the size to offset+length;
   * FALLOC_FL_KEEP_SIZE reserves without growing; PUNCH_HOLE|KEEP_SIZE frees the range
   * (it reads as zeros); ZERO_RANGE (KEEP_SIZE optional) makes it read as zeros, reserved.
   * A back end may refuse any mode with EOPNOTSUPP (COLLAPSE_RANGE, INSERT_RANGE…). Errors
   * as Linux, in its order: EINVAL for offset < 0 or length <= 0, EOPNOTSUPP for a mode
   * Linux refuses, EBADF unless open for writing, ESPIPE on a FIFO, ENODEV on anything else
   * but a regular file, EFBIG past the largest size, ENOSPC when there is no room.
   */
  fallocate?(handle: number, mode: number, offset: number, length: number): number;
  /**
   * Optional (a back end without it is mounted once, at its root: setMountPoint). View
   * `view` of this file system, for one of its mounts (a bind mount shows a directory, or a
   * file, of it in a second place): the mount shows what `rootHandle` names (an open
   * handle, O_PATH will do, which the caller keeps open while the view is set; NO_HANDLE
   * for the file system's root), with `atRoot` and `covered` as setMountPoint says but
   * below that root. The view holds its root by that handle, never by a name: it follows
   * the directory when it is renamed, and a name swapped for a symlink meanwhile changes
   * nothing. A path "\0N/rest" (NUL, N in decimal) names `/rest` in view N, any other path
   * is in view 0; in a view, ".." at its root and absolute symlinks leave as they do at the
   * root of a mount below "/", and realpath and crossings give paths below its root. Views
   * are set from 0 up, and setting view 0 forgets the others; EINVAL for a number past the
   * last one set, or a handle that is not open. A view whose root is gone (its handle
   * closed, a host file replaced) answers ENOENT.
   */
  setMountView?(view: number, rootHandle: number, atRoot: boolean, covered: string): number;
  /**
   * Optional, all eight together (without them the file system keeps no extended
   * attributes: the kernel-task answers EOPNOTSUPP, and an empty list). Extended
   * attributes (Linux: fs/xattr.c), each call by path (`follow`: whether a last symlink is
   * followed, as getxattr against lgetxattr) or by an open handle (not O_PATH: EBADF).
   * The kernel-task has checked the name (1..XATTR_NAME_MAX bytes), the value's size
   * (≤ XATTR_SIZE_MAX), the flags, the caller's permission and a read-only mount; the back
   * end answers the rest as Linux's file system would (xattrNameError in _xattrs.ts for
   * one that keeps them in memory; the host's own answers for HostFs):
   *  - getxattr: the value's length, copied into `dst` unless `dst` is empty (a size
   *    query); ENODATA if there is none, ERANGE if `dst` is too small.
   *  - listxattr: the names, each with its NUL, as Linux's buffer; the same size rules.
   *  - setxattr: `flags` XATTR_CREATE (EEXIST if there) or XATTR_REPLACE (ENODATA if not);
   *    an empty `value` is an empty attribute, not a removal.
   *  - removexattr: ENODATA if there is none.
   */
  getxattr?(path: string, follow: boolean, name: string, dst: Uint8Array): number;
  fgetxattr?(handle: number, name: string, dst: Uint8Array): number;
  listxattr?(path: string, follow: boolean, dst: Uint8Array): number;
  flistxattr?(handle: number, dst: Uint8Array): number;
  setxattr?(path: string, follow: boolean, name: string, value: Uint8Array, flags: number): number;
  fsetxattr?(handle: number, name: string, value: Uint8Array, flags: number): number;
  removexattr?(path: string, follow: boolean, name: string): number;
  fremovexattr?(handle: number, name: string): number;
}

/** setMountView's root for the file system's own root: no handle. */
export const NO_HANDLE = -1;

/** FALLOC_FL_WRITE_ZEROES (Linux 6.17): a mode that writes zeros to the range. */
const FALLOC_FL_WRITE_ZEROES = 0x80;
/** The bits that choose fallocate's operation; FALLOC_FL_KEEP_SIZE is the one other bit. */
const FALLOC_OPERATIONS = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE |
  FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_WRITE_ZEROES;

/**
 * Whether Linux's vfs_fallocate accepts `mode` (else EOPNOTSUPP): one operation at most,
 * plus FALLOC_FL_KEEP_SIZE, which PUNCH_HOLE needs and COLLAPSE_RANGE, INSERT_RANGE and
 * WRITE_ZEROES refuse. Whether the file system does that operation is its own answer.
 */
export function isFallocateMode(mode: number): boolean {
  if (mode & ~(FALLOC_OPERATIONS | FALLOC_FL_KEEP_SIZE)) return false;
  const keepSize = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
  switch (mode & FALLOC_OPERATIONS) {
    case 0:
    case FALLOC_FL_UNSHARE_RANGE:
    case FALLOC_FL_ZERO_RANGE:
      return true;
    case FALLOC_FL_PUNCH_HOLE:
      return keepSize;
    case FALLOC_FL_COLLAPSE_RANGE:
    case FALLOC_FL_INSERT_RANGE:
    case FALLOC_FL_WRITE_ZEROES:
      return !keepSize;
    default:
      return false;
  }
}
