// Moving bytes between guest memory and files: the part read, pread64, readv, preadv,
// sendfile and write share (Linux: fs/read_write.c, vfs_read/vfs_write), and where a
// read or write on a stream blocks.
//
// Files and directories answer at once (fs-task contract) and are read in place. A
// stream (pipe, terminal) answers -EAGAIN when it would block: unless the description
// is O_NONBLOCK, the thread then sleeps on the stream's readiness queue and tries again,
// interruptibly, so a signal ends the wait without losing data. A stream whose object
// copies at once (FileOps.inPlace: a pipe) moves the bytes straight between its buffer
// and guest memory, looked up again at every attempt, as Linux's copy_to/from_user
// does; any other stream goes through a host buffer, since it may answer later. A blocking write goes
// on until everything is written; interrupted part-way, it reports what it wrote.
// Writing to a pipe with no reader raises SIGPIPE and fails with EPIPE. A socket's reads and
// writes are its recv and send (_socket_io.ts), which keep its own rules.

import { EAGAIN, EBADF, EFAULT, EFBIG, EINVAL, EISDIR, EPIPE } from "../../linux-abi/errno.ts";
import { O_ACCMODE, O_APPEND, O_NONBLOCK, O_RDONLY, O_WRONLY } from "../../linux-abi/fcntl.ts";
import { SIGPIPE, SIGXFSZ } from "../../linux-abi/signal.ts";
import { RLIMIT_FSIZE } from "../../linux-abi/resource.ts";
import { fileSizeAllows, softLimit } from "../rlimits.ts";
import { S_IFDIR, S_IFMT } from "../../linux-abi/stat.ts";
import type { IoResult, OpenFile } from "../file.ts";
import { PROT_READ, PROT_WRITE, accessOk, type GuestMemory } from "../memory.ts";
import { MAX_RW_COUNT, SIZEOF_IOVEC, UIO_MAXIOV, decodeIovec } from "../../linux-abi/uio.ts";
import type { Thread } from "../process.ts";
import { AGAIN, sleep } from "../wait_queue.ts";
import { PIPE_BUF } from "../pipe.ts";
import type { KernelServices } from "./context.ts";
import { isRegular, writableCount } from "./_offsets.ts";
import { socketRecv, socketSend, type Sink } from "./_socket_io.ts";

// A stream read moves at most this much per call, as a pipe holds no more.
const STREAM_CHUNK = 1 << 20;

export function canRead(f: OpenFile): boolean {
  return (f.flags & O_ACCMODE) !== O_WRONLY;
}

export function canWrite(f: OpenFile): boolean {
  return (f.flags & O_ACCMODE) !== O_RDONLY;
}

/**
 * How many bytes a read or write of `count` at `addr` moves, as Linux decides it: a range
 * outside the user address space is EFAULT (access_ok), a count above MAX_RW_COUNT is
 * clamped (rw_verify_area), and the copy stops where the buffer stops being mapped with
 * `prot` (copy_to/from_user: a short count, or EFAULT when not one byte can move).
 */
export function rwCount(mem: GuestMemory, addr: number, count: number, prot: number): number {
  if (!accessOk(addr, count)) return -EFAULT;
  if (count === 0) return 0;
  const n = mem.extent(addr, count > MAX_RW_COUNT ? MAX_RW_COUNT : count, prot);
  return n > 0 ? n : -EFAULT;
}

/** `r` then `fn`, staying synchronous when `r` is a number. */
export function then(r: IoResult, fn: (n: number) => IoResult): IoResult {
  return typeof r === "number" ? fn(r) : r.then(fn);
}

