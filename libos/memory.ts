// A process's address space as the kernel-task sees it.
//
//   Vma        [start, end) of guest addresses backed by a host block at an offset,
//              with Linux protections. Sorted, non-overlapping.
//   HostBlock  memory the microkernel handed out as a Frame (counted against the user
//              kernel's Untyped quota). Several Vmas may share one (an ELF image, a
//              mapping split by mprotect, a parent and its forked child); it is
//              released when no address space uses it.
//
// fork copies on write: the child maps the parent's blocks, and every private writable
// Vma of both becomes `cow`, mapped read-only in the engine. The first write (a guest
// store faulting, or the kernel writing for a syscall) copies the 64 KiB granule
// around it into a fresh block, unless no other address space still uses the block,
// in which case the Vmas simply become writable again (Linux's reuse of an unshared
// page). MAP_SHARED anonymous memory stays one block across fork.
//
// MAP_SHARED file mappings map the blocks of the file's chunks in the page cache
// (page_cache.ts): a block with a FileChunk. The engine maps such a block read-only while
// it is clean (the first store marks it dirty, as Linux's write-protect dirty tracking)
// and PROT_NONE past the file's end (a touch there is SIGBUS); the kernel's own accesses
// stop at the file's end too.
//
// The guest's memory is ordinary host memory, so the kernel-task reads and writes it
// with typed arrays: no FFI call, no copy into message words. `view(addr, len, write)`
// returns the bytes in place or null, which syscalls turn into EFAULT.
//
// Layout (x86-64, as Linux with ASLR off): static-pie images at 0x555555554000, brk
// right after the image, mmap top-down below 0x7ffff7fff000, the stack below
// 0x7ffffffff000.

import { bytesToString } from "../linux-abi/_byte_string.ts";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../linux-abi/mman.ts";

export { PROT_EXEC, PROT_READ, PROT_WRITE } from "../linux-abi/mman.ts";
export const PAGE = 4096;
const PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC;

export const PIE_BASE = 0x555555554000;
export const MMAP_TOP = 0x7ffff7fff000;
export const STACK_TOP = 0x7ffffffff000;
export const STACK_SIZE = 8 * 1024 * 1024;
export const USER_TOP = 0x800000000000;
/** Linux's TASK_SIZE on x86-64: the end of the user address space (one guard page below 2^47). */
export const TASK_SIZE = 0x7ffffffff000;

/**
 * Linux's access_ok: [addr, addr+len) lies in the user address space. Checked before any
 * walk or allocation sized by a guest length, so a length near 2^64 is an EFAULT, not a
 * host RangeError (both values are exact below 2^53 and TASK_SIZE is far below that).
 */
export function accessOk(addr: number, len: number): boolean {
  return len <= TASK_SIZE && addr <= TASK_SIZE - len;
}

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

/** A block that holds a chunk of a shared file's pages (page_cache.ts). */
export interface FileChunk {
  /** The guest path the file was mapped by (/proc/PID/maps). */
  readonly path: string;
  /** Bytes of the block before the file's end, page-rounded: past them is SIGBUS. */
  valid: number;
  /** Stored to since the last write-back; while clean the engine maps the block read-only. */
  dirty: boolean;
  /** The block's last mapping is gone (before the block is freed): write back, forget it. */
  unmapped(): void;
}

export interface HostBlock {
  readonly id: number;
  mem: HostMemory;
  /** The VSpace that allocated it, which alone can give it back (fork shares blocks). */
  readonly owner: VSpace;
  /** Vmas using the block, per address space. */
  users: Map<GuestMemory, number>;
  /** Set when the block is a shared file's chunk. */
  file: FileChunk | null;
  /** Holders besides address spaces (a System V segment until IPC_RMID): see newHeldBlock. */
  holds: number;
}

/** How many Vmas map `block`, in every address space (a System V segment's shm_nattch). */
export function mappingsOf(block: HostBlock): number {
  let n = 0;
  for (const count of block.users.values()) n += count;
  return n;
}

