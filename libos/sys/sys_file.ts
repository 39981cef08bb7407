// Opening, closing and duplicating descriptors, directories, and path operations.
// Linux: fs/open.c, fs/fcntl.c, fs/file.c, fs/readdir.c, fs/namei.c, fs/d_path.c.

import { stringToBytes, writeByteString } from "../../linux-abi/_byte_string.ts";
import type { FileSystem, FsStat } from "../../fs-task/file_system.ts";
import * as E from "../../linux-abi/errno.ts";
import * as F from "../../linux-abi/fcntl.ts";
import { AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW } from "../../linux-abi/fcntl.ts";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, UTIME_NOW, UTIME_OMIT } from "../../linux-abi/stat.ts";
import { SIZEOF_TIMESPEC, decodeTimespec, type Timespec } from "../../linux-abi/time.ts";
import type { FsTime } from "../../fs-task/file_system.ts";
import { getString, getStruct } from "./_struct.ts";
import { fileSizeOk, rwCount } from "./_io.ts";
import { OpenFile, type FileOps } from "../file.ts";
import { PROT_READ, PROT_WRITE } from "../memory.ts";
import type { Thread } from "../process.ts";
import { kernelServesFifos, NamedPipeEnd } from "../named_pipe.ts";
import { scopedLookup } from "../scoped_lookup.ts";
import { sleepOnCall } from "../wait_queue.ts";
import { FsFile, type Mount } from "../vfs.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { sizeAllowed } from "./_offsets.ts";
import { pathArg, readPath, resolveAt } from "./_path.ts";
import {
  CLOSE_RANGE_CLOEXEC, CLOSE_RANGE_UNSHARE, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, RESOLVE_BENEATH,
  RESOLVE_CACHED, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, SIZEOF_OPEN_HOW,
} from "../../linux-abi/fs.ts";
import { fcntlLock } from "./sys_lock.ts";
import { F_OWNER_PGRP, F_OWNER_PID, getLease, getOwner, notifyHolder, ownerEx, setLease, setOwner, setSignal } from "./sys_lease.ts";
import { REOPEN_FILE } from "../procfs.ts";
import { PipeEnd } from "../pipe.ts";
import { ownCreated, willCreate } from "./_owner.ts";
import { softLimit } from "../rlimits.ts";
import { RLIMIT_FSIZE } from "../../linux-abi/resource.ts";

/** After a call that made `inner` (r = 0): the new file goes to the caller (_owner.ts). */
function created(fs: FileSystem, inner: string, t: Thread, r: number): number {
  if (r === 0) ownCreated(fs, inner, t.creds, false);
  return r;
}

const DESCRIPTION_FLAGS = ~(F.O_CREAT | F.O_EXCL | F.O_TRUNC | F.O_CLOEXEC | F.O_NOCTTY);

