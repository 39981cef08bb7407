// A byte ring buffer of fixed capacity: TCP's send buffer (unacknowledged + unsent bytes)
// and receive buffer (in-order bytes the application has not read, with room after them
// where out-of-order segments are written ahead of time and committed once contiguous).
//
//   enqueue/dequeue    copy in at the tail / out at the head
//   peek(offset, max)  a view of stored bytes from offset: contiguous, so it stops at the wrap
//   discard(n)         drop n bytes at the head (acknowledged data)
//   writeAt/commit     write into the free space at an offset past the tail, then extend

export class RingBuffer {
  readonly #storage: Uint8Array;
  #head = 0;
  #length = 0;

  constructor(capacity: number) {
    this.#storage = new Uint8Array(capacity);
  }

  get capacity(): number { return this.#storage.length; }
  get length(): number { return this.#length; }
  get free(): number { return this.#storage.length - this.#length; }

  /** Copies as much of `src` as fits; returns the count. */
  enqueue(src: Uint8Array): number {
    const n = this.writeAt(0, src);
    this.#length += n;
    return n;
  }

  /** Copies up to dst.length stored bytes out and frees them; returns the count. */
  dequeue(dst: Uint8Array): number {
    const n = this.copyOut(0, dst);
    this.discard(n);
    return n;
  }

  /** Copies stored bytes from `offset` into dst without freeing them. */
  copyOut(offset: number, dst: Uint8Array): number {
    const n = Math.max(0, Math.min(dst.length, this.#length - offset));
    const cap = this.#storage.length;
    const start = (this.#head + offset) % cap;
    const first = Math.min(n, cap - start);
    dst.set(this.#storage.subarray(start, start + first), 0);
    if (first < n) dst.set(this.#storage.subarray(0, n - first), first);
    return n;
  }

  /** Up to `max` stored bytes from `offset`, as one view (shorter where the storage wraps). */
  peek(offset: number, max: number): Uint8Array {
    const cap = this.#storage.length;
    if (cap === 0) return this.#storage;
    const start = (this.#head + offset) % cap;
    const n = Math.max(0, Math.min(max, this.#length - offset, cap - start));
    return this.#storage.subarray(start, start + n);
  }

  discard(n: number): void {
    n = Math.min(n, this.#length);
    this.#length -= n;
    // The head moves even when the buffer empties: bytes written past the tail stay in place.
    this.#head = (this.#head + n) % this.#storage.length;
  }

  /** Writes src into free space starting `offset` bytes past the tail; returns how much fit. */
  writeAt(offset: number, src: Uint8Array): number {
    const cap = this.#storage.length;
    const n = Math.max(0, Math.min(src.length, this.free - offset));
    if (n === 0) return 0;
    const start = (this.#head + this.#length + offset) % cap;
    const first = Math.min(n, cap - start);
    this.#storage.set(src.subarray(0, first), start);
    if (first < n) this.#storage.set(src.subarray(first, n), 0);
    return n;
  }

  /** Makes n bytes written with writeAt() at the tail part of the stored data. */
  commit(n: number): void {
    this.#length += Math.min(n, this.free);
  }
}
