// Futexes (Linux: kernel/futex/): threads sleeping on a 32-bit word of user memory.
//
// A waiter is keyed by what identifies the word (GuestMemory.futexKey: the address in
// its address space, or the shared block and offset), so FUTEX_PRIVATE_FLAG changes
// nothing here. WAIT compares the word and sleeps in one step (nothing else runs in
// between: the kernel-task is single-threaded), which is the atomicity futex needs.
// Every waiter carries its own queue, so a wake reaches exactly the waiters chosen, and
// a waiter that leaves (timeout, signal, death) is removed from the table. futex_waitv
// queues one waiter per word, all on one queue (a group): the first wake of any of them
// takes the whole group out and names the word that woke it.

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
  /** futex_waitv: every waiter of the call (this one included); null for FUTEX_WAIT. */
  readonly group: Waiter[] | null;
}

/** One word of a futex_waitv call. */
export interface WaitvWord {
  addr: number;
  expected: number;
}

export class Futexes {
  readonly #waiters = new Map<string, Waiter[]>();
  /** The futex (or futex_waitv's words) a thread waits on, so a dying thread leaves without a scan of every waiter. */
  readonly #byThread = new Map<Thread, Waiter[]>();

  /** FUTEX_WAIT(_BITSET): sleep while *addr == expected, until woken, a signal or `deadline`. */
  wait(t: Thread, addr: number, expected: number, bitset: number, deadline: number | undefined): number | Promise<number> {
    const mem = t.process.memory;
    const key = mem.futexKey(addr);
    const value = mem.u32(addr);
    if (key === null || value === null) return -EFAULT;
    if (value !== expected >>> 0) return -EAGAIN;
    const w: Waiter = { t, key, bitset, woken: false, queue: new WaitQueue(), group: null };
    this.#add(w);
    this.#byThread.set(t, [w]);
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

  /**
   * futex_waitv: sleep while every word holds its expected value (-EAGAIN when one does
   * not), until one is woken (its index is the result), a signal or `deadline`.
   */
  waitMany(t: Thread, words: readonly WaitvWord[], deadline: number | undefined): number | Promise<number> {
    const mem = t.process.memory;
    const group: Waiter[] = [];
    const queue = new WaitQueue();
    for (const { addr, expected } of words) {
      const key = mem.futexKey(addr);
      const value = mem.u32(addr);
      if (key === null || value === null) return -EFAULT;
      if (value !== expected >>> 0) return -EAGAIN;
      group.push({ t, key, bitset: 0xffffffff, woken: false, queue, group });
    }
    for (const w of group) this.#add(w);
    this.#byThread.set(t, group);
    const r = sleep(t, [queue], () => (group.some((w) => w.woken) ? 0 : AGAIN), { deadline, onTimeout: -ETIMEDOUT });
    const leave = (n: number): number => {
      const woken = group.findIndex((w) => w.woken);
      if (woken >= 0) return woken;
      this.#removeGroup(group);
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
      if (this.#byThread.get(w.t)?.includes(w)) this.#byThread.delete(w.t);
      // The rest of a futex_waitv group leaves with it.
      if (w.group) for (const other of w.group) if (other !== w) this.#unlist(other);
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

  /** A thread that dies leaves the futexes it waits on. */
  cancel(t: Thread): void {
    const ws = this.#byThread.get(t);
    if (ws) this.#removeGroup(ws);
  }

  #add(w: Waiter): void {
    const list = this.#waiters.get(w.key);
    if (list) list.push(w);
    else this.#waiters.set(w.key, [w]);
  }

  #removeGroup(ws: readonly Waiter[]): void {
    for (const w of ws) this.#remove(w);
  }

  #remove(w: Waiter): void {
    if (this.#byThread.get(w.t)?.includes(w)) this.#byThread.delete(w.t);
    this.#unlist(w);
  }

  /** Takes `w` off its word's list. */
  #unlist(w: Waiter): void {
    const list = this.#waiters.get(w.key);
    if (!list) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#waiters.delete(w.key);
  }
}
