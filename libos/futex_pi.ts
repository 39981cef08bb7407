// Priority-inheritance futexes (Linux: kernel/futex/pi.c), for their ownership protocol:
// the word holds the owner's TID, FUTEX_WAITERS once someone waits in the kernel, and
// FUTEX_OWNER_DIED after an owner died (futex_robust.ts). Every thread runs at one
// priority here, so nothing is boosted; what user space sees is the same:
//
//   LOCK_PI    a word without a TID is taken (keeping FUTEX_OWNER_DIED); one holding the
//              caller's TID is EDEADLK, one holding a TID no thread has is ESRCH; else the
//              caller sets FUTEX_WAITERS and sleeps in FIFO order until the lock is handed
//              to it. A timeout (absolute) is ETIMEDOUT; a signal restarts the call.
//   TRYLOCK_PI the same without the sleep: EAGAIN (EWOULDBLOCK).
//   UNLOCK_PI  only the owner (EPERM): the first waiter becomes the owner (TID |
//              FUTEX_WAITERS written for it), or the word becomes 0.
// An owner that ends without unlocking hands the lock to its first waiter the same way
// (exit_pi_state_list), FUTEX_OWNER_DIED kept if the robust list set it.

import { EDEADLK, EFAULT, EPERM, ESRCH, ETIMEDOUT } from "../linux-abi/errno.ts";
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS } from "../linux-abi/futex.ts";
import type { GuestMemory } from "./memory.ts";
import type { Thread } from "./process.ts";
import { AGAIN, ERESTARTNOINTR, WaitQueue, sleep } from "./wait_queue.ts";

/** trylock's answer, told apart from sleep()'s AGAIN by the caller. */
export const WOULD_BLOCK = "would block";

interface PiWaiter {
  readonly t: Thread;
  granted: boolean;
  readonly queue: WaitQueue;
}

interface PiState {
  mem: GuestMemory;
  addr: number;
  owner: Thread | null;
  readonly waiters: PiWaiter[];
}

function setWord(mem: GuestMemory, addr: number, value: number): boolean {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  return mem.write(addr, b);
}

export class PiFutexes {
  readonly #states = new Map<string, PiState>();

  /**
   * LOCK_PI, LOCK_PI2 and TRYLOCK_PI (`deadline` null). `threads` finds the owner by its
   * TID. WOULD_BLOCK: a trylock that would have to wait.
   */
  lock(t: Thread, addr: number, deadline: number | undefined | null, threads: ReadonlyMap<number, Thread>): number | Promise<number> | typeof WOULD_BLOCK {
    const mem = t.process.memory;
    const key = mem.futexKey(addr);
    if (key === null) return -EFAULT;
    // Queued on the first attempt that has to wait; a hand-over notifies its queue.
    const waiter: PiWaiter = { t, granted: false, queue: new WaitQueue() };
    let queued = false;
    const attempt = (): number => {
      if (waiter.granted) return 0;
      const word = mem.u32(addr);
      if (word === null) return -EFAULT;
      const tid = word & FUTEX_TID_MASK;
      if (tid === t.tid) return -EDEADLK;
      const state = this.#states.get(key);
      if (tid === 0) {
        const others = state !== undefined && state.waiters.some((w) => w !== waiter);
        if (!setWord(mem, addr, (word & FUTEX_OWNER_DIED) | t.tid | (others ? FUTEX_WAITERS : 0))) return -EFAULT;
        if (queued) this.#forget(key, waiter);
        if (state) state.owner = t;
        return 0;
      }
      // As futex_lock_pi_atomic, the waiters bit goes in before the owner is looked for.
      if (!(word & FUTEX_WAITERS) && !setWord(mem, addr, word | FUTEX_WAITERS)) return -EFAULT;
      const owner = threads.get(tid);
      if (!owner || owner.dead) return -ESRCH;
      if (deadline === null) return AGAIN;
      const s = state ?? { mem, addr, owner, waiters: [] };
      s.owner = owner;
      if (!queued) s.waiters.push(waiter);
      queued = true;
      this.#states.set(key, s);
      return AGAIN;
    };
    if (deadline === null) {
      const r = attempt();
      return r === AGAIN ? WOULD_BLOCK : r;
    }
    // As Linux returns a signal-interrupted LOCK_PI: always restarted.
    const r = sleep(t, [waiter.queue], attempt, { deadline, onTimeout: -ETIMEDOUT, interrupted: -ERESTARTNOINTR });
    // Granted while a signal or the timeout also ended the sleep: the lock is the caller's.
    const leave = (n: number): number => {
      if (waiter.granted) return 0;
      if (queued) this.#forget(key, waiter);
      return n;
    };
    return typeof r === "number" ? leave(r) : r.then(leave);
  }

  /** UNLOCK_PI. */
  unlock(t: Thread, addr: number): number {
    const mem = t.process.memory;
    const key = mem.futexKey(addr);
    const word = mem.u32(addr);
    if (key === null || word === null) return -EFAULT;
    if ((word & FUTEX_TID_MASK) !== t.tid) return -EPERM;
    return this.#handOver(key, mem, addr, 0) ? 0 : -EFAULT;
  }

  /** The first waiter owns the lock now (keeping `keep` bits), or the word is cleared. */
  #handOver(key: string, mem: GuestMemory, addr: number, keep: number): boolean {
    const state = this.#states.get(key);
    let next = state?.waiters.shift();
    while (next?.t.dead) next = state!.waiters.shift();
    if (!state || !next) {
      this.#states.delete(key);
      return setWord(mem, addr, keep);
    }
    if (!setWord(mem, addr, keep | FUTEX_WAITERS | next.t.tid)) return false;
    state.owner = next.t;
    next.granted = true;
    next.queue.notify();
    if (state.waiters.length === 0) this.#states.delete(key);
    return true;
  }

  #forget(key: string, w: PiWaiter): void {
    const state = this.#states.get(key);
    if (!state) return;
    const i = state.waiters.indexOf(w);
    if (i >= 0) state.waiters.splice(i, 1);
    if (state.waiters.length === 0) this.#states.delete(key);
  }

  /** A thread ends: the PI locks it owned with waiters go to their first waiter. */
  ownerGone(t: Thread): void {
    for (const [key, state] of [...this.#states]) {
      if (state.owner !== t) continue;
      const word = state.mem.u32(state.addr);
      if (word === null) continue;
      this.#handOver(key, state.mem, state.addr, word & FUTEX_OWNER_DIED);
    }
  }
}
