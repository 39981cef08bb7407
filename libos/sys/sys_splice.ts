// splice(2), tee(2), vmsplice(2): moving bytes between a pipe and a file, a socket, another
// pipe or the caller's memory. Linux: fs/splice.c.
//
// Linux moves page references; here the bytes are copied, which a program cannot tell
// apart (a page spliced from a file and then changed in the file reads as the copy did:
// the dirty-pipe bug cannot happen). The pipe side follows the kernel's rules:
//   - one side at least is a pipe (else EINVAL); both the same pipe: EINVAL; an offset
//     for a pipe: ESPIPE; the other side must be a file that splices (regular file,
//     device, socket), else EINVAL;
//   - a pipe to read waits while it is empty and has a writer (0 once it has none), a pipe
//     to fill waits while it is full and gives EPIPE (and SIGPIPE) without a reader;
//     SPLICE_F_NONBLOCK, or O_NONBLOCK on the pipe (either pipe between two), makes a wait
//     EAGAIN; a signal ends it;
//   - a call moves at most what the pipe holds or has room for: never waits for more once
//     something moved.
// Bytes read from a pipe leave it only once the other side took them, so a short or
// failed write loses nothing.

import * as E from "../../linux-abi/errno.ts";
import { O_APPEND, O_NONBLOCK } from "../../linux-abi/fcntl.ts";
import { MSG_DONTWAIT } from "../../linux-abi/socket.ts";
import { SIGPIPE } from "../../linux-abi/signal.ts";
import { SPLICE_F_ALL, SPLICE_F_NONBLOCK } from "../../linux-abi/splice.ts";
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG } from "../../linux-abi/stat.ts";
import type { IoResult, OpenFile } from "../file.ts";
import { type Pipe, PipeEnd } from "../pipe.ts";
import type { Thread } from "../process.ts";
import { AGAIN, sleep, type WaitQueue } from "../wait_queue.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { canRead, canWrite, mappedPieces, readIovecs, readStream, scatter, then, totalOf, writeBytes } from "./_io.ts";
import { fileOffset, readLoff, rwVerifyArea, type Exact } from "./_offsets.ts";
import { socketRecv } from "./_socket_io.ts";

/** The most one call moves to or from a file: a pipe never holds more. */
const CHUNK = 1 << 20;

function pipeOf(f: OpenFile): Pipe | null {
  return f.ops instanceof PipeEnd ? f.ops.pipe : null;
}

/** `check` now, and unless `nonblock`, again after each change of `queues` until it is not AGAIN. */
function waitUntil(t: Thread, queues: readonly WaitQueue[], check: () => number, nonblock: boolean): IoResult {
  return nonblock ? check() : sleep(t, queues, check);
}

/** -EPIPE with SIGPIPE, as a write to a pipe nobody reads. */
function brokenPipe(k: KernelServices, t: Thread): number {
  k.signalThread(t, SIGPIPE);
  return -E.EPIPE;
}

/** Whether the file has splice_read / splice_write: not a directory, a symlink or an anonymous inode (eventfd, epoll…). */
function splices(f: OpenFile): boolean | number {
  if (f.ops.socket) return true;
  const st = f.ops.stat();
  if (typeof st === "number") return st;
  const type = st.mode & S_IFMT;
  return type === S_IFREG || type === S_IFCHR || type === S_IFBLK || type === S_IFIFO;
}

