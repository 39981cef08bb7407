// The shared-memory ring between the kernel-task's thread and the fs-task worker: one
// SharedArrayBuffer, laid out as in seL4's sDDF (a fixed set of request/response slots
// passed between the two sides through single-producer single-consumer index queues).
//
//   control  Int32 words (Ctl): state, two doorbells, counters, the three queues; then
//            the grant table (below) and the tmpfs quota lease (_quota_lease.ts)
//   error    UTF-8 text of a start-up failure (the worker writes it, the client throws it)
//   slots    RING_SLOTS of: header (label, status, words used, back end) | 120 message
//            words | byte area
//
// One worker serves every back end of a user kernel: a request names its back end by the
// index Attach gave it. Attach and Detach are control requests (negative labels, below the
// protocol's method ids).
//
// Queues (each an SPSC ring of slot numbers):
//   free      client → client: slots the client may fill (sDDF's free queue; here the side
//             that fills a slot is also the side that gets it back)
//   request   client → worker: active requests
//   response  worker → client: answered slots. A slot answered Pending comes first as
//             slot | PENDING_NOTICE, then as the plain slot number when its Promise
//             settles: the entry itself says which answer it is, so the client never
//             reads a status the worker may be writing at that moment
//
// Grants: file data never travels in the ring; a request names native memory by host
// address. The worker makes no view of an address it was not granted: for each slot the
// client writes, before it queues the request, the one block the call may touch (the
// frame's base address and length), the window inside it (the pages of the buffer) and
// the access (Read: the worker takes bytes from it, a pwrite; Write: it fills it, a
// pread), and clears it when it takes the final answer (revocation). The worker checks a
// request's [address, block length, offset, length] against its slot's grant before it
// makes a view (grantedRegion); anything else is refused (EFAULT). The table is the
// worker-mode counterpart of ipc mode's per-call frame capability.
//
// Ordering: a producer writes the slot, then Atomics.store()s the queue tail; a consumer
// Atomics.load()s the tail before reading the slot. Doorbells are counters: the waiter
// reads the counter, checks its queue, and Atomics.wait()s only if the counter is unchanged,
// so no wake-up is lost.

import { MSG_WORDS } from "./message.ts";

export const RING_SLOTS = 16;
/** Marks a response entry as a Pending answer; the final answer is the slot number alone. */
export const PENDING_NOTICE = 1 << 8;
/** Byte area per slot: paths, readlink targets, directory pages. */
export const SLOT_BYTE_AREA = 64 * 1024;

export const Ctl = {
  /** WorkerState */
  State: 0,
  /** Bumped by the worker after each response. */
  ClientBell: 1,
  /** Bumped by the client after each request. */
  ServerBell: 2,
  /** The worker's OS thread id (Linux gettid), 0 if unknown. */
  Tid: 3,
  /** Requests served. */
  Requests: 4,
  /** Length of the error text. */
  ErrorLength: 5,
  FreeHead: 8,
  FreeTail: 9,
  RequestHead: 10,
  RequestTail: 11,
  ResponseHead: 12,
  ResponseTail: 13,
  FreeEntries: 16,
  RequestEntries: 16 + RING_SLOTS,
  ResponseEntries: 16 + 2 * RING_SLOTS,
} as const;

export const WorkerState = { Starting: 0, Ready: 1, Failed: 2, Dead: 3 } as const;

/** Slot header words. */
export const Hdr = { Label: 0, Status: 1, Words: 2, Backend: 3 } as const;


/** Grant table: per slot, Float64 [block base, block length, window start, window end, access]. */
const GRANTS_AT = 256;
const GRANT_FIELDS = 5;
export const GrantAccess = { None: 0, Read: 1, Write: 2 } as const;

/** Quota lease cells (_quota_lease.ts Lease): BigInt64 [lease, used, free]. */
const LEASE_AT = GRANTS_AT + RING_SLOTS * GRANT_FIELDS * 8;

