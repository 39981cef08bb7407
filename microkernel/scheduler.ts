// Run queues (seL4 kernel/thread.c scheduler + the ready-queue bitmap).
//
// One FIFO per priority (0..255, highest runs first), threaded through
// Tcb.schedNext/schedPrev; a 256-bit bitmap finds the highest non-empty
// queue with Math.clz32. pickNext() removes the thread it returns: the
// platform runs it for tcb.timeSliceMs (a time budget, never an instruction
// count) and enqueue()s it again if it is still Running, which gives round
// robin within a priority. Native threads are driven by onWake and only
// enter these queues if someone enqueues them.

import type { Tcb } from "./tcb.ts";

export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 255;
export const DEFAULT_TIME_SLICE_MS = 5;

export class Scheduler {
  readonly defaultTimeSliceMs: number;
  #heads: (Tcb | null)[] = new Array<Tcb | null>(MAX_PRIORITY + 1).fill(null);
  #tails: (Tcb | null)[] = new Array<Tcb | null>(MAX_PRIORITY + 1).fill(null);
  #bitmap = new Uint32Array((MAX_PRIORITY + 1) / 32);
  #count = 0;

  constructor(defaultTimeSliceMs = DEFAULT_TIME_SLICE_MS) {
    this.defaultTimeSliceMs = defaultTimeSliceMs;
  }

  /** Number of queued threads. */
  get size(): number {
    return this.#count;
  }

  /** Appends at the tail of its priority's queue (no-op if already queued). */
  enqueue(tcb: Tcb): void {
    if (tcb.inRunQueue) return;
    const p = tcb.priority;
    const tail = this.#tails[p];
    tcb.schedPrev = tail;
    tcb.schedNext = null;
    if (tail === null) {
      this.#heads[p] = tcb;
      this.#bitmap[p >>> 5] |= 1 << (p & 31);
    } else tail.schedNext = tcb;
    this.#tails[p] = tcb;
    tcb.inRunQueue = true;
    this.#count++;
  }

  dequeue(tcb: Tcb): void {
    if (!tcb.inRunQueue) return;
    const p = tcb.priority;
    if (tcb.schedPrev === null) this.#heads[p] = tcb.schedNext;
    else tcb.schedPrev.schedNext = tcb.schedNext;
    if (tcb.schedNext === null) this.#tails[p] = tcb.schedPrev;
    else tcb.schedNext.schedPrev = tcb.schedPrev;
    if (this.#heads[p] === null) this.#bitmap[p >>> 5] &= ~(1 << (p & 31));
    tcb.schedPrev = null;
    tcb.schedNext = null;
    tcb.inRunQueue = false;
    this.#count--;
  }

  /** Removes and returns the first thread of the highest non-empty priority. */
  pickNext(): Tcb | null {
    for (let w = this.#bitmap.length - 1; w >= 0; w--) {
      const bits = this.#bitmap[w];
      if (bits === 0) continue;
      const tcb = this.#heads[w * 32 + 31 - Math.clz32(bits)] as Tcb;
      this.dequeue(tcb);
      return tcb;
    }
    return null;
  }

  /** seL4 Yield: go to the back of the thread's priority queue. */
  yield(tcb: Tcb): void {
    this.dequeue(tcb);
    this.enqueue(tcb);
  }
}
