// x86-64 4-level page tables for the user half of a KVM guest, kept by the host.
//
// The tables live in host memory the VM sees as guest-physical memory (the system slot,
// kvm_guest.ts): table pages come from a pool in that slot, so the host writes entries
// with typed arrays and the guest's MMU walks them. One entry is two uint32 (low, high):
// the low word holds the flags and the low bits of the frame's guest-physical address,
// the high word its high bits and NX (bit 63).
//
// Leaves are 4 KiB pages. Intermediate entries allow everything (present, writable,
// user); the leaf alone decides. `changed` hears of every present entry rewritten (by its
// guest-physical address; not of entries made present: nothing could have cached those),
// so that the VM's MMU can be told (kvm_x86_64.ts, the touch list). A table page, once made, stays until the VM goes (a
// process that maps and unmaps over many distinct 2 MiB regions fills the pool sooner:
// POOL pages cover that many 2 MiB regions at least).

export const PTE = { P: 1, RW: 2, US: 4, A: 0x20, D: 0x40, PS: 0x80 } as const;
/** NX, in the entry's high word. */
export const PTE_NX_HIGH = 0x80000000;
const TABLE_FLAGS = PTE.P | PTE.RW | PTE.US | PTE.A;
const PAGE = 4096;
const ENTRIES = 512;
const WORDS_PER_PAGE = PAGE / 4;

export class PageTables {
  /** The system slot as uint32 words (guest-physical address / 4 = word index). */
  readonly #words: Uint32Array;
  /** Next unused pool page (guest-physical address), and the pool's end. */
  #next: number;
  readonly #end: number;

  constructor(
    words: Uint32Array,
    readonly changed: (entry: number) => void,
    /** Guest-physical address of the PML4 (already zeroed). */
    readonly root: number,
    poolStart: number,
    poolEnd: number,
  ) {
    this.#words = words;
    this.#next = poolStart;
    this.#end = poolEnd;
  }

  /**
   * Point the 4 KiB pages of [va, va + size) at guest-physical [gpa, gpa + size) with the
   * leaf flags (`low` = low-word flags, `highFlags` = NX or 0; `low` 0: not present, the
   * tables made all the same, for a later protect). False when the pool is out of table
   * pages: the caller clears the range again.
   */
  set(va: number, gpa: number, size: number, low: number, highFlags: number): boolean {
    return this.#walk(va, size, true, (w, i, off) => {
      if ((w[i]! & PTE.P) !== 0) this.changed(i * 4);
      const pa = gpa + off;
      w[i] = low === 0 ? 0 : ((pa >>> 0) & 0xfffff000) | low;
      w[i + 1] = low === 0 ? 0 : Math.floor(pa / 2 ** 32) | highFlags;
    });
  }

  /** The pages of [va, va + size) not present (no table is made). */
  clear(va: number, size: number): void {
    this.#walk(va, size, false, (w, i) => {
      if ((w[i]! & PTE.P) !== 0) this.changed(i * 4);
      w[i] = 0;
      w[i + 1] = 0;
    });
  }

  #walk(va: number, size: number, create: boolean, leaf: (w: Uint32Array, i: number, off: number) => void): boolean {
    const w = this.#words;
    let table = -1, tableBase = -1;
    for (let off = 0; off < size; off += PAGE) {
      const addr = va + off;
      const base = Math.floor(addr / (PAGE * ENTRIES)) * (PAGE * ENTRIES);
      if (base !== tableBase) {
        table = this.#leafTable(addr, create);
        tableBase = base;
      }
      if (table < 0) {
        if (create) return false;
        continue; // no table: nothing mapped there
      }
      leaf(w, (table >>> 2) + ((addr / PAGE) % ENTRIES) * 2, off);
    }
    return true;
  }

  /** The page-table page (guest-physical address) holding `addr`'s leaf; -1 when absent and not `create`d. */
  #leafTable(addr: number, create: boolean): number {
    let table = this.root;
    for (let level = 3; level >= 1; level--) {
      const shift = 12 + 9 * level;
      const index = Math.floor(addr / 2 ** shift) % ENTRIES;
      const i = (table >>> 2) + index * 2;
      const w = this.#words;
      if ((w[i]! & PTE.P) === 0) {
        if (!create) return -1;
        const page = this.#takePage();
        if (page < 0) return -1;
        w[i] = page | TABLE_FLAGS;
        w[i + 1] = 0;
      }
      table = w[i]! & 0xfffff000;
    }
    return table;
  }

  #takePage(): number {
    if (this.#next + PAGE > this.#end) return -1;
    const page = this.#next;
    this.#next += PAGE;
    this.#words.fill(0, page >>> 2, (page >>> 2) + WORDS_PER_PAGE);
    return page;
  }
}
