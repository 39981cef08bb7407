// The stat family: fstat, stat, lstat, newfstatat, statx; statfs and fstatfs.
// Linux: fs/stat.c, fs/statfs.c.

import * as E from "../../linux-abi/errno.ts";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW } from "../../linux-abi/fcntl.ts";
import { S_IFDIR, S_IFLNK, S_IFMT, STATX_BASIC_STATS, SIZEOF_STATX, SIZEOF_STAT, encodeStat, encodeStatx, major, minor } from "../../linux-abi/stat.ts";
import type { FsStat, FsStatFs } from "../../fs-task/file_system.ts";
import { SIZEOF_STATFS, encodeStatfs } from "../../linux-abi/statfs.ts";
import { NamedPipeEnd } from "../named_pipe.ts";
import { FsFile } from "../vfs.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { lookupArg, lookupAt, readPath } from "./_path.ts";
import { putStruct } from "./_struct.ts";

const NS = 1_000_000_000n;
/** statx's flags besides the AT_* ones: no automount, and the sync type (AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC). */
const AT_NO_AUTOMOUNT = 0x800;
const AT_STATX_SYNC_TYPE = 0x6000;
/** A mask bit reserved for a future struct statx. */
const STATX__RESERVED = 0x80000000;

/** A time in ns as a timespec: seconds rounded down (as for a time before 1970), nanoseconds 0 to 999,999,999. */
function secs(ns: bigint): number {
  const s = ns / NS;
  return Number(ns < s * NS ? s - 1n : s);
}
function nsecs(ns: bigint): number {
  const r = ns % NS;
  return Number(r < 0n ? r + NS : r);
}

function putStat(t: Thread, addr: number, st: FsStat): number {
  return putStruct(t.process.memory, addr, SIZEOF_STAT, encodeStat, {
    st_dev: st.dev, st_ino: st.ino, st_nlink: st.nlink, st_mode: st.mode, st_uid: st.uid, st_gid: st.gid,
    st_rdev: st.rdev, st_size: st.size, st_blksize: st.blksize, st_blocks: st.blocks,
    st_atime: secs(st.atimeNs), st_atime_nsec: nsecs(st.atimeNs),
    st_mtime: secs(st.mtimeNs), st_mtime_nsec: nsecs(st.mtimeNs),
    st_ctime: secs(st.ctimeNs), st_ctime_nsec: nsecs(st.ctimeNs),
  }) ? 0 : -E.EFAULT;
}

function statAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, flags: number): FsStat | number {
  const emptyOk = (flags & AT_EMPTY_PATH) !== 0;
  const written = readPath(t, pathAddr);
  if (typeof written === "number") return written;
  // AT_EMPTY_PATH, or ".", on a descriptor stats the open file itself: it may have no
  // path (a removed directory, a memfd).
  if (dirfd !== AT_FDCWD && ((emptyOk && written === "") || written === ".")) {
    const f = t.process.fds.get(dirfd);
    if (!f) return -E.EBADF;
    const st = f.ops.stat();
    if (written === "" || typeof st === "number" || (st.mode & S_IFMT) === S_IFDIR) return st;
    return -E.ENOTDIR;
  }
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  const lk = lookupAt(k, t, dirfd, written, follow ? "follow" : "nofollow", { allowEmpty: emptyOk });
  if (typeof lk === "number") return lk;
  // What a walk found is the answer, but for a symlink still to follow (a magic link).
  const st = lk.found?.st;
  if (st === null) return -E.ENOENT;
  if (st !== undefined && (!follow || (st.mode & S_IFMT) !== S_IFLNK)) return st;
  return k.vfs.call(lk.path, (fs, inner) => fs.stat(inner, follow));
}

const withStat = (st: FsStat | number, t: Thread, addr: number): number => (typeof st === "number" ? st : putStat(t, addr, st));

/** Fstat implements Linux syscall fstat(2). */
export function sysFstat(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.get(a.int(0));
  return f ? withStat(f.ops.stat(), t, a.ptr(1)) : -E.EBADF;
}

