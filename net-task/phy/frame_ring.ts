// A virtual Ethernet link between two host threads, as seL4's sDDF passes frames between
// protection domains: one SharedArrayBuffer holds, per direction, a ring of fixed-size
// frame slots (single producer, single consumer) and a doorbell. Nothing else is shared:
// each thread has its own FrameRingEnd (a Device) over the same memory.
//
//   createFrameRing(mtu)        the buffer, to hand to both threads (postMessage and
//                               workerData share it, they do not copy it)
//   new FrameRingEnd(sab, side, mtu?)
//                               side 0 transmits on ring 0 and receives from ring 1,
//                               side 1 the other way round; its MTU is the ring's, or
//                               a smaller one of its own (the ends of a link may differ)
//
// Layout: a header (slot count, slot capacity, MTU), then per ring the control words
// (head, tail, doorbell, frames dropped, bytes sent as two words), the frame lengths and
// the slots. frameRingTraffic(sab) reads what went each way, from any thread.
//
// transmit() copies the frame into the slot at the tail and publishes it with an
// Atomics.store of the tail; a full ring (or a frame too big for a slot) drops it, as a
// NIC's full ring does (TCP retransmits). receive() reads the tail with Atomics.load and
// copies the frame at the head out into a buffer of its own, which the caller owns (the
// one allocation of a crossing: the copy in allocates nothing).
//
// Wake-ups: the producer rings the doorbell (a counter: Atomics.add, then notify) when,
// after publishing, the consumer's head stands at that frame: the ring had nothing else,
// so the consumer may be asleep. The consumer, once it found the ring empty, reads the
// counter, looks at the ring once more and only then waits for the counter to change
// (Atomics.waitAsync, so its thread's event loop keeps turning), so no frame is left
// unnoticed; when the wait ends it calls the waker the stack set (setWaker).

import { type Device } from "./device.ts";

/** Atomics.waitAsync (Node 16+; not in the ES2022 library typings). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: true; value: Promise<string> } | { async: false; value: string };
}).waitAsync;

const ETHERNET_HEADER = 14;
/** Slot bytes per direction we aim for; the slot count is a power of two in [MIN_SLOTS, MAX_SLOTS]. */
const RING_BUDGET = 1 << 20;
const MIN_SLOTS = 8;
const MAX_SLOTS = 256;

const Header = { Slots: 0, Capacity: 1, Mtu: 2 } as const;
const HEADER_WORDS = 4;
/** Control words of one ring. */
const Ctl = { Head: 0, Tail: 1, Bell: 2, Dropped: 3, BytesLow: 4, BytesHigh: 5 } as const;
const CTL_WORDS = 6;

interface RingLayout {
  slots: number;
  capacity: number;
  /** Byte offsets of each ring's control words, lengths and slots. */
  ctlAt: [number, number];
  lengthsAt: [number, number];
  dataAt: [number, number];
  bytes: number;
}

function layout(slots: number, capacity: number): RingLayout {
  const stride = (capacity + 7) & ~7;
  const ctlAt: [number, number] = [HEADER_WORDS * 4, (HEADER_WORDS + CTL_WORDS) * 4];
  const lengthsAt: [number, number] = [(HEADER_WORDS + 2 * CTL_WORDS) * 4, (HEADER_WORDS + 2 * CTL_WORDS + slots) * 4];
  const data0 = (lengthsAt[1] + slots * 4 + 7) & ~7;
  const dataAt: [number, number] = [data0, data0 + slots * stride];
  return { slots, capacity, ctlAt, lengthsAt, dataAt, bytes: data0 + 2 * slots * stride };
}

/** A fresh link for frames of IP packets up to `mtu` bytes, to hand to both threads. */
export function createFrameRing(mtu: number): SharedArrayBuffer {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new RangeError(`Cannot create a frame ring: MTU ${mtu} is not in 68-65535`);
  const capacity = mtu + ETHERNET_HEADER;
  let slots = MAX_SLOTS;
  while (slots > MIN_SLOTS && slots * capacity > RING_BUDGET) slots >>= 1;
  const l = layout(slots, capacity);
  const sab = new SharedArrayBuffer(l.bytes);
  const header = new Int32Array(sab, 0, HEADER_WORDS);
  header[Header.Slots] = slots;
  header[Header.Capacity] = capacity;
  header[Header.Mtu] = mtu;
  return sab;
}

/** Frames and bytes each side has sent into its ring ([side 0, side 1]), read from any thread. */
export function frameRingTraffic(sab: SharedArrayBuffer): { frames: [number, number]; bytes: [number, number] } {
  const header = new Int32Array(sab, 0, HEADER_WORDS);
  const l = layout(header[Header.Slots]!, header[Header.Capacity]!);
  const ctl = (side: 0 | 1): Int32Array => new Int32Array(sab, l.ctlAt[side], CTL_WORDS);
  const frames = (c: Int32Array): number => Atomics.load(c, Ctl.Tail) >>> 0;
  const bytes = (c: Int32Array): number => (Atomics.load(c, Ctl.BytesHigh) >>> 0) * 2 ** 32 + (Atomics.load(c, Ctl.BytesLow) >>> 0);
  const [a, b] = [ctl(0), ctl(1)];
  return { frames: [frames(a), frames(b)], bytes: [bytes(a), bytes(b)] };
}

/** What went through one direction of a ring. */
export interface FrameRingStats {
  /** Frames this end transmitted into the ring. */
  sent: number;
  /** Frames this end dropped: its outgoing ring was full, or the frame too big for a slot. */
  dropped: number;
}

