// Opening, closing and duplicating descriptors, directories, the cwd and root, readlink
// and access. Linux: fs/open.c, fs/fcntl.c, fs/file.c, fs/readdir.c, fs/namei.c, fs/d_path.c.
// Names in directories are sys_names.ts's, attributes sys_setstat.ts's.

import { stringToBytes, writeByteString } from "../../linux-abi/_byte_string.ts";
import type { FileSystem, FsStat } from "../../fs-task/file_system.ts";
import { CAP_SYS_CHROOT } from "../../linux-abi/capability.ts";
import * as E from "../../linux-abi/errno.ts";
import * as F from "../../linux-abi/fcntl.ts";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, W_OK } from "../../linux-abi/fcntl.ts";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from "../../linux-abi/stat.ts";
import { accessCreds, capable } from "../capabilities.ts";
import { CAP_SYS_RESOURCE } from "../../linux-abi/capability.ts";
import { rwCount } from "./_io.ts";
import { OpenFile, type FileOps } from "../file.ts";
import { PROT_READ, PROT_WRITE } from "../memory.ts";
import type { Thread } from "../process.ts";
import { kernelServesFifos, NamedPipeEnd } from "../named_pipe.ts";
import { walkPath } from "../path_walk.ts";
import { MAY_EXEC, MAY_WRITE, mayCreate, mayOpen, openMask, permission } from "../permission.ts";
import { sleepOnCall } from "../wait_queue.ts";
import { FsFile, type Mount } from "../vfs.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { lookupArg, lookupAt, mustWalk, readPath, resolveAt, type Last, type Lookup } from "./_path.ts";
import {
  CLOSE_RANGE_CLOEXEC, CLOSE_RANGE_UNSHARE, RESOLVE_BENEATH, RESOLVE_CACHED, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, SIZEOF_OPEN_HOW,
} from "../../linux-abi/fs.ts";
import { fcntlLock } from "./sys_lock.ts";
import { F_OWNER_PGRP, F_OWNER_PID, getLease, getOwner, notifyHolder, ownerEx, setLease, setOwner, setSignal } from "./sys_lease.ts";
import { REOPEN_FILE } from "../procfs.ts";
import { PipeEnd } from "../pipe.ts";
import { ownCreated, willCreate } from "./_owner.ts";

const DESCRIPTION_FLAGS = ~(F.O_CREAT | F.O_EXCL | F.O_TRUNC | F.O_CLOEXEC | F.O_NOCTTY);

/**
 * may_open and may_create for an open of what the walk found (nothing to check when the
 * path was not walked): a new file needs w+x on its directory, an existing one the
 * access the flags ask for. The file system answers the rest (EEXIST, ELOOP, EISDIR…),
 * and a magic link's target is checked when it is reopened.
 */
function openAllowed(k: KernelServices, t: Thread, lk: Lookup, flags: number): number {
  const w = lk.found;
  if (w === null) return 0;
  if (w.st === null) return flags & F.O_CREAT && w.dir !== null && !readOnly(k, lk.path, S_IFDIR) ? mayCreate(t.creds, w.dir) : 0;
  const type = w.st.mode & S_IFMT;
  if (openMask(flags) & MAY_WRITE && readOnly(k, lk.path, type)) return 0;
  if ((flags & F.O_TMPFILE) === F.O_TMPFILE) return type === S_IFDIR ? mayCreate(t.creds, w.st) : 0;
  if (flags & F.O_PATH || type === S_IFLNK || (flags & F.O_CREAT && flags & F.O_EXCL)) return 0;
  if (type === S_IFDIR && openMask(flags) & MAY_WRITE) return 0;
  return mayOpen(t.creds, w.st, flags);
}

/**
 * inode_permission: asking to write a file, directory or symlink on a read-only mount is
 * EROFS before any permission (the file system's answer, here).
 */
function readOnly(k: KernelServices, path: string, type: number): boolean {
  return (type === S_IFREG || type === S_IFDIR || type === S_IFLNK) && k.vfs.route(path).mount.readOnly;
}

