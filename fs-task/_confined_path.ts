// Confined path resolution for HostFs: walks a guest path one component at a time under a
// host root directory, following symlinks itself, so that no path can name a host file
// outside the root.
//
//   resolveInRoot(root, "/a/../b/link", followLast) → { hostPath, stat, isRoot } or -errno
//
// Rules (Linux: fs/namei.c link_path_walk, with the root pinned as openat2's
// RESOLVE_IN_ROOT pins it):
//  - ".." at the root stays at the root, and applies to the real directory reached so far
//    (symlinks are already expanded), never to the text of the path.
//  - A symlink target is read from the host and pushed back into the walk; an absolute
//    target ("/x") starts again at the root, so it means root/x. At most 40 symlinks are
//    followed per lookup, then ELOOP.
//  - Every component but the last must be a directory (ENOTDIR) that exists (ENOENT).
//    The last one may be missing: then stat is null and hostPath is where it would be
//    created, under a parent that exists (unless the path ends in "." or "..": ENOENT).
//  - A trailing "/", "/." or "/.." demands a directory and follows a final symlink.
// The walk uses lstat only. Callers open the result with O_NOFOLLOW so that a host process
// swapping a symlink in after the walk cannot redirect the open.

import fs from "node:fs";
import path from "node:path";
import { ELOOP, ENOENT, ENOTDIR } from "./_errno.ts";

const MAX_SYMLINKS = 40;

export interface Resolved {
  hostPath: string;
  /** lstat of hostPath, or null if the last component does not exist. */
  stat: fs.Stats | null;
  /** hostPath is the root itself. */
  isRoot: boolean;
}

/** Resolves `guestPath` inside `root`, an absolute host path without symlinks (see realpath). */
export function resolveInRoot(root: string, guestPath: string, followLast: boolean): Resolved | number {
  if (guestPath === "") return -ENOENT;
  const names = guestPath.split("/");
  const last = names[names.length - 1];
  const endsInDot = last === "." || last === "..";
  const mustBeDir = endsInDot || last === "";
  const follow = followLast || mustBeDir;
  /** Components still to walk, next one at the end. */
  const pending = names.filter(isStep).reverse();
  /** Real directories walked so far, below root. */
  const dirs: string[] = [];
  /** lstat of the place dirs names, when known. */
  let here: fs.Stats | undefined;
  let symlinks = 0;

  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (name === "..") {
      dirs.pop();
      here = undefined;
      continue;
    }
    const isLast = pending.length === 0;
    const hostPath = path.join(root, ...dirs, name);
    const stat = fs.lstatSync(hostPath, { throwIfNoEntry: false });
    if (stat === undefined) {
      return isLast && !endsInDot ? { hostPath, stat: null, isRoot: false } : -ENOENT;
    }
    if (stat.isSymbolicLink() && (!isLast || follow)) {
      if (++symlinks > MAX_SYMLINKS) return -ELOOP;
      const target = fs.readlinkSync(hostPath);
      if (target === "") return -ENOENT;
      if (target.startsWith("/")) dirs.length = 0;
      pending.push(...target.split("/").filter(isStep).reverse());
      here = undefined;
      continue;
    }
    if (!isLast && !stat.isDirectory()) return -ENOTDIR;
    dirs.push(name);
    here = stat;
  }

  const hostPath = path.join(root, ...dirs);
  const stat = here ?? fs.lstatSync(hostPath);
  if (mustBeDir && !stat.isDirectory()) return -ENOTDIR;
  return { hostPath, stat, isRoot: dirs.length === 0 };
}

function isStep(name: string): boolean {
  return name !== "" && name !== ".";
}
