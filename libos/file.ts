// Open file descriptions and the per-process descriptor table.
//
// Lifecycle (Linux: fs/file.c, fs/file_table.c): open() creates an OpenFile with one
// reference; dup/dup2/fcntl(F_DUPFD) and fork add descriptor slots that share it, so
// they share the offset and status flags; close drops a slot, and the last drop releases
// the backing object (an fs-task handle, a host stream). FD_CLOEXEC belongs to the slot,
// not the description.
//
// Every kind of file implements FileOps. Objects the kernel-task owns (pipes, the
// terminal) never block inside read/write: they answer -EAGAIN and say when to look
// again through their `readiness` queue, so blocking, O_NONBLOCK, signals and poll are
// handled once, in the syscall layer (sys/_io.ts, sys/sys_poll.ts, sys/sys_epoll.ts). An
// fs-task file may still answer with a Promise where the fs-task itself waits (a host FIFO).
// Epoll interest in a description (epoll.ts) is not a reference: it goes with the last one.

import type { FsDirPage, FsStat } from "../fs-task/file_system.ts";
import type { Socket } from "./socket.ts";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../linux-abi/poll.ts";
import type { Thread } from "./process.ts";
import type { WaitQueue } from "./wait_queue.ts";
import { O_PATH } from "../linux-abi/fcntl.ts";

export type IoResult = number | Promise<number>;

export interface FileOps {
  /**
   * Read at `offset` (-1 for streams) into dst. `caller`, the reading thread, is given for
   * stream reads (a signalfd dequeues that thread's signals).
   */
  read(dst: Uint8Array, offset: number, caller?: Thread): IoResult;
  write(src: Uint8Array, offset: number): IoResult;
  stat(): FsStat | number;
  /** Directory listing page, or -ENOTDIR. */
  readdir(cookie: number, max: number): FsDirPage | number;
  truncate(size: number): number;
  ioctl(request: number, argp: number, io: IoctlAccess): number;
  /** Regular files and directories have offsets; streams do not (lseek gives ESPIPE). */
  readonly seekable: boolean;
  /**
   * Optional: where SEEK_END is when it is not st_size (a block device: its capacity, as
   * Linux's blkdev_llseek), or -errno.
   */
  seekEnd?(): number;
  /** Optional: a stream whose lseek succeeds and moves nothing (Linux's noop_llseek). */
  readonly seekIgnored?: boolean;
  /**
   * Readiness now, as poll(2) bits (POLLIN, POLLOUT, POLLHUP, POLLERR), for `caller`, the
   * thread asking (a signalfd reports the signals that thread could take).
   */
  poll(caller: Thread): number;
  /**
   * Notified whenever readiness may change, with the poll bits of what changed as the key
   * where the object knows them; null for objects that are always ready and that epoll
   * refuses (regular files, directories: EPERM).
   */
  readonly readiness: WaitQueue | null;
  /** The last open file description is gone. */
  release(): void;
  /**
   * Optional: a terminal's job control, asked once per read or write by thread `t` before
   * any byte moves: 0 to go on, else the call's result (EIO, or ERESTARTSYS after stopping
   * a background caller's group).
   */
  jobControl?(t: Thread, write: boolean): number;
  /** Optional: how long (ms) a read that finds nothing waits before it reads 0 (VTIME); -1 without limit. */
  readTimeout?(): number;
  /** fsync(2)/fdatasync(2); absent for objects that cannot be synced (EINVAL). */
  sync?(dataOnly: boolean): number;
  /** Optional: lines of its own for /proc/PID/fdinfo/N (an inotify instance's watches). */
  fdinfo?(): string;
  /** Guest path as opened, for /proc/self/fd and strace. */
  readonly path: string;
  /**
   * Optional: where a directory is now, renames followed (-ENOENT once removed). The
   * *at() calls and fchdir start from it; without it, `path` is where it is.
   */
  currentPath?(): string | number;
  /** The host descriptor writes go straight to, if any: sendfile(2) may splice into it. */
  readonly hostFd?: number;
  /**
   * Optional. Up to `count` bytes from `offset` sent straight into host descriptor `hostFd`
   * (sendfile(2) without passing through the kernel-task): bytes sent, 0 at end of file, or
   * -errno, after which the caller copies instead.
   */
  sendToHost?(offset: number, count: number, hostFd: number): IoResult;
  /**
   * Optional (EOPNOTSUPP without it). fallocate(2) on a regular file, after the syscall
   * layer's checks (mode, access, file type): FileSystem.fallocate's contract.
   */
  fallocate?(mode: number, offset: number, length: number): number;
  /** A socket's own object: read, write and their vectored forms go through its recv and send (sys/_socket_io.ts). */
  readonly socket?: Socket;
  /**
   * Optional: read and write always answer at once (never a Promise) and keep nothing of
   * the buffer they were given, so the syscall layer hands them guest memory in place
   * (a pipe: no host copy on either side).
   */
  readonly inPlace?: boolean;
}

/** An epoll interest list's entry for a description: it goes when the description does. */
export interface Interest {
  drop(): void;
}

/** What an ioctl may do to the caller's memory. */
export interface IoctlAccess {
  read(addr: number, len: number): Uint8Array | null;
  write(addr: number, bytes: Uint8Array): boolean;
}