function openPath(k: KernelServices, t: Thread, path: string, flags: number, mode: number): SyscallResult {
  const cloexec = (flags & F.O_CLOEXEC) !== 0;
  const install = (ops: FileOps | number): number =>
    typeof ops === "number" ? ops : t.process.fds.install(new OpenFile(ops, flags & DESCRIPTION_FLAGS), cloexec);
  // The handle is the back end's, whether the open went through a read-only mount's guard or not.
  const finish = (handle: number, mount: Mount): number | Promise<number> => {
    if (handle < 0) return handle;
    const fs = mount.fs;
    const st = fs.fstat(handle);
    if (typeof st === "number") {
      fs.close(handle);
      return st;
    }
    const type = st.mode & S_IFMT;
    if ((type === S_IFCHR || type === S_IFBLK) && !(flags & F.O_PATH)) {
      // A terminal or loop device is the kernel-task's; the node stays open for its fstat.
      const node = new FsFile(fs, handle, path, st, mount);
      const device = k.loopDevices.open(type, st.rdev, flags, path, node) ??
        (type === S_IFCHR ? k.terminals.open(t, st.rdev, flags, path, node) : null);
      if (device !== null) {
        if (typeof device === "number") node.release();
        return install(device);
      }
      return install(node);
    }
    if (type === S_IFIFO && !(flags & F.O_PATH) && kernelServesFifos(mount)) {
      const end = k.namedPipes.open(t, fs, handle, st.ino, path, flags);
      return end instanceof Promise ? end.then(install) : install(end);
    }
    if (flags & F.O_TRUNC && type === S_IFREG) k.pageCache.lookup(fs, st.ino)?.resized(0);
    const special = type === S_IFCHR || type === S_IFBLK || type === S_IFIFO || type === S_IFSOCK;
    const writer = !special && !(flags & F.O_PATH) && (flags & F.O_ACCMODE) !== F.O_RDONLY;
    return install(new FsFile(fs, handle, path, st, mount, writer, k.pageCache));
  };
  const open = (fs: FileSystem, inner: string, mount: Mount): number | Promise<number> => {
    const creating = (flags & F.O_CREAT) !== 0 && willCreate(fs, inner, t.creds);
    const h = fs.open(inner, flags, mode & ~t.process.umask & 0o7777);
    if (creating && typeof h === "number" && h >= 0) ownCreated(fs, inner, t.creds, true);
    if (typeof h === "number") return finish(h, mount);
    // A host FIFO's open waits for the other end: a signal ends the wait, as on Linux.
    const undo = (late: number): void => void (late >= 0 && fs.close(late));
    return sleepOnCall(t, h, undo).then((x) => finish(x, mount));
  };
  const r = k.vfs.call(path, (fs, inner, mount): number | Promise<number> => {
    // A lease on the file is broken before the open goes on (it may wait for the holder).
    const gate = k.leases.active ? breakLeases(k, t, fs, inner, flags) : 0;
    if (gate === 0) return open(fs, inner, mount);
    return typeof gate === "number" ? gate : gate.then((g) => (g < 0 ? g : open(fs, inner, mount)));
  });
  return r === REOPEN_FILE ? reopen(k, t, flags, mode) : r;
}

/** An open of a regular file breaks the leases it conflicts with (lease.ts); 0 when none does. */
function breakLeases(k: KernelServices, t: Thread, fs: FileSystem, inner: string, flags: number): number | Promise<number> {
  if (flags & F.O_PATH) return 0;
  const st = fs.stat(inner, !(flags & F.O_NOFOLLOW));
  if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFREG) return 0;
  const write = (flags & F.O_ACCMODE) !== F.O_RDONLY || (flags & F.O_TRUNC) !== 0;
  return k.leases.breakFor(t, `${st.dev}:${st.ino}`, write, (flags & F.O_NONBLOCK) !== 0, (holder) => notifyHolder(k, holder));
}

/**
 * Whether a /proc/PID/fd/N link names a descriptor that holds a link itself (an
 * O_PATH|O_NOFOLLOW open of another fd/N). Linux does not follow that one again; going
 * on by its path would (and a link naming its own descriptor would never end).
 */
function holdsLink(f: OpenFile): boolean {
  const st = f.ops.stat();
  return typeof st !== "number" && (st.mode & S_IFMT) === S_IFLNK;
}

/** open() of /proc/PID/fd/N: the file that descriptor has open, opened again. */
function reopen(k: KernelServices, t: Thread, flags: number, mode: number): SyscallResult {
  const f = k.procfs.reopenTarget();
  if (!f) return -E.ENOENT;
  // The link itself: only O_PATH opens it (as the same description), as Linux's open of a symlink.
  if (holdsLink(f)) return flags & F.O_PATH ? t.process.fds.install(f.ref(), (flags & F.O_CLOEXEC) !== 0) : -E.ELOOP;
  // A file or FIFO is opened again by its path (a FIFO open: a new end that may wait).
  if (f.ops instanceof FsFile || f.ops instanceof NamedPipeEnd) return openPath(k, t, f.ops.path, flags & ~(F.O_CREAT | F.O_EXCL), mode);
  // A pipe or terminal: the same open file description (Linux makes a new one of the same object).
  return t.process.fds.install(f.ref(), (flags & F.O_CLOEXEC) !== 0);
}

/** Openat implements Linux syscall openat(2). */
export function sysOpenat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const path = pathArg(t, a.int(0), a.ptr(1));
  return typeof path === "number" ? path : openPath(k, t, path, a.int(2), a.uint(3));
}

/** Open implements Linux syscall open(2). */
export function sysOpen(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const path = pathArg(t, F.AT_FDCWD, a.ptr(0));
  return typeof path === "number" ? path : openPath(k, t, path, a.int(1), a.uint(2));
}

