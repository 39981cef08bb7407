// PagedBytes: the contents of one TmpFs regular file, as a sparse array of 4 KiB pages.
//
//   byte offset ──► page index (offset / PAGE_SIZE) ──► Map entry, or absent = a hole
//
// A hole reads as zeros and costs nothing; a page is allocated (and charged to the
// MemoryQuota) the first time a byte in it is written. Shrinking drops whole pages past
// the new end and zeroes the tail of the last one, so growing again shows zeros there.
// fallocate works on whole pages too: allocate() takes the pages of a range ahead of the
// writes (charged all at once, or not at all), punch() frees the pages a range covers and
// zeroes the partial ones at its edges. Bytes of allocated pages past the end stay zero.
// (Linux: mm/shmem.c, whose pages are charged against the mount's size= limit.)

import { ENOSPC } from "./_errno.ts";

export const PAGE_SIZE = 4096;

/** Where file data memory is taken from (a user kernel's quota, say). */
export interface MemoryQuota {
  /** Takes `bytes`; returns false, taking nothing, when fewer are left. */
  charge(bytes: number): boolean;
  release(bytes: number): void;
  /** Bytes still available, for statfs; without it the size is reported as unlimited (0). */
  available?(): number;
}

/** A MemoryQuota of its own: `size` bytes, counted here. */
export function byteBudget(size: number): MemoryQuota {
  let used = 0;
  return {
    charge(bytes) {
      if (used + bytes > size) return false;
      used += bytes;
      return true;
    },
    release(bytes) {
      used -= bytes;
    },
    available: () => size - used,
  };
}

export class PagedBytes {
  size = 0;
  #pages = new Map<number, Uint8Array>();

  /** Pages allocated, each charged PAGE_SIZE bytes. */
  get pageCount(): number {
    return this.#pages.size;
  }

  /** Copies bytes from `offset` into dst; returns how many (0 at or past the end). */
  read(dst: Uint8Array, offset: number): number {
    const end = Math.min(this.size, offset + dst.length);
    let done = 0;
    for (let pos = offset; pos < end; ) {
      const index = Math.floor(pos / PAGE_SIZE);
      const within = pos - index * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - within, end - pos);
      const page = this.#pages.get(index);
      if (page === undefined) dst.fill(0, done, done + n);
      else dst.set(page.subarray(within, within + n), done);
      pos += n;
      done += n;
    }
    return done;
  }

  /**
   * Copies src in at `offset`, growing the file. A page that cannot be charged stops the
   * write there: the bytes written so far, or -ENOSPC if none.
   */
  write(src: Uint8Array, offset: number, quota: MemoryQuota): number {
    let done = 0;
    while (done < src.length) {
      const pos = offset + done;
      const index = Math.floor(pos / PAGE_SIZE);
      const within = pos - index * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - within, src.length - done);
      let page = this.#pages.get(index);
      if (page === undefined) {
        if (!quota.charge(PAGE_SIZE)) break;
        page = new Uint8Array(PAGE_SIZE);
        this.#pages.set(index, page);
      }
      page.set(src.subarray(done, done + n), within);
      done += n;
    }
    if (offset + done > this.size) this.size = offset + done;
    return done === 0 && src.length > 0 ? -ENOSPC : done;
  }

  /**
   * Allocates the pages holding bytes [from, to) that are holes, charging them to `quota`
   * in one charge: false, allocating nothing, when it refuses. The size is not changed.
   */
  allocate(from: number, to: number, quota: MemoryQuota): boolean {
    const first = Math.floor(from / PAGE_SIZE), end = Math.ceil(to / PAGE_SIZE);
    const holes = end - first - this.#pagesIn(first, end).length;
    if (holes === 0) return true;
    if (!quota.charge(holes * PAGE_SIZE)) return false;
    for (let index = first; index < end; index++) {
      if (!this.#pages.has(index)) this.#pages.set(index, new Uint8Array(PAGE_SIZE));
    }
    return true;
  }

  /** Zeroes bytes [from, to) of the allocated pages, keeping them allocated. */
  zero(from: number, to: number): void {
    for (const [index, page] of this.#pagesIn(Math.floor(from / PAGE_SIZE), Math.ceil(to / PAGE_SIZE))) {
      const start = index * PAGE_SIZE;
      page.fill(0, Math.max(from - start, 0), Math.min(to - start, PAGE_SIZE));
    }
  }

  /**
   * Makes bytes [from, to) a hole: pages wholly inside go back to `quota`, the partial
   * ones at the edges are zeroed. The size is not changed.
   */
  punch(from: number, to: number, quota: MemoryQuota): void {
    let freed = 0;
    for (const [index, page] of this.#pagesIn(Math.floor(from / PAGE_SIZE), Math.ceil(to / PAGE_SIZE))) {
      const start = index * PAGE_SIZE;
      if (from <= start && start + PAGE_SIZE <= to) {
        this.#pages.delete(index);
        freed++;
      } else {
        page.fill(0, Math.max(from - start, 0), Math.min(to - start, PAGE_SIZE));
      }
    }
    if (freed > 0) quota.release(freed * PAGE_SIZE);
  }

  /** The allocated pages with index in [first, end), found by the shorter of the two walks. */
  #pagesIn(first: number, end: number): [number, Uint8Array][] {
    const found: [number, Uint8Array][] = [];
    if (end - first <= this.#pages.size) {
      for (let index = first; index < end; index++) {
        const page = this.#pages.get(index);
        if (page !== undefined) found.push([index, page]);
      }
    } else {
      for (const entry of this.#pages) if (entry[0] >= first && entry[0] < end) found.push(entry);
    }
    return found;
  }

  /** Sets the size: growing leaves a hole, shrinking frees the pages past the end. */
  truncate(size: number, quota: MemoryQuota): void {
    if (size < this.size) {
      const keep = Math.ceil(size / PAGE_SIZE);
      let freed = 0;
      for (const index of this.#pages.keys()) {
        if (index >= keep) {
          this.#pages.delete(index);
          freed++;
        }
      }
      if (freed > 0) quota.release(freed * PAGE_SIZE);
      const within = size % PAGE_SIZE;
      if (within !== 0) this.#pages.get(keep - 1)?.fill(0, within);
    }
    this.size = size;
  }
}
