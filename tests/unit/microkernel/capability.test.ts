import { describe, expect, it } from "vitest";
import { Capability, deriveError, isBadgeable } from "../../../microkernel/capability.ts";
import { Endpoint } from "../../../microkernel/endpoint.ts";
import { KernelError } from "../../../microkernel/errors.ts";
import { AllRights, Rights } from "../../../microkernel/rights.ts";
import { Reply } from "../../../microkernel/reply.ts";
import { Scheduler } from "../../../microkernel/scheduler.ts";
import { Tcb } from "../../../microkernel/tcb.ts";

describe("capability", () => {
  it("Capability.create() takes a reference that release() drops", () => {
    const ep = new Endpoint(null);
    const a = Capability.create(ep, AllRights, 0);
    const b = Capability.create(ep, Rights.Read, 7);
    expect(ep.capRefs).toBe(2);
    expect([b.rights, b.badge]).toEqual([Rights.Read, 7]);
    expect(a.release()).toBe(false);
    expect(b.release()).toBe(true);
  });

  it("unlink() moves children up to the parent", () => {
    const ep = new Endpoint(null);
    const root = Capability.create(ep, AllRights, 0);
    const mid = Capability.create(ep, AllRights, 0);
    const leaf = Capability.create(ep, AllRights, 0);
    mid.linkUnder(root);
    leaf.linkUnder(mid);
    mid.unlink();
    expect(leaf.parent).toBe(root);
    expect(root.firstChild).toBe(leaf);
    expect(leaf.nextSibling).toBeNull();
  });

  it("release() recycles and bumps the generation", () => {
    const ep = new Endpoint(null);
    const cap = Capability.create(ep, AllRights, 0);
    const gen = cap.generation;
    cap.release();
    expect(cap.generation).toBe(gen + 1);
    expect(Capability.create(ep, AllRights, 0)).toBe(cap);
  });

  it("deriveError() refuses reply caps", () => {
    const reply = new Reply(new Tcb(null, new Scheduler()));
    expect(deriveError(Capability.create(reply, AllRights, 0))).toBe(KernelError.IllegalOperation);
  });

  it("isBadgeable() is true only for endpoints and notifications", () => {
    expect(isBadgeable(Capability.create(new Endpoint(null), AllRights, 0))).toBe(true);
    expect(isBadgeable(Capability.create(new Tcb(null, new Scheduler()), AllRights, 0))).toBe(false);
  });
});
