// Futexes (Linux: kernel/futex/): threads sleeping on a 32-bit word of user memory.
//
// A waiter is keyed by what identifies the word (GuestMemory.futexKey: the address in
// its address space, or the shared block and offset), so FUTEX_PRIVATE_FLAG changes
// nothing here. WAIT compares the word and sleeps in one step (nothing else runs in
// between: the kernel-task is single-threaded), which is the atomicity futex needs.
// Every waiter carries its own queue, so a wake reaches exactly the waiters chosen, and
// a waiter that leaves (timeout, signal, death) is removed from the table.

import { EAGAIN, EFAULT, ETIMEDOUT } from "../linux-abi/errno.ts";
import type { GuestMemory } from "./memory.ts";
import type { Thread } from "./process.ts";
import { AGAIN, WaitQueue, sleep, type SleepOptions } from "./wait_queue.ts";

interface Waiter {
  readonly t: Thread;
  key: string;
  readonly bitset: number;
  woken: boolean;
  readonly queue: WaitQueue;
}

export class Futexes {
  readonly #waiters = new Map<string, Waiter[]>();
  /** The one futex a thread waits on, so a dying thread leaves without a scan of every waiter. */
  readonly #byThread = new Map<Thread, Waiter>();

  /** FUTEX_WAIT(_BITSET): sleep while *addr == expected, until woken, a signal or `deadline`. */
  wait(t: Thread, addr: number, expected: number, bitset: number, deadline: number | undefined): number | Promise<number> {
    const mem = t.process.memory;
    const key = mem.futexKey(addr);
    const value = mem.u32(addr);
    if (key === null || value === null) return -EFAULT;
    if (value !== expected >>> 0) return -EAGAIN;
    const w: Waiter = { t, key, bitset, woken: false, queue: new WaitQueue() };
    this.#add(w);
    const opts: SleepOptions = { deadline, onTimeout: -ETIMEDOUT };
    const r = sleep(t, [w.queue], () => (w.woken ? 0 : AGAIN), opts);
    // A waiter that was woken reports the wake-up even if a signal or the timeout also
    // ended its sleep: the wake was counted for it and must not be lost.
    const leave = (n: number): number => {
      if (w.woken) return 0;
      this.#remove(w);
      return n;
    };
    return typeof r === "number" ? leave(r) : r.then(leave);
  }

  /** FUTEX_WAKE(_BITSET): wake up to `count` waiters on the word; returns how many. */
  wake(mem: GuestMemory, addr: number, count: number, bitset: number): number {
    const key = mem.futexKey(addr);
    if (key === null) return -EFAULT;
    const list = this.#waiters.get(key);
    if (!list) return 0;
    let n = 0;
    for (let i = 0; i < list.length && n < count; ) {
      const w = list[i]!;
      if ((w.bitset & bitset) === 0) {
        i++;
        continue;
      }
      list.splice(i, 1);
      if (this.#byThread.get(w.t) === w) this.#byThread.delete(w.t);
      w.woken = true;
      w.queue.notify();
      n++;
    }
    if (list.length === 0) this.#waiters.delete(key);
    return n;
  }

  /** FUTEX_(CMP_)REQUEUE: wake `count`, move up to `moveCount` more to addr2. */
  requeue(mem: GuestMemory, addr: number, count: number, addr2: number, moveCount: number, expected: number | null): number {
    const key = mem.futexKey(addr), key2 = mem.futexKey(addr2);
    if (key === null || key2 === null) return -EFAULT;
    if (expected !== null) {
      const v = mem.u32(addr);
      if (v === null) return -EFAULT;
      if (v !== expected >>> 0) return -EAGAIN;
    }
    const woken = this.wake(mem, addr, count, 0xffffffff);
    const list = this.#waiters.get(key);
    if (!list) return woken;
    const moving = list.splice(0, moveCount);
    if (list.length === 0) this.#waiters.delete(key);
    for (const w of moving) {
      w.key = key2;
      this.#add(w);
    }
    return woken + moving.length;
  }

  /** A thread that dies leaves the futex it waits on. */
  cancel(t: Thread): void {
    const w = this.#byThread.get(t);
    if (w) this.#remove(w);
  }

  #add(w: Waiter): void {
    const list = this.#waiters.get(w.key);
    if (list) list.push(w);
    else this.#waiters.set(w.key, [w]);
    this.#byThread.set(w.t, w);
  }

  #remove(w: Waiter): void {
    if (this.#byThread.get(w.t) === w) this.#byThread.delete(w.t);
    const list = this.#waiters.get(w.key);
    if (!list) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#waiters.delete(w.key);
  }
}
