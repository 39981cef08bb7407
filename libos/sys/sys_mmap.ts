// Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync. Linux: mm/mmap.c,
// mm/mprotect.c, mm/mremap.c, mm/msync.c. Private file mappings are filled by reading the
// file (the pages are the process's own copy, as after a private write fault on Linux).
// Shared file mappings map the file's pages in the page cache (page_cache.ts). Private
// memory is copied on write after fork; MAP_SHARED anonymous memory is shared.

import * as E from "../../linux-abi/errno.ts";
import {
  MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED,
  MAP_SHARED_VALIDATE, MAP_TYPE, MREMAP_FIXED, MREMAP_MAYMOVE, MS_ASYNC, MS_INVALIDATE, MS_SYNC, MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT,
} from "../../linux-abi/mman.ts";
import { S_IFMT, S_IFREG } from "../../linux-abi/stat.ts";
import { USER_TOP, PAGE, PROT_READ, PROT_WRITE, PROT_EXEC, accessOk, pageUp, type GuestMemory, type Vma } from "../memory.ts";
import { O_ACCMODE, O_RDWR, O_WRONLY } from "../../linux-abi/fcntl.ts";
import type { OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import { FsFile } from "../vfs.ts";
import { fileOffset } from "./_offsets.ts";
import type { SyscallArgs } from "./args.ts";
import { addressSpaceAllows } from "../rlimits.ts";
import type { KernelServices, SyscallResult } from "./context.ts";


const PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC;

/** Brk implements Linux syscall brk(2). */
export function sysBrk(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mem = t.process.memory, request = a.ptr(0);
  // Past RLIMIT_AS the break stays where it is, as any other failed brk.
  if (request > mem.brk && !addressSpaceAllows(t.process, request - mem.brk)) return mem.brk;
  return mem.setBrk(request);
}

/** Mmap implements Linux syscall mmap(2). */
export function sysMmap(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  // `off` is an unsigned long; page-aligned, any value below 2^64 is exact as a number.
  const addr = a.ptr(0), len = a.size(1), prot = a.int(2), flags = a.int(3), fd = a.int(4), off = a.ptr(5);
  const mem = t.process.memory;
  if (len === 0 || len > USER_TOP) return -E.EINVAL;
  if (addr % PAGE !== 0 && flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) return -E.EINVAL;
  if (a.uint(5) % PAGE !== 0) return -E.EINVAL;
  const type = flags & MAP_TYPE;
  if (type !== MAP_PRIVATE && type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE) return -E.EINVAL;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -E.EINVAL;
  const size = pageUp(len);
  if (flags & MAP_FIXED_NOREPLACE && !mem.isFree(addr, addr + size)) return -E.EEXIST;
  const fixed = (flags & MAP_FIXED) !== 0;
  if (fixed && addr + size > USER_TOP) return -E.ENOMEM;
  if (!addressSpaceAllows(t.process, size)) return -E.ENOMEM;

  if (flags & MAP_ANONYMOUS) {
    // MAP_SHARED anonymous memory stays one object across fork; MAP_GROWSDOWN and
    // MAP_NORESERVE need nothing more (pages cost quota only when the block is made).
    return mem.mmapAnonymous(addr, size, prot, fixed, type !== MAP_PRIVATE);
  }
  const f = t.process.fds.get(fd);
  if (!f) return -E.EBADF;
  if ((f.flags & O_ACCMODE) === O_WRONLY) return -E.EACCES;
  const shared = type !== MAP_PRIVATE;
  // Linux: a shared mapping of a file not open for writing may never be writable.
  const mayWrite = !shared || (f.flags & O_ACCMODE) === O_RDWR;
  if (prot & PROT_WRITE && !mayWrite) return -E.EACCES;
  if (!f.ops.seekable) return -E.ENODEV;
  // file_mmap_ok: a file's mapping ends by 2^63 - 1 (MAX_LFS_FILESIZE).
  if (off + size >= 2 ** 63) return -E.EOVERFLOW;
  const mayProt = mayWrite ? PROT_ALL : PROT_ALL & ~PROT_WRITE;
  if (shared) return mapSharedFile(k, t, f, addr, size, prot, fixed, fileOffset(off), mayProt);
  const start = mem.mmapAnonymous(addr, size, prot | PROT_WRITE, fixed);
  if (start < 0) return start;
  // Read straight into the new mapping: its size is the guest's, not a host buffer's.
  const dst = mem.view(start, size, PROT_WRITE);
  const n = dst ? f.ops.read(dst, fileOffset(off)) : -E.ENOMEM;
  if (typeof n !== "number" || n < 0) {
    mem.unmap(start, size);
    return typeof n === "number" ? n : -E.ENODEV;
  }
  if ((prot & PROT_WRITE) === 0) mem.protect(start, size, prot);
  return start;
}

/** A MAP_SHARED mapping of a regular file: its pages in the page cache (page_cache.ts). */
function mapSharedFile(k: KernelServices, t: Thread, f: OpenFile, addr: number, size: number, prot: number, fixed: boolean, off: number, mayProt: number): SyscallResult {
  if (!(f.ops instanceof FsFile)) return -E.ENODEV;
  const st = f.ops.stat();
  if (typeof st === "number") return st;
  if ((st.mode & S_IFMT) !== S_IFREG) return -E.ENODEV;
  const mem = t.process.memory;
  const start = mem.place(addr, size, fixed);
  if (start < 0) return start;
  const r = k.pageCache.map(mem, f, f.ops.ino, st.size, start, off, size, prot, mayProt);
  return r < 0 ? r : start;
}

/** Munmap implements Linux syscall munmap(2). */
export function sysMunmap(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), len = a.size(1);
  if (addr % PAGE !== 0 || len === 0 || addr + len > USER_TOP) return -E.EINVAL;
  t.process.memory.unmap(addr, len);
  return 0;
}

