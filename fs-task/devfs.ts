// DevFs: the character devices of /dev, as a flat file system mounted there.
//
//   /            the directory itself (lists ".", ".." and every device)
//   null  1,3    reads end of file, writes vanish
//   zero  1,5    reads zeros, writes vanish
//   full  1,7    reads zeros, writes fail with ENOSPC
//   random 1,8 / urandom 1,9   reads random bytes (node:crypto), writes are accepted
//   tty 5,0, console 5,1, ptmx 5,2   terminals: the kernel-task opens them by device
//                number (libos/terminals.ts); here they are only nodes (I/O is ENXIO)
//   loop-control 10,237, loop0..loop7 (block 7,0-7)   loop devices: the kernel-task's too
//                (libos/loop.ts); only nodes here, mode 0660 as udev leaves them
//   fd, stdin, stdout, stderr   symlinks into /proc/self/fd (the walk leaves for /proc)
//   shm/, pts/   empty directories (a tmpfs is mounted on /dev/shm)
//
// Linux: drivers/char/mem.c (mem_fops for null/zero/full/random).
// The set of nodes is fixed: creating, removing or renaming anything fails with EPERM;
// chmod, utimens and extended attributes (trusted.*, security.*, and user.* on the
// directories) change the node in memory, as on a devtmpfs, the attributes within a small
// budget of their own (ENOSPC past it).

import crypto from "node:crypto";
import {
  isRenameFlags, type FileSystem, type FsDirEntry, type FsDirPage, type FsResult, type FsStat,
  type FsStatFs, type FsTime,
} from "./file_system.ts";
import { HandleTable } from "./_handle_table.ts";
import { TreeWalker } from "./_tree_walk.ts";
import { TreeFileSystem } from "./_tree_file_system.ts";
import { byteBudget, type MemoryQuota } from "./_paged_bytes.ts";
import type { XattrSet } from "./_xattrs.ts";
import {
  EACCES, EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOSPC, ENOTDIR, ENXIO, EPERM,
} from "./_errno.ts";
import {
  DT_BLK, DT_CHR, DT_DIR, DT_LNK, O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR,
  O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, X_OK,
} from "./_flags.ts";

type DevKind = "dir" | "link" | "null" | "zero" | "full" | "random" | "urandom" | "tty" | "console" | "ptmx" | "driver";

interface DevNode {
  kind: DevKind;
  /** A symlink's target, else null. */
  target: string | null;
  ino: number;
  rdev: number;
  mode: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  xattrs?: XattrSet;
}

interface DevHandle {
  node: DevNode;
  flags: number;
}

/** st_dev of devtmpfs on a typical Linux (0:5). */
const DEVFS_DEV = 5;
const TMPFS_MAGIC = 0x01021994;
/** What the nodes' extended attributes may take in all. */
const XATTR_BUDGET = 1 << 20;

const devices: [name: DevKind, major: number, minor: number][] = [
  ["null", 1, 3], ["zero", 1, 5], ["full", 1, 7], ["random", 1, 8], ["urandom", 1, 9], ["tty", 5, 0], ["console", 5, 1],
  ["ptmx", 5, 2],
];
/** Nodes of the kernel-task's drivers other than the terminals: name, type, major, minor. */
const driverNodes: [name: string, type: number, major: number, minor: number][] = [
  ["loop-control", S_IFCHR, 10, 237],
  ...Array.from({ length: 8 }, (_, n): [string, number, number, number] => [`loop${n}`, S_IFBLK, 7, n]),
];
const links: [name: string, target: string][] = [
  ["fd", "/proc/self/fd"], ["stdin", "/proc/self/fd/0"], ["stdout", "/proc/self/fd/1"], ["stderr", "/proc/self/fd/2"],
];
const dirs: [name: string, mode: number][] = [["shm", 0o1777], ["pts", 0o755]];

export class DevFs extends TreeFileSystem<DevNode> implements FileSystem {
  #root: DevNode;
  #nodes = new Map<string, DevNode>();
  #handles = new HandleTable<DevHandle>();
  #xattrQuota = byteBudget(XATTR_BUDGET);
  protected readonly paths: TreeWalker<DevNode>;