/** Read up to `len` bytes into guest memory. `offset` < 0 means the file position. */
export function readToGuest(t: Thread, f: OpenFile, addr: number, count: number, offset: number): IoResult {
  if (!canRead(f)) return -EBADF;
  const mem = t.process.memory;
  const len = rwCount(mem, addr, count, PROT_WRITE);
  if (len <= 0) return len;
  if (!f.ops.seekable) return readStream(t, f, len, (at, bytes) => mem.write(addr + at, bytes), () => readInPlace(t, f, mem, addr, len));
  const usePos = offset < 0;
  const at = usePos ? f.offset : offset;
  const direct = mem.view(addr, len, PROT_WRITE);
  if (direct) return then(f.ops.read(direct, at), (n) => advance(f, usePos, isDirError(f, n)));
  // The buffer spans mappings: read into each piece in place, in order (no host buffer of
  // the guest's size).
  const pieces: Uint8Array[] = [];
  if (!mem.forEachChunk(addr, len, PROT_WRITE, (chunk) => pieces.push(chunk))) return -EFAULT;
  return then(readPieces(f, pieces, at, 0, 0), (n) => advance(f, usePos, isDirError(f, n)));
}

/** Reads into `pieces[i..]` from file offset `at`, after `done` bytes; stops at a short read. */
function readPieces(f: OpenFile, pieces: readonly Uint8Array[], at: number, i: number, done: number): IoResult {
  for (; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const r = f.ops.read(piece, at + done);
    if (typeof r !== "number") {
      const next = i + 1, before = done;
      return r.then((n) => (n < 0 ? (before > 0 ? before : n) : n < piece.length || next === pieces.length ? before + n : readPieces(f, pieces, at, next, before + n)));
    }
    if (r < 0) return done > 0 ? done : r;
    done += r;
    if (r < piece.length) break;
  }
  return done;
}

/**
 * A read from a stream, blocking unless O_NONBLOCK; `deliver` puts the bytes in place.
 * `inPlace`, for a destination in guest memory: one attempt straight into it, used when
 * the stream copies at once (FileOps.inPlace).
 */
export function readStream(t: Thread, f: OpenFile, len: number, deliver: Sink, inPlace?: () => number): IoResult {
  const job = f.ops.jobControl?.(t, false) ?? 0;
  if (job !== 0) return job;
  if (f.ops.socket) return socketRecv(t, f, f.ops.socket, len, 0, deliver, null);
  let bounce: Uint8Array | null = null;
  const once = f.ops.inPlace === true && inPlace !== undefined ? inPlace : (): IoResult => {
    const b = (bounce ??= new Uint8Array(Math.min(len, STREAM_CHUNK)));
    return then(f.ops.read(b, -1, t), (n) => (n > 0 && !deliver(0, b.subarray(0, n)) ? -EFAULT : n));
  };
  const first = once();
  if (typeof first !== "number" || first !== AGAIN || f.flags & O_NONBLOCK || !f.ops.readiness) return first;
  const attempt = (): number => {
    const r = once();
    return typeof r === "number" ? r : -EAGAIN;
  };
  // A terminal's VTIME: a read that waits that long for nothing reads 0.
  const timeout = f.ops.readTimeout?.() ?? -1;
  const limit = timeout < 0 ? {} : { deadline: performance.now() + timeout, onTimeout: 0 };
  return sleep(t, [f.ops.readiness], attempt, limit);
}

/**
 * One read from a stream that copies at once (FileOps.inPlace) into guest memory, mapping
 * by mapping as the buffer is laid out now: AGAIN, -errno, or the count.
 */
function readInPlace(t: Thread, f: OpenFile, mem: GuestMemory, addr: number, len: number): number {
  let done = 0;
  while (done < len) {
    const dst = mem.prefix(addr + done, len - done, PROT_WRITE);
    if (dst === null) return done > 0 ? done : -EFAULT;
    // Never a Promise: that is what inPlace promises.
    const r = f.ops.read(dst, -1, t) as number;
    if (r < 0) return done > 0 ? done : r;
    done += r;
    if (r < dst.length) break;
  }
  return done;
}

