import { beforeEach, describe, expect, it } from "vitest";
import { GuestMemory, MemoryIds, type FileChunk, MMAP_TOP, PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, TASK_SIZE, accessOk, pageDown, pageUp } from "../../../libos/memory.ts";
import { FakeVSpace } from "./_fake_vspace.ts";

const R = PROT_READ;
const RW = PROT_READ | PROT_WRITE;
const ENOMEM = -12;

let vs: FakeVSpace;
let mem: GuestMemory;

beforeEach(() => {
  vs = new FakeVSpace();
  mem = new GuestMemory(vs, new MemoryIds());
});

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function readBack(addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  expect(mem.read(addr, out)).toBe(true);
  return out;
}

/** Two adjacent one-page Vmas from different blocks: [0x10000, 0x11000) and [0x11000, 0x12000). */
function twoVmas(prot2 = RW): void {
  expect(mem.mmapAnonymous(0x10000, PAGE, RW, true)).toBe(0x10000);
  expect(mem.mmapAnonymous(0x11000, PAGE, prot2, true)).toBe(0x11000);
  expect(mem.vmas).toHaveLength(2);
  expect(mem.vmas[0]!.block).not.toBe(mem.vmas[1]!.block);
}

describe("GuestMemory", () => {
  it("pageDown() and pageUp() round to 4 KiB", () => {
    expect(pageDown(0x1fff)).toBe(0x1000);
    expect(pageUp(0x1001)).toBe(0x2000);
    expect(pageUp(0x2000)).toBe(0x2000);
  });

  describe("access", () => {
    it("view() returns bytes in place that alias the host block", () => {
      mem.mmapAnonymous(0x10000, 2 * PAGE, RW, true);
      const v = mem.view(0x10010, 4, PROT_WRITE)!;
      expect(v).not.toBeNull();
      expect(v.buffer).toBe(vs.allocations[0]!.bytes.buffer);
      v.set([1, 2, 3, 4]);
      expect(readBack(0x10010, 4)).toEqual(bytes(1, 2, 3, 4));
      expect(vs.allocations[0]!.bytes[0x10]).toBe(1);
    });

    it("view() of zero bytes succeeds even where nothing is mapped", () => {
      expect(mem.view(0xdead0000, 0, RW)).toHaveLength(0);
    });

    it("view() across two Vmas returns a copy for reading and null for writing", () => {
      twoVmas();
      expect(mem.write(0x10ffe, bytes(1, 2, 3, 4))).toBe(true);
      const copy = mem.view(0x10ffe, 4, PROT_READ)!;
      expect(copy).toEqual(bytes(1, 2, 3, 4));
      copy[0] = 99;
      expect(readBack(0x10ffe, 1)).toEqual(bytes(1));
      expect(mem.view(0x10ffe, 4, PROT_WRITE)).toBeNull();
      expect(mem.view(0x10ffe, 4, RW)).toBeNull();
    });

    it("view() refuses a Vma that lacks the asked protection", () => {
      mem.mmapAnonymous(0x10000, PAGE, R, true);
      expect(mem.view(0x10000, 4, PROT_READ)).not.toBeNull();
      expect(mem.view(0x10000, 4, PROT_WRITE)).toBeNull();
      expect(mem.view(0x10000, 4, PROT_EXEC)).toBeNull();
    });

    it("forEachChunk() visits each Vma's part in order with the running offset", () => {
      twoVmas();
      const seen: [number, number][] = [];
      expect(mem.forEachChunk(0x10ff0, 0x20, PROT_READ, (c, done) => seen.push([c.length, done]))).toBe(true);
      expect(seen).toEqual([[0x10, 0], [0x10, 0x10]]);
      expect(mem.forEachChunk(0x11ff0, 0x20, PROT_READ, () => {})).toBe(false);
    });

    it("write() refuses a read-only Vma while poke() writes it", () => {
      mem.mmapAnonymous(0x10000, PAGE, R, true);
      expect(mem.write(0x10000, bytes(7))).toBe(false);
      expect(readBack(0x10000, 1)).toEqual(bytes(0));
      expect(mem.poke(0x10000, bytes(7))).toBe(true);
      expect(readBack(0x10000, 1)).toEqual(bytes(7));
    });

    it("write() across a writable and a read-only Vma changes nothing", () => {
      twoVmas(R);
      expect(mem.write(0x10ffe, bytes(1, 2, 3, 4))).toBe(false);
      expect(readBack(0x10ffe, 4)).toEqual(bytes(0, 0, 0, 0));
    });

    it("readCString() reads a string across a Vma boundary", () => {
      twoVmas();
      mem.write(0x10ffd, text("hello\0"));
      expect(mem.readCString(0x10ffd, 100)).toBe("hello");
      expect(mem.readCString(0x10fff, 100)).toBe("llo");
    });

    it("readCString() returns null when no NUL falls within max", () => {
      mem.mmapAnonymous(0x10000, PAGE, RW, true);
      mem.write(0x10000, text("hello\0"));
      expect(mem.readCString(0x10000, 5)).toBeNull();
      expect(mem.readCString(0x10000, 6)).toBe("hello");
      expect(mem.readCString(0x10000, 0)).toBeNull();
    });

    it("readCString() returns null when the string runs off the mapping", () => {
      mem.mmapAnonymous(0x10000, PAGE, RW, true);
      mem.write(0x10ffc, text("abcd"));
      expect(mem.readCString(0x10ffc, 100)).toBeNull();
    });

    it("readCString() gives the bytes one code unit each, across Vmas", () => {
      twoVmas();
      mem.write(0x10ffe, new Uint8Array([0xc3, 0xff, 0xa9, 0])); // UTF-8 "é" split by an invalid byte
      expect(mem.readCString(0x10ffe, 10)).toBe("\xc3\xff\xa9");
    });

    it("u32() and u64() read little-endian unsigned values, also across Vmas", () => {
      twoVmas();
      mem.write(0x10ffc, bytes(0xef, 0xbe, 0xad, 0xde, 0x01, 0x00, 0x02, 0x00));
      expect(mem.u32(0x10ffc)).toBe(0xdeadbeef);
      expect(mem.u64(0x10ffc)).toBe(0x0002_0001_dead_beef);
      expect(mem.u32(0x10ffe)).toBe(0x0001dead);
    });

    it("view(), read(), write(), poke(), readCString() and u64() fail on an unmapped address", () => {
      mem.mmapAnonymous(0x10000, PAGE, RW, true);
      const a = 0x20000;
      expect(mem.find(a)).toBeNull();
      expect(mem.view(a, 1, PROT_READ)).toBeNull();
      expect(mem.read(a, new Uint8Array(1))).toBe(false);
      expect(mem.write(a, bytes(1))).toBe(false);
      expect(mem.poke(a, bytes(1))).toBe(false);
      expect(mem.readCString(a, 10)).toBeNull();
      expect(mem.u32(a)).toBeNull();
      expect(mem.u64(a)).toBeNull();
      expect(mem.u64(0x10ffc)).toBeNull(); // second half unmapped
      expect(mem.forEachChunk(a, 1, 0, () => {})).toBe(false);
    });

    it("find() forgets a cached Vma once it is unmapped", () => {
      mem.mmapAnonymous(0x10000, PAGE, RW, true);
      expect(mem.view(0x10000, 1, PROT_READ)).not.toBeNull();
      mem.unmap(0x10000, PAGE);
      expect(mem.find(0x10000)).toBeNull();
      expect(mem.view(0x10000, 1, PROT_READ)).toBeNull();
    });
  });

  describe("mapping", () => {
    it("mmapAnonymous() places mappings top-down without overlap", () => {
      const a = mem.mmapAnonymous(0, PAGE, RW, false);
      const b = mem.mmapAnonymous(0, 3 * PAGE, RW, false);
      const c = mem.mmapAnonymous(0, 10, RW, false);
      expect(a).toBe(MMAP_TOP - PAGE);
      expect(b).toBe(a - 3 * PAGE);
      expect(c).toBe(b - PAGE);
      expect(mem.vmas.map((v) => [v.start, v.end])).toEqual([[c, b], [b, a], [a, MMAP_TOP]]);
      expect(vs.maps.map((m) => [m.vaddr, m.size, m.prot])).toEqual([[a, PAGE, RW], [b, 3 * PAGE, RW], [c, PAGE, RW]]);
    });

    it("mmapAnonymous() honours a free hint", () => {
      expect(mem.mmapAnonymous(0x200000, PAGE, RW, false)).toBe(0x200000);
      expect(mem.vmas.map((v) => [v.start, v.end])).toEqual([[0x200000, 0x201000]]);
    });

    it("mmapAnonymous() moves away from an occupied hint", () => {
      const a = mem.mmapAnonymous(0, PAGE, RW, false);
      expect(mem.mmapAnonymous(a, PAGE, RW, false)).toBe(a - PAGE);
      expect(mem.mmapAnonymous(MMAP_TOP + 0x1000000, PAGE, RW, false)).toBe(MMAP_TOP + 0x1000000);
    });

    // Regression: a low hinted (non-fixed) mapping once pulled every later mmap(NULL)
    // below the hint, so a 4 MiB mmap(NULL) returned -ENOMEM.
    it("mmapAnonymous() without a hint still allocates from the top after a low hinted mapping", () => {
      expect(mem.mmapAnonymous(0x200000, PAGE, RW, false)).toBe(0x200000);
      expect(mem.mmapAnonymous(0, 4 * 1024 * 1024, RW, false)).toBe(MMAP_TOP - 4 * 1024 * 1024);
    });

    // Regression: ranges given back by munmap were never reused, so an mmap/munmap loop
    // walked down the address space for ever; Linux's top-down allocator reuses them.
    it("mmapAnonymous() reuses a range that munmap gave back", () => {
      mem.mmapAnonymous(0, PAGE, RW, false);
      const b = mem.mmapAnonymous(0, PAGE, RW, false);
      mem.unmap(b, PAGE);
      expect(mem.mmapAnonymous(0, PAGE, RW, false)).toBe(b);
    });

    // Regression: an unaligned non-MAP_FIXED hint was used as is; Linux aligns the hint.
    it("mmapAnonymous() returns a page-aligned address for an unaligned hint", () => {
      const got = mem.mmapAnonymous(0x200123, PAGE, RW, false);
      expect(got).toBeGreaterThan(0);
      expect(got % PAGE).toBe(0);
      expect(vs.maps.every((m) => m.vaddr % PAGE === 0)).toBe(true);
    });

    it("findFree() takes the highest gap that fits below the mmap top", () => {
      mem.mmapAnonymous(MMAP_TOP - 2 * PAGE, PAGE, RW, true);
      mem.mmapAnonymous(MMAP_TOP - 5 * PAGE, PAGE, RW, true);
      expect(mem.findFree(PAGE)).toBe(MMAP_TOP - PAGE);
      expect(mem.findFree(2 * PAGE)).toBe(MMAP_TOP - 4 * PAGE);
      expect(mem.findFree(3 * PAGE)).toBe(MMAP_TOP - 8 * PAGE);
    });

    it("findFree() goes on below the last range it chose, and finds holes that open or were skipped above it", () => {
      const stacks = [1, 2, 3].map(() => mem.mmapAnonymous(0, 4 * PAGE, RW, false));
      expect(stacks).toEqual([MMAP_TOP - 4 * PAGE, MMAP_TOP - 8 * PAGE, MMAP_TOP - 12 * PAGE]);
      expect(mem.findFree(PAGE)).toBe(MMAP_TOP - 13 * PAGE);
      expect(mem.findFree(PAGE)).toBe(MMAP_TOP - 13 * PAGE);
      mem.unmap(stacks[0]!, 4 * PAGE);
      expect(mem.mmapAnonymous(0, 4 * PAGE, RW, false)).toBe(stacks[0]);
      // A one-page hole in the second stack is too small for two pages and skipped...
      mem.unmap(stacks[1]! + PAGE, PAGE);
      expect(mem.mmapAnonymous(0, 2 * PAGE, RW, false)).toBe(MMAP_TOP - 14 * PAGE);
      // ...and a one-page request later fits it.
      expect(mem.findFree(PAGE)).toBe(stacks[1]! + PAGE);
    });

    it("mmapAnonymous() with MAP_FIXED replaces the pages underneath", () => {
      mem.mmapAnonymous(0x10000, 4 * PAGE, RW, true);
      for (let p = 0; p < 4; p++) mem.write(0x10000 + p * PAGE, bytes(p + 1));
      vs.unmaps.length = 0;
      expect(mem.mmapAnonymous(0x11000, PAGE, R, true)).toBe(0x11000);
      expect(vs.unmaps).toEqual([{ vaddr: 0x11000, size: PAGE }]);
      expect(mem.vmas.map((v) => [v.start, v.end, v.prot])).toEqual([
        [0x10000, 0x11000, RW],
        [0x11000, 0x12000, R],
        [0x12000, 0x14000, RW],
      ]);
      expect(readBack(0x10000, 1)).toEqual(bytes(1));
      expect(readBack(0x11000, 1)).toEqual(bytes(0));
      expect(readBack(0x12000, 1)).toEqual(bytes(3));
      expect(readBack(0x13000, 1)).toEqual(bytes(4));
      expect(vs.releases).toHaveLength(0);
    });

    it("mmapAnonymous() refuses address zero and the end of user space", () => {
      expect(mem.mmapAnonymous(0, PAGE, RW, true)).toBe(ENOMEM);
      expect(mem.mmapAnonymous(0x7ffffffff000, 2 * PAGE, RW, true)).toBe(ENOMEM);
      expect(mem.vmas).toHaveLength(0);
    });

    it("unmap() of the middle of a Vma splits it and keeps the data of both ends", () => {
      mem.mmapAnonymous(0x20000, 4 * PAGE, RW, true);
      for (let p = 0; p < 4; p++) mem.write(0x20000 + p * PAGE + 5, bytes(0xa0 + p));
      vs.unmaps.length = 0;
      mem.unmap(0x21000, 2 * PAGE);
      expect(vs.unmaps).toEqual([{ vaddr: 0x21000, size: 2 * PAGE }]);
      expect(mem.vmas.map((v) => [v.start, v.end, v.offset])).toEqual([
        [0x20000, 0x21000, 0],
        [0x23000, 0x24000, 0x3000],
      ]);
      expect(readBack(0x20005, 1)).toEqual(bytes(0xa0));
      expect(readBack(0x23005, 1)).toEqual(bytes(0xa3));
      expect(mem.view(0x21000, 1, PROT_READ)).toBeNull();
      expect(mem.view(0x22fff, 1, PROT_READ)).toBeNull();
      expect(vs.releases).toHaveLength(0);
    });

    it("unmap() rounds the length up and covers several Vmas", () => {
      twoVmas();
      vs.unmaps.length = 0;
      mem.unmap(0x10000, PAGE + 1);
      expect(vs.unmaps).toEqual([{ vaddr: 0x10000, size: PAGE }, { vaddr: 0x11000, size: PAGE }]);
      expect(mem.vmas).toHaveLength(0);
      expect(vs.releases).toHaveLength(2);
    });

    it("unmap() of a range with nothing mapped calls nothing", () => {
      mem.mmapAnonymous(0x10000, PAGE, RW, true);
      mem.unmap(0x30000, PAGE);
      expect(vs.unmaps).toEqual([]);
      expect(mem.vmas).toHaveLength(1);
    });

    it("protect() splits a Vma and calls VSpace.protect for the changed range only", () => {
      mem.mmapAnonymous(0x30000, 4 * PAGE, RW, true);
      mem.write(0x32000, bytes(9));
      expect(mem.protect(0x31000, 2 * PAGE, R)).toBe(0);
      expect(vs.protects).toEqual([{ vaddr: 0x31000, size: 2 * PAGE, prot: R }]);
      expect(mem.vmas.map((v) => [v.start, v.end, v.prot, v.offset])).toEqual([
        [0x30000, 0x31000, RW, 0],
        [0x31000, 0x33000, R, 0x1000],
        [0x33000, 0x34000, RW, 0x3000],
      ]);
      expect(mem.write(0x31000, bytes(1))).toBe(false);
      expect(mem.write(0x30000, bytes(1))).toBe(true);
      expect(mem.write(0x33000, bytes(1))).toBe(true);
      expect(readBack(0x32000, 1)).toEqual(bytes(9));
    });

    it("protect() leaves Vmas that already have the protection alone", () => {
      twoVmas(R);
      expect(mem.protect(0x10000, 2 * PAGE, R)).toBe(0);
      expect(vs.protects).toEqual([{ vaddr: 0x10000, size: PAGE, prot: R }]);
      expect(mem.vmas.map((v) => v.prot)).toEqual([R, R]);
    });

    it("protect() over an unmapped hole returns -ENOMEM and changes nothing", () => {
      mem.mmapAnonymous(0x10000, PAGE, RW, true);
      mem.mmapAnonymous(0x12000, PAGE, RW, true);
      expect(mem.protect(0x10000, 3 * PAGE, R)).toBe(ENOMEM);
      expect(mem.protect(0x40000, PAGE, R)).toBe(ENOMEM);
      expect(vs.protects).toEqual([]);
      expect(mem.vmas.map((v) => v.prot)).toEqual([RW, RW]);
    });

    it("mmapAnonymous() returns -ENOMEM when the quota is spent and leaves nothing mapped", () => {
      vs.quota = 2 * PAGE;
      const a = mem.mmapAnonymous(0, PAGE, RW, false);
      expect(a).toBeGreaterThan(0);
      expect(mem.mmapAnonymous(0, 2 * PAGE, RW, false)).toBe(ENOMEM);
      expect(mem.vmas).toHaveLength(1);
      expect(vs.maps).toHaveLength(1);
      expect(mem.findFree(PAGE)).toBe(a - PAGE);
      expect(mem.mmapAnonymous(0, PAGE, RW, false)).toBe(a - PAGE);
    });

    it("mapRegion() backs several Vmas with one block at their offsets", () => {
      const b = mem.mapRegion(0x40000, 3 * PAGE, [
        { at: 0, size: PAGE, prot: R },
        { at: PAGE, size: 2 * PAGE, prot: RW },
      ], "image")!;
      expect(b).toHaveLength(3 * PAGE);
      expect(vs.allocations).toHaveLength(1);
      const host = vs.allocations[0]!.hostAddress;
      expect(vs.maps).toEqual([
        { vaddr: 0x40000, hostAddress: host, size: PAGE, prot: R },
        { vaddr: 0x41000, hostAddress: host + PAGE, size: 2 * PAGE, prot: RW },
      ]);
      b[PAGE + 3] = 5;
      expect(readBack(0x41003, 1)).toEqual(bytes(5));
      expect(mem.vmas.map((v) => v.kind)).toEqual(["image", "image"]);
    });

    // Regression: when VSpace.map refused a later piece, the cleanup released the block
    // twice (once through unmap, once more directly).
    it("mapRegion() releases the block exactly once when a later piece cannot be mapped", () => {
      vs.refuseMap = (c) => c.vaddr === 0x41000;
      const b = mem.mapRegion(0x40000, 2 * PAGE, [
        { at: 0, size: PAGE, prot: R },
        { at: PAGE, size: PAGE, prot: RW },
      ], "image");
      expect(b).toBeNull();
      expect(mem.vmas).toHaveLength(0);
      expect(vs.unmaps).toEqual([{ vaddr: 0x40000, size: PAGE }]);
      expect(vs.releases).toHaveLength(1);
    });

    it("mapRegion() releases the block once when the first piece cannot be mapped", () => {
      vs.refuseMap = () => true;
      expect(mem.mapRegion(0x40000, PAGE, [{ at: 0, size: PAGE, prot: R }], "image")).toBeNull();
      expect(vs.releases).toHaveLength(1);
      expect(vs.live).toBe(0);
    });

    it("unmap() releases a shared block only when the last Vma using it goes", () => {
      mem.mmapAnonymous(0x50000, 4 * PAGE, RW, true);
      mem.protect(0x51000, PAGE, R);
      expect(mem.vmas).toHaveLength(3);
      expect(new Set(mem.vmas.map((v) => v.block)).size).toBe(1);
      mem.unmap(0x50000, PAGE);
      expect(vs.releases).toHaveLength(0);
      mem.unmap(0x53000, PAGE);
      expect(vs.releases).toHaveLength(0);
      mem.unmap(0x52000, PAGE);
      expect(vs.releases).toHaveLength(0);
      mem.unmap(0x51000, PAGE);
      expect(vs.releases).toEqual([vs.allocations[0]]);
      expect(vs.live).toBe(0);
    });

    it("isFree() is true only for ranges touching no Vma", () => {
      mem.mmapAnonymous(0x10000, PAGE, RW, true);
      expect(mem.isFree(0x11000, 0x12000)).toBe(true);
      expect(mem.isFree(0xf000, 0x10000)).toBe(true);
      expect(mem.isFree(0xf000, 0x10001)).toBe(false);
    });
  });

  describe("brk", () => {
    const START = 0x401234;
    const BASE = 0x402000;

    beforeEach(() => mem.initBrk(START));

    it("initBrk() puts the break at the page after the image", () => {
      expect(mem.brk).toBe(BASE);
      expect(mem.setBrk(0)).toBe(BASE);
      expect(vs.maps).toHaveLength(0);
    });

    it("setBrk() grows within the mapped chunk without a new mapping", () => {
      expect(mem.setBrk(BASE + 100)).toBe(BASE + 100);
      expect(vs.maps).toEqual([expect.objectContaining({ vaddr: BASE, prot: RW })]);
      const chunk = vs.maps[0]!.size;
      expect(chunk).toBeGreaterThanOrEqual(PAGE);
      expect(mem.setBrk(BASE + chunk - 1)).toBe(BASE + chunk - 1);
      expect(mem.setBrk(BASE + chunk)).toBe(BASE + chunk);
      expect(vs.maps).toHaveLength(1);
      expect(mem.write(BASE + chunk - 8, bytes(1, 2, 3, 4, 5, 6, 7, 8))).toBe(true);
      expect(mem.vmas.map((v) => v.kind)).toEqual(["brk"]);
    });

    it("setBrk() grows across chunks into adjacent mappings", () => {
      mem.setBrk(BASE + 1);
      const first = vs.maps[0]!.size;
      expect(mem.setBrk(BASE + first + 0x10000)).toBe(BASE + first + 0x10000);
      expect(vs.maps).toHaveLength(2);
      expect(vs.maps[1]!.vaddr).toBe(BASE + first);
      expect(mem.write(BASE + first - 2, bytes(1, 2, 3, 4))).toBe(true);
      expect(readBack(BASE + first - 2, 4)).toEqual(bytes(1, 2, 3, 4));
    });

    it("setBrk() maps one region big enough for a large jump", () => {
      const far = BASE + 10 * 1024 * 1024 + 5;
      expect(mem.setBrk(far)).toBe(far);
      expect(vs.maps).toHaveLength(1);
      expect(vs.maps[0]!.vaddr + vs.maps[0]!.size).toBeGreaterThanOrEqual(pageUp(far));
    });

    it("setBrk() shrinking zeroes the released bytes only", () => {
      mem.setBrk(BASE + 0x200);
      mem.write(BASE, new Uint8Array(0x200).fill(0xcc));
      expect(mem.setBrk(BASE + 0x100)).toBe(BASE + 0x100);
      expect(readBack(BASE + 0xff, 2)).toEqual(bytes(0xcc, 0));
      expect(readBack(BASE + 0x100, 0x100).every((b) => b === 0)).toBe(true);
      expect(mem.setBrk(BASE + 0x200)).toBe(BASE + 0x200);
      expect(readBack(BASE + 0x1ff, 1)).toEqual(bytes(0));
    });

    it("setBrk() below the start returns the old break", () => {
      mem.setBrk(BASE + 0x1000);
      expect(mem.setBrk(BASE - 1)).toBe(BASE + 0x1000);
      expect(mem.setBrk(BASE)).toBe(BASE);
      expect(mem.brk).toBe(BASE);
    });

    it("setBrk() into an existing mapping returns the old break", () => {
      mem.mmapAnonymous(BASE + 0x100000, PAGE, RW, true);
      expect(mem.setBrk(BASE + 0x200000)).toBe(BASE);
      expect(mem.brk).toBe(BASE);
    });

    it("setBrk() beyond the quota returns the old break", () => {
      vs.quota = 0;
      expect(mem.setBrk(BASE + 1)).toBe(BASE);
      expect(mem.vmas).toHaveLength(0);
    });
  });
});