export class FrameRingEnd implements Device {
  readonly medium = "ethernet";
  readonly mtu: number;
  readonly #slots: number;
  readonly #capacity: number;
  readonly #txCtl: Int32Array;
  readonly #rxCtl: Int32Array;
  readonly #txLengths: Int32Array;
  readonly #rxLengths: Int32Array;
  readonly #txData: Uint8Array;
  readonly #rxData: Uint8Array;
  readonly #stride: number;
  #sent = 0;
  #waker: (() => void) | null = null;
  /** A wait on the incoming doorbell is pending (or a wake-up is queued). */
  #armed = false;

  /** Throws TypeError for a buffer createFrameRing() did not make, RangeError for an MTU past the ring's. */
  constructor(sab: SharedArrayBuffer, side: 0 | 1, mtu?: number) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < HEADER_WORDS * 4) throw new TypeError("Cannot open a frame ring: not a frame ring's buffer");
    const header = new Int32Array(sab, 0, HEADER_WORDS);
    const slots = header[Header.Slots]!, capacity = header[Header.Capacity]!, ringMtu = header[Header.Mtu]!;
    const l = layout(slots, capacity);
    if (slots < MIN_SLOTS || (slots & (slots - 1)) !== 0 || ringMtu + ETHERNET_HEADER !== capacity || l.bytes !== sab.byteLength) {
      throw new TypeError("Cannot open a frame ring: its header does not match its size");
    }
    if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 68 && mtu <= ringMtu)) throw new RangeError(`Cannot open a frame ring: MTU ${mtu} is not in 68-${ringMtu}`);
    const tx = side, rx = 1 - side;
    this.mtu = mtu ?? ringMtu;
    this.#slots = slots;
    this.#capacity = capacity;
    this.#stride = (capacity + 7) & ~7;
    this.#txCtl = new Int32Array(sab, l.ctlAt[tx], CTL_WORDS);
    this.#rxCtl = new Int32Array(sab, l.ctlAt[rx], CTL_WORDS);
    this.#txLengths = new Int32Array(sab, l.lengthsAt[tx], slots);
    this.#rxLengths = new Int32Array(sab, l.lengthsAt[rx], slots);
    this.#txData = new Uint8Array(sab, l.dataAt[tx], slots * this.#stride);
    this.#rxData = new Uint8Array(sab, l.dataAt[rx], slots * this.#stride);
  }

  get stats(): FrameRingStats {
    return { sent: this.#sent, dropped: Atomics.load(this.#txCtl, Ctl.Dropped) };
  }

  /** Frames waiting to be received at this end. */
  get pending(): number {
    return (Atomics.load(this.#rxCtl, Ctl.Tail) - Atomics.load(this.#rxCtl, Ctl.Head)) | 0;
  }

  receive(): Uint8Array | null {
    const head = Atomics.load(this.#rxCtl, Ctl.Head);
    if (head === Atomics.load(this.#rxCtl, Ctl.Tail)) {
      this.#arm();
      return null;
    }
    const slot = head & (this.#slots - 1);
    const length = Math.min(Math.max(this.#rxLengths[slot]!, 0), this.#capacity);
    const at = slot * this.#stride;
    const frame = this.#rxData.slice(at, at + length);
    Atomics.store(this.#rxCtl, Ctl.Head, (head + 1) | 0);
    return frame;
  }

  transmit(_now: number, frame: Uint8Array): boolean {
    const ctl = this.#txCtl;
    const tail = Atomics.load(ctl, Ctl.Tail);
    if (frame.length > this.#capacity || ((tail - Atomics.load(ctl, Ctl.Head)) | 0) >= this.#slots) {
      Atomics.add(ctl, Ctl.Dropped, 1);
      return false;
    }
    const slot = tail & (this.#slots - 1);
    this.#txData.set(frame, slot * this.#stride);
    this.#txLengths[slot] = frame.length;
    Atomics.store(ctl, Ctl.Tail, (tail + 1) | 0);
    this.#sent++;
    // One producer per ring: the count needs no read-modify-write, only its carry.
    const low = (ctl[Ctl.BytesLow]! >>> 0) + frame.length;
    if (low >= 2 ** 32) Atomics.store(ctl, Ctl.BytesHigh, ctl[Ctl.BytesHigh]! + 1);
    Atomics.store(ctl, Ctl.BytesLow, low | 0);
    // The consumer stands at this frame: it drained everything before, and may sleep.
    if (Atomics.load(ctl, Ctl.Head) === tail) {
      Atomics.add(ctl, Ctl.Bell, 1);
      Atomics.notify(ctl, Ctl.Bell);
    }
    return true;
  }

  /** Frames that wait count as due now, so a stack that stopped short of draining polls again. */
  pollAt(): number {
    return this.pending > 0 ? 0 : Infinity;
  }

  setWaker(waker: (() => void) | null): void {
    this.#waker = waker;
    if (waker !== null) this.#arm();
    else if (this.#armed) {
      // Ends the pending wait (it finds no waker), so nothing of this end stays behind.
      Atomics.add(this.#rxCtl, Ctl.Bell, 1);
      Atomics.notify(this.#rxCtl, Ctl.Bell);
    }
  }

  /** Waits for the incoming doorbell, unless frames are already there (then wakes at once). */
  #arm(): void {
    if (this.#armed || this.#waker === null) return;
    this.#armed = true;
    const seen = Atomics.load(this.#rxCtl, Ctl.Bell);
    if (this.pending > 0) {
      queueMicrotask(this.#fire);
      return;
    }
    const wait = waitAsync(this.#rxCtl, Ctl.Bell, seen);
    if (wait.async) void wait.value.then(this.#fire);
    else queueMicrotask(this.#fire);
  }

  #fire = (): void => {
    this.#armed = false;
    this.#waker?.();
  };
}