export function writeFromGuest(k: KernelServices, t: Thread, f: OpenFile, addr: number, count: number, offset: number): IoResult {
  if (!canWrite(f)) return -EBADF;
  const mem = t.process.memory;
  const len = rwCount(mem, addr, count, PROT_READ);
  if (len <= 0) return len;
  if (f.ops.inPlace === true && !f.ops.socket) {
    // Mapping by mapping, except a write that must go in whole (PIPE_BUF): gathered.
    const atomic = len <= PIPE_BUF;
    const from = (done: number): Uint8Array | null =>
      atomic ? mem.view(addr + done, len - done, PROT_READ) : mem.prefix(addr + done, len - done, PROT_READ);
    return then(writeStream(t, f, len, from), (n) => sigpipe(k, t, n));
  }
  const src = mem.view(addr, len, PROT_READ);
  if (!src) return -EFAULT;
  // A stream may take the bytes later: keep a copy the guest cannot change meanwhile.
  return writeBytes(k, t, f, f.ops.seekable ? src : src.slice(), offset);
}

export function writeBytes(k: KernelServices, t: Thread, f: OpenFile, src: Uint8Array, offset: number): IoResult {
  if (f.ops.socket) return socketSend(k, t, f, f.ops.socket, { data: src, to: null, rights: null, creds: null, flags: 0 });
  if (!f.ops.seekable) return then(writeStream(t, f, src.length, (done) => src.subarray(done)), (n) => sigpipe(k, t, n));
  const usePos = offset < 0;
  let at = usePos ? f.offset : offset;
  // The bytes land at the end (pwrite too, as on Linux): say where, for the page cache. A
  // block device (it has its own end, seekEnd) writes at the position: blkdev_write_iter
  // ignores O_APPEND.
  if (f.flags & O_APPEND && !f.ops.seekEnd) {
    const st = f.ops.stat();
    if (typeof st === "number") return st;
    at = st.size;
  }
  const count = withinFileSize(k, t, f, at, writableCount(f, at, src.length));
  if (count < 0) return count;
  return then(f.ops.write(count < src.length ? src.subarray(0, count) : src, at), (n) => {
    if (n >= 0 && usePos) f.offset = at + n;
    return n;
  });
}

/** RLIMIT_FSIZE on a regular file (rlimits.ts): an O_APPEND write starts at the end. */
function withinFileSize(k: KernelServices, t: Thread, f: OpenFile, at: number, count: number): number {
  if (count <= 0 || softLimit(t.process, RLIMIT_FSIZE) === Infinity || !isRegular(f)) return count;
  let pos = at;
  if (f.flags & O_APPEND) {
    const st = f.ops.stat();
    if (typeof st === "number") return st;
    pos = st.size;
  }
  return fileSizeOk(k, t, fileSizeAllows(t.process, pos, count));
}

/** -1 from fileSizeAllows: SIGXFSZ and EFBIG (the signal is sent even when it is handled or ignored). */
export function fileSizeOk(k: KernelServices, t: Thread, n: number): number {
  if (n >= 0) return n;
  k.signalThread(t, SIGXFSZ);
  return -EFBIG;
}

/**
 * A write of `len` bytes to a stream; `from(done)` gives the bytes from `done` on, at each
 * attempt (null: they are no longer mapped, EFAULT).
 */
function writeStream(t: Thread, f: OpenFile, len: number, from: (done: number) => Uint8Array | null): IoResult {
  const job = f.ops.jobControl?.(t, true) ?? 0;
  if (job !== 0) return job;
  let done = 0;
  const attempt = (): number => {
    while (done < len) {
      const src = from(done);
      if (src === null) return done > 0 ? done : -EFAULT;
      const r = f.ops.write(src, -1);
      if (typeof r !== "number" || r === AGAIN) return done > 0 && f.flags & O_NONBLOCK ? done : AGAIN;
      if (r < 0) return done > 0 ? done : r;
      done += r;
    }
    return done;
  };
  const src = from(0);
  if (src === null) return -EFAULT;
  const first = f.ops.write(src, -1);
  if (typeof first !== "number") return first;
  if (first !== AGAIN && (first < 0 || first === len)) return first;
  if (first > 0) {
    done = first;
    // That piece (one mapping of the buffer) went in whole: the next ones go on now.
    if (first === src.length) {
      const more = attempt();
      if (more !== AGAIN) return more;
    }
  }
  if (f.flags & O_NONBLOCK || !f.ops.readiness) return done > 0 ? done : first;
  const r = sleep(t, [f.ops.readiness], attempt);
  // Interrupted after some bytes went through: the write reports them.
  return then(r, (n) => (n < 0 && done > 0 ? done : n));
}

