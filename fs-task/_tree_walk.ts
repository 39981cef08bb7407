// Path lookup for every back end: TmpFs nodes, InitFs inodes and (through
// _confined_path.ts) a host directory, over any tree a Tree<N> describes.
//
//   walkTree(tree, "/a/../b/link", followLast, view) → { node, dir, name, dirNames } or -errno
//   walkToParent(tree, "/a/b/", view)                → { dir, name: "b", trailingSlash: true }
//
// Rules (Linux: fs/namei.c link_path_walk, with the root pinned as openat2's
// RESOLVE_IN_ROOT pins it):
//  - ".." applies to the directory reached so far (symlinks already expanded), never to
//    the text of the path. At the root it stays there, unless this file system is mounted
//    below the guest's root: then the walk leaves (CROSS_MOUNT, "../rest").
//  - A symlink target is pushed back into the walk; an absolute target starts again at the
//    root, or leaves when mounted below the guest's root (CROSS_MOUNT, "/target/rest").
//    At most 40 symlinks per lookup, then ELOOP.
//  - Entering a directory another mount covers leaves too (CROSS_MOUNT, "dir/rest").
//  - Every component but the last must be an existing directory (ENOENT, ENOTDIR).
//  - A component longer than 255 bytes is ENAMETOOLONG, as is a path of 4096 bytes or more.
//  - A trailing "/", "/." or "/.." demands a directory and follows a final symlink.
// walkTree serves calls on an existing file (and open's O_CREAT); walkToParent serves the
// calls that add or remove a name, which look the last component up themselves, unfollowed.

import { ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR } from "./_errno.ts";
import { CROSS_MOUNT, type FsCrossing } from "./file_system.ts";

export const NAME_MAX = 255;
export const PATH_MAX = 4096;
const MAX_SYMLINKS = 40;

/** What the walk needs to know of a tree whose nodes are N. */
export interface Tree<N> {
  readonly root: N;
  isDir(node: N): boolean;
  /**
   * The entry `name` of directory `dir` (whose path below the root is `dirNames`), if any.
   * `last`: nothing follows `name` in the path as it stands, so the walk will not look in it.
   */
  child(dir: N, name: string, dirNames: readonly string[], last: boolean): N | undefined;
  /** The target if `node` is a symlink, else null. */
  linkTarget(node: N): string | null;
  /** Optional: the walk is done with directory `dir` (gone back up by "..", or restarted at the root). */
  drop?(dir: N): void;
}

/**
 * Where a back end is mounted (FileSystem.setMountPoint) and the crossing its last walk
 * made. One per back end; an unmounted back end keeps the default: the guest's root.
 */
export class MountView {
  atRoot = true;
  #covered = new Set<string>();
  /** The crossing of the last walk that answered CROSS_MOUNT. */
  crossed: FsCrossing | null = null;

  set(atRoot: boolean, covered: string): number {
    this.atRoot = atRoot;
    this.#covered = new Set(covered === "" ? [] : covered.split("\0"));
    return 0;
  }

  covers(dirNames: readonly string[]): boolean {
    return this.#covered.size > 0 && this.#covered.has("/" + dirNames.join("/"));
  }

  /** Records a crossing and gives CROSS_MOUNT, for the walk to return. */
  leave(arg: number, path: string): number {
    this.crossed = { arg, path };
    return CROSS_MOUNT;
  }

  crossing(): FsCrossing | number {
    return this.crossed ?? -ENOENT;
  }
}

const GUEST_ROOT = new MountView();

export interface Walked<N> {
  /** The node found; null if only the last component is missing. */
  node: N | null;
  /** When node is null: the directory where `name` would be created. */
  dir: N;
  name: string;
  /** The path of `dir` below the root, one name per component (the canonical path). */
  dirNames: readonly string[];
}

export interface ParentWalked<N> {
  dir: N;
  /** The last component as written: "" for the root itself, or "." / "..". */
  name: string;
  trailingSlash: boolean;
}

