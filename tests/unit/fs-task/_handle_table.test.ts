// HandleTable: lowest-free allocation, lookup and release.

import { describe, expect, it } from "vitest";
import { HandleTable } from "../../../fs-task/_handle_table.ts";

describe("HandleTable", () => {
  it("add() hands out the lowest free handle", () => {
    const t = new HandleTable<string>();
    expect([t.add("a"), t.add("b"), t.add("c")]).toEqual([0, 1, 2]);
    t.delete(1);
    t.delete(0);
    expect(t.add("d")).toBe(0);
    expect(t.add("e")).toBe(1);
    expect(t.add("f")).toBe(3);
  });

  it("get() and delete() reject handles that are not open", () => {
    const t = new HandleTable<string>();
    const h = t.add("x");
    expect(t.get(h)).toBe("x");
    expect(t.get(-1)).toBeUndefined();
    expect(t.get(0.5)).toBeUndefined();
    expect(t.delete(h)).toBe("x");
    expect(t.delete(h)).toBeUndefined();
    expect(t.get(h)).toBeUndefined();
  });
});
