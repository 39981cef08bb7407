// The frame ring (a link across threads in shared memory), its two ends on one thread
// here: frames cross each way in order and intact, through many wrap-arounds; a full
// ring and a frame too big for a slot drop (counted); the waker fires when a frame lands,
// and at once when frames came first; buffers it did not make are refused. The crossing
// between threads is in tests/unit/net-task/ipc/net_task.test.ts (a worker-mode net-task
// on one end).

import { describe, expect, it } from "vitest";
import { FrameRingEnd, createFrameRing } from "../../../../net-task/phy/frame_ring.ts";

/** A frame of `length` bytes whose bytes say `n`. */
const frame = (n: number, length = 60) => new Uint8Array(length).fill(n & 0xff);

/** Resolves when the end's waker runs. */
function woken(end: FrameRingEnd): Promise<void> {
  return new Promise((resolve) => end.setWaker(() => resolve()));
}

describe("FrameRingEnd", () => {
  it("carries frames each way in order and intact, through many wrap-arounds", () => {
    const sab = createFrameRing(1500);
    const a = new FrameRingEnd(sab, 0), b = new FrameRingEnd(sab, 1);
    expect([a.mtu, b.mtu, a.medium]).toEqual([1500, 1500, "ethernet"]);
    for (let i = 0; i < 2000; i++) {
      const length = 14 + (i % 1500);
      expect(a.transmit(0, frame(i, length))).toBe(true);
      expect(b.transmit(0, frame(i + 1, 64))).toBe(true);
      const got = b.receive()!;
      expect(got.length).toBe(length);
      expect(got.every((x) => x === (i & 0xff))).toBe(true);
      expect(a.receive()![0]).toBe((i + 1) & 0xff);
    }
    expect(a.receive()).toBeNull();
    expect(b.receive()).toBeNull();
    expect(a.stats).toEqual({ sent: 2000, dropped: 0 });
  });

  it("a full ring and a frame past the slot drop, counted; what was taken stays the receiver's", () => {
    const sab = createFrameRing(65535);
    const a = new FrameRingEnd(sab, 0), b = new FrameRingEnd(sab, 1);
    let sent = 0;
    while (a.transmit(0, frame(sent))) sent++;
    expect(sent).toBe(8);
    expect(b.pending).toBe(8);
    expect(a.transmit(0, frame(0, 65535 + 15))).toBe(false);
    expect(a.stats).toEqual({ sent: 8, dropped: 2 });
    const first = b.receive()!;
    expect(a.transmit(0, frame(99))).toBe(true);
    expect(first[0]).toBe(0);
    for (let i = 1; i < 8; i++) expect(b.receive()![0]).toBe(i);
    expect(b.receive()![0]).toBe(99);
  });

  it("an end of a smaller MTU than the ring's reports its own", () => {
    const sab = createFrameRing(9000);
    expect(new FrameRingEnd(sab, 0, 1500).mtu).toBe(1500);
    expect(() => new FrameRingEnd(sab, 1, 9001)).toThrow(RangeError);
  });

  it("wakes the receiver when a frame lands, and at once when frames came before the waker", async () => {
    const sab = createFrameRing(1500);
    const a = new FrameRingEnd(sab, 0), b = new FrameRingEnd(sab, 1);
    const first = woken(b);
    a.transmit(0, frame(1));
    await first;
    expect(b.receive()![0]).toBe(1);
    expect(b.receive()).toBeNull();
    const second = woken(b);
    a.transmit(0, frame(2));
    await second;
    expect(b.pollAt()).toBe(0);
    expect(b.receive()![0]).toBe(2);
    expect(b.pollAt()).toBe(Infinity);
    b.setWaker(null);
    a.transmit(0, frame(3));
    await woken(b);
    expect(b.receive()![0]).toBe(3);
    b.setWaker(null);
  });

  it("refuses a buffer that is not a frame ring, and an MTU out of range", () => {
    expect(() => new FrameRingEnd(new SharedArrayBuffer(64), 0)).toThrow(TypeError);
    expect(() => new FrameRingEnd(new ArrayBuffer(64) as unknown as SharedArrayBuffer, 0)).toThrow(TypeError);
    expect(() => createFrameRing(40)).toThrow(RangeError);
    expect(() => createFrameRing(70000)).toThrow(RangeError);
  });
});
