import { describe, expect, it } from "vitest";
import { Scheduler } from "../../../microkernel/scheduler.ts";
import { Tcb } from "../../../microkernel/tcb.ts";

function threads(s: Scheduler, ...priorities: number[]): Tcb[] {
  return priorities.map((p) => {
    const t = new Tcb(null, s, { threadKind: "guest" });
    t.setPriority(p);
    return t;
  });
}

describe("scheduler", () => {
  it("pickNext() takes the highest priority first", () => {
    const s = new Scheduler();
    const [low, high, mid, top] = threads(s, 1, 200, 31, 255);
    for (const t of [low!, high!, mid!, top!]) s.enqueue(t);
    expect([s.pickNext(), s.pickNext(), s.pickNext(), s.pickNext(), s.pickNext()]).toEqual([top, high, mid, low, null]);
    expect(s.size).toBe(0);
  });

  it("pickNext() round-robins within a priority", () => {
    const s = new Scheduler();
    const [a, b, c] = threads(s, 7, 7, 7);
    for (const t of [a!, b!, c!]) s.enqueue(t);
    const order: Tcb[] = [];
    for (let i = 0; i < 6; i++) {
      const t = s.pickNext()!;
      order.push(t);
      s.enqueue(t); // slice over, still runnable
    }
    expect(order).toEqual([a, b, c, a, b, c]);
  });

  it("yield() sends a thread to the back of its queue", () => {
    const s = new Scheduler();
    const [a, b] = threads(s, 3, 3);
    s.enqueue(a!);
    s.enqueue(b!);
    s.yield(a!);
    expect(s.pickNext()).toBe(b);
  });

  it("enqueue() twice queues once and dequeue() removes from the middle", () => {
    const s = new Scheduler();
    const [a, b, c] = threads(s, 0, 0, 0);
    for (const t of [a!, a!, b!, c!]) s.enqueue(t);
    expect(s.size).toBe(3);
    s.dequeue(b!);
    expect([s.pickNext(), s.pickNext(), s.pickNext()]).toEqual([a, c, null]);
  });

  it("setPriority() moves a queued thread", () => {
    const s = new Scheduler();
    const [a, b] = threads(s, 5, 5);
    s.enqueue(a!);
    s.enqueue(b!);
    b!.setPriority(9);
    expect(s.pickNext()).toBe(b);
  });

  it("each thread has a time slice in ms", () => {
    const s = new Scheduler(20);
    const [a] = threads(s, 0);
    expect(a!.timeSliceMs).toBe(20);
  });
});