/** Mprotect implements Linux syscall mprotect(2). */
export function sysMprotect(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), len = a.size(1), prot = a.int(2);
  if (addr % PAGE !== 0) return -E.EINVAL;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x01000000 | 0x02000000)) return -E.EINVAL;
  if (len === 0) return 0;
  return t.process.memory.protect(addr, len, prot & 7);
}

/** Mremap implements Linux syscall mremap(2): shrink in place, grow in place, or move the pages (no copy). */
export function sysMremap(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const old = a.ptr(0), oldLen = pageUp(a.size(1)), newLen = pageUp(a.size(2)), flags = a.int(3), wanted = a.ptr(4);
  const mem = t.process.memory;
  if (old % PAGE !== 0 || newLen === 0 || oldLen === 0 || flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) return -E.EINVAL;
  if (flags & MREMAP_FIXED && (!(flags & MREMAP_MAYMOVE) || wanted % PAGE !== 0)) return -E.EINVAL;
  if (!accessOk(old, oldLen) || !mem.isMapped(old, oldLen)) return -E.EFAULT;
  const last = mem.find(old + oldLen - 1)!;
  if (flags & MREMAP_FIXED) {
    if (!accessOk(wanted, newLen) || (wanted < old + oldLen && old < wanted + newLen)) return -E.EINVAL;
    mem.unmap(wanted, newLen);
    return moveMapping(k, mem, last, old, oldLen, newLen, wanted);
  }
  if (newLen <= oldLen) {
    if (newLen < oldLen) mem.unmap(old + newLen, oldLen - newLen);
    return old;
  }
  if (!addressSpaceAllows(t.process, newLen - oldLen)) return -E.ENOMEM;
  if (mem.isFree(old + oldLen, old + newLen) && old + newLen <= USER_TOP) {
    const r = growMapping(k, mem, last, old + oldLen, newLen - oldLen);
    if (r === 0) return old;
  }
  if ((flags & MREMAP_MAYMOVE) === 0) return -E.ENOMEM;
  const dest = mem.place(0, newLen, false);
  return dest < 0 ? dest : moveMapping(k, mem, last, old, oldLen, newLen, dest);
}

/** The pages of [old, old+oldLen) moved to `dest` (free), then cut or grown to newLen. */
function moveMapping(k: KernelServices, mem: GuestMemory, last: Vma, old: number, oldLen: number, newLen: number, dest: number): number {
  const keep = Math.min(oldLen, newLen);
  if (!mem.moveRange(old, keep, dest)) return -E.ENOMEM;
  mem.unmap(old, oldLen);
  if (newLen === keep) return dest;
  const r = growMapping(k, mem, mem.find(dest + keep - 1) ?? last, dest + keep, newLen - keep);
  if (r < 0) {
    mem.unmap(dest, newLen);
    return r;
  }
  return dest;
}