/** Creat implements Linux syscall creat(2). */
export function sysCreat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const path = pathArg(t, F.AT_FDCWD, a.ptr(0));
  return typeof path === "number" ? path : openPath(k, t, path, F.O_CREAT | F.O_WRONLY | F.O_TRUNC, a.uint(1));
}

/** Close implements Linux syscall close(2). */
export function sysClose(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return t.process.fds.close(a.int(0)) ? 0 : -E.EBADF;
}

/** Dup implements Linux syscall dup(2). */
export function sysDup(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.get(a.int(0));
  return f ? t.process.fds.install(f.ref(), false) : -E.EBADF;
}

function dupTo(t: Thread, oldfd: number, newfd: number, cloexec: boolean): number {
  const f = t.process.fds.get(oldfd);
  if (!f) return -E.EBADF;
  if (newfd < 0 || newfd >= t.process.fds.limit) return -E.EBADF;
  t.process.fds.installAt(newfd, f.ref(), cloexec);
  return newfd;
}

/** Dup2 implements Linux syscall dup2(2). */
export function sysDup2(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const oldfd = a.int(0), newfd = a.int(1);
  if (oldfd === newfd) return t.process.fds.get(oldfd) ? newfd : -E.EBADF;
  return dupTo(t, oldfd, newfd, false);
}

/** Dup3 implements Linux syscall dup3(2). */
export function sysDup3(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const oldfd = a.int(0), newfd = a.int(1), flags = a.int(2);
  if (oldfd === newfd || (flags & ~F.O_CLOEXEC) !== 0) return -E.EINVAL;
  return dupTo(t, oldfd, newfd, (flags & F.O_CLOEXEC) !== 0);
}

/** Fcntl implements Linux syscall fcntl(2). */
export function sysFcntl(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const fd = a.int(0), cmd = a.int(1);
  const fds = t.process.fds;
  const f = fds.get(fd);
  if (!f) return -E.EBADF;
  switch (cmd) {
    case F.F_DUPFD:
    case F.F_DUPFD_CLOEXEC: {
      const min = a.int(2);
      if (min < 0 || min >= fds.limit) return -E.EINVAL;
      return fds.install(f.ref(), cmd === F.F_DUPFD_CLOEXEC, min);
    }
    case F.F_GETFD:
      return fds.cloexec(fd) ? F.FD_CLOEXEC : 0;
    case F.F_SETFD:
      fds.setCloexec(fd, (a.int(2) & F.FD_CLOEXEC) !== 0);
      return 0;
    case F.F_GETFL:
      return f.flags;
    case F.F_SETFL: {
      const settable = F.O_APPEND | F.O_NONBLOCK | F.O_DIRECT | F.O_NOATIME | F.FASYNC;
      f.flags = (f.flags & ~settable) | (a.int(2) & settable);
      return 0;
    }
    case F.F_GETLK:
    case F.F_SETLK:
    case F.F_SETLKW:
    case F.F_OFD_GETLK:
    case F.F_OFD_SETLK:
    case F.F_OFD_SETLKW:
      return fcntlLock(k, t, fd, cmd, a.ptr(2));
    case F.F_GETPIPE_SZ:
      return f.ops instanceof PipeEnd ? f.ops.pipe.capacity : -E.EBADF;
    case F.F_SETPIPE_SZ:
      return f.ops instanceof PipeEnd ? f.ops.pipe.resize(a.uint(2)) : -E.EBADF;
    case F.F_SETLEASE:
      return setLease(k, t, f, a.int(2));
    case F.F_GETLEASE:
      return getLease(k, f);
    case F.F_SETOWN:
      return a.int(2) < 0 ? setOwner(k, f, F_OWNER_PGRP, -a.int(2)) : setOwner(k, f, F_OWNER_PID, a.int(2));
    case F.F_GETOWN:
      return getOwner(f);
    case F.F_SETOWN_EX: {
      const raw = t.process.memory.view(a.ptr(2), 8, PROT_READ);
      if (!raw) return -E.EFAULT;
      const v = new DataView(raw.buffer, raw.byteOffset, 8);
      return setOwner(k, f, v.getInt32(0, true), v.getInt32(4, true));
    }
    case F.F_GETOWN_EX:
      return t.process.memory.write(a.ptr(2), ownerEx(f)) ? 0 : -E.EFAULT;
    case F.F_SETSIG:
      return setSignal(f, a.int(2));
    case F.F_GETSIG:
      return f.signal;
    default:
      return -E.EINVAL;
  }
}