const CONTROL_BYTES = 1024;
export const ERROR_AT = CONTROL_BYTES;
export const ERROR_BYTES = 3072;
const SLOTS_AT = ERROR_AT + ERROR_BYTES;
const HEADER_BYTES = 16;
const WORDS_BYTES = MSG_WORDS * 8;
const SLOT_STRIDE = HEADER_BYTES + WORDS_BYTES + SLOT_BYTE_AREA;

export const RING_BYTES = SLOTS_AT + RING_SLOTS * SLOT_STRIDE;

/** One slot's views. */
export interface RingSlot {
  readonly header: Int32Array;
  readonly words: Uint32Array;
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

export function slotViews(sab: SharedArrayBuffer): RingSlot[] {
  const slots: RingSlot[] = [];
  for (let i = 0; i < RING_SLOTS; i++) {
    const at = SLOTS_AT + i * SLOT_STRIDE;
    slots.push({
      header: new Int32Array(sab, at, HEADER_BYTES / 4),
      words: new Uint32Array(sab, at + HEADER_BYTES, MSG_WORDS * 2),
      bytes: new Uint8Array(sab, at + HEADER_BYTES + WORDS_BYTES, SLOT_BYTE_AREA),
      view: new DataView(sab, at + HEADER_BYTES + WORDS_BYTES, SLOT_BYTE_AREA),
    });
  }
  return slots;
}

export function controlView(sab: SharedArrayBuffer): Int32Array {
  return new Int32Array(sab, 0, CONTROL_BYTES / 4);
}

/** The grant table's Float64 words (the client writes them, the worker only reads). */
export function grantView(sab: SharedArrayBuffer): Float64Array {
  return new Float64Array(sab, GRANTS_AT, RING_SLOTS * GRANT_FIELDS);
}

/** The tmpfs quota lease's cells (_quota_lease.ts). */
export function leaseView(sab: SharedArrayBuffer): BigInt64Array {
  return new BigInt64Array(sab, LEASE_AT, 3);
}

/**
 * Grants slot `slot` access to bytes [start, end) of the native block at `base` (`length`
 * bytes long); GrantAccess.None revokes.
 */
export function setGrant(grants: Float64Array, slot: number, base: number, length: number, start: number, end: number, access: number): void {
  const at = slot * GRANT_FIELDS;
  grants[at] = base;
  grants[at + 1] = length;
  grants[at + 2] = start;
  grants[at + 3] = end;
  grants[at + 4] = access;
}

/**
 * The worker's decode of a data region: true only when the request names the very block
 * its slot was granted, with the access granted, and [offset, offset + length) lies
 * inside the granted window.
 */
export function grantedRegion(grants: Float64Array, slot: number, base: number, extent: number, offset: number, length: number, access: number): boolean {
  const at = slot * GRANT_FIELDS;
  return (
    access !== GrantAccess.None && grants[at + 4] === access && base > 0 && grants[at] === base && grants[at + 1] === extent &&
    Number.isSafeInteger(offset) && Number.isSafeInteger(length) && length >= 0 &&
    offset >= grants[at + 2]! && offset + length <= grants[at + 3]!
  );
}

/** A single-producer single-consumer queue of slot numbers inside the control words. */
export class SlotQueue {
  readonly #ctl: Int32Array;
  readonly #head: number;
  readonly #tail: number;
  readonly #entries: number;

  constructor(ctl: Int32Array, head: number, tail: number, entries: number) {
    this.#ctl = ctl;
    this.#head = head;
    this.#tail = tail;
    this.#entries = entries;
  }

