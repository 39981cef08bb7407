// The host-kept page tables of a KVM guest, on plain memory (no VM): what an entry holds,
// which changes are reported for the VM's MMU, how table pages are copied and reused, and
// how a VM's tables start over for its next address space.
import { describe, expect, it } from "vitest";
import { PageTables, PTE, PTE_NX_HIGH } from "../../../../microkernel/platform/kvm_page_tables.ts";

const PAGE = 4096;
const POOL = 0x10000;
const LEAF = PTE.P | PTE.US | PTE.RW;

function tables(poolPages = 64): { t: PageTables; words: Uint32Array; changed: number[]; recycled: () => number; released: [number, number][] } {
  const words = new Uint32Array((POOL + poolPages * PAGE) / 4);
  const changed: number[] = [];
  const released: [number, number][] = [];
  let recycled = 0;
  const events = { changed: (e: number) => changed.push(e), recycled: () => void recycled++, released: (from: number, to: number) => void released.push([from, to]) };
  const t = new PageTables(words, events, 0, POOL, POOL + poolPages * PAGE);
  return { t, words, changed, recycled: () => recycled, released };
}

/** The leaf entry of `va` as [low, high] words, found by walking from the root (default: the first one, at 0). */
function leaf(words: Uint32Array, va: number, root = 0): [number, number] {
  let table = root;
  for (let level = 3; level >= 0; level--) {
    const i = table / 4 + (Math.floor(va / 2 ** (12 + 9 * level)) % 512) * 2;
    if (level === 0) return [words[i]!, words[i + 1]!];
    if ((words[i]! & PTE.P) === 0) return [0, 0];
    table = words[i]! & 0xfffff000;
  }
  return [0, 0];
}

