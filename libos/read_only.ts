// ReadOnlyFs: a file system as a read-only mount shows it (Linux: mnt_want_write and
// __mnt_is_readonly in fs/namespace.c, their callers in fs/namei.c and fs/open.c).
//
// The VFS gives each path call made through a read-only mount to the mount's ReadOnlyFs
// (Mount.guard) instead of the back end, so one place refuses changes, whatever the back
// end and whichever syscall asks:
//
//   reading calls        straight to the back end
//   changing a file      chmod, chown, utimens, setxattr, removexattr, open for writing or
//                        O_TRUNC (truncate(2) too): a stat of the same path first. Found here → EROFS; an
//                        errno → that errno; CROSS_MOUNT → the walk left this mount, and
//                        the crossing the stat recorded is the call's own (same path, same
//                        walk), so the VFS goes on with it
//   changing a directory mkdir, mknod, symlink, link, unlink, rmdir, rename: a stat of the
//                        parent first. Found here → EROFS (EEXIST if a call that creates
//                        a name finds it taken: mkdir -p relies on that); CROSS_MOUNT → the
//                        call itself runs, to record its own crossing (its walk leaves
//                        before reaching anything it could change)
//
// As on Linux a device node, FIFO or socket still opens for writing (writing to one changes
// no file), O_CREAT of an existing file opens it, and statfs reports ST_RDONLY. Reads cost
// nothing more; a change costs one or two extra stats.

import { CROSS_MOUNT, type FileSystem, type FsDirPage, type FsResult, type FsStat, type FsStatFs, type FsTime } from "../fs-task/file_system.ts";
import { EEXIST, ENOENT, EPERM, EROFS } from "../linux-abi/errno.ts";
import { O_ACCMODE, O_CREAT, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_TMPFILE, O_TRUNC, W_OK } from "../linux-abi/fcntl.ts";
import { ST_RDONLY } from "../linux-abi/fs.ts";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../linux-abi/stat.ts";

export class ReadOnlyFs implements FileSystem {
  readonly #fs: FileSystem;
  readonly realpath?: (path: string) => FsResult<string>;
  readonly getxattr?: (path: string, follow: boolean, name: string, dst: Uint8Array) => number;
  readonly listxattr?: (path: string, follow: boolean, dst: Uint8Array) => number;

  constructor(fs: FileSystem) {
    this.#fs = fs;
    if (fs.realpath) this.realpath = (path) => fs.realpath!(path);
    if (fs.getxattr) this.getxattr = (path, follow, name, dst) => fs.getxattr!(path, follow, name, dst);
    if (fs.listxattr) this.listxattr = (path, follow, dst) => fs.listxattr!(path, follow, dst);
  }

  open(path: string, flags: number, mode: number): number | Promise<number> {
    const fs = this.#fs;
    const writes = (flags & O_ACCMODE) !== O_RDONLY;
    if (flags & O_PATH || (!writes && !(flags & (O_CREAT | O_TRUNC)))) return fs.open(path, flags, mode);
    if ((flags & O_TMPFILE) === O_TMPFILE) return this.#refuseFile(path, true);
    const exclusive = (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL);
    const st = fs.stat(path, !(flags & O_NOFOLLOW) && !exclusive);
    if (typeof st === "number") {
      return st === -ENOENT && flags & O_CREAT ? this.#refuseName(path, false, () => fs.open(path, flags, mode)) : st;
    }
    if (exclusive) return -EEXIST;
    // A directory or symlink is the back end's to refuse (EISDIR, ELOOP); a special file opens.
    return (st.mode & S_IFMT) === S_IFREG && (writes || flags & O_TRUNC) ? -EROFS : fs.open(path, flags, mode);
  }

  close(handle: number): number {
    return this.#fs.close(handle);
  }

  pread(handle: number, dst: Uint8Array, offset: number): number | Promise<number> {
    return this.#fs.pread(handle, dst, offset);
  }

  pwrite(handle: number, src: Uint8Array, offset: number): number | Promise<number> {
    return this.#fs.pwrite(handle, src, offset);
  }

  fstat(handle: number): FsResult<FsStat> {
    return this.#fs.fstat(handle);
  }

