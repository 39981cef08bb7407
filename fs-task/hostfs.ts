// HostFs: a host directory passed through to the guest, confined to that directory.
//
//   path op ──► ConfinedRoot.resolve (_confined_path.ts) ──► node:fs sync call on r.at
//   handle op ──► HostHandle ──► node:fs on the host fd (async only for FIFOs/char devices)
//
// Every guest path is walked component by component inside the root (symlinks are
// expanded by the walk, absolute targets restart at root, ".." stops at root) through
// directory fds the walk opens, and the host call names only the last component, relative
// to the last directory's fd ("/proc/<pid>/fd/<fd>/<name>"). So a host process or another
// guest that swaps a directory on the way for a symlink out of root, before or after the
// walk, cannot redirect the call. The last component is opened with O_NOFOLLOW (an opened
// fd is kept only if it is the file the walk found), changed with calls that do not
// follow a symlink, or pinned by an O_PATH fd (pin()); so nothing outside root is opened,
// listed, changed or created. Handles hold a host fd each, and later calls on a handle use
// that fd, never a path. Linux only: the fd-relative paths are procfs's.
//
// Regular files and directories use synchronous node:fs calls: no thread hop on the hot
// path. FIFOs and character devices found in the tree are read and written with async
// calls unless opened O_NONBLOCK, and a blocking FIFO open is async too.
//
// Mount views (bind mounts, setMountView): a view's root is an open handle's, so the view
// holds its directory by that host fd (a file: its directory's fd and its name) and every
// walk in it starts there (_confined_path.ts viewRoot). The VFS opens that handle with
// O_PATH through the source mount, by a confined walk; no host path is built for a bind.
//
// Paths and names are byte strings (linux-abi/_byte_string.ts) up to the host call, which
// gets them as a Buffer of those bytes; names the host gives back are read as bytes too. So a
// name that is not UTF-8 reaches the host disk as it is.
//
// Extended attributes are the host file's own, through the host's l…xattr calls on the
// walk's path for the last component (r.at: its final name is never followed, so a
// symlink swapped in after the walk is acted on itself) and its f…xattr calls on a
// handle's host fd. A read-only volume refuses changes (EROFS).
//
// Handle lifecycle: open → HostHandle{kind, fd} → close. A "path" handle (O_PATH) holds a
// host O_PATH fd, and on a file that is not a directory also an fd on the directory it was
// found in (for a file bind mount's view). A stream handle closed while an async read or
// write is still in flight keeps its host fd until that operation settles, so the fd
// number is never reused under it.

import fs from "node:fs";
import tty from "node:tty";
import { displayOf, stringToBytes } from "../linux-abi/_byte_string.ts";
import {
  isRenameFlags, NO_HANDLE, type FileSystem, type FsCrossing, type FsDirEntry, type FsDirPage, type FsResult, type FsStat,
  type FsStatFs, type FsTime,
} from "./file_system.ts";
import {
  ConfinedRoot, fdPath, holdDirectory, HOST_O_PATH, openHostDirectory, pin, readHostLink, viewRoot, type HostEntry,
  type HostNode, type Resolved,
} from "./_confined_path.ts";
import { MountView } from "./_tree_walk.ts";
import { HandleTable } from "./_handle_table.ts";
import { direntType, errnoFromHost, hostOpenFlags, inoFromHost, statFromHost } from "./_host.ts";
import { hostFallocate, hostMknodat, hostRenameat2, hostSendfile, hostUtimens, hostXattr } from "./_host_calls.ts";
import { listAt, statAt, type HostStat } from "./_host_stat.ts";
import { DT_UNKNOWN } from "../linux-abi/dirent.ts";
import { UTIME_NOW, UTIME_OMIT } from "../linux-abi/stat.ts";
import {
  EBADF, EBUSY, EEXIST, EINTR, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, ENXIO,
  EOPNOTSUPP, EPERM, EROFS,
} from "./_errno.ts";
import {
  O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_PATH,
  O_RDONLY, O_RDWR, O_TMPFILE, O_TRUNC, O_WRONLY, RENAME_NOREPLACE, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT,
  S_IFREG, S_IFSOCK, S_ISGID, ST_RDONLY, W_OK,
} from "./_flags.ts";