/** Splice implements Linux syscall splice(2). */
export function sysSplice(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const len = a.size(4), flags = a.uint(5);
  if (len === 0) return 0;
  if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
  const fds = t.process.fds;
  const inp = fds.getOpen(a.int(0)), out = fds.getOpen(a.int(2));
  if (!inp || !out) return -E.EBADF;
  const inPipe = pipeOf(inp), outPipe = pipeOf(out);
  const offInAddr = a.ptr(1), offOutAddr = a.ptr(3);
  if ((inPipe && offInAddr !== 0) || (outPipe && offOutAddr !== 0)) return -E.ESPIPE;
  const mem = t.process.memory;
  const offIn = offInAddr === 0 ? null : readLoff(mem, offInAddr);
  const offOut = offOutAddr === 0 ? null : readLoff(mem, offOutAddr);
  if ((offInAddr !== 0 && offIn === null) || (offOutAddr !== 0 && offOut === null)) return -E.EFAULT;
  if (!canRead(inp) || !canWrite(out)) return -E.EBADF;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;
  if (inPipe && outPipe) {
    if (inPipe === outPipe) return -E.EINVAL;
    return pipeToPipe(k, t, inPipe, outPipe, len, nonblock || ((inp.flags | out.flags) & O_NONBLOCK) !== 0, false);
  }
  if (inPipe) return pipeToFile(k, t, inPipe, out, offOut, offOutAddr, a, nonblock || (inp.flags & O_NONBLOCK) !== 0);
  if (outPipe) return fileToPipe(k, t, inp, offIn, offInAddr, outPipe, a, nonblock || (out.flags & O_NONBLOCK) !== 0);
  return -E.EINVAL;
}

/**
 * splice_pipe_to_pipe, and link_pipe for tee (`copy`: the bytes stay in `from`): waits for
 * bytes in `from` (0 once it has no writer), then for room in `to`.
 */
function pipeToPipe(k: KernelServices, t: Thread, from: Pipe, to: Pipe, len: number, nonblock: boolean, copy: boolean): IoResult {
  const attempt = (): number => {
    if (from.length === 0) return from.writers === 0 ? 0 : AGAIN;
    if (to.readers === 0) return brokenPipe(k, t);
    const n = Math.min(len, from.length, to.space, CHUNK);
    if (n === 0) return AGAIN;
    const buf = new Uint8Array(n);
    from.peek(buf);
    to.push(buf);
    if (!copy) from.discard(n);
    return n;
  };
  return waitUntil(t, [from.readiness, to.readiness], attempt, nonblock);
}

/** The offset a file side starts at: the one given (it must be seekable) or the file's own; after rw_verify_area, or -errno. */
function startOffset(f: OpenFile, given: Exact | null, len: Exact): number {
  if (given !== null && !f.ops.seekable) return -E.EINVAL;
  const bad = rwVerifyArea(given ?? f.offset, len);
  return bad < 0 ? bad : given === null ? f.offset : fileOffset(given);
}

/** After `n` bytes moved at `at`: the offset given back to the guest, or the file's own moved. */
function advance(t: Thread, f: OpenFile, addr: number, at: number, n: number): number {
  if (n <= 0 || !f.ops.seekable) return n;
  if (addr === 0) f.offset = at + n;
  else if (!t.process.memory.setU64(addr, at + n)) return -E.EFAULT;
  return n;
}

/** do_splice_from: the pipe's bytes written to `out` at its offset; they leave the pipe once written. */
function pipeToFile(k: KernelServices, t: Thread, from: Pipe, out: OpenFile, given: Exact | null, addr: number, a: SyscallArgs, nonblock: boolean): IoResult {
  if (out.flags & O_APPEND) return -E.EINVAL;
  const ok = splices(out);
  if (ok !== true) return ok === false ? -E.EINVAL : ok;
  const at = startOffset(out, given, a.exactSize(4));
  if (at < 0) return at;
  const len = a.size(4);
  const ready = waitUntil(t, [from.readiness], () => (from.length > 0 ? from.length : from.writers === 0 ? 0 : AGAIN), nonblock);
  return then(ready, (held) => {
    if (held <= 0) return held;
    const buf = new Uint8Array(Math.min(len, held, CHUNK));
    from.peek(buf);
    return then(writeBytes(k, t, out, buf, out.ops.seekable ? at : -1), (n) => {
      if (n > 0) from.discard(n);
      return advance(t, out, addr, at, n);
    });
  });
}

