// DevPtsFs: /dev/pts, served by the kernel-task, which owns the pseudo-terminals it shows.
//
//   /          the directory (mode 0755)
//   /ptmx      c 5,2 mode 0000, as devpts mounts it by default (/dev/ptmx in devfs is
//              the one programs open)
//   /N         c 136,N mode 0600 (devpts's default), owned by whoever opened /dev/ptmx,
//              for each pair whose master is open (pty.ts)
//
// Opening a node only gives a handle for fstat; the kernel-task sees the character
// device and opens the terminal itself (terminals.ts), as Linux finds a driver by its
// device number. Nothing can be created, removed or renamed (EPERM); chmod and chown
// apply to a pty's node, as grantpt(3) may use them.
//
// Linux: fs/devpts/inode.c.

import {
  isRenameFlags, type FileSystem, type FsDirEntry, type FsDirPage, type FsResult, type FsStat, type FsStatFs, type FsTime,
} from "../fs-task/file_system.ts";
import { HandleTable } from "../fs-task/_handle_table.ts";
import { TreeWalker } from "../fs-task/_tree_walk.ts";
import { TreeFileSystem, type TreeHandle } from "../fs-task/_tree_file_system.ts";
import { DT_CHR, DT_DIR } from "../linux-abi/dirent.ts";
import { EACCES, EBADF, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENXIO, EPERM } from "../linux-abi/errno.ts";
import { O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, X_OK } from "../linux-abi/fcntl.ts";
import { S_IFCHR, S_IFDIR } from "../linux-abi/stat.ts";
import { DEVPTS_DEV, makedev, type Pty, type PtyTable } from "./pty.ts";

const DEVPTS_SUPER_MAGIC = 0x1cd1;
const ROOT_INO = 1;
const PTMX_INO = 2;

/** A node, with the S_IFMT type and permissions TreeFileSystem reads (devpts keeps no extended attributes). */
type Node = ({ kind: "root" } | { kind: "ptmx" } | { kind: "pty"; pty: Pty }) & { mode: number };

const ROOT: Node = { kind: "root", mode: S_IFDIR | 0o755 };
const PTMX: Node = { kind: "ptmx", mode: S_IFCHR };

export class DevPtsFs extends TreeFileSystem<Node> implements FileSystem {
  readonly #handles = new HandleTable<{ node: Node; flags: number }>();
  readonly #mountedNs = BigInt(Date.now()) * 1_000_000n;
  protected readonly paths: TreeWalker<Node>;

  constructor(readonly ptys: PtyTable) {
    super();
    this.paths = new TreeWalker<Node>({
      root: ROOT,
      isDir: (n) => n.kind === "root",
      child: (dir, name) => (dir.kind === "root" ? this.#child(name) : undefined),
      linkTarget: () => null,
    });
  }

  #child(name: string): Node | undefined {
    if (name === "ptmx") return PTMX;
    if (!/^(0|[1-9][0-9]{0,5})$/.test(name)) return undefined;
    const pty = this.ptys.shown(Number(name));
    return pty ? { kind: "pty", pty, mode: S_IFCHR | 0o600 } : undefined;
  }

  #stat(node: Node): FsStat {
    if (node.kind === "pty") return node.pty.stat();
    const t = this.#mountedNs;
    const dir = node.kind === "root";
    return {
      dev: DEVPTS_DEV, ino: dir ? ROOT_INO : PTMX_INO, mode: dir ? S_IFDIR | 0o755 : S_IFCHR, nlink: dir ? 2 : 1,
      uid: 0, gid: 0, rdev: dir ? 0 : makedev(5, 2), size: 0, blksize: 1024, blocks: 0, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }

  protected handleOf(handle: number): TreeHandle<Node> | undefined {
    return this.#handles.get(handle);
  }