/** The holder of a newHeldBlock lets go; the block goes once no Vma maps it either. */
export function dropHold(block: HostBlock): void {
  if (--block.holds === 0 && block.users.size === 0) block.owner.release(block.mem);
}

// How much a copy-on-write fault copies: big enough that a fork-heavy process does not
// fragment into single pages, small enough that a stack write after fork stays cheap.
const COW_GRANULE = 64 * 1024;

/** "interp": a dynamic program's interpreter (ld.so), mapped by the loader as the image is; "file": a shared file mapping. */
export type VmaKind = "image" | "interp" | "brk" | "stack" | "anon" | "file";

export interface Vma {
  start: number;
  end: number;
  prot: number;
  kind: VmaKind;
  block: HostBlock;
  /** Byte offset of `start` inside the block. */
  offset: number;
  /** MAP_SHARED: stays shared across fork. */
  shared: boolean;
  /** Shares its block with another address space until the first write. */
  cow: boolean;
  /** What mprotect may grant (Linux's VM_MAY*): a shared mapping of a read-only file may not become writable. */
  mayProt: number;
}

/** The protection the engine enforces: a copy-on-write Vma or a clean file chunk is read-only until written. */
const enginePerm = (v: Vma): number => (v.cow || (v.block.file !== null && !v.block.file.dirty) ? v.prot & ~PROT_WRITE : v.prot);

/** Where `v`'s accessible part ends: the Vma's end, or a file chunk's end of file. */
function accessibleEnd(v: Vma): number {
  const f = v.block.file;
  return f === null ? v.end : Math.max(v.start, Math.min(v.end, v.start + f.valid - v.offset));
}

export const pageDown = (a: number): number => a - (a % PAGE);
export const pageUp = (a: number): number => Math.ceil(a / PAGE) * PAGE;

/**
 * Names for address spaces and shared blocks, the futex keys' first half: one sequence per
 * user kernel, shared by every address space it makes (a fork's child's blocks meet the
 * parent's on a shared futex word).
 */
export class MemoryIds {
  #space = 1;
  #block = 1;

  space(): number {
    return this.#space++;
  }

  block(): number {
    return this.#block++;
  }
}

export class GuestMemory {
  readonly id: number;
  readonly #ids: MemoryIds;
  readonly #vspace: VSpace;
  readonly #vmas: Vma[] = [];
  #last: Vma | null = null;
  // Linux's free_area_cache for top-down mmap: the search for a free range starts at
  // #mmapFrom (nothing above it fitted an earlier request), unless a request fits the
  // largest hole a search skipped, #skippedHole; so a thread's stack is found without a
  // walk over every other thread's.
  #mmapFrom = MMAP_TOP;
  #skippedHole = 0;
  #brkStart = 0;
  #brk = 0;
  #brkMapped = 0;

