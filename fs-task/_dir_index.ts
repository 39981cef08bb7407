// DirIndex: the entries of one in-memory directory, by name and in cookie order.
//
// Each entry gets a cookie when it is added, from a counter that only grows, so a
// readdir cookie stays valid whatever is removed meanwhile: the listing resumes at the
// first entry whose cookie is not smaller (Linux: tmpfs's stable directory offsets,
// fs/libfs.c simple_offset_*). Cookies 0 and 1 belong to "." and "..".
//
// Removed entries stay in the ordered array as holes until they are half of it; then it
// is compacted. Lookup by name is a Map; resuming at a cookie is a binary search.

export interface DirSlot<N> {
  name: string;
  node: N;
  cookie: number;
  /** Set when the entry is removed: the slot stays in the array until compaction. */
  removed: boolean;
}

/** The first cookie an entry can have: 0 and 1 are "." and "..". */
export const FIRST_ENTRY_COOKIE = 2;

export class DirIndex<N> {
  #byName = new Map<string, DirSlot<N>>();
  /** Slots by increasing cookie, removed ones included. */
  #ordered: DirSlot<N>[] = [];
  #removedCount = 0;
  #nextCookie = FIRST_ENTRY_COOKIE;

  get size(): number {
    return this.#byName.size;
  }

  get(name: string): N | undefined {
    return this.#byName.get(name)?.node;
  }

  /** Adds `name`, which must not be present. */
  add(name: string, node: N): void {
    const slot: DirSlot<N> = { name, node, cookie: this.#nextCookie++, removed: false };
    this.#byName.set(name, slot);
    this.#ordered.push(slot);
  }

  /** Points `name`, which must be present, at `node`; its cookie stays, so a listing sees it once. */
  replace(name: string, node: N): void {
    const slot = this.#byName.get(name);
    if (slot !== undefined) slot.node = node;
  }

  /** A name `node` has here (linear: for the rare path-of-a-directory question). */
  nameOf(node: N): string | undefined {
    for (const [name, slot] of this.#byName) if (slot.node === node) return name;
    return undefined;
  }

  remove(name: string): void {
    const slot = this.#byName.get(name);
    if (slot === undefined) return;
    this.#byName.delete(name);
    slot.removed = true;
    if (++this.#removedCount * 2 > this.#ordered.length) {
      this.#ordered = this.#ordered.filter((s) => !s.removed);
      this.#removedCount = 0;
    }
  }

  /** Up to `max` live entries whose cookie is at least `cookie`, in cookie order. */
  slice(cookie: number, max: number): DirSlot<N>[] {
    const ordered = this.#ordered;
    let lo = 0;
    let hi = ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ordered[mid].cookie < cookie) lo = mid + 1;
      else hi = mid;
    }
    const out: DirSlot<N>[] = [];
    for (let i = lo; i < ordered.length && out.length < max; i++) {
      if (!ordered[i].removed) out.push(ordered[i]);
    }
    return out;
  }
}
