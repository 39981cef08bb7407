// HostFs: a host directory passed through to the guest, confined to that directory.
//
//   path op ──► resolveInRoot (_confined_path.ts) ──► node:fs sync call on the host path
//   handle op ──► HostHandle ──► node:fs on the host fd (async only for FIFOs/char devices)
//
// Every guest path is walked component by component inside `root` (symlinks are expanded
// by the walk, absolute targets restart at root, ".." stops at root), then the host call
// is made on the resulting path with O_NOFOLLOW, and an opened fd is kept only if it is
// the file the walk found; so nothing outside root is opened, listed, changed or created.
// (A host process racing the walk on intermediate directories could still misdirect a
// path call other than open; the guest cannot, its path calls are synchronous.)
//
// Regular files and directories use synchronous node:fs calls: no thread hop on the hot
// path. FIFOs and character devices found in the tree are read and written with async
// calls unless opened O_NONBLOCK, and a blocking FIFO open is async too.
//
// Handle lifecycle: open → HostHandle{kind, fd} → close. A "path" handle (O_PATH) holds no
// host fd. A stream handle closed while an async read or write is still in flight keeps
// its host fd until that operation settles, so the fd number is never reused under it.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import tty from "node:tty";
import type { FileSystem, FsCrossing, FsDirEntry, FsDirPage, FsResult, FsStat, FsStatFs, FsTime } from "./file_system.ts";
import { resolveInRoot } from "./_confined_path.ts";
import { MountView } from "./_tree_walk.ts";
import type { Resolved } from "./_confined_path.ts";
import { HandleTable } from "./_handle_table.ts";
import { direntType, errnoFromHost, hostOpenFlags, statFromHost } from "./_host.ts";
import {
  EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, ENXIO,
  EOPNOTSUPP, EPERM, EROFS,
} from "./_errno.ts";
import {
  O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_PATH,
  O_RDONLY, O_RDWR, O_TMPFILE, O_TRUNC, O_WRONLY, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT,
  S_IFREG, S_IFSOCK, ST_RDONLY, W_OK,
} from "./_flags.ts";

export interface HostFsOptions {
  /** Host directory that becomes this file system's "/". */
  root: string;
  /** Refuse every change with EROFS. */
  readOnly?: boolean;
}

type HostKind = "file" | "dir" | "stream" | "path";

interface HostHandle {
  kind: HostKind;
  /** Host fd; -1 for a "path" handle. */
  fd: number;
  /** Host path at open time (directory listings read it). */
  hostPath: string;
  isRoot: boolean;
  /** The guest's open flags. */
  flags: number;
  /** Directory listing taken when a readdir starts at cookie 0. */
  listing: FsDirEntry[] | null;
  /** Async reads/writes not yet settled, and whether close() was called meanwhile. */
  inFlight: number;
  closed: boolean;
}

/** The types mknod(2) knows (S_IFDIR among them: EPERM, as Linux says). */
const NODE_TYPES = [S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFDIR];

export class HostFs implements FileSystem {
  #root: string;
  #readOnly: boolean;
  #handles = new HandleTable<HostHandle>();
  #view = new MountView();

