// read(2), write(2), their positional and vectored forms, lseek(2), sendfile(2).
// Linux: fs/read_write.c. Offsets are checked on entry (_offsets.ts).

import { EBADF, EFAULT, EINVAL, EIO, EISDIR, EOPNOTSUPP, ESPIPE } from "../../linux-abi/errno.ts";
import { O_APPEND } from "../../linux-abi/fcntl.ts";
import { S_IFDIR, S_IFMT, S_IFREG } from "../../linux-abi/stat.ts";
import type { IoResult, OpenFile } from "../file.ts";
import { accessOk } from "../memory.ts";
import { MAX_RW_COUNT } from "../../linux-abi/uio.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import {
  canRead, canWrite, gathered, mappedPieces, readIovecs, readStream, readToGuest, scatter, then, totalOf, writeBytes, writeFromGuest,
} from "./_io.ts";
import { copyableCount, fileEnd, fileOffset, readLoff, rwVerifyArea, seekable, sendableCount, type Exact } from "./_offsets.ts";

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

function fileOf(t: Thread, fd: number): OpenFile | null {
  return t.process.fds.get(fd);
}

/** Read implements Linux syscall read(2). */
export function sysRead(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = fileOf(t, a.int(0));
  return f ? readToGuest(t, f, a.ptr(1), a.size(2), -1) : -EBADF;
}

/** Write implements Linux syscall write(2). */
export function sysWrite(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = fileOf(t, a.int(0));
  return f ? writeFromGuest(k, t, f, a.ptr(1), a.size(2), -1) : -EBADF;
}

/** The file of a positional call at `off` (ksys_pread64's checks): the file or -errno. */
function positional(t: Thread, fd: number, off: Exact): OpenFile | number {
  if (off < 0) return -EINVAL;
  const f = fileOf(t, fd);
  if (!f) return -EBADF;
  return f.ops.seekable ? f : -ESPIPE;
}

/**
 * The file of pread64/pwrite64 once ksys_pread64's and vfs_read/vfs_write's checks pass,
 * in their order: offset, descriptor, access mode, the buffer's range (EFAULT), then the
 * file range (EINVAL); or -errno.
 */
function positionalIo(t: Thread, a: SyscallArgs, allowed: (f: OpenFile) => boolean): OpenFile | number {
  const off = a.exactLong(3);
  const f = positional(t, a.int(0), off);
  if (typeof f === "number") return f;
  if (!allowed(f)) return -EBADF;
  if (!accessOk(a.ptr(1), a.size(2))) return -EFAULT;
  const bad = rwVerifyArea(off, a.exactSize(2));
  return bad < 0 ? bad : f;
}

/** Pread64 implements Linux syscall pread64(2). */
export function sysPread64(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = positionalIo(t, a, canRead);
  return typeof f === "number" ? f : readToGuest(t, f, a.ptr(1), a.size(2), fileOffset(a.exactLong(3)));
}

/** Pwrite64 implements Linux syscall pwrite64(2). */
export function sysPwrite64(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = positionalIo(t, a, canWrite);
  return typeof f === "number" ? f : writeFromGuest(k, t, f, a.ptr(1), a.size(2), fileOffset(a.exactLong(3)));
}

/** readv (`pos` null: the file position) and preadv (`pos`: the offset argument). */
function doReadv(t: Thread, a: SyscallArgs, pos: Exact | null): SyscallResult {
  const f = pos === null ? fileOf(t, a.int(0)) : positional(t, a.int(0), pos);
  if (f === null) return -EBADF;
  if (typeof f === "number") return f;
  if (!canRead(f)) return -EBADF;
  const mem = t.process.memory;
  const iov = readIovecs(mem, a.ptr(1), a.int(2));
  if (typeof iov === "number") return iov;
  const bad = pos === null ? 0 : rwVerifyArea(pos, totalOf(iov));
  if (bad < 0) return bad;
  const offset = pos === null ? -1 : fileOffset(pos);
  if (!f.ops.seekable) {
    // One stream read, scattered over the segments.
    return readStream(t, f, totalOf(iov), scatter(mem, iov));
  }
  // Files answer at once: segment by segment, stopping at the first short one.
  let done = 0;
  for (const v of iov) {
    const r = readToGuest(t, f, v.base, v.len, offset < 0 ? -1 : offset + done);
    if (typeof r !== "number" || r < 0) return done > 0 ? done : r;
    done += r;
    if (r < v.len) break;
  }
  return done;
}

