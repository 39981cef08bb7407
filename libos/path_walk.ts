// A path looked up by the kernel-task one component at a time (Linux: fs/namei.c,
// link_path_walk and its LOOKUP_* flags).
//
// An ordinary lookup is one fs-task call, whose walk follows symlinks and crosses mounts
// on its own. Three things need to see every component instead, and come here:
//   - permission checks: search (x) permission on each directory the walk goes through,
//     for a caller without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (permission.ts);
//   - a changed root (chroot): absolute paths and symlinks start at it, ".." stops there;
//   - openat2's RESOLVE_* rules:
//       BENEATH    an absolute path or symlink, or a ".." above the start: EXDEV
//       IN_ROOT    the start is the root: absolute paths and symlinks begin there, ".." stops there
//       NO_SYMLINKS, NO_MAGICLINKS   ELOOP on meeting one (a trailing one is returned as it
//                  is when the open does not follow it: O_NOFOLLOW, O_PATH)
//       NO_XDEV    entering or leaving the start's mount: EXDEV
//     Magic links (/proc/PID/fd/N, exe, cwd, root) are never followed in a scoped lookup
//     (BENEATH or IN_ROOT): EXDEV, as on Linux, since they jump anywhere.
// Each component is an lstat (and a symlink a readlink too) through the VFS. The result
// is a physical path (no symlink, "." or ".." left, but a last "." or ".." and a trailing
// "/" are kept for the operation to judge) with what the walk found: the last component's
// stat (null when it does not exist) and its directory's.
//
// Between this walk and the operation nothing else runs in the kernel-task (a walk and
// its operation are one synchronous step), so another guest thread cannot swap a name
// for a symlink in between; a host process changing a host volume meanwhile could, and
// the file system's own walk is still confined to the volume then.

import type { FsStat } from "../fs-task/file_system.ts";
import { EACCES, ELOOP, ENOENT, ENOTDIR, EXDEV } from "../linux-abi/errno.ts";
import { RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV } from "../linux-abi/fs.ts";
import { S_IFDIR, S_IFLNK, S_IFMT } from "../linux-abi/stat.ts";
import type { Credentials } from "./creds.ts";
import { MAY_EXEC, permission } from "./permission.ts";
import type { Mount, Vfs } from "./vfs.ts";

const MAX_SYMLINKS = 40;
const MAGIC_LINK = /^\/(?:self|thread-self|\d+)(?:\/task\/\d+)?\/(?:fd\/\d+|exe|cwd|root)$/;

/**
 * What becomes of the last component: followed if a symlink ("follow"), not followed
 * but for a trailing "/" ("nofollow", as lstat), or never looked past ("parent": unlink,
 * rmdir, rename, which act on the name in its directory).
 */
export type Last = "follow" | "nofollow" | "parent";

export interface WalkOptions {
  /** Where absolute paths and symlinks start and ".." stops (canonical): the process root, or openat2's IN_ROOT start. */
  root: string;
  /** The directory a relative path starts from (canonical). */
  start: string;
  last: Last;
  /** RESOLVE_* flags (0 for an ordinary lookup). */
  resolve: number;
  /** Whose search permission each directory is checked for. */
  creds: Credentials;
}

export interface Walked {
  /** The physical path (absolute). */
  path: string;
  /** The last component (a symlink itself when it was not followed); null if there is no such name. */
  st: FsStat | null;
  /** The directory holding the last component (null for "/" and for a path that ends in "." or ".."). */
  dir: FsStat | null;
}

