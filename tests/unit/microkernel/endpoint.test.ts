import { describe, expect, it } from "vitest";
import type { CNode } from "../../../microkernel/cnode.ts";
import type { Endpoint } from "../../../microkernel/endpoint.ts";
import { KernelError } from "../../../microkernel/errors.ts";
import { RootSlot } from "../../../microkernel/kernel.ts";
import { getWord, setWord } from "../../../microkernel/message.ts";
import { AllRights, Rights } from "../../../microkernel/rights.ts";
import type { Tcb } from "../../../microkernel/tcb.ts";
import { boot, make, mint, thread } from "./_boot.ts";

const C = RootSlot.CNode;
const EP = 20;

function setup() {
  const k = boot();
  const ep = make<Endpoint>(k, "Endpoint", EP);
  const a = thread(k, 10);
  const b = thread(k, 11);
  return { k, ep, a, b };
}

describe("endpoint", () => {
  it("endpoint.send() without Write fails with InvalidCapability", () => {
    const { k, a } = setup();
    mint(k, 21, EP, Rights.Read | Rights.Grant);
    expect(k.send(a, 21, 1, 0).error).toBe(KernelError.InvalidCapability);
    expect(k.nbSend(a, 21, 1, 0).error).toBe(KernelError.InvalidCapability);
    expect(k.call(a, 21, 1, 0).error).toBe(KernelError.InvalidCapability);
    expect(a.state).toBe("Running");
  });

  it("endpoint.receive() without Read fails with InvalidCapability", () => {
    const { k, a } = setup();
    mint(k, 21, EP, Rights.Write);
    expect(k.recv(a, 21).error).toBe(KernelError.InvalidCapability);
    expect(k.nbRecv(a, 21).error).toBe(KernelError.InvalidCapability);
  });

  it("endpoint.send() to a waiting receiver copies the words and the badge", () => {
    const { k, a, b } = setup();
    mint(k, 21, EP, Rights.Write, 0xbeef);
    const woken: Tcb[] = [];
    b.onWake = (t) => woken.push(t);
    expect(k.recv(b, EP).status).toBe("blocked");
    expect(b.state).toBe("BlockedOnRecv");
    setWord(a.buffer, 0, 2 ** 40 + 1);
    setWord(a.buffer, 1, -1);
    expect(k.send(a, 21, 77, 2)).toEqual({ error: KernelError.Ok, status: "completed" });
    expect(woken).toEqual([b]);
    expect(b.state).toBe("Running");
    expect([b.info.label, b.info.length, b.badge]).toEqual([77, 2, 0xbeef]);
    expect(getWord(b.buffer, 0)).toBe(2 ** 40 + 1);
    expect([b.buffer[2], b.buffer[3]]).toEqual([0xffffffff, 0xffffffff]);
  });

  it("endpoint.send() with no receiver blocks until one arrives", () => {
    const { k, ep, a, b } = setup();
    let woke = 0;
    a.onWake = () => woke++;
    setWord(a.buffer, 0, 5);
    expect(k.send(a, EP, 3, 1).status).toBe("blocked");
    expect(a.state).toBe("BlockedOnSend");
    expect(ep.state).toBe("send");
    expect(k.recv(b, EP).status).toBe("completed");
    expect(getWord(b.buffer, 0)).toBe(5);
    expect(woke).toBe(1);
    expect(a.state).toBe("Running");
    expect(ep.state).toBe("idle");
  });

  it("endpoint queues are FIFO", () => {
    const { k, a, b } = setup();
    const c = thread(k, 12);
    const r = thread(k, 13);
    k.send(a, EP, 1, 0);
    k.send(b, EP, 2, 0);
    k.send(c, EP, 3, 0);
    const labels = [1, 2, 3].map(() => (k.recv(r, EP), r.info.label));
    expect(labels).toEqual([1, 2, 3]);
  });

  it("nbSend() with no receiver drops the message", () => {
    const { k, ep, a, b } = setup();
    expect(k.nbSend(a, EP, 9, 0).status).toBe("completed");
    expect(a.state).toBe("Running");
    expect(ep.state).toBe("idle");
    expect(k.nbRecv(b, EP).status).toBe("wouldBlock");
  });

  it("nbRecv() with no sender returns wouldBlock at once", () => {
    const { k, a } = setup();
    expect(k.nbRecv(a, EP)).toEqual({ error: KernelError.Ok, status: "wouldBlock" });
    expect(a.state).toBe("Running");
  });

  it("caps are dropped without Grant and transferred with it", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    const a = thread(k, 10);
    const b = thread(k, 11);
    const box = make<CNode>(k, "CNode", 12, 2);
    const gift = make<Endpoint>(k, "Notification", 13);
    b.receiveCnodeCptr = 12;
    b.receiveIndex = 1;
    mint(k, 21, EP, Rights.Write);
    mint(k, 22, EP, Rights.Write | Rights.Grant);

    a.capsOut[0] = 13;
    k.recv(b, EP);
    k.send(a, 21, 0, 0, 1);
    expect(b.info.extraCaps).toBe(0);
    expect(box.capAt(1)).toBeNull();

    k.recv(b, EP);
    k.send(a, 22, 0, 0, 1);
    expect(b.info.extraCaps).toBe(1);
    const got = box.capAt(1)!;
    expect(got.object).toBe(gift);
    expect(got.parent).toBe(k.rootCnode.capAt(13));
  });

  it("a cap to the endpoint itself travels unwrapped as its badge", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    const a = thread(k, 10);
    const b = thread(k, 11);
    mint(k, 21, EP, AllRights, 7);
    a.capsOut[0] = 21;
    k.recv(b, EP);
    k.send(a, 21, 0, 0, 1);
    expect([b.info.extraCaps, b.info.capsUnwrapped, b.unwrappedBadges[0]]).toEqual([1, 1, 7]);
  });

  it("a transfer stops at a full receive slot", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    const a = thread(k, 10);
    const b = thread(k, 11);
    b.receiveCnodeCptr = C;
    b.receiveIndex = RootSlot.Tcb;
    a.capsOut[0] = 10;
    k.recv(b, EP);
    k.send(a, EP, 0, 0, 1);
    expect(b.info.extraCaps).toBe(0);
  });

  it("call() without Grant or GrantReply delivers but leaves the caller Inactive", () => {
    const { k, a, b } = setup();
    mint(k, 21, EP, Rights.Write);
    k.recv(b, EP);
    expect(k.call(a, 21, 1, 0).status).toBe("inactive");
    expect(a.state).toBe("Inactive");
    expect(b.callerReply).toBeNull();
  });

  it("destroying an endpoint with blocked threads unblocks them with an error", () => {
    const { k, ep, a, b } = setup();
    const c = thread(k, 12);
    const woken: Tcb[] = [];
    for (const t of [a, b]) t.onWake = (x) => woken.push(x);
    k.send(a, EP, 1, 0);
    k.call(b, EP, 2, 0);
    expect(k.cnodeDelete(k.rootTcb, C, EP).error).toBe(KernelError.Ok);
    expect(ep.destroyed).toBe(true);
    expect(woken).toEqual([a, b]);
    for (const t of [a, b]) {
      expect(t.state).toBe("Running");
      expect(t.ipcError).toBe(KernelError.InvalidCapability);
    }
    expect(k.recv(c, EP).error).toBe(KernelError.InvalidCapability);
  });

  it("deleting a blocked thread takes it out of the queue", () => {
    const { k, ep, a, b } = setup();
    k.send(a, EP, 1, 0);
    expect(k.cnodeDelete(k.rootTcb, C, 10).error).toBe(KernelError.Ok);
    expect(a.destroyed).toBe(true);
    expect(ep.state).toBe("idle");
    expect(k.nbRecv(b, EP).status).toBe("wouldBlock");
  });
});
