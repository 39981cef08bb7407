// InitFs: a read-only file system served from one image file (the guest's initial root),
// built by initfs_builder.ts (`node scripts/build-initfs.mjs`).
//
//   new InitFs(bytes) / InitFs.fromFile(path) ──► parseImage: validate, decode metadata
//   shareImage(path) / adoptImage(shared)  an image read once for several threads
//   path op ──► TreeWalker (_tree_walk.ts) over InitInode records
//   pread ──► a copy out of the image's data area
//
// Image format "LIBOSIFS", version 1. Little-endian; offsets count from the image start.
//
//   header (64 bytes)
//      0  u8[8]  magic "LIBOSIFS"
//      8  u32    version = 1
//     12  u32    inode count N (≥ 1)
//     16  u32    inode table offset: N records of 48 bytes; inode number i+1 is record i,
//                and inode 1 is the root directory
//     20  u32    directory entry count D
//     24  u32    directory table offset: D records of 12 bytes
//     28  u32    string table offset: UTF-8 names and symlink targets, unterminated
//     32  u32    string table size
//     36  u32    reserved, 0
//     40  u64    data area offset: regular files' contents
//     48  u64    data area size
//     56  u64    reserved, 0
//   inode record (48 bytes)
//      0  u32  st_mode (S_IFMT type and permission bits)
//      4  u32  uid          8  u32  gid          12  u32  nlink
//     16  i64  mtime in ns since the epoch (also served as atime and ctime)
//     24  u64  size: a file's bytes, a symlink target's bytes, a directory's entry count
//     32  u64  where: a file's offset in the data area, a symlink target's offset in the
//              string table, the index of a directory's first entry in the directory
//              table (its entries are consecutive); 0 otherwise
//     40  u32  rdev of a device node (Linux new_encode_dev), else 0
//     44  u32  parent: a directory's ".." inode number (the root's is 1), else 0
//   directory entry record (12 bytes), in readdir order (the builder sorts by name)
//      0  u32  inode number    4  u32  name offset in the string table    8  u32  name bytes
//
// Everything is checked once when the image is opened (a bad image is a SyntaxError), and
// the metadata is decoded into InitInode records; file data stays in the image buffer.
// Changes fail with EROFS after the lookups Linux makes first (EEXIST for a name that is
// taken, ENOENT for a missing parent). No file has extended attributes (TreeFileSystem:
// ENODATA, an empty list, EROFS to change). FIFO and device nodes open as in TmpFs: the handle
// says ENXIO to pread and pwrite, connecting them is the caller's business.

import fs from "node:fs";
import { bytesToString } from "../linux-abi/_byte_string.ts";
import {
  isRenameFlags, type FileSystem, type FsDirEntry, type FsDirPage, type FsResult, type FsStat,
  type FsStatFs, type FsTime,
} from "./file_system.ts";
import { HandleTable } from "./_handle_table.ts";
import {
  DIRENT_SIZE, HEADER_SIZE, INODE_SIZE, MAGIC, ROOT_INO, VERSION, dirent, header, inode,
} from "./_initfs_format.ts";
import { NAME_MAX, TreeWalker } from "./_tree_walk.ts";
import { TreeFileSystem } from "./_tree_file_system.ts";
import {
  EACCES, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, ENXIO, EPERM, EROFS,
} from "./_errno.ts";
import {
  DT_DIR, O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_TMPFILE,
  O_TRUNC, O_WRONLY, RENAME_NOREPLACE, S_IFDIR, S_IFMT, ST_RDONLY, W_OK, X_OK,
} from "./_flags.ts";
import { IFTODT } from "../linux-abi/dirent.ts";
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK } from "../linux-abi/stat.ts";

/** statfs f_type of an initfs: "INIT" (no Linux file system uses it). */
export const INITFS_MAGIC = 0x494e4954;
const BLOCK_SIZE = 4096;
/** st_size reported for a directory, as a small directory on a disk file system. */
const DIR_SIZE = 4096;

interface InitInode {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtimeNs: bigint;
  size: number;
  /** A regular file's first byte in the image. */
  dataStart: number;
  rdev: number;
  /** A directory's ".." (the root's is itself); else the node itself. */
  parent: InitInode;
  target: string | null;
  /** A directory's entries, in listing order; null for anything else. */
  entries: DirListing | null;
}

