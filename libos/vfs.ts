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
//
// Bind mounts (bind). A bind is one more mount of the source's file system, the same back
// end (so the same files, st_dev and st_ino), showing the source directory (or file) at
// another place. The mount holds what it shows as an open handle of that back end
// (Mount.rootHandle: an O_PATH open through the source mount, so the back end's own
// confined walk found it), and the back end walks each of its mounts as a view of its own
// rooted at that handle (setMountView, fs-task/_tree_walk.ts): no path, host or guest, is
// looked up again to find a bind's root, and a bind follows its directory when it is
// renamed, as Linux's does. The VFS numbers a file system's mounts and puts "\0N" before
// the path of a call through its mount N > 0 (Mount.selector). That walk starts at the
// mount's root, and ".." there leaves for the bind's parent mount (not the source
// directory's parent), an absolute symlink leaves for the guest's root, and only the
// directories covered in that mount are crossings. A call through a bind still costs one
// fs-task call, and no FileSystem method takes an extra argument.
//
// Read-only. A mount refuses changes when it is read-only itself (remount,bind,ro) or its
// file system is, for all its mounts (remount,ro; the image; a read-only volume): see
// SuperBlock. Calls through such a mount reach its guard (libos/read_only.ts), which answers
// EROFS once it has looked up where the change would land, so a walk that crosses out of
// the mount is still followed. Going read-only is EBUSY while a file is open for writing
// through the mount (or, for the file system, through any of its mounts), as on Linux, so
// no descriptor writes past a remount.

import { CROSS_MOUNT, NO_HANDLE, type FileSystem, type FsDirPage, type FsStat } from "../fs-task/file_system.ts";
import { O_PATH } from "../linux-abi/fcntl.ts";
import { EBUSY, EINVAL, ELOOP, ENOENT, ENOTTY, EOPNOTSUPP, EROFS, EXDEV } from "../linux-abi/errno.ts";
import { POLLIN, POLLOUT } from "../linux-abi/poll.ts";
import { FALLOC_FL_PUNCH_HOLE } from "../linux-abi/fs.ts";
import type { PageCache, SharedFile } from "./page_cache.ts";
import { S_IFBLK, S_IFDIR, S_IFMT, S_IFREG } from "../linux-abi/stat.ts";
import type { FileOps, IoctlAccess, IoResult } from "./file.ts";
import { ReadOnlyFs } from "./read_only.ts";

/** What /proc/mounts says of a mount. */
export interface MountInfo {
  /** The device or host directory ("tmpfs", "/home/me/data"). */
  source: string;
  /** File system type ("tmpfs", "hostfs", "initfs", "devtmpfs", "proc"). */
  type: string;
  readOnly: boolean;
}

/** What every mount of one file system shares (Linux's super_block). */
export interface SuperBlock {
  /** Changes are refused through every mount of it (mount -o remount,ro). */
  readOnly: boolean;
  /** The back end itself writes nothing (the image, a read-only volume): it stays read-only. */
  readonly writeProtected: boolean;
  /** Files open for writing through any of its mounts. */
  writers: number;
}

export class Mount implements MountInfo {
  /** Guest path where the file system is attached: canonical, "/" for the root. */
  at = "/";
  /** `at`'s components ([] for the root), kept so routing splits nothing. */
  names: readonly string[] = [];
  /** Put before an inner path to walk it in this mount's view of `fs` (setMountView); "" for view 0. */
  selector = "";
  /** Files open for writing through this mount. */
  writers = 0;
  /** Files open through this mount, O_PATH ones too: while there are any, umount is EBUSY. */
  opens = 0;
  /** `fs` as calls through this mount see it while the mount is read-only. */
  readonly guard: FileSystem;

  constructor(
    at: string,
    readonly fs: FileSystem,
    readonly source: string,
    readonly type: string,
    /** What all mounts of `fs` share. */
    readonly sb: SuperBlock,
    /**
     * What of `fs` the mount shows: NO_HANDLE for its root, or a bind's open (O_PATH) handle
     * on the source directory (or file), which the mount owns and closes when it goes.
     */
    readonly rootHandle: number,
    /** This mount alone refuses changes (MS_RDONLY of the mount: remount,bind,ro). */
    public ownReadOnly: boolean,
  ) {
    this.place(at);
    this.guard = new ReadOnlyFs(fs);
  }