  push(slot: number): void {
    const tail = Atomics.load(this.#ctl, this.#tail);
    this.#ctl[this.#entries + (tail & (RING_SLOTS - 1))] = slot;
    Atomics.store(this.#ctl, this.#tail, (tail + 1) | 0);
  }

  /** The oldest slot number, or -1 when empty. */
  pop(): number {
    const head = Atomics.load(this.#ctl, this.#head);
    if (head === Atomics.load(this.#ctl, this.#tail)) return -1;
    const slot = this.#ctl[this.#entries + (head & (RING_SLOTS - 1))]!;
    Atomics.store(this.#ctl, this.#head, (head + 1) | 0);
    return slot;
  }

  get empty(): boolean {
    return Atomics.load(this.#ctl, this.#head) === Atomics.load(this.#ctl, this.#tail);
  }

  /** How many slot numbers it holds. */
  get size(): number {
    return (Atomics.load(this.#ctl, this.#tail) - Atomics.load(this.#ctl, this.#head)) | 0;
  }
}

export interface RingQueues {
  free: SlotQueue;
  request: SlotQueue;
  response: SlotQueue;
}

export function ringQueues(ctl: Int32Array): RingQueues {
  return {
    free: new SlotQueue(ctl, Ctl.FreeHead, Ctl.FreeTail, Ctl.FreeEntries),
    request: new SlotQueue(ctl, Ctl.RequestHead, Ctl.RequestTail, Ctl.RequestEntries),
    response: new SlotQueue(ctl, Ctl.ResponseHead, Ctl.ResponseTail, Ctl.ResponseEntries),
  };
}

/**
 * Polls `queue` for up to `micros` µs; true as soon as it holds something. Time-based, not
 * a count of polls, so a cold (not yet optimised) loop spins as long as a hot one.
 */
export function spinFor(queue: SlotQueue, micros: number): boolean {
  if (!queue.empty) return true;
  if (micros <= 0) return false;
  const until = performance.now() + micros / 1000;
  for (let i = 1; ; i++) {
    if (!queue.empty) return true;
    if ((i & 31) === 0 && performance.now() > until) return false;
  }
}

/**
 * An answer this soon after going to sleep means the other side could not run while we
 * spun. Not much more: waking a side that sleeps in Atomics.wait takes ~30-50 µs on a
 * virtual machine, and counting those answers made both sides' budgets collapse to 0
 * together (every call then paid two wake-ups; find in worker mode took ~1.3× longer).
 */
const YIELDED_TOO_LATE_MS = 0.02;
/** With spinning off, probe again every this many waits. */
const REPROBE_EVERY = 256;

/**
 * Waits for a queue: first by polling, then in Atomics.wait on its doorbell. The polling
 * budget adapts, as an adaptive mutex's does. Polling pays when the other side runs on
 * another CPU at the same time (an answer in well under a µs instead of a futex wake-up
 * of tens of µs); it is harmful when both sides share one CPU (the host is busy): then
 * the other side runs only once this one stops polling, so every wait costs the whole
 * budget. The sign of that is an answer that arrives just after going to sleep; each
 * one halves the budget, each answer caught while polling doubles it (up to the maximum),
 * and with the budget at 0 the whole budget is tried again every REPROBE_EVERY waits
 * (a short probe never caught an answer that needs the other side to wake up first).
 */
export class Waiter {
  readonly #max: number;
  #budget: number;
  #waits = 0;

  constructor(maxMicros: number) {
    this.#max = Math.max(0, maxMicros);
    this.#budget = this.#max;
  }

  get budgetMicros(): number {
    return this.#budget;
  }

  /** Waits until `queue` holds something (true) or `timeoutMs` passes (false). */
  wait(queue: SlotQueue, ctl: Int32Array, bell: number, timeoutMs: number): boolean {
    const seen = Atomics.load(ctl, bell);
    if (!queue.empty) return true;
    if (this.#budget === 0 && this.#max > 0 && ++this.#waits % REPROBE_EVERY === 0) this.#budget = this.#max;
    if (spinFor(queue, this.#budget)) {
      this.#budget = Math.min(this.#max, Math.max(2 * this.#budget, 1));
      return true;
    }
    const slept = performance.now();
    if (Atomics.wait(ctl, bell, seen, timeoutMs) === "timed-out") return !queue.empty;
    if (this.#budget > 0 && performance.now() - slept < YIELDED_TOO_LATE_MS) this.#budget = this.#budget < 4 ? 0 : this.#budget >> 1;
    return true;
  }
}

/** Rings a doorbell: bump its counter and wake whoever waits on it. */
export function ring(ctl: Int32Array, bell: number): void {
  Atomics.add(ctl, bell, 1);
  Atomics.notify(ctl, bell);
}