/** writev (`pos` null: the file position) and pwritev (`pos`: the offset argument). */
function doWritev(k: KernelServices, t: Thread, a: SyscallArgs, pos: Exact | null): SyscallResult {
  const f = pos === null ? fileOf(t, a.int(0)) : positional(t, a.int(0), pos);
  if (f === null) return -EBADF;
  if (typeof f === "number") return f;
  if (!canWrite(f)) return -EBADF;
  const mem = t.process.memory;
  const iov = readIovecs(mem, a.ptr(1), a.int(2));
  if (typeof iov === "number") return iov;
  const bad = pos === null ? 0 : rwVerifyArea(pos, totalOf(iov));
  if (bad < 0) return bad;
  const offset = pos === null ? -1 : fileOffset(pos);
  // The mapped part of each segment as host pieces, in place; a bad segment ends the list.
  const mapped = mappedPieces(mem, iov);
  if (typeof mapped === "number") return mapped;
  // A file takes the pieces one after another, from guest memory; a stream (pipe,
  // terminal) gets them gathered into one write, so they arrive together.
  if (f.ops.seekable) return writePieces(k, t, f, mapped.pieces, offset, 0, 0);
  return writeBytes(k, t, f, gathered(mapped.pieces, mapped.total), offset);
}

/** Writes `pieces[i..]` to a file at `offset` (-1: its position), after `done` bytes; stops at a short write. */
function writePieces(k: KernelServices, t: Thread, f: OpenFile, pieces: readonly Uint8Array[], offset: number, i: number, done: number): IoResult {
  for (; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const r = writeBytes(k, t, f, piece, offset < 0 ? -1 : offset + done);
    if (typeof r !== "number") {
      const next = i + 1, before = done;
      return r.then((n) => (n < 0 ? (before > 0 ? before : n) : n < piece.length || next === pieces.length ? before + n : writePieces(k, t, f, pieces, offset, next, before + n)));
    }
    if (r < 0) return done > 0 ? done : r;
    done += r;
    if (r < piece.length) break;
  }
  return done;
}


/** Readv implements Linux syscall readv(2). */
export const sysReadv = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => doReadv(t, a, null);
/** Writev implements Linux syscall writev(2). */
export const sysWritev = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => doWritev(k, t, a, null);
/** Preadv implements Linux syscall preadv(2). */
export const sysPreadv = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => doReadv(t, a, a.exactLong(3));
/** Pwritev implements Linux syscall pwritev(2). */
export const sysPwritev = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => doWritev(k, t, a, a.exactLong(3));

/** The RWF_* flags preadv2/pwritev2 know (HIPRI, DSYNC, SYNC, NOWAIT, APPEND, NOAPPEND, ATOMIC, DONTCACHE): all act as hints here. */
const RWF_KNOWN = 0xff;
/** preadv2/pwritev2's offset: -1 is the file position, as readv/writev use. */
const offsetOrPosition = (a: SyscallArgs): Exact | null => (a.exactLong(3) === -1 ? null : a.exactLong(3));
/** Preadv2 implements Linux syscall preadv2(2). */
export const sysPreadv2 = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  a.int(5) & ~RWF_KNOWN ? -EOPNOTSUPP : doReadv(t, a, offsetOrPosition(a));
/** Pwritev2 implements Linux syscall pwritev2(2). */
export const sysPwritev2 = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  a.int(5) & ~RWF_KNOWN ? -EOPNOTSUPP : doWritev(k, t, a, offsetOrPosition(a));

/** Lseek implements Linux syscall lseek(2). */
export function sysLseek(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const f = fileOf(t, a.int(0));
  if (!f) return -EBADF;
  if (!f.ops.seekable) return f.ops.seekIgnored ? f.offset : -ESPIPE;
  const off = a.long(1);
  const whence = a.int(2);
  let base: number;
  if (whence === SEEK_SET) base = 0;
  else if (whence === SEEK_CUR) base = f.offset;
  else if (whence === SEEK_END) {
    base = fileEnd(f);
    if (base < 0) return base;
  } else return -EINVAL;
  // SEEK_CUR by 0 tells the offset; anything else is a new offset, within the limit.
  if (whence === SEEK_CUR && off === 0) return f.offset;
  const pos = seekable(base + off);
  if (pos < 0) return pos;
  f.offset = pos;
  if (pos === 0) f.dirCookie = 0;
  return pos;
}