export class OpenFile {
  offset = 0;
  /** Directory stream position (getdents64 cookie). */
  dirCookie = 0;
  /** Run when the last reference goes (set by whoever holds state on the description: OFD and flock locks, leases). */
  onLastClose: ((f: OpenFile) => void) | null = null;
  /** F_SETOWN/F_SETOWN_EX: who gets this description's signals (a lease break); null for nobody. */
  owner: { type: number; pid: number } | null = null;
  /** F_SETSIG: the signal sent instead of SIGIO (0: SIGIO). */
  signal = 0;
  #refs = 1;
  /** Epoll entries watching this description (Linux's f_ep). */
  #interest: Set<Interest> | null = null;

  constructor(
    readonly ops: FileOps,
    /** O_ACCMODE | O_APPEND | O_NONBLOCK … as set by open and F_SETFL. */
    public flags: number,
  ) {}

  ref(): this {
    this.#refs++;
    return this;
  }

  /** Readiness for `caller` with POLLRDNORM/POLLWRNORM alongside POLLIN/POLLOUT, as Linux reports them. */
  poll(caller: Thread): number {
    let r = this.ops.poll(caller);
    if (r & POLLIN) r |= POLLRDNORM;
    if (r & POLLOUT) r |= POLLWRNORM;
    return r;
  }

  addInterest(i: Interest): void {
    (this.#interest ??= new Set()).add(i);
  }

  removeInterest(i: Interest): void {
    this.#interest?.delete(i);
  }

  unref(): void {
    if (--this.#refs > 0) return;
    // Linux's eventpoll_release: every epoll forgets the description first.
    if (this.#interest) for (const i of [...this.#interest]) i.drop();
    this.onLastClose?.(this);
    this.ops.release();
  }
}

interface Slot {
  file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  readonly #slots: (Slot | undefined)[] = [];
  /** No descriptor at or above this: the soft RLIMIT_NOFILE of the process using the table (rlimits.ts). */
  limit = 1024;
  /** Processes using this table (clone with CLONE_FILES shares it). */
  #users = 1;
  /**
   * Run for each descriptor the table drops (close, dup2 over it, close-on-exec); set
   * once its process holds POSIX record locks, which any such close releases. A fork's
   * copy starts without it: locks are not inherited.
   */
  onDrop: ((f: OpenFile) => void) | null = null;

  get shared(): boolean {
    return this.#users > 1;
  }

  /** CLONE_FILES: one more process uses this table. */
  share(): this {
    this.#users++;
    return this;
  }

  get(fd: number): OpenFile | null {
    return (fd >= 0 && this.#slots[fd]?.file) || null;
  }

  /**
   * The file at `fd` for a call that acts on the open file (Linux's fdget, not
   * fdget_raw): null for an O_PATH descriptor as for none, so such calls answer EBADF.
   */
  getOpen(fd: number): OpenFile | null {
    const f = this.get(fd);
    return f !== null && (f.flags & O_PATH) === 0 ? f : null;
  }

  cloexec(fd: number): boolean {
    return this.#slots[fd]?.cloexec ?? false;
  }

  setCloexec(fd: number, on: boolean): void {
    const s = this.#slots[fd];
    if (s) s.cloexec = on;
  }

  /** Whether install() would find a descriptor (a call that must not act before it fails with EMFILE). */
  hasRoom(): boolean {
    for (let fd = 0; fd < this.limit; fd++) if (!this.#slots[fd]) return true;
    return false;
  }

  /** Lowest free descriptor ≥ min, or -EMFILE. Takes ownership of one reference. */
  install(file: OpenFile, cloexec: boolean, min = 0): number {
    for (let fd = min; fd < this.limit; fd++) {
      if (!this.#slots[fd]) {
        this.#slots[fd] = { file, cloexec };
        return fd;
      }
    }
    file.unref();
    return -24; // EMFILE
  }

  /** dup2/dup3 semantics: replace whatever is at `fd`. */
  installAt(fd: number, file: OpenFile, cloexec: boolean): void {
    const old = this.#slots[fd];
    this.#slots[fd] = { file, cloexec };
    if (old) this.#drop(old.file);
  }

  close(fd: number): boolean {
    const s = this.#slots[fd];
    if (!s) return false;
    this.#slots[fd] = undefined;
    this.#drop(s.file);
    return true;
  }

  #drop(file: OpenFile): void {
    this.onDrop?.(file);
    file.unref();
  }

  /** A process using the table ends: the last one closes everything. */
  closeAll(): void {
    if (--this.#users > 0) return;
    for (let fd = 0; fd < this.#slots.length; fd++) this.close(fd);
  }

  /** execve: descriptors marked close-on-exec go. */
  closeOnExec(): void {
    for (let fd = 0; fd < this.#slots.length; fd++) if (this.#slots[fd]?.cloexec) this.close(fd);
  }

  /** exec of a process sharing its table: it leaves the table to the others with a copy. */
  unshare(): FdTable {
    this.#users--;
    return this.clone();
  }

  /** fork without CLONE_FILES: the same open file descriptions in a new table. */
  clone(): FdTable {
    const copy = new FdTable();
    copy.limit = this.limit;
    this.#slots.forEach((s, fd) => {
      if (s) copy.#slots[fd] = { file: s.file.ref(), cloexec: s.cloexec };
    });
    return copy;
  }

  /** close_range(2) over [first, last]. */
  closeRange(first: number, last: number, cloexecOnly: boolean): void {
    for (let fd = first; fd <= Math.min(last, this.#slots.length - 1); fd++) {
      if (cloexecOnly) this.setCloexec(fd, true);
      else this.close(fd);
    }
  }

  *entries(): Generator<[number, OpenFile]> {
    for (let fd = 0; fd < this.#slots.length; fd++) {
      const s = this.#slots[fd];
      if (s) yield [fd, s.file];
    }
  }
}
