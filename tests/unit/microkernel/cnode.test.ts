import { describe, expect, it } from "vitest";
import { CapabilityPool } from "../../../microkernel/capability.ts";
import { CNode } from "../../../microkernel/cnode.ts";
import { Endpoint } from "../../../microkernel/endpoint.ts";
import { KernelError } from "../../../microkernel/errors.ts";
import { RootSlot } from "../../../microkernel/kernel.ts";
import { AllRights, Rights } from "../../../microkernel/rights.ts";
import type { Tcb } from "../../../microkernel/tcb.ts";
import type { Untyped } from "../../../microkernel/untyped.ts";
import { boot, make, mint, thread } from "./_boot.ts";

const C = RootSlot.CNode;

describe("cnode", () => {
  it("cnode.copy() refuses an occupied slot", () => {
    const k = boot();
    make(k, "Endpoint", 10);
    make(k, "Endpoint", 11);
    expect(k.cnodeCopy(k.rootTcb, C, 11, C, 10, AllRights).error).toBe(KernelError.DeleteFirst);
  });

  it("cnode.copy() masks rights and keeps the badge", () => {
    const k = boot();
    make(k, "Endpoint", 10);
    mint(k, 11, 10, AllRights, 42);
    expect(k.cnodeCopy(k.rootTcb, C, 12, C, 11, Rights.Read | Rights.Grant).error).toBe(KernelError.Ok);
    const cap = k.rootCnode.capAt(12)!;
    expect([cap.rights, cap.badge]).toEqual([Rights.Read | Rights.Grant, 42]);
    expect(cap.parent).toBe(k.rootCnode.capAt(11));
  });

  it("cnode.copy() from an empty slot fails with FailedLookup", () => {
    const k = boot();
    expect(k.cnodeCopy(k.rootTcb, C, 11, C, 10, AllRights).error).toBe(KernelError.FailedLookup);
    expect(k.cnodeCopy(k.rootTcb, C, 999, C, RootSlot.Tcb, AllRights).error).toBe(KernelError.FailedLookup);
  });

  it("cnode.mint() badges an unbadged endpoint and never adds rights", () => {
    const k = boot();
    make(k, "Endpoint", 10);
    mint(k, 11, 10, Rights.Write, 5);
    expect(k.cnodeCopy(k.rootTcb, C, 12, C, 11, AllRights).error).toBe(KernelError.Ok);
    expect(k.rootCnode.capAt(11)!.badge).toBe(5);
    expect(k.rootCnode.capAt(12)!.rights).toBe(Rights.Write);
  });

  it("cnode.mint() of a badged cap is refused", () => {
    const k = boot();
    make(k, "Endpoint", 10);
    mint(k, 11, 10, AllRights, 5);
    expect(k.cnodeMint(k.rootTcb, C, 12, C, 11, AllRights, 6).error).toBe(KernelError.IllegalOperation);
    // As in seL4, even badge 0 cannot "re-mint" a badged cap.
    expect(k.cnodeMint(k.rootTcb, C, 12, C, 11, AllRights, 0).error).toBe(KernelError.IllegalOperation);
    expect(k.rootCnode.capAt(12)).toBeNull();
  });

  it("cnode.mint() refuses a badge on a non-badgeable cap and a bad badge", () => {
    const k = boot();
    make(k, "Tcb", 10);
    make(k, "Notification", 11);
    expect(k.cnodeMint(k.rootTcb, C, 12, C, 10, AllRights, 3).error).toBe(KernelError.IllegalOperation);
    expect(k.cnodeMint(k.rootTcb, C, 12, C, 11, AllRights, -1).error).toBe(KernelError.InvalidArgument);
    expect(k.cnodeMint(k.rootTcb, C, 12, C, 11, AllRights, 2 ** 40).error).toBe(KernelError.Ok);
  });

  it("cnode.move() relocates the cap and keeps its derivation", () => {
    const k = boot();
    make(k, "Endpoint", 10);
    mint(k, 11, 10, AllRights, 1);
    const cap = k.rootCnode.capAt(11);
    expect(k.cnodeMove(k.rootTcb, C, 20, C, 11).error).toBe(KernelError.Ok);
    expect(k.rootCnode.capAt(11)).toBeNull();
    expect(k.rootCnode.capAt(20)).toBe(cap);
    expect(cap!.parent).toBe(k.rootCnode.capAt(10));
    expect(k.cnodeMove(k.rootTcb, C, 20, C, 10).error).toBe(KernelError.DeleteFirst);
  });

  it("cnode.mutate() moves and narrows rights, badging only unbadged caps", () => {
    const k = boot();
    make(k, "Endpoint", 10);
    mint(k, 11, 10, AllRights);
    expect(k.cnodeMutate(k.rootTcb, C, 12, C, 11, Rights.Write, 9).error).toBe(KernelError.Ok);
    const cap = k.rootCnode.capAt(12)!;
    expect([cap.rights, cap.badge]).toEqual([Rights.Write, 9]);
    expect(k.cnodeMutate(k.rootTcb, C, 13, C, 12, AllRights, 10).error).toBe(KernelError.IllegalOperation);
    expect(k.cnodeMutate(k.rootTcb, C, 13, C, 12, AllRights, 0).error).toBe(KernelError.Ok);
    expect([k.rootCnode.capAt(13)!.rights, k.rootCnode.capAt(13)!.badge]).toEqual([Rights.Write, 9]);
  });

  it("cnode.delete() of the last cap destroys the object and returns its bytes", () => {
    const k = boot(4096);
    const ep = make<Endpoint>(k, "Endpoint", 10);
    mint(k, 11, 10, AllRights, 1);
    expect(k.rootUntyped.usedBytes).toBe(16);
    expect(k.cnodeDelete(k.rootTcb, C, 10).error).toBe(KernelError.Ok);
    expect(ep.destroyed).toBe(false);
    expect(k.cnodeDelete(k.rootTcb, C, 11).error).toBe(KernelError.Ok);
    expect(ep.destroyed).toBe(true);
    expect(k.rootUntyped.usedBytes).toBe(0);
  });

  it("cnode.delete() of an empty slot is fine, out of range is not", () => {
    const k = boot();
    expect(k.cnodeDelete(k.rootTcb, C, 50).error).toBe(KernelError.Ok);
    expect(k.cnodeDelete(k.rootTcb, C, 256).error).toBe(KernelError.FailedLookup);
  });

  it("cnode.revoke() removes every derived cap, grandchildren too, and keeps the original", () => {
    const k = boot();
    const ep = make<Endpoint>(k, "Endpoint", 10);
    mint(k, 11, 10, AllRights, 1);
    mint(k, 12, 10, AllRights, 2);
    expect(k.cnodeCopy(k.rootTcb, C, 13, C, 11, AllRights).error).toBe(KernelError.Ok);
    expect(k.cnodeCopy(k.rootTcb, C, 14, C, 13, AllRights).error).toBe(KernelError.Ok);
    expect(k.cnodeRevoke(k.rootTcb, C, 10).error).toBe(KernelError.Ok);
    for (const i of [11, 12, 13, 14]) expect(k.rootCnode.capAt(i)).toBeNull();
    expect(k.rootCnode.capAt(10)!.object).toBe(ep);
    expect(ep.capRefs).toBe(1);
    expect(ep.destroyed).toBe(false);
  });

  it("cnode.revoke() on an Untyped destroys everything carved from it", () => {
    const k = boot();
    const child = make<Untyped>(k, "Untyped", 10, 8192);
    expect(k.untypedRetype(k.rootTcb, 10, "Endpoint", 0, 4, C, 20).error).toBe(KernelError.Ok);
    expect(k.untypedRetype(k.rootTcb, 10, "Tcb", 0, 1, C, 30).error).toBe(KernelError.Ok);
    expect(child.usedBytes).toBe(4 * 16 + 2048);
    expect(k.cnodeRevoke(k.rootTcb, C, 10).error).toBe(KernelError.Ok);
    expect(child.usedBytes).toBe(0);
    expect(k.rootCnode.capAt(20)).toBeNull();
    expect(k.rootCnode.capAt(30)).toBeNull();
  });

  it("cnode.delete() of the last Untyped cap destroys its objects and its quota", () => {
    const k = boot();
    make<Untyped>(k, "Untyped", 10, 8192);
    const ep = (k.untypedRetype(k.rootTcb, 10, "Endpoint", 0, 1, C, 20).objects[0]) as Endpoint;
    expect(k.cnodeDelete(k.rootTcb, C, 10).error).toBe(KernelError.Ok);
    expect(ep.destroyed).toBe(true);
    expect(k.rootUntyped.usedBytes).toBe(0);
  });

  it("cnode.copy() of an Untyped with children fails with RevokeFirst", () => {
    const k = boot();
    make(k, "Untyped", 10, 4096);
    expect(k.untypedRetype(k.rootTcb, 10, "Endpoint", 0, 1, C, 20).error).toBe(KernelError.Ok);
    expect(k.cnodeCopy(k.rootTcb, C, 11, C, 10, AllRights).error).toBe(KernelError.RevokeFirst);
  });

  it("cnode.copy() of a Reply cap is refused", () => {
    const k = boot();
    const server = thread(k, 10);
    make(k, "Endpoint", 11);
    const client = thread(k, 12);
    k.recv(server, 11);
    expect(k.call(client, 11, 1, 0).status).toBe("blocked");
    expect(k.cnodeSaveCaller(server, C, 20).error).toBe(KernelError.Ok);
    expect(k.rootCnode.capAt(20)!.object.kind).toBe("Reply");
    expect(k.cnodeCopy(k.rootTcb, C, 21, C, 20, AllRights).error).toBe(KernelError.IllegalOperation);
    expect(k.cnodeMove(k.rootTcb, C, 21, C, 20).error).toBe(KernelError.Ok);
  });

  it("deleting a CNode deletes the caps it holds", () => {
    const k = boot();
    const cnode = make<CNode>(k, "CNode", 10, 2);
    const ep = make<Endpoint>(k, "Endpoint", 11);
    expect(k.cnodeMove(k.rootTcb, 10, 3, C, 11).error).toBe(KernelError.Ok);
    expect(cnode.capAt(3)!.object).toBe(ep);
    expect(k.cnodeDelete(k.rootTcb, C, 10).error).toBe(KernelError.Ok);
    expect(ep.destroyed).toBe(true);
    expect(k.rootUntyped.usedBytes).toBe(0);
  });

  it("cnode invocations need a CNode capability", () => {
    const k = boot();
    make(k, "Endpoint", 10);
    expect(k.cnodeCopy(k.rootTcb, 10, 1, C, 10, AllRights).error).toBe(KernelError.InvalidCapability);
    expect(k.cnodeCopy(k.rootTcb, C, 11, 10, 0, AllRights).error).toBe(KernelError.FailedLookup);
  });

  it("new CNode() has 2^radix slots of 32 bytes", () => {
    const cnode = new CNode(3, null, new CapabilityPool());
    expect([cnode.slotCount, cnode.sizeBytes]).toEqual([8, 256]);
    expect(cnode.capAt(8)).toBeNull();
    expect(cnode.isValidIndex(7)).toBe(true);
    expect(cnode.isValidIndex(8)).toBe(false);
  });

  it("a thread only reaches what its own CSpace holds", () => {
    const k = boot();
    const t = make<Tcb>(k, "Tcb", 10);
    make(k, "CNode", 11, 3);
    make(k, "Endpoint", 12);
    expect(k.tcbConfigure(k.rootTcb, 10, { cspaceRootCptr: 11 }).error).toBe(KernelError.Ok);
    k.tcbResume(k.rootTcb, 10);
    expect(k.send(t, 12, 0, 0).error).toBe(KernelError.InvalidCapability);
    expect(k.cnodeCopy(t, C, 20, C, 12, AllRights).error).toBe(KernelError.InvalidCapability);
  });

  it("cnode.mintWindow() narrows a Frame capability to whole pages inside its source's window", () => {
    const k = boot();
    make(k, "Frame", 10, 4 * 4096);
    expect(k.cnodeMintWindow(k.rootTcb, C, 11, C, 10, Rights.Write, 4096, 8192).error).toBe(KernelError.Ok);
    const cap = k.rootCnode.capAt(11)!;
    expect([cap.rights, cap.windowOffset, cap.windowLength]).toEqual([Rights.Write, 4096, 8192]);
    expect([cap.covers(4096, 8192), cap.covers(4095, 1), cap.covers(8192, 4097)]).toEqual([true, false, false]);
    // A copy keeps the window; a window of a window stays inside it.
    expect(k.cnodeCopy(k.rootTcb, C, 12, C, 11, AllRights).error).toBe(KernelError.Ok);
    expect([k.rootCnode.capAt(12)!.windowOffset, k.rootCnode.capAt(12)!.windowLength, k.rootCnode.capAt(12)!.rights]).toEqual([4096, 8192, Rights.Write]);
    expect(k.cnodeMintWindow(k.rootTcb, C, 13, C, 11, AllRights, 0, 4096).error).toBe(KernelError.RangeError);
    expect(k.cnodeMintWindow(k.rootTcb, C, 13, C, 11, AllRights, 8192, 8192).error).toBe(KernelError.RangeError);
    expect(k.cnodeMintWindow(k.rootTcb, C, 13, C, 10, AllRights, 100, 4096).error).toBe(KernelError.RangeError);
    expect(k.cnodeMintWindow(k.rootTcb, C, 13, C, 10, AllRights, 0, 0).error).toBe(KernelError.RangeError);
    expect(k.cnodeMintWindow(k.rootTcb, C, 13, C, 10, AllRights, 4 * 4096, 4096).error).toBe(KernelError.RangeError);
    make(k, "Endpoint", 14);
    expect(k.cnodeMintWindow(k.rootTcb, C, 13, C, 14, AllRights, 0, 4096).error).toBe(KernelError.IllegalOperation);
    expect(k.rootCnode.capAt(13)).toBeNull();
    // Revoking the source's children takes every window back.
    expect(k.cnodeRevoke(k.rootTcb, C, 10).error).toBe(KernelError.Ok);
    expect([k.rootCnode.capAt(11), k.rootCnode.capAt(12)]).toEqual([null, null]);
  });
});
