// The worker ring's queues: FIFO order, empty detection, and wrap-around of the counters.

import { describe, expect, it } from "vitest";
import { Ctl, RING_BYTES, RING_SLOTS, SlotQueue, Waiter, controlView, ring, ringQueues, slotViews, spinFor } from "../../../device-ipc/ring.ts";

describe("SlotQueue", () => {
  it("hands slots back in order and says when it is empty", () => {
    const { request } = ringQueues(controlView(new SharedArrayBuffer(RING_BYTES)));
    expect(request.pop()).toBe(-1);
    expect(request.empty).toBe(true);
    for (let i = 0; i < RING_SLOTS; i++) request.push(i);
    expect(request.empty).toBe(false);
    for (let i = 0; i < RING_SLOTS; i++) expect(request.pop()).toBe(i);
    expect(request.pop()).toBe(-1);
  });

  it("keeps working when its counters wrap past 2^31", () => {
    const ctl = controlView(new SharedArrayBuffer(RING_BYTES));
    ctl[Ctl.ResponseHead] = 2 ** 31 - 3;
    ctl[Ctl.ResponseTail] = 2 ** 31 - 3;
    const q = new SlotQueue(ctl, Ctl.ResponseHead, Ctl.ResponseTail, Ctl.ResponseEntries);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) q.push(i + round);
      for (let i = 0; i < 5; i++) expect(q.pop()).toBe(i + round);
    }
    expect(q.empty).toBe(true);
  });

  it("spinFor() returns false after its time on an empty queue, true at once otherwise", () => {
    const { free } = ringQueues(controlView(new SharedArrayBuffer(RING_BYTES)));
    expect(spinFor(free, 50)).toBe(false);
    free.push(3);
    expect(spinFor(free, 50)).toBe(true);
  });

  it("slots do not overlap and keep 8-byte aligned words", () => {
    const slots = slotViews(new SharedArrayBuffer(RING_BYTES));
    for (const s of slots) expect(s.words.byteOffset % 8).toBe(0);
    slots[0]!.bytes.fill(1);
    expect(slots[1]!.header.every((v) => v === 0)).toBe(true);
  });
});

describe("Waiter", () => {
  it("returns true at once for a queue that holds something, false after its timeout otherwise", () => {
    const ctl = controlView(new SharedArrayBuffer(RING_BYTES));
    const { response } = ringQueues(ctl);
    const w = new Waiter(20);
    const t0 = performance.now();
    expect(w.wait(response, ctl, Ctl.ClientBell, 5)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4);
    response.push(1);
    ring(ctl, Ctl.ClientBell);
    expect(w.wait(response, ctl, Ctl.ClientBell, 5)).toBe(true);
    expect(w.budgetMicros).toBeLessThanOrEqual(20);
  });
});