  open(path: string, flags: number, _mode: number): number {
    const node = this.paths.lookup(path, !(flags & O_NOFOLLOW));
    if (typeof node === "number") return node === -ENOENT && flags & O_CREAT ? -EACCES : node;
    if (!(flags & O_PATH)) {
      if ((flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -EEXIST;
      if (node.kind === "root" && (flags & O_ACCMODE) !== O_RDONLY) return -EISDIR;
    }
    if (node.kind !== "root" && flags & O_DIRECTORY) return -ENOTDIR;
    return this.#handles.add({ node, flags });
  }

  close(handle: number): number {
    return this.#handles.delete(handle) === undefined ? -EBADF : 0;
  }

  pread(handle: number): number {
    const h = this.#handles.get(handle);
    return h === undefined ? -EBADF : h.node.kind === "root" ? -EISDIR : -ENXIO;
  }

  pwrite(handle: number): number {
    const h = this.#handles.get(handle);
    return h === undefined ? -EBADF : h.node.kind === "root" ? -EISDIR : -ENXIO;
  }

  fstat(handle: number): FsResult<FsStat> {
    const h = this.#handles.get(handle);
    return h === undefined ? -EBADF : this.#stat(h.node);
  }

  stat(path: string, followSymlinks: boolean): FsResult<FsStat> {
    const node = this.paths.lookup(path, followSymlinks);
    return typeof node === "number" ? node : this.#stat(node);
  }

  readlink(path: string): FsResult<string> {
    const node = this.paths.lookup(path, false);
    return typeof node === "number" ? node : -EINVAL;
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    const h = this.#handles.get(handle);
    if (h === undefined || h.flags & O_PATH) return -EBADF;
    if (h.node.kind !== "root") return -ENOTDIR;
    if (!Number.isSafeInteger(cookie) || cookie < 0 || !Number.isSafeInteger(max) || max <= 0) return -EINVAL;
    const listing: FsDirEntry[] = [
      { name: ".", ino: ROOT_INO, type: DT_DIR, nextCookie: 1 },
      { name: "..", ino: ROOT_INO, type: DT_DIR, nextCookie: 2 },
      { name: "ptmx", ino: PTMX_INO, type: DT_CHR, nextCookie: 3 },
    ];
    for (const i of this.ptys.listed()) listing.push({ name: String(i), ino: i + 3, type: DT_CHR, nextCookie: listing.length + 1 });
    const entries = listing.slice(cookie, cookie + max);
    return { entries, nextCookie: cookie + entries.length };
  }

  ftruncate(handle: number): number {
    return this.#handles.get(handle) === undefined ? -EBADF : -EINVAL;
  }

  access(path: string, mode: number): number {
    if (mode & ~7) return -EINVAL;
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    return mode & X_OK && node.kind !== "root" ? -EACCES : 0;
  }

  mkdir(path: string): number {
    return this.#create(path);
  }

  symlink(_target: string, path: string): number {
    return this.#create(path);
  }

  link(existing: string, path: string): number {
    const node = this.paths.lookup(existing, false);
    return typeof node === "number" ? node : this.#create(path, 1);
  }

  unlink(path: string): number {
    const node = this.paths.lookup(path, false);
    if (typeof node === "number") return node;
    return node.kind === "root" ? -EISDIR : -EPERM;
  }

  rmdir(path: string): number {
    const node = this.paths.lookup(path, false);
    if (typeof node === "number") return node;
    return node.kind === "root" ? -EPERM : -ENOTDIR;
  }

  rename(from: string, _to: string, flags: number): number {
    if (!isRenameFlags(flags)) return -EINVAL;
    const node = this.paths.lookup(from, false);
    return typeof node === "number" ? node : -EPERM;
  }

  chmod(path: string, mode: number): number {
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    if (node.kind !== "pty") return -EPERM;
    node.pty.perm = mode & 0o7777;
    return 0;
  }

  chown(path: string, uid: number, gid: number, followSymlinks: boolean): number {
    const node = this.paths.lookup(path, followSymlinks);
    if (typeof node === "number") return node;
    if (node.kind !== "pty") return -EPERM;
    if (uid !== -1) node.pty.uid = uid;
    if (gid !== -1) node.pty.gid = gid;
    return 0;
  }

  utimens(path: string, _atime: FsTime, _mtime: FsTime, followSymlinks: boolean): number {
    const node = this.paths.lookup(path, followSymlinks);
    return typeof node === "number" ? node : 0;
  }

  statfs(path: string): FsResult<FsStatFs> {
    const node = this.paths.lookup(path, true);
    if (typeof node === "number") return node;
    return { type: DEVPTS_SUPER_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255, frsize: 4096, flags: 0 };
  }

  isatty(handle: number): boolean {
    return this.#handles.get(handle)?.node.kind === "pty";
  }

  /** mkdir, symlink and link: EEXIST if taken, else EACCES (nothing can be made here). */
  #create(path: string, arg = 0): number {
    const node = this.paths.lookup(path, false, arg);
    if (typeof node !== "number") return -EEXIST;
    return node === -ENOENT ? -EACCES : node;
  }
}
