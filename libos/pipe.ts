// Pipes (Linux: fs/pipe.c): a ring of `capacity` bytes (PIPE_CAPACITY, or what
// F_SETPIPE_SZ asked) between a read end and a write end, each an open file description.
// pipe(2) makes both ends at once; a FIFO's ends are opened one by one through its name
// (named_pipe.ts), and may be read-write.
//
// Neither end ever blocks here: an empty pipe reads -EAGAIN while a writer exists and
// 0 (end of file) after the last one is gone; a full pipe writes -EAGAIN; a write of at
// most PIPE_BUF bytes goes in whole or not at all; writing with no reader left is
// -EPIPE (the syscall layer adds SIGPIPE). Changes notify `readiness`, which blocked
// readers and writers, poll, select and epoll wait on, keyed as Linux's pipe keys them:
// every write with POLLIN (each one an edge for EPOLLET readers), a read with POLLOUT
// only when it makes room for a writer that may be waiting (less than PIPE_BUF was free:
// a blocked writer, and a POLLOUT that was off, imply that), an open or a close with 0.

import { EAGAIN, EBUSY, EFAULT, EINVAL, ENOTDIR, ENOTTY, EPERM, EPIPE } from "../linux-abi/errno.ts";
import { O_RDONLY, O_WRONLY } from "../linux-abi/fcntl.ts";
import { FIONREAD } from "../linux-abi/ioctl.ts";
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../linux-abi/poll.ts";
import { S_IFIFO } from "../linux-abi/stat.ts";
import type { FsDirPage, FsStat } from "../fs-task/file_system.ts";
import type { FileOps, IoctlAccess } from "./file.ts";
import { WaitQueue } from "./wait_queue.ts";
import { intSysctl, type Sysctl } from "./procfs_sys.ts";

export const PIPE_CAPACITY = 65536;
export const PIPE_BUF = 4096;
/** /proc/sys/fs/pipe-max-size's default: the largest F_SETPIPE_SZ without CAP_SYS_RESOURCE. */
export const PIPE_MAX_SIZE = 1024 * 1024;
/** What F_SETPIPE_SZ may ask even with CAP_SYS_RESOURCE (the kernel-task's memory). */
const PIPE_HARD_MAX = 64 * 1024 * 1024;

/** round_pipe_size: a power-of-two number of pages, at least one; 0 past the limit Linux takes. */
export function roundPipeSize(size: number): number {
  if (size > 0x80000000) return 0;
  let bytes = PIPE_BUF;
  while (bytes < size) bytes *= 2;
  return bytes;
}

/** /proc/sys/fs/pipe-max-size: a write is rounded as F_SETPIPE_SZ rounds (0 and past 2 GiB: EINVAL). */
export const pipeMaxSizeSysctl = (pipes: PipeFs): Sysctl =>
  intSysctl("fs/pipe-max-size", () => pipes.maxSize, (n) => (pipes.maxSize = roundPipeSize(n)), 1, 0x7fffffff);

/** Linux's pipefs: one per user kernel, numbering its pipes' inodes (what /proc/PID/fd shows). */
export class PipeFs {
  #nextIno = 1;
  /** /proc/sys/fs/pipe-max-size (root-tunable). */
  maxSize = PIPE_MAX_SIZE;

  /** alloc_pipe_info: PIPE_CAPACITY, or pipe-max-size when that is less and the caller is unprivileged. */
  create(privileged = true): Pipe {
    return new Pipe(this.#nextIno++, privileged ? PIPE_CAPACITY : Math.min(PIPE_CAPACITY, this.maxSize));
  }
}

export class Pipe {
  #ring: Uint8Array;
  #head = 0;
  #length = 0;
  readers = 0;
  writers = 0;
  /** Ends ever opened for reading / writing: a FIFO open waits for the other count to move (Linux's r_counter, w_counter). */
  readerOpens = 0;
  writerOpens = 0;
  readonly readiness = new WaitQueue();
  /** Bytes written into it so far (a channel's traffic in the boot report). */
  written = 0;
  readonly #createdNs = BigInt(Date.now()) * 1_000_000n;

  constructor(
    readonly ino: number,
    capacity = PIPE_CAPACITY,
  ) {
    this.#ring = new Uint8Array(capacity);
  }

  get length(): number {
    return this.#length;
  }

  get capacity(): number {
    return this.#ring.length;
  }