describe("PageTables", () => {
  it("set() writes 4 KiB leaves with the frame's address and flags; nothing is reported for entries made present", () => {
    const { t, words, changed } = tables();
    expect(t.set(0x400000, 0x1_2345_6000, 2 * PAGE, LEAF, PTE_NX_HIGH)).toBe(true);
    expect(leaf(words, 0x400000)).toEqual([(0x2345_6000 | LEAF) >>> 0, (1 | PTE_NX_HIGH) >>> 0]);
    expect(leaf(words, 0x401000)).toEqual([(0x2345_7000 | LEAF) >>> 0, (1 | PTE_NX_HIGH) >>> 0]);
    expect(changed).toEqual([]);
  });

  it("one present entry changed in a table is rewritten in place and reported by its address", () => {
    const { t, words, changed } = tables();
    t.set(0x400000, 0x100000, 8 * PAGE, LEAF, 0);
    t.entered();
    const before = leaf(words, 0x400000);
    t.set(0x403000, 0x103000, PAGE, PTE.P | PTE.US, 0);
    expect(changed).toHaveLength(1);
    expect(words[changed[0]! / 4]).toBe(0x103000 | PTE.P | PTE.US);
    expect(leaf(words, 0x400000)).toEqual(before);
    // The same value again is no change.
    t.set(0x403000, 0x103000, PAGE, PTE.P | PTE.US, 0);
    expect(changed).toHaveLength(1);
  });

  it("many present entries changed in one table: the table is copied and only the directory entry is reported", () => {
    const { t, words, changed } = tables();
    t.set(0x400000, 0x100000, 512 * PAGE, LEAF, 0);
    t.entered();
    t.set(0x400000, 0x100000, 100 * PAGE, PTE.P | PTE.US, 0);
    expect(changed).toHaveLength(1);
    const dir = changed[0]! / 4;
    expect(leaf(words, 0x400000)[0]).toBe(0x100000 | PTE.P | PTE.US);
    expect(leaf(words, 0x463000)[0]).toBe(0x163000 | PTE.P | PTE.US);
    expect(leaf(words, 0x464000)[0]).toBe(0x164000 | LEAF); // past the change: copied as it was
    // The directory entry points at the copy.
    expect(words[dir]! & 0xfffff000).not.toBe(0);
    // More changes to the copy before the guest runs again: nothing more to report.
    t.set(0x500000, 0x200000, PAGE, PTE.P | PTE.US, 0);
    expect(changed).toHaveLength(1);
    // clear() of a whole table the guest has seen copies it too.
    t.entered();
    t.clear(0x400000, 512 * PAGE);
    expect(changed).toHaveLength(2);
    expect(leaf(words, 0x5ff000)).toEqual([0, 0]);
  });

  it("prepare() copies the tables a change made in several calls rewrites, which then report nothing", () => {
    const { t, changed } = tables();
    t.set(0x400000, 0x100000, 16 * PAGE, LEAF, 0);
    t.entered();
    t.prepare(0x400000, 16 * PAGE);
    expect(changed).toHaveLength(1);
    for (let i = 0; i < 16; i++) t.set(0x400000 + i * PAGE, 0x100000 + i * PAGE, PAGE, PTE.P | PTE.US, 0);
    expect(changed).toHaveLength(1);
  });

  it("a change spanning two tables is handled per table", () => {
    const { t, words, changed } = tables();
    t.set(0x5fe000, 0x100000, 4 * PAGE, LEAF, 0); // two pages in each of two leaf tables
    t.entered();
    t.clear(0x5fe000, 4 * PAGE);
    expect(changed).toHaveLength(2);
    for (const va of [0x5fe000, 0x5ff000, 0x600000, 0x601000]) expect(leaf(words, va)).toEqual([0, 0]);
  });

  it("when the pool's fresh pages are gone, retired tables are used again after recycled() is heard", () => {
    // Root at 0 (outside the pool); 3 pool pages: PDPT, PD, one leaf table; copies need retired ones.
    const { t, words, recycled } = tables(4);
    expect(t.set(0x400000, 0x100000, 4 * PAGE, LEAF, 0)).toBe(true);
    t.entered();
    t.clear(0x400000, 2 * PAGE); // copy #1 takes the last fresh page; the first leaf retires
    expect(recycled()).toBe(0);
    t.entered();
    t.clear(0x402000, 2 * PAGE); // copy #2 needs a page: the retired one comes back
    expect(recycled()).toBe(1);
    for (const va of [0x400000, 0x401000, 0x402000, 0x403000]) expect(leaf(words, va)).toEqual([0, 0]);
    // With nothing retired and nothing fresh, set() of a new region fails.
    expect(t.set(0x40000000, 0x200000, PAGE, LEAF, 0)).toBe(false);
  });

  it("reset() starts over on a fresh root that keeps the kernel half; the old pages are released and not handed out again", () => {
    const { t, words, changed, recycled, released } = tables();
    words[511 * 2] = 0x1000 | PTE.P | PTE.RW; // the kernel's mapping, in the first root's upper half
    t.set(0x400000, 0x100000, 2 * PAGE, LEAF, 0); // PDPT, PD, one leaf table: 3 pool pages
    t.entered();
    t.reset();
    expect(released).toEqual([[POOL, POOL + 3 * PAGE]]);
    expect(t.root).toBe(POOL + 3 * PAGE);
    expect(words[t.root / 4 + 511 * 2]).toBe(0x1000 | PTE.P | PTE.RW);
    expect(leaf(words, 0x400000, t.root)).toEqual([0, 0]);
    // The new space's tables are fresh pages past the old ones, written without reports.
    t.set(0x400000, 0x200000, PAGE, LEAF, 0);
    expect(leaf(words, 0x400000, t.root)[0]).toBe(0x200000 | LEAF);
    expect(words[t.root / 4]! & 0xfffff000).toBe(t.root + PAGE); // its PDPT
    expect(changed).toEqual([]);
    expect(recycled()).toBe(0);
    // The next reset releases the second space's pages only.
    t.reset();
    expect(released[1]).toEqual([POOL + 3 * PAGE, POOL + 7 * PAGE]);
  });

  it("reset() with less than a quarter of the pool fresh starts the pool over, after recycled() is heard", () => {
    const { t, words, recycled, released } = tables(8);
    words[511 * 2] = 0x1000 | PTE.P;
    t.set(0x400000, 0x100000, PAGE, LEAF, 0); // 3 pages
    t.reset(); // root: page 3 of 8
    t.set(0x400000, 0x100000, PAGE, LEAF, 0); // pages 4-6: one fresh page left
    expect(recycled()).toBe(0);
    t.reset();
    expect(recycled()).toBe(1);
    expect(released.at(-1)).toEqual([POOL, POOL + 8 * PAGE]);
    expect(t.root).toBe(POOL);
    expect(words[POOL / 4 + 511 * 2]).toBe(0x1000 | PTE.P);
    expect(leaf(words, 0x400000, t.root)).toEqual([0, 0]);
  });
});
