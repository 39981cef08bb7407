// openat2(2)'s RESOLVE_* rules, applied by the kernel-task one component at a time
// (Linux: fs/namei.c with LOOKUP_BENEATH, LOOKUP_IN_ROOT, LOOKUP_NO_SYMLINKS,
// LOOKUP_NO_MAGICLINKS and LOOKUP_NO_XDEV).
//
// An ordinary lookup is one fs-task call, whose walk follows symlinks and crosses mounts
// on its own. These rules must see every symlink and every mount edge, so here each
// component is an lstat (and a symlink a readlink too) through the VFS. The result is a
// physical path (no symlink, "." or ".." left) that the caller then opens.
//
//   BENEATH    an absolute path or symlink, or a ".." above the start: EXDEV
//   IN_ROOT    the start is "/": absolute paths and symlinks begin there, ".." stops there
//   NO_SYMLINKS, NO_MAGICLINKS   ELOOP on meeting one (a trailing one is returned as it
//              is when the open does not follow it: O_NOFOLLOW, O_PATH)
//   NO_XDEV    entering or leaving the start's mount: EXDEV
// Magic links (/proc/PID/fd/N, exe, cwd, root) are never followed in a scoped lookup
// (BENEATH or IN_ROOT): EXDEV, as on Linux, since they jump anywhere.
//
// Between this walk and the open a guest could rename a symlink into the path; the
// open then follows it. The file system's own walk is still confined (a host volume is
// never left), so the race can only reach another file the guest can see anyway.

import { ELOOP, ENOENT, ENOTDIR, EXDEV } from "../linux-abi/errno.ts";
import { RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV } from "../linux-abi/fs.ts";
import { S_IFDIR, S_IFLNK, S_IFMT } from "../linux-abi/stat.ts";
import type { Mount, Vfs } from "./vfs.ts";

const MAX_SYMLINKS = 40;
const MAGIC_LINK = /^\/(?:self|thread-self|\d+)(?:\/task\/\d+)?\/(?:fd\/\d+|exe|cwd|root)$/;

/**
 * The physical path `path` names from directory `start` (canonical) under `resolve`;
 * `followLast`: a trailing symlink is followed (no O_NOFOLLOW). A missing last component
 * is returned too (the open creates it or says ENOENT).
 */
export function scopedLookup(vfs: Vfs, start: string, path: string, resolve: number, followLast: boolean): string | number {
  const scoped = (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) !== 0;
  const rootNames = resolve & RESOLVE_IN_ROOT ? namesOf(start) : [];
  const floor = scoped ? namesOf(start).length : 0;
  const startMount = vfs.route(start).mount;
  let dir: string[] = namesOf(start);
  const todo = path.split("/").reverse();
  // A trailing "/" demands a directory and follows a trailing symlink.
  const trailingSlash = path.endsWith("/");
  if (path.startsWith("/")) {
    if (resolve & RESOLVE_BENEATH) return -EXDEV;
    dir = [...rootNames];
  }
  let links = 0;
  for (;;) {
    const name = todo.pop();
    if (name === undefined) return "/" + dir.join("/");
    if (name === "" || name === ".") continue;
    if (name === "..") {
      if (dir.length <= floor) {
        if (resolve & RESOLVE_BENEATH) return -EXDEV;
        continue;
      }
      dir.pop();
      if (resolve & RESOLVE_NO_XDEV && mountOf(vfs, dir) !== startMount) return -EXDEV;
      continue;
    }
    const last = todo.every((n) => n === "" || n === ".");
    const candidate = [...dir, name];
    const here = mountOf(vfs, candidate);
    if (resolve & RESOLVE_NO_XDEV && here !== startMount) return -EXDEV;
    const full = "/" + candidate.join("/");
    const st = vfs.call(full, (fs, inner) => fs.stat(inner, false));
    if (typeof st === "number") return st === -ENOENT && last ? full : st;
    const type = st.mode & S_IFMT;
    if (type === S_IFLNK) {
      if (last && !followLast && !trailingSlash) return full;
      const magic = here.type === "proc" && MAGIC_LINK.test(vfs.route(full).inner);
      if (resolve & RESOLVE_NO_SYMLINKS || (magic && resolve & RESOLVE_NO_MAGICLINKS)) return -ELOOP;
      if (magic && scoped) return -EXDEV;
      // A magic link is the file it names, not a path: the open reopens it.
      if (magic && last) return full;
      if (++links > MAX_SYMLINKS) return -ELOOP;
      const target = vfs.call(full, (fs, inner) => fs.readlink(inner));
      if (typeof target === "number") return target;
      if (target.startsWith("/")) {
        if (resolve & RESOLVE_BENEATH) return -EXDEV;
        dir = [...rootNames];
      }
      todo.push(...target.split("/").reverse());
      continue;
    }
    if (type !== S_IFDIR && (!last || trailingSlash)) return -ENOTDIR;
    dir = candidate;
  }
}

function namesOf(path: string): string[] {
  return path.split("/").filter((n) => n !== "");
}

function mountOf(vfs: Vfs, names: readonly string[]): Mount {
  return vfs.route("/" + names.join("/")).mount;
}