describe("GuestMemory with lengths a guest chooses", () => {
  it("view(), forEachChunk() and covers() refuse a range beyond the user address space without allocating", () => {
    twoVmas();
    for (const len of [2 ** 62, 2 ** 64, TASK_SIZE, Number.MAX_SAFE_INTEGER]) {
      expect(mem.view(0x10000, len, R)).toBeNull();
      expect(mem.forEachChunk(0x10000, len, R, () => {})).toBe(false);
      expect(mem.covers(0x10000, len, R)).toBe(false);
      expect(mem.unshare(0x10000, len)).toBe(false);
    }
    expect(accessOk(TASK_SIZE - 1, 1)).toBe(true);
    expect(accessOk(TASK_SIZE - 1, 2)).toBe(false);
  });

  it("a read view spanning a hole is null, checked before a copy is sized", () => {
    twoVmas();
    mem.unmap(0x11000, PAGE);
    expect(mem.view(0x10000, 2 * PAGE, R)).toBeNull();
  });

  it("extent() says how far a copy goes before it would fault", () => {
    twoVmas(R);
    expect(mem.extent(0x10000, 3 * PAGE, R)).toBe(2 * PAGE);
    expect(mem.extent(0x10000, 3 * PAGE, RW)).toBe(PAGE);
    expect(mem.extent(0x10800, 10, RW)).toBe(10);
    expect(mem.extent(0x20000, 10, R)).toBe(0);
  });

  it("a mapping's mayProt makes mprotect refuse what it may never have (EACCES)", () => {
    const block = mem.newFileBlock(2 * PAGE, fileChunk(2 * PAGE))!;
    expect(mem.mapBlocks(0x10000, [{ block, offset: 0, size: 2 * PAGE }], R, R | PROT_EXEC)).toBe(true);
    expect(mem.protect(0x10000, PAGE, RW)).toBe(-13);
    expect(mem.protect(0x10000, PAGE, R | PROT_EXEC)).toBe(0);
    expect(mem.vmas[0]!.mayProt & PROT_WRITE).toBe(0);
    expect(mem.vmas[1]!.mayProt & PROT_WRITE).toBe(0);
  });
});

