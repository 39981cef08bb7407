// A small seeded pseudo-random generator (xorshift32 mixed through a multiply) for
// reproducible fault injection and tests. Not for secrets: ISN keys use crypto.

import { randomFillSync } from "node:crypto";

export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = (seed >>> 0) || 0x9e3779b9;
  }

  /** The next u32. */
  nextU32(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return Math.imul(this.#state, 0x2545f491) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x100000000;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** A u32 from the platform's cryptographic generator. */
export function cryptoU32(): number {
  return randomFillSync(new Uint32Array(1))[0]!;
}
