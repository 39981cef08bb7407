// File change notification (Linux: fs/notify/fsnotify.c, fs/notify/inotify/): inotify
// instances and the hooks that feed them, for changes made through this user kernel.
//
//   Inotify     an instance behind a descriptor: its watches by descriptor number (wd,
//               counted from 1) and its queue of events, read as struct inotify_event
//               records (a name padded to 16 bytes); an event equal to the one at the
//               queue's tail is merged with it; past max_queued_events one IN_Q_OVERFLOW
//               (wd -1) ends the queue. poll: POLLIN while events wait; FIONREAD: their bytes
//   FsNotify    the user kernel's watches by inode: the file system a mount serves
//               (Mount.fs, whatever mount or guard a call went through) and the inode
//               number. The kernel-task's calls tell it what they completed:
//                 name calls (sys_names.ts, sys_file.ts's O_CREAT): created, removed,
//                   renamed, linked — each runs the file system call itself between a
//                   look at what it will change and the events it made
//                 attribute calls (sys_setstat.ts, sys_xattr.ts): attrib
//                 open files (FsFile): opened, accessed, modified, closed
//               Every hook is a map lookup and nothing more while no watch is on that file
//               system. An event on a file goes to the watches of its directory first
//               (with the name), then to its own; IN_ISDIR marks a directory's.
//
// Changes made behind the user kernel's back (the host, another user kernel) make no event,
// and an unlink reports IN_DELETE_SELF at once, not when the last descriptor closes.
// IN_EXCL_UNLINK leaves out a directory's events about an open file no name holds. Bounds:
// max_user_instances and max_user_watches per uid, max_queued_events per instance, and at
// most 64 MiB of queued events in the user kernel (an instance over it overflows).

import type { FileSystem, FsStat } from "../fs-task/file_system.ts";
import { EAGAIN, EEXIST, EFAULT, EINVAL, EMFILE, ENOSPC, ENOTTY } from "../linux-abi/errno.ts";
import {
  IN_ACCESS, IN_ALL_EVENTS, IN_ATTRIB, IN_CLOSE_NOWRITE, IN_CLOSE_WRITE, IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_EXCL_UNLINK,
  IN_IGNORED, IN_ISDIR, IN_MASK_ADD, IN_MASK_CREATE, IN_MODIFY, IN_MOVED_FROM, IN_MOVED_TO, IN_MOVE_SELF, IN_ONESHOT, IN_OPEN,
  IN_Q_OVERFLOW, SIZEOF_INOTIFY_EVENT,
} from "../linux-abi/inotify.ts";
import { FIONREAD } from "../linux-abi/ioctl.ts";
import { POLLIN } from "../linux-abi/poll.ts";
import { S_IFDIR, S_IFMT } from "../linux-abi/stat.ts";
import { AnonInodeFile } from "./anon_inode.ts";
import type { IoctlAccess } from "./file.ts";
import { intSysctl, type Sysctl } from "./procfs_sys.ts";
import type { FsFile, Mount, Vfs } from "./vfs.ts";
import { WaitQueue } from "./wait_queue.ts";

interface Watch {
  readonly instance: Inotify;
  readonly wd: number;
  mask: number;
  readonly fs: FileSystem;
  readonly ino: number;
  /** st_dev of the inode, for /proc/PID/fdinfo. */
  readonly dev: number;
}

interface InotifyEvent {
  readonly wd: number;
  readonly mask: number;
  readonly cookie: number;
  readonly name: string;
}

const KERNEL_MAX_EVENT_BYTES = 64 << 20;

/** An event's bytes: the header and the name with its NUL, padded to the header's size. */
const eventSize = (name: string): number => SIZEOF_INOTIFY_EVENT + (name === "" ? 0 : Math.ceil((name.length + 1) / SIZEOF_INOTIFY_EVENT) * SIZEOF_INOTIFY_EVENT);

