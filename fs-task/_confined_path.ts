// Confined path resolution for HostFs: the walk of _tree_walk.ts over a host directory,
// made through directory fds, so that no path can name a host file outside the root.
//
//   const root = new ConfinedRoot(openHostDirectory("/srv/vol"));  // an fd on the root, for good
//   const r = root.resolve("/a/../b/link", followLast, view);      // → Resolved or -errno
//   try { fs.unlinkSync(r.at); } finally { r.release(); }
//
// Mount views (bind mounts) start their walks at a root of their own, held open too: a
// directory by an fd of a handle (viewRoot), a file by an fd on its directory and its name,
// checked against the file's identity on every walk (enterView). Those fds were opened by
// a walk like this one, so a view's root is inside the root, and no host path is looked up
// again to find it.
//
// Node has no openat(2), but on Linux "/proc/<pid>/fd/<fd>/<name>" looks `name` up in the
// directory open as `fd`: the magic link is that directory itself, wherever it is now, not
// a path to walk again. So the walk opens each directory on the way relative to its
// parent's fd (O_PATH | O_NOFOLLOW, then fstat: the stat the walk acts on is the fd's, and
// a symlink swapped in is opened as itself, never followed), reads symlinks relative to the
// directory holding them, and goes back up ".." to the parent's fd (".." is never opened).
// Symlink targets go back into the walk; the rules are _tree_walk.ts's. The last component
// is only lstat'ed. The directories opened stay open in the root's DirectoryFdCache
// (_dir_fd_cache.ts): a later walk uses one after an lstat shows its name still holds it.
//
// The result names its last component by `at` = "/proc/<pid>/fd/<dirFd>/<name>", under a
// directory fd the walk holds until release(). A host call on `at` looks up nothing but
// `name`: swapping an earlier component for a symlink out of root changes nothing. The
// name itself can still be swapped: callers open it with O_NOFOLLOW, use calls that do not
// follow a last symlink, or pin() it.
//
// Linux only (procfs). Syscalls for a path of n components: n lstats when the directories
// on the way are cached, else an lstat (when the cache had a stale entry), an open and an
// fstat for each directory missing.
//
// Names are byte strings (linux-abi/_byte_string.ts); every host call gets its path as the
// bytes themselves (a Buffer), and what the host answers in names comes back as bytes.

import fs from "node:fs";
import { displayOf, stringToBytes } from "../linux-abi/_byte_string.ts";
import { walkTree, type MountView, type Tree } from "./_tree_walk.ts";
import { DirectoryFdCache, type CachedDirectory } from "./_dir_fd_cache.ts";
import { closeFd, fdPath, HOST_O_PATH, openPathAt, statAt, statOfFd, type HostStat } from "./_host_stat.ts";

export { fdPath, HOST_O_PATH };

/** An fd on whatever the name holds, a symlink itself included, and that opens nothing (no FIFO wait). */
const ENTRY_FLAGS = HOST_O_PATH | fs.constants.O_NOFOLLOW;

export interface Resolved {
  /** The directory holding the last component: an fd of the walk's, or the root's. */
  readonly dirFd: number;
  /** The last component's name in dirFd; "." for the root itself. */
  readonly name: string;
  /** "/proc/<pid>/fd/<dirFd>/<name>", as host path bytes: good until release(). */
  readonly at: Buffer;
  /** The last component's own stat (a symlink's, not its target's), or null if it does not exist. */
  readonly stat: HostStat | null;
  /** The result is the root itself. */
  readonly isRoot: boolean;
  /** The canonical guest path below the root ("/" for the root). */
  readonly guestPath: string;
  /** Closes the directory fds the walk opened. */
  release(): void;
}

/** The target of the symlink at host path `at`, as a byte string. */
export function readHostLink(at: Buffer): string {
  return fs.readlinkSync(at, { encoding: "buffer" }).toString("latin1");
}

/**
 * Runs `op` on an O_PATH fd's path for r's last component, for host calls that would
 * follow a last symlink (chmod, utimes, access, statfs): they then act on the entry the
 * name holds, and a symlink swapped in since the walk is acted on itself, not followed.
 */