interface DirListing {
  names: string[];
  nodes: InitInode[];
  byName: Map<string, InitInode>;
}

interface InitHandle {
  node: InitInode;
  flags: number;
}

export class InitFs extends TreeFileSystem<InitInode> implements FileSystem {
  #image: Uint8Array;
  #dev: number;
  #inodes: InitInode[];
  protected readonly paths: TreeWalker<InitInode>;
  #handles = new HandleTable<InitHandle>();

  /**
   * Serves `image`, which must not change afterwards, with st_dev `dev` (one of the user
   * kernel's anonymous devices). Throws SyntaxError for a bad image.
   */
  constructor(image: Uint8Array, dev: number) {
    super();
    this.#dev = dev;
    this.#image = image;
    this.#inodes = parseImage(image);
    this.paths = new TreeWalker({
      root: this.#inodes[0],
      isDir: (node) => node.entries !== null,
      child: (dir, name) => dir.entries?.byName.get(name),
      linkTarget: (node) => node.target,
    });
  }

  /**
   * Reads a whole image file; data is then served from memory. The bytes of an image are
   * read once per thread and shared by every InitFs over the same file (it is read-only:
   * 8 user kernels on the project's image hold one copy, not eight).
   */
  static fromFile(path: string, dev: number): InitFs {
    return new InitFs(imageBytes(path), dev);
  }

  open(path: string, flags: number, _mode: number): number {
    const isPath = (flags & O_PATH) !== 0;
    const access = flags & O_ACCMODE;
    if (!isPath && access === O_ACCMODE) return -EINVAL;
    if ((flags & O_TMPFILE) === O_TMPFILE) {
      const dir = this.paths.lookup(path, true);
      return typeof dir === "number" ? dir : dir.entries === null ? -ENOTDIR : -EROFS;
    }
    const create = !isPath && (flags & O_CREAT) !== 0;
    if (create && flags & O_DIRECTORY) return -EINVAL;
    const exclusive = create && (flags & O_EXCL) !== 0;
    const walked = this.paths.walk(path, !(flags & O_NOFOLLOW) && !exclusive);
    if (typeof walked === "number") return walked;
    const node = walked.node;
    if (node === null) {
      if (!create) return -ENOENT;
      return path.endsWith("/") ? -EISDIR : -EROFS;
    }
    if (exclusive) return -EEXIST;
    const type = node.mode & S_IFMT;
    if (flags & O_DIRECTORY && type !== S_IFDIR) return -ENOTDIR;
    if (!isPath) {
      if (type === S_IFLNK) return -ELOOP;
      if (type === S_IFSOCK) return -ENXIO;
      const writes = access !== O_RDONLY || (flags & O_TRUNC) !== 0;
      if (type === S_IFDIR && (writes || create)) return -EISDIR;
      if (type === S_IFREG && writes) return -EROFS;
    }
    return this.#handles.add({ node, flags });
  }

  close(handle: number): number {
    return this.#handles.delete(handle) === undefined ? -EBADF : 0;
  }

  pread(handle: number, dst: Uint8Array, offset: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH || (h.flags & O_ACCMODE) === O_WRONLY) return -EBADF;
    const node = h.node;
    const type = node.mode & S_IFMT;
    if (type !== S_IFREG) return type === S_IFDIR ? -EISDIR : -ENXIO;
    if (!Number.isSafeInteger(offset) || offset < 0) return -EINVAL;
    if (offset >= node.size) return 0;
    const n = Math.min(dst.length, node.size - offset);
    const start = node.dataStart + offset;
    dst.set(this.#image.subarray(start, start + n));
    return n;
  }