  constructor() {
    super();
    const now = nowNs();
    let ino = 1;
    const node = (kind: DevKind, rdev: number, mode: number, target: string | null = null): DevNode =>
      ({ kind, target, ino: ino++, rdev, mode, atimeNs: now, mtimeNs: now, ctimeNs: now });
    this.#root = node("dir", 0, S_IFDIR | 0o755);
    for (const [name, major, minor] of devices) this.#nodes.set(name, node(name, makedev(major, minor), S_IFCHR | 0o666));
    for (const [name, type, major, minor] of driverNodes) this.#nodes.set(name, node("driver", makedev(major, minor), type | 0o660));
    for (const [name, target] of links) this.#nodes.set(name, node("link", 0, S_IFLNK | 0o777, target));
    for (const [name, mode] of dirs) this.#nodes.set(name, node("dir", 0, S_IFDIR | mode));
    const root = this.#root;
    this.paths = new TreeWalker({
      root,
      isDir: (n) => n.kind === "dir",
      child: (dir, name) => (dir === root ? this.#nodes.get(name) : undefined),
      linkTarget: (n) => n.target,
    });
  }

  open(path: string, flags: number, _mode: number): number {
    const node = this.paths.lookup(path, !(flags & O_NOFOLLOW));
    if (typeof node === "number") return node === -ENOENT && flags & O_CREAT && !(flags & O_PATH) ? -EPERM : node;
    const access = flags & O_ACCMODE;
    if (flags & O_PATH) return node.kind !== "dir" && flags & O_DIRECTORY ? -ENOTDIR : this.#handles.add({ node, flags });
    if (access === O_ACCMODE) return -EINVAL;
    if ((flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -EEXIST;
    if (node.kind === "dir") {
      if (access !== O_RDONLY || flags & O_CREAT) return -EISDIR;
    } else if (flags & O_DIRECTORY) {
      return -ENOTDIR;
    }
    if (node.kind === "link") return -ELOOP;
    return this.#handles.add({ node, flags });
  }

  close(handle: number): number {
    return this.#handles.delete(handle) === undefined ? -EBADF : 0;
  }

  pread(handle: number, dst: Uint8Array, _offset: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH || (h.flags & O_ACCMODE) === O_WRONLY) return -EBADF;
    switch (h.node.kind) {
      case "dir":
        return -EISDIR;
      case "link":
        return -EBADF;
      case "null":
        return 0;
      case "zero":
      case "full":
        dst.fill(0);
        return dst.length;
      case "random":
      case "urandom":
        crypto.randomFillSync(dst);
        return dst.length;
      case "tty":
      case "console":
      case "ptmx":
      case "driver":
        return -ENXIO;
    }
  }

  pwrite(handle: number, src: Uint8Array, _offset: number): number {
    const h = this.#handles.get(handle);
    const access = h === undefined ? O_RDONLY : h.flags & O_ACCMODE;
    if (h === undefined || h.flags & O_PATH || (access !== O_WRONLY && access !== O_RDWR)) return -EBADF;
    switch (h.node.kind) {
      case "full":
        return -ENOSPC;
      case "tty":
      case "console":
      case "ptmx":
      case "driver":
        return -ENXIO;
      default:
        return src.length;
    }
  }

  fstat(handle: number): FsResult<FsStat> {
    const h = this.#handles.get(handle);
    return h === undefined ? -EBADF : statOf(h.node);
  }

  stat(path: string, followSymlinks: boolean): FsResult<FsStat> {
    const node = this.paths.lookup(path, followSymlinks);
    return typeof node === "number" ? node : statOf(node);
  }

  readlink(path: string): FsResult<string> {
    const node = this.paths.lookup(path, false);
    return typeof node === "number" ? node : node.target ?? -EINVAL;
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH) return -EBADF;
    if (h.node.kind !== "dir") return -ENOTDIR;
    if (!Number.isSafeInteger(cookie) || cookie < 0 || !Number.isSafeInteger(max) || max <= 0) return -EINVAL;
    const listing: FsDirEntry[] = [
      { name: ".", ino: h.node.ino, type: DT_DIR, nextCookie: 1 },
      { name: "..", ino: this.#root.ino, type: DT_DIR, nextCookie: 2 },
    ];
    if (h.node === this.#root) {
      for (const [name, node] of this.#nodes) {
        const type = node.kind === "dir" ? DT_DIR : node.kind === "link" ? DT_LNK : (node.mode & S_IFMT) === S_IFBLK ? DT_BLK : DT_CHR;
        listing.push({ name, ino: node.ino, type, nextCookie: listing.length + 1 });
      }
    }
    const entries = listing.slice(cookie, cookie + max);
    return { entries, nextCookie: cookie + entries.length };
  }

  ftruncate(handle: number, _size: number): number {
    const h = this.#handles.get(handle);
    return h === undefined || h.flags & O_PATH ? -EBADF : -EINVAL;
  }

  access(path: string, mode: number): number {
    if (mode & ~7) return -EINVAL;
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    return mode & X_OK && !(node.mode & 0o111) ? -EACCES : 0;
  }

  mkdir(path: string, _mode: number): number {
    return this.#create(path);
  }

  unlink(path: string): number {
    const node = this.paths.lookup(path, false);
    if (typeof node === "number") return node;
    return node.kind === "dir" ? -EISDIR : -EPERM;
  }

  rmdir(path: string): number {
    const node = this.paths.lookup(path, false);
    if (typeof node === "number") return node;
    return node.kind === "dir" ? -EBUSY : -ENOTDIR;
  }

  /** Linux looks both names up (EEXIST, ENOENT for the flags) before the file system refuses. */
  rename(from: string, to: string, flags: number): number {
    if (!isRenameFlags(flags)) return -EINVAL;
    const node = this.paths.lookup(from, false);
    if (typeof node === "number") return node;
    const dest = this.paths.lookup(to, false, 1);
    if (typeof dest === "number" && dest !== -ENOENT) return dest;
    if (flags & RENAME_NOREPLACE && dest !== -ENOENT) return -EEXIST;
    if (flags & RENAME_EXCHANGE && dest === -ENOENT) return -ENOENT;
    return -EPERM;
  }

  symlink(_target: string, path: string): number {
    return this.#create(path);
  }

  link(existing: string, path: string): number {
    const node = this.paths.lookup(existing, false);
    return typeof node === "number" ? node : this.#create(path, 1);
  }

  chmod(path: string, mode: number): number {
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    node.mode = (node.mode & S_IFMT) | (mode & 0o7777);
    node.ctimeNs = nowNs();
    return 0;
  }

  utimens(path: string, atime: FsTime, mtime: FsTime, followSymlinks: boolean): number {
    const node = this.paths.lookup(path, followSymlinks);
    if (typeof node === "number") return node;
    const now = nowNs();
    if (atime !== "omit") node.atimeNs = atime === "now" ? now : atime;
    if (mtime !== "omit") node.mtimeNs = mtime === "now" ? now : mtime;
    node.ctimeNs = now;
    return 0;
  }

  statfs(path: string): FsResult<FsStatFs> {
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    return { type: TMPFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: this.#nodes.size + 1, ffree: 0, namelen: 255, frsize: 4096, flags: 0 };
  }

  protected handleOf(handle: number): DevHandle | undefined {
    return this.#handles.get(handle);
  }

  protected override xattrQuota(): MemoryQuota {
    return this.#xattrQuota;
  }

  isatty(handle: number): boolean {
    const kind = this.#handles.get(handle)?.node.kind;
    return kind === "tty" || kind === "console" || kind === "ptmx";
  }


  /** mkdir, symlink and link: EEXIST if taken, else EPERM (the node set is fixed). */
  #create(path: string, arg = 0): number {
    const node = this.paths.lookup(path, false, arg);
    if (typeof node !== "number") return -EEXIST;
    return node === -ENOENT ? -EPERM : node;
  }
}

/** Linux's new_encode_dev: what st_rdev holds for (major, minor). */
function makedev(major: number, minor: number): number {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function statOf(node: DevNode): FsStat {
  return {
    dev: DEVFS_DEV, ino: node.ino, mode: node.mode, nlink: node.kind === "dir" ? 2 : 1,
    uid: 0, gid: 0, rdev: node.rdev, size: 0, blksize: 4096, blocks: 0,
    atimeNs: node.atimeNs, mtimeNs: node.mtimeNs, ctimeNs: node.ctimeNs,
  };
}
