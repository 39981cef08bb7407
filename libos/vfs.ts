// The VFS: the mount table, path routing across mounts, and files backed by an fs-task.
//
//   route("/tmp/../etc/x")   the mount with the longest prefix of whole components, and the
//                            path inside it ("/tmp" → tmpfs, "/../etc/x"); ".." is not
//                            folded here: it is the file system's walk that applies it to
//                            the real directory (a symlink's parent is not its text's parent)
//   call(path, op)           op on the serving file system; when its walk leaves that file
//                            system (CROSS_MOUNT: ".." above a mount, an absolute symlink, a
//                            covered directory) the walk goes on in the mount it reached.
//                            One fs-task call per walk; one more per mount crossed.
//
// Each file system is told where it is mounted and which of its directories other mounts
// cover (FileSystem.setMountPoint), so its own walk stops at those edges.

import { CROSS_MOUNT, type FileSystem, type FsDirPage, type FsStat } from "../fs-task/file_system.ts";
import { EBUSY, EINVAL, ELOOP, ENOENT, ENOTTY, EOPNOTSUPP, EXDEV } from "../linux-abi/errno.ts";
import { POLLIN, POLLOUT } from "../linux-abi/poll.ts";
import { S_IFBLK, S_IFDIR, S_IFMT, S_IFREG } from "../linux-abi/stat.ts";
import type { FileOps, IoctlAccess, IoResult } from "./file.ts";

/** What /proc/mounts says of a mount. */
export interface MountInfo {
  /** The device or host directory ("tmpfs", "/home/me/data"). */
  source: string;
  /** File system type ("tmpfs", "hostfs", "initfs", "devtmpfs", "proc"). */
  type: string;
  readOnly: boolean;
}

export interface Mount extends MountInfo {
  /** Guest path where the file system is attached: canonical, "/" for the root. */
  at: string;
  /** `at`'s components ([] for the root), kept so routing splits nothing. */
  names: readonly string[];
  fs: FileSystem;
}

/** How many mount crossings one path walk may make (Linux's symlink limit). */
const MAX_CROSSINGS = 40;

/** Folds "." and ".." and extra slashes lexically (for paths known to hold no symlink). */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** `path` made absolute against `base`, without folding anything (the walk does that). */
export function joinPath(base: string, path: string): string {
  if (path.startsWith("/")) return path;
  return base.endsWith("/") ? base + path : `${base}/${path}`;
}

function parentOf(at: string): string {
  return at.slice(0, at.lastIndexOf("/")) || "/";
}

export class Vfs {
  /** Longest mount point first. */
  readonly #mounts: Mount[] = [];

  get mounts(): readonly Mount[] {
    return this.#mounts;
  }

  /** Attaches `fs` at `at` (a canonical path whose directory exists, or "/"). */
  mount(at: string, fs: FileSystem, info: MountInfo): void {
    const canonical = normalize(at);
    const m: Mount = { at: canonical, names: canonical === "/" ? [] : canonical.slice(1).split("/"), fs, ...info };
    const same = this.#mounts.findIndex((x) => x.at === m.at);
    if (same >= 0) this.#mounts.splice(same, 1, m);
    else this.#mounts.push(m);
    this.#mounts.sort((a, b) => b.at.length - a.at.length);
    this.#tellMountPoints();
  }

  /** Detaches the mount at `at`; the file system itself is the caller's to stop. */
  umount(at: string): Mount | number {
    const i = this.#mounts.findIndex((m) => m.at === at);
    if (i < 0 || at === "/") return -EINVAL;
    if (this.#mounts.some((m) => m.at.startsWith(at + "/"))) return -EBUSY;
    const [gone] = this.#mounts.splice(i, 1);
    this.#tellMountPoints();
    return gone!;
  }

  /** The mount serving an absolute path, and the path inside it. */
  route(path: string): { mount: Mount; inner: string } {
    for (const m of this.#mounts) {
      const inner = innerPath(m.names, path);
      if (inner !== null) return { mount: m, inner };
    }
    throw new Error("Cannot route path: no root file system mounted");
  }

  /**
   * `op` on the file system serving `path` (absolute; "." and ".." unfolded), following
   * the walk across mounts. A Promise comes back only if `op` gives one.
   */
  call<T>(path: string, op: (fs: FileSystem, inner: string, mount: Mount) => T | number): T | number {
    let p = path;
    for (let hops = 0; ; hops++) {
      const { mount, inner } = this.route(p);
      const r = op(mount.fs, inner, mount);
      if (r !== CROSS_MOUNT) return r;
      const next = this.#crossed(mount, hops);
      if (typeof next === "number") return next;
      p = next.path;
    }
  }

  /**
   * `op` with two paths on the one file system serving both (rename, link); EXDEV when
   * they are on different mounts.
   */
  call2(from: string, to: string, op: (fs: FileSystem, a: string, b: string) => number): number {
    const paths = [from, to];
    for (let hops = 0; ; hops++) {
      const a = this.route(paths[0]!), b = this.route(paths[1]!);
      if (a.mount !== b.mount) {
        // Linux looks the source up first: a missing one is ENOENT, not EXDEV.
        const st = this.call(paths[0]!, (fs, inner) => fs.stat(inner, false));
        return typeof st === "number" ? st : -EXDEV;
      }
      const r = op(a.mount.fs, a.inner, b.inner);
      if (r !== CROSS_MOUNT) return r;
      const next = this.#crossed(a.mount, hops);
      if (typeof next === "number") return next;
      paths[next.arg === 1 ? 1 : 0] = next.path;
    }
  }

  /** The canonical guest path of an existing file (chdir, /proc/PID/cwd). */
  realpath(path: string): string | number {
    return this.call(path, (fs, inner, mount) => {
      const real = fs.realpath ? fs.realpath(inner) : normalize(inner);
      return typeof real === "string" ? joinMount(mount.at, real) : real;
    });
  }

  #crossed(mount: Mount, hops: number): { arg: number; path: string } | number {
    if (hops >= MAX_CROSSINGS) return -ELOOP;
    const c = mount.fs.crossing?.();
    if (c === undefined || typeof c === "number") return -ELOOP;
    if (c.path.startsWith("/")) return c;
    if (c.path === ".." || c.path.startsWith("../")) {
      const rest = c.path.slice(3).replace(/^\/+/, "");
      return { arg: c.arg, path: rest === "" ? parentOf(mount.at) : joinPath(parentOf(mount.at), rest) };
    }
    return { arg: c.arg, path: joinPath(mount.at, c.path) };
  }

