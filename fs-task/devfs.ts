// DevFs: the character devices of /dev, as a flat file system mounted there.
//
//   /            the directory itself (lists ".", ".." and every device)
//   null  1,3    reads end of file, writes vanish
//   zero  1,5    reads zeros, writes vanish
//   full  1,7    reads zeros, writes fail with ENOSPC
//   random 1,8 / urandom 1,9   reads random bytes (node:crypto), writes are accepted
//   tty   5,0    the host's controlling terminal: open fails with ENXIO without one;
//                reads are async (they wait for input), writes go straight out
//
// Linux: drivers/char/mem.c (mem_fops for null/zero/full/random) and drivers/tty/tty_io.c.
// The set of nodes is fixed: creating, removing or renaming anything fails with EPERM;
// chmod and utimens change the node in memory, as on a devtmpfs.

import crypto from "node:crypto";
import fs from "node:fs";
import tty from "node:tty";
import type { FileSystem, FsDirEntry, FsDirPage, FsResult, FsStat, FsStatFs, FsTime } from "./file_system.ts";
import { HandleTable } from "./_handle_table.ts";
import { errnoFromHost } from "./_host.ts";
import {
  EACCES, EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ENOENT, ENOSPC, ENOTDIR, ENXIO, EPERM,
} from "./_errno.ts";
import {
  DT_CHR, DT_DIR, O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_PATH, O_RDONLY, O_RDWR, O_WRONLY,
  S_IFCHR, S_IFDIR, S_IFMT, X_OK,
} from "./_flags.ts";

/** Host fds behind /dev/tty. */
export interface DevTty {
  inputFd: number;
  outputFd: number;
}

export interface DevFsOptions {
  /** Defaults to host fds 0 and 1 when fd 0 is a terminal, else null (no /dev/tty). */
  tty?: DevTty | null;
}

type DevKind = "dir" | "null" | "zero" | "full" | "random" | "urandom" | "tty";

interface DevNode {
  kind: DevKind;
  ino: number;
  rdev: number;
  mode: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

interface DevHandle {
  node: DevNode;
  flags: number;
}

/** st_dev of devtmpfs on a typical Linux (0:5). */
const DEVFS_DEV = 5;
const TMPFS_MAGIC = 0x01021994;
/** Wait before asking a non-blocking terminal fd for input again. */
const TTY_RETRY_MS = 10;

const devices: [name: DevKind, major: number, minor: number][] = [
  ["null", 1, 3], ["zero", 1, 5], ["full", 1, 7], ["random", 1, 8], ["urandom", 1, 9], ["tty", 5, 0],
];

export class DevFs implements FileSystem {
  #tty: DevTty | null;
  #root: DevNode;
  #nodes = new Map<string, DevNode>();
  #handles = new HandleTable<DevHandle>();

  constructor(options: DevFsOptions = {}) {
    this.#tty = options.tty !== undefined ? options.tty : tty.isatty(0) ? { inputFd: 0, outputFd: 1 } : null;
    const now = nowNs();
    const node = (kind: DevKind, ino: number, rdev: number, mode: number): DevNode =>
      ({ kind, ino, rdev, mode, atimeNs: now, mtimeNs: now, ctimeNs: now });
    this.#root = node("dir", 1, 0, S_IFDIR | 0o755);
    devices.forEach(([name, major, minor], i) => {
      this.#nodes.set(name, node(name, i + 2, makedev(major, minor), S_IFCHR | 0o666));
    });
  }

