// The guest address space as the engine translates it: sorted, disjoint [start, end)
// ranges, each with its permissions and its offset (host address − guest address; the
// engine's physical address of a guest page is its host address, unicorn_x86_64.ts).
//
// The engine translates guest addresses itself (a virtual TLB) and asks this table on
// every TLB miss, so lookups are a binary search with no allocation; changes (map, unmap,
// mprotect) are rare and may splice.

export class PermissionRanges {
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #perms: number[] = [];
  readonly #offsets: number[] = [];

  /** Index of the range holding `address`, or -1 when nothing is mapped there. */
  find(address: number): number {
    const i = this.#floor(address);
    return i >= 0 && address < this.#ends[i]! ? i : -1;
  }

  /** The Perm bits of range `i` (from find). */
  permsOf(i: number): number {
    return this.#perms[i]!;
  }

  /** Host address − guest address in range `i` (from find). */
  offsetOf(i: number): number {
    return this.#offsets[i]!;
  }

  /** The Perm bits at `address`, or -1 when nothing is mapped there. */
  permsAt(address: number): number {
    const i = this.find(address);
    return i >= 0 ? this.#perms[i]! : -1;
  }

  /** Whether every byte of [start, end) is mapped. */
  covers(start: number, end: number): boolean {
    let at = start;
    let i = this.#floor(start);
    if (i < 0) return false;
    while (at < end) {
      if (i >= this.#starts.length || this.#starts[i]! > at || this.#ends[i]! <= at) return false;
      at = this.#ends[i]!;
      i++;
    }
    return true;
  }

  /** Whether any byte of [start, end) is mapped. */
  overlaps(start: number, end: number): boolean {
    const i = this.#floor(start);
    if (i >= 0 && this.#ends[i]! > start) return true;
    return i + 1 < this.#starts.length && this.#starts[i + 1]! < end;
  }

  /**
   * Map [start, end) with `perms` at host address start + `offset`, or unmap it when
   * `perms` is -1. What was there before is replaced.
   */
  assign(start: number, end: number, perms: number, offset = 0): void {
    let first = this.#floor(start);
    if (first < 0 || this.#ends[first]! <= start) first++;
    let last = first;
    while (last < this.#starts.length && this.#starts[last]! < end) last++;
    const starts: number[] = [], ends: number[] = [], perm: number[] = [], offsets: number[] = [];
    const piece = (s: number, e: number, p: number, o: number): void => {
      starts.push(s);
      ends.push(e);
      perm.push(p);
      offsets.push(o);
    };
    if (first < last && this.#starts[first]! < start) piece(this.#starts[first]!, start, this.#perms[first]!, this.#offsets[first]!);
    if (perms >= 0) piece(start, end, perms, offset);
    if (first < last && this.#ends[last - 1]! > end) piece(end, this.#ends[last - 1]!, this.#perms[last - 1]!, this.#offsets[last - 1]!);
    this.#starts.splice(first, last - first, ...starts);
    this.#ends.splice(first, last - first, ...ends);
    this.#perms.splice(first, last - first, ...perm);
    this.#offsets.splice(first, last - first, ...offsets);
  }

  /** Calls `fn` for the mapped part of [start, end) in each range, in address order. */
  forEach(start: number, end: number, fn: (start: number, end: number, perms: number, offset: number) => void): void {
    for (let i = Math.max(this.#floor(start), 0); i < this.#starts.length && this.#starts[i]! < end; i++) {
      const s = Math.max(this.#starts[i]!, start), e = Math.min(this.#ends[i]!, end);
      if (s < e) fn(s, e, this.#perms[i]!, this.#offsets[i]!);
    }
  }

  /** Give the mapped parts of [start, end) the permissions `perms`, each keeping its host memory. */
  protect(start: number, end: number, perms: number): void {
    const pieces: number[] = [];
    this.forEach(start, end, (s, e, _perms, offset) => pieces.push(s, e, offset));
    for (let p = 0; p < pieces.length; p += 3) this.assign(pieces[p]!, pieces[p + 1]!, perms, pieces[p + 2]!);
  }

  clear(): void {
    this.#starts.length = this.#ends.length = this.#perms.length = this.#offsets.length = 0;
  }

  /** Index of the last range starting at or below `address`, or -1. */
  #floor(address: number): number {
    let lo = 0, hi = this.#starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#starts[mid]! <= address) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