const DIRENT_HEADER = 19;

/** Getdents64 implements Linux syscall getdents64(2). */
export function sysGetdents64(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  if (a.uint(2) > 0x7fffffff) return -E.EINVAL;
  const mem = t.process.memory;
  // The buffer may span several mappings: fill a copy as large as its writable part (an
  // entry Linux would write past that part faults there; here it is left for the next call).
  const count = rwCount(mem, a.ptr(1), Math.min(a.uint(2), 1 << 20), PROT_WRITE);
  if (count < 0) return count;
  const out = new Uint8Array(count);
  const page = f.ops.readdir(f.dirCookie, Math.max(1, Math.floor(count / 24)));
  if (typeof page === "number") return page;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  for (const e of page.entries) {
    const reclen = (DIRENT_HEADER + e.name.length + 1 + 7) & ~7;
    if (at + reclen > count) {
      if (at === 0) return -E.EINVAL;
      break;
    }
    view.setUint32(at, e.ino >>> 0, true);
    view.setUint32(at + 4, Math.floor(e.ino / 4294967296), true);
    view.setUint32(at + 8, e.nextCookie >>> 0, true);
    view.setUint32(at + 12, Math.floor(e.nextCookie / 4294967296), true);
    view.setUint16(at + 16, reclen, true);
    out[at + 18] = e.type;
    const end = at + DIRENT_HEADER + writeByteString(out, at + DIRENT_HEADER, e.name);
    out.fill(0, end, at + reclen);
    at += reclen;
    f.dirCookie = e.nextCookie;
  }
  return mem.write(a.ptr(1), out.subarray(0, at)) ? at : -E.EFAULT;
}

/** Getcwd implements Linux syscall getcwd(2). */
export function sysGetcwd(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const bytes = stringToBytes(t.process.cwd + "\0");
  if (bytes.length > a.size(1)) return -E.ERANGE;
  return t.process.memory.write(a.ptr(0), bytes) ? bytes.length : -E.EFAULT;
}

function changeDir(k: KernelServices, t: Thread, path: string): number {
  const st = k.vfs.call(path, (fs, inner) => fs.stat(inner, true));
  if (typeof st === "number") return st;
  if ((st.mode & S_IFMT) !== S_IFDIR) return -E.ENOTDIR;
  const real = k.vfs.realpath(path);
  if (typeof real === "number") return real;
  t.process.cwd = real;
  return 0;
}

/** Chdir implements Linux syscall chdir(2). */
export function sysChdir(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const path = pathArg(t, F.AT_FDCWD, a.ptr(0));
  return typeof path === "number" ? path : changeDir(k, t, path);
}

/** Fchdir implements Linux syscall fchdir(2). */
export function sysFchdir(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.get(a.int(0));
  if (!f) return -E.EBADF;
  const dir = f.ops.currentPath?.() ?? f.ops.path;
  return typeof dir === "number" ? dir : changeDir(k, t, dir);
}

function readlinkPath(k: KernelServices, t: Thread, path: string | number, buf: number, size: number): number {
  if (typeof path === "number") return path;
  if (size <= 0) return -E.EINVAL;
  const target = k.vfs.call(path, (fs, inner) => fs.readlink(inner));
  if (typeof target === "number") return target;
  const bytes = stringToBytes(target).subarray(0, size);
  return t.process.memory.write(buf, bytes) ? bytes.length : -E.EFAULT;
}

/** Readlink implements Linux syscall readlink(2). */
export function sysReadlink(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return readlinkPath(k, t, pathArg(t, F.AT_FDCWD, a.ptr(0)), a.ptr(1), a.int(2));
}

/** Readlinkat implements Linux syscall readlinkat(2). */
export function sysReadlinkat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return readlinkPath(k, t, pathArg(t, a.int(0), a.ptr(1)), a.ptr(2), a.int(3));
}

