import { describe, expect, it } from "vitest";
import { CapabilityPool } from "../../../microkernel/capability.ts";
import { KernelError } from "../../../microkernel/errors.ts";
import { RootSlot } from "../../../microkernel/kernel.ts";
import type { KernelObject } from "../../../microkernel/object.ts";
import { Scheduler } from "../../../microkernel/scheduler.ts";
import { MAX_FRAME_BYTES, defaultFrameAllocator } from "../../../microkernel/frame.ts";
import { Untyped, objectBytes } from "../../../microkernel/untyped.ts";
import { boot, make } from "./_boot.ts";

const U = RootSlot.Untyped;
const C = RootSlot.CNode;
const env = { scheduler: new Scheduler(), frames: defaultFrameAllocator, caps: new CapabilityPool() };

describe("untyped", () => {
  it("objectBytes() gives each kind its fixed size", () => {
    expect(objectBytes("CNode", 4)).toBe(16 * 32);
    expect(objectBytes("Tcb", 0)).toBe(2048);
    expect(objectBytes("Endpoint", 0)).toBe(16);
    expect(objectBytes("Notification", 0)).toBe(32);
    expect(objectBytes("AddressSpace", 0)).toBe(4096);
    expect(objectBytes("Frame", 5000)).toBe(8192);
    expect(objectBytes("Untyped", 12345)).toBe(12345);
  });

  it("untyped.retype() creates count objects and accounts their bytes", () => {
    const u = new Untyped(4096, null, env);
    const r = u.retype("Endpoint", 0, 3);
    expect(r.error).toBe(KernelError.Ok);
    expect(r.objects.map((o) => o.kind)).toEqual(["Endpoint", "Endpoint", "Endpoint"]);
    expect(r.objects[0]!.parent).toBe(u);
    expect(u.usedBytes).toBe(48);
    expect(u.freeBytes).toBe(4096 - 48);
  });

  it("untyped.retype() beyond the quota fails with NotEnoughMemory and changes nothing", () => {
    const k = boot(4096);
    make(k, "Tcb", 10);
    const r = k.untypedRetype(k.rootTcb, U, "Endpoint", 0, 200, C, 20);
    expect(r.error).toBe(KernelError.NotEnoughMemory);
    expect(r.objects).toEqual([]);
    expect(k.rootUntyped.usedBytes).toBe(2048);
    for (let i = 20; i < 220; i++) expect(k.rootCnode.capAt(i)).toBeNull();
  });

  it("untyped.retype() fits again after the last cap is deleted", () => {
    const k = boot(4096);
    make(k, "Tcb", 10);
    make(k, "Tcb", 11);
    expect(k.untypedRetype(k.rootTcb, U, "Tcb", 0, 1, C, 12).error).toBe(KernelError.NotEnoughMemory);
    expect(k.cnodeDelete(k.rootTcb, C, 10).error).toBe(KernelError.Ok);
    expect(k.rootUntyped.usedBytes).toBe(2048);
    expect(k.untypedRetype(k.rootTcb, U, "Tcb", 0, 1, C, 12).error).toBe(KernelError.Ok);
  });

  it("untyped.retype() checks count, size and kind", () => {
    const k = boot();
    const retype = (kind: Parameters<typeof k.untypedRetype>[2], size: number, count: number) =>
      k.untypedRetype(k.rootTcb, U, kind, size, count, C, 20).error;
    expect(retype("Endpoint", 0, 0)).toBe(KernelError.RangeError);
    expect(retype("Endpoint", 0, 257)).toBe(KernelError.RangeError);
    expect(retype("CNode", 0, 1)).toBe(KernelError.InvalidArgument);
    expect(retype("CNode", 21, 1)).toBe(KernelError.RangeError);
    expect(retype("Frame", 0, 1)).toBe(KernelError.InvalidArgument);
    expect(retype("Untyped", -5, 1)).toBe(KernelError.InvalidArgument);
    expect(retype("Reply", 0, 1)).toBe(KernelError.InvalidArgument);
    expect(k.rootUntyped.usedBytes).toBe(0);
  });

  it("untyped.retype() refuses a Frame larger than one host view can hold, allocating nothing", () => {
    const u = new Untyped(2 * MAX_FRAME_BYTES, null, env);
    const r = u.retype("Frame", MAX_FRAME_BYTES + 4096, 1);
    expect(r.error).toBe(KernelError.RangeError);
    expect(r.objects).toEqual([]);
    expect(u.usedBytes).toBe(0);
  });

  it("untypedRetype() checks the destination slots", () => {
    const k = boot();
    expect(k.untypedRetype(k.rootTcb, U, "Endpoint", 0, 2, C, 255).error).toBe(KernelError.RangeError);
    expect(k.untypedRetype(k.rootTcb, U, "Endpoint", 0, 2, C, RootSlot.Tcb).error).toBe(KernelError.DeleteFirst);
    expect(k.untypedRetype(k.rootTcb, U, "Endpoint", 0, 1, U, 20).error).toBe(KernelError.FailedLookup);
    expect(k.untypedRetype(k.rootTcb, C, "Endpoint", 0, 1, C, 20).error).toBe(KernelError.InvalidCapability);
    expect(k.rootUntyped.usedBytes).toBe(0);
  });

  it("untypedRetype() makes the new caps children of the Untyped cap with all rights", () => {
    const k = boot();
    make(k, "Endpoint", 20);
    const cap = k.rootCnode.capAt(20)!;
    expect(cap.parent).toBe(k.rootCnode.capAt(U));
    expect(cap.rights).toBe(15);
  });

  it("a child Untyped is a quota of its own", () => {
    const k = boot(1 << 16);
    const child = make<Untyped>(k, "Untyped", 10, 4096);
    expect(k.rootUntyped.usedBytes).toBe(4096);
    const r = k.untypedRetype(k.rootTcb, 10, "Tcb", 0, 3, C, 20);
    expect(r.error).toBe(KernelError.NotEnoughMemory);
    expect(k.untypedRetype(k.rootTcb, 10, "Tcb", 0, 2, C, 20).error).toBe(KernelError.Ok);
    expect(child.usedBytes).toBe(4096);
    expect(k.rootUntyped.usedBytes).toBe(4096);
  });

  it("destroying an object releases into the Untyped it came from", () => {
    const u = new Untyped(1024, null, env);
    const [ep] = u.retype("Endpoint", 0, 1).objects as KernelObject[];
    ep!.finalise();
    expect(u.usedBytes).toBe(0);
    ep!.finalise();
    expect(u.usedBytes).toBe(0);
  });
});
