import { describe, expect, it } from "vitest";
import { EEXIST, EFAULT, ELOOP, ENOSPC } from "../../../linux-abi/errno.ts";
import { O_RDONLY, O_RDWR, O_WRONLY } from "../../../linux-abi/fcntl.ts";
import { EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT } from "../../../linux-abi/poll.ts";
import { EventPoll, WatchBudget } from "../../../libos/epoll.ts";
import { EventFd } from "../../../libos/eventfd.ts";
import { OpenFile } from "../../../libos/file.ts";
import { PipeEnd, PipeFs } from "../../../libos/pipe.ts";
import { makeThread } from "./_fake_process.ts";

const t = makeThread();

function epoll(budget = new WatchBudget(100)): { ep: EventPoll; file: OpenFile } {
  const ep = new EventPoll(budget);
  return { ep, file: new OpenFile(ep, O_RDWR) };
}

function pipe(): { r: OpenFile; w: OpenFile } {
  const p = new PipeFs().create();
  return { r: new OpenFile(new PipeEnd(p, O_RDONLY), O_RDONLY), w: new OpenFile(new PipeEnd(p, O_WRONLY), O_WRONLY) };
}

function eventfd(initial = 0): OpenFile {
  return new OpenFile(new EventFd(initial, false), O_RDWR);
}