export function pin<T>(r: Resolved, op: (hostPath: Buffer) => T): T {
  const fd = fs.openSync(r.at, ENTRY_FLAGS);
  try {
    return op(fdPath(fd));
  } finally {
    fs.closeSync(fd);
  }
}

export interface HostNode {
  /** The directory holding this entry; null for the root (or a directory view's root). */
  parent: HostNode | null;
  name: string;
  /** The entry's stat (the fd's, if it has one); null for the root. */
  stat: HostStat | null;
  /** An O_PATH fd on a directory on the way (one the walk will look in), else -1. */
  fd: number;
  /** A view's root: the open handle whose fds it uses; the view is gone once that is closed. */
  owner?: ViewOwner;
}

/** What a view's root is taken from: an open handle's fd, and for a file, its directory's fd and its name. */
export interface ViewOwner {
  readonly fd: number;
  readonly entry: HostEntry | null;
  readonly closed: boolean;
}

/** A file that is not a directory, named by its directory (an fd the holder keeps open) and its name there. */
export interface HostEntry {
  dirFd: number;
  name: string;
}

/**
 * The root node of a mount view showing what `owner` holds: its directory, or (with an
 * entry) its file; undefined when the handle names a file without an entry.
 */
export function viewRoot(owner: ViewOwner): HostNode | undefined {
  const stat = fs.fstatSync(owner.fd, { bigint: true });
  if (stat.isDirectory()) return { parent: null, name: ".", stat: null, fd: owner.fd, owner };
  if (owner.entry === null) return undefined;
  const dir: HostNode = { parent: null, name: ".", stat: null, fd: owner.entry.dirFd };
  return { parent: dir, name: owner.entry.name, stat, fd: -1, owner };
}

/**
 * An fd of its own on directory `dirFd` (which a walk will close): through its /proc magic
 * link, which is the open directory itself, not a path looked up again.
 */
export function holdDirectory(dirFd: number): number {
  return fs.openSync(fdPath(dirFd), HOST_O_PATH | fs.constants.O_DIRECTORY);
}

/**
 * The host directory `path` held open (following symlinks: the path is the launcher's,
 * given by the user, never the guest's), and where it is; a TypeError if it is not one.
 */
