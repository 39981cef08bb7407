// A Device wrapper that misbehaves on purpose, reproducibly (a seeded PRNG): it drops,
// duplicates, reorders and corrupts frames in both directions, so tests (and, later, the
// CLI) can check that the stack recovers and that checksums catch every damaged frame.
//
//   receive(): takes frames from the inner device, applies the faults, may hold one back
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
}

export interface FaultStats {
  dropped: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
}

export class FaultInjector implements Device {
  readonly stats: FaultStats = { dropped: 0, duplicated: 0, reordered: 0, corrupted: 0 };
  readonly #inner: Device;
  readonly #random: SeededRandom;
  readonly #options: Required<FaultOptions>;
  /** Frames already decided on, waiting to be received (duplicates, released held frames). */
  readonly #ready = new FrameQueue(Number.MAX_SAFE_INTEGER);
  #heldRx: Uint8Array | null = null;
  #heldTx: Uint8Array | null = null;

  constructor(inner: Device, options: FaultOptions) {
    this.#inner = inner;
    this.#random = new SeededRandom(options.seed);
    this.#options = { drop: 0, duplicate: 0, reorder: 0, corrupt: 0, ...options };
  }

  get medium(): Medium { return this.#inner.medium; }
  get mtu(): number { return this.#inner.mtu; }

  receive(now: number): Uint8Array | null {
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
