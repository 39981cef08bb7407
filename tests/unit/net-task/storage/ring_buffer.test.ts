// RingBuffer: FIFO copies across the wrap, views that stop at the wrap, writes past the tail.

import { describe, expect, it } from "vitest";
import { RingBuffer } from "../../../../net-task/storage/ring_buffer.ts";

describe("RingBuffer", () => {
  it("enqueue() and dequeue() keep order across the wrap and stop when full", () => {
    const ring = new RingBuffer(8);
    expect(ring.enqueue(Uint8Array.of(1, 2, 3, 4, 5, 6))).toBe(6);
    const out = new Uint8Array(4);
    expect(ring.dequeue(out)).toBe(4);
    expect([...out]).toEqual([1, 2, 3, 4]);
    expect(ring.enqueue(Uint8Array.of(7, 8, 9, 10, 11, 12, 13))).toBe(6);
    expect(ring.free).toBe(0);
    const all = new Uint8Array(10);
    expect(ring.dequeue(all)).toBe(8);
    expect([...all.subarray(0, 8)]).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("peek() gives a contiguous view that ends at the wrap; copyOut() does not", () => {
    const ring = new RingBuffer(8);
    ring.enqueue(new Uint8Array(6));
    ring.discard(6);
    ring.enqueue(Uint8Array.of(1, 2, 3, 4));
    expect([...ring.peek(0, 10)]).toEqual([1, 2]);
    expect([...ring.peek(2, 10)]).toEqual([3, 4]);
    const out = new Uint8Array(4);
    expect(ring.copyOut(1, out)).toBe(3);
    expect([...out.subarray(0, 3)]).toEqual([2, 3, 4]);
  });

  it("writeAt() stores past the tail and commit() makes it readable, even after the buffer emptied", () => {
    const ring = new RingBuffer(8);
    ring.enqueue(Uint8Array.of(1, 2));
    expect(ring.writeAt(2, Uint8Array.of(5, 6))).toBe(2);
    ring.discard(2); // Empty now; the bytes written ahead must stay where they are.
    expect(ring.enqueue(Uint8Array.of(3, 4))).toBe(2);
    ring.commit(2);
    const out = new Uint8Array(4);
    ring.dequeue(out);
    expect([...out]).toEqual([3, 4, 5, 6]);
    expect(ring.writeAt(7, Uint8Array.of(1, 2))).toBe(1);
  });
});
