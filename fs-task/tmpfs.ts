// TmpFs: a file system held in memory, with Linux tmpfs's behaviour (mm/shmem.c).
//
//   path op ──► TreeWalker walk / toParent (_tree_walk.ts) ──► TmpNode
//   handle op ──► TmpHandle{node, flags} ──► PagedBytes (_paged_bytes.ts) for file data
//
// Nodes: regular files (sparse 4 KiB pages charged to a MemoryQuota; a page that cannot
// be charged makes the write fail with ENOSPC), directories (DirIndex: stable readdir
// cookies), symlinks, and FIFO, socket and device nodes, which are only stored. Opening a
// FIFO or a device node gives a handle whose pread/pwrite say ENXIO: connecting it to a
// pipe or a driver is the caller's business (the kernel-task owns pipes); a socket node
// cannot be opened at all (ENXIO, as on Linux). fallocate reserves pages ahead of the
// writes (all charged at once or none: ENOSPC), punches holes back and zeroes ranges;
// COLLAPSE_RANGE, INSERT_RANGE and UNSHARE_RANGE are EOPNOTSUPP, as on Linux's tmpfs.
//
// Node lifecycle: created with nlink 1 (a directory: 2, plus one per subdirectory) →
// linked and unlinked by name → freed, its pages released to the quota, once nlink is 0
// and no handle is open on it. So an unlinked file stays readable through its handles.
// Inodes are counted against maxInodes (each extra hard link counts one, as tmpfs's
// nr_inodes does): creating past it is ENOSPC.
//
// Times follow Linux: a write or truncate sets mtime and ctime; chmod, chown, link and
// unlink set ctime; adding or removing a name sets the directory's mtime and ctime; reads,
// readdir and readlink set atime under the relatime rule (only if atime is not newer than
// mtime or ctime, or is a day old), never with O_NOATIME.
//
// Extended attributes (TreeFileSystem, _xattrs.ts): user.*, trusted.* and security.* per
// node, in memory, each charged to the quota (its name, its value and a small overhead)
// and released when it goes or its node is freed; a change sets ctime. No system.*: no
// POSIX ACLs.
//
// There are no permission checks: the fs-task knows no credentials, so it acts as root
// (access() with X_OK still wants an execute bit on anything but a directory; the
// kernel-task checks who may read or change an extended attribute).

import {
  isFallocateMode, isRenameFlags, MAX_FILE_BYTES, type FileSystem, type FsDirEntry, type FsDirPage, type FsResult, type FsStat,
  type FsStatFs, type FsTime,
} from "./file_system.ts";
import { realtimeNs } from "./_clock.ts";
import { DirIndex, FIRST_ENTRY_COOKIE } from "./_dir_index.ts";
import { HandleTable } from "./_handle_table.ts";
import { PAGE_SIZE, PagedBytes } from "./_paged_bytes.ts";
import type { MemoryQuota } from "./_paged_bytes.ts";
import { NAME_MAX, PATH_MAX, TreeWalker } from "./_tree_walk.ts";
import { TreeFileSystem } from "./_tree_file_system.ts";
import type { ParentWalked } from "./_tree_walk.ts";
import type { XattrSet } from "./_xattrs.ts";
import {
  EACCES, EBADF, EBUSY, EEXIST, EFBIG, EINVAL, EISDIR, ELOOP, ENAMETOOLONG, ENODEV, ENOENT, ENOSPC,
  ENOTDIR, ENOTEMPTY, ENXIO, EOPNOTSUPP, EPERM, ESPIPE,
} from "./_errno.ts";
import {
  DT_DIR, O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOATIME, O_NOFOLLOW, O_PATH,
  O_RDONLY, O_RDWR, O_TMPFILE, O_TRUNC, O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFDIR, S_IFMT, X_OK,
} from "./_flags.ts";
import { IFTODT } from "../linux-abi/dirent.ts";
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from "../linux-abi/fs.ts";
import {
  S_IFBLK, S_IFCHR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, S_IXGRP,
} from "../linux-abi/stat.ts";

