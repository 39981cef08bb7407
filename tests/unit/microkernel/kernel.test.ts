import { describe, expect, it } from "vitest";
import type { CNode } from "../../../microkernel/cnode.ts";
import { KernelError } from "../../../microkernel/errors.ts";
import { FaultLabel } from "../../../microkernel/fault.ts";
import { Kernel, RootSlot } from "../../../microkernel/kernel.ts";
import { getWord, setWord } from "../../../microkernel/message.ts";
import type { Reply } from "../../../microkernel/reply.ts";
import { Rights } from "../../../microkernel/rights.ts";
import type { Tcb } from "../../../microkernel/tcb.ts";
import { boot, make, mint, thread } from "./_boot.ts";

const FAULT_EP = 20;

/** A guest thread whose fault endpoint is a badged copy of FAULT_EP at slot 21. */
function faulting(k: Kernel, badge: number, rights = Rights.Write | Rights.GrantReply): Tcb {
  make(k, "Endpoint", FAULT_EP);
  mint(k, 21, FAULT_EP, rights, badge);
  const g = thread(k, 10, { threadKind: "guest" });
  k.tcbConfigure(k.rootTcb, 10, { faultEndpointCptr: 21 });
  k.scheduler.dequeue(g); // the platform is running it
  return g;
}

describe("kernel", () => {
  it("new Kernel() boots a root Untyped, CNode and TCB", () => {
    const k = new Kernel({ untypedBytes: 1 << 20 });
    const cn = k.rootCnode;
    expect(cn.capAt(RootSlot.Untyped)!.object).toBe(k.rootUntyped);
    expect(cn.capAt(RootSlot.CNode)!.object).toBe(cn);
    expect(cn.capAt(RootSlot.Tcb)!.object).toBe(k.rootTcb);
    expect(cn.slotCount).toBe(4096);
    expect([k.rootUntyped.sizeBytes, k.rootUntyped.usedBytes]).toEqual([1 << 20, 0]);
    expect(k.rootTcb.state).toBe("Running");
    expect(() => new Kernel({ untypedBytes: 0 })).toThrow(RangeError);
  });

  it("a root task can carve a user kernel's quota and hand it a CSpace", () => {
    const k = boot();
    make(k, "Untyped", 10, 64 * 1024);
    const cspace = make<CNode>(k, "CNode", 11, 4);
    const t = make<Tcb>(k, "Tcb", 12);
    expect(k.cnodeMove(k.rootTcb, 11, 1, RootSlot.CNode, 10).error).toBe(KernelError.Ok);
    k.tcbConfigure(k.rootTcb, 12, { cspaceRootCptr: 11 });
    k.cnodeCopy(k.rootTcb, 11, 2, RootSlot.CNode, 11, 15);
    k.tcbResume(k.rootTcb, 12);
    expect(k.untypedRetype(t, 1, "Endpoint", 0, 1, 2, 3).error).toBe(KernelError.Ok);
    expect(cspace.capAt(3)!.object.kind).toBe("Endpoint");
    expect(k.untypedRetype(t, 1, "Untyped", 64 * 1024, 1, 2, 4).error).toBe(KernelError.NotEnoughMemory);
  });

  it("deliverFault() reaches a passive handler with the badge and label, and the reply comes back", () => {
    const k = boot();
    const g = faulting(k, 0x1234);
    const pager = thread(k, 11);
    const seen: number[] = [];
    k.serve(pager, FAULT_EP, {
      protected(s, badge, reply) {
        seen.push(badge, s.info.label, s.info.length, getWord(s.buffer, 0));
        setWord(s.buffer, 0, -38);
        k.replyWith(reply!, 0, 1);
      },
    });
    setWord(g.buffer, 0, 60);
    expect(k.deliverFault(g, "UnknownSyscall", 1).status).toBe("completed");
    expect(seen).toEqual([0x1234, FaultLabel.UnknownSyscall, 1, 60]);
    expect([g.buffer[0], g.buffer[1]]).toEqual([(-38 >>> 0), 0xffffffff]);
    expect(g.state).toBe("Running");
    expect(k.scheduler.size).toBe(0);
  });

  it("deliverFault() blocks the guest until a later reply puts it on the run queue", () => {
    const k = boot();
    const g = faulting(k, 7);
    const pager = thread(k, 11);
    k.recv(pager, FAULT_EP);
    expect(k.deliverFault(g, "VMFault", 0).status).toBe("blocked");
    expect([pager.badge, pager.info.label]).toEqual([7, 5]);
    expect(g.state).toBe("BlockedOnReply");
    const handle = pager.callerReply as Reply;
    expect(k.scheduler.size).toBe(0);
    k.replyWith(handle, 0, 0);
    expect(k.scheduler.pickNext()).toBe(g);
  });

  it("deliverFault() queues on a busy handler", () => {
    const k = boot();
    const g = faulting(k, 1);
    const pager = thread(k, 11);
    expect(k.deliverFault(g, "UserException", 0).status).toBe("blocked");
    expect(g.state).toBe("BlockedOnSend");
    k.recv(pager, FAULT_EP);
    expect([pager.info.label, g.state]).toEqual([FaultLabel.UserException, "BlockedOnReply"]);
  });

  it("deliverFault() without a valid fault endpoint makes the thread Inactive", () => {
    const k = boot();
    const g = faulting(k, 1, Rights.Write); // no Grant / GrantReply
    expect(k.deliverFault(g, "VMFault", 0)).toEqual({ error: KernelError.InvalidCapability, status: "inactive" });
    expect(g.state).toBe("Inactive");
    const h = thread(k, 12, { threadKind: "guest" });
    expect(k.deliverFault(h, "VMFault", 0).status).toBe("inactive");
  });

  it("fault labels follow seL4", () => {
    expect(FaultLabel).toEqual({ UnknownSyscall: 2, UserException: 3, VMFault: 5 });
  });

  it("IPC results are shared records, not allocated per call", () => {
    const k = boot();
    make(k, "Endpoint", 20);
    const a = thread(k, 10);
    const r1 = k.nbSend(a, 20, 0, 0);
    const r2 = k.nbSend(a, 20, 0, 0);
    expect(r1).toBe(r2);
    expect(Object.isFrozen(r1)).toBe(true);
    expect(k.send(a, 99, 0, 0)).toBe(k.send(a, 98, 0, 0));
  });

  it("send() on a notification cap signals it", () => {
    const k = boot();
    make(k, "Notification", 20);
    mint(k, 21, 20, Rights.Write, 3);
    const a = thread(k, 10);
    k.send(a, 21, 0, 0);
    expect(k.poll(a, 20).status).toBe("completed");
    expect(a.badge).toBe(3);
    expect(k.call(a, 21, 0, 0).error).toBe(KernelError.InvalidCapability);
  });

  it("yield() requeues a guest at the back of its priority", () => {
    const k = boot();
    const a = thread(k, 10, { threadKind: "guest" });
    const b = thread(k, 11, { threadKind: "guest" });
    expect(k.scheduler.pickNext()).toBe(a);
    k.yield(a);
    expect([k.scheduler.pickNext(), k.scheduler.pickNext()]).toEqual([b, a]);
    k.yield(k.rootTcb);
    expect(k.scheduler.size).toBe(0);
  });
});