export interface HostFsOptions {
  /** Host directory that becomes this file system's "/", as a byte string. */
  root: string;
  /** Refuse every change with EROFS. */
  readOnly?: boolean;
}

type HostKind = "file" | "dir" | "stream" | "path";

interface HostHandle {
  kind: HostKind;
  /** Host fd; an O_PATH one for a "path" handle. */
  fd: number;
  /** A "path" handle on a file that is not a directory: where it was found (an fd this handle owns). */
  entry: HostEntry | null;
  /** The handle is on the root (whose ".." entry is itself). */
  isRoot: boolean;
  /** The guest's open flags. */
  flags: number;
  /** Directory listing taken when a readdir starts at cookie 0. */
  listing: FsDirEntry[] | null;
  /** Async reads/writes not yet settled, and whether close() was called (views check it too). */
  inFlight: number;
  closed: boolean;
}

/** The types mknod(2) knows (S_IFDIR among them: EPERM, as Linux says). */
const NODE_TYPES = [S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFDIR];

export class HostFs implements FileSystem {
  #root: ConfinedRoot;
  /** The root's host path (a byte string), to tell where a directory handle is now (pathOf). */
  #rootPath: string;
  #readOnly: boolean;
  #handles = new HandleTable<HostHandle>();
  #view = new MountView<HostNode>();
  /** FIFO opens waiting in the host's thread pool for their other end (releaseBlocked). */
  #waitingOpens = new Set<() => void>();
  /** Blocking FIFO reads waiting in the host's thread pool (releaseBlocked). */
  #waitingReads = new Set<() => void>();

  constructor(options: HostFsOptions) {
    if (process.platform !== "linux") throw new TypeError(`Cannot mount host directory: ${options.root}: HostFs needs Linux's /proc/self/fd`);
    const root = openHostDirectory(options.root);
    this.#rootPath = root.real;
    this.#root = new ConfinedRoot(root.fd);
    this.#readOnly = options.readOnly ?? false;
  }

  open(guestPath: string, flags: number, mode: number): number | Promise<number> {
    if ((flags & O_TMPFILE) === O_TMPFILE) return -EOPNOTSUPP;
    const isPath = (flags & O_PATH) !== 0;
    const access = flags & O_ACCMODE;
    if (!isPath && access === O_ACCMODE) return -EINVAL;
    const create = !isPath && (flags & O_CREAT) !== 0;
    if (create && (flags & O_DIRECTORY)) return -EINVAL;
    const exclusive = create && (flags & O_EXCL) !== 0;
    return this.#walk(guestPath, !(flags & O_NOFOLLOW) && !exclusive, (r) => {
      const st = r.stat;
      if (st === null) {
        if (!create) return -ENOENT;
        if (guestPath.endsWith("/")) return -EISDIR;
        if (this.#readOnly) return -EROFS;
        return this.#create(r, flags, mode);
      }
      if (exclusive) return -EEXIST;
      if ((flags & O_DIRECTORY) && !st.isDirectory()) return -ENOTDIR;
      if (isPath) return this.#adopt("path", fs.openSync(r.at, HOST_O_PATH | fs.constants.O_NOFOLLOW), r, flags, !st.isDirectory());
      if (st.isSymbolicLink()) return -ELOOP;
      if (st.isSocket()) return -ENXIO;
      if (st.isDirectory() && (access !== O_RDONLY || create)) return -EISDIR;
      const writes = access !== O_RDONLY || (flags & O_TRUNC) !== 0;
      if (this.#readOnly && writes && st.isFile()) return -EROFS;
      const kind: HostKind = st.isDirectory() ? "dir" : st.isFile() ? "file" : "stream";
      const hostFlags = hostOpenFlags(flags & ~(O_CREAT | O_EXCL)) | fs.constants.O_NOFOLLOW;
      if (st.isFIFO() && access !== O_RDWR && !(flags & O_NONBLOCK)) return this.#openFifoEnd(r, access, flags);
      return this.#adopt(kind, fs.openSync(r.at, hostFlags), r, flags);
    });
  }

