import { describe, expect, it } from "vitest";
import { CapabilityPool, deriveError, isBadgeable } from "../../../microkernel/capability.ts";
import { Endpoint } from "../../../microkernel/endpoint.ts";
import { KernelError } from "../../../microkernel/errors.ts";
import { AllRights, Rights } from "../../../microkernel/rights.ts";
import { Reply } from "../../../microkernel/reply.ts";
import { Scheduler } from "../../../microkernel/scheduler.ts";
import { Tcb } from "../../../microkernel/tcb.ts";

const pool = new CapabilityPool();

describe("capability", () => {
  it("CapabilityPool.create() takes a reference that release() drops", () => {
    const ep = new Endpoint(null);
    const a = pool.create(ep, AllRights, 0);
    const b = pool.create(ep, Rights.Read, 7);
    expect(ep.capRefs).toBe(2);
    expect([b.rights, b.badge]).toEqual([Rights.Read, 7]);
    expect(a.release()).toBe(false);
    expect(b.release()).toBe(true);
  });

  it("unlink() moves children up to the parent", () => {
    const ep = new Endpoint(null);
    const root = pool.create(ep, AllRights, 0);
    const mid = pool.create(ep, AllRights, 0);
    const leaf = pool.create(ep, AllRights, 0);
    mid.linkUnder(root);
    leaf.linkUnder(mid);
    mid.unlink();
    expect(leaf.parent).toBe(root);
    expect(root.firstChild).toBe(leaf);
    expect(leaf.nextSibling).toBeNull();
  });

  it("release() recycles and bumps the generation", () => {
    const ep = new Endpoint(null);
    const cap = pool.create(ep, AllRights, 0);
    const gen = cap.generation;
    cap.release();
    expect(cap.generation).toBe(gen + 1);
    expect(pool.create(ep, AllRights, 0)).toBe(cap);
  });

  it("a released capability goes back to its own kernel's pool only", () => {
    const ep = new Endpoint(null);
    const other = new CapabilityPool();
    const cap = pool.create(ep, AllRights, 0);
    cap.release();
    expect(other.create(ep, AllRights, 0)).not.toBe(cap);
    expect(pool.create(ep, AllRights, 0)).toBe(cap);
  });

  it("a released capability goes back to its own kernel's pool only", () => {
    const ep = new Endpoint(null);
    const other = new CapabilityPool();
    const cap = pool.create(ep, AllRights, 0);
    cap.release();
    expect(other.create(ep, AllRights, 0)).not.toBe(cap);
    expect(pool.create(ep, AllRights, 0)).toBe(cap);
  });

  it("deriveError() refuses reply caps", () => {
    const reply = new Reply(new Tcb(null, new Scheduler()));
    expect(deriveError(pool.create(reply, AllRights, 0))).toBe(KernelError.IllegalOperation);
  });

  it("isBadgeable() is true only for endpoints and notifications", () => {
    expect(isBadgeable(pool.create(new Endpoint(null), AllRights, 0))).toBe(true);
    expect(isBadgeable(pool.create(new Tcb(null, new Scheduler()), AllRights, 0))).toBe(false);
  });
});