function fileChunk(valid: number): FileChunk & { released: number } {
  return { path: "/f", valid, dirty: false, released: 0, unmapped() { this.released++; } };
}

describe("shared file chunks", () => {
  it("are mapped read-only until the first store marks them dirty", () => {
    const chunk = fileChunk(2 * PAGE);
    const block = mem.newFileBlock(2 * PAGE, chunk)!;
    expect(mem.mapBlocks(0x10000, [{ block, offset: 0, size: 2 * PAGE }], RW, RW)).toBe(true);
    expect(vs.protects.at(-1)).toEqual({ vaddr: 0x10000, size: 2 * PAGE, prot: R });
    expect(mem.resolveWriteFault(0x10010)).toBe(true);
    expect(chunk.dirty).toBe(true);
    expect(vs.protects.at(-1)).toEqual({ vaddr: 0x10000, size: 2 * PAGE, prot: RW });
    chunk.dirty = false;
    mem.refreshBlock(block);
    expect(vs.protects.at(-1)!.prot).toBe(R);
    // A kernel write (read(2) into the mapping) marks it dirty too.
    expect(mem.view(0x10000, 8, PROT_WRITE)).not.toBeNull();
    expect(chunk.dirty).toBe(true);
  });

  it("fault past the file's end (SIGBUS), and the kernel's accesses stop there", () => {
    const chunk = fileChunk(PAGE);
    const block = mem.newFileBlock(2 * PAGE, chunk)!;
    expect(mem.mapBlocks(0x10000, [{ block, offset: 0, size: 2 * PAGE }], R, R)).toBe(true);
    expect(vs.protects.slice(-2)).toEqual([{ vaddr: 0x10000, size: PAGE, prot: R }, { vaddr: 0x11000, size: PAGE, prot: 0 }]);
    expect(mem.isPastEndOfFile(0x11000)).toBe(true);
    expect(mem.isPastEndOfFile(0x10fff)).toBe(false);
    expect(mem.view(0x10ff0, 0x20, R)).toBeNull();
    expect(mem.extent(0x10000, 2 * PAGE, R)).toBe(PAGE);
    expect(mem.resolveWriteFault(0x11000)).toBe(false);
    // The file grows: the page opens.
    chunk.valid = 2 * PAGE;
    mem.refreshBlock(block);
    expect(mem.isPastEndOfFile(0x11000)).toBe(false);
    expect(mem.view(0x10ff0, 0x20, R)).not.toBeNull();
  });

  it("tell the chunk when its last mapping goes, in any address space", () => {
    const chunk = fileChunk(PAGE);
    const block = mem.newFileBlock(PAGE, chunk)!;
    expect(mem.mapBlocks(0x10000, [{ block, offset: 0, size: PAGE }], R, R)).toBe(true);
    const child = mem.fork(new FakeVSpace())!;
    mem.unmap(0x10000, PAGE);
    expect(chunk.released).toBe(0);
    child.release();
    expect(chunk.released).toBe(1);
  });

  it("move with mremap without a copy, and DONTNEED keeps them", () => {
    const chunk = fileChunk(PAGE);
    const block = mem.newFileBlock(PAGE, chunk)!;
    block.mem.bytes[0] = 7;
    expect(mem.mapBlocks(0x10000, [{ block, offset: 0, size: PAGE }], RW, RW)).toBe(true);
    expect(mem.moveRange(0x10000, PAGE, 0x40000)).toBe(true);
    expect(mem.find(0x10000)).toBeNull();
    expect(mem.find(0x40000)!.block).toBe(block);
    expect(chunk.released).toBe(0);
    expect(mem.discard(0x40000, PAGE)).toBe(true);
    expect(readBack(0x40000, 1)).toEqual(bytes(7));
  });
});
