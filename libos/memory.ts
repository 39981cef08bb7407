// A process's address space as the kernel-task sees it.
//
//   Vma        [start, end) of guest addresses backed by a host block at an offset,
//              with Linux protections. Sorted, non-overlapping.
//   HostBlock  memory the microkernel handed out as a Frame (counted against the user
//              kernel's Untyped quota). Several Vmas may share one (an ELF image, a
//              mapping split by mprotect); it is released when none uses it.
//
// The guest's memory is ordinary host memory, so the kernel-task reads and writes it
// with typed arrays: no FFI call, no copy into message words. `view(addr, len, write)`
// returns the bytes in place or null, which syscalls turn into EFAULT.
//
// Layout (x86-64, as Linux with ASLR off): static-pie images at 0x555555554000, brk
// right after the image, mmap top-down below 0x7ffff7fff000, the stack below
// 0x7ffffffff000.

import { PROT_READ, PROT_WRITE } from "../linux-abi/mman.ts";

export { PROT_EXEC, PROT_READ, PROT_WRITE } from "../linux-abi/mman.ts";
export const PAGE = 4096;

export const PIE_BASE = 0x555555554000;
export const MMAP_TOP = 0x7ffff7fff000;
export const STACK_TOP = 0x7ffffffff000;
export const STACK_SIZE = 8 * 1024 * 1024;
export const USER_TOP = 0x800000000000;

// brk grows in chunks that double (each its own frame) so a malloc that moves brk by a
// few KiB does not create an engine mapping each time; the program-visible break stays
// exact. Pages between the break and the chunk's end are accessible, as in Linux the
// rest of the break's last page is.
const BRK_CHUNK = 256 * 1024;
const BRK_LIMIT = 16 * 1024 * 1024 * 1024;

export interface HostMemory {
  readonly bytes: Uint8Array;
  readonly hostAddress: number;
}

/** What the address space needs from the microkernel: frames and their mappings. */
export interface VSpace {
  allocate(size: number): HostMemory | null;
  release(mem: HostMemory): void;
  map(vaddr: number, hostAddress: number, size: number, prot: number): boolean;
  unmap(vaddr: number, size: number): void;
  protect(vaddr: number, size: number, prot: number): void;
}

interface HostBlock {
  mem: HostMemory;
  users: number;
}

export type VmaKind = "image" | "brk" | "stack" | "anon";

export interface Vma {
  start: number;
  end: number;
  prot: number;
  kind: VmaKind;
  block: HostBlock;
  /** Byte offset of `start` inside the block. */
  offset: number;
}

export const pageDown = (a: number): number => a - (a % PAGE);
export const pageUp = (a: number): number => Math.ceil(a / PAGE) * PAGE;

export class GuestMemory {
  readonly #vspace: VSpace;
  readonly #vmas: Vma[] = [];
  #last: Vma | null = null;
  #brkStart = 0;
  #brk = 0;
  #brkMapped = 0;
  readonly #decoder = new TextDecoder();

  constructor(vspace: VSpace) {
    this.#vspace = vspace;
  }

  get vmas(): readonly Vma[] {
    return this.#vmas;
  }

  find(addr: number): Vma | null {
    const last = this.#last;
    if (last && addr >= last.start && addr < last.end) return last;
    const v = this.#vmas;
    let lo = 0, hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = v[mid]!;
      if (addr < m.start) hi = mid - 1;
      else if (addr >= m.end) lo = mid + 1;
      else return (this.#last = m);
    }
    return null;
  }

  /** Bytes of guest memory in place, or null (EFAULT) if any part is missing or lacks `prot`. */
  view(addr: number, len: number, prot: number): Uint8Array | null {
    if (len === 0) return EMPTY;
    const v = this.find(addr);
    if (!v || (v.prot & prot) !== prot) return null;
    if (addr + len <= v.end) {
      const at = v.offset + (addr - v.start);
      return v.block.mem.bytes.subarray(at, at + len);
    }
    // Spans Vmas: contiguous in the guest, possibly not on the host; gather a copy for
    // reads, refuse writes (callers use forEachChunk for those).
    if (prot & PROT_WRITE) return null;
    const out = new Uint8Array(len);
    return this.forEachChunk(addr, len, prot, (chunk, done) => out.set(chunk, done)) ? out : null;
  }