/** One epoll_wait scan: [data, events] pairs. */
function scan(ep: EventPoll, max = 16): [number, number][] | number {
  const got: [number, number][] = [];
  const n = ep.collect(t, max, (_i, events, data) => (got.push([Number(data), events]), true));
  return n < 0 ? n : got;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("EventPoll", () => {
  it("reports a level-triggered entry on every scan while it is ready", () => {
    const { ep } = epoll();
    const { r, w } = pipe();
    expect(ep.add(t, r, 3, EPOLLIN, 7n)).toBe(0);
    expect(scan(ep)).toEqual([]);
    w.ops.write(bytes("ab"), -1);
    expect(scan(ep)).toEqual([[7, EPOLLIN]]);
    expect(scan(ep)).toEqual([[7, EPOLLIN]]);
    r.ops.read(new Uint8Array(2), -1);
    expect(scan(ep)).toEqual([]);
  });

  it("reports an EPOLLET entry once per notification of its file (an edge)", () => {
    const { ep } = epoll();
    const { r, w } = pipe();
    ep.add(t, r, 3, EPOLLIN | EPOLLET, 1n);
    w.ops.write(bytes("ab"), -1);
    expect(scan(ep)).toEqual([[1, EPOLLIN]]);
    expect(scan(ep)).toEqual([]);
    r.ops.read(new Uint8Array(1), -1);
    expect(scan(ep)).toEqual([]);
    w.ops.write(bytes("c"), -1);
    expect(scan(ep)).toEqual([[1, EPOLLIN]]);
  });

  it("disables an EPOLLONESHOT entry after one report until modify()", () => {
    const { ep } = epoll();
    const { r, w } = pipe();
    ep.add(t, r, 3, EPOLLIN | EPOLLONESHOT, 1n);
    w.ops.write(bytes("a"), -1);
    expect(scan(ep)).toEqual([[1, EPOLLIN]]);
    w.ops.write(bytes("b"), -1);
    expect(scan(ep)).toEqual([]);
    ep.modify(t, ep.find(r, 3)!, EPOLLIN | EPOLLONESHOT, 2n);
    expect(scan(ep)).toEqual([[2, EPOLLIN]]);
  });

  it("always reports EPOLLHUP, and keys entries by (description, fd)", () => {
    const { ep } = epoll();
    const { r, w } = pipe();
    ep.add(t, r, 3, EPOLLIN, 1n);
    expect(ep.add(t, r, 3, EPOLLIN, 1n)).toBe(-EEXIST);
    expect(ep.add(t, r, 4, EPOLLIN, 2n)).toBe(0);
    w.unref();
    expect(scan(ep)).toEqual([[1, EPOLLHUP], [2, EPOLLHUP]]);
  });

  it("forgets a description when its last reference goes, not before", () => {
    const { ep } = epoll();
    const e = eventfd(1);
    ep.add(t, e, 5, EPOLLIN, 1n);
    e.ref();
    e.unref();
    expect(ep.find(e, 5)).not.toBeNull();
    e.unref();
    expect(ep.find(e, 5)).toBeNull();
    expect(scan(ep)).toEqual([]);
    expect((e.ops as EventFd).readiness.watched).toBe(false);
  });

  it("hands out at most max events, then the rest before the level-triggered ones again", () => {
    const { ep } = epoll();
    for (let i = 1; i <= 3; i++) ep.add(t, eventfd(1), i, EPOLLIN, BigInt(i));
    expect(scan(ep, 2)).toEqual([[1, EPOLLIN], [2, EPOLLIN]]);
    expect(scan(ep, 2)).toEqual([[3, EPOLLIN], [1, EPOLLIN]]);
  });

  it("keeps the event when the first one cannot be stored (EFAULT)", () => {
    const { ep } = epoll();
    ep.add(t, eventfd(1), 3, EPOLLIN | EPOLLET, 1n);
    expect(ep.collect(t, 4, () => false)).toBe(-EFAULT);
    expect(scan(ep)).toEqual([[1, EPOLLIN]]);
  });

  it("nests: an epoll is readable while an entry is ready, and loops are refused", () => {
    const inner = epoll(), outer = epoll();
    const { r, w } = pipe();
    inner.ep.add(t, r, 3, EPOLLIN, 1n);
    expect(outer.ep.add(t, inner.file, 4, EPOLLIN, 9n)).toBe(0);
    expect(inner.ep.add(t, outer.file, 5, EPOLLIN, 0n)).toBe(-ELOOP);
    expect(inner.ep.poll(t)).toBe(0);
    w.ops.write(bytes("x"), -1);
    expect(inner.ep.poll(t)).toBe(EPOLLIN);
    expect(scan(outer.ep)).toEqual([[9, EPOLLIN]]);
    r.ops.read(new Uint8Array(1), -1);
    expect(scan(outer.ep)).toEqual([]);
  });

  it("limits nesting to 4 links, counted above and below the new one", () => {
    const eps = Array.from({ length: 7 }, () => epoll());
    // Each eps[i] into eps[i + 1]: the fifth link fails, and eps[5] starts a new chain.
    const results = eps.slice(1).map((e, i) => e.ep.add(t, eps[i]!.file, i, EPOLLIN, 0n));
    expect(results).toEqual([0, 0, 0, 0, -ELOOP, 0]);
    // eps[0..4] hang below eps[4]: nothing may go above it.
    const top = epoll();
    expect(top.ep.add(t, eps[4]!.file, 9, EPOLLIN, 0n)).toBe(-ELOOP);
  });

  it("wakes one of the exclusive entries that have a waiter", () => {
    const a = epoll(), b = epoll();
    const e = eventfd();
    a.ep.add(t, e, 3, EPOLLIN | EPOLLEXCLUSIVE, 1n);
    b.ep.add(t, e, 3, EPOLLIN | EPOLLEXCLUSIVE, 2n);
    a.ep.readiness.add(() => {});
    b.ep.readiness.add(() => {});
    e.ops.write(new Uint8Array(8).fill(1, 0, 1), -1);
    expect(scan(a.ep)).toEqual([[1, EPOLLIN]]);
    expect(scan(b.ep)).toEqual([]);
  });

  it("filters notifications by key: a write to a pipe is no edge for its writer's EPOLLOUT", () => {
    const { ep } = epoll();
    const { w } = pipe();
    ep.add(t, w, 4, EPOLLOUT | EPOLLET, 1n);
    expect(scan(ep)).toEqual([[1, EPOLLOUT]]);
    w.ops.write(bytes("x"), -1);
    expect(scan(ep)).toEqual([]);
  });

  it("holds at most its budget of entries (ENOSPC), counted back as they go", () => {
    const budget = new WatchBudget(2);
    const a = epoll(budget), b = epoll(budget);
    const e = eventfd();
    expect(a.ep.add(t, e, 3, EPOLLIN, 0n)).toBe(0);
    expect(b.ep.add(t, e, 3, EPOLLIN, 0n)).toBe(0);
    expect(a.ep.add(t, e, 4, EPOLLIN, 0n)).toBe(-ENOSPC);
    b.file.unref();
    expect(budget.used).toBe(1);
    expect(a.ep.add(t, e, 4, EPOLLIN, 0n)).toBe(0);
  });

  it("release() drops every entry", () => {
    const { ep, file } = epoll();
    const e = eventfd(1);
    ep.add(t, e, 3, EPOLLIN, 1n);
    file.unref();
    expect(ep.find(e, 3)).toBeNull();
    expect((e.ops as EventFd).readiness.watched).toBe(false);
  });
});