  /**
   * Opens one end of a FIFO, which waits for the other end, in the host's thread pool. The
   * FIFO is held by an O_PATH fd first and the wait goes through it: the guest may rename,
   * remove or replace the name meanwhile, and only the access mode goes along (no O_TRUNC
   * to land on another file). A release opens the FIFO read-write through the same fd and
   * holds it until the wait ends: a partner that stays, so an open still queued behind
   * busy pool threads ends too when it runs.
   */
  #openFifoEnd(r: Resolved, access: number, flags: number): number | Promise<number> {
    const held = fs.openSync(r.at, HOST_O_PATH | fs.constants.O_NOFOLLOW);
    if (!isResolved(held, r)) {
      fs.closeSync(held);
      return -ENOENT;
    }
    return new Promise<number>((resolve) => {
      let partner = -1;
      const release = (): void => {
        if (partner >= 0) return;
        try {
          partner = fs.openSync(fdPath(held), fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
        } catch {
          // No host fds left: the wait ends when a real partner comes.
        }
      };
      this.#waitingOpens.add(release);
      fs.open(fdPath(held), access, (err, fd) => {
        this.#waitingOpens.delete(release);
        fs.closeSync(held);
        const released = partner >= 0;
        if (released) fs.closeSync(partner);
        if (released && !err) fs.closeSync(fd);
        resolve(released ? -EINTR : err ? errnoFromHost(err) : this.#add("stream", fd, r, flags));
      });
    });
  }

  releaseBlocked(): void {
    for (const release of this.#waitingOpens) release();
    for (const release of this.#waitingReads) release();
  }

  close(handle: number): number {
    const h = this.#handles.delete(handle);
    if (h === undefined) return -EBADF;
    h.closed = true;
    if (h.entry !== null) fs.closeSync(h.entry.dirFd);
    if (h.inFlight > 0) return 0;
    try {
      fs.closeSync(h.fd);
      return 0;
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  pread(handle: number, dst: Uint8Array, offset: number): number | Promise<number> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.kind === "path" || (h.flags & O_ACCMODE) === O_WRONLY) return -EBADF;
    if (h.kind === "dir") return -EISDIR;
    if (h.kind === "stream") return this.#streamIo(h, dst, fs.readSync, fs.read);
    if (!Number.isSafeInteger(offset) || offset < 0) return -EINVAL;
    try {
      return fs.readSync(h.fd, dst, 0, dst.length, offset);
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  pwrite(handle: number, src: Uint8Array, offset: number): number | Promise<number> {
    const h = this.#handles.get(handle);
    const access = h === undefined ? O_RDONLY : h.flags & O_ACCMODE;
    if (h === undefined || h.kind === "path" || (access !== O_WRONLY && access !== O_RDWR)) return -EBADF;
    if (h.kind === "stream") return this.#streamIo(h, src, fs.writeSync, fs.write);
    if (!Number.isSafeInteger(offset) || offset < 0) return -EINVAL;
    try {
      // The host fd has O_APPEND too; a null position makes it append on every host OS.
      return fs.writeSync(h.fd, src, 0, src.length, h.flags & O_APPEND ? null : offset);
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  fstat(handle: number): FsResult<FsStat> {
    const h = this.#handles.get(handle);
    if (h === undefined) return -EBADF;
    try {
      return statFromHost(fs.fstatSync(h.fd, { bigint: true }));
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  stat(guestPath: string, followSymlinks: boolean): FsResult<FsStat> {
    return this.#withPath(guestPath, followSymlinks, (_r, st) => statFromHost(st));
  }

  readlink(guestPath: string): FsResult<string> {
    return this.#withPath(guestPath, false, (r, st) => (st.isSymbolicLink() ? readHostLink(r.at) : -EINVAL));
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.kind === "path") return -EBADF;
    if (h.kind !== "dir") return -ENOTDIR;
    if (!Number.isSafeInteger(cookie) || cookie < 0 || !Number.isSafeInteger(max) || max <= 0) return -EINVAL;
    if (cookie === 0 || h.listing === null) {
      try {
        h.listing = listDirectory(h);
      } catch (err) {
        return errnoFromHost(err);
      }
    }
    const entries = h.listing.slice(cookie, cookie + max);
    return { entries, nextCookie: cookie + entries.length };
  }

  ftruncate(handle: number, size: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.kind === "path") return -EBADF;
    const access = h.flags & O_ACCMODE;
    if (h.kind !== "file" || (access !== O_WRONLY && access !== O_RDWR)) return -EINVAL;
    if (!Number.isSafeInteger(size) || size < 0) return -EINVAL;
    try {
      fs.ftruncateSync(h.fd, size);
      return 0;
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  access(guestPath: string, mode: number): number {
    if (mode & ~7) return -EINVAL;
    return this.#withPath(guestPath, true, (r, st) => {
      if (this.#readOnly && (mode & W_OK) && (st.isFile() || st.isDirectory())) return -EROFS;
      pin(r, (p) => fs.accessSync(p, mode));
      return 0;
    });
  }

  mkdir(guestPath: string, mode: number): number {
    return this.#withNewPath(guestPath, (r) => {
      fs.mkdirSync(r.at, mode & 0o7777);
      // The host's umask must not apply twice; a set-group-ID parent's bit, which the host
      // gave the new directory, stays (Linux: inode_init_owner).
      pin(r, (p) => fs.chmodSync(p, (mode & 0o7777) | (fs.statSync(p).mode & S_ISGID)));
      return 0;
    });
  }

  unlink(guestPath: string): number {
    return this.#withPath(guestPath, false, (r, st) => {
      if (st.isDirectory()) return -EISDIR;
      if (this.#readOnly) return -EROFS;
      fs.unlinkSync(r.at);
      return 0;
    });
  }

  rmdir(guestPath: string): number {
    const last = guestPath.split("/").filter((name) => name !== "").pop();
    if (last === ".") return -EINVAL;
    if (last === "..") return -ENOTEMPTY;
    return this.#withPath(guestPath, false, (r, st) => {
      if (!st.isDirectory()) return -ENOTDIR;
      if (r.isRoot) return -EBUSY;
      if (this.#readOnly) return -EROFS;
      fs.rmdirSync(r.at);
      return 0;
    });
  }

  /**
   * Both names are resolved to (directory fd, name) and the host renames between those
   * two directories; the flags go to the host's renameat2, which does them atomically.
   */
  rename(from: string, to: string, flags: number): number {
    if (!isRenameFlags(flags)) return -EINVAL;
    return this.#withPath(from, false, (source) =>
      this.#walk(to, false, (dest) => {
        // The walk names a directory reached by "." or ".." by its own parent and name.
        if (source.isRoot || endsInDots(from)) return -EBUSY;
        if (dest.isRoot || endsInDots(to)) return flags & RENAME_NOREPLACE ? -EEXIST : -EBUSY;
        if (this.#readOnly) return -EROFS;
        if (flags !== 0) return hostRenameat2(source.dirFd, source.name, dest.dirFd, dest.name, flags);
        fs.renameSync(source.at, dest.at);
        return 0;
      }, 1));
  }

  symlink(target: string, guestPath: string): number {
    if (target === "") return -ENOENT;
    return this.#withNewPath(guestPath, (r) => {
      fs.symlinkSync(stringToBytes(target), r.at);
      return 0;
    });
  }

