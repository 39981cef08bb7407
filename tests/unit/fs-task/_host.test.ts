import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { EOVERFLOW } from "../../../fs-task/_errno.ts";
import { inoFromHost, statFromHost } from "../../../fs-task/_host.ts";

/** A real host stat with some fields replaced. */
function hostStat(fields: Partial<Record<"size" | "blocks" | "ino", bigint>>): fs.BigIntStats {
  return Object.assign(fs.statSync(".", { bigint: true }), fields);
}

describe("statFromHost()", () => {
  it("gives every number exactly", () => {
    const st = statFromHost(hostStat({ size: 2n ** 53n - 1n, ino: 12345n }));
    expect(st).toMatchObject({ size: 2 ** 53 - 1, ino: 12345 });
  });

  it("is EOVERFLOW for a size or block count no safe integer holds", () => {
    expect(statFromHost(hostStat({ size: 2n ** 53n }))).toBe(-EOVERFLOW);
    expect(statFromHost(hostStat({ blocks: 2n ** 60n }))).toBe(-EOVERFLOW);
  });
});

describe("inoFromHost()", () => {
  it("keeps inode numbers below 2^53 and folds the high bits of larger ones", () => {
    expect(inoFromHost(2n ** 53n - 1n)).toBe(2 ** 53 - 1);
    const layer1 = inoFromHost((1n << 61n) | 42n), layer2 = inoFromHost((2n << 61n) | 42n);
    for (const ino of [layer1, layer2]) expect(Number.isSafeInteger(ino)).toBe(true);
    expect(layer1).not.toBe(layer2);
    expect(layer1).not.toBe(42);
  });
});