/** `path` walked as `o` says; ENOENT for a missing directory on the way, EACCES for one not searchable. */
export function walkPath(vfs: Vfs, path: string, o: WalkOptions): Walked | number {
  const stat = (names: readonly string[]): FsStat | number => vfs.call("/" + names.join("/"), (fs, inner) => fs.stat(inner, false));
  const scoped = (o.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) !== 0;
  const rootNames = namesOf(o.root);
  const floor = scoped ? namesOf(o.start).length : 0;
  const startMount = o.resolve & RESOLVE_NO_XDEV ? vfs.route(o.start).mount : null;
  let dir = namesOf(o.start);
  if (path.startsWith("/")) {
    if (o.resolve & RESOLVE_BENEATH) return -EXDEV;
    dir = [...rootNames];
  }
  let dirSt = stat(dir);
  if (typeof dirSt === "number") return dirSt;
  const todo = path.split("/").reverse();
  // A trailing "/" demands a directory and follows a trailing symlink (not for "parent").
  const trailingSlash = /[^/]\/+$/.test(path);
  let links = 0;
  for (;;) {
    const name = todo.pop();
    if (name === undefined) return { path: "/" + dir.join("/"), st: dirSt, dir: null };
    if (name === "") continue;
    if (!isDir(dirSt)) return -ENOTDIR;
    if (permission(o.creds, dirSt, MAY_EXEC) < 0) return -EACCES;
    const last = todo.every((n) => n === "");
    if (name === "." || name === "..") {
      // A last "." or ".." stays in the path: rmdir, mkdir and rename answer for it.
      if (last && o.last === "parent") return { path: joinNames(dir, name), st: dirSt, dir: null };
      if (name === ".") continue;
      if (dir.length <= floor && o.resolve & RESOLVE_BENEATH) return -EXDEV;
      // ".." stops at the root, and at IN_ROOT's start.
      if (dir.length <= floor || sameNames(dir, rootNames)) continue;
      dir.pop();
      if (startMount !== null && mountOf(vfs, dir) !== startMount) return -EXDEV;
      const up = stat(dir);
      if (typeof up === "number") return up;
      dirSt = up;
      continue;
    }
    const candidate = [...dir, name];
    const full = "/" + candidate.join("/");
    const here = mountOf(vfs, candidate);
    if (startMount !== null && here !== startMount) return -EXDEV;
    const st = vfs.call(full, (fs, inner) => fs.stat(inner, false));
    if (typeof st === "number") {
      if (st === -ENOENT && last) return { path: trailingSlash ? full + "/" : full, st: null, dir: dirSt };
      return st;
    }
    if ((st.mode & S_IFMT) === S_IFLNK && !(last && (o.last === "parent" || (o.last === "nofollow" && !trailingSlash)))) {
      const magic = here.type === "proc" && MAGIC_LINK.test(vfs.route(full).inner);
      if (o.resolve & RESOLVE_NO_SYMLINKS || (magic && o.resolve & RESOLVE_NO_MAGICLINKS)) return -ELOOP;
      if (magic && scoped) return -EXDEV;
      // A magic link is the file it names, not a path: the operation reopens it.
      if (magic && last) return { path: full, st, dir: dirSt };
      if (++links > MAX_SYMLINKS) return -ELOOP;
      const target = vfs.call(full, (fs, inner) => fs.readlink(inner));
      if (typeof target === "number") return target;
      if (target.startsWith("/")) {
        if (o.resolve & RESOLVE_BENEATH) return -EXDEV;
        dir = [...rootNames];
        const top = stat(dir);
        if (typeof top === "number") return top;
        dirSt = top;
      }
      todo.push(...target.split("/").reverse());
      continue;
    }
    if (last) {
      if (trailingSlash && !isDir(st) && (st.mode & S_IFMT) !== S_IFLNK) return -ENOTDIR;
      return { path: trailingSlash ? full + "/" : full, st, dir: dirSt };
    }
    dir = candidate;
    dirSt = st;
  }
}

const isDir = (st: FsStat): boolean => (st.mode & S_IFMT) === S_IFDIR;

function namesOf(path: string): string[] {
  return path.split("/").filter((n) => n !== "");
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function joinNames(dir: readonly string[], name: string): string {
  return dir.length === 0 ? "/" + name : "/" + dir.join("/") + "/" + name;
}

function mountOf(vfs: Vfs, names: readonly string[]): Mount {
  return vfs.route("/" + names.join("/")).mount;
}
