// The VFS: which file system serves a guest path, and files backed by an fs-task handle.
//
// A path is made absolute against the caller's cwd (or a directory fd), normalised
// ("." and ".." folded lexically), and routed to the mount with the longest matching
// prefix; the mount prefix is stripped before the fs-task sees it. Symlinks inside one
// file system are the fs-task's business (it resolves them confined to its root).

import type { FileSystem, FsDirPage, FsStat } from "../fs-task/file_system.ts";
import { EINVAL, ENOTTY } from "../linux-abi/errno.ts";
import { POLLIN, POLLOUT } from "../linux-abi/poll.ts";
import { S_IFBLK, S_IFDIR, S_IFMT, S_IFREG } from "../linux-abi/stat.ts";
import type { FileOps, IoctlAccess, IoResult } from "./file.ts";


export interface Mount {
  /** Guest path where the file system is attached, normalised, "/" for the root. */
  at: string;
  fs: FileSystem;
}

export function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

export function resolvePath(base: string, path: string): string {
  return normalize(path.startsWith("/") ? path : `${base}/${path}`);
}

export class Vfs {
  readonly #mounts: Mount[] = [];

  mount(at: string, fs: FileSystem): void {
    const m = { at: normalize(at), fs };
    this.#mounts.push(m);
    // Longest prefix first.
    this.#mounts.sort((a, b) => b.at.length - a.at.length);
  }

  get mounts(): readonly Mount[] {
    return this.#mounts;
  }

  /** The file system serving an absolute normalised path, and the path inside it. */
  route(path: string): { fs: FileSystem; inner: string } {
    for (const m of this.#mounts) {
      if (m.at === "/") return { fs: m.fs, inner: path };
      if (path === m.at || path.startsWith(m.at + "/")) {
        return { fs: m.fs, inner: path.slice(m.at.length) || "/" };
      }
    }
    throw new Error("Cannot route path: no root file system mounted");
  }
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

  release(): void {
    this.fs.close(this.handle);
  }
}