  get readOnly(): boolean {
    return this.ownReadOnly || this.sb.readOnly;
  }

  /** Attaches the mount at `at` (canonical). */
  place(at: string): void {
    this.at = at;
    this.names = at === "/" ? [] : at.slice(1).split("/");
  }
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

  /** Attaches `fs` at `at` (a canonical path whose directory exists, or "/"): a file system of its own. */
  mount(at: string, fs: FileSystem, info: MountInfo): Mount {
    const sb: SuperBlock = { readOnly: info.readOnly, writeProtected: info.readOnly, writers: 0 };
    return this.#attach(new Mount(normalize(at), fs, info.source, info.type, sb, NO_HANDLE, false));
  }

  /**
   * A bind mount: what `inner` names in `source` (a path as `route` gives it, selector
   * included: canonical, a directory or a file) shown at `at` too, read-only if `source` is.
   * The new mount's root is a handle the back end opens by its own walk in `source`'s view.
   * EINVAL when the file system cannot show a part of itself in a second place (no views);
   * ENOENT when the walk leaves `source` (the name changed meanwhile).
   */
  bind(at: string, source: Mount, inner: string): Mount | number {
    const wholeRoot = source.rootHandle === NO_HANDLE && inner.slice(source.selector.length) === "/";
    if (wholeRoot) return this.#attach(bindOf(at, source, NO_HANDLE));
    if (!source.fs.setMountView) return -EINVAL;
    const handle = source.fs.open(inner, O_PATH, 0);
    if (typeof handle !== "number") {
      // O_PATH opens nothing and never waits; a back end that answers later gets its handle back.
      void handle.then((h) => h >= 0 && source.fs.close(h));
      return -EINVAL;
    }
    if (handle < 0) return handle === CROSS_MOUNT ? -ENOENT : handle;
    return this.#attach(bindOf(at, source, handle));
  }

