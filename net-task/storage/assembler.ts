// Tracks which byte ranges of a stream or datagram have arrived out of order, relative to a
// moving origin (TCP: the byte after rcv.nxt; IPv4 reassembly: the datagram's first byte).
// The number of holes it remembers is bounded, so a peer cannot make it grow without end.
//
//   add(offset, len)  records a range; false when it would need more than `maxRanges` ranges
//   takeFront()       the length of the range at offset 0, removed, the others shifted down
//   ranges            the [start, end) ranges, sorted, for SACK blocks

export class Assembler {
  readonly #maxRanges: number;
  /** Sorted, disjoint, non-adjacent [start, end) pairs. */
  #ranges: [number, number][] = [];

  constructor(maxRanges = 32) {
    this.#maxRanges = maxRanges;
  }

  get isEmpty(): boolean { return this.#ranges.length === 0; }
  get ranges(): readonly (readonly [number, number])[] { return this.#ranges; }

  /** True when [offset, offset+len) is already wholly recorded. */
  covers(offset: number, len: number): boolean {
    return this.#ranges.some(([s, e]) => s <= offset && offset + len <= e);
  }

  /** True when [offset, offset+len) overlaps a recorded range. */
  overlaps(offset: number, len: number): boolean {
    return this.#ranges.some(([s, e]) => offset < e && s < offset + len);
  }

  add(offset: number, len: number): boolean {
    if (len <= 0) return true;
    let start = offset, end = offset + len;
    const kept: [number, number][] = [];
    let at = 0;
    for (const range of this.#ranges) {
      if (range[1] < start) { kept.push(range); at++; continue; }
      if (range[0] > end) { kept.push(range); continue; }
      start = Math.min(start, range[0]);
      end = Math.max(end, range[1]);
    }
    if (kept.length + 1 > this.#maxRanges) return false;
    kept.splice(at, 0, [start, end]);
    this.#ranges = kept;
    return true;
  }

  /** Removes the range starting at 0 (if any) and shifts the rest down by its length. */
  takeFront(): number {
    const first = this.#ranges[0];
    if (first === undefined || first[0] !== 0) return 0;
    const n = first[1];
    this.#ranges.shift();
    for (const range of this.#ranges) { range[0] -= n; range[1] -= n; }
    return n;
  }

  /** Shifts every range down by n (the origin moved forward), forgetting what falls below 0. */
  shift(n: number): void {
    const kept: [number, number][] = [];
    for (const [s, e] of this.#ranges) if (e - n > 0) kept.push([Math.max(0, s - n), e - n]);
    this.#ranges = kept;
  }

  clear(): void {
    this.#ranges = [];
  }
}
