import { describe, expect, it } from "vitest";
import { EAGAIN, EINVAL } from "../../../linux-abi/errno.ts";
import { POLLIN, POLLOUT } from "../../../linux-abi/poll.ts";
import { EventFd } from "../../../libos/eventfd.ts";

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

function take(e: EventFd): bigint | number {
  const b = new Uint8Array(8);
  const r = e.read(b);
  return r < 0 ? r : new DataView(b.buffer).getBigUint64(0, true);
}

describe("EventFd", () => {
  it("reads the whole counter, or 1 at a time as a semaphore", () => {
    const e = new EventFd(3, false);
    expect(take(e)).toBe(3n);
    expect(take(e)).toBe(-EAGAIN);
    const s = new EventFd(2, true);
    expect([take(s), take(s), take(s)]).toEqual([1n, 1n, -EAGAIN]);
  });

  it("refuses short reads, writes of other sizes than 8 and ~0", () => {
    const e = new EventFd(1, false);
    expect(e.read(new Uint8Array(7))).toBe(-EINVAL);
    expect(e.write(new Uint8Array(16))).toBe(-EINVAL);
    expect(e.write(u64(0xffffffffffffffffn))).toBe(-EINVAL);
  });

  it("holds at most 0xfffffffffffffffe: a write past it is EAGAIN, and POLLOUT goes", () => {
    const e = new EventFd(0, false);
    expect(e.write(u64(0xfffffffffffffffen))).toBe(8);
    expect(e.poll()).toBe(POLLIN);
    expect(e.write(u64(1n))).toBe(-EAGAIN);
    expect(e.write(u64(0n))).toBe(8);
    expect(take(e)).toBe(0xfffffffffffffffen);
    expect(e.poll()).toBe(POLLOUT);
  });

  it("keys a write POLLIN (even of 0) and a read POLLOUT", () => {
    const e = new EventFd(0, false);
    const keys: number[] = [];
    e.readiness.watch((key) => (keys.push(key), true));
    e.write(u64(0n));
    e.write(u64(2n));
    take(e);
    expect(keys).toEqual([POLLIN, POLLIN, POLLOUT]);
  });
});
