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
//  - Entering a directory another mount covers leaves too (CROSS_MOUNT, "dir/rest"), and
//    so does ending on a file another mount covers (a file bind mount).
//  - Every component but the last must be an existing directory (ENOENT, ENOTDIR).
//  - A component longer than 255 bytes is ENAMETOOLONG, as is a path of 4096 bytes or more
//    (paths are byte strings, linux-abi/_byte_string.ts: a code unit is a byte).
//  - A trailing "/", "/." or "/.." demands a directory and follows a final symlink.
// walkTree serves calls on an existing file (and open's O_CREAT); walkToParent serves the
// calls that add or remove a name, which look the last component up themselves, unfollowed.
//
// Mount views. One back end can be mounted in several places (bind mounts): each mount is
// a view (FileSystem.setMountView) with its own root, a directory of the back end (or, for
// a file bind mount, a file), and its own edges. A path "\0N/rest" is walked in view N, any
// other path in view 0. The view holds its root as a node (the one an open handle names),
// not as a path: the walk starts there, so a view follows its directory when it is renamed,
// and no name is looked up again to find it. That node is the root for everything after:
// ".." and an absolute symlink never go above it, and the path the walk answers with
// (dirNames, a crossing) is below it. So ".." at a bind's root leaves to the bind's parent
// mount, not to the source directory's parent, and the directories other mounts cover are
// the view's own.

import { EINVAL, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR } from "./_errno.ts";
import { CROSS_MOUNT, type FsCrossing } from "./file_system.ts";

export const NAME_MAX = 255;
export const PATH_MAX = 4096;
const MAX_SYMLINKS = 40;

/** What the walk needs to know of a tree whose nodes are N. */
export interface Tree<N> {
  readonly root: N;
  isDir(node: N): boolean;
  /**
   * The entry `name` of directory `dir` (whose path below the view's root is `dirNames`), if any.
   * `last`: nothing follows `name` in the path as it stands, so the walk will not look in it.
   */
  child(dir: N, name: string, dirNames: readonly string[], last: boolean): N | undefined;
  /** The target if `node` is a symlink, else null. */
  linkTarget(node: N): string | null;
  /** Optional: view root `root` as this walk may start from it, or undefined if it is gone (ENOENT). */
  enterView?(root: N): N | undefined;
}

/** One mount of a back end: the directory it shows and the edges of its tree. */
class View<N> {
  /** The mount's root (a directory, or a file: a file bind mount); null for the back end's root. */
  readonly root: N | null;
  /** Mounted at the guest's "/": ".." at the root stays there, absolute symlinks restart there. */
  readonly atRoot: boolean;
  /** Paths below `root` ("/a/b") of directories, or files, other mounts cover. */
  readonly #covered: ReadonlySet<string>;
  /** Their last names: most lookups are answered by this alone, without building a path. */
  readonly #coveredNames: ReadonlySet<string>;

  constructor(root: N | null, atRoot: boolean, covered: string) {
    this.root = root;
    this.atRoot = atRoot;
    const paths = covered === "" ? [] : covered.split("\0");
    this.#covered = new Set(paths);
    this.#coveredNames = new Set(paths.map((p) => p.slice(p.lastIndexOf("/") + 1)));
  }

  /** Whether another mount covers the directory `names` leads to, or its entry `name` if given. */
  covers(names: readonly string[], name?: string): boolean {
    if (!this.#coveredNames.has(name ?? names[names.length - 1]!)) return false;
    let path = "";
    for (const n of names) path += "/" + n;
    if (name !== undefined) path += "/" + name;
    return this.#covered.has(path);
  }
}

/** Most views one back end keeps: more mounts of one file system than anyone makes. */
const MAX_VIEWS = 4096;

/**
 * Where a back end is mounted (FileSystem.setMountPoint, setMountView) and the crossing its
 * last walk made. One per back end; an unmounted back end keeps the default: view 0, the
 * guest's root.
 */
export class MountView<N> {
  #views: View<N>[] = [new View<N>(null, true, "")];
  /** The crossing of the last walk that answered CROSS_MOUNT. */
  crossed: FsCrossing | null = null;

  set(atRoot: boolean, covered: string): number {
    return this.setView(0, null, atRoot, covered);
  }

