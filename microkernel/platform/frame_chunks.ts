// Host memory for guest frames, carved out of large anonymous mappings (chunks).
//
// Why: Unicorn keeps one memory region per uc_mem_map_ptr, and every map or unmap rebuilds
// its view of all of them (measured, Unicorn 2.1.4: ~0.14 ms per call with 500 regions,
// ~1.2 ms with 2,000, ~5 ms with 4,000), so one region per frame made each thread stack,
// copy-on-write granule and brk chunk cost more than the last: thread creation was
// quadratic. With the virtual TLB an engine maps each chunk once, at a physical address
// equal to its host address, and translates guest pages into it itself
// (unicorn_x86_64.ts), so a guest mmap or munmap is a table change.
//
// A frame of up to SHARED_MAX bytes comes from a shared chunk of CHUNK_BYTES (first fit
// over its free runs); a larger one gets a chunk of its own. Freed pages are given back
// to the host (MADV_DONTNEED), so they cost nothing and read as zero when reused. A chunk
// with nothing left in it is dropped by every engine that mapped it and unmapped, except
// one shared chunk kept for the next frame.

import { hostMadvise, hostMmap, hostMunmap, nativeView, type NativeBlock } from "./unicorn_ffi.ts";

const CHUNK_BYTES = 64 * 1024 * 1024;
const SHARED_MAX = 8 * 1024 * 1024;
/**
 * The part of a chunk one view shows (Chunk.bytesAt). Windows start every SHARED_MAX
 * bytes and span two of those steps, so any shared frame lies whole in one of them.
 */
const WINDOW_STEP = SHARED_MAX;
const WINDOW_BYTES = 2 * WINDOW_STEP;
const PAGE = 4096;

/** An engine that mapped a chunk: told before the chunk goes back to the host. */
export interface ChunkUser {
  dropChunk(chunk: Chunk): void;
}

export class Chunk {
  /** Engines that mapped this chunk. */
  readonly users = new Set<ChunkUser>();
  /** Free runs, sorted and coalesced: [freeStarts[i], freeEnds[i]) as host addresses. */
  readonly #freeStarts: number[];
  readonly #freeEnds: number[];
  #used = 0;
  /** Views of its windows (WINDOW_BYTES each, one every WINDOW_STEP), made when a frame first lies in one. */
  readonly #windows: (Uint8Array | undefined)[] = [];

  constructor(
    readonly address: number,
    readonly size: number,
    /** Shared by small frames, rather than one large frame's own. */
    readonly shared = false,
  ) {
    this.#freeStarts = [address];
    this.#freeEnds = [address + size];
  }

  get empty(): boolean {
    return this.#used === 0;
  }

