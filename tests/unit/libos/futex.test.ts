import { beforeEach, describe, expect, it } from "vitest";
import { EAGAIN, EFAULT, EINTR, ETIMEDOUT } from "../../../linux-abi/errno.ts";
import { SIGUSR1 } from "../../../linux-abi/signal.ts";
import { Futexes } from "../../../libos/futex.ts";
import { GuestMemory, MemoryIds, PAGE } from "../../../libos/memory.ts";
import type { Process, Thread } from "../../../libos/process.ts";
import { ERESTARTSYS } from "../../../libos/wait_queue.ts";
import { FakeVSpace } from "./_fake_vspace.ts";
import { RW, flushMicrotasks, killInfo, makeProcess, makeThread, track } from "./_fake_process.ts";

const ANY = 0xffffffff;
const BASE = 0x10000;
const A = BASE, B = BASE + 4, C = BASE + 8;
const UNMAPPED = 0x900000;

let futexes: Futexes;
let proc: Process;
let mem: GuestMemory;

function setWord(m: GuestMemory, addr: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  expect(m.write(addr, b)).toBe(true);
}

/** A thread waiting on `addr` (whose word is 0); fails the test if the wait did not block. */
function waiter(addr: number, bitset = ANY, t: Thread = makeThread(proc)): { t: Thread; p: Promise<number>; s: { settled: boolean; value: number | undefined } } {
  const r = futexes.wait(t, addr, 0, bitset, undefined);
  expect(r).toBeInstanceOf(Promise);
  const p = r as Promise<number>;
  return { t, p, s: track(p) };
}

beforeEach(() => {
  futexes = new Futexes();
  mem = new GuestMemory(new FakeVSpace(), new MemoryIds());
  expect(mem.mmapAnonymous(BASE, PAGE, RW, true)).toBe(BASE);
  proc = makeProcess(mem);
});

describe("Futexes.wait", () => {
  it("returns -EAGAIN at once when the word differs from the expected value", () => {
    setWord(mem, A, 5);
    const t = makeThread(proc);
    expect(futexes.wait(t, A, 4, ANY, undefined)).toBe(-EAGAIN);
    expect(t.sleeper).toBeNull();
    expect(futexes.wake(mem, A, 1, ANY)).toBe(0);
  });

  it("compares the word as unsigned 32 bits", () => {
    setWord(mem, A, 0xffffffff);
    const t = makeThread(proc);
    const r = futexes.wait(t, A, -1, ANY, undefined);
    expect(r).toBeInstanceOf(Promise);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(1);
  });

  it("returns -EFAULT for an unmapped word", () => {
    expect(futexes.wait(makeThread(proc), UNMAPPED, 0, ANY, undefined)).toBe(-EFAULT);
  });

  it("returns -EFAULT for a word without read permission", () => {
    expect(mem.mmapAnonymous(0x20000, PAGE, 0, true)).toBe(0x20000);
    expect(futexes.wait(makeThread(proc), 0x20000, 0, ANY, undefined)).toBe(-EFAULT);
  });

  it("resolves with 0 once woken", async () => {
    const w = waiter(A);
    await flushMicrotasks();
    expect(w.s.settled).toBe(false);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(1);
    expect(await w.p).toBe(0);
    expect(w.t.sleeper).toBeNull();
  });

  it("ends with -ETIMEDOUT at the deadline and leaves the futex", async () => {
    const t = makeThread(proc);
    const r = futexes.wait(t, A, 0, ANY, performance.now() + 15);
    expect(r).toBeInstanceOf(Promise);
    expect(await r).toBe(-ETIMEDOUT);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(0);
  });

  it("with a deadline already past returns -ETIMEDOUT at once", () => {
    expect(futexes.wait(makeThread(proc), A, 0, ANY, performance.now() - 1)).toBe(-ETIMEDOUT);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(0);
  });

  it("a pending signal makes it return -ERESTARTSYS at once, leaving no waiter behind", () => {
    const t = makeThread(proc);
    t.pending.add(killInfo(SIGUSR1));
    expect(futexes.wait(t, A, 0, ANY, undefined)).toBe(-ERESTARTSYS);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(0);
  });

  it("an interrupted waiter (signal) returns -ERESTARTSYS and is no longer woken", async () => {
    const w = waiter(A);
    const other = waiter(A);
    w.t.sleeper!.interrupt();
    expect(await w.p).toBe(-ERESTARTSYS);
    // The one wake-up goes to the waiter that is still there.
    expect(futexes.wake(mem, A, 1, ANY)).toBe(1);
    expect(await other.p).toBe(0);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(0);
  });

  // Linux futex_wait(): "If we were woken (and unqueued), we succeeded, whatever." A waker
  // that counted this waiter as woken must see it return 0, or the wake-up is lost (a
  // pthread_cond_signal right after a pthread_kill of the waiter, in one run slice: the
  // waiter restarts FUTEX_WAIT and sleeps again while the signaller believes it woke it).
  it("a waiter counted by a wake right after a signal interrupted it returns 0 (no lost wake-up)", async () => {
    const w = waiter(A);
    w.t.sleeper!.interrupt();
    const woken = futexes.wake(mem, A, 1, ANY);
    const result = await w.p;
    if (woken === 1) expect(result).toBe(0);
    else expect(result).toBe(-ERESTARTSYS);
  });
});