function accessPath(k: KernelServices, path: string | number, mode: number): number {
  if (typeof path === "number") return path;
  if (mode & ~7) return -E.EINVAL;
  return k.vfs.call(path, (fs, inner) => fs.access(inner, mode));
}

/** Access implements Linux syscall access(2). */
export function sysAccess(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return accessPath(k, pathArg(t, F.AT_FDCWD, a.ptr(0)), a.int(1));
}

/** Faccessat implements Linux syscall faccessat(2) (and faccessat2, which adds flags). */
export function sysFaccessat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return accessPath(k, pathArg(t, a.int(0), a.ptr(1)), a.int(2));
}

/** Resolve (dirfd, path) and run `op` on the file system serving it, with the path inside it. */
function atPath(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, op: (fs: FileSystem, inner: string) => number): number {
  const path = pathArg(t, dirfd, pathAddr);
  if (typeof path === "number") return path;
  return k.vfs.call(path, op);
}

/** Mkdir implements Linux syscall mkdir(2). */
export function sysMkdir(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mode = a.uint(1) & ~t.process.umask & 0o7777;
  return atPath(k, t, F.AT_FDCWD, a.ptr(0), (fs, p) => created(fs, p, t, fs.mkdir(p, mode)));
}

/** Mkdirat implements Linux syscall mkdirat(2). */
export function sysMkdirat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mode = a.uint(2) & ~t.process.umask & 0o7777;
  return atPath(k, t, a.int(0), a.ptr(1), (fs, p) => created(fs, p, t, fs.mkdir(p, mode)));
}

/** Unlink implements Linux syscall unlink(2). */
export function sysUnlink(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return atPath(k, t, F.AT_FDCWD, a.ptr(0), (fs, p) => fs.unlink(p));
}

/** Rmdir implements Linux syscall rmdir(2). */
export function sysRmdir(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return atPath(k, t, F.AT_FDCWD, a.ptr(0), (fs, p) => fs.rmdir(p));
}

/** Unlinkat implements Linux syscall unlinkat(2). */
export function sysUnlinkat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(2);
  if (flags & ~AT_REMOVEDIR) return -E.EINVAL;
  return atPath(k, t, a.int(0), a.ptr(1), (fs, p) => (flags & AT_REMOVEDIR ? fs.rmdir(p) : fs.unlink(p)));
}

function twoPaths(t: Thread, dir1: number, p1: number, dir2: number, p2: number): [string, string] | number {
  const a = pathArg(t, dir1, p1);
  if (typeof a === "number") return a;
  const b = pathArg(t, dir2, p2);
  return typeof b === "number" ? b : [a, b];
}

/** Rename implements Linux syscall rename(2). */
export function sysRename(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const p = twoPaths(t, F.AT_FDCWD, a.ptr(0), F.AT_FDCWD, a.ptr(1));
  return typeof p === "number" ? p : k.vfs.call2(p[0], p[1], (fs, x, y) => fs.rename(x, y, 0));
}

/**
 * Renameat2 implements Linux syscall renameat2(2). The file system does RENAME_NOREPLACE
 * and RENAME_EXCHANGE itself, atomically (FileSystem.rename); RENAME_WHITEOUT is EINVAL.
 */
export function sysRenameat2(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return renameAt(k, t, a, a.uint(4));
}

/** Renameat implements Linux syscall renameat(2): renameat2 without flags (r8 is not an argument). */
export function sysRenameat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return renameAt(k, t, a, 0);
}

function renameAt(k: KernelServices, t: Thread, a: SyscallArgs, flags: number): SyscallResult {
  // Linux refuses bad flags before it looks a path up (so before any EXDEV or ENOENT).
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -E.EINVAL;
  if (flags & RENAME_WHITEOUT || (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE)) return -E.EINVAL;
  const p = twoPaths(t, a.int(0), a.ptr(1), a.int(2), a.ptr(3));
  if (typeof p === "number") return p;
  return k.vfs.call2(p[0], p[1], (fs, x, y) => fs.rename(x, y, flags));
}

