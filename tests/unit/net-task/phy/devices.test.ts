// Devices: the bounded frame queue, loopback, the in-memory link, the seeded fault injector.

import { describe, expect, it } from "vitest";
import { FaultInjector } from "../../../../net-task/phy/fault_injector.ts";
import { FrameQueue } from "../../../../net-task/phy/frame_queue.ts";
import { createLink } from "../../../../net-task/phy/link.ts";
import { Loopback } from "../../../../net-task/phy/loopback.ts";
import { SeededRandom } from "../../../../net-task/phy/prng.ts";

const frame = (n: number) => Uint8Array.of(n, n, n, n);

describe("FrameQueue", () => {
  it("is FIFO through growth and refuses frames past its limit", () => {
    const q = new FrameQueue(40);
    for (let i = 0; i < 40; i++) expect(q.push(frame(i))).toBe(true);
    expect(q.push(frame(99))).toBe(false);
    for (let i = 0; i < 40; i++) expect(q.shift()![0]).toBe(i);
    expect(q.shift()).toBeNull();
  });
});

describe("Loopback and link", () => {
  it("loopback receives what it transmits, with lo's MTU", () => {
    const lo = new Loopback();
    expect(lo.mtu).toBe(65536);
    expect(lo.medium).toBe("ip");
    lo.transmit(0, frame(1));
    expect(lo.receive()![0]).toBe(1);
    expect(lo.receive()).toBeNull();
  });

  it("a link delivers each end's frames to the other, bounded", () => {
    const [a, b] = createLink({ queueLimit: 2 });
    expect(a.transmit(0, frame(1)) && a.transmit(0, frame(2))).toBe(true);
    expect(a.transmit(0, frame(3))).toBe(false);
    expect(b.pending).toBe(2);
    expect(a.receive()).toBeNull();
    expect(b.receive()![0]).toBe(1);
    b.transmit(0, frame(9));
    expect(a.receive()![0]).toBe(9);
  });

  it("an end's waker runs when a frame lands in its empty queue", () => {
    const [a, b] = createLink();
    let wakes = 0;
    b.setWaker(() => wakes++);
    a.transmit(0, frame(1));
    a.transmit(0, frame(2));
    expect(wakes).toBe(1);
    b.receive();
    b.receive();
    a.transmit(0, frame(3));
    expect(wakes).toBe(2);
    b.setWaker(null);
    b.receive();
    a.transmit(0, frame(4));
    expect(wakes).toBe(2);
  });
});

describe("FaultInjector", () => {
  function run(seed: number, options: object) {
    const lo = new Loopback({ queueLimit: 100_000 });
    const faulty = new FaultInjector(lo, { seed, ...options });
    for (let i = 0; i < 2000; i++) faulty.transmit(0, Uint8Array.of(i >> 8, i & 0xff, 0, 0));
    const out: number[] = [];
    for (let f = faulty.receive(0); f !== null; f = faulty.receive(0)) out.push((f[0]! << 8) | f[1]!);
    return { out, stats: faulty.stats };
  }

  it("is reproducible for a seed and hits each fault near its rate", () => {
    const opts = { drop: 0.1, duplicate: 0.05, reorder: 0.05, corrupt: 0.05 };
    const a = run(42, opts), b = run(42, opts);
    expect(a.out).toEqual(b.out);
    expect(a.stats).toEqual(b.stats);
    // Both directions apply the faults: ~4000 decisions each.
    expect(a.stats.dropped).toBeGreaterThan(250);
    expect(a.stats.dropped).toBeLessThan(550);
    expect(a.stats.duplicated).toBeGreaterThan(80);
    expect(a.stats.reordered).toBeGreaterThan(80);
    expect(a.stats.corrupted).toBeGreaterThan(80);
    expect(run(43, opts).out).not.toEqual(a.out);
  });

  it("with no faults passes every frame through in order", () => {
    const { out } = run(1, {});
    expect(out).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it("reorders by holding a frame back past the next one", () => {
    const { out } = run(5, { reorder: 0.2 });
    expect(out.length).toBe(2000);
    expect(out).not.toEqual([...out].sort((x, y) => x - y));
    expect([...out].sort((x, y) => x - y)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });
});

describe("SeededRandom", () => {
  it("gives the same stream for the same seed, floats in [0, 1)", () => {
    const a = new SeededRandom(7), b = new SeededRandom(7);
    for (let i = 0; i < 100; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});
