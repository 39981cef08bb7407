// The permissions of a guest address space, as sorted, disjoint [start, end) ranges.
//
// The engine translates guest addresses itself (a virtual TLB) and asks this table on
// every TLB miss, so lookups are a binary search with no allocation; changes (map, unmap,
// mprotect) are rare and may splice.

export class PermissionRanges {
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #perms: number[] = [];

  /** The Perm bits at `address`, or -1 when nothing is mapped there. */
  permsAt(address: number): number {
    const i = this.#floor(address);
    return i >= 0 && address < this.#ends[i]! ? this.#perms[i]! : -1;
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

  /** Give [start, end) the permissions `perms`, or unmap it when `perms` is -1. */
  assign(start: number, end: number, perms: number): void {
    let first = this.#floor(start);
    if (first < 0 || this.#ends[first]! <= start) first++;
    let last = first;
    while (last < this.#starts.length && this.#starts[last]! < end) last++;
    const starts: number[] = [], ends: number[] = [], perm: number[] = [];
    const piece = (s: number, e: number, p: number): void => {
      starts.push(s);
      ends.push(e);
      perm.push(p);
    };
    if (first < last && this.#starts[first]! < start) piece(this.#starts[first]!, start, this.#perms[first]!);
    if (perms >= 0) piece(start, end, perms);
    if (first < last && this.#ends[last - 1]! > end) piece(end, this.#ends[last - 1]!, this.#perms[last - 1]!);
    this.#starts.splice(first, last - first, ...starts);
    this.#ends.splice(first, last - first, ...ends);
    this.#perms.splice(first, last - first, ...perm);
  }

  clear(): void {
    this.#starts.length = this.#ends.length = this.#perms.length = 0;
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
