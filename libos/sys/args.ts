// Syscall arguments read straight from the fault message (two uint32 per word), with
// accessors named after the C types the way gVisor's are: a handler says which C type
// an argument has and gets the right truncation and sign, without BigInt.

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

  /** A user pointer or size_t: unsigned 64-bit; values past 2^53 lose precision but no user address is that large. */
  ptr(i: number): number {
    const w = (FIRST_ARG + i) * 2;
    return this.words[w]! + this.words[w + 1]! * 4294967296;
  }

  size(i: number): number {
    return this.ptr(i);
  }

  /** C `long` / off_t: signed 64-bit. */
  long(i: number): number {
    const w = (FIRST_ARG + i) * 2;
    return this.words[w]! + (this.words[w + 1]! | 0) * 4294967296;
  }
}