function sigpipe(k: KernelServices, t: Thread, n: number): number {
  if (n === -EPIPE) k.signalThread(t, SIGPIPE);
  return n;
}

function advance(f: OpenFile, usePos: boolean, n: number): number {
  if (n > 0 && usePos) f.offset += n;
  return n;
}

function isDirError(f: OpenFile, r: number): number {
  if (r !== -EISDIR && r >= 0) return r;
  const st = f.ops.stat();
  return typeof st !== "number" && (st.mode & S_IFMT) === S_IFDIR ? -EISDIR : r;
}


export interface Segment {
  base: number;
  len: number;
}

/**
 * The iovec array, as Linux's import_iovec reads it: a count outside 0..UIO_MAXIOV or a
 * segment length with the sign bit set is EINVAL, a segment outside the user address
 * space EFAULT, and the lengths are clamped so that their sum is at most MAX_RW_COUNT.
 * A single segment is clamped before its range is checked (import_ubuf), several after.
 */
export function readIovecs(mem: GuestMemory, addr: number, count: number): Segment[] | number {
  if (count < 0 || count > UIO_MAXIOV) return -EINVAL;
  const raw = mem.view(addr, count * SIZEOF_IOVEC, PROT_READ);
  if (!raw) return -EFAULT;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: Segment[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const { iov_base: base, iov_len: len } = decodeIovec(v, i * SIZEOF_IOVEC);
    if (len >= 2 ** 63) return -EINVAL;
    const take = Math.min(len, MAX_RW_COUNT - total);
    if (!accessOk(base, count === 1 ? take : len)) return -EFAULT;
    out.push({ base, len: take });
    total += take;
  }
  return out;
}

export function totalOf(iov: readonly Segment[]): number {
  return iov.reduce((n, v) => n + v.len, 0);
}

/** A sink that spreads bytes at a logical offset over the segments, in order. */
export function scatter(mem: GuestMemory, iov: readonly Segment[]): Sink {
  return (at, bytes) => {
    let segStart = 0, from = 0;
    for (const v of iov) {
      if (from >= bytes.length) break;
      const segEnd = segStart + v.len;
      const pos = at + from;
      if (pos < segEnd) {
        const n = Math.min(segEnd - pos, bytes.length - from);
        if (!mem.write(v.base + (pos - segStart), bytes.subarray(from, from + n))) return false;
        from += n;
      }
      segStart = segEnd;
    }
    return true;
  };
}

/**
 * The readable part of the segments as host views into guest memory, in order: up to the
 * first segment that stops being mapped. -EFAULT when bytes were asked and none is readable.
 */
export function mappedPieces(mem: GuestMemory, iov: readonly Segment[]): { pieces: Uint8Array[]; total: number } | number {
  const pieces: Uint8Array[] = [];
  let total = 0;
  for (const v of iov) {
    const n = mem.extent(v.base, v.len, PROT_READ);
    mem.forEachChunk(v.base, n, PROT_READ, (chunk) => pieces.push(chunk));
    total += n;
    if (n < v.len) break;
  }
  return total === 0 && iov.some((v) => v.len > 0) ? -EFAULT : { pieces, total };
}

/** The pieces copied into one buffer (a stream's write, a message: the guest may change its memory after). */
export function gathered(pieces: readonly Uint8Array[], total: number): Uint8Array {
  const buf = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    buf.set(p, at);
    at += p.length;
  }
  return buf;
}