export class Inotify extends AnonInodeFile {
  readonly readiness = new WaitQueue();
  readonly watches = new Map<number, Watch>();
  readonly #events: InotifyEvent[] = [];
  #bytes = 0;
  #overflowed = false;
  #nextWd = 1;

  constructor(
    readonly hub: FsNotify,
    /** The uid whose instance and watch counts it is in. */
    readonly uid: number,
  ) {
    super("inotify");
  }

  newWd(): number {
    return this.#nextWd++;
  }

  /** fsnotify_add_event: merged with an equal tail, or an overflow past the limit. */
  queue(wd: number, mask: number, cookie: number, name: string): void {
    const last = this.#events.at(-1);
    if (last && last.wd === wd && last.mask === mask && last.cookie === cookie && last.name === name) return;
    if (this.#overflowed) return;
    let e: InotifyEvent = { wd, mask, cookie, name };
    if (this.#events.length >= this.hub.limits.maxQueuedEvents || !this.hub.charge(eventSize(name))) {
      e = { wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: "" };
      this.#overflowed = true;
      this.hub.charge(SIZEOF_INOTIFY_EVENT, true);
    }
    this.#events.push(e);
    this.#bytes += eventSize(e.name);
    this.readiness.notify(POLLIN);
  }

  /** Whole events that fit; EINVAL when the first does not. */
  override read(dst: Uint8Array): number {
    if (this.#events.length === 0) return -EAGAIN;
    let at = 0;
    let taken = 0;
    for (const e of this.#events) {
      const size = eventSize(e.name);
      if (at + size > dst.length) break;
      const v = new DataView(dst.buffer, dst.byteOffset + at, size);
      v.setInt32(0, e.wd, true);
      v.setUint32(4, e.mask, true);
      v.setUint32(8, e.cookie, true);
      v.setUint32(12, size - SIZEOF_INOTIFY_EVENT, true);
      dst.fill(0, at + SIZEOF_INOTIFY_EVENT, at + size);
      for (let i = 0; i < e.name.length; i++) dst[at + SIZEOF_INOTIFY_EVENT + i] = e.name.charCodeAt(i);
      at += size;
      taken++;
    }
    if (taken === 0) return -EINVAL;
    for (const e of this.#events.splice(0, taken)) {
      if (e.mask === IN_Q_OVERFLOW) this.#overflowed = false;
      this.hub.charge(-eventSize(e.name), true);
    }
    this.#bytes -= at;
    return at;
  }

  /** inotify_fdinfo: one line per watch, newest first (Linux keeps a group's marks so), its mask as given. */
  fdinfo(): string {
    const hex = (n: number): string => (n >>> 0).toString(16);
    return [...this.watches.values()].reverse().map((w) => `inotify wd:${hex(w.wd)} ino:${hex(w.ino)} sdev:${hex(w.dev)} mask:${hex(w.mask)} ignored_mask:0\n`).join("");
  }

  override ioctl(request: number, argp: number, io: IoctlAccess): number {
    if (request !== FIONREAD) return -ENOTTY;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, this.#bytes, true);
    return io.write(argp, b) ? 0 : -EFAULT;
  }

  poll(): number {
    return this.#events.length > 0 ? POLLIN : 0;
  }

  override release(): void {
    this.hub.instanceClosed(this);
    for (const e of this.#events.splice(0)) this.hub.charge(-eventSize(e.name), true);
    this.#bytes = 0;
  }
}

/** What a change will touch, looked at before the file system call: the inode and its directory. */
interface Subject {
  ino: number;
  isDir: boolean;
  nlink: number;
  dir: { fs: FileSystem; ino: number } | null;
  name: string;
}

export class FsNotify {
  readonly limits = { maxQueuedEvents: 16384, maxUserInstances: 128, maxUserWatches: 8192 };
  readonly #byInode = new Map<FileSystem, Map<number, Watch[]>>();
  readonly #instances = new Map<number, number>();
  readonly #watchCount = new Map<number, number>();
  #bytes = 0;
  #cookie = 0;

  constructor(readonly vfs: Vfs) {}

  // ----- instances and watches --------------------------------------------------------

  /** inotify_init1: a new instance of `uid`, or EMFILE past max_user_instances. */
  newInstance(uid: number): Inotify | number {
    const n = this.#instances.get(uid) ?? 0;
    if (n >= this.limits.maxUserInstances) return -EMFILE;
    this.#instances.set(uid, n + 1);
    return new Inotify(this, uid);
  }

  /** inotify_add_watch on an inode found: the watch's descriptor (the same one when updated). */
  addWatch(inst: Inotify, fs: FileSystem, st: FsStat, mask: number): number {
    const ino = st.ino;
    const existing = this.#watchesOf(fs, ino)?.find((w) => w.instance === inst);
    const events = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
    if (existing) {
      if (mask & IN_MASK_CREATE) return -EEXIST;
      existing.mask = mask & IN_MASK_ADD ? existing.mask | events : events;
      return existing.wd;
    }
    const count = this.#watchCount.get(inst.uid) ?? 0;
    if (count >= this.limits.maxUserWatches) return -ENOSPC;
    this.#watchCount.set(inst.uid, count + 1);
    const w: Watch = { instance: inst, wd: inst.newWd(), mask: events, fs, ino, dev: st.dev };
    inst.watches.set(w.wd, w);
    let byIno = this.#byInode.get(fs);
    if (!byIno) this.#byInode.set(fs, (byIno = new Map()));
    const list = byIno.get(ino);
    if (list) list.push(w);
    else byIno.set(ino, [w]);
    return w.wd;
  }

  /** inotify_rm_watch: EINVAL for a descriptor the instance does not have; IN_IGNORED follows. */
  rmWatch(inst: Inotify, wd: number): number {
    const w = inst.watches.get(wd);
    if (!w) return -EINVAL;
    this.#drop(w, true);
    return 0;
  }

  #drop(w: Watch, tell: boolean): void {
    const inst = w.instance;
    if (!inst.watches.delete(w.wd)) return;
    this.#watchCount.set(inst.uid, (this.#watchCount.get(inst.uid) ?? 1) - 1);
    const byIno = this.#byInode.get(w.fs);
    const list = byIno?.get(w.ino);
    if (list) {
      list.splice(list.indexOf(w), 1);
      if (list.length === 0) byIno!.delete(w.ino);
      if (byIno!.size === 0) this.#byInode.delete(w.fs);
    }
    if (tell) inst.queue(w.wd, IN_IGNORED, 0, "");
  }

  instanceClosed(inst: Inotify): void {
    for (const w of [...inst.watches.values()]) this.#drop(w, false);
    this.#instances.set(inst.uid, (this.#instances.get(inst.uid) ?? 1) - 1);
  }

  /** Room for `n` more bytes of queued events in the user kernel (a negative `n` gives back). */
  charge(n: number, force = false): boolean {
    if (!force && this.#bytes + n > KERNEL_MAX_EVENT_BYTES) return false;
    this.#bytes += n;
    return true;
  }

  #watchesOf(fs: FileSystem, ino: number): Watch[] | undefined {
    return this.#byInode.get(fs)?.get(ino);
  }

  /** Whether any watch is on `fs` (every hook's fast path). */
  watching(fs: FileSystem): boolean {
    return this.#byInode.has(fs);
  }

  // ----- delivery -----------------------------------------------------------------------

  /**
   * `mask` to the watches of (fs, ino) that ask for it; a one-shot watch goes after it.
   * `unlinked`: the event is a directory's about a child no name holds any more, which
   * watches with IN_EXCL_UNLINK do not want.
   */
  #emit(fs: FileSystem, ino: number, mask: number, name = "", cookie = 0, unlinked = false): void {
    const list = this.#watchesOf(fs, ino);
    if (!list) return;
    for (const w of [...list]) {
      if (!(w.mask & mask & IN_ALL_EVENTS) || (unlinked && w.mask & IN_EXCL_UNLINK)) continue;
      w.instance.queue(w.wd, mask, cookie, name);
      if (w.mask & IN_ONESHOT) this.#drop(w, true);
    }
  }

  /** An event on a file: its directory's watches with the name, then its own. */
  #onFile(fs: FileSystem, s: Subject, mask: number): void {
    const m = mask | (s.isDir ? IN_ISDIR : 0);
    if (s.dir) this.#emit(s.dir.fs, s.dir.ino, m, s.name, 0, s.nlink === 0);
    this.#emit(fs, s.ino, m);
  }

