// x86-64 4-level page tables for the user half of a KVM guest, kept by the host.
//
// The tables live in host memory the VM sees as guest-physical memory (the system slot,
// kvm_guest.ts): table pages come from a pool in that slot, so the host writes entries
// with typed arrays and the guest's MMU walks them. One entry is two uint32 (low, high):
// the low word holds the flags and the low bits of the frame's guest-physical address,
// the high word its high bits and NX (bit 63).
//
// Leaves are 4 KiB pages. Intermediate entries allow everything (present, writable,
// user); the leaf alone decides.
//
// What the VM's MMU must hear of (kvm_x86_64.ts): a KVM that shadows the guest's tables
// learns only of the guest's own writes to them, so every present entry the host rewrites
// is reported through `changed` (by its guest-physical address; entries made present are
// not: nothing could have cached them), and the guest rewrites it before it runs again.
// A change to many entries of one leaf table (a fork's write-protect of a whole heap, an
// munmap) copies the table instead: the changed copy is a fresh page, and only the entry
// of the directory above it is reported, one instead of up to 512. A table made since the
// guest last ran (a copy, a new one) is written in place without reports.
//
// Table pages: a leaf table replaced by its copy is retired, never written again until
// the VM has forgotten its shadow of it. The pool hands out never-used pages first; when
// they run out, the retired ones are handed out again and `recycled` says that the VM's
// shadow of them must go before the guest next runs. Tables are otherwise never freed:
// a process that maps over many distinct 2 MiB regions fills the pool sooner (POOL pages
// cover that many 2 MiB regions at least).
//
// A VM serves one address space after another (kvm_vm.ts): `reset` lets every table of
// the old one go, as retired pages, and the new one starts from a fresh root (whose upper
// half, the kernel's mapping, is the old root's). Its pages are never-used ones, so the
// VM's shadow of the old tables is never consulted; when fewer than a quarter of the
// pool's pages are fresh, the pool starts over at the reset instead (`recycled`).

export const PTE = { P: 1, RW: 2, US: 4, A: 0x20, D: 0x40, PS: 0x80 } as const;
/** NX, in the entry's high word. */
export const PTE_NX_HIGH = 0x80000000;
const TABLE_FLAGS = PTE.P | PTE.RW | PTE.US | PTE.A;
const PAGE = 4096;
const ENTRIES = 512;
const WORDS_PER_PAGE = PAGE / 4;
const LEAF_SPAN = PAGE * ENTRIES;
/** Present entries of one leaf table a change rewrites from which the table is copied instead. */
const COPY_FROM = 2;

export interface TableEvents {
  /** A present entry (its guest-physical address) was rewritten. */
  changed(entry: number): void;
  /** Retired table pages are in use again: the VM's shadow of them must go before the guest runs. */
  recycled(): void;
  /** Table pages [from, to) (guest-physical) hold nothing any more: their host memory may go back. */
  released(from: number, to: number): void;
}

export class PageTables {
  /** The system slot as uint32 words (guest-physical address / 4 = word index). */
  readonly #words: Uint32Array;
  /** The root table (PML4). */
  #root: number;
  /** The pool: its first page, the next never-used page, its end (guest-physical addresses). */
  readonly #start: number;
  #next: number;
  readonly #end: number;
  /** The first pool page of the current address space (its root, after a reset). */
  #spaceStart: number;
  /** Leaf tables replaced by their copies, and retired pages the VM has been told to forget. */
  readonly #retired: number[] = [];
  readonly #reusable: number[] = [];
  /** Table pages made since the guest last ran: no MMU has seen them, so changes to them need no report. */
  readonly #fresh = new Set<number>();

  constructor(
    words: Uint32Array,
    readonly events: TableEvents,
    /** Guest-physical address of the first PML4 (already zeroed), outside the pool. */
    root: number,
    poolStart: number,
    poolEnd: number,
  ) {
    this.#words = words;
    this.#root = root;
    this.#start = this.#next = this.#spaceStart = poolStart;
    this.#end = poolEnd;
  }

  /** The root table's guest-physical address (CR3). */
  get root(): number {
    return this.#root;
  }