  link(existing: string, guestPath: string): number {
    return this.#withPath(existing, false, (source, st) => {
      if (st.isDirectory()) return -EPERM;
      // link(2) on Linux links a symlink itself, never its target.
      return this.#withNewPath(guestPath, (r) => {
        fs.linkSync(source.at, r.at);
        return 0;
      }, 1);
    });
  }

  chmod(guestPath: string, mode: number): number {
    return this.#withPath(guestPath, true, (r) => {
      if (this.#readOnly) return -EROFS;
      pin(r, (p) => fs.chmodSync(p, mode & 0o7777));
      return 0;
    });
  }

  chown(guestPath: string, uid: number, gid: number, followSymlinks: boolean): number {
    return this.#withPath(guestPath, followSymlinks, (r, st) => {
      if (this.#readOnly) return -EROFS;
      const keep = (id: number, current: bigint): number => (id === -1 ? Number(current) : id >>> 0);
      fs.lchownSync(r.at, keep(uid, st.uid), keep(gid, st.gid));
      return 0;
    });
  }

  /**
   * FIFOs and socket nodes (the host's mknodat on the walk's directory fd: Node has neither
   * mkfifo nor mknod) and regular files; device nodes are not made on the host (EPERM). A
   * socket node is only a name: the AF_UNIX socket bound to it is the kernel-task's.
   */
  mknod(guestPath: string, mode: number, _rdev: number): number {
    const type = mode & S_IFMT;
    if (type !== 0 && type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK) return NODE_TYPES.includes(type) ? -EPERM : -EINVAL;
    return this.#withNewPath(guestPath, (r) => {
      if (type === S_IFIFO || type === S_IFSOCK) {
        const made = hostMknodat(r.dirFd, r.name, type | (mode & 0o7777));
        if (made < 0) return made;
        pin(r, (p) => fs.chmodSync(p, mode & 0o7777)); // the host's umask must not apply
        return 0;
      }
      const fd = fs.openSync(r.at, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW, mode & 0o7777);
      try {
        fs.fchmodSync(fd, mode & 0o7777);
      } finally {
        fs.closeSync(fd);
      }
      return 0;
    });
  }

  utimens(guestPath: string, atime: FsTime, mtime: FsTime, followSymlinks: boolean): number {
    return this.#withPath(guestPath, followSymlinks, (r, st) => {
      if (this.#readOnly) return -EROFS;
      if (atime === "omit" && mtime === "omit") return 0;
      const a = hostTimespec(atime), m = hostTimespec(mtime);
      return st.isSymbolicLink() ? hostUtimens(r.at, a, m, false) : pin(r, (p) => hostUtimens(p, a, m, true));
    });
  }

  futimens(handle: number, atime: FsTime, mtime: FsTime): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.kind === "path") return -EBADF;
    if (this.#readOnly) return -EROFS;
    if (atime === "omit" && mtime === "omit") return 0;
    return hostUtimens(h.fd, hostTimespec(atime), hostTimespec(mtime), true);
  }

  statfs(guestPath: string): FsResult<FsStatFs> {
    return this.#withPath(guestPath, true, (r) => {
      const s = pin(r, (p) => fs.statfsSync(p));
      return {
        type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail,
        files: s.files, ffree: s.ffree, namelen: 255, frsize: s.bsize,
        flags: this.#readOnly ? ST_RDONLY : 0,
      };
    });
  }

  isatty(handle: number): boolean {
    const h = this.#handles.get(handle);
    return h !== undefined && h.kind === "stream" && tty.isatty(h.fd);
  }

  sendToHost(handle: number, offset: number, count: number, hostFd: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.kind !== "file" || (h.flags & O_ACCMODE) === O_WRONLY) return -EBADF;
    if (!Number.isSafeInteger(offset) || offset < 0) return -EINVAL;
    return hostSendfile(hostFd, h.fd, offset, count);
  }

  /**
   * The host's fallocate on the handle's host fd, which has the guest's access mode: the
   * host answers every error as Linux does (EBADF for a read-only fd; none is writable on a
   * read-only mount), holes and reservations are its file system's.
   */
  fallocate(handle: number, mode: number, offset: number, length: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.kind === "path") return -EBADF;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) return -EINVAL;
    return hostFallocate(h.fd, mode, offset, length);
  }

  getxattr(guestPath: string, follow: boolean, name: string, dst: Uint8Array): number {
    return this.#withPath(guestPath, follow, (r) => hostXattr.get(r.at, name, dst));
  }

  fgetxattr(handle: number, name: string, dst: Uint8Array): number {
    const fd = this.#ioFd(handle);
    return fd < 0 ? fd : hostXattr.get(fd, name, dst);
  }

  listxattr(guestPath: string, follow: boolean, dst: Uint8Array): number {
    return this.#withPath(guestPath, follow, (r) => hostXattr.list(r.at, dst));
  }

  flistxattr(handle: number, dst: Uint8Array): number {
    const fd = this.#ioFd(handle);
    return fd < 0 ? fd : hostXattr.list(fd, dst);
  }

  setxattr(guestPath: string, follow: boolean, name: string, value: Uint8Array, flags: number): number {
    return this.#withPath(guestPath, follow, (r) => (this.#readOnly ? -EROFS : hostXattr.set(r.at, name, value, flags)));
  }

  fsetxattr(handle: number, name: string, value: Uint8Array, flags: number): number {
    const fd = this.#ioFd(handle);
    return fd < 0 ? fd : this.#readOnly ? -EROFS : hostXattr.set(fd, name, value, flags);
  }

  removexattr(guestPath: string, follow: boolean, name: string): number {
    return this.#withPath(guestPath, follow, (r) => (this.#readOnly ? -EROFS : hostXattr.remove(r.at, name)));
  }

  fremovexattr(handle: number, name: string): number {
    const fd = this.#ioFd(handle);
    return fd < 0 ? fd : this.#readOnly ? -EROFS : hostXattr.remove(fd, name);
  }

  pathOf(handle: number): FsResult<string> {
    const h = this.#handles.get(handle);
    if (h === undefined) return -EBADF;
    let host: string;
    try {
      if (h.kind !== "dir" && !(h.kind === "path" && fs.fstatSync(h.fd).isDirectory())) return -EINVAL;
      host = readHostLink(fdPath(h.fd));
    } catch (err) {
      return errnoFromHost(err);
    }
    if (host === this.#rootPath) return "/";
    // The host's "/" as the root: every path is inside, and is its own inner path.
    const base = this.#rootPath === "/" ? "" : this.#rootPath;
    // Removed ("… (deleted)") or moved out of the volume by the host: no name here.
    if (!host.startsWith(base + "/") || host.endsWith(" (deleted)")) return -ENOENT;
    return host.slice(base.length);
  }

  fsync(handle: number, dataOnly: boolean): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.kind === "path") return -EBADF;
    try {
      (dataOnly ? fs.fdatasyncSync : fs.fsyncSync)(h.fd);
      return 0;
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  setMountPoint(atRoot: boolean, covered: string): number {
    return this.#view.set(atRoot, covered);
  }

  setMountView(view: number, rootHandle: number, atRoot: boolean, covered: string): number {
    if (rootHandle === NO_HANDLE) return this.#view.setView(view, null, atRoot, covered);
    const h = this.#handles.get(rootHandle);
    let root: HostNode | undefined;
    try {
      root = h === undefined ? undefined : viewRoot(h);
    } catch (err) {
      return errnoFromHost(err);
    }
    return root === undefined ? -EINVAL : this.#view.setView(view, root, atRoot, covered);
  }

  crossing(): FsResult<FsCrossing> {
    return this.#view.crossing();
  }

  realpath(guestPath: string): FsResult<string> {
    return this.#withPath(guestPath, true, (r) => r.guestPath);
  }

  /**
   * Resolves a path, runs `op` on it and closes the walk's fds, when `op` returns or, if it
   * answers with a Promise, when that settles. Host errors become -errno.
   */
  #walk<T>(guestPath: string, follow: boolean, op: (r: Resolved) => T, arg = 0): T | number {
    let r: Resolved | number;
    try {
      r = this.#root.resolve(guestPath, follow, this.#view, arg);
    } catch (err) {
      return errnoFromHost(err);
    }
    if (typeof r === "number") return r;
    const resolved = r;
    let out: T;
    try {
      out = op(resolved);
    } catch (err) {
      resolved.release();
      return errnoFromHost(err);
    }
    if (out instanceof Promise) return out.finally(() => resolved.release()) as T;
    resolved.release();
    return out;
  }

  /** The host fd of an open handle that is not O_PATH, or -EBADF. */
  #ioFd(handle: number): number {
    const h = this.#handles.get(handle);
    return h === undefined || h.kind === "path" ? -EBADF : h.fd;
  }

  /** Resolves an existing path and runs `op` on it. */
  #withPath<T>(guestPath: string, follow: boolean, op: (r: Resolved, st: HostStat) => FsResult<T>): FsResult<T> {
    return this.#walk(guestPath, follow, (r) => (r.stat === null ? -ENOENT : op(r, r.stat)));
  }

  /** Resolves a path that must not exist yet (a dangling symlink counts as existing). */
  #withNewPath(guestPath: string, op: (r: Resolved) => number, arg = 0): number {
    return this.#walk(guestPath, false, (r) => {
      if (r.stat !== null) return -EEXIST;
      if (this.#readOnly) return -EROFS;
      return op(r);
    }, arg);
  }

  #create(r: Resolved, flags: number, mode: number): number {
    // Host O_EXCL even without the guest's: the walk saw nothing there, so nothing a host
    // process planted since (a symlink out of root, say) may be opened instead.
    const hostFlags = hostOpenFlags(flags) | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    const fd = fs.openSync(r.at, hostFlags, mode & 0o7777);
    fs.fchmodSync(fd, mode & 0o7777); // the host's umask must not apply twice
    return this.#add("file", fd, r, flags);
  }

  /**
   * Keeps a host fd opened on an existing file only if it is the file the walk found, not
   * another one put under its name meanwhile (by a host process, or by the guest while an
   * async FIFO open waited for a thread).
   */
  #adopt(kind: HostKind, fd: number, r: Resolved, flags: number, withEntry = false): number {
    try {
      if (!isResolved(fd, r)) {
        fs.closeSync(fd);
        return -ENOENT;
      }
      const entry = withEntry ? { dirFd: holdDirectory(r.dirFd), name: r.name } : null;
      return this.#add(kind, fd, r, flags, entry);
    } catch (err) {
      fs.close(fd, () => {});
      return errnoFromHost(err);
    }
  }

  #add(kind: HostKind, fd: number, r: Resolved, flags: number, entry: HostEntry | null = null): number {
    return this.#handles.add({ kind, fd, entry, isRoot: r.isRoot, flags, listing: null, inFlight: 0, closed: false });
  }

  /** Reads or writes a FIFO or character device: at once if O_NONBLOCK, else off-thread. */
  #streamIo(
    h: HostHandle,
    buf: Uint8Array,
    now: (fd: number, buf: Uint8Array, off: number, len: number, pos: null) => number,
    later: (fd: number, buf: Uint8Array, off: number, len: number, pos: null, cb: (err: Error | null, n: number) => void) => void,
  ): number | Promise<number> {
    if (h.flags & O_NONBLOCK) {
      try {
        return now(h.fd, buf, 0, buf.length, null);
      } catch (err) {
        return errnoFromHost(err);
      }
    }
    h.inFlight++;
    // A blocked read holds a thread of the host's pool, and the host process cannot exit
    // while one does: at the end (releaseBlocked) a byte written to the FIFO wakes it, and
    // the read's result goes to nobody. A blocked write of a FIFO is not woken (that would
    // take reading what a host reader may still want).
    const release = later === fs.read ? (): void => wakeReader(h.fd) : null;
    if (release) this.#waitingReads.add(release);
    return new Promise((resolve) => {
      later(h.fd, buf, 0, buf.length, null, (err, n) => {
        if (release) this.#waitingReads.delete(release);
        if (--h.inFlight === 0 && h.closed) fs.close(h.fd, () => {});
        resolve(err ? errnoFromHost(err) : n);
      });
    });
  }
}

