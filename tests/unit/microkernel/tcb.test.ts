import { describe, expect, it } from "vitest";
import { KernelError } from "../../../microkernel/errors.ts";
import { RootSlot } from "../../../microkernel/kernel.ts";
import { MSG_MAX_WORDS, setWord } from "../../../microkernel/message.ts";
import { Scheduler } from "../../../microkernel/scheduler.ts";
import { Tcb } from "../../../microkernel/tcb.ts";
import { boot, make, thread } from "./_boot.ts";

describe("tcb", () => {
  it("a retyped TCB starts Inactive and tcbResume() starts it", () => {
    const k = boot();
    const t = make<Tcb>(k, "Tcb", 10);
    expect([t.state, t.threadKind, t.vcpu]).toEqual(["Inactive", "native", null]);
    expect(k.send(t, 20, 0, 0).error).toBe(KernelError.IllegalOperation);
    k.tcbResume(k.rootTcb, 10);
    expect(t.state).toBe("Running");
  });

  it("a guest thread goes on the run queue when it becomes runnable", () => {
    const k = boot();
    const g = make<Tcb>(k, "Tcb", 10, 0, { threadKind: "guest" });
    k.tcbConfigure(k.rootTcb, 10, { cspaceRootCptr: RootSlot.CNode, priority: 50 });
    k.tcbResume(k.rootTcb, 10);
    expect(k.scheduler.pickNext()).toBe(g);
    make(k, "Endpoint", 20);
    k.recv(g, 20);
    expect(k.scheduler.size).toBe(0);
    k.send(k.rootTcb, 20, 0, 0);
    expect(k.scheduler.pickNext()).toBe(g);
  });

  it("a TCB keeps an externally owned buffer", () => {
    const k = boot();
    const native = new Uint32Array(MSG_MAX_WORDS * 2);
    const t = make<Tcb>(k, "Tcb", 10, 0, { threadKind: "guest", buffer: native });
    expect(t.buffer).toBe(native);
    expect(() => new Tcb(null, new Scheduler(), { buffer: new Uint32Array(4) })).toThrow(RangeError);
    const r = k.untypedRetype(k.rootTcb, RootSlot.Untyped, "Tcb", 0, 2, RootSlot.CNode, 11, { buffer: native });
    expect(r.error).toBe(KernelError.InvalidArgument);
  });

  it("tcbConfigure() validates before changing anything", () => {
    const k = boot();
    const t = make<Tcb>(k, "Tcb", 10);
    expect(k.tcbConfigure(k.rootTcb, 10, { priority: 256, faultEndpointCptr: 5 }).error).toBe(KernelError.RangeError);
    expect(t.faultEndpointCptr).toBe(0);
    expect(k.tcbConfigure(k.rootTcb, 10, { cspaceRootCptr: 10 }).error).toBe(KernelError.FailedLookup);
    expect(k.tcbConfigure(k.rootTcb, 10, { timeSliceMs: 0 }).error).toBe(KernelError.RangeError);
    expect(k.tcbConfigure(k.rootTcb, RootSlot.CNode, {}).error).toBe(KernelError.InvalidCapability);
    expect(k.tcbConfigure(k.rootTcb, 10, { priority: 255, faultEndpointCptr: 5, timeSliceMs: 2 }).error).toBe(KernelError.Ok);
    expect([t.priority, t.faultEndpointCptr, t.timeSliceMs]).toEqual([255, 5, 2]);
  });

  it("tcbSuspend() aborts a blocked send", () => {
    const k = boot();
    make(k, "Endpoint", 20);
    const a = thread(k, 10);
    const b = thread(k, 11);
    k.send(a, 20, 1, 0);
    k.tcbSuspend(k.rootTcb, 10);
    expect(a.state).toBe("Inactive");
    expect(k.nbRecv(b, 20).status).toBe("wouldBlock");
  });

  it("deleting a TCB returns its bytes and stops it", () => {
    const k = boot();
    const a = thread(k, 10);
    make(k, "Endpoint", 20);
    setWord(a.buffer, 0, 1);
    k.recv(a, 20);
    expect(k.rootUntyped.usedBytes).toBe(2048 + 16);
    k.cnodeDelete(k.rootTcb, RootSlot.CNode, 10);
    expect([a.destroyed, a.state]).toEqual([true, "Inactive"]);
    expect(k.rootUntyped.usedBytes).toBe(16);
    expect(k.nbSend(k.rootTcb, 20, 0, 0).status).toBe("completed");
  });
});
