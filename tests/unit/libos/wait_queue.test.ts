import { describe, expect, it, vi } from "vitest";
import { EAGAIN, EBADF, EINTR, ETIMEDOUT } from "../../../linux-abi/errno.ts";
import { SIGUSR1, sigmask } from "../../../linux-abi/signal.ts";
import { AGAIN, ERESTARTSYS, WaitQueue, sleep, sleepUntilSignal } from "../../../libos/wait_queue.ts";
import { MAX_HOST_DELAY_MS } from "../../../libos/timers.ts";
import { flushMicrotasks, killInfo, makeThread, track } from "./_fake_process.ts";

/** A retry that answers AGAIN until `ready` is set, counting its calls. */
function gate(value = 7): { retry: () => number; calls: () => number; open: () => void } {
  let ready = false;
  let calls = 0;
  return {
    retry: () => {
      calls++;
      return ready ? value : AGAIN;
    },
    calls: () => calls,
    open: () => void (ready = true),
  };
}

describe("WaitQueue", () => {
  it("AGAIN is -EAGAIN", () => {
    expect(AGAIN).toBe(-EAGAIN);
  });

  it("notify() wakes sleepers only after the current code has finished", async () => {
    const q = new WaitQueue();
    let woken = 0;
    q.add(() => void woken++);
    q.notify();
    expect(woken).toBe(0);
    await flushMicrotasks();
    expect(woken).toBe(1);
  });

  it("several notify() calls before the pass wake each sleeper once", async () => {
    const q = new WaitQueue();
    let woken = 0;
    q.add(() => void woken++);
    q.notify();
    q.notify();
    q.notify();
    await flushMicrotasks();
    expect(woken).toBe(1);
  });

  it("delete() takes a waker off the queue", async () => {
    const q = new WaitQueue();
    let woken = 0;
    const w = (): void => void woken++;
    q.add(w);
    expect(q.size).toBe(1);
    q.delete(w);
    expect(q.size).toBe(0);
    q.notify();
    await flushMicrotasks();
    expect(woken).toBe(0);
  });
});

describe("WaitQueue watchers", () => {
  it("run at once with the notification's key, before any sleeper wakes", () => {
    const q = new WaitQueue();
    const keys: number[] = [];
    let woken = 0;
    q.add(() => void woken++);
    q.watch((key) => (keys.push(key), true));
    q.notify(1);
    q.notify();
    expect(keys).toEqual([1, 0]);
    expect(woken).toBe(0);
    expect(q.watched).toBe(true);
  });

  it("unwatch() stops them", () => {
    const q = new WaitQueue();
    let calls = 0;
    const w = (): boolean => (calls++, true);
    q.watch(w);
    q.unwatch(w);
    q.notify(1);
    expect(calls).toBe(0);
    expect(q.watched).toBe(false);
  });

  it("exclusive watchers run in order until one wakes someone; the others all run", () => {
    const q = new WaitQueue();
    const ran: string[] = [];
    q.watch(() => (ran.push("a"), false), true);
    q.watch(() => (ran.push("b"), true), true);
    q.watch(() => (ran.push("c"), true), true);
    q.watch(() => (ran.push("shared"), false));
    q.notify(1);
    expect(ran).toEqual(["shared", "a", "b"]);
  });
});

