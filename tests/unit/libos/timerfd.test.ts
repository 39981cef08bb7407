import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EAGAIN, EINVAL } from "../../../linux-abi/errno.ts";
import { CLOCK_MONOTONIC } from "../../../linux-abi/time.ts";
import { TimerFd } from "../../../libos/timerfd.ts";

/** One read of the expiration count, or -errno. */
function ticks(tf: TimerFd): number {
  const b = new Uint8Array(8);
  const r = tf.read(b);
  return r < 0 ? r : Number(new DataView(b.buffer).getBigUint64(0, true));
}

describe("TimerFd (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a one-shot timer expires once, and reads EAGAIN before and after", () => {
    const tf = new TimerFd(CLOCK_MONOTONIC);
    expect(tf.read(new Uint8Array(4))).toBe(-EINVAL);
    tf.set(50, 0);
    expect(ticks(tf)).toBe(-EAGAIN);
    expect(tf.remainingMs()).toBe(50);
    vi.advanceTimersByTime(50);
    expect(tf.poll()).not.toBe(0);
    expect(ticks(tf)).toBe(1);
    expect(ticks(tf)).toBe(-EAGAIN);
    expect(tf.remainingMs()).toBe(0);
  });

  it("a periodic timer stops at its expiry (one notification) and counts the periods when read", () => {
    const tf = new TimerFd(CLOCK_MONOTONIC);
    let notified = 0;
    tf.readiness.watch(() => (notified++, true));
    tf.set(10, 10);
    vi.advanceTimersByTime(55);
    expect(notified).toBe(1);
    expect(ticks(tf)).toBe(5);
    expect(tf.remainingMs()).toBe(5);
    vi.advanceTimersByTime(5);
    expect(notified).toBe(2);
    expect(ticks(tf)).toBe(1);
  });

  it("a time that has passed expires at once, with the periods since", () => {
    const tf = new TimerFd(CLOCK_MONOTONIC);
    tf.set(-5500, 1000);
    expect(ticks(tf)).toBe(6);
    expect(tf.remainingMs()).toBe(500);
  });

  it("a new setting drops the expirations not read; null disarms", () => {
    const tf = new TimerFd(CLOCK_MONOTONIC);
    tf.set(1, 0);
    vi.advanceTimersByTime(1);
    tf.set(1000, 0);
    expect(ticks(tf)).toBe(-EAGAIN);
    tf.set(null, 0);
    vi.advanceTimersByTime(2000);
    expect(ticks(tf)).toBe(-EAGAIN);
    expect(tf.remainingMs()).toBe(0);
  });
});
