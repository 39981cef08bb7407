// Path arguments: reading them from guest memory, making them absolute against the cwd
// or a directory descriptor (the *at family's dirfd), and looking them up for a syscall
// that acts on what they name. Linux: fs/namei.c.
//
//   resolveAt(t, dirfd, path)          the absolute path, nothing folded ("..": the walk's)
//   lookupAt(k, t, dirfd, path, last)  what a syscall acts on: the path to hand the VFS and,
//                                      when it had to be walked here, what the walk found
//
// lookupAt is where permission checking starts. A caller with every DAC capability
// (permission.ts: fsPrivileged, root's usual case) whose root is "/" passes each check, so
// its path goes to the VFS as it is: one fs-task call, as before. Anyone else's path is
// walked one component at a time (path_walk.ts), which checks search permission on each
// directory and keeps ".." and absolute symlinks inside a chroot; the syscall then checks
// the last component with what the walk found (Lookup.found).

import { EBADF, EFAULT, ENAMETOOLONG, ENOENT, ENOTDIR } from "../../linux-abi/errno.ts";
import { AT_FDCWD } from "../../linux-abi/fcntl.ts";
import { S_IFDIR, S_IFMT } from "../../linux-abi/stat.ts";
import type { Credentials } from "../creds.ts";
import { walkPath, type Last, type Walked } from "../path_walk.ts";
import { fsPrivileged } from "../permission.ts";
import type { Thread } from "../process.ts";
import { joinPath, type Vfs } from "../vfs.ts";
import { getString } from "./_struct.ts";

export type { Last } from "../path_walk.ts";

const PATH_MAX = 4096;

export function readPath(t: Thread, addr: number): string | number {
  if (addr === 0) return -EFAULT;
  return getString(t.process.memory, addr, PATH_MAX, -ENAMETOOLONG);
}

/** The directory a dirfd names (canonical), for a relative path. */
function dirOf(t: Thread, dirfd: number): string | number {
  if (dirfd === AT_FDCWD) return t.process.cwd;
  const dir = t.process.fds.get(dirfd);
  if (!dir) return -EBADF;
  const st = dir.ops.stat();
  if (typeof st === "number") return st;
  if ((st.mode & S_IFMT) !== S_IFDIR) return -ENOTDIR;
  return dir.ops.currentPath?.() ?? dir.ops.path;
}

/**
 * Absolute path for (dirfd, path); `allowEmpty` is AT_EMPTY_PATH (the dirfd itself).
 * Nothing is folded: ".." belongs to the walk (see vfs.ts).
 */
export function resolveAt(t: Thread, dirfd: number, path: string, allowEmpty = false): string | number {
  if (path === "" && !allowEmpty) return -ENOENT;
  if (path.startsWith("/")) return path;
  if (path === "" && dirfd !== AT_FDCWD) {
    const dir = t.process.fds.get(dirfd);
    return dir ? dir.ops.path : -EBADF;
  }
  const base = dirOf(t, dirfd);
  return typeof base === "number" ? base : joinPath(base, path);
}

/** readPath then resolveAt. */
export function pathArg(t: Thread, dirfd: number, addr: number, allowEmpty = false): string | number {
  const p = readPath(t, addr);
  return typeof p === "number" ? p : resolveAt(t, dirfd, p, allowEmpty);
}

/** What a syscall acts on. */
export interface Lookup {
  /** The path to hand the VFS (absolute). */
  path: string;
  /** What the walk found; null when the caller passes every check and its path was not walked. */
  found: Walked | null;
}

export interface LookupOptions {
  /** AT_EMPTY_PATH: an empty path names the dirfd itself. */
  allowEmpty?: boolean;
  /** Whose permissions count (access(2) checks with the real ids); default the thread's. */
  creds?: Credentials;
}

/** Whether `t`'s paths must be walked here (path_walk.ts) for `creds`. */
export const mustWalk = (t: Thread, creds: Credentials): boolean => t.process.fs.root !== "/" || !fsPrivileged(creds);

/** (dirfd, path) looked up for a syscall, as the file header says; the last component as `last` says. */
export function lookupAt(k: { readonly vfs: Vfs }, t: Thread, dirfd: number, path: string, last: Last, o: LookupOptions = {}): Lookup | number {
  const creds = o.creds ?? t.creds;
  if (!mustWalk(t, creds)) {
    const p = resolveAt(t, dirfd, path, o.allowEmpty);
    return typeof p === "number" ? p : { path: p, found: null };
  }
  if (path === "" && !o.allowEmpty) return -ENOENT;
  if (path === "" && dirfd !== AT_FDCWD) {
    const f = t.process.fds.get(dirfd);
    if (!f) return -EBADF;
    const st = f.ops.stat();
    return typeof st === "number" ? st : { path: f.ops.path, found: { path: f.ops.path, st, dir: null } };
  }
  const start = path.startsWith("/") ? t.process.fs.root : dirOf(t, dirfd);
  if (typeof start === "number") return start;
  const found = walkPath(k.vfs, path === "" ? "." : path, { root: t.process.fs.root, start, last, resolve: 0, creds });
  return typeof found === "number" ? found : { path: found.path, found };
}

/** readPath then lookupAt. */
export function lookupArg(k: { readonly vfs: Vfs }, t: Thread, dirfd: number, addr: number, last: Last, o: LookupOptions = {}): Lookup | number {
  const p = readPath(t, addr);
  return typeof p === "number" ? p : lookupAt(k, t, dirfd, p, last, o);
}