/** Whether `fd` is the file the walk found (the name may have changed since). */
function isResolved(fd: number, r: Resolved): boolean {
  const opened = fs.fstatSync(fd, { bigint: true });
  return r.stat !== null && opened.ino === r.stat.ino && opened.dev === r.stat.dev;
}

/** Wakes a read blocked on the FIFO open as `fd`: one byte from a writer opened for the moment. */
function wakeReader(fd: number): void {
  try {
    const w = fs.openSync(fdPath(fd), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    try {
      fs.writeSync(w, new Uint8Array(1));
    } finally {
      fs.closeSync(w);
    }
  } catch {
    // The read finished meanwhile, or the FIFO is full (then the read is not blocked).
  }
}

/**
 * ".", ".." and the directory's entries, each with its inode and DT_* type: the directory
 * that was opened, wherever it has moved since. getdents64 on the handle's directory gives
 * them all (a statx for an entry whose type the host file system does not give); without
 * it, node:fs lists the fd's procfs path and each entry costs a statx.
 */
function listDirectory(h: HostHandle): FsDirEntry[] {
  const self = fs.fstatSync(h.fd, { bigint: true });
  const parent = h.isRoot ? self : fs.lstatSync(fdPath(h.fd, ".."), { bigint: true });
  const listing: FsDirEntry[] = [];
  const add = (name: string, ino: bigint, type: number): number =>
    listing.push({ name, ino: inoFromHost(ino), type, nextCookie: listing.length + 1 });
  const addStat = (name: string, st: HostStat | undefined): void => void (st !== undefined && add(name, st.ino, direntType(Number(st.mode))));
  addStat(".", self);
  addStat("..", parent);
  const listed = listAt(h.fd, (name, ino, type) => (type === DT_UNKNOWN ? addStat(name, statAt(h.fd, name)) : add(name, ino, type)));
  if (!listed) {
    listing.length = 2;
    for (const bytes of fs.readdirSync(fdPath(h.fd), { encoding: "buffer" })) {
      const name = bytes.toString("latin1");
      addStat(name, statAt(h.fd, name));
    }
  }
  return listing;
}

/** The last component (trailing slashes aside) is "." or "..": Linux never renames through one. */
function endsInDots(guestPath: string): boolean {
  const last = guestPath.split("/").filter((name) => name !== "").pop();
  return last === "." || last === "..";
}

const NS_PER_S = 1_000_000_000n;

/** A utimensat time as the host's struct timespec: seconds rounded down (before 1970 too), nanoseconds, or UTIME_NOW/UTIME_OMIT. */
function hostTimespec(t: FsTime): [bigint, bigint] {
  if (t === "now") return [0n, BigInt(UTIME_NOW)];
  if (t === "omit") return [0n, BigInt(UTIME_OMIT)];
  const s = t / NS_PER_S;
  const sec = t < s * NS_PER_S ? s - 1n : s;
  return [sec, t - sec * NS_PER_S];
}