  /**
   * Parts of a file system that is never mounted whole (--sysroot: a host tree's /usr,
   * /lib, /etc/ld.so.cache), each a directory or a file found from `fs`'s root, shown at its
   * own place: binds of one mount that is not attached itself, so they share a super block
   * and a back end (one fs-task, the host's st_dev). Every handle is opened before any part
   * is attached, while `fs`'s only view is its root. EINVAL for a back end without views.
   */
  mountParts(fs: FileSystem, info: MountInfo, parts: readonly { at: string; inner: string }[]): Mount[] | number {
    if (!fs.setMountView) return -EINVAL;
    const sb: SuperBlock = { readOnly: info.readOnly, writeProtected: info.readOnly, writers: 0 };
    const whole = new Mount("/", fs, info.source, info.type, sb, NO_HANDLE, false);
    const handles: number[] = [];
    for (const part of parts) {
      const h = fs.open(part.inner, O_PATH, 0);
      if (typeof h === "number" && h >= 0) {
        handles.push(h);
        continue;
      }
      if (typeof h !== "number") void h.then((late) => late >= 0 && fs.close(late));
      for (const open of handles) fs.close(open);
      return typeof h === "number" ? (h === CROSS_MOUNT ? -ENOENT : h) : -EINVAL;
    }
    return parts.map((part, i) => this.#attach(bindOf(part.at, whole, handles[i]!)));
  }

  /**
   * MS_REMOUNT of the mount at `at`: read-only or not, for that mount alone (`mountOnly`:
   * MS_BIND) or for its file system (every mount of it, and this mount's own flag). EINVAL
   * if no mount is at `at`, EBUSY going read-only with files open for writing there, EROFS
   * making a write-protected file system writable.
   */
  remount(at: string, readOnly: boolean, mountOnly: boolean): number {
    const m = this.#mounts.find((x) => x.at === at);
    if (m === undefined) return -EINVAL;
    if (!mountOnly) {
      if (!readOnly && m.sb.writeProtected) return -EROFS;
      if (readOnly && !m.sb.readOnly && m.sb.writers > 0) return -EBUSY;
      m.sb.readOnly = readOnly;
    } else if (readOnly && !m.ownReadOnly && m.writers > 0) {
      return -EBUSY;
    }
    m.ownReadOnly = readOnly;
    return 0;
  }

  /**
   * MS_MOVE: the mount at `from`, and those below it, attached at `to` instead. EINVAL if
   * `from` is not a mount point or is "/", ELOOP for a place below itself, EBUSY onto
   * another mount point.
   */
  move(from: string, to: string): number {
    const m = this.#mounts.find((x) => x.at === from);
    if (m === undefined || from === "/") return -EINVAL;
    if (to === from || to.startsWith(from + "/")) return -ELOOP;
    if (this.#mounts.some((x) => x.at === to)) return -EBUSY;
    for (const x of this.#mounts) if (x === m || x.at.startsWith(from + "/")) x.place(to + x.at.slice(from.length));
    this.#changed();
    return 0;
  }

  /**
   * Detaches the mount at `at`; the file system itself is the caller's to stop. EBUSY with
   * mounts below it, or files open through it unless `detach` (MNT_DETACH: they keep it).
   */
  umount(at: string, detach = false): Mount | number {
    const i = this.#mounts.findIndex((m) => m.at === at);
    if (i < 0 || at === "/") return -EINVAL;
    if (this.#mounts.some((m) => m.at.startsWith(at + "/"))) return -EBUSY;
    if (this.#mounts[i]!.opens > 0 && !detach) return -EBUSY;
    const [gone] = this.#mounts.splice(i, 1);
    this.#changed();
    releaseRoot(gone!);
    return gone!;
  }

  /** The mount serving an absolute path, and the path its file system is given (selector included). */
  route(path: string): { mount: Mount; inner: string } {
    for (const m of this.#mounts) {
      const inner = innerPath(m.names, path);
      if (inner !== null) return { mount: m, inner: m.selector === "" ? inner : m.selector + inner };
    }
    throw new Error("Cannot route path: no root file system mounted");
  }

  /**
   * `op` on the file system serving `path` (absolute; "." and ".." unfolded), following
   * the walk across mounts; on a read-only mount `op` gets its guard. A Promise comes back
   * only if `op` gives one.
   */
  call<T>(path: string, op: (fs: FileSystem, inner: string, mount: Mount) => T | number): T | number {
    let p = path;
    for (let hops = 0; ; hops++) {
      const { mount, inner } = this.route(p);
      const r = op(mount.readOnly ? mount.guard : mount.fs, inner, mount);
      if (r !== CROSS_MOUNT) return r;
      const next = this.#crossed(mount, hops);
      if (typeof next === "number") return next;
      p = next.path;
    }
  }

  /**
   * `op` with two paths on the one mount serving both (rename, link); EXDEV when they are
   * on different mounts, binds of one file system included (as on Linux).
   */
  call2(from: string, to: string, op: (fs: FileSystem, a: string, b: string, mount: Mount) => number): number {
    const paths = [from, to];
    for (let hops = 0; ; hops++) {
      const a = this.route(paths[0]!), b = this.route(paths[1]!);
      if (a.mount !== b.mount) {
        // Linux looks the source up first: a missing one is ENOENT, not EXDEV.
        const st = this.call(paths[0]!, (fs, inner) => fs.stat(inner, false));
        return typeof st === "number" ? st : -EXDEV;
      }
      const r = op(a.mount.readOnly ? a.mount.guard : a.mount.fs, a.inner, b.inner, a.mount);
      if (r !== CROSS_MOUNT) return r;
      const next = this.#crossed(a.mount, hops);
      if (typeof next === "number") return next;
      paths[next.arg === 1 ? 1 : 0] = next.path;
    }
  }

  /** The canonical guest path of an existing file (chdir, /proc/PID/cwd). */
  realpath(path: string): string | number {
    return this.call(path, (fs, inner, mount) => {
      const real = fs.realpath ? fs.realpath(inner) : normalize(inner.slice(mount.selector.length));
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

  #attach(m: Mount): Mount {
    const same = this.#mounts.findIndex((x) => x.at === m.at);
    let replaced: Mount | undefined;
    if (same >= 0) [replaced] = this.#mounts.splice(same, 1, m);
    else this.#mounts.push(m);
    this.#changed();
    if (replaced !== undefined) releaseRoot(replaced);
    return m;
  }

  /**
   * After any change to the table: longest mount point first again, and every back end told
   * its views. A file system's mount of its whole root is numbered first, so the paths of
   * calls through it carry no selector.
   */
  #changed(): void {
    this.#mounts.sort((a, b) => b.at.length - a.at.length);
    /** How many views of each file system are numbered so far. */
    const views = new Map<FileSystem, number>();
    for (const wholeRoot of [true, false]) {
      for (const m of this.#mounts) {
        if ((m.rootHandle === NO_HANDLE) !== wholeRoot) continue;
        const covered = this.#mounts
          .filter((n) => n !== m && this.#parentMount(n) === m)
          .map((n) => (m.at === "/" ? n.at : n.at.slice(m.at.length)))
          .join("\0");
        if (m.fs.setMountView) {
          const view = views.get(m.fs) ?? 0;
          views.set(m.fs, view + 1);
          m.selector = view === 0 ? "" : `\0${view}`;
          m.fs.setMountView(view, m.rootHandle, m.at === "/", covered);
        } else {
          m.fs.setMountPoint?.(m.at === "/", covered);
        }
      }
    }
  }

  /** The mount that `n`'s mount point lies in. */
  #parentMount(n: Mount): Mount | undefined {
    return this.#mounts.find((m) => m !== n && m.at !== n.at && innerPath(m.names, n.at) !== null);
  }
}

/** A bind of `source`'s file system at `at` whose root is `rootHandle`. */
function bindOf(at: string, source: Mount, rootHandle: number): Mount {
  return new Mount(normalize(at), source.fs, source.source, source.type, source.sb, rootHandle, source.ownReadOnly);
}

/** Closes a mount's root handle once it is out of the table (its view is no longer set). */
function releaseRoot(m: Mount): void {
  if (m.rootHandle !== NO_HANDLE) m.fs.close(m.rootHandle);
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

/** What of `inner` (a path inside a file system) lies below `root`, as a path from `root`; null if nothing. */
function belowRoot(root: string, inner: string): string | null {
  if (root === "/") return inner;
  if (inner === root) return "/";
  return inner.startsWith(root) && inner.charCodeAt(root.length) === SLASH ? inner.slice(root.length) : null;
}

/**
 * A file, directory or device opened through an fs-task. While the file has MAP_SHARED
 * mappings, its reads and writes go through their pages too (page_cache.ts).
 */
/** Where an open file reports what it did (fsnotify.ts): reads, writes and its close. */
export interface FileEvents {
  accessed(f: FsFile): void;
  modified(f: FsFile): void;
  fileClosed(f: FsFile, wrote: boolean): void;
}

export class FsFile implements FileOps {
  readonly seekable: boolean;
  readonly readiness = null;
  readonly ino: number;
  /** Set by the open that made it: its reads, writes and close are reported there. */
  events: FileEvents | null = null;
  /** Opened for writing (its close is IN_CLOSE_WRITE). */
  wrote = false;
  /** Run at its release: its write access to a file that may run (write_access.ts) goes. */
  releaseWrite: (() => void) | null = null;
  /** Counted in the mount's writers until released. */
  readonly #writer: boolean;

  constructor(
    readonly fs: FileSystem,
    readonly handle: number,
    readonly path: string,
    st: Pick<FsStat, "mode" | "ino">,
    /** The mount it was opened through; null for a file with no place in the tree (memfd). */
    readonly mount: Mount | null = null,
    /** Open for writing, and not a device, FIFO or socket: a remount to read-only waits for it (EBUSY). */
    writer = false,
    /** The user kernel's shared file pages; null for a file that is never mapped shared. */
    readonly pages: PageCache | null = null,
  ) {
    const type = st.mode & S_IFMT;
    this.ino = st.ino;
    this.seekable = type === S_IFREG || type === S_IFDIR || type === S_IFBLK;
    this.#writer = writer && mount !== null;
    if (mount !== null) mount.opens++;
    if (this.#writer) {
      mount!.writers++;
      mount!.sb.writers++;
    }
  }

  /** The file's shared pages, if it is mapped shared now. */
  get #shared(): SharedFile | undefined {
    return this.pages?.lookup(this.fs, this.ino);
  }

  read(dst: Uint8Array, offset: number): IoResult {
    const n = this.fs.pread(this.handle, dst, offset);
    if (typeof n === "number" && n > 0) this.#shared?.overlay(dst.subarray(0, n), offset);
    if (this.events) return this.#report(n, this.events.accessed);
    return n;
  }

  /** After a read or write: the event once it moved bytes. */
  #report(n: IoResult, event: (f: FsFile) => void): IoResult {
    const events = this.events!;
    if (typeof n === "number") {
      if (n > 0) event.call(events, this);
      return n;
    }
    return n.then((x) => {
      if (x > 0) event.call(events, this);
      return x;
    });
  }

  /** `offset` is where the bytes land, also for O_APPEND (the caller passes the end of file). */
  write(src: Uint8Array, offset: number): IoResult {
    const n = this.fs.pwrite(this.handle, src, offset);
    if (typeof n === "number" && n > 0) this.#shared?.wrote(src.subarray(0, n), offset);
    if (this.events) return this.#report(n, this.events.modified);
    return n;
  }

  stat(): FsStat | number {
    return this.fs.fstat(this.handle);
  }

  readdir(cookie: number, max: number): FsDirPage | number {
    return this.fs.readdir(this.handle, cookie, max);
  }

  truncate(size: number): number {
    const r = this.fs.ftruncate(this.handle, size);
    if (r === 0) this.#shared?.resized(size);
    if (r === 0) this.events?.modified(this);
    return r;
  }

  ioctl(_request: number, _argp: number, _io: IoctlAccess): number {
    return this.fs.isatty(this.handle) ? -EINVAL : -ENOTTY;
  }

  poll(): number {
    return POLLIN | POLLOUT;
  }

  sync(dataOnly: boolean): number {
    // A device node, FIFO or socket has nothing to sync (Linux: no fsync operation).
    if (!this.seekable) return -EINVAL;
    const written = this.#shared?.sync() ?? 0;
    return written < 0 ? written : (this.fs.fsync?.(this.handle, dataOnly) ?? 0);
  }

  currentPath(): string | number {
    if (this.mount === null || !this.fs.pathOf) return this.path;
    const inner = this.fs.pathOf(this.handle);
    if (typeof inner !== "string") return inner === -ENOENT ? inner : this.path;
    const root = this.mount.rootHandle === NO_HANDLE ? "/" : this.fs.pathOf(this.mount.rootHandle);
    if (typeof root !== "string") return root === -ENOENT ? root : this.path;
    // Moved out of what a bind shows: no path through this mount reaches it.
    const shown = belowRoot(root, inner);
    return shown === null ? -ENOENT : joinMount(this.mount.at, shown);
  }

  sendToHost(offset: number, count: number, hostFd: number): number {
    // The host reads the file itself: the mappings' stores must be there first.
    this.#shared?.sync(offset, count);
    return this.fs.sendToHost?.(this.handle, offset, count, hostFd) ?? -EOPNOTSUPP;
  }

  fallocate(mode: number, offset: number, length: number): number {
    const r = this.fs.fallocate?.(this.handle, mode, offset, length) ?? -EOPNOTSUPP;
    const shared = this.#shared;
    if (r !== 0 || shared === undefined) return r;
    if (mode & FALLOC_FL_PUNCH_HOLE) shared.zeroed(offset, length);
    const st = this.fs.fstat(this.handle);
    if (typeof st !== "number") shared.resized(st.size);
    return r;
  }

  release(): void {
    this.releaseWrite?.();
    this.events?.fileClosed(this, this.wrote);
    if (this.mount !== null) this.mount.opens--;
    if (this.#writer) {
      this.mount!.writers--;
      this.mount!.sb.writers--;
    }
    this.fs.close(this.handle);
  }
}
