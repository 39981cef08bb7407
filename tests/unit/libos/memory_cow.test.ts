import { beforeEach, describe, expect, it } from "vitest";
import { GuestMemory, MemoryIds, PAGE, PROT_READ, PROT_WRITE, type HostMemory } from "../../../libos/memory.ts";
import { FakeVSpace } from "./_fake_vspace.ts";

const R = PROT_READ;
const RW = PROT_READ | PROT_WRITE;
const GRANULE = 64 * 1024;

// Parent layout: a private RW region of four granules, a private read-only page, and a
// MAP_SHARED RW region.
const PRIV = 0x100000;
const PRIV_SIZE = 4 * GRANULE;
const RO = 0x200000;
const SHARED = 0x300000;

let pvs: FakeVSpace;
let parent: GuestMemory;
let cvs: FakeVSpace;

const pattern = (i: number): number => (i * 31 + 7) & 0xff;

function readBytes(m: GuestMemory, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  expect(m.read(addr, out)).toBe(true);
  return out;
}

function byteAt(m: GuestMemory, addr: number): number {
  return readBytes(m, addr, 1)[0]!;
}

function setup(): void {
  pvs = new FakeVSpace();
  parent = new GuestMemory(pvs, new MemoryIds());
  expect(parent.mmapAnonymous(PRIV, PRIV_SIZE, RW, true)).toBe(PRIV);
  const fill = new Uint8Array(PRIV_SIZE);
  for (let i = 0; i < fill.length; i++) fill[i] = pattern(i);
  expect(parent.write(PRIV, fill)).toBe(true);
  expect(parent.mmapAnonymous(RO, PAGE, RW, true)).toBe(RO);
  expect(parent.write(RO, new Uint8Array([0xaa, 0xbb]))).toBe(true);
  expect(parent.protect(RO, PAGE, R)).toBe(0);
  expect(parent.mmapAnonymous(SHARED, 2 * PAGE, RW, true, true)).toBe(SHARED);
  cvs = new FakeVSpace();
}

function fork(): GuestMemory {
  pvs.maps.length = pvs.protects.length = pvs.unmaps.length = 0;
  const child = parent.fork(cvs);
  expect(child).not.toBeNull();
  return child!;
}

beforeEach(setup);

describe("fork()", () => {
  it("gives the child the same Vmas over the same blocks, allocating nothing", () => {
    const child = fork();
    expect(child.vmas.map((v) => [v.start, v.end, v.prot, v.shared])).toEqual(parent.vmas.map((v) => [v.start, v.end, v.prot, v.shared]));
    child.vmas.forEach((v, i) => expect(v.block).toBe(parent.vmas[i]!.block));
    expect(cvs.allocations).toHaveLength(0);
    expect(pvs.allocations).toHaveLength(3);
    // The child's engine maps the parent's host memory.
    expect(cvs.maps.map((m) => m.hostAddress)).toEqual(pvs.allocations.map((a) => a.hostAddress));
  });

  it("both spaces read the same bytes", () => {
    const child = fork();
    expect(Buffer.compare(readBytes(child, PRIV, PRIV_SIZE), readBytes(parent, PRIV, PRIV_SIZE))).toBe(0);
    expect(readBytes(child, PRIV + PRIV_SIZE - 1, 1)[0]).toBe(pattern(PRIV_SIZE - 1));
    expect(readBytes(child, RO, 2)).toEqual(new Uint8Array([0xaa, 0xbb]));
  });

  it("marks private Vmas copy-on-write in both spaces and maps the writable ones read-only in both engines", () => {
    const child = fork();
    for (const m of [parent, child]) {
      expect(m.vmas.map((v) => [v.start, v.cow])).toEqual([[PRIV, true], [RO, true], [SHARED, false]]);
      expect(m.isCopyOnWrite(PRIV + 5)).toBe(true);
      expect(m.isCopyOnWrite(RO)).toBe(false); // not writable: a write there is a real fault
      expect(m.isCopyOnWrite(SHARED)).toBe(false);
    }
    // Parent: only the private writable Vma's engine protection changes.
    expect(pvs.protects).toEqual([{ vaddr: PRIV, size: PRIV_SIZE, prot: R }]);
    // Child: mapped with the engine protections straight away.
    expect(cvs.maps.map((m) => [m.vaddr, m.size, m.prot])).toEqual([
      [PRIV, PRIV_SIZE, R],
      [RO, PAGE, R],
      [SHARED, 2 * PAGE, RW],
    ]);
  });

  it("copies the break", () => {
    parent.initBrk(0x400000);
    parent.setBrk(0x400000 + 100);
    const child = fork();
    expect(child.brk).toBe(parent.brk);
    expect(child.setBrk(0x400000 + 200)).toBe(0x400000 + 200);
    expect(parent.brk).toBe(0x400000 + 100);
  });

  it("returns null and leaves nothing behind when the child's engine refuses a mapping", () => {
    cvs.refuseMap = (c) => c.vaddr === SHARED;
    pvs.maps.length = 0;
    expect(parent.fork(cvs)).toBeNull();
    expect(cvs.releases).toHaveLength(0);
    expect(pvs.releases).toHaveLength(0);
    // The parent still works and its first write fault needs no copy.
    expect(parent.resolveWriteFault(PRIV)).toBe(true);
    expect(pvs.allocations).toHaveLength(3);
    expect(parent.isCopyOnWrite(PRIV)).toBe(false);
  });
});