/** Mknodat implements Linux syscall mknodat(2); mknod(2) passes AT_FDCWD. */
function mknodAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, mode: number, dev: number): SyscallResult {
  const m = (mode & S_IFMT) | (mode & ~t.process.umask & 0o7777);
  return atPath(k, t, dirfd, pathAddr, (fs, p) => (fs.mknod ? created(fs, p, t, fs.mknod(p, m, dev)) : -E.EPERM));
}
export const sysMknod = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => mknodAt(k, t, F.AT_FDCWD, a.ptr(0), a.uint(1), a.uint(2));
export const sysMknodat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => mknodAt(k, t, a.int(0), a.ptr(1), a.uint(2), a.uint(3));

/** CloseRange implements Linux syscall close_range(2). */
export function sysCloseRange(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const first = a.uint(0), last = a.uint(1), flags = a.uint(2);
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last) return -E.EINVAL;
  const p = t.process;
  if (flags & CLOSE_RANGE_UNSHARE && p.fds.shared) p.fds = p.fds.unshare();
  p.fds.closeRange(first, last, (flags & CLOSE_RANGE_CLOEXEC) !== 0);
  return 0;
}

const OPEN_HOW_FLAGS = 0xffffffff;
const RESOLVE_KNOWN = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;

/**
 * Openat2 implements Linux syscall openat2(2). With resolve flags the path is looked up
 * component by component under their rules (scoped_lookup.ts), then opened.
 */
export function sysOpenat2(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const size = a.size(3), how = a.ptr(2);
  if (size < SIZEOF_OPEN_HOW) return -E.EINVAL;
  const mem = t.process.memory;
  const flags = mem.u64(how), mode = mem.u64(how + 8), resolve = mem.u64(how + 16);
  if (flags === null || mode === null || resolve === null) return -E.EFAULT;
  if (size > SIZEOF_OPEN_HOW) {
    const extra = new Uint8Array(Math.min(size - SIZEOF_OPEN_HOW, 4096));
    if (!mem.read(how + SIZEOF_OPEN_HOW, extra)) return -E.EFAULT;
    if (extra.some((b) => b !== 0)) return -E.E2BIG;
  }
  if (flags > OPEN_HOW_FLAGS || resolve & ~RESOLVE_KNOWN || mode & ~0o7777) return -E.EINVAL;
  if (mode !== 0 && !(flags & F.O_CREAT) && (flags & F.O_TMPFILE) !== F.O_TMPFILE) return -E.EINVAL;
  if (resolve & RESOLVE_BENEATH && resolve & RESOLVE_IN_ROOT) return -E.EINVAL;
  if (resolve & RESOLVE_CACHED) return -E.EAGAIN;
  const written = readPath(t, a.ptr(1));
  if (typeof written === "number") return written;
  if (resolve === 0) {
    const path = resolveAt(t, a.int(0), written);
    return typeof path === "number" ? path : openPath(k, t, path, flags, mode);
  }
  const start = resolveAt(t, a.int(0), "", true);
  if (typeof start === "number") return start;
  const base = k.vfs.realpath(start);
  if (typeof base === "number") return base;
  // O_CREAT|O_EXCL never follows a trailing symlink (EEXIST), as O_NOFOLLOW does not.
  const followLast = !(flags & F.O_NOFOLLOW) && (flags & (F.O_CREAT | F.O_EXCL)) !== (F.O_CREAT | F.O_EXCL);
  const path = scopedLookup(k.vfs, base, written, resolve, followLast);
  if (typeof path === "number") return path;
  return openPath(k, t, path, resolve & RESOLVE_NO_SYMLINKS ? flags | F.O_NOFOLLOW : flags, mode);
}

/** Symlinkat implements Linux syscall symlinkat(2); symlink(2) passes AT_FDCWD. */
function symlinkAt(k: KernelServices, t: Thread, targetAddr: number, dirfd: number, pathAddr: number): SyscallResult {
  const target = getString(t.process.memory, targetAddr, 4096, -E.ENAMETOOLONG);
  if (typeof target === "number") return target;
  const path = pathArg(t, dirfd, pathAddr);
  if (typeof path === "number") return path;
  return k.vfs.call(path, (fs, inner) => created(fs, inner, t, fs.symlink(target, inner)));
}
export const sysSymlink = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => symlinkAt(k, t, a.ptr(0), F.AT_FDCWD, a.ptr(1));
export const sysSymlinkat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => symlinkAt(k, t, a.ptr(0), a.int(1), a.ptr(2));

