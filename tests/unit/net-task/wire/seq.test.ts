// Sequence-number arithmetic across the 2^32 wrap.

import { describe, expect, it } from "vitest";
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax } from "../../../../net-task/wire/seq.ts";

describe("sequence numbers", () => {
  it("wrap when adding and compare across the wrap", () => {
    const near = 0xfffffff0;
    const after = seqAdd(near, 0x20);
    expect(after).toBe(0x10);
    expect(seqLt(near, after)).toBe(true);
    expect(seqGt(after, near)).toBe(true);
    expect(seqDiff(after, near)).toBe(0x20);
    expect(seqDiff(near, after)).toBe(-0x20);
    expect(seqLe(5, 5) && seqGe(5, 5)).toBe(true);
    expect(seqMax(near, after)).toBe(after);
  });

  it("seqInWindow() is half-open and wrap-safe", () => {
    expect(seqInWindow(0xffffffff, 0xfffffff0, 0x10)).toBe(true);
    expect(seqInWindow(0x10, 0xfffffff0, 0x10)).toBe(false);
    expect(seqInWindow(0xfffffff0, 0xfffffff0, 0x10)).toBe(true);
    expect(seqInWindow(0xffffffef, 0xfffffff0, 0x10)).toBe(false);
  });
});
