// The worker's tmpfs quota lease: the client reserves on the Untyped ahead of each call,
// the worker charges against the lease only, excess slack goes back, and all of it when
// the worker is gone.

import { describe, expect, it } from "vitest";
import { Lease, QuotaLease, leasedQuota } from "../../../fs-task/_quota_lease.ts";
import { byteBudget } from "../../../fs-task/backend.ts";

const MiB = 1 << 20;

function setup(size = 8 * MiB) {
  const source = byteBudget(size);
  const cells = new BigInt64Array(new SharedArrayBuffer(24));
  return { source, cells, lease: new QuotaLease(cells, source), worker: leasedQuota(cells) };
}

describe("QuotaLease and leasedQuota()", () => {
  it("the worker charges nothing until the client has lent, then up to the lease", () => {
    const { source, lease, worker } = setup();
    expect(worker.charge(4096)).toBe(false);
    lease.ensure(3 * MiB);
    expect(source.available!()).toBe(4 * MiB); // 3 MiB for the call + 1 MiB kept
    expect(worker.charge(4 * MiB)).toBe(true);
    expect(worker.charge(1)).toBe(false);
    expect(worker.available!()).toBe(4 * MiB); // slack 0 + what the source still has
  });

  it("lends no more than the source has", () => {
    const { source, cells, lease, worker } = setup(2 * MiB);
    lease.ensure(5 * MiB);
    expect(Number(cells[Lease.Lease])).toBe(2 * MiB);
    expect(source.available!()).toBe(0);
    expect(worker.charge(2 * MiB)).toBe(true);
    expect(worker.charge(4096)).toBe(false);
  });

  it("gives excess slack back after a call, and everything when the worker is gone", () => {
    const { source, lease, worker } = setup(64 * MiB);
    lease.ensure(5 * MiB);
    expect(worker.charge(MiB)).toBe(true);
    worker.release(MiB);
    lease.trim();
    expect(source.available!()).toBe(63 * MiB);
    expect(worker.charge(MiB)).toBe(true);
    lease.returnAll();
    expect(source.available!()).toBe(64 * MiB);
    expect(worker.charge(1)).toBe(false);
  });

  it("near the limit, keeps no slack after a call (a fork may need those bytes)", () => {
    const { source, lease, worker } = setup(8 * MiB);
    lease.ensure(5 * MiB);
    expect(worker.charge(2 * MiB)).toBe(true);
    lease.trim();
    expect(source.available!()).toBe(6 * MiB);
  });

  it("refuses a charge that is not a byte count", () => {
    const { lease, worker } = setup();
    lease.ensure(MiB);
    expect(worker.charge(-1)).toBe(false);
    expect(worker.charge(Number.NaN)).toBe(false);
  });
});