  /**
   * F_SETPIPE_SZ: the ring becomes `size` rounded up to a power-of-two number of pages
   * (Linux's round_pipe_size); its bytes stay. The new capacity, -EBUSY if the bytes in
   * it would not fit, -EINVAL past 2 GiB, -EPERM past `limit` (pipe-max-size, unless the
   * caller has CAP_SYS_RESOURCE) and past what the kernel-task holds for one pipe.
   */
  resize(size: number, limit: number): number {
    const bytes = roundPipeSize(size);
    if (bytes === 0) return -EINVAL;
    if (bytes > this.#ring.length && (bytes > limit || bytes > PIPE_HARD_MAX)) return -EPERM;
    if (bytes < this.#length) return -EBUSY;
    const n = this.#length;
    const ring = new Uint8Array(bytes);
    const first = Math.min(n, this.#ring.length - this.#head);
    ring.set(this.#ring.subarray(this.#head, this.#head + first));
    if (n > first) ring.set(this.#ring.subarray(0, n - first), first);
    this.#ring = ring;
    this.#head = 0;
    this.readiness.notify();
    return bytes;
  }

  /** Free bytes in the ring. */
  get space(): number {
    return this.#ring.length - this.#length;
  }

  read(dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    if (this.#length === 0) return this.writers > 0 ? -EAGAIN : 0;
    const n = this.peek(dst);
    this.discard(n);
    return n;
  }

  /** Copies the first bytes into `dst` and leaves them in the pipe (tee, and splice before its write is done); the count. */
  peek(dst: Uint8Array): number {
    const n = Math.min(dst.length, this.#length);
    const first = Math.min(n, this.#ring.length - this.#head);
    dst.set(this.#ring.subarray(this.#head, this.#head + first));
    if (n > first) dst.set(this.#ring.subarray(0, n - first), first);
    return n;
  }

  /** Drops the first `n` bytes (at most what the pipe holds), as a read would. */
  discard(n: number): void {
    n = Math.min(n, this.#length);
    if (n === 0) return;
    const wasFull = this.#ring.length - this.#length < PIPE_BUF;
    this.#head = (this.#head + n) % this.#ring.length;
    this.#length -= n;
    if (this.#length === 0) this.#head = 0;
    if (wasFull) this.readiness.notify(POLLOUT | POLLWRNORM);
  }

  write(src: Uint8Array): number {
    if (src.length === 0) return 0;
    if (this.readers === 0) return -EPIPE;
    const space = this.space;
    if (space === 0 || (src.length <= PIPE_BUF && space < src.length)) return -EAGAIN;
    return this.push(src);
  }

  /**
   * Appends as much of `src` as fits, with no PIPE_BUF atomicity and no reader check (the
   * splice family checks them its own way); the count.
   */
  push(src: Uint8Array): number {
    const capacity = this.#ring.length;
    const n = Math.min(capacity - this.#length, src.length);
    if (n === 0) return 0;
    const tail = (this.#head + this.#length) % capacity;
    const first = Math.min(n, capacity - tail);
    this.#ring.set(src.subarray(0, first), tail);
    if (n > first) this.#ring.set(src.subarray(first, n), 0);
    this.#length += n;
    this.written += n;
    this.readiness.notify(POLLIN | POLLRDNORM);
    return n;
  }

  stat(): FsStat {
    const t = this.#createdNs;
    return {
      dev: 0xc, ino: this.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0,
      blksize: 4096, blocks: 0, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }
}

/** One end of a pipe, as an open file description sees it. */
export class PipeEnd implements FileOps {
  readonly seekable = false;
  readonly inPlace = true;
  readonly reads: boolean;
  readonly writes: boolean;
  /**
   * Writer opens counted when this reader opened with no writer and O_NONBLOCK: POLLHUP
   * waits until a writer has come since (Linux's f_pipe); -1 when no such wait.
   */
  #hangupAfterWriterOpens = -1;
  #released = false;

  constructor(
    readonly pipe: Pipe,
    /** O_RDONLY, O_WRONLY or O_RDWR (a FIFO only). */
    access: number,
    /** What /proc/PID/fd shows: a FIFO's path, else pipe:[ino]. */
    readonly path = `pipe:[${pipe.ino}]`,
  ) {
    this.reads = access !== O_WRONLY;
    this.writes = access !== O_RDONLY;
    if (this.reads) {
      pipe.readers++;
      pipe.readerOpens++;
    }
    if (this.writes) {
      pipe.writers++;
      pipe.writerOpens++;
    }
    // A FIFO open waiting for this end looks again.
    pipe.readiness.notify();
  }

  get readiness(): WaitQueue {
    return this.pipe.readiness;
  }

  /** A FIFO reader opened O_NONBLOCK before any writer: no POLLHUP until one comes. */
  hangUpOnlyAfterNextWriter(): void {
    this.#hangupAfterWriterOpens = this.pipe.writerOpens;
  }

  read(dst: Uint8Array): number {
    return this.reads ? this.pipe.read(dst) : -EINVAL;
  }

  write(src: Uint8Array): number {
    return this.writes ? this.pipe.write(src) : -EINVAL;
  }

  poll(): number {
    const p = this.pipe;
    let bits = 0;
    if (this.reads) {
      if (p.length > 0) bits |= POLLIN;
      if (p.writers === 0 && p.writerOpens !== this.#hangupAfterWriterOpens) bits |= POLLHUP;
    }
    // Writable means a PIPE_BUF write would go in whole, as Linux's pipe_poll reports it.
    if (this.writes) bits |= (p.capacity - p.length >= PIPE_BUF ? POLLOUT : 0) | (p.readers === 0 ? POLLERR : 0);
    return bits;
  }

  stat(): FsStat | number {
    return this.pipe.stat();
  }

  readdir(): FsDirPage | number {
    return -ENOTDIR;
  }

  truncate(): number {
    return -EINVAL;
  }

  ioctl(request: number, argp: number, io: IoctlAccess): number {
    if (request !== FIONREAD) return -ENOTTY;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, this.pipe.length, true);
    return io.write(argp, b) ? 0 : -EFAULT;
  }

  /** The end closes (once: its holder may also close it when a user kernel ends). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.reads) this.pipe.readers--;
    if (this.writes) this.pipe.writers--;
    this.pipe.readiness.notify();
  }
}