describe("sleep()", () => {
  it("returns the first non-AGAIN result synchronously without queueing", () => {
    const t = makeThread();
    const q = new WaitQueue();
    let calls = 0;
    expect(sleep(t, [q], () => (calls++, 5))).toBe(5);
    expect(sleep(t, [q], () => (calls++, -EBADF))).toBe(-EBADF);
    expect(sleep(t, [q], () => (calls++, 0))).toBe(0);
    expect(calls).toBe(3);
    expect(q.size).toBe(0);
    expect(t.sleeper).toBeNull();
  });

  it("otherwise returns a Promise that settles after a notify and a successful retry", async () => {
    const t = makeThread();
    const q = new WaitQueue();
    const g = gate(42);
    const r = sleep(t, [q], g.retry);
    expect(r).toBeInstanceOf(Promise);
    const s = track(r as Promise<number>);
    expect(q.size).toBe(1);
    expect(t.sleeper).not.toBeNull();
    expect(t.sleeper!.killableOnly).toBe(false);

    // A notify while the retry still says AGAIN keeps it asleep.
    q.notify();
    await flushMicrotasks();
    expect(g.calls()).toBe(2);
    expect(s.settled).toBe(false);

    // Ready but nobody notified: nothing happens (the wake-up is the only trigger).
    g.open();
    await flushMicrotasks();
    expect(g.calls()).toBe(2);
    expect(s.settled).toBe(false);

    q.notify();
    expect(await r).toBe(42);
    expect(g.calls()).toBe(3);
    expect(q.size).toBe(0);
    expect(t.sleeper).toBeNull();
  });

  it("waits on several queues and leaves all of them when done", async () => {
    const t = makeThread();
    const a = new WaitQueue(), b = new WaitQueue();
    const g = gate(1);
    const r = sleep(t, [a, b], g.retry) as Promise<number>;
    expect([a.size, b.size]).toEqual([1, 1]);
    g.open();
    b.notify();
    expect(await r).toBe(1);
    expect([a.size, b.size]).toEqual([0, 0]);
    a.notify();
    await flushMicrotasks();
    expect(g.calls()).toBe(2);
  });

  it("a deadline ends the sleep with onTimeout (default -ETIMEDOUT) and leaves the queue", async () => {
    const t = makeThread();
    const q = new WaitQueue();
    const g = gate();
    const start = performance.now();
    const r = sleep(t, [q], g.retry, { deadline: start + 20, onTimeout: -1234 });
    expect(r).toBeInstanceOf(Promise);
    expect(await r).toBe(-1234);
    expect(performance.now() - start).toBeGreaterThanOrEqual(15);
    expect(q.size).toBe(0);
    expect(t.sleeper).toBeNull();

    const r2 = sleep(t, [q], g.retry, { deadline: performance.now() + 5 });
    expect(await r2).toBe(-ETIMEDOUT);
  });

  // Linux never ends a timed sleep before its deadline (nanosleep(2): "at least the time
  // specified"; futex and poll timeouts likewise). Node's setTimeout may fire up to ~1 ms
  // early against performance.now(), and sleep() trusts it: nanosleep, FUTEX_WAIT and poll
  // can return before their deadline. Here the host timer is made to fire early on purpose.
  it("a timed sleep does not end before its deadline even when the host timer fires early", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }); // performance.now() stays real
    try {
      const t = makeThread();
      const deadline = performance.now() + 1000;
      const r = sleep(t, [], () => AGAIN, { deadline, onTimeout: -ETIMEDOUT });
      const s = track(r as Promise<number>);
      vi.advanceTimersByTime(1000);
      await flushMicrotasks();
      expect(performance.now()).toBeLessThan(deadline);
      expect(s.settled).toBe(false);
      t.sleeper?.end(0);
    } finally {
      vi.useRealTimers();
    }
  });

  // nanosleep of 2^40 ms: a host timeout longer than Node's limit would fire at once (and
  // the sleep would spin on 1 ms timeouts); the sleep waits in steps of the limit.
  it("a deadline beyond the host's longest timeout asks no longer host timeout and does not end early", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
      const t = makeThread();
      const r = sleep(t, [], () => AGAIN, { deadline: performance.now() + 2 ** 40, onTimeout: -ETIMEDOUT });
      const s = track(r as Promise<number>);
      vi.advanceTimersByTime(3 * MAX_HOST_DELAY_MS);
      await flushMicrotasks();
      expect(s.settled).toBe(false);
      expect(setTimeoutSpy.mock.calls.length).toBeGreaterThan(0);
      expect(setTimeoutSpy.mock.calls.every((c) => (c[1] ?? 0) <= MAX_HOST_DELAY_MS)).toBe(true);
      expect(setTimeoutSpy.mock.calls.length).toBeLessThan(10);
      setTimeoutSpy.mockRestore();
      t.sleeper?.end(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a deadline already past answers onTimeout at once, after one retry", () => {
    const t = makeThread();
    const q = new WaitQueue();
    const g = gate();
    expect(sleep(t, [q], g.retry, { deadline: performance.now() - 1, onTimeout: 0 })).toBe(0);
    expect(sleep(t, [q], g.retry, { deadline: performance.now() - 1 })).toBe(-ETIMEDOUT);
    expect(g.calls()).toBe(2);
    expect(q.size).toBe(0);
  });

  it("a ready retry wins over a past deadline", () => {
    const t = makeThread();
    expect(sleep(t, [], () => 3, { deadline: 0 })).toBe(3);
  });

  it("sleeper.interrupt() ends the sleep with the interrupted value and a later notify does not retry", async () => {
    const t = makeThread();
    const q = new WaitQueue();
    const g = gate();
    const r = sleep(t, [q], g.retry, { interrupted: -EINTR });
    t.sleeper!.interrupt();
    expect(q.size).toBe(0);
    expect(t.sleeper).toBeNull();
    g.open();
    q.notify();
    expect(await r).toBe(-EINTR);
    await flushMicrotasks();
    expect(g.calls()).toBe(1);
  });

  it("the default interrupted value is -ERESTARTSYS", async () => {
    const t = makeThread();
    const r = sleep(t, [new WaitQueue()], () => AGAIN);
    t.sleeper!.interrupt();
    expect(await r).toBe(-ERESTARTSYS);
  });

  it("sleeper.end(result) ends the sleep with that result", async () => {
    const t = makeThread();
    const q = new WaitQueue();
    const r = sleep(t, [q], () => AGAIN, { interrupted: -1 });
    t.sleeper!.end(-EINTR);
    expect(await r).toBe(-EINTR);
    expect(q.size).toBe(0);
  });

  it("a sleep ends once: a later interrupt or timeout changes nothing", async () => {
    const t = makeThread();
    const q = new WaitQueue();
    const g = gate(9);
    const r = sleep(t, [q], g.retry, { deadline: performance.now() + 10, onTimeout: -1 });
    const sleeper = t.sleeper!;
    g.open();
    q.notify();
    expect(await r).toBe(9);
    sleeper.interrupt();
    await new Promise((res) => setTimeout(res, 20));
    expect(await r).toBe(9);
  });

  it("a thread with a deliverable pending signal is interrupted at once", () => {
    const t = makeThread();
    const q = new WaitQueue();
    const g = gate();
    t.pending.add(killInfo(SIGUSR1));
    expect(sleep(t, [q], g.retry)).toBe(-ERESTARTSYS);
    expect(sleep(t, [q], g.retry, { interrupted: -EINTR })).toBe(-EINTR);
    expect(g.calls()).toBe(2);
    expect(q.size).toBe(0);
    expect(t.sleeper).toBeNull();
  });

  it("a signal pending for the process counts too, unless the thread blocks it", () => {
    const t = makeThread();
    t.process.pending.add(killInfo(SIGUSR1));
    expect(sleep(t, [], () => AGAIN)).toBe(-ERESTARTSYS);
    t.sigmask = sigmask(SIGUSR1);
    const r = sleep(t, [], () => AGAIN);
    expect(r).toBeInstanceOf(Promise);
    t.sleeper!.end(0);
  });

  it("a process in exit_group interrupts the sleep", () => {
    const t = makeThread();
    t.process.exiting = true;
    expect(sleep(t, [], () => AGAIN, { interrupted: -EINTR })).toBe(-EINTR);
  });

  it("killableOnly sleeps despite a pending signal", async () => {
    const t = makeThread();
    const q = new WaitQueue();
    const g = gate(1);
    t.pending.add(killInfo(SIGUSR1));
    const r = sleep(t, [q], g.retry, { killableOnly: true });
    expect(r).toBeInstanceOf(Promise);
    expect(t.sleeper!.killableOnly).toBe(true);
    g.open();
    q.notify();
    expect(await r).toBe(1);
  });

  it("a notify from inside a retry does not re-enter that retry", async () => {
    const t = makeThread();
    const q = new WaitQueue();
    let depth = 0, maxDepth = 0, calls = 0;
    const r = sleep(t, [q], () => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      calls++;
      const before = calls;
      q.notify(); // e.g. a pipe read that wakes a writer sleeping on the same queue
      expect(calls).toBe(before);
      depth--;
      return calls >= 4 ? 99 : AGAIN;
    });
    expect(calls).toBe(1);
    q.notify();
    expect(await r).toBe(99);
    expect(maxDepth).toBe(1);
    expect(calls).toBe(4);
  });

  it("two sleepers that notify each other's queue take turns without recursion", async () => {
    const t1 = makeThread(), t2 = makeThread();
    const toReader = new WaitQueue(), toWriter = new WaitQueue();
    let depth = 0, maxDepth = 0;
    let tokens = 0, produced = 0, consumed = 0;
    const guarded = (fn: () => number) => (): number => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      const r = fn();
      depth--;
      return r;
    };
    const reader = sleep(t1, [toReader], guarded(() => {
      if (tokens > 0) {
        tokens--;
        consumed++;
        toWriter.notify();
      }
      return consumed === 3 ? 1 : AGAIN;
    }));
    const writer = sleep(t2, [toWriter], guarded(() => {
      if (produced < 3 && tokens === 0) {
        produced++;
        tokens++;
        toReader.notify();
      }
      return consumed === 3 ? 2 : AGAIN;
    }));
    expect(await Promise.all([reader, writer])).toEqual([1, 2]);
    expect(maxDepth).toBe(1);
    expect(toReader.size + toWriter.size).toBe(0);
  });
});

describe("sleepUntilSignal()", () => {
  it("ends only by a signal or the deadline", async () => {
    const t = makeThread();
    const r = sleepUntilSignal(t, undefined, -EINTR);
    expect(r).toBeInstanceOf(Promise);
    const s = track(r as Promise<number>);
    await flushMicrotasks();
    expect(s.settled).toBe(false);
    t.sleeper!.interrupt();
    expect(await r).toBe(-EINTR);

    const r2 = sleepUntilSignal(t, performance.now() + 5, -EINTR, 17);
    expect(await r2).toBe(17);
    expect(sleepUntilSignal(t, performance.now() + 5, -EINTR)).toBeInstanceOf(Promise);
    t.sleeper!.end(0);
  });
});