export function openHostDirectory(path: string): { fd: number; real: string } {
  let fd: number;
  try {
    fd = fs.openSync(stringToBytes(path), HOST_O_PATH | fs.constants.O_DIRECTORY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const shown = displayOf(path);
    throw new TypeError(code === "ENOTDIR" ? `Cannot mount host directory: ${shown} is not a directory` : `Cannot mount host directory: ${shown}: ${(err as Error).message}`);
  }
  return { fd, real: readHostLink(fdPath(fd)) };
}

/** A walk's tree: the directories on the way, held in the cache until the walk is released. */
class HostWalk implements Tree<HostNode> {
  readonly root: HostNode;
  readonly #cache: DirectoryFdCache;
  /** The cache entries this walk went through and still holds. */
  readonly #held: CachedDirectory[] = [];

  constructor(root: HostNode, cache: DirectoryFdCache) {
    this.root = root;
    this.#cache = cache;
  }

  isDir(n: HostNode): boolean {
    return n.stat === null || n.stat.isDirectory();
  }

  /**
   * The last component is only lstat'ed. One on the way is the cached directory when the
   * name still holds it, else opened, then fstat'ed: so the directory the walk goes on in
   * is the very one it saw, and costs no second lookup.
   */
  child(dir: HostNode, name: string, _dirNames: readonly string[], last: boolean): HostNode | undefined {
    const cached = last ? undefined : this.#cache.peek(dir.fd, name);
    if (last || cached !== undefined) {
      const stat = statAt(dir.fd, name);
      if (last || stat === undefined || !stat.isDirectory()) {
        if (cached !== undefined) this.#cache.take(cached, stat);
        return stat === undefined ? undefined : { parent: dir, name, stat, fd: -1 };
      }
      const hit = this.#cache.take(cached!, stat);
      if (hit !== undefined) {
        this.#held.push(hit);
        return { parent: dir, name, stat, fd: hit.fd };
      }
    }
    const fd = openPathAt(dir.fd, name);
    if (fd === undefined) return undefined;
    let stat: HostStat;
    try {
      stat = statOfFd(fd);
    } catch (err) {
      closeFd(fd);
      throw err;
    }
    if (!stat.isDirectory()) {
      closeFd(fd);
      return { parent: dir, name, stat, fd: -1 };
    }
    this.#held.push(this.#cache.add(dir.fd, name, fd, stat));
    return { parent: dir, name, stat, fd };
  }

  /** A directory view's root is its handle's fd; a file view's root must still be the file it was. */
  enterView(root: HostNode): HostNode | undefined {
    if (root.owner?.closed) return undefined;
    if (root.fd >= 0) return root;
    const stat = fs.lstatSync(fdPath(root.parent!.fd, root.name), { bigint: true, throwIfNoEntry: false });
    if (stat === undefined || stat.ino !== root.stat!.ino || stat.dev !== root.stat!.dev) return undefined;
    return { ...root, stat };
  }

  linkTarget(n: HostNode): string | null {
    return n.stat?.isSymbolicLink() ? readHostLink(fdPath(n.parent!.fd, n.name)) : null;
  }

  release(): void {
    for (let e = this.#held.pop(); e !== undefined; e = this.#held.pop()) this.#cache.release(e);
  }
}

/**
 * A walk's Resolved. Most calls use its stat alone (an lstat, the bulk of a `find`), so
 * the host path and the guest path are made when first asked for.
 */
class WalkResult implements Resolved {
  #at: Buffer | null = null;
  readonly #walk: HostWalk;
  readonly #dirNames: readonly string[];
  readonly #lastName: string;

  constructor(
    walk: HostWalk,
    readonly dirFd: number,
    readonly name: string,
    readonly stat: HostStat | null,
    readonly isRoot: boolean,
    dirNames: readonly string[],
    lastName: string,
  ) {
    this.#walk = walk;
    this.#dirNames = dirNames;
    this.#lastName = lastName;
  }

  get at(): Buffer {
    return (this.#at ??= fdPath(this.dirFd, this.name));
  }

  get guestPath(): string {
    let path = "";
    for (const n of this.#dirNames) path += "/" + n;
    if (this.#lastName !== ".") path += "/" + this.#lastName;
    return path === "" ? "/" : path;
  }

  release(): void {
    this.#walk.release();
  }
}

/** Closes a root fd, and its cached directories, once its ConfinedRoot was collected (HostFs has no unmount call). */
const rootFds = new FinalizationRegistry<{ fd: number; cache: DirectoryFdCache }>(({ fd, cache }) => {
  cache.clear();
  fs.close(fd, () => {});
});

/** A host directory, held open, to resolve guest paths in. */
export class ConfinedRoot {
  #root: HostNode;
  readonly #cache = new DirectoryFdCache();

  /** `fd`: the directory (openHostDirectory), which this root now owns. */
  constructor(fd: number) {
    this.#root = { parent: null, name: ".", stat: null, fd };
    rootFds.register(this, { fd, cache: this.#cache });
  }

  /** Resolves `guestPath`; `arg` is which path argument of the call it is (for a crossing). */
  resolve(guestPath: string, followLast: boolean, view?: MountView<HostNode>, arg = 0): Resolved | number {
    const walk = new HostWalk(this.#root, this.#cache);
    try {
      const w = walkTree(walk, guestPath, followLast, view, arg);
      if (typeof w === "number") {
        walk.release();
        return w;
      }
      // A directory is named by its parent and its name (the root: by itself and ".").
      const last = w.node !== null && w.name === "." ? w.node : null;
      const holder = last === null ? w.dir : last.parent ?? last;
      const name = last === null ? w.name : last.name;
      const isRoot = last !== null && last.parent === null;
      const stat = isRoot ? fs.fstatSync(holder.fd, { bigint: true }) : w.node === null ? null : w.node.stat;
      return new WalkResult(walk, holder.fd, name, stat, isRoot, w.dirNames, w.name);
    } catch (err) {
      walk.release();
      throw err;
    }
  }
}