  /**
   * Views are numbered from 0 up: `view` is at most the number set so far. Setting view 0
   * forgets the others (the mount table sets them all again after every change), so no view
   * outlives the mount, and the root handle, it was set for.
   */
  setView(view: number, root: N | null, atRoot: boolean, covered: string): number {
    if (!Number.isSafeInteger(view) || view < 0 || view > this.#views.length || view >= MAX_VIEWS) return -EINVAL;
    if (view === 0) this.#views.length = 0;
    this.#views[view] = new View(root, atRoot, covered);
    return 0;
  }

  /** The view `path` is walked in: "\0N/…" names view N, anything else view 0; undefined for a bad or unknown N. */
  select(path: string): View<N> | undefined {
    if (path.charCodeAt(0) !== 0) return this.#views[0];
    let n = 0, i = 1;
    for (let c = path.charCodeAt(i); c >= 0x30 && c <= 0x39; c = path.charCodeAt(++i)) n = n * 10 + c - 0x30;
    return i > 1 && path.charCodeAt(i) === SLASH ? this.#views[n] : undefined;
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

const GUEST_ROOT = new MountView<never>();
const SLASH = 0x2f;

/** `path` without its view selector (MountView.select). */
function selectedPath(path: string): string {
  return path.charCodeAt(0) === 0 ? path.slice(path.indexOf("/")) : path;
}

export interface Walked<N> {
  /** The node found; null if only the last component is missing. */
  node: N | null;
  /** When node is null: the directory where `name` would be created. */
  dir: N;
  name: string;
  /** The path of `dir` below the view's root, one name per component (the canonical path). */
  dirNames: readonly string[];
}

export interface ParentWalked<N> {
  dir: N;
  /** The last component as written: "" for the root itself, or "." / "..". */
  name: string;
  trailingSlash: boolean;
}

/** `arg` is which path argument of the call this is (for the crossing record). */
export function walkTree<N>(tree: Tree<N>, path: string, followLast: boolean, view: MountView<N> = GUEST_ROOT, arg = 0): Walked<N> | number {
  const v = view.select(path);
  return v === undefined ? -ENOENT : walkIn(tree, selectedPath(path), followLast, view, v, arg);
}

function walkIn<N>(tree: Tree<N>, path: string, followLast: boolean, view: MountView<N>, v: View<N>, arg: number): Walked<N> | number {
  if (path === "") return -ENOENT;
  if (path.length >= PATH_MAX) return -ENAMETOOLONG;
  const names = path.split("/");
  const last = names[names.length - 1];
  const endsInDot = last === "." || last === "..";
  const mustBeDir = endsInDot || last === "";
  const follow = followLast || mustBeDir;
  /** Components still to walk, next one at the end. */
  const pending = names.filter(isStep).reverse();
  const root = v.root === null ? tree.root : tree.enterView ? tree.enterView(v.root) : v.root;
  if (root === undefined) return -ENOENT;
  // A file bind mount: the mount is the file, and nothing lies below it.
  if (!tree.isDir(root)) return pending.length > 0 || endsInDot ? -ENOTDIR : { node: root, dir: root, name: ".", dirNames: [] };
  /** Directories walked so far, the view's root first (".." and absolute symlinks stop there), and their names below it. */
  const dirs: N[] = [root];
  const dirNames: string[] = [];
  let symlinks = 0;

  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (name === "..") {
      if (dirs.length > 1) {
        dirs.pop();
        dirNames.pop();
      } else if (!v.atRoot) {
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
        if (!v.atRoot) return view.leave(arg, joinRest(target, restOf(pending, mustBeDir)));
        dirs.length = 1;
        dirNames.length = 0;
      }
      pending.push(...target.split("/").filter(isStep).reverse());
      continue;
    }
    if (tree.isDir(node)) {
      dirs.push(node);
      dirNames.push(name);
      if (v.covers(dirNames)) return view.leave(arg, joinRest(dirNames.join("/"), restOf(pending, mustBeDir)));
      continue;
    }
    if (!isLast) return -ENOTDIR;
    if (mustBeDir) return -ENOTDIR;
    if (target === null && v.covers(dirNames, name)) return view.leave(arg, [...dirNames, name].join("/"));
    return { node, dir, name, dirNames };
  }
  const node = dirs[dirs.length - 1]!;
  return { node, dir: node, name: ".", dirNames };
}

/** Resolves all but the last component, which must name a directory; the last is left to the caller. */
export function walkToParent<N>(tree: Tree<N>, path: string, view: MountView<N> = GUEST_ROOT, arg = 0): ParentWalked<N> | number {
  const v = view.select(path);
  if (v === undefined) return -ENOENT;
  const p = selectedPath(path);
  if (p === "") return -ENOENT;
  let end = p.length;
  while (end > 0 && p[end - 1] === "/") end--;
  const slash = p.lastIndexOf("/", end - 1);
  const name = p.slice(slash + 1, end);
  if (isTooLong(name)) return -ENAMETOOLONG;
  const walked = walkIn(tree, slash < 0 ? "/" : p.slice(0, slash + 1), true, view, v, arg);
  if (walked === CROSS_MOUNT) return view.leave(arg, joinRest(view.crossed!.path, p.slice(slash + 1)));
  if (typeof walked === "number") return walked;
  if (walked.node === null) return -ENOENT;
  return { dir: walked.node, name, trailingSlash: end < p.length };
}

/** A tree and the mount view its walks honour: the path side of a tree back end. */
export class TreeWalker<N> {
  readonly view = new MountView<N>();

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

/** Over NAME_MAX bytes (names are byte strings: a code unit is a byte). */
function isTooLong(name: string): boolean {
  return name.length > NAME_MAX;
}