/** Sendfile implements Linux syscall sendfile(2): file to file through one buffer. */
export function sysSendfile(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const out = fileOf(t, a.int(0));
  const inp = fileOf(t, a.int(1));
  if (!out || !inp || !canWrite(out) || !canRead(inp)) return -EBADF;
  const mem = t.process.memory;
  const offAddr = a.ptr(2);
  const given = offAddr === 0 ? null : readLoff(mem, offAddr);
  if (offAddr !== 0 && given === null) return -EFAULT;
  if (given !== null && !inp.ops.seekable) return -ESPIPE;
  const bad = rwVerifyArea(given ?? inp.offset, a.exactSize(3));
  if (bad < 0) return bad;
  const at = given === null ? inp.offset : Number(given);
  const count = sendableCount(at, Math.min(a.size(3), MAX_RW_COUNT));
  if (count < 0) return count;
  const done = (m: number): number => {
    if (m < 0) return m;
    if (given !== null) mem.setU64(offAddr, at + m);
    else if (inp.ops.seekable) inp.offset += m;
    return m;
  };
  const copy = (): IoResult => {
    const buf = new Uint8Array(Math.min(count, 1 << 20));
    // A read that waited (a FIFO) may end after the thread died: then nothing is written.
    return then(inp.ops.read(buf, inp.ops.seekable ? at : -1), (n) => (n <= 0 || t.dead ? n : then(writeBytes(k, t, out, buf.subarray(0, n), -1), done)));
  };
  // A host file to a host descriptor: the host kernel moves the bytes (Linux's splice).
  if (out.ops.hostFd !== undefined && inp.ops.sendToHost && inp.ops.seekable && count > 0) {
    return then(inp.ops.sendToHost(at, count, out.ops.hostFd), (n) => (n >= 0 ? done(n) : copy()));
  }
  return copy();
}

/** Most copy_file_range moves in one call (Linux also returns short counts). */
const COPY_CHUNK = 1 << 20;

/**
 * CopyFileRange implements Linux syscall copy_file_range(2), through a kernel buffer: one
 * read and one write of up to 1 MiB per call.
 */
export function sysCopyFileRange(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const inp = fileOf(t, a.int(0)), out = fileOf(t, a.int(2));
  const inAddr = a.ptr(1), outAddr = a.ptr(3);
  if (a.uint(5) !== 0) return -EINVAL;
  if (!inp || !out) return -EBADF;
  const si = inp.ops.stat(), so = out.ops.stat();
  if (typeof si === "number") return si;
  if (typeof so === "number") return so;
  // generic_file_rw_checks: the file types first, then the access modes.
  if ((si.mode & S_IFMT) === S_IFDIR || (so.mode & S_IFMT) === S_IFDIR) return -EISDIR;
  if ((si.mode & S_IFMT) !== S_IFREG || (so.mode & S_IFMT) !== S_IFREG) return -EINVAL;
  if (!canRead(inp) || !canWrite(out) || out.flags & O_APPEND) return -EBADF;
  const mem = t.process.memory;
  const inPos = inAddr === 0 ? inp.offset : readLoff(mem, inAddr);
  const outPos = outAddr === 0 ? out.offset : readLoff(mem, outAddr);
  if (inPos === null || outPos === null) return -EFAULT;
  const count = copyableCount(inPos, outPos, a.exactSize(4), si.size);
  if (count <= 0) return count;
  // Both offsets are now within the limit.
  const inOff = Number(inPos), outOff = Number(outPos);
  const n = Math.min(count, COPY_CHUNK);
  if (si.dev === so.dev && si.ino === so.ino && inOff < outOff + n && outOff < inOff + n) return -EINVAL;
  const buf = new Uint8Array(n);
  const got = inp.ops.read(buf, inOff);
  if (typeof got !== "number") return -EIO;
  if (got <= 0) return got;
  const put = out.ops.write(buf.subarray(0, got), outOff);
  if (typeof put !== "number") return -EIO;
  if (put < 0) return put;
  if (inAddr === 0) inp.offset += put;
  else if (!mem.setU64(inAddr, inOff + put)) return -EFAULT;
  if (outAddr === 0) out.offset += put;
  else if (!mem.setU64(outAddr, outOff + put)) return -EFAULT;
  return put;
}