/** More of what `last` maps, at `start` (free): the file's next pages, or fresh anonymous memory. */
function growMapping(k: KernelServices, mem: GuestMemory, last: Vma, start: number, size: number): number {
  if (last.block.file !== null) return k.pageCache.extend(mem, last, start, size);
  return mem.mapRegion(start, size, [{ at: 0, size, prot: last.prot }], "anon", last.shared) ? 0 : -E.ENOMEM;
}

/**
 * Madvise implements Linux syscall madvise(2): MADV_DONTNEED and MADV_FREE drop private
 * pages (they read as zero after), MADV_REMOVE frees a shared range; other advice is accepted.
 */
export function sysMadvise(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), len = pageUp(a.size(1)), advice = a.int(2);
  const mem = t.process.memory;
  if (addr % PAGE !== 0 || !accessOk(addr, len)) return -E.EINVAL;
  if (advice === MADV_DONTNEED || advice === MADV_FREE) {
    if (!mem.discard(addr, len)) return -E.ENOMEM;
  } else if (advice === MADV_REMOVE) {
    if (!mem.isMapped(addr, len)) return -E.ENOMEM;
    const vmas = mem.touching(addr, addr + len);
    if (vmas.some((v) => !v.shared)) return -E.EINVAL;
    if (vmas.some((v) => (v.prot & PROT_WRITE) === 0)) return -E.EACCES;
    for (const v of vmas) {
      const s = Math.max(v.start, addr), e = Math.min(v.end, addr + len);
      const r = v.block.file !== null ? k.pageCache.removeRange(v, s, e) : mem.zero(s, e - s) ? 0 : -E.ENOMEM;
      if (r < 0) return r;
    }
  }
  return 0;
}

/** Msync implements Linux syscall msync(2): the range's dirty file pages written back. */
export function sysMsync(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), len = pageUp(a.size(1)), flags = a.int(2);
  const mem = t.process.memory;
  if (addr % PAGE !== 0 || flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) || (flags & MS_ASYNC && flags & MS_SYNC)) return -E.EINVAL;
  if (!accessOk(addr, len)) return -E.ENOMEM;
  let result = 0;
  for (const v of mem.touching(addr, addr + len)) {
    if (v.block.file === null) continue;
    const r = k.pageCache.syncVma(v);
    if (r < 0) result = r;
  }
  return result < 0 ? result : mem.isMapped(addr, len) ? 0 : -E.ENOMEM;
}

// Every guest page is host memory the user kernel has already committed, never paged out:
// locking changes nothing, and every mapped page is resident. These calls check what Linux
// checks and answer as a system with enough RLIMIT_MEMLOCK.

/** The range of mlock/munlock/mincore, page-rounded: -ENOMEM unless every page is mapped. */
function lockRange(t: Thread, addr: number, size: number): number {
  const start = addr - (addr % PAGE), len = pageUp(addr + size) - start;
  if (!accessOk(start, len)) return -E.ENOMEM;
  return t.process.memory.isMapped(start, len) ? 0 : -E.ENOMEM;
}

/** Mlock implements Linux syscall mlock(2). */
export function sysMlock(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return lockRange(t, a.ptr(0), a.size(1));
}

/** Mlock2 implements Linux syscall mlock2(2). */
export function sysMlock2(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.uint(2) & ~MLOCK_ONFAULT) return -E.EINVAL;
  return lockRange(t, a.ptr(0), a.size(1));
}

/** Munlock implements Linux syscall munlock(2). */
export function sysMunlock(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return lockRange(t, a.ptr(0), a.size(1));
}

/** Mlockall implements Linux syscall mlockall(2). */
export function sysMlockall(_k: KernelServices, _t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.uint(0);
  if (flags === 0 || flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) || flags === MCL_ONFAULT) return -E.EINVAL;
  return 0;
}

/** Munlockall implements Linux syscall munlockall(2). */
export function sysMunlockall(): SyscallResult {
  return 0;
}

/** Mincore implements Linux syscall mincore(2): every mapped page is resident. */
export function sysMincore(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), len = a.size(1), vec = a.ptr(2);
  if (addr % PAGE !== 0) return -E.EINVAL;
  if (!accessOk(addr, len)) return -E.ENOMEM;
  const pages = pageUp(len) / PAGE;
  const mem = t.process.memory;
  // Linux checks the vector first (access_ok), then walks the range.
  if (!accessOk(vec, pages)) return -E.EFAULT;
  if (!mem.isMapped(addr, pages * PAGE)) return -E.ENOMEM;
  return mem.forEachChunk(vec, pages, PROT_WRITE, (chunk) => chunk.fill(1)) ? 0 : -E.EFAULT;
}
