import { describe, expect, it } from "vitest";
import { Chunk, allocFrameMemory, chunkAt, freeFrameMemory } from "../../../../microkernel/platform/frame_chunks.ts";

const PAGE = 4096;

describe("Chunk", () => {
  it("take() is first fit and give() coalesces, so the whole chunk fits again", () => {
    const c = new Chunk(0x100000, 16 * PAGE);
    const a = c.take(4 * PAGE), b = c.take(4 * PAGE), d = c.take(4 * PAGE);
    expect([a, b, d]).toEqual([0x100000, 0x104000, 0x108000]);
    c.give(b, 4 * PAGE);
    expect(c.take(8 * PAGE)).toBe(-1);
    expect(c.take(2 * PAGE)).toBe(b);
    c.give(b, 2 * PAGE);
    c.give(a, 4 * PAGE);
    c.give(d, 4 * PAGE);
    expect(c.empty).toBe(true);
    expect(c.take(16 * PAGE)).toBe(0x100000);
  });
});

describe("allocFrameMemory()", () => {
  it("carves small frames out of one chunk, each a zeroed part of its window's view at its host address", () => {
    const a = allocFrameMemory(PAGE), b = allocFrameMemory(3 * PAGE);
    const c = chunkAt(a.address)!;
    expect(chunkAt(b.address)).toBe(c);
    // One view per window of the chunk, made once: a frame is the part of it at its own offset.
    const window = c.bytesAt(c.address, PAGE);
    expect(a.bytes.buffer === window.buffer && b.bytes.buffer === window.buffer).toBe(true);
    expect([a.bytes.byteOffset, b.bytes.byteOffset]).toEqual([a.address - c.address, b.address - c.address]);
    expect(b.bytes.byteLength).toBe(3 * PAGE);
    b.bytes.fill(7);
    expect(a.bytes.every((x) => x === 0)).toBe(true);
    freeFrameMemory(b);
    const again = allocFrameMemory(3 * PAGE);
    expect(again.address).toBe(b.address);
    expect(again.bytes.every((x) => x === 0)).toBe(true);
    freeFrameMemory(again);
    freeFrameMemory(a);
  });

  it("shows a chunk through 16 MiB windows, one every 8 MiB; a part in none of them through a view of its own", () => {
    const MiB = 1024 * 1024;
    const big = allocFrameMemory(40 * MiB);
    const c = chunkAt(big.address)!;
    const inFirst = c.bytesAt(c.address + PAGE, PAGE), alsoFirst = c.bytesAt(c.address + 7 * MiB, PAGE);
    const inSecond = c.bytesAt(c.address + 20 * MiB, PAGE);
    // 8 MiB (a shared chunk's largest frame) across the first window's end: in the second.
    const stack = c.bytesAt(c.address + 12 * MiB, 8 * MiB);
    const across = c.bytesAt(c.address + 16 * MiB - PAGE, 16 * MiB);
    expect(inFirst.buffer === alsoFirst.buffer && inFirst.buffer !== inSecond.buffer).toBe(true);
    expect([stack.byteOffset, stack.byteLength, stack.buffer.byteLength]).toEqual([4 * MiB, 8 * MiB, 16 * MiB]);
    expect([across.byteOffset, across.byteLength]).toEqual([0, 16 * MiB]);
    // The same memory, whichever view shows it.
    across.fill(9, 0, 2 * PAGE);
    expect(big.bytes[16 * MiB - PAGE] === 9 && big.bytes[16 * MiB + PAGE - 1] === 9 && big.bytes[16 * MiB + PAGE] === 0).toBe(true);
    expect(stack[4 * MiB - PAGE]).toBe(9);
    inSecond[0] = 5;
    expect(big.bytes[20 * MiB]).toBe(5);
    freeFrameMemory(big);
  });

  it("puts every 8 MiB frame of a shared chunk in a window it shares with others", () => {
    const MiB = 1024 * 1024;
    const small = allocFrameMemory(5 * MiB);
    const frames = [allocFrameMemory(8 * MiB), allocFrameMemory(8 * MiB), allocFrameMemory(8 * MiB)];
    const c = chunkAt(small.address)!;
    for (const f of frames) {
      expect(chunkAt(f.address)).toBe(c);
      // The view a page at its start is shown through, a window's, not an 8 MiB one of its own.
      expect(f.bytes.buffer === c.bytesAt(f.address, PAGE).buffer).toBe(true);
    }
    for (const f of [small, ...frames]) freeFrameMemory(f);
  });

  it("gives a large frame a chunk of its own, dropped from its users and unmapped when freed", () => {
    const big = allocFrameMemory(9 * 1024 * 1024);
    const c = chunkAt(big.address)!;
    expect(c.address).toBe(big.address);
    let dropped = 0;
    c.users.add({ dropChunk: (chunk) => void (dropped += chunk === c ? 1 : 0) });
    freeFrameMemory(big);
    expect(dropped).toBe(1);
    expect(chunkAt(big.address)).toBeNull();
  });
});
