import { describe, expect, it } from "vitest";
import { KernelError } from "../../../microkernel/errors.ts";
import { RootSlot } from "../../../microkernel/kernel.ts";
import { setWord } from "../../../microkernel/message.ts";
import { type Notification, orBadges } from "../../../microkernel/notification.ts";
import { Rights } from "../../../microkernel/rights.ts";
import type { Tcb } from "../../../microkernel/tcb.ts";
import { boot, make, mint, thread } from "./_boot.ts";

const C = RootSlot.CNode;
const N = 20;

function setup() {
  const k = boot();
  const ntfn = make<Notification>(k, "Notification", N);
  mint(k, 21, N, Rights.Write, 0b0001);
  mint(k, 22, N, Rights.Write, 0b0100);
  const a = thread(k, 10);
  const b = thread(k, 11);
  return { k, ntfn, a, b };
}

describe("notification", () => {
  it("signal() ORs badges and wait() returns and clears the word", () => {
    const { k, ntfn, a, b } = setup();
    k.signal(a, 21);
    k.signal(a, 22);
    expect([ntfn.active, ntfn.word]).toEqual([true, 0b0101]);
    expect(k.wait(b, N).status).toBe("completed");
    expect([b.badge, b.fromNotification, b.info.label]).toEqual([0b0101, true, 0]);
    expect([ntfn.active, ntfn.word]).toEqual([false, 0]);
  });

  it("wait() blocks and signal() wakes the first waiter", () => {
    const { k, a, b } = setup();
    const c = thread(k, 12);
    const woken: Tcb[] = [];
    for (const t of [a, b]) t.onWake = (x) => woken.push(x);
    expect(k.wait(a, N).status).toBe("blocked");
    expect(k.wait(b, N).status).toBe("blocked");
    expect(a.state).toBe("BlockedOnNotification");
    k.signal(c, 22);
    expect(woken).toEqual([a]);
    expect(a.badge).toBe(0b0100);
    expect(b.state).toBe("BlockedOnNotification");
  });

  it("poll() never blocks", () => {
    const { k, a, b } = setup();
    expect(k.poll(b, N).status).toBe("wouldBlock");
    expect([b.state, b.badge]).toEqual(["Running", 0]);
    k.signal(a, 21);
    expect(k.poll(b, N).status).toBe("completed");
    expect(b.badge).toBe(1);
  });

  it("signal() needs Write and wait() needs Read", () => {
    const { k, a } = setup();
    mint(k, 23, N, Rights.Read);
    expect(k.signal(a, 23).error).toBe(KernelError.InvalidCapability);
    expect(k.wait(a, 21).error).toBe(KernelError.InvalidCapability);
    expect(k.wait(a, 10).error).toBe(KernelError.InvalidCapability);
  });

  it("orBadges() works on badges above 32 bits", () => {
    expect(orBadges(2 ** 40, 1)).toBe(2 ** 40 + 1);
    expect(orBadges(2 ** 52 + 2 ** 33, 2 ** 33 + 0x80000000)).toBe(2 ** 52 + 2 ** 33 + 0x80000000);
  });

  it("a bound notification wakes a thread blocked in Recv on an endpoint", () => {
    const { k, ntfn, a, b } = setup();
    make(k, "Endpoint", 30);
    let woke = 0;
    b.onWake = () => woke++;
    expect(k.tcbBindNotification(k.rootTcb, 11, N).error).toBe(KernelError.Ok);
    expect(ntfn.boundTcb).toBe(b);
    k.recv(b, 30);
    k.signal(a, 22);
    expect(woke).toBe(1);
    expect([b.state, b.fromNotification, b.badge, b.info.label]).toEqual(["Running", true, 0b0100, 0]);
    // The endpoint no longer holds b: a sender now blocks.
    expect(k.nbSend(a, 30, 1, 0).status).toBe("completed");
    expect(k.nbRecv(b, 30).status).toBe("wouldBlock");
  });

  it("recv() returns a pending bound notification at once", () => {
    const { k, a, b } = setup();
    make(k, "Endpoint", 30);
    k.tcbBindNotification(k.rootTcb, 11, N);
    k.signal(a, 21);
    expect(k.recv(b, 30).status).toBe("completed");
    expect([b.fromNotification, b.badge]).toEqual([true, 1]);
    setWord(a.buffer, 0, 1);
    k.recv(b, 30);
    k.send(a, 30, 6, 1);
    expect([b.fromNotification, b.info.label]).toEqual([false, 6]);
  });

  it("binding is refused when either side is taken, and Wait by another thread too", () => {
    const { k, a } = setup();
    make(k, "Notification", 30);
    expect(k.tcbBindNotification(k.rootTcb, 11, N).error).toBe(KernelError.Ok);
    expect(k.tcbBindNotification(k.rootTcb, 10, N).error).toBe(KernelError.IllegalOperation);
    expect(k.tcbBindNotification(k.rootTcb, 11, 30).error).toBe(KernelError.IllegalOperation);
    expect(k.wait(a, N).error).toBe(KernelError.IllegalOperation);
    expect(k.tcbUnbindNotification(k.rootTcb, 11).error).toBe(KernelError.Ok);
    expect(k.tcbUnbindNotification(k.rootTcb, 11).error).toBe(KernelError.IllegalOperation);
    expect(k.tcbBindNotification(k.rootTcb, 10, N).error).toBe(KernelError.Ok);
  });

  it("deleting a notification wakes its waiters with an error", () => {
    const { k, ntfn, a } = setup();
    let woke = 0;
    a.onWake = () => woke++;
    expect(k.wait(a, N).status).toBe("blocked");
    expect(k.tcbBindNotification(k.rootTcb, 11, N).error).toBe(KernelError.IllegalOperation);
    for (const slot of [N, 21, 22]) k.cnodeDelete(k.rootTcb, C, slot);
    expect(ntfn.destroyed).toBe(true);
    expect([woke, a.state, a.ipcError]).toEqual([1, "Running", KernelError.InvalidCapability]);
  });

  it("deleting a bound notification unbinds its thread", () => {
    const { k, b } = setup();
    k.tcbBindNotification(k.rootTcb, 11, N);
    for (const slot of [N, 21, 22]) k.cnodeDelete(k.rootTcb, C, slot);
    expect(b.boundNotification).toBeNull();
  });
});