describe("resolveWriteFault()", () => {
  it("gives the faulting space a private copy of the 64 KiB granule only", () => {
    const child = fork();
    const shared = parent.vmas[0]!.block;
    const addr = PRIV + GRANULE + 0x1234;
    expect(child.resolveWriteFault(addr)).toBe(true);

    expect(cvs.allocations).toHaveLength(1);
    const copy = cvs.allocations[0]!;
    expect(copy.bytes.length).toBe(GRANULE);
    expect(child.vmas.filter((v) => v.start < PRIV + PRIV_SIZE).map((v) => [v.start, v.end, v.cow, v.block === shared])).toEqual([
      [PRIV, PRIV + GRANULE, true, true],
      [PRIV + GRANULE, PRIV + 2 * GRANULE, false, false],
      [PRIV + 2 * GRANULE, PRIV + PRIV_SIZE, true, true],
    ]);
    // The engine now maps the copy, writable, at the granule.
    expect(cvs.unmaps).toEqual([{ vaddr: PRIV + GRANULE, size: GRANULE }]);
    expect(cvs.maps.at(-1)).toEqual({ vaddr: PRIV + GRANULE, hostAddress: copy.hostAddress, size: GRANULE, prot: RW });
    expect(child.isCopyOnWrite(addr)).toBe(false);
    expect(child.isCopyOnWrite(PRIV)).toBe(true);
    expect(child.isCopyOnWrite(PRIV + 2 * GRANULE)).toBe(true);

    // The copy holds the same bytes; a store through it stays in the child.
    expect(Buffer.compare(readBytes(child, PRIV + GRANULE, GRANULE), readBytes(parent, PRIV + GRANULE, GRANULE))).toBe(0);
    copy.bytes[0x1234] ^= 0xff;
    expect(byteAt(child, addr)).toBe(pattern(GRANULE + 0x1234) ^ 0xff);
    expect(byteAt(parent, addr)).toBe(pattern(GRANULE + 0x1234));

    // The parent is untouched: still copy-on-write everywhere, nothing new allocated.
    expect(parent.isCopyOnWrite(addr)).toBe(true);
    expect(pvs.allocations).toHaveLength(3);
    expect(parent.vmas[0]!.block).toBe(shared);
  });

  it("clips the granule to the Vma", () => {
    const m = new GuestMemory(new FakeVSpace(), new MemoryIds());
    const at = 0x500000 + 0x3000; // not granule-aligned, two pages long
    expect(m.mmapAnonymous(at, 2 * PAGE, RW, true)).toBe(at);
    const vs2 = new FakeVSpace();
    const child = m.fork(vs2)!;
    expect(child.resolveWriteFault(at + PAGE + 1)).toBe(true);
    expect(vs2.allocations.map((a) => a.bytes.length)).toEqual([2 * PAGE]);
    expect(child.vmas.map((v) => [v.start, v.end, v.cow])).toEqual([[at, at + 2 * PAGE, false]]);
  });

  it("copies again in the parent while the child still uses the block elsewhere", () => {
    const child = fork();
    expect(child.resolveWriteFault(PRIV + GRANULE)).toBe(true);
    const before = pvs.allocations.length;
    expect(parent.resolveWriteFault(PRIV + GRANULE)).toBe(true);
    expect(pvs.allocations).toHaveLength(before + 1);
    expect(parent.isCopyOnWrite(PRIV + GRANULE)).toBe(false);
    expect(parent.isCopyOnWrite(PRIV)).toBe(true);
  });

  it("only re-enables writing when no other space shares the block any more", () => {
    const child = fork();
    child.release();
    pvs.protects.length = 0;
    expect(parent.resolveWriteFault(PRIV + 3 * GRANULE + 8)).toBe(true);
    expect(pvs.allocations).toHaveLength(3);
    expect(pvs.protects).toEqual([{ vaddr: PRIV, size: PRIV_SIZE, prot: RW }]);
    expect(parent.vmas[0]!.cow).toBe(false);
    expect(parent.isCopyOnWrite(PRIV)).toBe(false);
    // A private read-only Vma on another block stays copy-on-write until written.
    expect(parent.vmas[1]!.cow).toBe(true);
  });

  it("re-enables writing on every piece of a block once the other space has copied them all", () => {
    const child = fork();
    for (let g = 0; g < 4; g++) expect(child.resolveWriteFault(PRIV + g * GRANULE)).toBe(true);
    expect(cvs.allocations).toHaveLength(4);
    expect(pvs.releases).toHaveLength(0);
    pvs.protects.length = 0;
    expect(parent.resolveWriteFault(PRIV + 2 * GRANULE)).toBe(true);
    expect(pvs.allocations).toHaveLength(3);
    expect(pvs.protects).toEqual([{ vaddr: PRIV, size: PRIV_SIZE, prot: RW }]);
  });

  it("is false for a real protection fault and for an address without a Vma", () => {
    const child = fork();
    expect(child.resolveWriteFault(RO)).toBe(false);
    expect(child.resolveWriteFault(SHARED)).toBe(false);
    expect(child.resolveWriteFault(0x900000)).toBe(false);
    expect(child.isCopyOnWrite(0x900000)).toBe(false);
    expect(cvs.allocations).toHaveLength(0);
  });

  it("is false when the quota cannot hold the copy; the page stays copy-on-write", () => {
    cvs.quota = GRANULE - 1;
    const child = fork();
    expect(child.resolveWriteFault(PRIV + 10)).toBe(false);
    expect(child.isCopyOnWrite(PRIV + 10)).toBe(true);
    expect(child.vmas[0]!.block).toBe(parent.vmas[0]!.block);
    expect(cvs.maps.filter((m) => m.prot === RW && m.vaddr === PRIV)).toHaveLength(0);
    // Kernel writes fail the same way (the syscall reports EFAULT), leaving both sides alone.
    expect(child.write(PRIV + 10, new Uint8Array([1]))).toBe(false);
    expect(child.view(PRIV + 10, 1, PROT_WRITE)).toBeNull();
    expect(byteAt(parent, PRIV + 10)).toBe(pattern(10));
    cvs.quota = Infinity;
    expect(child.resolveWriteFault(PRIV + 10)).toBe(true);
    expect(child.isCopyOnWrite(PRIV + 10)).toBe(false);
  });
});