export type { MemoryQuota } from "./_paged_bytes.ts";

/** What tmpfs's mount options set (size=, nr_inodes=, mode=, uid=, gid=). */
export interface TmpFsLimits {
  /** Most bytes of pages it may hold (size=), below the quota's own limit; 0 or absent: only the quota's. */
  maxBytes?: number;
  /** Most inodes (each extra hard link counts one); default 262144; 0: no limit (statfs shows 0). */
  maxInodes?: number;
  /** Permission bits of the root directory; default 0o1777, as tmpfs's mode= default. */
  rootMode?: number;
  /** Owner of the root directory; default 0. */
  rootUid?: number;
  rootGid?: number;
}

export interface TmpFsOptions extends TmpFsLimits {
  /** Where file data pages are charged. */
  quota: MemoryQuota;
  /** st_dev: one of the user kernel's anonymous devices (AnonDevices). */
  dev: number;
}

/** statfs f_type of tmpfs (include/uapi/linux/magic.h). */
export const TMPFS_MAGIC = 0x01021994;
const DEFAULT_MAX_INODES = 262_144;
/** tmpfs counts a directory's size as 20 bytes per entry, "." and ".." included. */
const BOGO_DIRENT_SIZE = 20;
/** A symlink target up to this long (with its NUL) lives in the inode; longer ones take a page. */
const SHORT_SYMLINK_LEN = 128;
const DAY_MS = 86_400_000;

interface NodeMeta {
  ino: number;
  /** S_IFMT type and permission bits. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Handles open on the node: an unlinked node is freed when the last one closes. */
  opens: number;
  /** Its extended attributes, once it has had one. */
  xattrs?: XattrSet;
}

interface FileNode extends NodeMeta {
  kind: "file";
  data: PagedBytes;
}

interface DirNode extends NodeMeta {
  kind: "dir";
  entries: DirIndex<TmpNode>;
  /** The directory holding this one (the root's is itself), for "..". */
  parent: DirNode;
}

interface LinkNode extends NodeMeta {
  kind: "symlink";
  /** A byte string: its length is its size in bytes. */
  target: string;
}

/** A FIFO, socket or device node: stored, never served. */
interface SpecialNode extends NodeMeta {
  kind: "special";
  rdev: number;
}

type TmpNode = FileNode | DirNode | LinkNode | SpecialNode;

interface TmpHandle {
  node: TmpNode;
  /** The open flags. */
  flags: number;
}

interface ParentDir extends ParentWalked<TmpNode> {
  dir: DirNode;
}

export class TmpFs extends TreeFileSystem<TmpNode> implements FileSystem {
  #dev: number;
  protected readonly paths: TreeWalker<TmpNode>;
  #handles = new HandleTable<TmpHandle>();
  #nextIno = 1;
  #maxInodes: number;
  /** Inodes plus extra hard links; the root is the first. */
  #inodesUsed = 1;
  /** The caller's quota, seen through a counter of the bytes charged to it. */
  #quota: MemoryQuota;
  #chargedBytes = 0;
  #quotaAvailable: (() => number) | undefined;
  /** size=: the bytes it may charge in all, or Infinity. */
  #maxBytes: number;

  constructor(options: TmpFsOptions) {
    super();
    this.#dev = options.dev;
    const outer = options.quota;
    this.#maxBytes = options.maxBytes || Infinity;
    this.#quota = {
      charge: (bytes) => {
        if (this.#chargedBytes + bytes > this.#maxBytes || !outer.charge(bytes)) return false;
        this.#chargedBytes += bytes;
        return true;
      },
      release: (bytes) => {
        this.#chargedBytes -= bytes;
        outer.release(bytes);
      },
    };
    this.#quotaAvailable = outer.available?.bind(outer);
    this.#maxInodes = options.maxInodes === 0 ? Infinity : (options.maxInodes ?? DEFAULT_MAX_INODES);
    const now = realtimeNs();
    const root = {
      kind: "dir", ino: this.#nextIno++, mode: S_IFDIR | ((options.rootMode ?? 0o1777) & 0o7777), nlink: 2,
      uid: options.rootUid ?? 0, gid: options.rootGid ?? 0, atimeNs: now, mtimeNs: now, ctimeNs: now, opens: 0,
      entries: new DirIndex<TmpNode>(),
    } as DirNode;
    root.parent = root;
    this.paths = new TreeWalker<TmpNode>({
      root,
      isDir: (node) => node.kind === "dir",
      child: (dir, name) => (dir.kind === "dir" ? dir.entries.get(name) : undefined),
      linkTarget: (node) => (node.kind === "symlink" ? node.target : null),
    });
  }

