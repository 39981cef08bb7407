// parseFaultSpec (--net-faults) and the fault injector's delay line and rate limit.

import { describe, expect, it } from "vitest";
import { FaultInjector, Loopback, parseFaultSpec } from "../../../../net-task/mod.ts";

describe("parseFaultSpec()", () => {
  it("reads every fault, percentages, units and the seed", () => {
    expect(parseFaultSpec("drop=0.1,dup=0.01,reorder=5%,corrupt=0.01,delay=5,rate=100mbit,seed=42")).toEqual({
      seed: 42, drop: 0.1, duplicate: 0.01, reorder: 0.05, corrupt: 0.01, delay: 5, rate: 100e6,
    });
    expect(parseFaultSpec("")).toEqual({ seed: 1 });
  });

  it("names the part that is wrong", () => {
    expect(() => parseFaultSpec("drop=1.5")).toThrow(/drop needs a probability/);
    expect(() => parseFaultSpec("rate=fast")).toThrow(/rate needs bits per second/);
    expect(() => parseFaultSpec("jitter=3")).toThrow(/unknown fault "jitter"/);
    expect(() => parseFaultSpec("seed=-1")).toThrow(/seed needs a u32/);
  });
});

describe("FaultInjector delay and rate", () => {
  it("holds frames for the delay, queues them behind each other at the rate, and says when the next is due", () => {
    const lo = new Loopback();
    // 8 Mbit/s: a 1000-byte frame takes 1 ms on the medium.
    const dev = new FaultInjector(lo, { seed: 1, delay: 10, rate: 8e6 });
    expect((dev as { checksumOffload?: boolean }).checksumOffload).toBeUndefined();
    lo.transmit(0, new Uint8Array(1000));
    lo.transmit(0, new Uint8Array(1000));
    expect(dev.receive(0)).toBeNull();
    expect(dev.pollAt()).toBe(11);
    expect(dev.receive(10.5)).toBeNull();
    expect(dev.receive(11)?.length).toBe(1000);
    expect(dev.pollAt()).toBe(12);
    expect(dev.receive(12)?.length).toBe(1000);
    expect(dev.pollAt()).toBe(Infinity);
  });
});