  /**
   * The `bytes` at host `address` in this chunk: a part of the view of the window they lie
   * in, made once. A view of its own per frame counted as new external memory for V8 each
   * time, and a fork+exec (stack, heap, copy-on-write copies) then started a full garbage
   * collection every few iterations (~35 ms each, most of the loop's time). One view of the
   * whole chunk did the same once, at start-up: 64 MiB of views at once is V8's threshold
   * for a full collection. Windows overlap by half, so a frame of a shared chunk always
   * lies in one: with windows side by side, the 8 MiB stack of every exec straddled two
   * and got an 8 MiB view of its own (a full collection every three or four
   * fork+exec+wait iterations). A large frame's own chunk, past its first window, gets a
   * view of its own, once.
   */
  bytesAt(address: number, bytes: number): Uint8Array {
    const offset = address - this.address;
    const w = Math.floor(offset / WINDOW_STEP);
    const start = w * WINDOW_STEP;
    if (offset + bytes > start + WINDOW_BYTES) return nativeView(address, bytes);
    const view = (this.#windows[w] ??= nativeView(this.address + start, Math.min(WINDOW_BYTES, this.size - start)));
    return view.subarray(offset - start, offset - start + bytes);
  }

  /** First fit: the address of `bytes` taken from a free run, or -1. */
  take(bytes: number): number {
    for (let i = 0; i < this.#freeStarts.length; i++) {
      const at = this.#freeStarts[i]!;
      if (this.#freeEnds[i]! - at < bytes) continue;
      if (this.#freeEnds[i]! - at === bytes) {
        this.#freeStarts.splice(i, 1);
        this.#freeEnds.splice(i, 1);
      } else {
        this.#freeStarts[i] = at + bytes;
      }
      this.#used += bytes;
      return at;
    }
    return -1;
  }

  give(address: number, bytes: number): void {
    let i = 0, hi = this.#freeStarts.length;
    while (i < hi) {
      const mid = (i + hi) >>> 1;
      if (this.#freeStarts[mid]! < address) i = mid + 1;
      else hi = mid;
    }
    const end = address + bytes;
    const joinsBefore = i > 0 && this.#freeEnds[i - 1] === address;
    const joinsAfter = i < this.#freeStarts.length && this.#freeStarts[i] === end;
    if (joinsBefore && joinsAfter) {
      this.#freeEnds[i - 1] = this.#freeEnds[i]!;
      this.#freeStarts.splice(i, 1);
      this.#freeEnds.splice(i, 1);
    } else if (joinsBefore) {
      this.#freeEnds[i - 1] = end;
    } else if (joinsAfter) {
      this.#freeStarts[i] = address;
    } else {
      this.#freeStarts.splice(i, 0, address);
      this.#freeEnds.splice(i, 0, end);
    }
    this.#used -= bytes;
  }
}

// Chunks by address, so an engine finds the chunk of a frame with a binary search. The
// host allocator of every user kernel on this thread (as malloc is): a frame is zero when
// handed out and its pages go back to the host when freed, so nothing of one kernel's
// memory reaches another's, and each engine reaches a chunk only through its own tables.
const chunks: Chunk[] = [];
let spare: Chunk | null = null;

/** Page-aligned, zero-filled host memory for a guest frame. Throws RangeError when the host has none. */
export function allocFrameMemory(size: number): NativeBlock {
  const bytes = Math.ceil(size / PAGE) * PAGE;
  if (bytes <= SHARED_MAX) {
    for (const c of chunks) {
      if (!c.shared) continue;
      const at = c.take(bytes);
      if (at >= 0) return frameAt(c, at, bytes);
    }
  }
  const c = newChunk(bytes <= SHARED_MAX, bytes);
  return frameAt(c, c.take(bytes), bytes);
}

export function freeFrameMemory(mem: NativeBlock): void {
  const c = chunkAt(mem.address);
  if (!c) throw new RangeError(`Cannot free frame memory at 0x${mem.address.toString(16)}: not in any chunk`);
  const bytes = mem.bytes.byteLength;
  c.give(mem.address, bytes);
  if (!c.empty) {
    hostMadvise(mem.address, bytes);
    return;
  }
  if (c.shared && (spare === null || spare === c)) {
    spare = c;
    hostMadvise(mem.address, bytes);
    return;
  }
  for (const user of c.users) user.dropChunk(c);
  chunks.splice(chunks.indexOf(c), 1);
  hostMunmap(c.address, c.size);
}

/** The chunk holding host address `address`, or null. */
export function chunkAt(address: number): Chunk | null {
  let lo = 0, hi = chunks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = chunks[mid]!;
    if (address < c.address) hi = mid - 1;
    else if (address >= c.address + c.size) lo = mid + 1;
    else return c;
  }
  return null;
}

/** A shared chunk, or one for a frame of `bytes` alone. */
function newChunk(shared: boolean, bytes: number): Chunk {
  const size = shared ? CHUNK_BYTES : bytes;
  const c = new Chunk(hostMmap(size), size, shared);
  let i = 0;
  while (i < chunks.length && chunks[i]!.address < c.address) i++;
  chunks.splice(i, 0, c);
  return c;
}

function frameAt(c: Chunk, address: number, bytes: number): NativeBlock {
  if (c === spare) spare = null;
  return { bytes: c.bytesAt(address, bytes), address };
}
