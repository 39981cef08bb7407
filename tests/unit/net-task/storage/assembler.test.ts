// Assembler: merging ranges, taking the contiguous front, bounds on the number of holes.

import { describe, expect, it } from "vitest";
import { Assembler } from "../../../../net-task/storage/assembler.ts";

describe("Assembler", () => {
  it("merges overlapping and adjacent ranges and keeps them sorted", () => {
    const a = new Assembler();
    a.add(10, 5);
    a.add(30, 5);
    a.add(15, 5);
    a.add(0, 2);
    expect(a.ranges).toEqual([[0, 2], [10, 20], [30, 35]]);
    a.add(18, 15);
    expect(a.ranges).toEqual([[0, 2], [10, 35]]);
    expect(a.covers(12, 10)).toBe(true);
    expect(a.overlaps(2, 8)).toBe(false);
    expect(a.overlaps(2, 9)).toBe(true);
  });

  it("takeFront() removes the range at 0 and shifts the rest; shift() moves the origin", () => {
    const a = new Assembler();
    a.add(0, 4);
    a.add(8, 4);
    expect(a.takeFront()).toBe(4);
    expect(a.ranges).toEqual([[4, 8]]);
    expect(a.takeFront()).toBe(0);
    a.shift(6);
    expect(a.ranges).toEqual([[0, 2]]);
    a.shift(5);
    expect(a.isEmpty).toBe(true);
  });

  it("refuses a range that would exceed its hole budget", () => {
    const a = new Assembler(2);
    expect(a.add(0, 1)).toBe(true);
    expect(a.add(4, 1)).toBe(true);
    expect(a.add(8, 1)).toBe(false);
    expect(a.add(1, 3)).toBe(true);
    expect(a.ranges).toEqual([[0, 5]]);
  });
});
