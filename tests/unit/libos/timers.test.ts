import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IntervalTimer, MAX_HOST_DELAY_MS } from "../../../libos/timers.ts";

describe("IntervalTimer (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function counting(): { timer: IntervalTimer; fired: () => number; armedInFire: boolean[] } {
    let n = 0;
    const armedInFire: boolean[] = [];
    const timer = new IntervalTimer((tm) => {
      n++;
      armedInFire.push(tm.armed);
    });
    return { timer, fired: () => n, armedInFire };
  }

  it("a one-shot timer fires once at its expiry and disarms", () => {
    const { timer, fired, armedInFire } = counting();
    expect(timer.armed).toBe(false);
    expect(timer.remainingMs()).toBe(0);
    timer.arm(100, 0);
    expect(timer.armed).toBe(true);
    expect(timer.remainingMs()).toBe(100);
    vi.advanceTimersByTime(40);
    expect(timer.remainingMs()).toBe(60);
    expect(fired()).toBe(0);
    vi.advanceTimersByTime(59);
    expect(fired()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired()).toBe(1);
    expect(armedInFire).toEqual([false]);
    expect(timer.armed).toBe(false);
    expect(timer.remainingMs()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(fired()).toBe(1);
  });

  it("an interval timer re-arms itself after each expiry", () => {
    const { timer, fired, armedInFire } = counting();
    timer.arm(50, 20);
    expect(timer.intervalMs).toBe(20);
    vi.advanceTimersByTime(50);
    expect(fired()).toBe(1);
    expect(timer.armed).toBe(true);
    expect(timer.remainingMs()).toBe(20);
    vi.advanceTimersByTime(15);
    expect(timer.remainingMs()).toBe(5);
    vi.advanceTimersByTime(5);
    expect(fired()).toBe(2);
    vi.advanceTimersByTime(100);
    expect(fired()).toBe(7);
    expect(armedInFire.every((a) => a)).toBe(true);
    expect(timer.overrun).toBe(0);
  });

  it("disarm() stops it; remainingMs() is then 0", () => {
    const { timer, fired } = counting();
    timer.arm(30, 30);
    vi.advanceTimersByTime(30);
    expect(fired()).toBe(1);
    timer.disarm();
    expect(timer.armed).toBe(false);
    expect(timer.remainingMs()).toBe(0);
    vi.advanceTimersByTime(300);
    expect(fired()).toBe(1);
  });

  it("arming again replaces the previous expiry", () => {
    const { timer, fired } = counting();
    timer.arm(100, 0);
    vi.advanceTimersByTime(50);
    timer.arm(10, 0);
    expect(timer.remainingMs()).toBe(10);
    vi.advanceTimersByTime(10);
    expect(fired()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(fired()).toBe(1);
  });

  it("arm(0, interval) disarms but records the interval", () => {
    const { timer, fired } = counting();
    timer.arm(10, 0);
    timer.arm(0, 25);
    expect(timer.armed).toBe(false);
    expect(timer.intervalMs).toBe(25);
    vi.advanceTimersByTime(100);
    expect(fired()).toBe(0);
  });

  // alarm(0xffffffff) or a timer of years: a host timeout longer than Node's limit would
  // fire at once, so the timer sleeps in steps of the limit and fires only at its time.
  it("a delay beyond the host's longest timeout fires at its time, not at once", () => {
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const { timer, fired } = counting();
    const delay = 2 ** 40;
    timer.arm(delay, 0);
    expect(setTimeoutSpy.mock.calls.every((c) => (c[1] ?? 0) <= MAX_HOST_DELAY_MS)).toBe(true);
    vi.advanceTimersByTime(MAX_HOST_DELAY_MS + 1);
    expect(fired()).toBe(0);
    expect(timer.remainingMs()).toBe(delay - MAX_HOST_DELAY_MS - 1);
    vi.advanceTimersByTime(delay - MAX_HOST_DELAY_MS - 2);
    expect(fired()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired()).toBe(1);
    expect(setTimeoutSpy.mock.calls.length).toBeLessThan(1000);
    setTimeoutSpy.mockRestore();
  });

  it("the fire callback may disarm an interval timer", () => {
    const timer = new IntervalTimer((tm) => tm.disarm());
    timer.arm(10, 10);
    vi.advanceTimersByTime(10);
    expect(timer.armed).toBe(false);
    vi.advanceTimersByTime(100);
    expect(timer.armed).toBe(false);
  });
});

describe("IntervalTimer (real clock)", () => {
  it("counts expiries missed while the host was busy as overruns, firing once for them", async () => {
    let fired = 0;
    const timer = new IntervalTimer(() => void fired++);
    timer.arm(5, 5);
    const start = performance.now();
    while (performance.now() - start < 40) {
      // The host is busy: the timeout cannot run.
    }
    await new Promise((r) => setTimeout(r, 0));
    // Re-armed on the interval's grid, at the first expiry still ahead.
    const left = timer.remainingMs();
    timer.disarm();
    expect(fired).toBe(1);
    expect(timer.overrun).toBeGreaterThanOrEqual(5);
    expect(left).toBeGreaterThanOrEqual(0);
    expect(left).toBeLessThanOrEqual(5);
  });

  it("fires a short one-shot timer on the host clock", async () => {
    let firedAt = 0;
    const timer = new IntervalTimer(() => void (firedAt = performance.now()));
    const start = performance.now();
    timer.arm(20, 0);
    const r = timer.remainingMs();
    expect(r).toBeGreaterThan(15);
    expect(r).toBeLessThanOrEqual(20);
    await new Promise((res) => setTimeout(res, 40));
    // Node's setTimeout may fire up to ~1 ms early against performance.now() (see the
    // wait_queue test on early host timers), hence the slack.
    expect(firedAt - start).toBeGreaterThanOrEqual(15);
    expect(timer.armed).toBe(false);
  });
});