  open(path: string, flags: number, mode: number): number {
    if ((flags & O_TMPFILE) === O_TMPFILE) return this.#openUnnamed(path, flags, mode);
    const isPath = (flags & O_PATH) !== 0;
    const access = flags & O_ACCMODE;
    if (!isPath && access === O_ACCMODE) return -EINVAL;
    const create = !isPath && (flags & O_CREAT) !== 0;
    if (create && flags & O_DIRECTORY) return -EINVAL;
    const exclusive = create && (flags & O_EXCL) !== 0;
    const walked = this.paths.walk(path, !(flags & O_NOFOLLOW) && !exclusive);
    if (typeof walked === "number") return walked;
    const node = walked.node;
    if (node === null) {
      if (!create) return -ENOENT;
      if (path.endsWith("/")) return -EISDIR;
      const dir = walked.dir as DirNode; // the walk only looks names up in directories
      const created = this.#newNode(S_IFREG | (mode & 0o7777), dir, 0);
      if (typeof created === "number") return created;
      this.#attach(dir, walked.name, created, created.ctimeNs);
      return this.#addHandle(created, flags);
    }
    if (exclusive) return -EEXIST;
    if (flags & O_DIRECTORY && node.kind !== "dir") return -ENOTDIR;
    if (isPath) return this.#addHandle(node, flags);
    if (node.kind === "symlink") return -ELOOP;
    if ((node.mode & S_IFMT) === S_IFSOCK) return -ENXIO;
    if (node.kind === "dir") {
      if (access !== O_RDONLY || create || flags & O_TRUNC) return -EISDIR;
    } else if (node.kind === "file" && flags & O_TRUNC) {
      this.#truncate(node, 0);
    }
    return this.#addHandle(node, flags);
  }

  close(handle: number): number {
    const h = this.#handles.delete(handle);
    if (h === undefined) return -EBADF;
    h.node.opens--;
    this.#freeIfUnused(h.node);
    return 0;
  }