describe("Futexes.wake", () => {
  it("wakes at most `count` waiters, oldest first, and returns how many", async () => {
    const ws = [waiter(A), waiter(A), waiter(A)];
    expect(futexes.wake(mem, A, 2, ANY)).toBe(2);
    await flushMicrotasks();
    expect(ws.map((w) => w.s.value)).toEqual([0, 0, undefined]);
    expect(futexes.wake(mem, A, 5, ANY)).toBe(1);
    expect(await ws[2]!.p).toBe(0);
    expect(futexes.wake(mem, A, 5, ANY)).toBe(0);
  });

  it("wakes only waiters of that word", async () => {
    const a = waiter(A), b = waiter(B);
    expect(futexes.wake(mem, C, 10, ANY)).toBe(0);
    expect(futexes.wake(mem, B, 10, ANY)).toBe(1);
    expect(await b.p).toBe(0);
    await flushMicrotasks();
    expect(a.s.settled).toBe(false);
    expect(futexes.wake(mem, A, 10, ANY)).toBe(1);
  });

  it("with a count of 0 wakes nobody", () => {
    waiter(A);
    expect(futexes.wake(mem, A, 0, ANY)).toBe(0);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(1);
  });

  it("wakes only waiters whose bitset intersects the wake's (FUTEX_WAKE_BITSET)", async () => {
    const one = waiter(A, 0b01);
    const two = waiter(A, 0b10);
    const both = waiter(A, 0b11);
    expect(futexes.wake(mem, A, 10, 0b10)).toBe(2);
    await flushMicrotasks();
    expect([one.s.settled, two.s.value, both.s.value]).toEqual([false, 0, 0]);
    expect(futexes.wake(mem, A, 10, 0b100)).toBe(0);
    expect(futexes.wake(mem, A, 10, 0b01)).toBe(1);
    expect(await one.p).toBe(0);
  });

  it("skips non-matching waiters without counting them against `count`", async () => {
    const skip = waiter(A, 0b01);
    const hit1 = waiter(A, 0b10);
    const hit2 = waiter(A, 0b10);
    expect(futexes.wake(mem, A, 1, 0b10)).toBe(1);
    await flushMicrotasks();
    expect([skip.s.settled, hit1.s.settled, hit2.s.settled]).toEqual([false, true, false]);
  });

  it("returns -EFAULT for an unmapped word", () => {
    expect(futexes.wake(mem, UNMAPPED, 1, ANY)).toBe(-EFAULT);
  });
});