/** Stat implements Linux syscall stat(2). */
export function sysStat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return withStat(statAt(k, t, AT_FDCWD, a.ptr(0), 0), t, a.ptr(1));
}

/** Lstat implements Linux syscall lstat(2). */
export function sysLstat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return withStat(statAt(k, t, AT_FDCWD, a.ptr(0), AT_SYMLINK_NOFOLLOW), t, a.ptr(1));
}

/** Newfstatat implements Linux syscall newfstatat(2). */
export function sysNewfstatat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) return -E.EINVAL;
  return withStat(statAt(k, t, a.int(0), a.ptr(1), flags), t, a.ptr(2));
}

/** Statx implements Linux syscall statx(2). */
export function sysStatx(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(2);
  // vfs_statx's checks: known flags, one sync type at most, no reserved mask bit.
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) return -E.EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE || a.uint(3) & STATX__RESERVED) return -E.EINVAL;
  const st = statAt(k, t, a.int(0), a.ptr(1), flags);
  if (typeof st === "number") return st;
  const ts = (ns: bigint) => ({ tv_sec: secs(ns), tv_nsec: nsecs(ns) });
  const ok = putStruct(t.process.memory, a.ptr(4), SIZEOF_STATX, encodeStatx, {
    stx_mask: STATX_BASIC_STATS, stx_blksize: st.blksize, stx_attributes: 0, stx_nlink: st.nlink,
    stx_uid: st.uid, stx_gid: st.gid, stx_mode: st.mode, stx_ino: st.ino, stx_size: st.size,
    stx_blocks: st.blocks, stx_attributes_mask: 0,
    stx_atime: ts(st.atimeNs), stx_btime: { tv_sec: 0, tv_nsec: 0 }, stx_ctime: ts(st.ctimeNs), stx_mtime: ts(st.mtimeNs),
    stx_rdev_major: major(st.rdev), stx_rdev_minor: minor(st.rdev), stx_dev_major: major(st.dev), stx_dev_minor: minor(st.dev),
    stx_mnt_id: 0, stx_dio_mem_align: 0, stx_dio_offset_align: 0,
  });
  return ok ? 0 : -E.EFAULT;
}

/** statfs f_flags: the fields are valid (ST_VALID), plus the file system's own flags. */
const ST_VALID = 0x20;
/** What fstatfs says of a pipe, a socket or a terminal (pipefs). */
const PIPEFS_MAGIC = 0x50495045;

function putStatfs(t: Thread, addr: number, s: FsStatFs | number): number {
  if (typeof s === "number") return s;
  return putStruct(t.process.memory, addr, SIZEOF_STATFS, encodeStatfs, {
    f_type: s.type, f_bsize: s.bsize, f_blocks: s.blocks, f_bfree: s.bfree, f_bavail: s.bavail,
    f_files: s.files, f_ffree: s.ffree, f_fsid: [0, 0], f_namelen: s.namelen, f_frsize: s.frsize,
    f_flags: s.flags | ST_VALID,
  }) ? 0 : -E.EFAULT;
}

/** Statfs implements Linux syscall statfs(2). */
export function sysStatfs(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const lk = lookupArg(k, t, AT_FDCWD, a.ptr(0), "follow");
  if (typeof lk === "number") return lk;
  return putStatfs(t, a.ptr(1), k.vfs.call(lk.path, (fs, inner) => fs.statfs(inner)));
}

/** Fstatfs implements Linux syscall fstatfs(2). */
export function sysFstatfs(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.get(a.int(0));
  if (!f) return -E.EBADF;
  // A file or FIFO reports its file system; an anonymous pipe, pipefs.
  const s: FsStatFs | number = f.ops instanceof FsFile || f.ops instanceof NamedPipeEnd
    ? k.vfs.call(f.ops.path, (fs, inner) => fs.statfs(inner))
    : { type: PIPEFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255, frsize: 4096, flags: 0 };
  return putStatfs(t, a.ptr(1), s);
}