/** Link implements Linux syscall link(2); linkat below. */
export function sysLink(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const p = twoPaths(t, F.AT_FDCWD, a.ptr(0), F.AT_FDCWD, a.ptr(1));
  return typeof p === "number" ? p : k.vfs.call2(p[0], p[1], (fs, x, y) => fs.link(x, y));
}

/** Linkat implements Linux syscall linkat(2); AT_SYMLINK_FOLLOW links what a final symlink names. */
export function sysLinkat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(4);
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  const p = twoPaths(t, a.int(0), a.ptr(1), a.int(2), a.ptr(3));
  if (typeof p === "number") return p;
  const existing = flags & AT_SYMLINK_FOLLOW ? k.vfs.realpath(p[0]) : p[0];
  if (typeof existing === "number") return existing;
  return k.vfs.call2(existing, p[1], (fs, x, y) => fs.link(x, y));
}

/** Chmod implements Linux syscall chmod(2); fchmodat and fchmod below. */
export function sysChmod(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mode = a.uint(1) & 0o7777;
  return atPath(k, t, F.AT_FDCWD, a.ptr(0), (fs, p) => fs.chmod(p, mode));
}

export function sysFchmodat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mode = a.uint(2) & 0o7777;
  return atPath(k, t, a.int(0), a.ptr(1), (fs, p) => fs.chmod(p, mode));
}

export function sysFchmod(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.getOpen(a.int(0));
  if (!f) return -E.EBADF;
  const mode = a.uint(1) & 0o7777;
  return k.vfs.call(f.ops.path, (fs, inner) => fs.chmod(inner, mode));
}

/** Ftruncate implements Linux syscall ftruncate(2). */
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

/** Truncate implements Linux syscall truncate(2). */
export function sysTruncate(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const path = pathArg(t, F.AT_FDCWD, a.ptr(0));
  if (typeof path === "number") return path;
  const len = a.long(1);
  if (len < 0) return -E.EINVAL;
  return truncatePath(k, t, path, len);
}

function truncatePath(k: KernelServices, t: Thread, path: string, len: number): SyscallResult {
  const r = k.vfs.call(path, (fs, inner) => {
    const h = fs.open(inner, F.O_WRONLY, 0);
    if (typeof h !== "number") return -E.EINVAL;
    if (h < 0) return h;
    const r = sizeAllowed(len) || growsPastLimit(k, t, len, () => fs.fstat(h)) || fs.ftruncate(h, len);
    const st = r === 0 ? fs.fstat(h) : r;
    if (typeof st !== "number") k.pageCache.lookup(fs, st.ino)?.resized(len);
    fs.close(h);
    return r;
  });
  if (r !== REOPEN_FILE) return r;
  // A /proc/PID/fd/N link: the file it names (not the descriptor) is truncated; a pipe,
  // terminal or link cannot be.
  const f = k.procfs.reopenTarget();
  if (!f) return -E.ENOENT;
  return f.ops instanceof FsFile && !holdsLink(f) ? truncatePath(k, t, f.ops.path, len) : -E.EINVAL;
}

/** Umask implements Linux syscall umask(2). */
export function sysUmask(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const old = t.process.umask;
  t.process.umask = a.uint(0) & 0o777;
  return old;
}

function fsTime(ts: Timespec): FsTime | number {
  if (ts.tv_nsec === UTIME_NOW) return "now";
  if (ts.tv_nsec === UTIME_OMIT) return "omit";
  if (ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
  return BigInt(ts.tv_sec) * 1_000_000_000n + BigInt(ts.tv_nsec);
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
    const x = fsTime(at), y = fsTime(mt);
    if (typeof x === "number") return x;
    if (typeof y === "number") return y;
    atime = x;
    mtime = y;
  }
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  if (pathAddr === 0) {
    const f = t.process.fds.get(dirfd);
    if (!f) return -E.EBADF;
    // By the open file when its file system can: it may have no name any more.
    const ops = f.ops;
    if (ops instanceof FsFile && ops.fs.futimens) return ops.mount?.readOnly ? -E.EROFS : ops.fs.futimens(ops.handle, atime, mtime);
    return k.vfs.call(ops.path, (fs, inner) => fs.utimens(inner, atime, mtime, true));
  }
  return atPath(k, t, dirfd, pathAddr, (fs, p) => fs.utimens(p, atime, mtime, follow));
}
