import { describe, expect, it } from "vitest";
import { PermissionRanges } from "../../../../microkernel/platform/permission_ranges.ts";

const P = 0x1000;

describe("PermissionRanges", () => {
  it("answers -1 outside every range and the range's perms inside", () => {
    const r = new PermissionRanges();
    r.assign(4 * P, 8 * P, 3);
    r.assign(10 * P, 11 * P, 5);
    expect([r.permsAt(0), r.permsAt(4 * P - 1), r.permsAt(4 * P), r.permsAt(8 * P - 1), r.permsAt(8 * P)]).toEqual([-1, -1, 3, 3, -1]);
    expect([r.permsAt(10 * P + 5), r.permsAt(11 * P)]).toEqual([5, -1]);
  });

  it("splits a range when the middle changes or goes, keeping both ends", () => {
    const r = new PermissionRanges();
    r.assign(0, 10 * P, 3);
    r.assign(3 * P, 5 * P, 1);
    expect([r.permsAt(2 * P), r.permsAt(3 * P), r.permsAt(4 * P), r.permsAt(5 * P)]).toEqual([3, 1, 1, 3]);
    r.assign(4 * P, 6 * P, -1);
    expect([r.permsAt(3 * P), r.permsAt(4 * P), r.permsAt(5 * P), r.permsAt(6 * P)]).toEqual([1, -1, -1, 3]);
    expect(r.covers(0, 4 * P)).toBe(true);
    expect(r.covers(0, 5 * P)).toBe(false);
    expect(r.covers(6 * P, 10 * P)).toBe(true);
  });

  it("replaces every range a new one overlaps, and covers() follows adjacent ranges", () => {
    const r = new PermissionRanges();
    r.assign(0, P, 1);
    r.assign(2 * P, 3 * P, 1);
    r.assign(4 * P, 5 * P, 1);
    r.assign(P / 2, 4 * P + P / 2, 7);
    expect([r.permsAt(0), r.permsAt(P), r.permsAt(3 * P), r.permsAt(4 * P + P / 2)]).toEqual([1, 7, 7, 1]);
    expect(r.covers(0, 5 * P)).toBe(true);
    expect(r.covers(0, 5 * P + 1)).toBe(false);
    r.clear();
    expect(r.permsAt(0)).toBe(-1);
  });

  it("keeps each piece's host offset when a range is split, replaced or reprotected", () => {
    const r = new PermissionRanges();
    r.assign(0, 4 * P, 3, 0x100000);
    r.assign(8 * P, 10 * P, 1, 0x200000);
    r.protect(2 * P, 9 * P, 5);
    const seen: number[][] = [];
    r.forEach(2 * P, 9 * P, (s, e, perms) => seen.push([s, e, perms]));
    expect(seen).toEqual([[2 * P, 4 * P, 5], [8 * P, 9 * P, 5]]);
    const at = (a: number): number[] => {
      const i = r.find(a);
      return i < 0 ? [] : [r.permsOf(i), r.offsetOf(i)];
    };
    expect([at(P), at(3 * P), at(5 * P), at(8 * P), at(9 * P)]).toEqual([[3, 0x100000], [5, 0x100000], [], [5, 0x200000], [1, 0x200000]]);
  });

  it("overlaps() is true when any byte of the range is mapped", () => {
    const r = new PermissionRanges();
    r.assign(4 * P, 8 * P, 3);
    expect([r.overlaps(0, 4 * P), r.overlaps(0, 4 * P + 1), r.overlaps(7 * P, 9 * P), r.overlaps(8 * P, 9 * P), r.overlaps(5 * P, 6 * P)]).toEqual([false, true, true, false, true]);
  });
});
