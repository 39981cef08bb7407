// Syscall arguments read straight from the fault message (two uint32 per word), with
// accessors named after the C types the way gVisor's are: a handler says which C type
// an argument has and gets the right truncation and sign, without BigInt (but for the
// exact accessors' rare path: 64-bit values past 2^53).

import { FIRST_ARG } from "../../syscall-shim/x86_64.ts";

export class SyscallArgs {
  words: Uint32Array = new Uint32Array(0);

  /** C `int`: the low 32 bits, signed (AT_FDCWD, fd -1). */
  int(i: number): number {
    return this.words[(FIRST_ARG + i) * 2]! | 0;
  }

  /** C `unsigned int` / flags. */
  uint(i: number): number {
    return this.words[(FIRST_ARG + i) * 2]!;
  }

  /**
   * A user pointer or size_t: unsigned 64-bit. Exact below 2^53; larger values are rounded,
   * to a value still at least 2^53 (no user address is that large, and a check against a
   * safe limit still decides right: see exactSize for the bits).
   */
  ptr(i: number): number {
    const w = (FIRST_ARG + i) * 2;
    return this.words[w]! + this.words[w + 1]! * 4294967296;
  }

  size(i: number): number {
    return this.ptr(i);
  }

  /** C `long` / off_t: signed 64-bit; rounded as ptr() is beyond ±2^53, never towards 0. */
  long(i: number): number {
    const w = (FIRST_ARG + i) * 2;
    return this.words[w]! + (this.words[w + 1]! | 0) * 4294967296;
  }

  /** C `loff_t`, exactly: a number when it is a safe integer, else a BigInt (the rare path). */
  exactLong(i: number): number | bigint {
    const n = this.long(i);
    return Number.isSafeInteger(n) ? n : BigInt.asIntN(64, this.#bits(i));
  }

  /** C `size_t`, exactly: a number when it is a safe integer, else a BigInt. */
  exactSize(i: number): number | bigint {
    const n = this.ptr(i);
    return Number.isSafeInteger(n) ? n : this.#bits(i);
  }

  #bits(i: number): bigint {
    const w = (FIRST_ARG + i) * 2;
    return (BigInt(this.words[w + 1]!) << 32n) | BigInt(this.words[w]!);
  }
}
