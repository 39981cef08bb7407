// Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise. Linux: mm/mmap.c,
// mm/mprotect.c, mm/mremap.c. Private file mappings are filled by reading the file
// (the pages are the process's own copy, as after a private write fault on Linux).
// Private memory is copied on write after fork; MAP_SHARED anonymous memory is shared.

import * as E from "../../linux-abi/errno.ts";
import {
  MADV_DONTNEED, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE,
  MREMAP_FIXED, MREMAP_MAYMOVE,
} from "../../linux-abi/mman.ts";
import { USER_TOP, PAGE, PROT_READ, PROT_WRITE, PROT_EXEC, pageUp } from "../memory.ts";
import { O_ACCMODE, O_RDWR, O_WRONLY } from "../../linux-abi/fcntl.ts";
import type { Thread } from "../process.ts";
import { fileOffset } from "./_offsets.ts";
import type { SyscallArgs } from "./args.ts";
import { addressSpaceAllows } from "../rlimits.ts";
import type { KernelServices, SyscallResult } from "./context.ts";


/** Brk implements Linux syscall brk(2). */
export function sysBrk(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mem = t.process.memory, request = a.ptr(0);
  // Past RLIMIT_AS the break stays where it is, as any other failed brk.
  if (request > mem.brk && !addressSpaceAllows(t.process, request - mem.brk)) return mem.brk;
  return mem.setBrk(request);
}

/** Mmap implements Linux syscall mmap(2). */
export function sysMmap(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
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
  // A shared writable mapping would need write-back to the file: not offered.
  if (shared && prot & PROT_WRITE) return -E.ENODEV;
  // file_mmap_ok: a file's mapping ends by 2^63 - 1 (MAX_LFS_FILESIZE).
  if (off + size >= 2 ** 63) return -E.EOVERFLOW;
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
  if (!mayWrite) mem.limitProt(start, size, ~PROT_WRITE);
  return start;
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

/** Mremap implements Linux syscall mremap(2): shrink in place, or move and copy. */
export function sysMremap(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const old = a.ptr(0), oldLen = pageUp(a.size(1)), newLen = pageUp(a.size(2)), flags = a.int(3);
  const mem = t.process.memory;
  if (old % PAGE !== 0 || newLen === 0 || flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) return -E.EINVAL;
  const v = mem.find(old);
  if (!v || old + oldLen > v.end) return -E.EFAULT;
  if (newLen <= oldLen) {
    if (newLen < oldLen) mem.unmap(old + newLen, oldLen - newLen);
    return old;
  }
  if (!addressSpaceAllows(t.process, newLen - oldLen)) return -E.ENOMEM;
  if (mem.isFree(old + oldLen, old + newLen) && mem.mmapAnonymous(old + oldLen, newLen - oldLen, v.prot, true) === old + oldLen) {
    return old;
  }
  if ((flags & MREMAP_MAYMOVE) === 0) return -E.ENOMEM;
  const copy = mem.view(old, oldLen, 0);
  if (!copy) return -E.EFAULT;
  const saved = copy.slice();
  const dest = mem.mmapAnonymous(0, newLen, v.prot, false);
  if (dest < 0) return dest;
  mem.poke(dest, saved);
  mem.unmap(old, oldLen);
  return dest;
}

/** Madvise implements Linux syscall madvise(2): MADV_DONTNEED zeroes private pages. */
export function sysMadvise(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), len = pageUp(a.size(1)), advice = a.int(2);
  if (addr % PAGE !== 0) return -E.EINVAL;
  if (advice === MADV_DONTNEED) {
    if (!t.process.memory.zero(addr, len)) return -E.ENOMEM;
  }
  return 0;
}
