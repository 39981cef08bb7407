// Notifications (seL4 src/object/notification.c): a word of bits that
// Signal ORs a badge into, and a FIFO of threads waiting for it.
//
//   signal   a waiter gets the badge and wakes; else a bound TCB blocked in
//            Recv on an endpoint is pulled out and woken with the badge
//            (label 0, fromNotification set); else the word accumulates.
//   wait     returns and clears the word if signalled, else blocks.
//   poll     wait that never blocks ("wouldBlock" with badge 0).
//
// Badges are safe integers, so OR works on 32-bit halves.

import { TcbQueue } from "./_tcb_queue.ts";
import { KernelError } from "./errors.ts";
import type { IpcStatus } from "./message.ts";
import { KernelObject, type MemorySource } from "./object.ts";
import type { Blocker, Tcb } from "./tcb.ts";

export const NOTIFICATION_BYTES = 32;

const TWO_32 = 4294967296;

export class Notification extends KernelObject implements Blocker {
  #word = 0;
  #active = false;
  #waiters = new TcbQueue();
  #bound: Tcb | null = null;

  constructor(parent: MemorySource | null) {
    super("Notification", NOTIFICATION_BYTES, parent);
  }

  /** Signalled and not yet consumed. */
  get active(): boolean {
    return this.#active;
  }

  get word(): number {
    return this.#word;
  }

  get boundTcb(): Tcb | null {
    return this.#bound;
  }

  get hasWaiters(): boolean {
    return !this.#waiters.isEmpty;
  }

  bind(tcb: Tcb): void {
    this.#bound = tcb;
    tcb.boundNotification = this;
  }

  unbind(): void {
    if (this.#bound !== null) this.#bound.boundNotification = null;
    this.#bound = null;
  }

  /** seL4 sendSignal. */
  signal(badge: number): void {
    if (this.#active) {
      this.#word = orBadges(this.#word, badge);
      return;
    }
    const waiter = this.#waiters.popHead();
    if (waiter !== null) {
      deliver(waiter, badge);
      waiter.wake();
      return;
    }
    const bound = this.#bound;
    if (bound !== null && bound.state === "BlockedOnRecv") {
      bound.cancelIpc();
      deliver(bound, badge);
      bound.wake();
      return;
    }
    this.#active = true;
    this.#word = badge;
  }

  /** seL4 receiveSignal: Wait when blocking, Poll otherwise. */
  wait(tcb: Tcb, blocking: boolean): IpcStatus {
    if (this.#active) {
      this.completeSignal(tcb);
      return "completed";
    }
    if (!blocking) {
      deliver(tcb, 0);
      return "wouldBlock";
    }
    tcb.block("BlockedOnNotification", this);
    this.#waiters.append(tcb);
    return "blocked";
  }

  /** Hands the accumulated word to tcb and clears it. */
  completeSignal(tcb: Tcb): void {
    deliver(tcb, this.#word);
    this.#word = 0;
    this.#active = false;
  }

  cancelBlocked(tcb: Tcb): void {
    this.#waiters.remove(tcb);
  }

  override finalise(): void {
    if (this.destroyed) return;
    super.finalise();
    this.unbind();
    let tcb: Tcb | null;
    while ((tcb = this.#waiters.popHead()) !== null) {
      tcb.ipcError = KernelError.InvalidCapability;
      tcb.wake();
    }
  }
}

function deliver(tcb: Tcb, badge: number): void {
  tcb.info.set(0, 0, 0, 0);
  tcb.badge = badge;
  tcb.fromNotification = true;
  tcb.ipcError = KernelError.Ok;
}

/** Bitwise OR of two safe non-negative integers, half by half. */
export function orBadges(a: number, b: number): number {
  const lo = ((a >>> 0) | (b >>> 0)) >>> 0;
  const hi = (Math.floor(a / TWO_32) | Math.floor(b / TWO_32)) >>> 0;
  return hi * TWO_32 + lo;
}