  /** The inode is gone: IN_DELETE_SELF, then every watch on it ends with IN_IGNORED. */
  #gone(fs: FileSystem, ino: number): void {
    this.#emit(fs, ino, IN_DELETE_SELF);
    for (const w of [...(this.#watchesOf(fs, ino) ?? [])]) this.#drop(w, true);
  }

  /** What `inner` (a path on `fs`, served through `mount`) names now, and its directory. */
  #subject(mount: Mount, fs: FileSystem, inner: string, follow: boolean): Subject | null {
    const st = fs.stat(inner, follow);
    if (typeof st === "number") return null;
    return { ...this.#parent(mount, fs, inner), ...facts(st) };
  }

  #parent(mount: Mount, fs: FileSystem, inner: string): { dir: Subject["dir"]; name: string } {
    const trimmed = inner.replace(/\/+$/, "");
    const cut = trimmed.lastIndexOf("/");
    const name = trimmed.slice(cut + 1);
    let dirPath = trimmed.slice(0, cut + 1);
    if (dirPath.length > 1 && dirPath.endsWith("/")) dirPath = dirPath.slice(0, -1);
    if (name === "" || name === "." || name === "..") return { dir: null, name: "" };
    const st = fs.stat(dirPath, true);
    return { dir: typeof st === "number" ? null : { fs: mount.fs, ino: st.ino }, name };
  }

  // ----- hooks: names -----------------------------------------------------------------

  /** `make` adds the name `inner` (mkdir, mknod, symlink, O_CREAT): IN_CREATE in its directory. */
  created(mount: Mount, fs: FileSystem, inner: string, make: () => number): number {
    const r = make();
    if (r >= 0) this.announceCreated(mount, fs, inner);
    return r;
  }

  /** The name `inner` was just made (an open with O_CREAT reports it itself). */
  announceCreated(mount: Mount, fs: FileSystem, inner: string): void {
    if (!this.watching(mount.fs)) return;
    const s = this.#subject(mount, fs, inner, false);
    if (s?.dir) this.#emit(s.dir.fs, s.dir.ino, IN_CREATE | (s.isDir ? IN_ISDIR : 0), s.name);
  }

  /** `remove` takes the name `inner` away (unlink, rmdir). */
  removed(mount: Mount, fs: FileSystem, inner: string, remove: () => number): number {
    if (!this.watching(mount.fs)) return remove();
    const s = this.#subject(mount, fs, inner, false);
    const r = remove();
    if (r < 0 || !s) return r;
    const key = mount.fs;
    if (!s.isDir) this.#emit(key, s.ino, IN_ATTRIB);
    if (s.isDir || s.nlink <= 1) this.#gone(key, s.ino);
    if (s.dir) this.#emit(s.dir.fs, s.dir.ino, IN_DELETE | (s.isDir ? IN_ISDIR : 0), s.name);
    return r;
  }

  /** `rename` moves `from` to `to` on one mount: IN_MOVED_FROM and IN_MOVED_TO with one cookie, IN_MOVE_SELF. */
  renamed(mount: Mount, fs: FileSystem, from: string, to: string, rename: () => number): number {
    if (!this.watching(mount.fs)) return rename();
    const src = this.#subject(mount, fs, from, false);
    const dst = this.#subject(mount, fs, to, false);
    const toDir = dst ?? { ...this.#parent(mount, fs, to) };
    const r = rename();
    if (r < 0 || !src) return r;
    const key = mount.fs;
    const cookie = (this.#cookie = (this.#cookie + 1) >>> 0 || 1);
    const isdir = src.isDir ? IN_ISDIR : 0;
    if (src.dir) this.#emit(src.dir.fs, src.dir.ino, IN_MOVED_FROM | isdir, src.name, cookie);
    if (toDir.dir) this.#emit(toDir.dir.fs, toDir.dir.ino, IN_MOVED_TO | isdir, toDir.name, cookie);
    if (dst && dst.ino !== src.ino) {
      if (!dst.isDir) this.#emit(key, dst.ino, IN_ATTRIB);
      if (dst.isDir || dst.nlink <= 1) this.#gone(key, dst.ino);
    }
    this.#emit(key, src.ino, IN_MOVE_SELF | isdir);
    return r;
  }

  /** `link` gives `existing` the new name `to`: IN_ATTRIB on it, IN_CREATE in the new directory. */
  linked(mount: Mount, fs: FileSystem, to: string, link: () => number): number {
    if (!this.watching(mount.fs)) return link();
    const r = link();
    if (r < 0) return r;
    const s = this.#subject(mount, fs, to, false);
    if (!s) return r;
    this.#emit(mount.fs, s.ino, IN_ATTRIB);
    if (s.dir) this.#emit(s.dir.fs, s.dir.ino, IN_CREATE, s.name);
    return r;
  }

  // ----- hooks: attributes and open files ---------------------------------------------

  /** `change` altered the attributes of `inner` (chmod, chown, utimes, xattrs): IN_ATTRIB. */
  attrib(mount: Mount, fs: FileSystem, inner: string, follow: boolean, change: () => number, mask = IN_ATTRIB): number {
    if (!this.watching(mount.fs)) return change();
    const r = change();
    if (r < 0) return r;
    const s = this.#subject(mount, fs, inner, follow);
    if (s) this.#onFile(mount.fs, s, mask);
    return r;
  }

  /** An event on an open file: its own watches and its directory's (found by its current path). */
  onOpenFile(f: FsFile, mask: number): void {
    const m = f.mount;
    if (m === null || !this.watching(m.fs)) return;
    const st = f.fs.fstat(f.handle);
    if (typeof st === "number") return;
    const path = f.currentPath();
    let dir: Subject["dir"] = null;
    let name = "";
    if (typeof path === "string" && path !== "/") {
      const cut = path.lastIndexOf("/");
      name = path.slice(cut + 1);
      const at = this.vfs.call(path.slice(0, cut) || "/", (fs, inner, mount) => {
        const d = fs.stat(inner, true);
        return typeof d === "number" ? d : { fs: mount.fs, ino: d.ino };
      });
      if (typeof at !== "number") dir = at;
    }
    this.#onFile(m.fs, { ...facts(st), dir, name }, mask);
  }

  opened(f: FsFile): void {
    this.onOpenFile(f, IN_OPEN);
  }

  accessed(f: FsFile): void {
    this.onOpenFile(f, IN_ACCESS);
  }

  modified(f: FsFile): void {
    this.onOpenFile(f, IN_MODIFY);
  }

  fileClosed(f: FsFile, wrote: boolean): void {
    this.onOpenFile(f, wrote ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
  }

  /** /proc/sys/fs/inotify. */
  sysctls(): Sysctl[] {
    const l = this.limits;
    return [
      intSysctl("fs/inotify/max_queued_events", () => l.maxQueuedEvents, (n) => (l.maxQueuedEvents = n), 1, 1 << 20),
      intSysctl("fs/inotify/max_user_instances", () => l.maxUserInstances, (n) => (l.maxUserInstances = n), 1, 1 << 16),
      intSysctl("fs/inotify/max_user_watches", () => l.maxUserWatches, (n) => (l.maxUserWatches = n), 1, 1 << 20),
    ];
  }
}

function facts(st: FsStat): { ino: number; isDir: boolean; nlink: number } {
  return { ino: st.ino, isDir: (st.mode & S_IFMT) === S_IFDIR, nlink: st.nlink };
}
