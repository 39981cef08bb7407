// The Internet checksum: RFC 1071's worked example, odd lengths, long buffers, pseudo-header.

import { describe, expect, it } from "vitest";
import { finish, internetChecksum, pseudoHeaderSum, sumRange, sumWords } from "../../../../net-task/wire/checksum.ts";

describe("checksum", () => {
  it("matches RFC 1071's example (sum 0xddf2)", () => {
    const bytes = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(finish(sumWords(bytes)) ^ 0xffff).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it("pads an odd last byte with zero", () => {
    expect(internetChecksum(Uint8Array.of(0x12, 0x34, 0x56))).toBe(finish(0x1234 + 0x5600));
  });

  it("sumRange() over a long buffer equals a plain 64-bit sum", () => {
    const bytes = new Uint8Array(300_001).map((_, i) => (i * 7919) & 0xff);
    let plain = 0n;
    for (let i = 0; i < bytes.length; i += 2) plain += BigInt((bytes[i]! << 8) | (bytes[i + 1] ?? 0));
    while (plain > 0xffffn) plain = (plain & 0xffffn) + (plain >> 16n);
    expect(finish(sumRange(bytes, 0, bytes.length))).toBe(Number(~plain & 0xffffn));
    expect(sumRange(bytes, 10, 20)).toBe(sumWords(bytes.subarray(10, 20)));
  });

  it("pseudoHeaderSum() adds the address halves, protocol and length", () => {
    expect(pseudoHeaderSum(0x0a000001, 0x0a000002, 6, 40)).toBe(0x0a00 + 1 + 0x0a00 + 2 + 6 + 40);
  });
});