describe("Futexes.requeue", () => {
  it("wakes `count` and moves up to `moveCount` others to the second word", async () => {
    const ws = [waiter(A), waiter(A), waiter(A), waiter(A)];
    expect(futexes.requeue(mem, A, 1, B, 2, null)).toBe(3);
    await flushMicrotasks();
    expect(ws.map((w) => w.s.settled)).toEqual([true, false, false, false]);
    expect(ws[0]!.s.value).toBe(0);
    // The moved ones are on B now: a wake on A reaches only the one left behind.
    expect(futexes.wake(mem, A, 10, ANY)).toBe(1);
    expect(await ws[3]!.p).toBe(0);
    expect(futexes.wake(mem, B, 10, ANY)).toBe(2);
    expect(await Promise.all([ws[1]!.p, ws[2]!.p])).toEqual([0, 0]);
  });

  it("moved waiters join the end of the second word's queue", async () => {
    const onB = waiter(B);
    const moved = waiter(A);
    expect(futexes.requeue(mem, A, 0, B, 1, null)).toBe(1);
    expect(futexes.wake(mem, B, 1, ANY)).toBe(1);
    await flushMicrotasks();
    expect([onB.s.value, moved.s.settled]).toEqual([0, false]);
    expect(futexes.wake(mem, B, 1, ANY)).toBe(1);
    expect(await moved.p).toBe(0);
  });

  it("a moved waiter that times out leaves the second word's queue", async () => {
    const t = makeThread(proc);
    const r = futexes.wait(t, A, 0, ANY, performance.now() + 15);
    expect(futexes.requeue(mem, A, 0, B, 1, null)).toBe(1);
    expect(await r).toBe(-ETIMEDOUT);
    expect(futexes.wake(mem, B, 1, ANY)).toBe(0);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(0);
  });

  it("FUTEX_CMP_REQUEUE does nothing and returns -EAGAIN when the word changed", async () => {
    const ws = [waiter(A), waiter(A)];
    setWord(mem, A, 3);
    expect(futexes.requeue(mem, A, 1, B, 1, 2)).toBe(-EAGAIN);
    await flushMicrotasks();
    expect(ws.map((w) => w.s.settled)).toEqual([false, false]);
    expect(futexes.wake(mem, B, 10, ANY)).toBe(0);
    expect(futexes.requeue(mem, A, 1, B, 1, 3)).toBe(2);
    expect(futexes.wake(mem, B, 10, ANY)).toBe(1);
    expect(await Promise.all(ws.map((w) => w.p))).toEqual([0, 0]);
  });

  it("returns -EFAULT when either word is unmapped", () => {
    waiter(A);
    expect(futexes.requeue(mem, A, 1, UNMAPPED, 1, null)).toBe(-EFAULT);
    expect(futexes.requeue(mem, UNMAPPED, 1, A, 1, null)).toBe(-EFAULT);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(1);
  });

  it("with nobody waiting returns 0", () => {
    expect(futexes.requeue(mem, A, 1, B, 1, null)).toBe(0);
    expect(futexes.requeue(mem, A, 1, B, 1, 0)).toBe(0);
  });
});

describe("Futexes.cancel", () => {
  it("removes every waiter of the thread and no other", async () => {
    const t = makeThread(proc);
    waiter(A, ANY, t);
    const other = waiter(A);
    futexes.cancel(t);
    expect(futexes.wake(mem, A, 10, ANY)).toBe(1);
    expect(await other.p).toBe(0);
  });

  it("removes a thread's waiter on a requeued word too", () => {
    const t = makeThread(proc);
    waiter(A, ANY, t);
    futexes.requeue(mem, A, 0, B, 1, null);
    futexes.cancel(t);
    expect(futexes.wake(mem, B, 10, ANY)).toBe(0);
  });

  it("a thread woken on one word and waiting on another is cancelled from the second only", async () => {
    const t = makeThread(proc);
    const first = waiter(A, ANY, t);
    const other = waiter(B);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(1);
    expect(await first.p).toBe(0);
    waiter(C, ANY, t);
    futexes.cancel(t);
    expect(futexes.wake(mem, C, 10, ANY)).toBe(0);
    expect(futexes.wake(mem, B, 10, ANY)).toBe(1);
    expect(await other.p).toBe(0);
  });

  it("a dying thread's sleep ends through its sleeper", async () => {
    const w = waiter(A);
    w.t.sleeper!.end(-EINTR);
    futexes.cancel(w.t);
    expect(await w.p).toBe(-EINTR);
    expect(futexes.wake(mem, A, 1, ANY)).toBe(0);
  });
});

describe("futex keys across fork", () => {
  it("MAP_SHARED memory: a waiter in the child is woken through the parent's mapping", async () => {
    const shared = mem.mmapAnonymous(0, PAGE, RW, false, true);
    const child = mem.fork(new FakeVSpace())!;
    const childProc = makeProcess(child, proc);
    const w = waiter(shared + 8, ANY, makeThread(childProc));
    expect(futexes.wake(mem, shared + 4, 1, ANY)).toBe(0);
    expect(futexes.wake(mem, shared + 8, 1, ANY)).toBe(1);
    expect(await w.p).toBe(0);
  });

  it("private memory: the parent's word and the child's word are different futexes", async () => {
    const child = mem.fork(new FakeVSpace())!;
    const childProc = makeProcess(child, proc);
    const w = waiter(A, ANY, makeThread(childProc));
    expect(futexes.wake(mem, A, 1, ANY)).toBe(0);
    expect(futexes.wake(child, A, 1, ANY)).toBe(1);
    expect(await w.p).toBe(0);
  });
});