  open(path: string, flags: number, _mode: number): number {
    const node = this.#lookup(path);
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
    if (node.kind === "tty" && this.#tty === null) return -ENXIO;
    return this.#handles.add({ node, flags });
  }

  close(handle: number): number {
    return this.#handles.delete(handle) === undefined ? -EBADF : 0;
  }

  pread(handle: number, dst: Uint8Array, _offset: number): number | Promise<number> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH || (h.flags & O_ACCMODE) === O_WRONLY) return -EBADF;
    switch (h.node.kind) {
      case "dir":
        return -EISDIR;
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
        return this.#tty === null ? -ENXIO : readTty(this.#tty.inputFd, dst);
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
        if (this.#tty === null) return -ENXIO;
        try {
          return fs.writeSync(this.#tty.outputFd, src);
        } catch (err) {
          return errnoFromHost(err);
        }
      default:
        return src.length;
    }
  }

  fstat(handle: number): FsResult<FsStat> {
    const h = this.#handles.get(handle);
    return h === undefined ? -EBADF : statOf(h.node);
  }

  stat(path: string, _followSymlinks: boolean): FsResult<FsStat> {
    const node = this.#lookup(path);
    return typeof node === "number" ? node : statOf(node);
  }

  readlink(path: string): FsResult<string> {
    const node = this.#lookup(path);
    return typeof node === "number" ? node : -EINVAL;
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH) return -EBADF;
    if (h.node.kind !== "dir") return -ENOTDIR;
    if (!Number.isSafeInteger(cookie) || cookie < 0 || !Number.isSafeInteger(max) || max <= 0) return -EINVAL;
    const listing: FsDirEntry[] = [
      { name: ".", ino: this.#root.ino, type: DT_DIR, nextCookie: 1 },
      { name: "..", ino: this.#root.ino, type: DT_DIR, nextCookie: 2 },
    ];
    for (const [name, node] of this.#nodes) {
      listing.push({ name, ino: node.ino, type: DT_CHR, nextCookie: listing.length + 1 });
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
    const node = this.#lookup(path);
    if (typeof node === "number") return node;
    return mode & X_OK && !(node.mode & 0o111) ? -EACCES : 0;
  }

  mkdir(path: string, _mode: number): number {
    return this.#create(path);
  }

  unlink(path: string): number {
    const node = this.#lookup(path);
    if (typeof node === "number") return node;
    return node.kind === "dir" ? -EISDIR : -EPERM;
  }

  rmdir(path: string): number {
    const node = this.#lookup(path);
    if (typeof node === "number") return node;
    return node.kind === "dir" ? -EBUSY : -ENOTDIR;
  }

  rename(from: string, to: string): number {
    const node = this.#lookup(from);
    if (typeof node === "number") return node;
    const dest = this.#lookup(to);
    return typeof dest === "number" && dest !== -ENOENT ? dest : -EPERM;
  }

  symlink(_target: string, path: string): number {
    return this.#create(path);
  }

  link(existing: string, path: string): number {
    const node = this.#lookup(existing);
    return typeof node === "number" ? node : this.#create(path);
  }

  chmod(path: string, mode: number): number {
    const node = this.#lookup(path);
    if (typeof node === "number") return node;
    node.mode = (node.mode & S_IFMT) | (mode & 0o7777);
    node.ctimeNs = nowNs();
    return 0;
  }

  utimens(path: string, atime: FsTime, mtime: FsTime, _followSymlinks: boolean): number {
    const node = this.#lookup(path);
    if (typeof node === "number") return node;
    const now = nowNs();
    if (atime !== "omit") node.atimeNs = atime === "now" ? now : atime;
    if (mtime !== "omit") node.mtimeNs = mtime === "now" ? now : mtime;
    node.ctimeNs = now;
    return 0;
  }

  statfs(path: string): FsResult<FsStatFs> {
    const node = this.#lookup(path);
    if (typeof node === "number") return node;
    return { type: TMPFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: this.#nodes.size + 1, ffree: 0, namelen: 255, frsize: 4096, flags: 0 };
  }

  isatty(handle: number): boolean {
    return this.#handles.get(handle)?.node.kind === "tty";
  }

  /** The node a path names. The tree is one level deep; ".." at the root stays there. */
  #lookup(path: string): DevNode | number {
    if (path === "") return -ENOENT;
    let node = this.#root;
    for (const name of path.split("/")) {
      if (name === "" || name === ".") continue;
      if (node.kind !== "dir") return -ENOTDIR;
      if (name === "..") continue;
      const child = this.#nodes.get(name);
      if (child === undefined) return -ENOENT;
      node = child;
    }
    if (path.endsWith("/") && node.kind !== "dir") return -ENOTDIR;
    return node;
  }

  /** mkdir, symlink and link: EEXIST if taken, else EPERM (the node set is fixed). */
  #create(path: string): number {
    const node = this.#lookup(path);
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

/**
 * Waits for terminal input off-thread. If someone else (a Node tty stream) put the host fd
 * in non-blocking mode, the read says EAGAIN; then it is retried after a short timer.
 */
function readTty(fd: number, dst: Uint8Array): Promise<number> {
  return new Promise((resolve) => {
    const attempt = (): void => {
      fs.read(fd, dst, 0, dst.length, null, (err, n) => {
        if (err === null) resolve(n);
        else if (errnoFromHost(err) === -EAGAIN) setTimeout(attempt, TTY_RETRY_MS);
        else resolve(errnoFromHost(err));
      });
    };
    attempt();
  });
}