  /**
   * A new address space: the tables of the old one are let go (their pages reported as
   * `released`) and a fresh root, with the old root's upper half, becomes the root.
   */
  reset(): void {
    const w = this.#words, half = WORDS_PER_PAGE / 2;
    const kernelHalf = w.slice(this.#root / 4 + half, this.#root / 4 + WORDS_PER_PAGE);
    this.#retired.length = 0;
    this.#fresh.clear();
    if ((this.#end - this.#next) * 4 < this.#end - this.#start) {
      this.#next = this.#start;
      this.#reusable.length = 0;
      this.events.recycled();
      this.events.released(this.#start, this.#end);
    } else if (this.#next > this.#spaceStart) {
      this.events.released(this.#spaceStart, this.#next);
    }
    this.#spaceStart = this.#next;
    this.#root = this.#takePage();
    w.set(kernelHalf, this.#root / 4 + half);
  }

  /**
   * Point the 4 KiB pages of [va, va + size) at guest-physical [gpa, gpa + size) with the
   * leaf flags (`low` = low-word flags, `highFlags` = NX or 0; `low` 0: not present, the
   * tables made all the same, for a later protect). False when the pool is out of table
   * pages: the caller clears the range again.
   */
  set(va: number, gpa: number, size: number, low: number, highFlags: number): boolean {
    return this.#change(va, size, true, (w, i, off) => {
      const pa = gpa + off;
      w[i] = low === 0 ? 0 : ((pa >>> 0) & 0xfffff000) | low;
      w[i + 1] = low === 0 ? 0 : Math.floor(pa / 2 ** 32) | highFlags;
    });
  }

  /** The pages of [va, va + size) not present (no table is made). */
  clear(va: number, size: number): void {
    this.#change(va, size, false, (w, i) => {
      w[i] = 0;
      w[i + 1] = 0;
    });
  }

  /**
   * Before a change of [va, va + size) made in several calls (one per permission range):
   * copies the leaf tables in which it rewrites COPY_FROM or more present entries, so
   * that the calls write into the copies and report nothing.
   */
  prepare(va: number, size: number): void {
    this.#perTable(va, size, false, (dir, from, to) => this.#copyIfMany(dir, from, to));
  }

  /** The guest is about to run: the tables made since are seen by its MMU from now on. */
  entered(): void {
    if (this.#fresh.size > 0) this.#fresh.clear();
  }

  /**
   * Write the leaf entries of [va, va + size) with `entry` (which writes entry word `i`
   * for the page at `off`), one leaf table at a time: in place, or into a copy of the
   * table when COPY_FROM or more present entries change.
   */
  #change(va: number, size: number, create: boolean, entry: (w: Uint32Array, i: number, off: number) => void): boolean {
    const w = this.#words;
    return this.#perTable(va, size, create, (dir, from, to, off) => {
      this.#copyIfMany(dir, from, to);
      const table = w[dir]! & 0xfffff000;
      const quiet = this.#fresh.has(table);
      for (let slot = from; slot < to; slot++) {
        const i = table / 4 + slot * 2;
        const lo = w[i]!, hi = w[i + 1]!;
        entry(w, i, off + (slot - from) * PAGE);
        if (!quiet && (lo & PTE.P) !== 0 && (w[i] !== lo || w[i + 1] !== hi)) this.events.changed(i * 4);
      }
    });
  }

  /**
   * `each(dir, from, to, off)` for every leaf table under [va, va + size): its directory
   * entry's word index, the table's slots [from, to) in the range, the range offset of
   * slot `from`. Absent tables are made (`create`; false when the pool is out) or skipped.
   */
  #perTable(va: number, size: number, create: boolean, each: (dir: number, from: number, to: number, off: number) => void): boolean {
    for (let off = 0; off < size; ) {
      const addr = va + off;
      const span = Math.min(size - off, LEAF_SPAN - (addr % LEAF_SPAN));
      const dir = this.#directoryEntry(addr, create);
      if (dir >= 0) {
        const from = (addr / PAGE) % ENTRIES;
        each(dir, from, from + span / PAGE, off);
      } else if (create) return false;
      off += span;
    }
    return true;
  }

  /** The leaf table under directory entry `dir` copied when COPY_FROM or more of slots [from, to) are present and the guest may have seen it. */
  #copyIfMany(dir: number, from: number, to: number): void {
    const w = this.#words;
    const old = w[dir]! & 0xfffff000;
    if (this.#fresh.has(old)) return;
    let present = 0;
    for (let i = old / 4 + from * 2; i < old / 4 + to * 2 && present < COPY_FROM; i += 2) present += w[i]! & PTE.P;
    if (present < COPY_FROM) return;
    const page = this.#takePage();
    if (page < 0) return; // no page: rewritten in place
    w.copyWithin(page / 4, old / 4, old / 4 + WORDS_PER_PAGE);
    w[dir] = page | TABLE_FLAGS;
    this.#retired.push(old);
    this.events.changed(dir * 4);
  }

  /** Word index of the directory entry over `addr`'s leaf table (present); -1 when absent and not `create`d. */
  #directoryEntry(addr: number, create: boolean): number {
    const w = this.#words;
    let table = this.#root;
    for (let level = 3; level >= 1; level--) {
      const shift = 12 + 9 * level;
      const i = table / 4 + (Math.floor(addr / 2 ** shift) % ENTRIES) * 2;
      if ((w[i]! & PTE.P) === 0) {
        if (!create) return -1;
        const page = this.#takePage();
        if (page < 0) return -1;
        w[i] = page | TABLE_FLAGS;
        w[i + 1] = 0;
      }
      if (level === 1) return i;
      table = w[i]! & 0xfffff000;
    }
    return -1;
  }

  /** A zeroed table page: never used, else retired and forgotten by the VM; -1 when none is left. */
  #takePage(): number {
    let page: number;
    if (this.#next + PAGE <= this.#end) {
      page = this.#next;
      this.#next += PAGE;
    } else {
      if (this.#reusable.length === 0) {
        if (this.#retired.length === 0) return -1;
        this.#reusable.push(...this.#retired.splice(0));
        this.events.recycled();
      }
      page = this.#reusable.pop()!;
    }
    this.#words.fill(0, page / 4, page / 4 + WORDS_PER_PAGE);
    this.#fresh.add(page);
    return page;
  }
}
