import { describe, expect, it } from "vitest";
import { SyscallArgs } from "../../../../libos/sys/args.ts";
import { FIRST_ARG } from "../../../../syscall-shim/x86_64.ts";

/** Arguments from (lo, hi) uint32 pairs, placed after the syscall number word. */
function args(...pairs: [number, number][]): SyscallArgs {
  const a = new SyscallArgs();
  a.words = new Uint32Array((FIRST_ARG + 6) * 2);
  a.words[0] = 0xdead; // the syscall number, never an argument
  pairs.forEach(([lo, hi], i) => {
    a.words[(FIRST_ARG + i) * 2] = lo;
    a.words[(FIRST_ARG + i) * 2 + 1] = hi;
  });
  return a;
}

describe("SyscallArgs", () => {
  it("int() sign-extends the low 32 bits (AT_FDCWD)", () => {
    const a = args([0xffffff9c, 0], [0xffffff9c, 0xffffffff], [0xffffffff, 0], [7, 0x12345678]);
    expect(a.int(0)).toBe(-100);
    expect(a.int(1)).toBe(-100);
    expect(a.int(2)).toBe(-1);
    expect(a.int(3)).toBe(7);
  });

  it("uint() returns the low 32 bits unsigned", () => {
    const a = args([0x80000000, 0xffffffff]);
    expect(a.uint(0)).toBe(0x80000000);
  });

  it("ptr() and size() read a 47-bit user address exactly", () => {
    const a = args([0xffffe000, 0x7fff], [0, 0], [0x12345678, 0x1]);
    expect(a.ptr(0)).toBe(0x7fffffffe000);
    expect(a.size(0)).toBe(0x7fffffffe000);
    expect(a.ptr(1)).toBe(0);
    expect(a.ptr(2)).toBe(0x1_12345678);
  });

  it("long() reads signed 64-bit values", () => {
    const a = args([0xffffffff, 0xffffffff], [0, 0xfffffffe], [0x80000000, 0], [5, 0]);
    expect(a.long(0)).toBe(-1);
    expect(a.long(1)).toBe(-0x2_0000_0000);
    expect(a.long(2)).toBe(0x80000000);
    expect(a.long(3)).toBe(5);
  });

  it("int() reads all six argument registers at their message indices", () => {
    const a = args([1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [6, 0]);
    expect([0, 1, 2, 3, 4, 5].map((i) => a.int(i))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("exactLong() and exactSize() are numbers while safe, exact BigInts beyond", () => {
    const a = args([0xffffffff, 0x001fffff], [0, 0x00200000], [1, 0x00200000], [0xffffffff, 0x7fffffff], [0xffffffff, 0xffffffff]);
    expect(a.exactLong(0)).toBe(2 ** 53 - 1);
    expect(a.exactLong(1)).toBe(2n ** 53n);
    expect(a.exactLong(2)).toBe(2n ** 53n + 1n);
    expect(a.exactLong(3)).toBe(2n ** 63n - 1n);
    expect(a.exactLong(4)).toBe(-1);
    expect(a.exactSize(4)).toBe(2n ** 64n - 1n);
    // The rounded accessors never round a value past 2^53 back into the safe range.
    expect(a.long(2)).toBeGreaterThanOrEqual(2 ** 53);
  });
});