  pwrite(handle: number, _src: Uint8Array, _offset: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH || (h.flags & O_ACCMODE) === O_RDONLY) return -EBADF;
    return -ENXIO; // only FIFO and device nodes open for writing
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
    return node.target ?? -EINVAL;
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH) return -EBADF;
    const listing = h.node.entries;
    if (listing === null) return -ENOTDIR;
    if (!Number.isSafeInteger(cookie) || cookie < 0 || !Number.isSafeInteger(max) || max <= 0) return -EINVAL;
    const entries: FsDirEntry[] = [];
    if (cookie === 0) entries.push({ name: ".", ino: h.node.ino, type: DT_DIR, nextCookie: 1 });
    if (cookie <= 1 && entries.length < max) entries.push({ name: "..", ino: h.node.parent.ino, type: DT_DIR, nextCookie: 2 });
    // Entry i has cookie i + 2.
    for (let i = Math.max(cookie - 2, 0); i < listing.nodes.length && entries.length < max; i++) {
      const node = listing.nodes[i];
      entries.push({ name: listing.names[i], ino: node.ino, type: IFTODT(node.mode), nextCookie: i + 3 });
    }
    return { entries, nextCookie: entries.length > 0 ? entries[entries.length - 1].nextCookie : cookie };
  }

  ftruncate(handle: number, _size: number): number {
    const h = this.#handles.get(handle);
    return h === undefined || h.flags & O_PATH ? -EBADF : -EINVAL; // no handle is open for writing a file
  }

  access(path: string, mode: number): number {
    if (mode & ~7) return -EINVAL;
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    const type = node.mode & S_IFMT;
    if (mode & W_OK && (type === S_IFREG || type === S_IFDIR)) return -EROFS;
    return mode & X_OK && type !== S_IFDIR && !(node.mode & 0o111) ? -EACCES : 0;
  }

  mkdir(path: string, _mode: number): number {
    return this.#create(path, true);
  }

  mknod(path: string, _mode: number, _rdev: number): number {
    return this.#create(path, false);
  }

  unlink(path: string): number {
    return this.#remove(path, () => -EISDIR);
  }

  rmdir(path: string): number {
    return this.#remove(path, (name) => (name === "" ? -EBUSY : name === "." ? -EINVAL : -ENOTEMPTY));
  }

  /** EROFS comes before Linux looks either name up: no EEXIST or ENOENT for what the names hold. */
  rename(from: string, to: string, flags: number): number {
    if (!isRenameFlags(flags)) return -EINVAL;
    const r = this.#remove(from, () => -EBUSY);
    return r === -EROFS ? this.#remove(to, () => (flags & RENAME_NOREPLACE ? -EEXIST : -EBUSY), 1) : r;
  }

  symlink(_target: string, path: string): number {
    return this.#create(path, false);
  }

  link(existing: string, path: string): number {
    const node = this.paths.lookup(existing, false);
    if (typeof node === "number") return node;
    return node.entries !== null ? -EPERM : this.#create(path, false, 1);
  }

  chmod(path: string, _mode: number): number {
    return this.#change(path, true);
  }

  chown(path: string, _uid: number, _gid: number, followSymlinks: boolean): number {
    return this.#change(path, followSymlinks);
  }

  utimens(path: string, _atime: FsTime, _mtime: FsTime, followSymlinks: boolean): number {
    return this.#change(path, followSymlinks);
  }

  statfs(path: string): FsResult<FsStatFs> {
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    return {
      type: INITFS_MAGIC, bsize: BLOCK_SIZE, blocks: Math.ceil(this.#image.length / BLOCK_SIZE), bfree: 0,
      bavail: 0, files: this.#inodes.length, ffree: 0, namelen: NAME_MAX, frsize: BLOCK_SIZE, flags: ST_RDONLY,
    };
  }

  protected handleOf(handle: number): InitHandle | undefined {
    return this.#handles.get(handle);
  }

  isatty(_handle: number): boolean {
    return false;
  }


  /** mkdir, mknod, symlink, link: EEXIST if the name is taken, else EROFS (Linux: filename_create). */
  #create(path: string, isMkdir: boolean, arg = 0): number {
    const p = this.paths.toParent(path, arg);
    if (typeof p === "number") return p;
    if (p.name === "" || p.name === "." || p.name === ".." || p.dir.entries?.byName.has(p.name)) return -EEXIST;
    return p.trailingSlash && !isMkdir ? -ENOENT : -EROFS;
  }

  /**
   * unlink, rmdir, rename: EROFS once the parent is found (Linux asks for write access
   * before it looks the last component up), unless that is the root, "." or "..".
   */
  #remove(path: string, selfNameError: (name: string) => number, arg = 0): number {
    const p = this.paths.toParent(path, arg);
    if (typeof p === "number") return p;
    return p.name === "" || p.name === "." || p.name === ".." ? selfNameError(p.name) : -EROFS;
  }

  /** chmod, chown, utimens: EROFS for anything that exists. */
  #change(path: string, follow: boolean): number {
    const node = this.paths.lookup(path, follow);
    return typeof node === "number" ? node : -EROFS;
  }

  #statOf(node: InitInode): FsStat {
    const type = node.mode & S_IFMT;
    const size = type === S_IFDIR ? DIR_SIZE : node.size;
    const blocks = type === S_IFREG || type === S_IFDIR ? Math.ceil(size / BLOCK_SIZE) * (BLOCK_SIZE / 512) : 0;
    return {
      dev: this.#dev, ino: node.ino, mode: node.mode, nlink: node.nlink, uid: node.uid, gid: node.gid,
      rdev: node.rdev, size, blksize: BLOCK_SIZE, blocks,
      atimeNs: node.mtimeNs, mtimeNs: node.mtimeNs, ctimeNs: node.mtimeNs,
    };
  }
}

