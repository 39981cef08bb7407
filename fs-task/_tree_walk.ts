// Path lookup in an in-memory tree (TmpFs nodes, InitFs inode numbers): the same walk
// rules as _confined_path.ts applies to a host directory, over any tree a Tree<N> describes.
//
//   walkTree(tree, "/a/../b/link", followLast) → { node, dir, name } or -errno
//   walkToParent(tree, "/a/b/")                → { dir, name: "b", trailingSlash: true }
//
// Rules (Linux: fs/namei.c link_path_walk, with the root pinned as openat2's
// RESOLVE_IN_ROOT pins it, as HostFs does):
//  - ".." at the root stays at the root, and applies to the directory reached so far
//    (symlinks already expanded), never to the text of the path.
//  - A symlink target is pushed back into the walk; an absolute target starts again at
//    this file system's root. At most 40 symlinks per lookup, then ELOOP.
//  - Every component but the last must be an existing directory (ENOENT, ENOTDIR).
//  - A component longer than 255 bytes is ENAMETOOLONG, as is a path of 4096 bytes or more.
//  - A trailing "/", "/." or "/.." demands a directory and follows a final symlink.
// walkTree serves calls on an existing file (and open's O_CREAT); walkToParent serves the
// calls that add or remove a name, which look the last component up themselves, unfollowed.

import { ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR } from "./_errno.ts";

export const NAME_MAX = 255;
export const PATH_MAX = 4096;
const MAX_SYMLINKS = 40;

/** What the walk needs to know of a tree whose nodes are N. */
export interface Tree<N> {
  readonly root: N;
  isDir(node: N): boolean;
  /** The entry `name` of directory `dir`, if any. */
  child(dir: N, name: string): N | undefined;
  /** The target if `node` is a symlink, else null. */
  linkTarget(node: N): string | null;
}

export interface Walked<N> {
  /** The node found; null if only the last component is missing. */
  node: N | null;
  /** When node is null: the directory where `name` would be created. */
  dir: N;
  name: string;
}

export interface ParentWalked<N> {
  dir: N;
  /** The last component as written: "" for the root itself, or "." / "..". */
  name: string;
  trailingSlash: boolean;
}

export function walkTree<N>(tree: Tree<N>, path: string, followLast: boolean): Walked<N> | number {
  if (path === "") return -ENOENT;
  if (path.length >= PATH_MAX && Buffer.byteLength(path) >= PATH_MAX) return -ENAMETOOLONG;
  const names = path.split("/");
  const last = names[names.length - 1];
  const endsInDot = last === "." || last === "..";
  const mustBeDir = endsInDot || last === "";
  const follow = followLast || mustBeDir;
  /** Components still to walk, next one at the end. */
  const pending = names.filter(isStep).reverse();
  /** Directories walked so far, the root first. */
  const dirs: N[] = [tree.root];
  let symlinks = 0;

  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (name === "..") {
      if (dirs.length > 1) dirs.pop();
      continue;
    }
    if (isTooLong(name)) return -ENAMETOOLONG;
    const dir = dirs[dirs.length - 1];
    const isLast = pending.length === 0;
    const node = tree.child(dir, name);
    if (node === undefined) return isLast && !endsInDot ? { node: null, dir, name } : -ENOENT;
    const target = tree.linkTarget(node);
    if (target !== null && (!isLast || follow)) {
      if (++symlinks > MAX_SYMLINKS) return -ELOOP;
      if (target === "") return -ENOENT;
      if (target.startsWith("/")) dirs.length = 1;
      pending.push(...target.split("/").filter(isStep).reverse());
      continue;
    }
    if (tree.isDir(node)) {
      dirs.push(node);
      continue;
    }
    if (!isLast) return -ENOTDIR;
    return mustBeDir ? -ENOTDIR : { node, dir, name };
  }
  const node = dirs[dirs.length - 1];
  return { node, dir: node, name: "." };
}

/** Resolves all but the last component, which must name a directory; the last is left to the caller. */
export function walkToParent<N>(tree: Tree<N>, path: string): ParentWalked<N> | number {
  if (path === "") return -ENOENT;
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  const slash = path.lastIndexOf("/", end - 1);
  const name = path.slice(slash + 1, end);
  if (isTooLong(name)) return -ENAMETOOLONG;
  const walked = walkTree(tree, slash < 0 ? "/" : path.slice(0, slash + 1), true);
  if (typeof walked === "number") return walked;
  if (walked.node === null) return -ENOENT;
  return { dir: walked.node, name, trailingSlash: end < path.length };
}

function isStep(name: string): boolean {
  return name !== "" && name !== ".";
}

/** Over NAME_MAX bytes in UTF-8 (a UTF-16 unit is at most 3 bytes, so short names skip the count). */
function isTooLong(name: string): boolean {
  return name.length * 3 > NAME_MAX && Buffer.byteLength(name) > NAME_MAX;
}
