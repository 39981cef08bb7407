// Moving bytes between guest memory and files: the part read, pread64, readv, preadv,
// sendfile and write share (Linux: fs/read_write.c, vfs_read/vfs_write).
//
// A synchronous read goes straight into guest memory. A read that may wait lands in a
// bounce buffer first: the guest could unmap its buffer while the thread is blocked,
// and nothing may write into host memory the address space already gave back.

import { EBADF, EFAULT, EISDIR } from "../../linux-abi/errno.ts";
import { O_ACCMODE, O_APPEND, O_RDONLY, O_WRONLY } from "../../linux-abi/fcntl.ts";
import { S_IFDIR, S_IFMT } from "../../linux-abi/stat.ts";
import type { OpenFile } from "../file.ts";
import { PROT_READ, PROT_WRITE, type GuestMemory } from "../memory.ts";


export function canRead(f: OpenFile): boolean {
  return (f.flags & O_ACCMODE) !== O_WRONLY;
}

export function canWrite(f: OpenFile): boolean {
  return (f.flags & O_ACCMODE) !== O_RDONLY;
}

/** Read up to `len` bytes into guest memory. `offset` < 0 means the file position. */
export function readToGuest(mem: GuestMemory, f: OpenFile, addr: number, len: number, offset: number): number | Promise<number> {
  if (!canRead(f)) return -EBADF;
  if (len === 0) return 0;
  const usePos = offset < 0;
  const at = usePos ? (f.ops.seekable ? f.offset : -1) : offset;
  // Files and directories answer synchronously (fs-task contract): read in place.
  if (f.ops.seekable) {
    const direct = mem.view(addr, len, PROT_WRITE);
    if (direct) {
      const r = f.ops.read(direct, at);
      return typeof r === "number" ? advance(f, usePos, isDirError(f, r)) : r.then((n) => advance(f, usePos, n));
    }
  }
  if (!mem.forEachChunk(addr, len, PROT_WRITE, noop)) return -EFAULT;
  const bounce = new Uint8Array(len);
  const r = f.ops.read(bounce, at);
  const finish = (n: number): number => {
    if (n > 0 && !mem.write(addr, bounce.subarray(0, n))) return -EFAULT;
    return advance(f, usePos, n);
  };
  return typeof r === "number" ? finish(isDirError(f, r)) : r.then(finish);
}

export function writeFromGuest(mem: GuestMemory, f: OpenFile, addr: number, len: number, offset: number): number | Promise<number> {
  if (!canWrite(f)) return -EBADF;
  if (len === 0) return 0;
  const src = mem.view(addr, len, PROT_READ);
  if (!src) return -EFAULT;
  return writeBytes(f, src, offset);
}

export function writeBytes(f: OpenFile, src: Uint8Array, offset: number): number | Promise<number> {
  const usePos = offset < 0;
  const at = usePos ? (f.ops.seekable ? f.offset : -1) : offset;
  const r = f.ops.write(src, at);
  const finish = (n: number): number => {
    if (n < 0 || !usePos || !f.ops.seekable) return n;
    if (f.flags & O_APPEND) {
      const st = f.ops.stat();
      if (typeof st !== "number") f.offset = st.size;
    } else {
      f.offset += n;
    }
    return n;
  };
  return typeof r === "number" ? finish(r) : r.then(finish);
}

function advance(f: OpenFile, usePos: boolean, n: number): number {
  if (n > 0 && usePos && f.ops.seekable) f.offset += n;
  return n;
}

function isDirError(f: OpenFile, r: number): number {
  if (r !== -EISDIR && r >= 0) return r;
  const st = f.ops.stat();
  return typeof st !== "number" && (st.mode & S_IFMT) === S_IFDIR ? -EISDIR : r;
}

function noop(): void {}