/** splice_file_to_pipe: waits for room in the pipe, then reads at most that much from `inp` into it. */
function fileToPipe(k: KernelServices, t: Thread, inp: OpenFile, given: Exact | null, addr: number, to: Pipe, a: SyscallArgs, nonblock: boolean): IoResult {
  const ok = splices(inp);
  if (ok !== true) return ok === false ? -E.EINVAL : ok;
  const at = startOffset(inp, given, a.exactSize(4));
  if (at < 0) return at;
  const len = a.size(4);
  const room = waitUntil(t, [to.readiness], () => (to.readers === 0 ? brokenPipe(k, t) : to.space > 0 ? to.space : AGAIN), nonblock);
  return then(room, (space) => {
    if (space < 0) return space;
    const n = Math.min(len, space, CHUNK);
    const into = (_at: number, bytes: Uint8Array): boolean => to.push(bytes) >= 0;
    const sock = inp.ops.socket;
    if (sock) return socketRecv(t, inp, sock, n, nonblock ? MSG_DONTWAIT : 0, into, null);
    if (!inp.ops.seekable) return readStream(t, inp, n, into);
    const buf = new Uint8Array(n);
    // What the pipe has no room for when the read comes back (another writer came first) stays in the file.
    return then(inp.ops.read(buf, at), (got) => (got <= 0 ? got : advance(t, inp, addr, at, to.push(buf.subarray(0, got)))));
  });
}

/** Tee implements Linux syscall tee(2): the bytes of one pipe copied into another, left in the first. */
export function sysTee(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const len = a.size(2), flags = a.uint(3);
  if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
  if (len === 0) return 0;
  const fds = t.process.fds;
  const inp = fds.getOpen(a.int(0)), out = fds.getOpen(a.int(1));
  if (!inp || !out || !canRead(inp) || !canWrite(out)) return -E.EBADF;
  const from = pipeOf(inp), to = pipeOf(out);
  if (!from || !to || from === to) return -E.EINVAL;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0 || ((inp.flags | out.flags) & O_NONBLOCK) !== 0;
  return pipeToPipe(k, t, from, to, len, nonblock, true);
}

/**
 * Vmsplice implements Linux syscall vmsplice(2): the caller's memory into a pipe it may
 * write, or a pipe it may only read into the caller's memory. Only SPLICE_F_NONBLOCK
 * makes it non-blocking (Linux ignores O_NONBLOCK here).
 */
export function sysVmsplice(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.uint(3);
  if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
  const f = t.process.fds.getOpen(a.int(0));
  if (!f || (!canWrite(f) && !canRead(f))) return -E.EBADF;
  const mem = t.process.memory;
  const iov = readIovecs(mem, a.ptr(1), a.ptr(2));
  if (typeof iov === "number") return iov;
  const total = totalOf(iov);
  if (total === 0) return 0;
  const pipe = pipeOf(f);
  if (!pipe) return -E.EBADF;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;
  if (canWrite(f)) {
    const room = waitUntil(t, [pipe.readiness], () => (pipe.readers === 0 ? brokenPipe(k, t) : pipe.space > 0 ? pipe.space : AGAIN), nonblock);
    return then(room, (space) => {
      if (space < 0) return space;
      const mapped = mappedPieces(mem, iov);
      if (typeof mapped === "number") return mapped;
      let moved = 0;
      for (const piece of mapped.pieces) {
        const n = pipe.push(piece);
        moved += n;
        if (n < piece.length) break;
      }
      return moved;
    });
  }
  const ready = waitUntil(t, [pipe.readiness], () => (pipe.length > 0 ? pipe.length : pipe.writers === 0 ? 0 : AGAIN), nonblock);
  return then(ready, (held) => {
    if (held <= 0) return held;
    const buf = new Uint8Array(Math.min(total, held, CHUNK));
    pipe.peek(buf);
    if (!scatter(mem, iov)(0, buf)) return -E.EFAULT;
    pipe.discard(buf.length);
    return buf.length;
  });
}