function openPath(k: KernelServices, t: Thread, lk: Lookup, flags: number, mode: number): SyscallResult {
  const allowed = openAllowed(k, t, lk, flags);
  if (allowed < 0) return allowed;
  const path = lk.path;
  const cloexec = (flags & F.O_CLOEXEC) !== 0;
  const install = (ops: FileOps | number): number =>
    typeof ops === "number" ? ops : t.process.fds.install(new OpenFile(ops, flags & DESCRIPTION_FLAGS), cloexec);
  // The handle is the back end's, whether the open went through a read-only mount's guard or not.
  const finish = (handle: number, mount: Mount, created = false): number | Promise<number> => {
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
    const file = new FsFile(fs, handle, path, st, mount, writer, k.pageCache);
    if (writer && type === S_IFREG) {
      const inode = { fs: mount.fs, ino: st.ino };
      const busy = k.writeAccess.get(inode);
      if (busy < 0) {
        file.release();
        return busy;
      }
      file.releaseWrite = () => k.writeAccess.put(inode);
    }
    if (!(flags & F.O_PATH)) {
      // fsnotify: a truncation's IN_MODIFY, then IN_OPEN; the rest as the file is used.
      file.events = k.fsnotify;
      file.wrote = (flags & F.O_ACCMODE) !== F.O_RDONLY;
      if (flags & F.O_TRUNC && type === S_IFREG && file.wrote && !created) k.fsnotify.modified(file);
      k.fsnotify.opened(file);
    }
    return install(file);
  };
  const open = (fs: FileSystem, inner: string, mount: Mount): number | Promise<number> => {
    if (k.writeAccess.running(mount.fs) && ((flags & F.O_ACCMODE) !== F.O_RDONLY || flags & F.O_TRUNC) && !(flags & F.O_PATH)) {
      // A running program opens for reading only (ETXTBSY before O_TRUNC cuts it).
      const st = fs.stat(inner, !(flags & F.O_NOFOLLOW));
      if (typeof st !== "number" && (st.mode & S_IFMT) === S_IFREG && k.writeAccess.denied({ fs: mount.fs, ino: st.ino })) return -E.ETXTBSY;
    }
    const creating = (flags & F.O_CREAT) !== 0 && willCreate(fs, inner, t.creds);
    const announce = (flags & F.O_CREAT) !== 0 && k.fsnotify.watching(mount.fs) && typeof fs.stat(inner, true) === "number";
    const h = fs.open(inner, flags, mode & ~t.process.umask & 0o7777);
    if (creating && typeof h === "number" && h >= 0) ownCreated(fs, inner, t.creds, true);
    if (announce && typeof h === "number" && h >= 0) k.fsnotify.announceCreated(mount, fs, inner);
    if (typeof h === "number") return finish(h, mount, announce);
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
export function holdsLink(f: OpenFile): boolean {
  const st = f.ops.stat();
  return typeof st !== "number" && (st.mode & S_IFMT) === S_IFLNK;
}

/** open() of /proc/PID/fd/N: the file that descriptor has open, opened again. */
function reopen(k: KernelServices, t: Thread, flags: number, mode: number): SyscallResult {
  const f = k.procfs.reopenTarget();
  if (!f) return -E.ENOENT;
  // The link itself: only O_PATH opens it (as the same description), as Linux's open of a symlink.
  if (holdsLink(f)) return flags & F.O_PATH ? t.process.fds.install(f.ref(), (flags & F.O_CLOEXEC) !== 0) : -E.ELOOP;
  // A file or FIFO is opened again by its path (a FIFO open: a new end that may wait),
  // checked as the file it is (no search permission is asked of a magic link's target).
  if (f.ops instanceof FsFile || f.ops instanceof NamedPipeEnd) {
    const path = f.ops.path;
    const st = mustWalk(t, t.creds) ? f.ops.stat() : null;
    if (typeof st === "number") return st;
    return openPath(k, t, { path, found: st === null ? null : { path, st, dir: null } }, flags & ~(F.O_CREAT | F.O_EXCL), mode);
  }
  // A pipe or terminal: the same open file description (Linux makes a new one of the same object).
  return t.process.fds.install(f.ref(), (flags & F.O_CLOEXEC) !== 0);
}

/** How an open treats a last symlink: O_CREAT|O_EXCL never follows one (EEXIST), as O_NOFOLLOW does not. */
function openLast(flags: number): Last {
  return flags & F.O_NOFOLLOW || (flags & (F.O_CREAT | F.O_EXCL)) === (F.O_CREAT | F.O_EXCL) ? "nofollow" : "follow";
}

/** The open of (dirfd, path) with `flags`. */
function openAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, flags: number, mode: number): SyscallResult {
  const lk = lookupArg(k, t, dirfd, pathAddr, openLast(flags));
  return typeof lk === "number" ? lk : openPath(k, t, lk, flags, mode);
}

/** Openat implements Linux syscall openat(2). */
export const sysOpenat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => openAt(k, t, a.int(0), a.ptr(1), a.int(2), a.uint(3));

/** Open implements Linux syscall open(2). */
export const sysOpen = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => openAt(k, t, F.AT_FDCWD, a.ptr(0), a.int(1), a.uint(2));

/** Creat implements Linux syscall creat(2). */
export const sysCreat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  openAt(k, t, F.AT_FDCWD, a.ptr(0), F.O_CREAT | F.O_WRONLY | F.O_TRUNC, a.uint(1));

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
      return f.ops instanceof PipeEnd ? f.ops.pipe.resize(a.uint(2), capable(t.creds, CAP_SYS_RESOURCE) ? Infinity : k.pipeFs.maxSize) : -E.EBADF;
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

/**
 * Getcwd implements Linux syscall getcwd(2): the cwd as seen from the process's root, or
 * "(unreachable)" before it when the cwd is outside that root (a chroot left it there).
 */
export function sysGetcwd(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const { cwd, root } = t.process.fs;
  const seen = root === "/" ? cwd : cwd === root ? "/" : cwd.startsWith(root + "/") ? cwd.slice(root.length) : "(unreachable)" + cwd;
  const bytes = stringToBytes(seen + "\0");
  if (bytes.length > a.size(1)) return -E.ERANGE;
  return t.process.memory.write(a.ptr(0), bytes) ? bytes.length : -E.EFAULT;
}

/**
 * The directory a chdir or chroot goes to, canonical: a directory (ENOTDIR) the caller
 * may search (EACCES, when its path was walked: set_fs_pwd's path_permission).
 */
function directoryAt(k: KernelServices, t: Thread, lk: Lookup): string | number {
  const w = lk.found;
  let st: FsStat | number | null = w === null ? null : w.st;
  if (w !== null && st === null) return -E.ENOENT;
  if (st === null || (st.mode & S_IFMT) === S_IFLNK) st = k.vfs.call(lk.path, (fs, inner) => fs.stat(inner, true));
  if (typeof st === "number") return st;
  if ((st.mode & S_IFMT) !== S_IFDIR) return -E.ENOTDIR;
  if (w !== null && permission(t.creds, st, MAY_EXEC) < 0) return -E.EACCES;
  return k.vfs.realpath(lk.path);
}

/** Chdir implements Linux syscall chdir(2). */
export function sysChdir(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const lk = lookupArg(k, t, F.AT_FDCWD, a.ptr(0), "follow");
  const dir = typeof lk === "number" ? lk : directoryAt(k, t, lk);
  if (typeof dir === "number") return dir;
  t.process.cwd = dir;
  return 0;
}

/** Fchdir implements Linux syscall fchdir(2): the directory open as the descriptor, if the caller may search it. */
export function sysFchdir(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = t.process.fds.get(a.int(0));
  if (!f) return -E.EBADF;
  const path = f.ops.currentPath?.() ?? f.ops.path;
  if (typeof path === "number") return path;
  const st = mustWalk(t, t.creds) ? f.ops.stat() : null;
  if (typeof st === "number") return st;
  const dir = directoryAt(k, t, { path, found: st === null ? null : { path, st, dir: null } });
  if (typeof dir === "number") return dir;
  t.process.cwd = dir;
  return 0;
}

/**
 * Chroot implements Linux syscall chroot(2): the directory becomes the process's root
 * (shared with CLONE_FS threads and processes). Absolute paths and symlinks start there
 * and ".." stops there (path_walk.ts); the cwd stays where it is, as on Linux.
 */
export function sysChroot(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const lk = lookupArg(k, t, F.AT_FDCWD, a.ptr(0), "follow");
  const dir = typeof lk === "number" ? lk : directoryAt(k, t, lk);
  if (typeof dir === "number") return dir;
  if (!capable(t.creds, CAP_SYS_CHROOT)) return -E.EPERM;
  t.process.fs.root = dir;
  return 0;
}

/** Readlinkat implements Linux syscall readlinkat(2); an empty path reads the link the dirfd holds (O_PATH|O_NOFOLLOW). */
function readlinkAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, buf: number, size: number): number {
  const written = readPath(t, pathAddr);
  if (typeof written === "number") return written;
  const lk = lookupAt(k, t, dirfd, written, "nofollow", { allowEmpty: dirfd !== F.AT_FDCWD });
  if (typeof lk === "number") return lk;
  if (size <= 0) return -E.EINVAL;
  const target = k.vfs.call(lk.path, (fs, inner) => fs.readlink(inner));
  if (typeof target === "number") return target === -E.EINVAL && written === "" ? -E.ENOENT : target;
  const bytes = stringToBytes(target).subarray(0, size);
  return t.process.memory.write(buf, bytes) ? bytes.length : -E.EFAULT;
}