  #tellMountPoints(): void {
    for (const m of this.#mounts) {
      const covered = this.#mounts
        .filter((n) => n !== m && this.#parentMount(n) === m)
        .map((n) => (m.at === "/" ? n.at : n.at.slice(m.at.length)));
      m.fs.setMountPoint?.(m.at === "/", covered.join("\0"));
    }
  }

  /** The mount that `n`'s mount point lies in. */
  #parentMount(n: Mount): Mount | undefined {
    return this.#mounts.find((m) => m !== n && m.at !== n.at && innerPath(m.names, n.at) !== null);
  }
}

/** `path` inside the mount whose point has components `names`, or null if it does not hold it. */
function innerPath(names: readonly string[], path: string): string | null {
  // Compare whole components, skipping empty and "." ones; ".." ends the prefix.
  const n = path.length;
  let i = 0;
  for (const name of names) {
    for (;;) {
      while (i < n && path.charCodeAt(i) === SLASH) i++;
      if (i >= n) return null;
      let end = path.indexOf("/", i);
      if (end < 0) end = n;
      if (end - i === 1 && path.charCodeAt(i) === DOT) {
        i = end;
        continue;
      }
      if (end - i !== name.length || !path.startsWith(name, i)) return null;
      i = end;
      break;
    }
  }
  const rest = path.slice(i);
  if (rest === "") return "/";
  return rest.startsWith("/") ? rest : "/" + rest;
}

const SLASH = 0x2f;
const DOT = 0x2e;

function joinMount(at: string, inner: string): string {
  if (at === "/") return inner;
  return inner === "/" ? at : at + inner;
}

/** A file, directory or device opened through an fs-task. */
export class FsFile implements FileOps {
  readonly seekable: boolean;
  readonly readiness = null;

  constructor(
    readonly fs: FileSystem,
    readonly handle: number,
    readonly path: string,
    mode: number,
    /** Where `fs` is mounted; null for a file with no place in the tree (memfd). */
    readonly mountAt: string | null = null,
  ) {
    const type = mode & S_IFMT;
    this.seekable = type === S_IFREG || type === S_IFDIR || type === S_IFBLK;
  }

  read(dst: Uint8Array, offset: number): IoResult {
    return this.fs.pread(this.handle, dst, offset);
  }

  write(src: Uint8Array, offset: number): IoResult {
    return this.fs.pwrite(this.handle, src, offset);
  }

  stat(): FsStat | number {
    return this.fs.fstat(this.handle);
  }

  readdir(cookie: number, max: number): FsDirPage | number {
    return this.fs.readdir(this.handle, cookie, max);
  }

  truncate(size: number): number {
    return this.fs.ftruncate(this.handle, size);
  }

  ioctl(_request: number, _argp: number, _io: IoctlAccess): number {
    return this.fs.isatty(this.handle) ? -EINVAL : -ENOTTY;
  }

  poll(): number {
    return POLLIN | POLLOUT;
  }

  sync(dataOnly: boolean): number {
    return this.fs.fsync?.(this.handle, dataOnly) ?? 0;
  }

  currentPath(): string | number {
    if (this.mountAt === null || !this.fs.pathOf) return this.path;
    const inner = this.fs.pathOf(this.handle);
    if (typeof inner === "string") return joinMount(this.mountAt, inner);
    return inner === -ENOENT ? inner : this.path;
  }

  sendToHost(offset: number, count: number, hostFd: number): number {
    return this.fs.sendToHost?.(this.handle, offset, count, hostFd) ?? -EOPNOTSUPP;
  }

  fallocate(mode: number, offset: number, length: number): number {
    return this.fs.fallocate?.(this.handle, mode, offset, length) ?? -EOPNOTSUPP;
  }

  release(): void {
    this.fs.close(this.handle);
  }
}