  pread(handle: number, dst: Uint8Array, offset: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH || (h.flags & O_ACCMODE) === O_WRONLY) return -EBADF;
    const node = h.node;
    if (node.kind !== "file") return node.kind === "dir" ? -EISDIR : -ENXIO;
    if (!Number.isSafeInteger(offset) || offset < 0) return -EINVAL;
    const n = node.data.read(dst, offset);
    if (!(h.flags & O_NOATIME)) touchAtime(node);
    return n;
  }

  pwrite(handle: number, src: Uint8Array, offset: number): number {
    const h = this.#handles.get(handle);
    const access = h === undefined ? O_RDONLY : h.flags & O_ACCMODE;
    if (h === undefined || h.flags & O_PATH || (access !== O_WRONLY && access !== O_RDWR)) return -EBADF;
    const node = h.node;
    if (node.kind !== "file") return -ENXIO;
    if (!Number.isSafeInteger(offset) || offset < 0) return -EINVAL;
    const at = h.flags & O_APPEND ? node.data.size : offset;
    if (src.length === 0) return 0;
    // generic_write_check_limits: nothing at or past the limit, and no further.
    if (at >= MAX_FILE_BYTES) return -EFBIG;
    const n = node.data.write(src.subarray(0, MAX_FILE_BYTES - at), at, this.#quota);
    if (n > 0) node.mtimeNs = node.ctimeNs = realtimeNs();
    return n;
  }

  fstat(handle: number): FsResult<FsStat> {
    const h = this.#handles.get(handle);
    return h === undefined ? -EBADF : this.#statOf(h.node);
  }

  stat(path: string, followSymlinks: boolean): FsResult<FsStat> {
    const node = this.paths.lookup(path, followSymlinks);
    return typeof node === "number" ? node : this.#statOf(node);
  }

  readlink(path: string): FsResult<string> {
    const node = this.paths.lookup(path, false);
    if (typeof node === "number") return node;
    if (node.kind !== "symlink") return -EINVAL;
    touchAtime(node);
    return node.target;
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH) return -EBADF;
    const dir = h.node;
    if (dir.kind !== "dir") return -ENOTDIR;
    if (!Number.isSafeInteger(cookie) || cookie < 0 || !Number.isSafeInteger(max) || max <= 0) return -EINVAL;
    if (dir.nlink === 0) return -ENOENT; // removed while open, as Linux's IS_DEADDIR
    const entries: FsDirEntry[] = [];
    if (cookie === 0) entries.push({ name: ".", ino: dir.ino, type: DT_DIR, nextCookie: 1 });
    if (cookie <= 1 && entries.length < max) entries.push({ name: "..", ino: dir.parent.ino, type: DT_DIR, nextCookie: 2 });
    for (const slot of dir.entries.slice(Math.max(cookie, FIRST_ENTRY_COOKIE), max - entries.length)) {
      entries.push({ name: slot.name, ino: slot.node.ino, type: IFTODT(slot.node.mode), nextCookie: slot.cookie + 1 });
    }
    if (!(h.flags & O_NOATIME)) touchAtime(dir);
    return { entries, nextCookie: entries.length > 0 ? entries[entries.length - 1].nextCookie : cookie };
  }

  ftruncate(handle: number, size: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH) return -EBADF;
    const access = h.flags & O_ACCMODE;
    if (h.node.kind !== "file" || (access !== O_WRONLY && access !== O_RDWR)) return -EINVAL;
    if (!Number.isSafeInteger(size) || size < 0) return -EINVAL;
    if (size > MAX_FILE_BYTES) return -EFBIG;
    this.#truncate(h.node, size);
    return 0;
  }

  access(path: string, mode: number): number {
    if (mode & ~7) return -EINVAL;
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    return mode & X_OK && node.kind !== "dir" && !(node.mode & 0o111) ? -EACCES : 0;
  }

  mkdir(path: string, mode: number): number {
    const p = this.#parentDir(path);
    if (typeof p === "number") return p;
    if (isSelfName(p.name) || p.dir.entries.get(p.name) !== undefined) return -EEXIST;
    const node = this.#newNode(S_IFDIR | (mode & 0o1777), p.dir, 0);
    if (typeof node === "number") return node;
    this.#attach(p.dir, p.name, node, node.ctimeNs);
    return 0;
  }

  mknod(path: string, mode: number, rdev: number): number {
    const type = mode & S_IFMT;
    if (type === S_IFDIR) return -EPERM;
    if (type !== 0 && type !== S_IFREG && type !== S_IFCHR && type !== S_IFBLK && type !== S_IFIFO && type !== S_IFSOCK) {
      return -EINVAL;
    }
    const p = this.#newName(path);
    if (typeof p === "number") return p;
    const node = this.#newNode((type || S_IFREG) | (mode & 0o7777), p.dir, rdev);
    if (typeof node === "number") return node;
    this.#attach(p.dir, p.name, node, node.ctimeNs);
    return 0;
  }

  unlink(path: string): number {
    const p = this.#parentDir(path);
    if (typeof p === "number") return p;
    if (isSelfName(p.name)) return -EISDIR;
    const node = p.dir.entries.get(p.name);
    if (node === undefined) return -ENOENT;
    if (node.kind === "dir") return -EISDIR;
    if (p.trailingSlash) return -ENOTDIR;
    const now = realtimeNs();
    this.#detach(p.dir, p.name, node, now);
    this.#dropLink(node, now);
    return 0;
  }

  rmdir(path: string): number {
    const p = this.#parentDir(path);
    if (typeof p === "number") return p;
    if (p.name === "") return -EBUSY;
    if (p.name === ".") return -EINVAL;
    if (p.name === "..") return -ENOTEMPTY;
    const node = p.dir.entries.get(p.name);
    if (node === undefined) return -ENOENT;
    if (node.kind !== "dir") return -ENOTDIR;
    if (node.entries.size > 0) return -ENOTEMPTY;
    const now = realtimeNs();
    this.#detach(p.dir, p.name, node, now);
    this.#dropLink(node, now);
    return 0;
  }

  rename(from: string, to: string, flags: number): number {
    if (!isRenameFlags(flags)) return -EINVAL;
    const src = this.#parentDir(from);
    if (typeof src === "number") return src;
    const dst = this.#parentDir(to, 1);
    if (typeof dst === "number") return dst;
    if (isSelfName(src.name)) return -EBUSY;
    if (isSelfName(dst.name)) return flags & RENAME_NOREPLACE ? -EEXIST : -EBUSY;
    const node = src.dir.entries.get(src.name);
    if (node === undefined) return -ENOENT;
    const victim = dst.dir.entries.get(dst.name);
    if (flags & RENAME_NOREPLACE && victim !== undefined) return -EEXIST;
    if (flags & RENAME_EXCHANGE) return victim === undefined ? -ENOENT : this.#exchange(src, node, dst, victim);
    if (node.kind !== "dir" && (src.trailingSlash || dst.trailingSlash)) return -ENOTDIR;
    if (victim === node) return 0; // the same name, or two hard links to one file
    if (node.kind === "dir") {
      if (isWithin(dst.dir, node)) return -EINVAL;
      if (victim !== undefined && victim.kind !== "dir") return -ENOTDIR;
      if (victim?.kind === "dir" && victim.entries.size > 0) return -ENOTEMPTY;
    } else if (victim?.kind === "dir") {
      return -EISDIR;
    }
    const now = realtimeNs();
    if (victim !== undefined) {
      this.#detach(dst.dir, dst.name, victim, now);
      this.#dropLink(victim, now);
    }
    this.#detach(src.dir, src.name, node, now);
    this.#attach(dst.dir, dst.name, node, now);
    node.ctimeNs = now;
    return 0;
  }

  symlink(target: string, path: string): number {
    if (target === "") return -ENOENT;
    if (target.length >= PATH_MAX) return -ENAMETOOLONG;
    const p = this.#newName(path);
    if (typeof p === "number") return p;
    const long = target.length + 1 > SHORT_SYMLINK_LEN;
    if (long && !this.#quota.charge(PAGE_SIZE)) return -ENOSPC;
    const node = this.#newNode(S_IFLNK | 0o777, p.dir, 0, target);
    if (typeof node === "number") {
      if (long) this.#quota.release(PAGE_SIZE);
      return node;
    }
    this.#attach(p.dir, p.name, node, node.ctimeNs);
    return 0;
  }

  link(existing: string, path: string): number {
    const node = this.paths.lookup(existing, false);
    if (typeof node === "number") return node;
    if (node.kind === "dir") return -EPERM;
    const p = this.#newName(path, 1);
    if (typeof p === "number") return p;
    if (this.#inodesUsed >= this.#maxInodes) return -ENOSPC;
    this.#inodesUsed++;
    node.nlink++;
    node.ctimeNs = realtimeNs();
    this.#attach(p.dir, p.name, node, node.ctimeNs);
    return 0;
  }

  chmod(path: string, mode: number): number {
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    node.mode = (node.mode & S_IFMT) | (mode & 0o7777);
    node.ctimeNs = realtimeNs();
    return 0;
  }

  chown(path: string, uid: number, gid: number, followSymlinks: boolean): number {
    const node = this.paths.lookup(path, followSymlinks);
    if (typeof node === "number") return node;
    if (uid !== -1) node.uid = uid;
    if (gid !== -1) node.gid = gid;
    if (node.kind !== "dir") {
      node.mode &= ~S_ISUID;
      if (node.mode & S_IXGRP) node.mode &= ~S_ISGID;
    }
    node.ctimeNs = realtimeNs();
    return 0;
  }

  utimens(path: string, atime: FsTime, mtime: FsTime, followSymlinks: boolean): number {
    const node = this.paths.lookup(path, followSymlinks);
    return typeof node === "number" ? node : setTimes(node, atime, mtime);
  }

  futimens(handle: number, atime: FsTime, mtime: FsTime): number {
    const h = this.#handles.get(handle);
    return h && !(h.flags & O_PATH) ? setTimes(h.node, atime, mtime) : -EBADF;
  }

  statfs(path: string): FsResult<FsStatFs> {
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    // With size= the blocks are its pages (as Linux's max_blocks), free what neither it
    // nor the quota has used; without it, what is used plus what the quota has left.
    const available = this.#quotaAvailable?.();
    const used = Math.ceil(this.#chargedBytes / PAGE_SIZE);
    const limited = this.#maxBytes !== Infinity;
    const max = limited ? Math.floor(this.#maxBytes / PAGE_SIZE) : Infinity;
    const left = available === undefined ? (limited ? Infinity : 0) : Math.floor(available / PAGE_SIZE);
    const bfree = Math.max(0, Math.min(max - used, left));
    const inodes = this.#maxInodes === Infinity ? 0 : this.#maxInodes;
    return {
      type: TMPFS_MAGIC, bsize: PAGE_SIZE,
      blocks: limited ? max : available === undefined ? 0 : used + bfree,
      bfree, bavail: bfree, files: inodes, ffree: inodes === 0 ? 0 : inodes - this.#inodesUsed,
      namelen: NAME_MAX, frsize: PAGE_SIZE, flags: 0,
    };
  }

  protected handleOf(handle: number): TmpHandle | undefined {
    return this.#handles.get(handle);
  }

  protected override xattrQuota(): MemoryQuota {
    return this.#quota;
  }

  isatty(_handle: number): boolean {
    return false;
  }

  pathOf(handle: number): FsResult<string> {
    const h = this.#handles.get(handle);
    if (h === undefined) return -EBADF;
    if (h.node.kind !== "dir") return -EINVAL;
    let path = "";
    for (let d: DirNode = h.node; d.parent !== d; d = d.parent) {
      const name = d.parent.entries.nameOf(d);
      if (name === undefined) return -ENOENT;
      path = "/" + name + path;
    }
    return path === "" ? "/" : path;
  }

  fallocate(handle: number, mode: number, offset: number, length: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH) return -EBADF;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0) return -EINVAL;
    if (!isFallocateMode(mode)) return -EOPNOTSUPP;
    const access = h.flags & O_ACCMODE;
    if (access !== O_WRONLY && access !== O_RDWR) return -EBADF;
    const node = h.node;
    if (node.kind !== "file") return (node.mode & S_IFMT) === S_IFIFO ? -ESPIPE : node.kind === "dir" ? -EISDIR : -ENODEV;
    const end = offset + length;
    if (end > MAX_FILE_BYTES) return -EFBIG;
    const data = node.data;
    switch (mode & ~FALLOC_FL_KEEP_SIZE) {
      case 0:
        if (!data.allocate(offset, end, this.#quota)) return -ENOSPC;
        break;
      case FALLOC_FL_ZERO_RANGE:
        if (!data.allocate(offset, end, this.#quota)) return -ENOSPC;
        data.zero(offset, end);
        break;
      case FALLOC_FL_PUNCH_HOLE:
        data.punch(offset, end, this.#quota);
        break;
      default:
        return -EOPNOTSUPP; // COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE, WRITE_ZEROES: none on tmpfs
    }
    if (!(mode & FALLOC_FL_KEEP_SIZE) && end > data.size) data.truncate(end, this.#quota); // grows: drops nothing
    node.mtimeNs = node.ctimeNs = realtimeNs();
    return 0;
  }


  #parentDir(path: string, arg = 0): ParentDir | number {
    const p = this.paths.toParent(path, arg);
    if (typeof p === "number") return p;
    if (p.dir.kind !== "dir") return -ENOTDIR;
    // Removed, yet a bind mount's view still starts there: nothing is in it, nothing goes in (IS_DEADDIR).
    return p.dir.nlink === 0 ? -ENOENT : { ...p, dir: p.dir };
  }

  /** The parent of a name that link, symlink or mknod will create (Linux: filename_create). */
  #newName(path: string, arg = 0): ParentDir | number {
    const p = this.#parentDir(path, arg);
    if (typeof p === "number") return p;
    if (isSelfName(p.name) || p.dir.entries.get(p.name) !== undefined) return -EEXIST;
    return p.trailingSlash ? -ENOENT : p;
  }

  /** O_TMPFILE: a regular file in directory `path` with no name (nlink 0), freed on close. */
  #openUnnamed(path: string, flags: number, mode: number): number {
    const access = flags & O_ACCMODE;
    if (access !== O_WRONLY && access !== O_RDWR) return -EINVAL;
    const dir = this.paths.lookup(path, true);
    if (typeof dir === "number") return dir;
    if (dir.kind !== "dir") return -ENOTDIR;
    const node = this.#newNode(S_IFREG | (mode & 0o7777), dir, 0);
    if (typeof node === "number") return node;
    node.nlink = 0;
    return this.#addHandle(node, flags);
  }

  /**
   * A new node of `mode`'s type, not yet in a directory, or -ENOSPC. As Linux's
   * inode_init_owner, a set-group-ID directory passes its group (and, to a subdirectory,
   * the set-group-ID bit) on.
   */
  #newNode(mode: number, parent: DirNode, rdev: number, target = ""): TmpNode | number {
    if (parent.nlink === 0) return -ENOENT; // a removed directory (IS_DEADDIR)
    if (this.#inodesUsed >= this.#maxInodes) return -ENOSPC;
    this.#inodesUsed++;
    const now = realtimeNs();
    const inherit = (parent.mode & S_ISGID) !== 0;
    const type = mode & S_IFMT;
    const meta: NodeMeta = {
      ino: this.#nextIno++, mode: inherit && type === S_IFDIR ? mode | S_ISGID : mode, nlink: 1,
      uid: 0, gid: inherit ? parent.gid : 0, atimeNs: now, mtimeNs: now, ctimeNs: now, opens: 0,
    };
    switch (type) {
      case S_IFREG:
        return { ...meta, kind: "file", data: new PagedBytes() };
      case S_IFDIR:
        return { ...meta, kind: "dir", nlink: 2, entries: new DirIndex<TmpNode>(), parent };
      case S_IFLNK:
        return { ...meta, kind: "symlink", target };
      default:
        return { ...meta, kind: "special", rdev };
    }
  }

  /**
   * RENAME_EXCHANGE of two existing entries (Linux: simple_rename_exchange). Each name
   * keeps its place in its directory and takes the other's node at once.
   */
  #exchange(src: ParentDir, node: TmpNode, dst: ParentDir, other: TmpNode): number {
    if ((other.kind !== "dir" && dst.trailingSlash) || (node.kind !== "dir" && src.trailingSlash)) return -ENOTDIR;
    if ((node.kind === "dir" && isWithin(dst.dir, node)) || (other.kind === "dir" && isWithin(src.dir, other))) return -EINVAL;
    if (other === node) return 0;
    src.dir.entries.replace(src.name, other);
    dst.dir.entries.replace(dst.name, node);
    // A directory that changes parent moves its ".." link along (a no-op within one directory).
    for (const [moved, from, to] of [[node, src.dir, dst.dir], [other, dst.dir, src.dir]] as const) {
      if (moved.kind !== "dir") continue;
      from.nlink--;
      to.nlink++;
      moved.parent = to;
    }
    const now = realtimeNs();
    src.dir.mtimeNs = src.dir.ctimeNs = dst.dir.mtimeNs = dst.dir.ctimeNs = now;
    node.ctimeNs = other.ctimeNs = now;
    return 0;
  }

  /** Puts `node` in `dir` as `name` (its link count is the caller's business). */
  #attach(dir: DirNode, name: string, node: TmpNode, now: bigint): void {
    dir.entries.add(name, node);
    if (node.kind === "dir") {
      dir.nlink++;
      node.parent = dir;
    }
    dir.mtimeNs = dir.ctimeNs = now;
  }

  #detach(dir: DirNode, name: string, node: TmpNode, now: bigint): void {
    dir.entries.remove(name);
    if (node.kind === "dir") dir.nlink--;
    dir.mtimeNs = dir.ctimeNs = now;
  }

  /** One name fewer for `node` (a directory has only one): frees it if that was the last. */
  #dropLink(node: TmpNode, now: bigint): void {
    if (node.kind === "dir") {
      node.nlink = 0;
    } else {
      if (node.nlink > 1) this.#inodesUsed--; // an extra hard link's count; the inode's own goes when freed
      node.nlink--;
    }
    node.ctimeNs = now;
    this.#freeIfUnused(node);
  }

  #freeIfUnused(node: TmpNode): void {
    if (node.nlink > 0 || node.opens > 0) return;
    this.#inodesUsed--;
    node.xattrs?.clear(this.#quota);
    if (node.kind === "file") node.data.truncate(0, this.#quota);
    else if (node.kind === "symlink" && node.target.length + 1 > SHORT_SYMLINK_LEN) this.#quota.release(PAGE_SIZE);
  }

  #truncate(node: FileNode, size: number): void {
    node.data.truncate(size, this.#quota);
    node.mtimeNs = node.ctimeNs = realtimeNs();
  }

  #addHandle(node: TmpNode, flags: number): number {
    node.opens++;
    return this.#handles.add({ node, flags });
  }

  #statOf(node: TmpNode): FsStat {
    let size = 0;
    let blocks = 0;
    switch (node.kind) {
      case "file":
        size = node.data.size;
        blocks = node.data.pageCount * (PAGE_SIZE / 512);
        break;
      case "dir":
        size = (node.entries.size + 2) * BOGO_DIRENT_SIZE;
        break;
      case "symlink":
        size = node.target.length;
        if (node.target.length + 1 > SHORT_SYMLINK_LEN) blocks = PAGE_SIZE / 512;
        break;
    }
    return {
      dev: this.#dev, ino: node.ino, mode: node.mode, nlink: node.nlink, uid: node.uid, gid: node.gid,
      rdev: node.kind === "special" ? node.rdev : 0, size, blksize: PAGE_SIZE, blocks,
      atimeNs: node.atimeNs, mtimeNs: node.mtimeNs, ctimeNs: node.ctimeNs,
    };
  }
}

/** The last component of a path that names no entry of its own: the root, ".", "..". */
function isSelfName(name: string): boolean {
  return name === "" || name === "." || name === "..";
}

/** `dir` is `ancestor` or lies below it. */
function isWithin(dir: DirNode, ancestor: DirNode): boolean {
  for (let d = dir; ; d = d.parent) {
    if (d === ancestor) return true;
    if (d.parent === d) return false;
  }
}

/** Linux's relatime: atime moves only if it is not newer than mtime or ctime, or is a day old. */
function touchAtime(node: NodeMeta): void {
  if (node.atimeNs <= node.mtimeNs || node.atimeNs <= node.ctimeNs || Date.now() - Number(node.atimeNs) / 1e6 >= DAY_MS) {
    node.atimeNs = realtimeNs();
  }
}

/** utimensat's times on a node (its ctime is now). */
function setTimes(node: TmpNode, atime: FsTime, mtime: FsTime): number {
  if (atime === "omit" && mtime === "omit") return 0;
  const now = realtimeNs();
  if (atime !== "omit") node.atimeNs = atime === "now" ? now : atime;
  if (mtime !== "omit") node.mtimeNs = mtime === "now" ? now : mtime;
  node.ctimeNs = now;
  return 0;
}
