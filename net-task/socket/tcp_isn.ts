// Initial sequence numbers as RFC 6528 asks: ISN = M + F(local, remote, secret), where M is
// a clock ticking every 4 µs and F a keyed hash of the connection's addresses and ports, so
// ISNs are unpredictable from outside yet keep increasing for one 4-tuple (old duplicates
// of an earlier incarnation stay below the new ISN). F has HalfSipHash-2-4's structure
// (32-bit ARX rounds over a 64-bit key), the keyed hash Linux uses for the same purpose on
// 32-bit machines. The key comes from the host's cryptographic generator, one per
// interface (node:crypto's randomFillSync: Web Crypto's getRandomValues loads its module,
// ~1-4 ms of every start-up with a network).

import { randomFillSync } from "node:crypto";
import { type Ipv4Address } from "../wire/address.ts";

function rotl(x: number, b: number): number {
  return (x << b) | (x >>> (32 - b));
}

/** A keyed 32-bit hash of three words (HalfSipHash-2-4 shaped). */
export function keyedHash(k0: number, k1: number, w0: number, w1: number, w2: number): number {
  let v0 = k0 | 0, v1 = k1 | 0, v2 = (0x6c796765 ^ k0) | 0, v3 = (0x74656462 ^ k1) | 0;
  const rounds = (n: number) => {
    for (let i = 0; i < n; i++) {
      v0 = (v0 + v1) | 0; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
      v2 = (v2 + v3) | 0; v3 = rotl(v3, 8); v3 ^= v2;
      v0 = (v0 + v3) | 0; v3 = rotl(v3, 7); v3 ^= v0;
      v2 = (v2 + v1) | 0; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
    }
  };
  for (const m of [w0, w1, w2]) {
    v3 ^= m;
    rounds(2);
    v0 ^= m;
  }
  const b = 12 << 24;
  v3 ^= b;
  rounds(2);
  v0 ^= b;
  v2 ^= 0xff;
  rounds(4);
  return (v1 ^ v3) >>> 0;
}

export class IsnGenerator {
  readonly #key: Uint32Array;

  /** `key`: two words; a fresh random key when omitted. */
  constructor(key?: Uint32Array) {
    this.#key = key ?? randomFillSync(new Uint32Array(2));
  }

  /** The ISN for a connection at `now` (ms). */
  isn(now: number, local: Ipv4Address, localPort: number, remote: Ipv4Address, remotePort: number): number {
    const clock = Math.floor(now * 250) >>> 0;
    const f = keyedHash(this.#key[0]!, this.#key[1]!, local, remote, ((localPort << 16) | remotePort) >>> 0);
    return (clock + f) >>> 0;
  }
}