  /** Visit the guest range as host chunks; false if any part is unmapped or lacks `prot`. */
  forEachChunk(addr: number, len: number, prot: number, fn: (chunk: Uint8Array, done: number) => void): boolean {
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const v = this.find(a);
      if (!v || (v.prot & prot) !== prot) return false;
      const n = Math.min(len - done, v.end - a);
      const at = v.offset + (a - v.start);
      fn(v.block.mem.bytes.subarray(at, at + n), done);
      done += n;
    }
    return true;
  }

  read(addr: number, dst: Uint8Array): boolean {
    return this.forEachChunk(addr, dst.length, PROT_READ, (chunk, done) => dst.set(chunk, done));
  }

  write(addr: number, src: Uint8Array): boolean {
    if (!this.#writable(addr, src.length)) return false;
    return this.forEachChunk(addr, src.length, PROT_WRITE, (chunk, done) => chunk.set(src.subarray(done, done + chunk.length)));
  }

  /** Kernel writes (loader, signal frames) ignore write protection as Linux's do. */
  poke(addr: number, src: Uint8Array): boolean {
    return this.forEachChunk(addr, src.length, 0, (chunk, done) => chunk.set(src.subarray(done, done + chunk.length)));
  }

  #writable(addr: number, len: number): boolean {
    let a = addr;
    const end = addr + len;
    while (a < end) {
      const v = this.find(a);
      if (!v || (v.prot & PROT_WRITE) === 0) return false;
      a = v.end;
    }
    return true;
  }

  readCString(addr: number, max: number): string | null {
    let a = addr;
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < max) {
      const v = this.find(a);
      if (!v || (v.prot & PROT_READ) === 0) return null;
      const at = v.offset + (a - v.start);
      const avail = Math.min(v.end - a, max - total);
      const bytes = v.block.mem.bytes.subarray(at, at + avail);
      const nul = bytes.indexOf(0);
      if (nul >= 0) {
        parts.push(bytes.subarray(0, nul));
        return this.#decoder.decode(parts.length === 1 ? parts[0] : concat(parts));
      }
      parts.push(bytes);
      total += avail;
      a += avail;
    }
    return null;
  }

  u32(addr: number): number | null {
    const b = this.view(addr, 4, PROT_READ);
    return b ? (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0 : null;
  }

  u64(addr: number): number | null {
    const lo = this.u32(addr);
    const hi = this.u32(addr + 4);
    return lo === null || hi === null ? null : hi * 4294967296 + lo;
  }

  // ----- mapping -----------------------------------------------------------------

  #insert(vma: Vma): void {
    const v = this.#vmas;
    let i = 0;
    while (i < v.length && v[i]!.start < vma.start) i++;
    v.splice(i, 0, vma);
  }

  #newBlock(size: number): HostBlock | null {
    const mem = this.#vspace.allocate(size);
    return mem ? { mem, users: 0 } : null;
  }

  #mapVma(start: number, end: number, prot: number, kind: VmaKind, block: HostBlock, offset: number): boolean {
    if (!this.#vspace.map(start, block.mem.hostAddress + offset, end - start, prot)) return false;
    block.users++;
    this.#insert({ start, end, prot, kind, block, offset });
    return true;
  }

  #dropUser(block: HostBlock): void {
    if (--block.users === 0) this.#vspace.release(block.mem);
  }

  isFree(start: number, end: number): boolean {
    return this.#vmas.every((v) => v.end <= start || v.start >= end);
  }

  /**
   * Map a fresh zeroed region. `pieces` lets one block back several Vmas with different
   * protections (an ELF image's segments). Returns the block's bytes or null (ENOMEM).
   */
  mapRegion(start: number, size: number, pieces: ReadonlyArray<{ at: number; size: number; prot: number }>, kind: VmaKind): Uint8Array | null {
    const block = this.#newBlock(size);
    if (!block) return null;
    for (const p of pieces) {
      if (!this.#mapVma(start + p.at, start + p.at + p.size, p.prot, kind, block, p.at)) {
        // Undo the pieces already mapped; the last one gone releases the block.
        if (block.users > 0) this.unmap(start, size);
        else this.#vspace.release(block.mem);
        return null;
      }
    }
    return block.mem.bytes;
  }

  /** Choose a free range for mmap(NULL, …): the highest gap below MMAP_TOP, like Linux. */
  findFree(size: number): number {
    let top = MMAP_TOP;
    for (let i = this.#vmas.length - 1; i >= 0; i--) {
      const v = this.#vmas[i]!;
      if (v.start >= top) continue;
      if (v.end <= top - size) break;
      top = v.start;
    }
    return top - size;
  }

  mmapAnonymous(addr: number, size: number, prot: number, fixed: boolean): number {
    const len = pageUp(size);
    const hint = pageUp(addr);
    const start = fixed ? addr : hint && this.isFree(hint, hint + len) && hint + len <= USER_TOP ? hint : this.findFree(len);
    if (start <= 0 || start + len > USER_TOP) return -12; // ENOMEM
    if (fixed) this.unmap(start, len);
    const bytes = this.mapRegion(start, len, [{ at: 0, size: len, prot }], "anon");
    return bytes ? start : -12;
  }

  /** Remove [start, start+size) from every Vma it touches, splitting where needed. */
  unmap(start: number, size: number): void {
    const end = start + pageUp(size);
    const keep: Vma[] = [];
    for (const v of this.#vmas) {
      if (v.end <= start || v.start >= end) {
        keep.push(v);
        continue;
      }
      const cutStart = Math.max(v.start, start);
      const cutEnd = Math.min(v.end, end);
      this.#vspace.unmap(cutStart, cutEnd - cutStart);
      if (v.start < cutStart) {
        keep.push({ ...v, end: cutStart });
        v.block.users++;
      }
      if (cutEnd < v.end) {
        keep.push({ ...v, start: cutEnd, offset: v.offset + (cutEnd - v.start) });
        v.block.users++;
      }
      this.#dropUser(v.block);
    }
    this.#vmas.length = 0;
    this.#vmas.push(...keep);
    this.#last = null;
  }

  /** mprotect: every page of the range must be mapped (else ENOMEM, as Linux). */
  protect(start: number, size: number, prot: number): number {
    const end = start + pageUp(size);
    let a = start;
    while (a < end) {
      const v = this.find(a);
      if (!v) return -12;
      a = v.end;
    }
    const out: Vma[] = [];
    for (const v of this.#vmas) {
      if (v.end <= start || v.start >= end || v.prot === prot) {
        out.push(v);
        continue;
      }
      const s = Math.max(v.start, start), e = Math.min(v.end, end);
      if (v.start < s) {
        out.push({ ...v, end: s });
        v.block.users++;
      }
      out.push({ ...v, start: s, end: e, prot, offset: v.offset + (s - v.start) });
      if (e < v.end) {
        out.push({ ...v, start: e, offset: v.offset + (e - v.start) });
        v.block.users++;
      }
      this.#vspace.protect(s, e - s, prot);
    }
    this.#vmas.length = 0;
    this.#vmas.push(...out);
    this.#last = null;
    return 0;
  }

  // ----- brk ---------------------------------------------------------------------

  initBrk(at: number): void {
    this.#brkStart = this.#brk = this.#brkMapped = pageUp(at);
  }

  get brk(): number {
    return this.#brk;
  }

  /** Linux brk(2): returns the new break, or the old one when the request fails. */
  setBrk(request: number): number {
    if (request < this.#brkStart || request > this.#brkStart + BRK_LIMIT) return this.#brk;
    const needed = pageUp(request);
    if (needed > this.#brkMapped) {
      const grow = Math.max(BRK_CHUNK, needed - this.#brkMapped, this.#brkMapped - this.#brkStart);
      const mapEnd = this.#brkMapped + pageUp(grow);
      if (!this.isFree(this.#brkMapped, mapEnd)) return this.#brk;
      if (!this.mapRegion(this.#brkMapped, mapEnd - this.#brkMapped, [{ at: 0, size: mapEnd - this.#brkMapped, prot: PROT_READ | PROT_WRITE }], "brk")) {
        return this.#brk;
      }
      this.#brkMapped = mapEnd;
    } else if (request < this.#brk) {
      // Shrinking: zero what the program gave back so a later grow sees fresh pages.
      this.forEachChunk(request, this.#brk - request, 0, (chunk) => chunk.fill(0));
    }
    this.#brk = request;
    return request;
  }
}

const EMPTY = new Uint8Array(0);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