  constructor(options: HostFsOptions) {
    this.#root = realDirectory(options.root);
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
    try {
      const r = resolveInRoot(this.#root, guestPath, !(flags & O_NOFOLLOW) && !exclusive, this.#view);
      if (typeof r === "number") return r;
      const st = r.stat;
      if (st === null) {
        if (!create) return -ENOENT;
        if (guestPath.endsWith("/")) return -EISDIR;
        if (this.#readOnly) return -EROFS;
        return this.#create(r, flags, mode);
      }
      if (exclusive) return -EEXIST;
      if ((flags & O_DIRECTORY) && !st.isDirectory()) return -ENOTDIR;
      if (isPath) return this.#add("path", -1, r, flags);
      if (st.isSymbolicLink()) return -ELOOP;
      if (st.isSocket()) return -ENXIO;
      if (st.isDirectory() && (access !== O_RDONLY || create)) return -EISDIR;
      const writes = access !== O_RDONLY || (flags & O_TRUNC) !== 0;
      if (this.#readOnly && writes && st.isFile()) return -EROFS;
      const kind: HostKind = st.isDirectory() ? "dir" : st.isFile() ? "file" : "stream";
      const hostFlags = hostOpenFlags(flags & ~(O_CREAT | O_EXCL)) | fs.constants.O_NOFOLLOW;
      if (st.isFIFO() && access !== O_RDWR && !(flags & O_NONBLOCK)) {
        // Opening one end of a FIFO waits for the other end, off-thread. Until a thread
        // takes the open, the guest may rearrange the path; so only the access mode goes
        // along (no O_TRUNC to land on a file elsewhere), and #adopt checks the result.
        return new Promise((resolve) => {
          fs.open(r.hostPath, access | fs.constants.O_NOFOLLOW, (err, fd) => {
            resolve(err ? errnoFromHost(err) : this.#adopt(kind, fd, r, flags));
          });
        });
      }
      return this.#adopt(kind, fs.openSync(r.hostPath, hostFlags), r, flags);
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  close(handle: number): number {
    const h = this.#handles.delete(handle);
    if (h === undefined) return -EBADF;
    if (h.fd < 0) return 0;
    if (h.inFlight > 0) {
      h.closed = true;
      return 0;
    }
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
      return statFromHost(h.fd < 0 ? fs.lstatSync(h.hostPath, { bigint: true }) : fs.fstatSync(h.fd, { bigint: true }));
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  stat(guestPath: string, followSymlinks: boolean): FsResult<FsStat> {
    return this.#withPath(guestPath, followSymlinks, (r) => statFromHost(fs.lstatSync(r.hostPath, { bigint: true })));
  }

  readlink(guestPath: string): FsResult<string> {
    return this.#withPath(guestPath, false, (r, st) => (st.isSymbolicLink() ? fs.readlinkSync(r.hostPath) : -EINVAL));
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.kind === "path") return -EBADF;
    if (h.kind !== "dir") return -ENOTDIR;
    if (!Number.isSafeInteger(cookie) || cookie < 0 || !Number.isSafeInteger(max) || max <= 0) return -EINVAL;
    if (cookie === 0 || h.listing === null) {
      let listing: FsDirEntry[] | number;
      try {
        listing = listDirectory(h);
      } catch (err) {
        listing = errnoFromHost(err);
      }
      if (typeof listing === "number") return listing;
      h.listing = listing;
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
      fs.accessSync(r.hostPath, mode);
      return 0;
    });
  }

  mkdir(guestPath: string, mode: number): number {
    return this.#withNewPath(guestPath, (hostPath) => {
      fs.mkdirSync(hostPath, mode & 0o7777);
      fs.chmodSync(hostPath, mode & 0o7777); // the host's umask must not apply twice
      return 0;
    });
  }

  unlink(guestPath: string): number {
    return this.#withPath(guestPath, false, (r, st) => {
      if (st.isDirectory()) return -EISDIR;
      if (this.#readOnly) return -EROFS;
      fs.unlinkSync(r.hostPath);
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
      fs.rmdirSync(r.hostPath);
      return 0;
    });
  }

  rename(from: string, to: string): number {
    return this.#withPath(from, false, (source) => {
      const dest = resolveInRoot(this.#root, to, false, this.#view, 1);
      if (typeof dest === "number") return dest;
      if (source.isRoot || dest.isRoot) return -EBUSY;
      if (this.#readOnly) return -EROFS;
      fs.renameSync(source.hostPath, dest.hostPath);
      return 0;
    });
  }

  symlink(target: string, guestPath: string): number {
    if (target === "") return -ENOENT;
    return this.#withNewPath(guestPath, (hostPath) => {
      fs.symlinkSync(target, hostPath);
      return 0;
    });
  }