/** Readlink implements Linux syscall readlink(2). */
export const sysReadlink = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => readlinkAt(k, t, F.AT_FDCWD, a.ptr(0), a.ptr(1), a.int(2));
export const sysReadlinkat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => readlinkAt(k, t, a.int(0), a.ptr(1), a.ptr(2), a.int(3));

/**
 * faccessat2's check: the real uid and gid stand for the fs ones (accessCreds), unless
 * AT_EACCESS. A walked path is checked here (permission.ts); the file system adds what
 * only it knows (EROFS, a host's own refusal), and answers alone for a caller that passes
 * every check (root: its X_OK needs an x bit).
 */
function accessAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, mode: number, flags: number): number {
  if (mode & ~7) return -E.EINVAL;
  if (flags & ~(F.AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  const creds = flags & F.AT_EACCESS ? t.creds : accessCreds(t.creds);
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  const lk = lookupArg(k, t, dirfd, pathAddr, follow ? "follow" : "nofollow", { allowEmpty: (flags & AT_EMPTY_PATH) !== 0, creds });
  if (typeof lk === "number") return lk;
  let st = lk.found === null ? null : lk.found.st;
  if (lk.found !== null && st === null) return -E.ENOENT;
  if (!follow && st === null) {
    const own = k.vfs.call(lk.path, (fs, inner) => fs.stat(inner, false));
    if (typeof own === "number") return own;
    st = own;
  }
  const type = st === null ? 0 : st.mode & S_IFMT;
  if (mode & W_OK && type !== 0 && readOnly(k, lk.path, type)) return -E.EROFS;
  // A symlink not followed is checked as itself: rwx for all.
  if (!follow && type === S_IFLNK) return 0;
  if (lk.found !== null && type !== S_IFLNK && mode !== 0) {
    const r = permission(creds, st!, mode);
    if (r < 0) return r;
  }
  return k.vfs.call(lk.path, (fs, inner) => fs.access(inner, mode));
}

/** Access implements Linux syscall access(2). */
export const sysAccess = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => accessAt(k, t, F.AT_FDCWD, a.ptr(0), a.int(1), 0);

/** Faccessat implements Linux syscall faccessat(2), which has no flags. */
export const sysFaccessat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => accessAt(k, t, a.int(0), a.ptr(1), a.int(2), 0);

/** Faccessat2 implements Linux syscall faccessat2(2): AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
export const sysFaccessat2 = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => accessAt(k, t, a.int(0), a.ptr(1), a.int(2), a.int(3));

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
 * component by component under their rules (path_walk.ts), then opened.
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
    const lk = lookupAt(k, t, a.int(0), written, openLast(flags));
    return typeof lk === "number" ? lk : openPath(k, t, lk, flags, mode);
  }
  const start = resolveAt(t, a.int(0), "", true);
  if (typeof start === "number") return start;
  const base = k.vfs.realpath(start);
  if (typeof base === "number") return base;
  const root = resolve & RESOLVE_IN_ROOT ? base : t.process.fs.root;
  const found = walkPath(k.vfs, written, { root, start: base, last: openLast(flags), resolve, creds: t.creds });
  if (typeof found === "number") return found;
  return openPath(k, t, { path: found.path, found }, resolve & RESOLVE_NO_SYMLINKS ? flags | F.O_NOFOLLOW : flags, mode);
}

/** Umask implements Linux syscall umask(2). */
export function sysUmask(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const old = t.process.umask;
  t.process.umask = a.uint(0) & 0o777;
  return old;
}