  constructor(vspace: VSpace, ids: MemoryIds) {
    this.#vspace = vspace;
    this.#ids = ids;
    this.id = ids.space();
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
    if (!accessOk(addr, len)) return null;
    let v = this.find(addr);
    if (!v || (v.prot & prot) !== prot) return null;
    if (v.cow && prot & PROT_WRITE) {
      if (!this.unshare(addr, len)) return null;
      v = this.find(addr)!;
    }
    if (addr + len <= v.end) {
      if (v.block.file !== null && !this.#fileAccess(v, addr + len, prot)) return null;
      const at = v.offset + (addr - v.start);
      return v.block.mem.bytes.subarray(at, at + len);
    }
    // Spans Vmas: contiguous in the guest, possibly not on the host; gather a copy for
    // reads, refuse writes (callers use forEachChunk for those).
    if (prot & PROT_WRITE || !this.covers(addr, len, prot)) return null;
    const out = new Uint8Array(len);
    return this.forEachChunk(addr, len, prot, (chunk, done) => out.set(chunk, done)) ? out : null;
  }

  /**
   * The bytes from `addr` in place, as many of `len` as one mapping holds (at least one),
   * or null (EFAULT): a range that spans mappings, piece by piece, without a copy.
   */
  prefix(addr: number, len: number, prot: number): Uint8Array | null {
    if (len === 0) return EMPTY;
    if (!accessOk(addr, len)) return null;
    let v = this.find(addr);
    if (!v || (v.prot & prot) !== prot) return null;
    if (v.cow && prot & PROT_WRITE) {
      // Unsharing may split the mapping: the piece ends where the unshared part does.
      if (!this.unshare(addr, Math.min(len, v.end - addr))) return null;
      v = this.find(addr)!;
    }
    const n = Math.min(len, accessibleEnd(v) - addr);
    return n > 0 ? this.view(addr, n, prot) : null;
  }

  /** Visit the guest range as host chunks; false if any part is unmapped or lacks `prot`. */
  forEachChunk(addr: number, len: number, prot: number, fn: (chunk: Uint8Array, done: number) => void): boolean {
    if (!accessOk(addr, len)) return false;
    if (prot & PROT_WRITE && !this.unshare(addr, len)) return false;
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const v = this.find(a);
      if (!v || (v.prot & prot) !== prot) return false;
      const n = Math.min(len - done, v.end - a);
      if (v.block.file !== null && !this.#fileAccess(v, a + n, prot)) return false;
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
    if (!this.covers(addr, src.length, PROT_WRITE)) return false;
    return this.forEachChunk(addr, src.length, PROT_WRITE, (chunk, done) => chunk.set(src.subarray(done, done + chunk.length)));
  }

  /** Kernel writes (loader, signal frames) ignore write protection as Linux's do. */
  poke(addr: number, src: Uint8Array): boolean {
    if (!this.unshare(addr, src.length)) return false;
    return this.forEachChunk(addr, src.length, 0, (chunk, done) => chunk.set(src.subarray(done, done + chunk.length)));
  }

  /** Zero a range in place (madvise(MADV_DONTNEED), brk shrink); false if unmapped. */
  zero(addr: number, len: number): boolean {
    if (!this.unshare(addr, len)) return false;
    return this.forEachChunk(addr, len, 0, (chunk) => chunk.fill(0));
  }

  /** How many bytes from `addr` (at most `len`) are mapped with `prot`: where a copy_to/from_user would fault. */
  extent(addr: number, len: number, prot: number): number {
    let a = addr;
    const end = addr + len;
    while (a < end) {
      const v = this.find(a);
      if (!v || (v.prot & prot) !== prot || a >= accessibleEnd(v)) break;
      a = accessibleEnd(v);
    }
    return Math.min(a, end) - addr;
  }

  /** Whether every byte of the range is mapped with `prot` (no copy, no allocation). */
  covers(addr: number, len: number, prot: number): boolean {
    if (!accessOk(addr, len)) return false;
    let a = addr;
    const end = addr + len;
    while (a < end) {
      const v = this.find(a);
      if (!v || (v.prot & prot) !== prot || a >= accessibleEnd(v)) return false;
      a = accessibleEnd(v);
    }
    return true;
  }

  /**
   * A kernel access to a file chunk ending at `end`: refused past the file's end, and a
   * write marks the chunk dirty (the engine's read-only mapping is lifted at the guest's
   * next store, by its fault).
   */
  #fileAccess(v: Vma, end: number, prot: number): boolean {
    if (end > accessibleEnd(v)) return false;
    if (prot & PROT_WRITE) v.block.file!.dirty = true;
    return true;
  }

  /** The C string at `addr` as a byte string (see linux-abi/_byte_string.ts); null if no NUL within `max` bytes. */
  readCString(addr: number, max: number): string | null {
    let a = addr;
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < max) {
      const v = this.find(a);
      if (!v || (v.prot & PROT_READ) === 0 || a >= accessibleEnd(v)) return null;
      const at = v.offset + (a - v.start);
      const avail = Math.min(accessibleEnd(v) - a, max - total);
      const bytes = v.block.mem.bytes.subarray(at, at + avail);
      const nul = bytes.indexOf(0);
      if (nul >= 0) {
        parts.push(bytes.subarray(0, nul));
        return bytesToString(parts.length === 1 ? parts[0]! : concat(parts));
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

  /** Stores a non-negative safe integer as a little-endian u64; false if not writable. */
  setU64(addr: number, value: number): boolean {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, value >>> 0, true);
    view.setUint32(4, Math.floor(value / 4294967296), true);
    return this.write(addr, bytes);
  }

  // ----- mapping -----------------------------------------------------------------

  #insert(vma: Vma): void {
    this.#vmas.splice(this.#firstEndingAfter(vma.start), 0, vma);
  }

  /** Index of the first Vma that ends above `addr` (the Vmas are sorted and disjoint). */
  #firstEndingAfter(addr: number): number {
    const v = this.#vmas;
    let lo = 0, hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v[mid]!.end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #newBlock(size: number, file: FileChunk | null = null): HostBlock | null {
    const mem = this.#vspace.allocate(size);
    return mem ? { id: this.#ids.block(), mem, owner: this.#vspace, users: new Map(), file, holds: 0 } : null;
  }

  /** A fresh zeroed block for a shared file's chunk (page_cache.ts); freed when its last mapping goes. */
  newFileBlock(size: number, file: FileChunk): HostBlock | null {
    return this.#newBlock(size, file);
  }

  #addUser(block: HostBlock): void {
    block.users.set(this, (block.users.get(this) ?? 0) + 1);
  }

