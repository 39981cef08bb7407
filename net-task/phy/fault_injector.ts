// A Device wrapper that misbehaves on purpose, reproducibly (a seeded PRNG): it drops,
// duplicates, reorders and corrupts frames in both directions, and delays and rate-limits
// what it receives, so tests and the CLI (--net-faults) can check that the stack recovers
// and that checksums catch every damaged frame.
//
//   receive(): takes frames from the inner device, applies the faults, may hold one back;
//              with a delay or a rate the frames then wait in a delay line (pollAt says
//              when the next one is due: the wrapper keeps no timer of its own)
//   transmit(): applies the faults before handing frames to the inner device
//   stats: how many frames each fault hit

import { type Device, type Medium } from "./device.ts";
import { FrameQueue } from "./frame_queue.ts";
import { SeededRandom } from "./prng.ts";

export interface FaultOptions {
  seed: number;
  /** Probabilities in [0, 1] per frame. */
  drop?: number;
  duplicate?: number;
  /** Hold the frame back and deliver it after the next one. */
  reorder?: number;
  /** Flip the bits of one random byte. */
  corrupt?: number;
  /** Milliseconds each received frame is held back. */
  delay?: number;
  /** Bits per second the receive side carries (0: no limit); frames queue behind each other. */
  rate?: number;
  /** Frames the delay line holds before it drops (default 10000). */
  lineLimit?: number;
}

export interface FaultStats {
  dropped: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  /** Dropped because the delay line was full. */
  overflowed: number;
}

export class FaultInjector implements Device {
  readonly stats: FaultStats = { dropped: 0, duplicated: 0, reordered: 0, corrupted: 0, overflowed: 0 };
  readonly #inner: Device;
  readonly #random: SeededRandom;
  readonly #options: Required<FaultOptions>;
  /** Frames already decided on, waiting to be received (duplicates, released held frames). */
  readonly #ready = new FrameQueue(Number.MAX_SAFE_INTEGER);
  #heldRx: Uint8Array | null = null;
  #heldTx: Uint8Array | null = null;
  /** The delay line: frames and the time each is due, oldest first (from #lineHead). */
  #lineFrames: Uint8Array[] = [];
  #lineDue: number[] = [];
  #lineHead = 0;
  /** When the last frame in the line finished crossing the rate-limited medium. */
  #lastDeparture = 0;

  constructor(inner: Device, options: FaultOptions) {
    this.#inner = inner;
    this.#random = new SeededRandom(options.seed);
    this.#options = { drop: 0, duplicate: 0, reorder: 0, corrupt: 0, delay: 0, rate: 0, lineLimit: 10000, ...options };
  }

  get medium(): Medium { return this.#inner.medium; }
  get mtu(): number { return this.#inner.mtu; }

  setWaker(waker: (() => void) | null): void {
    this.#inner.setWaker?.(waker);
  }

  pollAt(): number {
    const inner = this.#inner.pollAt?.() ?? Infinity;
    return this.#lineHead < this.#lineDue.length ? Math.min(inner, this.#lineDue[this.#lineHead]!) : inner;
  }

  receive(now: number): Uint8Array | null {
    if (this.#options.delay <= 0 && this.#options.rate <= 0) return this.#receiveFaulty(now);
    for (let frame = this.#receiveFaulty(now); frame !== null; frame = this.#receiveFaulty(now)) this.#enterLine(now, frame);
    if (this.#lineHead >= this.#lineDue.length || this.#lineDue[this.#lineHead]! > now) return null;
    const frame = this.#lineFrames[this.#lineHead]!;
    this.#lineHead++;
    if (this.#lineHead === this.#lineDue.length || this.#lineHead > 1024) {
      this.#lineFrames = this.#lineFrames.slice(this.#lineHead);
      this.#lineDue = this.#lineDue.slice(this.#lineHead);
      this.#lineHead = 0;
    }
    return frame;
  }

  /** Queues a frame behind the others: it leaves once the medium carried it, plus the delay. */
  #enterLine(now: number, frame: Uint8Array): void {
    if (this.#lineDue.length - this.#lineHead >= this.#options.lineLimit) {
      this.stats.overflowed++;
      return;
    }
    const rate = this.#options.rate;
    const crossing = rate > 0 ? (frame.length * 8 * 1000) / rate : 0;
    this.#lastDeparture = Math.max(now, this.#lastDeparture) + crossing;
    this.#lineFrames.push(frame);
    this.#lineDue.push(this.#lastDeparture + this.#options.delay);
  }

  #receiveFaulty(now: number): Uint8Array | null {
    for (;;) {
      const ready = this.#ready.shift();
      if (ready !== null) return ready;
      const frame = this.#inner.receive(now);
      if (frame === null) {
        // Nothing came after the held frame: deliver it now rather than stall the stream.
        const held = this.#heldRx;
        this.#heldRx = null;
        return held;
      }
      const out = this.#apply(frame);
      if (out === null) continue;
      if (this.#heldRx === null && this.#chance(this.#options.reorder)) {
        this.stats.reordered++;
        this.#heldRx = out;
        continue;
      }
      if (this.#heldRx !== null) {
        this.#ready.push(this.#heldRx);
        this.#heldRx = null;
      }
      if (this.#chance(this.#options.duplicate)) {
        this.stats.duplicated++;
        this.#ready.push(out.slice());
      }
      return out;
    }
  }

  transmit(now: number, frame: Uint8Array): boolean {
    const out = this.#apply(frame);
    if (out === null) return true;
    if (this.#heldTx === null && this.#chance(this.#options.reorder)) {
      this.stats.reordered++;
      this.#heldTx = out;
      return true;
    }
    const sent = this.#inner.transmit(now, out);
    if (this.#heldTx !== null) {
      this.#inner.transmit(now, this.#heldTx);
      this.#heldTx = null;
    }
    if (sent && this.#chance(this.#options.duplicate)) {
      this.stats.duplicated++;
      this.#inner.transmit(now, out.slice());
    }
    return sent;
  }

  /** Drops or corrupts a frame (a corrupted frame is a copy: the sender may still hold it). */
  #apply(frame: Uint8Array): Uint8Array | null {
    if (this.#chance(this.#options.drop)) {
      this.stats.dropped++;
      return null;
    }
    if (frame.length > 0 && this.#chance(this.#options.corrupt)) {
      this.stats.corrupted++;
      const copy = frame.slice();
      copy[this.#random.below(copy.length)]! ^= 1 + this.#random.below(255);
      return copy;
    }
    return frame;
  }

  #chance(p: number): boolean {
    return p > 0 && this.#random.next() < p;
  }
}