  stat(path: string, followSymlinks: boolean): FsResult<FsStat> {
    return this.#fs.stat(path, followSymlinks);
  }

  readlink(path: string): FsResult<string> {
    return this.#fs.readlink(path);
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    return this.#fs.readdir(handle, cookie, max);
  }

  ftruncate(handle: number, size: number): number {
    return this.#fs.ftruncate(handle, size);
  }

  access(path: string, mode: number): number {
    const r = this.#fs.access(path, mode);
    if (r !== 0 || !(mode & W_OK)) return r;
    const st = this.#fs.stat(path, true);
    if (typeof st === "number") return st;
    const type = st.mode & S_IFMT;
    return type === S_IFREG || type === S_IFDIR || type === S_IFLNK ? -EROFS : 0;
  }

  mkdir(path: string, mode: number): number {
    return this.#refuseName(path, true, () => this.#fs.mkdir(path, mode));
  }

  mknod(path: string, mode: number, rdev: number): number {
    const fs = this.#fs;
    return this.#refuseName(path, true, () => (fs.mknod ? fs.mknod(path, mode, rdev) : -EPERM));
  }

  unlink(path: string): number {
    return this.#refuseName(path, false, () => this.#fs.unlink(path));
  }

  rmdir(path: string): number {
    return this.#refuseName(path, false, () => this.#fs.rmdir(path));
  }

  rename(from: string, to: string, flags: number): number {
    const run = (): number => this.#fs.rename(from, to, flags);
    const r = this.#refuseName(from, false, run);
    return r === -EROFS ? this.#refuseName(to, false, run) : r;
  }

  symlink(target: string, path: string): number {
    return this.#refuseName(path, true, () => this.#fs.symlink(target, path));
  }

  link(existing: string, path: string): number {
    // The first path's crossing is the link's own (arg 0, the same lookup, unfollowed).
    const st = this.#fs.stat(existing, false);
    if (typeof st === "number") return st;
    return this.#refuseName(path, true, () => this.#fs.link(existing, path));
  }

  chmod(path: string, _mode: number): number {
    return this.#refuseFile(path, true);
  }

  chown(path: string, _uid: number, _gid: number, followSymlinks: boolean): number {
    return this.#refuseFile(path, followSymlinks);
  }

  utimens(path: string, _atime: FsTime, _mtime: FsTime, followSymlinks: boolean): number {
    return this.#refuseFile(path, followSymlinks);
  }

  setxattr(path: string, follow: boolean, _name: string, _value: Uint8Array, _flags: number): number {
    return this.#refuseFile(path, follow);
  }

  removexattr(path: string, follow: boolean, _name: string): number {
    return this.#refuseFile(path, follow);
  }

  statfs(path: string): FsResult<FsStatFs> {
    const r = this.#fs.statfs(path);
    return typeof r === "number" ? r : { ...r, flags: r.flags | ST_RDONLY };
  }

  isatty(handle: number): boolean {
    return this.#fs.isatty(handle);
  }

  /** A change to the file `path` names: EROFS once a lookup finds it here, else the lookup's errno or crossing. */
  #refuseFile(path: string, follow: boolean): number {
    const st = this.#fs.stat(path, follow);
    return typeof st === "number" ? st : -EROFS;
  }

  /**
   * Adding (`creates`) or removing a name in the directory holding `path`: EROFS once that
   * directory is found here, EEXIST first for a name a creating call finds taken. `change`
   * runs when the walk leaves this mount, for its own crossing.
   */
  #refuseName<T>(path: string, creates: boolean, change: () => T): T | number {
    const fs = this.#fs;
    if (creates) {
      const st = fs.stat(path, false);
      if (st === CROSS_MOUNT) return change();
      if (typeof st !== "number") return -EEXIST;
      if (st !== -ENOENT) return st;
    }
    const dir = fs.stat(parentOf(path), true);
    if (dir === CROSS_MOUNT) return change();
    return typeof dir === "number" ? dir : -EROFS;
  }
}

/** The directory part of `path`, with its trailing "/" (a view selector before it stays): "/a/b/c/" → "/a/b/". */
function parentOf(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 0x2f) end--;
  const slash = path.lastIndexOf("/", end - 1);
  return slash < 0 ? path : path.slice(0, slash + 1);
}