/** `arg` is which path argument of the call this is (for the crossing record). */
export function walkTree<N>(tree: Tree<N>, path: string, followLast: boolean, view: MountView = GUEST_ROOT, arg = 0): Walked<N> | number {
  if (path === "") return -ENOENT;
  if (path.length >= PATH_MAX && Buffer.byteLength(path) >= PATH_MAX) return -ENAMETOOLONG;
  const names = path.split("/");
  const last = names[names.length - 1];
  const endsInDot = last === "." || last === "..";
  const mustBeDir = endsInDot || last === "";
  const follow = followLast || mustBeDir;
  /** Components still to walk, next one at the end. */
  const pending = names.filter(isStep).reverse();
  /** Directories walked so far, the root first, and their names below the root. */
  const dirs: N[] = [tree.root];
  const dirNames: string[] = [];
  let symlinks = 0;

  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (name === "..") {
      if (dirs.length > 1) {
        const left = dirs.pop()!;
        tree.drop?.(left);
        dirNames.pop();
      } else if (!view.atRoot) {
        return view.leave(arg, "../" + restOf(pending, mustBeDir));
      }
      continue;
    }
    if (isTooLong(name)) return -ENAMETOOLONG;
    const dir = dirs[dirs.length - 1]!;
    const isLast = pending.length === 0;
    const node = tree.child(dir, name, dirNames, isLast);
    if (node === undefined) return isLast && !endsInDot ? { node: null, dir, name, dirNames } : -ENOENT;
    const target = tree.linkTarget(node);
    if (target !== null && (!isLast || follow)) {
      if (++symlinks > MAX_SYMLINKS) return -ELOOP;
      if (target === "") return -ENOENT;
      if (target.startsWith("/")) {
        if (!view.atRoot) return view.leave(arg, joinRest(target, restOf(pending, mustBeDir)));
        while (dirs.length > 1) {
          const left = dirs.pop()!;
          tree.drop?.(left);
        }
        dirNames.length = 0;
      }
      pending.push(...target.split("/").filter(isStep).reverse());
      continue;
    }
    if (tree.isDir(node)) {
      dirs.push(node);
      dirNames.push(name);
      if (view.covers(dirNames)) return view.leave(arg, joinRest(dirNames.join("/"), restOf(pending, mustBeDir)));
      continue;
    }
    if (!isLast) return -ENOTDIR;
    return mustBeDir ? -ENOTDIR : { node, dir, name, dirNames };
  }
  const node = dirs[dirs.length - 1]!;
  return { node, dir: node, name: ".", dirNames };
}

/** Resolves all but the last component, which must name a directory; the last is left to the caller. */
export function walkToParent<N>(tree: Tree<N>, path: string, view: MountView = GUEST_ROOT, arg = 0): ParentWalked<N> | number {
  if (path === "") return -ENOENT;
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  const slash = path.lastIndexOf("/", end - 1);
  const name = path.slice(slash + 1, end);
  if (isTooLong(name)) return -ENAMETOOLONG;
  const walked = walkTree(tree, slash < 0 ? "/" : path.slice(0, slash + 1), true, view, arg);
  if (walked === CROSS_MOUNT) return view.leave(arg, joinRest(view.crossed!.path, path.slice(slash + 1)));
  if (typeof walked === "number") return walked;
  if (walked.node === null) return -ENOENT;
  return { dir: walked.node, name, trailingSlash: end < path.length };
}

/** A tree and the mount view its walks honour: the path side of a tree back end. */
export class TreeWalker<N> {
  readonly view = new MountView();

  constructor(readonly tree: Tree<N>) {}

  walk(path: string, followLast: boolean, arg = 0): Walked<N> | number {
    return walkTree(this.tree, path, followLast, this.view, arg);
  }

  toParent(path: string, arg = 0): ParentWalked<N> | number {
    return walkToParent(this.tree, path, this.view, arg);
  }

  /** The node an existing path names. */
  lookup(path: string, follow: boolean, arg = 0): N | number {
    const walked = this.walk(path, follow, arg);
    if (typeof walked === "number") return walked;
    return walked.node ?? -ENOENT;
  }

  /** FileSystem.realpath for this tree. */
  realpath(path: string): string | number {
    const walked = this.walk(path, true);
    if (typeof walked === "number") return walked;
    return walked.node === null ? -ENOENT : canonicalPath(walked);
  }
}

/** "/" + the canonical path of what a walk found. */
export function canonicalPath(w: Walked<unknown>): string {
  const names = w.name === "." ? w.dirNames : [...w.dirNames, w.name];
  return "/" + names.join("/");
}

/** The components a walk has not taken yet (`pending` holds them last first), as a path. */
function restOf(pending: readonly string[], mustBeDir: boolean): string {
  return pending.slice().reverse().join("/") + (mustBeDir ? "/" : "");
}

function joinRest(head: string, rest: string): string {
  if (rest === "" || rest === "/") return head + rest;
  return head.endsWith("/") ? head + rest : `${head}/${rest}`;
}

function isStep(name: string): boolean {
  return name !== "" && name !== ".";
}

/** Over NAME_MAX bytes in UTF-8 (a UTF-16 unit is at most 3 bytes, so short names skip the count). */
function isTooLong(name: string): boolean {
  return name.length * 3 > NAME_MAX && Buffer.byteLength(name) > NAME_MAX;
}
