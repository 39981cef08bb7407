// The worker-mode tmpfs quota: a lease on the user kernel's Untyped.
//
// A worker thread cannot reach an Untyped (a microkernel object on the kernel-task's
// thread), so the client lends it bytes ahead of need. Three BigInt64 cells in the ring's
// control area (device-ipc/ring.ts leaseView):
//   Lease  bytes the client has reserved on the Untyped for the worker (client writes)
//   Used   bytes the worker's tmpfs back ends hold (worker writes)
//   Free   the Untyped's free bytes as last seen by the client (for statfs)
// Before each request the client makes sure the slack (Lease - Used) covers what the call
// may need (a pwrite's length, a fallocate's) plus KEEP_BYTES, reserving more on the
// Untyped; after each answer it gives back slack beyond twice that (all of it near the
// limit). The worker's tmpfs charges Used against Lease and fails (ENOSPC) past it, so
// worker tmpfs pages and guest memory share the one quota, as in the other modes; at most
// the slack is held
// unused. When the worker is gone, the whole lease goes back.

import type { MemoryQuota } from "./_paged_bytes.ts";

export const Lease = { Lease: 0, Used: 1, Free: 2 } as const;
const KEEP_BYTES = 1 << 20;
const LOW_WATER_BYTES = 16 << 20;

/** The client's side: reserves on `source` (an Untyped capability's quota) for the worker. */
export class QuotaLease {
  readonly #cells: BigInt64Array;
  readonly #source: MemoryQuota;

  constructor(cells: BigInt64Array, source: MemoryQuota) {
    this.#cells = cells;
    this.#source = source;
    this.#publish();
  }

  /** Makes the slack at least `bytes` + KEEP_BYTES if the source has that much. */
  ensure(bytes: number): void {
    const slack = this.#slack();
    const want = (Number.isSafeInteger(bytes) && bytes > 0 ? bytes : 0) + KEEP_BYTES;
    if (slack >= want) return;
    const more = Math.min(want - slack, this.#source.available?.() ?? want - slack);
    if (more > 0 && this.#source.charge(more)) Atomics.add(this.#cells, Lease.Lease, BigInt(more));
    this.#publish();
  }

  /**
   * Gives back slack beyond 2 × KEEP_BYTES; near the limit (the source has less than
   * LOW_WATER_BYTES left), all of it: those bytes may be what the next fork needs.
   */
  trim(): void {
    const slack = this.#slack();
    const keep = (this.#source.available?.() ?? Infinity) < LOW_WATER_BYTES ? 0 : KEEP_BYTES;
    if (slack <= 0 || slack <= 2 * keep) return;
    const give = slack - keep;
    Atomics.sub(this.#cells, Lease.Lease, BigInt(give));
    this.#source.release(give);
    this.#publish();
  }

  /** The worker is gone, and its pages with it: everything goes back. */
  returnAll(): void {
    const all = Number(Atomics.exchange(this.#cells, Lease.Lease, 0n));
    if (all > 0) this.#source.release(all);
  }

  #slack(): number {
    return Number(Atomics.load(this.#cells, Lease.Lease) - Atomics.load(this.#cells, Lease.Used));
  }

  #publish(): void {
    Atomics.store(this.#cells, Lease.Free, BigInt(this.#source.available?.() ?? 0));
  }
}

/** The worker's side: a MemoryQuota that charges Used against Lease. */
export function leasedQuota(cells: BigInt64Array): MemoryQuota {
  return {
    charge(bytes) {
      const used = Atomics.load(cells, Lease.Used);
      if (!Number.isSafeInteger(bytes) || bytes < 0 || used + BigInt(bytes) > Atomics.load(cells, Lease.Lease)) return false;
      Atomics.add(cells, Lease.Used, BigInt(bytes));
      return true;
    },
    release(bytes) {
      Atomics.sub(cells, Lease.Used, BigInt(bytes));
    },
    available: () => Number(Atomics.load(cells, Lease.Lease) - Atomics.load(cells, Lease.Used) + Atomics.load(cells, Lease.Free)),
  };
}