const validTypes = new Set([S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK]);

/** Checks every table and record of an image and decodes its inodes (index = ino - 1). */
function parseImage(image: Uint8Array): InitInode[] {
  const fail = (detail: string): never => {
    throw new SyntaxError(`Cannot parse initfs image: ${detail}`);
  };
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const u32 = (at: number): number => view.getUint32(at, true);
  // Two u32 halves, not a BigInt each (this runs once per start-up, mostly before V8 optimises).
  const u64 = (at: number): number => {
    const high = u32(at + 4);
    return high > 0x1fffff ? fail(`value at ${at} is too large`) : high * 2 ** 32 + u32(at);
  };
  if (image.length < HEADER_SIZE) fail(`${image.length} bytes is shorter than the header`);
  if (new TextDecoder().decode(image.subarray(header.MAGIC, header.MAGIC + MAGIC.length)) !== MAGIC) fail("bad magic");
  const version = u32(header.VERSION);
  if (version !== VERSION) fail(`version ${version} is not ${VERSION}`);
  const inodeCount = u32(header.INODE_COUNT);
  const inodeTable = u32(header.INODE_TABLE);
  const direntCount = u32(header.DIRENT_COUNT);
  const direntTable = u32(header.DIRENT_TABLE);
  const strings = u32(header.STRINGS);
  const stringsSize = u32(header.STRINGS_SIZE);
  const data = u64(header.DATA);
  const dataSize = u64(header.DATA_SIZE);
  const within = (what: string, start: number, length: number): void => {
    if (start + length > image.length) fail(`${what} ends past the image`);
  };
  if (inodeCount === 0) fail("no inodes");
  within("inode table", inodeTable, inodeCount * INODE_SIZE);
  within("directory table", direntTable, direntCount * DIRENT_SIZE);
  within("string table", strings, stringsSize);
  within("data area", data, dataSize);
  // Names and symlink targets are bytes (the builder writes host names as UTF-8): byte
  // strings, cut from the table decoded once.
  const table = bytesToString(image.subarray(strings, strings + stringsSize));
  const text = (start: number, length: number, what: string): string => {
    if (start + length > stringsSize) fail(`${what} lies outside the string table`);
    return table.slice(start, start + length);
  };

  const inodes: InitInode[] = [];
  for (let i = 0; i < inodeCount; i++) {
    const at = inodeTable + i * INODE_SIZE;
    const mode = u32(at + inode.MODE);
    if (!validTypes.has(mode & S_IFMT)) fail(`inode ${i + 1} has mode 0o${mode.toString(8)}`);
    const node: InitInode = {
      ino: i + 1, mode, uid: u32(at + inode.UID), gid: u32(at + inode.GID), nlink: u32(at + inode.NLINK),
      mtimeNs: view.getBigInt64(at + inode.MTIME_NS, true), size: u64(at + inode.SIZE), dataStart: 0,
      rdev: u32(at + inode.RDEV), target: null, entries: null,
    } as InitInode;
    node.parent = node;
    const where = u64(at + inode.WHERE);
    const type = mode & S_IFMT;
    if (type === S_IFREG) {
      if (where + node.size > dataSize) fail(`inode ${node.ino}'s data lies outside the data area`);
      node.dataStart = data + where;
    } else if (type === S_IFLNK) {
      if (node.size === 0) fail(`inode ${node.ino} is an empty symlink`);
      node.target = text(where, node.size, `inode ${node.ino}'s target`);
    }
    inodes.push(node);
  }

  for (const node of inodes) {
    if ((node.mode & S_IFMT) !== S_IFDIR) continue;
    const at = inodeTable + (node.ino - 1) * INODE_SIZE;
    const parent = inodes[u32(at + inode.PARENT) - 1];
    if (parent === undefined || (parent.mode & S_IFMT) !== S_IFDIR) fail(`directory ${node.ino} has a bad parent`);
    node.parent = parent;
    const first = u64(at + inode.WHERE);
    if (first + node.size > direntCount) fail(`directory ${node.ino}'s entries lie outside the directory table`);
    const listing: DirListing = { names: [], nodes: [], byName: new Map() };
    for (let e = first; e < first + node.size; e++) {
      const rec = direntTable + e * DIRENT_SIZE;
      const child = inodes[u32(rec + dirent.INO) - 1];
      const nameLength = u32(rec + dirent.NAME_LENGTH);
      if (child === undefined) fail(`directory entry ${e} names a missing inode`);
      if (nameLength === 0 || nameLength > NAME_MAX) fail(`directory entry ${e} has a name of ${nameLength} bytes`);
      const name = text(u32(rec + dirent.NAME), nameLength, `directory entry ${e}'s name`);
      if (name === "." || name === ".." || name.includes("/") || name.includes("\0")) fail(`directory entry ${e} is named "${name}"`);
      if (listing.byName.has(name)) fail(`directory ${node.ino} has "${name}" twice`);
      listing.names.push(name);
      listing.nodes.push(child);
      listing.byName.set(name, child);
    }
    node.entries = listing;
  }
  if (inodes[ROOT_INO - 1].entries === null) fail("inode 1 is not a directory");
  return inodes;
}