  #dropUser(block: HostBlock): void {
    const n = (block.users.get(this) ?? 1) - 1;
    if (n > 0) block.users.set(this, n);
    else block.users.delete(this);
    if (block.users.size > 0 || block.holds > 0) return;
    block.file?.unmapped();
    block.owner.release(block.mem);
  }

  #mapVma(vma: Vma): boolean {
    if (!this.#vspace.map(vma.start, vma.block.mem.hostAddress + vma.offset, vma.end - vma.start, enginePerm(vma))) return false;
    this.#addUser(vma.block);
    this.#insert(vma);
    if (vma.block.file !== null) this.#protectEngine(vma, vma.start, vma.end);
    return true;
  }

  /** The engine's protection of [s, e) of `v`: enginePerm, and none past a file chunk's end of file. */
  #protectEngine(v: Vma, s: number, e: number): void {
    const cut = Math.min(e, Math.max(s, accessibleEnd(v)));
    if (s < cut) this.#vspace.protect(s, cut - s, enginePerm(v));
    if (cut < e) this.#vspace.protect(cut, e - cut, 0);
  }

  /** A file chunk became dirty or clean, or its end of file moved: its Vmas here follow. */
  refreshBlock(block: HostBlock): void {
    for (const v of this.#vmas) if (v.block === block) this.#protectEngine(v, v.start, v.end);
  }

  /**
   * Maps [start, start+size) onto `pieces` of existing blocks (a shared file's chunks),
   * in order, as one mapping. The range must be free. False if the engine refuses (the
   * pieces mapped so far are undone).
   */
  mapBlocks(start: number, pieces: ReadonlyArray<{ block: HostBlock; offset: number; size: number }>, prot: number, mayProt: number): boolean {
    let at = start;
    for (const p of pieces) {
      const vma: Vma = { start: at, end: at + p.size, prot, kind: "file", block: p.block, offset: p.offset, shared: true, cow: false, mayProt };
      if (!this.#mapVma(vma)) {
        if (at > start) this.unmap(start, at - start);
        return false;
      }
      at += p.size;
    }
    return true;
  }

  /** A piece of `v` as its own Vma, sharing its block. */
  #slice(v: Vma, start: number, end: number): Vma {
    this.#addUser(v.block);
    return { ...v, start, end, offset: v.offset + (start - v.start) };
  }

  isFree(start: number, end: number): boolean {
    const i = this.#firstEndingAfter(start);
    return i === this.#vmas.length || this.#vmas[i]!.start >= end;
  }

  /**
   * Map a fresh zeroed region. `pieces` lets one block back several Vmas with different
   * protections (an ELF image's segments). Returns the block's bytes or null (ENOMEM).
   */
  mapRegion(start: number, size: number, pieces: ReadonlyArray<{ at: number; size: number; prot: number }>, kind: VmaKind, shared = false): Uint8Array | null {
    const block = this.#newBlock(size);
    if (!block) return null;
    for (const p of pieces) {
      const vma: Vma = { start: start + p.at, end: start + p.at + p.size, prot: p.prot, kind, block, offset: p.at, shared, cow: false, mayProt: PROT_ALL };
      if (!this.#mapVma(vma)) {
        // Undo the pieces already mapped; the last one gone releases the block.
        if (block.users.size > 0) this.unmap(start, size);
        else this.#vspace.release(block.mem);
        return null;
      }
    }
    return block.mem.bytes;
  }

  /**
   * A zeroed block that outlives its mappings (System V shared memory), charged to this
   * space's quota: it stays until dropHold and the last unmap. Null: ENOMEM.
   */
  newHeldBlock(size: number): HostBlock | null {
    const block = this.#newBlock(pageUp(size));
    if (block) block.holds = 1;
    return block;
  }

  /** Map `block` from its start at [start, start+len) as MAP_SHARED memory (shmat); false: ENOMEM. */
  mapBlock(block: HostBlock, start: number, len: number, prot: number, mayProt: number): boolean {
    return this.#mapVma({ start, end: start + len, prot, kind: "anon", block, offset: 0, shared: true, cow: false, mayProt });
  }

  /** Choose a free range for mmap(NULL, …): the highest gap below MMAP_TOP, like Linux. */
  findFree(size: number): number {
    let top = this.#mmapFrom;
    if (size <= this.#skippedHole) {
      top = MMAP_TOP;
      this.#skippedHole = 0;
    }
    // From the Vma that holds `top` or lies below it, downwards.
    for (let i = Math.min(this.#firstEndingAfter(top), this.#vmas.length - 1); i >= 0; i--) {
      const v = this.#vmas[i]!;
      if (v.start >= top) continue;
      if (v.end <= top - size) break;
      this.#skippedHole = Math.max(this.#skippedHole, top - v.end);
      top = v.start;
    }
    // The top of the gap chosen, not its bottom: asking again, with nothing mapped in
    // between, gives the same answer.
    this.#mmapFrom = top;
    return top - size;
  }

  /**
   * Where mmap puts `size` bytes: `addr` itself if `fixed` (whatever was there is unmapped),
   * the hint if free, else the highest free gap. -ENOMEM if there is no room.
   */
  place(addr: number, size: number, fixed: boolean): number {
    const len = pageUp(size);
    const hint = pageUp(addr);
    const start = fixed ? addr : hint && this.isFree(hint, hint + len) && hint + len <= USER_TOP ? hint : this.findFree(len);
    if (start <= 0 || start + len > USER_TOP) return -12; // ENOMEM
    if (fixed) this.unmap(start, len);
    return start;
  }

  mmapAnonymous(addr: number, size: number, prot: number, fixed: boolean, shared = false): number {
    const start = this.place(addr, size, fixed);
    if (start < 0) return start;
    const bytes = this.mapRegion(start, pageUp(size), [{ at: 0, size: pageUp(size), prot }], "anon", shared);
    return bytes ? start : -12;
  }

  /** Whether every page of [addr, addr+len) is mapped, whatever its protection. */
  isMapped(addr: number, len: number): boolean {
    if (!accessOk(addr, len)) return false;
    let a = addr;
    for (const v of this.touching(addr, addr + len)) {
      if (v.start > a) return false;
      a = v.end;
    }
    return a >= addr + len;
  }

  /** The Vmas that overlap [start, end), in order. */
  touching(start: number, end: number): Vma[] {
    const out: Vma[] = [];
    for (let i = this.#firstEndingAfter(start); i < this.#vmas.length && this.#vmas[i]!.start < end; i++) out.push(this.#vmas[i]!);
    return out;
  }

  /**
   * Moves the mappings of [from, from+len) to `to` (a free range): the same blocks at the
   * new addresses, nothing copied (mremap). False, changing nothing, if the engine refuses.
   */
  moveRange(from: number, len: number, to: number): boolean {
    const moved = this.touching(from, from + len).map((v): Vma => {
      const s = Math.max(v.start, from), e = Math.min(v.end, from + len);
      return { ...v, start: to + (s - from), end: to + (e - from), offset: v.offset + (s - v.start) };
    });
    for (let i = 0; i < moved.length; i++) {
      if (!this.#mapVma(moved[i]!)) {
        if (i > 0) this.unmap(to, moved[i - 1]!.end - to);
        return false;
      }
    }
    this.unmap(from, len);
    return true;
  }

  /**
   * madvise(MADV_DONTNEED): private pages of the range read as zero again; shared ones
   * keep their contents (Linux reads them back from the object). False if any page is unmapped.
   */
  discard(addr: number, len: number): boolean {
    if (!this.isMapped(addr, len)) return false;
    for (const v of this.touching(addr, addr + len)) {
      if (v.shared) continue;
      const s = Math.max(v.start, addr), e = Math.min(v.end, addr + len);
      if (!this.zero(s, e - s)) return false;
    }
    return true;
  }

  /** Remove [start, start+size) from every Vma it touches, splitting where needed. */
  unmap(start: number, size: number): void {
    const end = start + pageUp(size);
    const first = this.#firstEndingAfter(start);
    let last = first;
    const keep: Vma[] = [];
    for (; last < this.#vmas.length && this.#vmas[last]!.start < end; last++) {
      const v = this.#vmas[last]!;
      const cutStart = Math.max(v.start, start);
      const cutEnd = Math.min(v.end, end);
      this.#vspace.unmap(cutStart, cutEnd - cutStart);
      if (v.start < cutStart) keep.push(this.#slice(v, v.start, cutStart));
      if (cutEnd < v.end) keep.push(this.#slice(v, cutEnd, v.end));
      this.#dropUser(v.block);
    }
    if (first === last) return;
    this.#vmas.splice(first, last - first, ...keep);
    this.#last = null;
    if (end > this.#mmapFrom) this.#mmapFrom = Math.min(end, MMAP_TOP);
  }

  /** mprotect: every page of the range must be mapped (else ENOMEM, as Linux). */
  protect(start: number, size: number, prot: number): number {
    const end = start + pageUp(size);
    let a = start;
    while (a < end) {
      const v = this.find(a);
      if (!v) return -12; // ENOMEM
      if (prot & ~v.mayProt) return -13; // EACCES
      a = v.end;
    }
    const first = this.#firstEndingAfter(start);
    let last = first;
    const out: Vma[] = [];
    for (; last < this.#vmas.length && this.#vmas[last]!.start < end; last++) {
      const v = this.#vmas[last]!;
      if (v.prot === prot) {
        out.push(v);
        continue;
      }
      const s = Math.max(v.start, start), e = Math.min(v.end, end);
      if (v.start < s) out.push(this.#slice(v, v.start, s));
      const changed = this.#slice(v, s, e);
      changed.prot = prot;
      out.push(changed);
      if (e < v.end) out.push(this.#slice(v, e, v.end));
      this.#dropUser(v.block);
      this.#protectEngine(changed, s, e);
    }
    this.#vmas.splice(first, last - first, ...out);
    this.#last = null;
    return 0;
  }

  /**
   * What a futex on `addr` is keyed by: the address in this space, or for MAP_SHARED
   * memory the block and offset, so processes sharing it meet on the same word.
   */
  futexKey(addr: number): string | null {
    const v = this.find(addr);
    if (!v) return null;
    return v.shared ? `b${v.block.id}:${v.offset + (addr - v.start)}` : `m${this.id}:${addr}`;
  }

  // ----- fork and copy on write ---------------------------------------------------

  /** A copy-on-write copy of this address space over `vspace` (fork). Null: ENOMEM. */
  fork(vspace: VSpace): GuestMemory | null {
    const child = new GuestMemory(vspace, this.#ids);
    for (const v of this.#vmas) {
      // Every private Vma: a later mprotect(PROT_WRITE) must not write the shared block.
      if (!v.shared && !v.cow) {
        v.cow = true;
        if (v.prot & PROT_WRITE) this.#vspace.protect(v.start, v.end - v.start, enginePerm(v));
      }
      if (!child.#mapVma({ ...v })) {
        child.release();
        return null;
      }
    }
    child.#brkStart = this.#brkStart;
    child.#brk = this.#brk;
    child.#brkMapped = this.#brkMapped;
    return child;
  }

  /**
   * A guest store hit a read-only page: if the Vma is copy-on-write, make [addr] writable
   * (copying its granule if another address space still shares the block). False: a real
   * protection fault, or no memory left for the copy (the caller tells them apart with
   * `isCopyOnWrite`).
   */
  resolveWriteFault(addr: number): boolean {
    const v = this.find(addr);
    if (!v || (v.prot & PROT_WRITE) === 0) return false;
    const f = v.block.file;
    if (f !== null && addr < accessibleEnd(v)) {
      // The first store to a clean file chunk (or the first here since the kernel wrote it).
      f.dirty = true;
      this.refreshBlock(v.block);
      return true;
    }
    return v.cow && this.#breakCow(v, addr);
  }

  /** A fault at `addr` lies in a shared file mapping past the file's end: SIGBUS, as Linux. */
  isPastEndOfFile(addr: number): boolean {
    const v = this.find(addr);
    return v !== null && v.block.file !== null && addr >= accessibleEnd(v);
  }

  isCopyOnWrite(addr: number): boolean {
    const v = this.find(addr);
    return v !== null && v.cow && (v.prot & PROT_WRITE) !== 0;
  }

  /** Make every copy-on-write page of [addr, addr+len) private before the kernel writes it. */
  unshare(addr: number, len: number): boolean {
    if (!accessOk(addr, len)) return false;
    let a = addr;
    const end = addr + len;
    while (a < end) {
      const v = this.find(a);
      if (!v) return true; // the write itself reports the hole
      if (v.cow && !this.#breakCow(v, a)) return false;
      const now = this.find(a)!;
      a = now.end;
    }
    return true;
  }

  #breakCow(v: Vma, addr: number): boolean {
    const block = v.block;
    if (block.users.size === 1) {
      // Nobody else uses the block any more: every Vma of ours on it becomes writable.
      for (const w of this.#vmas) {
        if (w.block !== block || !w.cow) continue;
        w.cow = false;
        this.#vspace.protect(w.start, w.end - w.start, enginePerm(w));
      }
      return true;
    }
    const g0 = Math.max(v.start, addr - (addr % COW_GRANULE));
    const g1 = Math.min(v.end, g0 - (g0 % COW_GRANULE) + COW_GRANULE);
    const copy = this.#newBlock(g1 - g0);
    if (!copy) return false;
    const at = v.offset + (g0 - v.start);
    copy.mem.bytes.set(block.mem.bytes.subarray(at, at + (g1 - g0)));
    const i = this.#firstEndingAfter(v.start);
    const pieces: Vma[] = [];
    if (v.start < g0) pieces.push(this.#slice(v, v.start, g0));
    const fresh: Vma = { ...v, start: g0, end: g1, block: copy, offset: 0, cow: false };
    this.#addUser(copy);
    pieces.push(fresh);
    if (g1 < v.end) pieces.push(this.#slice(v, g1, v.end));
    this.#vmas.splice(i, 1, ...pieces);
    this.#last = null;
    this.#vspace.unmap(g0, g1 - g0);
    this.#vspace.map(g0, copy.mem.hostAddress, g1 - g0, enginePerm(fresh));
    this.#dropUser(block);
    return true;
  }

  /** Give back every block (exit, exec): the engine goes with the address space. */
  release(): void {
    for (const v of this.#vmas) this.#dropUser(v.block);
    this.#vmas.length = 0;
    this.#last = null;
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
      this.zero(request, this.#brk - request);
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