describe("kernel writes after fork", () => {
  it("write() in the child leaves the parent unchanged", () => {
    const child = fork();
    expect(child.write(PRIV + 100, new Uint8Array([1, 2, 3]))).toBe(true);
    expect(readBytes(child, PRIV + 100, 3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(readBytes(parent, PRIV + 100, 3)).toEqual(new Uint8Array([pattern(100), pattern(101), pattern(102)]));
  });

  it("write() in the parent leaves the child unchanged", () => {
    const child = fork();
    expect(parent.write(PRIV + 100, new Uint8Array([1, 2, 3]))).toBe(true);
    expect(readBytes(child, PRIV + 100, 3)).toEqual(new Uint8Array([pattern(100), pattern(101), pattern(102)]));
  });

  it("a write across a granule boundary copies both granules", () => {
    const child = fork();
    const at = PRIV + GRANULE - 2;
    expect(child.write(at, new Uint8Array([9, 9, 9, 9]))).toBe(true);
    expect(cvs.allocations).toHaveLength(2);
    expect(readBytes(child, at, 4)).toEqual(new Uint8Array([9, 9, 9, 9]));
    expect(readBytes(parent, at, 4)).toEqual(new Uint8Array([0, 1, 2, 3].map((i) => pattern(GRANULE - 2 + i))));
  });

  it("poke() into a read-only copy-on-write page leaves the other side unchanged", () => {
    const child = fork();
    expect(child.poke(RO, new Uint8Array([0x11]))).toBe(true);
    expect(byteAt(child, RO)).toBe(0x11);
    expect(byteAt(parent, RO)).toBe(0xaa);
    // Still read-only for the guest and for write().
    expect(child.vmas.find((v) => v.start === RO)!.prot).toBe(R);
    expect(cvs.maps.at(-1)).toEqual(expect.objectContaining({ vaddr: RO, prot: R }));
    expect(child.write(RO, new Uint8Array([1]))).toBe(false);
  });

  it("view(…, PROT_WRITE) gives the caller private bytes", () => {
    const child = fork();
    const v = child.view(PRIV + 3 * GRANULE + 16, 8, PROT_WRITE)!;
    expect(v).not.toBeNull();
    v.fill(0xee);
    expect(readBytes(child, PRIV + 3 * GRANULE + 16, 8)).toEqual(new Uint8Array(8).fill(0xee));
    expect(byteAt(parent, PRIV + 3 * GRANULE + 16)).toBe(pattern(3 * GRANULE + 16));
  });

  it("view(…, PROT_READ) copies nothing", () => {
    const child = fork();
    expect(child.view(PRIV, 16, PROT_READ)).not.toBeNull();
    expect(cvs.allocations).toHaveLength(0);
    expect(child.isCopyOnWrite(PRIV)).toBe(true);
  });

  it("zero() in the child leaves the parent unchanged", () => {
    const child = fork();
    expect(child.zero(PRIV, 32)).toBe(true);
    expect(readBytes(child, PRIV, 32)).toEqual(new Uint8Array(32));
    expect(byteAt(parent, PRIV + 1)).toBe(pattern(1));
  });

  it("mprotect after fork keeps a private Vma copy-on-write", () => {
    const child = fork();
    expect(child.protect(RO, PAGE, RW)).toBe(0);
    expect(cvs.protects.at(-1)).toEqual({ vaddr: RO, size: PAGE, prot: R });
    expect(child.isCopyOnWrite(RO)).toBe(true);
    expect(child.resolveWriteFault(RO)).toBe(true);
    expect(child.write(RO, new Uint8Array([5]))).toBe(true);
    expect(byteAt(parent, RO)).toBe(0xaa);
  });
});

describe("MAP_SHARED across fork", () => {
  it("stays one block: writes in either space are seen in the other", () => {
    const child = fork();
    expect(child.write(SHARED + 10, new Uint8Array([42]))).toBe(true);
    expect(byteAt(parent, SHARED + 10)).toBe(42);
    expect(parent.write(SHARED + PAGE, new Uint8Array([43]))).toBe(true);
    expect(byteAt(child, SHARED + PAGE)).toBe(43);
    expect(cvs.allocations).toHaveLength(0);
    expect(pvs.allocations).toHaveLength(3);
  });

  it("has the same futex key in both spaces, while private memory's keys differ", () => {
    const child = fork();
    expect(child.futexKey(SHARED + 8)).toBe(parent.futexKey(SHARED + 8));
    expect(child.futexKey(SHARED + 8)).not.toBe(child.futexKey(SHARED + 12));
    expect(child.futexKey(PRIV + 8)).not.toBe(parent.futexKey(PRIV + 8));
    expect(child.futexKey(0x900000)).toBeNull();
  });

  it("keys by block and offset: a shared word keeps its key after the Vma is split", () => {
    const before = parent.futexKey(SHARED + PAGE + 4);
    expect(parent.protect(SHARED + PAGE, PAGE, R)).toBe(0);
    expect(parent.futexKey(SHARED + PAGE + 4)).toBe(before);
  });

  it("stays shared with a grandchild", () => {
    const child = fork();
    const grandchild = child.fork(new FakeVSpace())!;
    expect(grandchild.write(SHARED, new Uint8Array([77]))).toBe(true);
    expect(byteAt(parent, SHARED)).toBe(77);
    expect(byteAt(child, SHARED)).toBe(77);
  });
});

describe("release()", () => {
  it("gives back every block once the last space using it is released", () => {
    const child = fork();
    child.write(PRIV, new Uint8Array([1])); // the child's own copy of one granule
    parent.write(PRIV + 3 * GRANULE, new Uint8Array([1])); // and the parent's
    const allocated = [...pvs.allocations, ...cvs.allocations];
    expect(allocated).toHaveLength(5);
    child.release();
    expect(child.vmas).toHaveLength(0);
    expect(cvs.releases).toEqual([cvs.allocations[0]]);
    expect(pvs.releases).toHaveLength(0);
    parent.release();
    const released = [...pvs.releases, ...cvs.releases];
    expect(released).toHaveLength(5);
    expect(new Set(released)).toEqual(new Set(allocated));
    expect(pvs.live + cvs.live).toBe(0);
  });

  it("after the parent goes first, the child's release returns the rest", () => {
    const child = fork();
    parent.release();
    expect([...pvs.releases, ...cvs.releases]).toHaveLength(0);
    child.release();
    const released = [...pvs.releases, ...cvs.releases];
    expect(new Set(released)).toEqual(new Set(pvs.allocations));
    expect(released).toHaveLength(3);
  });

  // The real VSpace (user_kernel.ts FrameVSpace) keeps the Frame slots of the blocks it
  // allocated and ignores release() of any other block. A block is released through the
  // space that drops it last (memory.ts #dropUser uses this.#vspace), so when the parent
  // exits before a child that still shares its blocks, the blocks go to the child's
  // VSpace and their Frames (Untyped quota) are never freed.
  it("returns each block to the VSpace that allocated it, whoever drops it last", () => {
    class OwningVSpace extends FakeVSpace {
      readonly #mine = new Set<HostMemory>();
      override allocate(size: number): HostMemory | null {
        const m = super.allocate(size);
        if (m) this.#mine.add(m);
        return m;
      }
      override release(mem: HostMemory): void {
        if (!this.#mine.delete(mem)) return; // as FrameVSpace: not one of ours
        super.release(mem);
      }
    }
    const pv = new OwningVSpace();
    const p = new GuestMemory(pv, new MemoryIds());
    expect(p.mmapAnonymous(PRIV, PRIV_SIZE, RW, true)).toBe(PRIV);
    const cv = new OwningVSpace();
    const c = p.fork(cv)!;
    p.release(); // the parent exits first
    c.release();
    expect(pv.live + cv.live).toBe(0);
  });
});
