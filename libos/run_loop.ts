// The CPU run loop of one host thread: every user kernel on the thread shares its
// microkernel's scheduler, and the loop runs whichever guest thread the scheduler picks,
// for that TCB's time slice, whatever kernel it belongs to.
//
//   adopt(tcb, kernel)   a guest TCB of `kernel` (forget(tcb) when it goes)
//   run(kernel)          runs the kernel among the others; resolves when it has ended
//   wake()               a reply arrived or a thread became runnable while all waited
//
// Fairness between kernels is the scheduler's: one FIFO per priority, round robin inside
// it, each guest thread preempted at the end of its slice (tcb.timeSliceMs), so two busy
// kernels of equal priority take turns slice by slice. A kernel's slice that throws ends
// that kernel alone (end(reason)); the loop goes on with the others.

import type { Kernel, Tcb } from "../microkernel/mod.ts";

/** What the loop needs from a user kernel. */
export interface LoopKernel {
  /** Work that waits until no engine call is in progress (frees). */
  flushDeferred(): void;
  /** Runs `tcb` (one of its guest threads) for one slice; `alone`: no other thread waits to run. */
  runSlice(tcb: Tcb, alone: boolean): void;
  /** Set once the kernel has ended (its first program exited, or it failed). */
  readonly ended: boolean;
  /** The kernel failed: it ends with `reason`. */
  fail(reason: unknown): void;
}

interface Running {
  done: () => void;
}

export class RunLoop {
  readonly #kernel: Kernel;
  readonly #owners = new Map<Tcb, LoopKernel>();
  readonly #running = new Map<LoopKernel, Running>();
  #wake: (() => void) | null = null;
  #looping = false;

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  adopt(tcb: Tcb, owner: LoopKernel): void {
    this.#owners.set(tcb, owner);
  }

  forget(tcb: Tcb): void {
    this.#owners.delete(tcb);
  }

  wake(): void {
    this.#wake?.();
  }

  /** Runs `k` (with every other kernel of the loop) until it has ended. */
  run(k: LoopKernel): Promise<void> {
    return new Promise<void>((done) => {
      this.#running.set(k, { done });
      if (!this.#looping) void this.#loop();
      else this.wake();
    });
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    const scheduler = this.#kernel.scheduler;
    // A guest waiting forever waits as on Linux: the host process stays up.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      while (this.#running.size > 0) {
        for (const k of this.#running.keys()) k.flushDeferred();
        this.#retireEnded();
        if (this.#running.size === 0) break;
        const tcb = scheduler.pickNext();
        if (!tcb) {
          // Every thread waits (a timer, host I/O, a child): sleep until a reply arrives.
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = null;
          continue;
        }
        const owner = this.#owners.get(tcb);
        if (!owner || owner.ended || !this.#running.has(owner)) continue;
        try {
          owner.runSlice(tcb, scheduler.size === 0);
        } catch (e) {
          owner.fail(e);
        }
        // Wake-ups, replies that settled and host events run before the next pick (a run
        // ends only when a thread blocks, is preempted, faults or changes state).
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      clearInterval(keepAlive);
      this.#looping = false;
    }
  }

  #retireEnded(): void {
    for (const [k, running] of this.#running) {
      if (!k.ended) continue;
      this.#running.delete(k);
      for (const [tcb, owner] of this.#owners) if (owner === k) this.#owners.delete(tcb);
      running.done();
    }
  }
}