/** Images read on this thread, by file identity, while an InitFs still holds them. */
const images = new Map<string, WeakRef<Uint8Array>>();

/** An image file's identity: another file, or the same one changed, is another image. */
function imageKey(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
}

function hold(key: string, bytes: Uint8Array): Uint8Array {
  for (const [k, ref] of images) if (ref.deref() === undefined) images.delete(k);
  images.set(key, new WeakRef(bytes));
  return bytes;
}

function imageBytes(path: string): Uint8Array {
  const key = imageKey(fs.statSync(path, { bigint: true }));
  return images.get(key)?.deref() ?? hold(key, fs.readFileSync(path));
}

/** An image's bytes in shared memory, for the InitFs of other threads (worker kernels). */
export interface SharedImage {
  key: string;
  /** Over a SharedArrayBuffer; never written once read. */
  bytes: Uint8Array;
}

/**
 * `path`'s bytes in a SharedArrayBuffer, read once (and kept for this thread's InitFs
 * too): `libos boot` reads the image of its worker kernels here rather than once in each
 * of them (5.7 MB and ~7 ms of CPU a worker for the project's image).
 */
export function shareImage(path: string): SharedImage {
  const fd = fs.openSync(path, "r");
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    const key = imageKey(st);
    const held = images.get(key)?.deref();
    if (held?.buffer instanceof SharedArrayBuffer) return { key, bytes: held };
    const bytes = new Uint8Array(new SharedArrayBuffer(Number(st.size)));
    for (let at = 0; at < bytes.length; ) {
      const n = fs.readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) throw new SyntaxError(`Cannot read initfs image ${path}: it ended at ${at} of ${bytes.length} bytes`);
      at += n;
    }
    return { key, bytes: hold(key, bytes) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Serves an image another thread shared to this thread's InitFs over the same file (while
 * the file is unchanged: a changed one has another key and is read again).
 */
export function adoptImage(image: SharedImage): void {
  if (images.get(image.key)?.deref() === undefined) hold(image.key, image.bytes);
}