  link(existing: string, guestPath: string): number {
    return this.#withPath(existing, false, (source, st) => {
      if (st.isDirectory()) return -EPERM;
      // Linux link(2) links a symlink itself; other hosts follow it, perhaps out of root.
      if (st.isSymbolicLink() && process.platform !== "linux") return -EPERM;
      return this.#withNewPath(guestPath, (hostPath) => {
        fs.linkSync(source.hostPath, hostPath);
        return 0;
      }, 1);
    });
  }

  chmod(guestPath: string, mode: number): number {
    return this.#withPath(guestPath, true, (r) => {
      if (this.#readOnly) return -EROFS;
      fs.chmodSync(r.hostPath, mode & 0o7777);
      return 0;
    });
  }

  chown(guestPath: string, uid: number, gid: number, followSymlinks: boolean): number {
    return this.#withPath(guestPath, followSymlinks, (r, st) => {
      if (this.#readOnly) return -EROFS;
      const keep = (id: number, current: number): number => (id === -1 ? current : id >>> 0);
      fs.lchownSync(r.hostPath, keep(uid, st.uid), keep(gid, st.gid));
      return 0;
    });
  }

  /**
   * FIFOs (made by the host's mkfifo(1): Node has no mkfifo) and regular files; device
   * and socket nodes are not made on the host (EPERM).
   */
  mknod(guestPath: string, mode: number, _rdev: number): number {
    const type = mode & S_IFMT;
    if (type !== 0 && type !== S_IFREG && type !== S_IFIFO) return NODE_TYPES.includes(type) ? -EPERM : -EINVAL;
    return this.#withNewPath(guestPath, (hostPath) => {
      if (type === S_IFIFO) {
        execFileSync("mkfifo", ["-m", (mode & 0o7777).toString(8), "--", hostPath], { stdio: "ignore" });
      } else {
        fs.closeSync(fs.openSync(hostPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW, mode & 0o7777));
        fs.chmodSync(hostPath, mode & 0o7777);
      }
      return 0;
    });
  }

  utimens(guestPath: string, atime: FsTime, mtime: FsTime, followSymlinks: boolean): number {
    return this.#withPath(guestPath, followSymlinks, (r, st) => {
      if (this.#readOnly) return -EROFS;
      if (atime === "omit" && mtime === "omit") return 0;
      const old = fs.lstatSync(r.hostPath, { bigint: true });
      const seconds = (t: FsTime, current: bigint): number =>
        t === "now" ? Date.now() / 1000 : Number(t === "omit" ? current : t) / 1e9;
      const set = st.isSymbolicLink() ? fs.lutimesSync : fs.utimesSync;
      set(r.hostPath, seconds(atime, old.atimeNs), seconds(mtime, old.mtimeNs));
      return 0;
    });
  }

  statfs(guestPath: string): FsResult<FsStatFs> {
    return this.#withPath(guestPath, true, (r) => {
      const s = fs.statfsSync(r.hostPath);
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

  crossing(): FsResult<FsCrossing> {
    return this.#view.crossing();
  }

  realpath(guestPath: string): FsResult<string> {
    return this.#withPath(guestPath, true, (r) => r.guestPath);
  }

  /** Resolves an existing path and runs `op` on it; host errors become -errno. */
  #withPath<T>(guestPath: string, follow: boolean, op: (r: Resolved, st: fs.Stats) => FsResult<T>): FsResult<T> {
    try {
      const r = resolveInRoot(this.#root, guestPath, follow, this.#view);
      if (typeof r === "number") return r;
      if (r.stat === null) return -ENOENT;
      return op(r, r.stat);
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  /** Resolves a path that must not exist yet (a dangling symlink counts as existing). */
  #withNewPath(guestPath: string, op: (hostPath: string) => number, arg = 0): number {
    try {
      const r = resolveInRoot(this.#root, guestPath, false, this.#view, arg);
      if (typeof r === "number") return r;
      if (r.stat !== null) return -EEXIST;
      if (this.#readOnly) return -EROFS;
      return op(r.hostPath);
    } catch (err) {
      return errnoFromHost(err);
    }
  }

  #create(r: Resolved, flags: number, mode: number): number {
    // Host O_EXCL even without the guest's: the walk saw nothing there, so nothing a host
    // process planted since (a symlink out of root, say) may be opened instead.
    const hostFlags = hostOpenFlags(flags) | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    const fd = fs.openSync(r.hostPath, hostFlags, mode & 0o7777);
    fs.fchmodSync(fd, mode & 0o7777); // the host's umask must not apply twice
    return this.#add("file", fd, r, flags);
  }

  /**
   * Keeps a host fd opened on an existing file only if it is the file the walk found: a
   * component swapped for a symlink meanwhile (by a host process, or by the guest while
   * an async FIFO open waited for a thread) must not hand out a file outside root.
   */
  #adopt(kind: HostKind, fd: number, r: Resolved, flags: number): number {
    try {
      const opened = fs.fstatSync(fd);
      if (r.stat === null || opened.ino !== r.stat.ino || opened.dev !== r.stat.dev) {
        fs.closeSync(fd);
        return -ENOENT;
      }
      return this.#add(kind, fd, r, flags);
    } catch (err) {
      fs.close(fd, () => {});
      return errnoFromHost(err);
    }
  }

  #add(kind: HostKind, fd: number, r: Resolved, flags: number): number {
    return this.#handles.add({
      kind, fd, hostPath: r.hostPath, isRoot: r.isRoot, flags, listing: null, inFlight: 0, closed: false,
    });
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
    return new Promise((resolve) => {
      later(h.fd, buf, 0, buf.length, null, (err, n) => {
        if (--h.inFlight === 0 && h.closed) fs.close(h.fd, () => {});
        resolve(err ? errnoFromHost(err) : n);
      });
    });
  }
}

/** The host directory's path without symlinks; a TypeError if it is not a directory. */
function realDirectory(root: string): string {
  let real: string;
  try {
    real = fs.realpathSync(root);
  } catch (err) {
    throw new TypeError(`Cannot mount host directory: ${root}: ${(err as Error).message}`);
  }
  if (!fs.statSync(real).isDirectory()) throw new TypeError(`Cannot mount host directory: ${root} is not a directory`);
  return real;
}

/**
 * ".", ".." and the directory's entries, each with its inode and DT_* type. Node cannot
 * list an fd, so the listing goes by the path the directory was opened at, and only if
 * that path still names the same directory (not, say, a symlink the guest put there after
 * renaming the directory away): otherwise ENOENT.
 */
function listDirectory(h: HostHandle): FsDirEntry[] | number {
  const self = fs.fstatSync(h.fd);
  const there = fs.lstatSync(h.hostPath, { throwIfNoEntry: false });
  if (there === undefined || !there.isDirectory() || there.ino !== self.ino || there.dev !== self.dev) return -ENOENT;
  const parent = h.isRoot ? self : fs.lstatSync(path.dirname(h.hostPath));
  const listing: FsDirEntry[] = [
    { name: ".", ino: self.ino, type: direntType(self.mode), nextCookie: 1 },
    { name: "..", ino: parent.ino, type: direntType(parent.mode), nextCookie: 2 },
  ];
  for (const name of fs.readdirSync(h.hostPath)) {
    const st = fs.lstatSync(path.join(h.hostPath, name), { throwIfNoEntry: false });
    if (st !== undefined) listing.push({ name, ino: st.ino, type: direntType(st.mode), nextCookie: listing.length + 1 });
  }
  return listing;
}
