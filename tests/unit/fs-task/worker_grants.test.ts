// worker mode: the fs-task worker touches only the native memory its slot was granted.
// These tests speak the ring themselves (as a buggy or subverted client would) so that
// the region words and the grant table can disagree: a forged address, the wrong access,
// a region one byte past the window and a revoked grant are each EFAULT, and the memory
// named is left untouched.

import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EFAULT } from "../../../fs-task/_errno.ts";
import { O_CREAT, O_RDWR } from "../../../fs-task/_flags.ts";
import { Control, ReplyStatus, WireReader, WireWriter, encodeArgs, methodEntries } from "../../../fs-task/protocol.ts";
import {
  Ctl, GrantAccess, Hdr, PENDING_NOTICE, RING_BYTES, WorkerState, controlView, grantView, grantedRegion, ring, ringQueues,
  setGrant, slotViews,
} from "../../../device-ipc/ring.ts";
import { workerBoot } from "../../../device-ipc/worker_boot.ts";
import { allocNative, freeNative, type NativeBlock } from "../../../microkernel/platform/unicorn_ffi.ts";

describe("grantedRegion()", () => {
  const grants = new Float64Array(5 * 16);
  setGrant(grants, 2, 0x10000, 8192, 100, 200, GrantAccess.Write);

  it("accepts a region inside the window of the granted block, with the granted access", () => {
    expect(grantedRegion(grants, 2, 0x10000, 8192, 100, 100, GrantAccess.Write)).toBe(true);
    expect(grantedRegion(grants, 2, 0x10000, 8192, 150, 0, GrantAccess.Write)).toBe(true);
  });

  it("refuses another block, another access, another slot, a region past the window", () => {
    expect(grantedRegion(grants, 2, 0x20000, 8192, 100, 100, GrantAccess.Write)).toBe(false);
    expect(grantedRegion(grants, 2, 0x10000, 1 << 30, 100, 100, GrantAccess.Write)).toBe(false);
    expect(grantedRegion(grants, 2, 0x10000, 8192, 100, 100, GrantAccess.Read)).toBe(false);
    expect(grantedRegion(grants, 3, 0x10000, 8192, 100, 100, GrantAccess.Write)).toBe(false);
    expect(grantedRegion(grants, 2, 0x10000, 8192, 100, 101, GrantAccess.Write)).toBe(false);
    expect(grantedRegion(grants, 2, 0x10000, 8192, 99, 10, GrantAccess.Write)).toBe(false);
    expect(grantedRegion(grants, 2, 0x10000, 8192, 2 ** 60, 1, GrantAccess.Write)).toBe(false);
    expect(grantedRegion(grants, -1, 0x10000, 8192, 100, 100, GrantAccess.Write)).toBe(false);
  });

  it("refuses everything once revoked", () => {
    const g = new Float64Array(5 * 16);
    setGrant(g, 0, 0x10000, 8192, 0, 8192, GrantAccess.Read);
    setGrant(g, 0, 0, 0, 0, 0, GrantAccess.None);
    expect(grantedRegion(g, 0, 0x10000, 8192, 0, 1, GrantAccess.Read)).toBe(false);
    expect(grantedRegion(g, 0, 0, 0, 0, 0, GrantAccess.None)).toBe(false);
  });
});

/** A client that drives the ring by hand. */
class RawRing {
  readonly sab = new SharedArrayBuffer(RING_BYTES);
  readonly ctl = controlView(this.sab);
  readonly queues = ringQueues(this.ctl);
  readonly slots = slotViews(this.sab);
  readonly grants = grantView(this.sab);
  readonly worker: Worker;

  constructor() {
    const { url, boot } = workerBoot(new URL("../../../fs-task/worker.ts", import.meta.url));
    this.worker = new Worker(url, { workerData: { sab: this.sab, spinMicros: 0, boot } });
    while (Atomics.load(this.ctl, Ctl.State) === WorkerState.Starting) Atomics.wait(this.ctl, Ctl.ClientBell, Atomics.load(this.ctl, Ctl.ClientBell), 50);
    expect(Atomics.load(this.ctl, Ctl.State)).toBe(WorkerState.Ready);
  }

  /** Sends a request in slot 0 and waits for its final answer: the slot's reader. */
  request(label: number, backend: number, put: (w: WireWriter) => void): WireReader {
    const s = this.slots[0]!;
    const w = new WireWriter().reset(s.words, s.bytes, s.view);
    put(w);
    s.header[Hdr.Label] = label;
    s.header[Hdr.Words] = w.nWords;
    s.header[Hdr.Backend] = backend;
    this.queues.request.push(0);
    ring(this.ctl, Ctl.ServerBell);
    for (;;) {
      const entry = this.queues.response.pop();
      if (entry === 0) break;
      if (entry === (0 | PENDING_NOTICE)) continue;
      Atomics.wait(this.ctl, Ctl.ClientBell, Atomics.load(this.ctl, Ctl.ClientBell), 50);
    }
    expect(s.header[Hdr.Status]).toBe(ReplyStatus.Ok);
    return new WireReader().reset(s.words, s.header[Hdr.Words]!, s.bytes, s.view);
  }

  /** pread/pwrite on back end 0 with region words of our choosing. */
  data(name: "pread" | "pwrite", handle: number, region: [number, number, number, number]): number {
    const spec = methodEntries().find((e) => e.name === name)!.spec;
    return spec.result.get(
      this.request(spec.id, 0, (w) => {
        encodeArgs(spec, [handle, new Uint8Array(region[3]), 0], w);
        w.setRegion(...region);
      }),
    ) as number;
  }

  call(name: string, args: unknown[]): unknown {
    const spec = methodEntries().find((e) => e.name === name)!.spec;
    return spec.result.get(this.request(spec.id, 0, (w) => encodeArgs(spec, args, w)));
  }
}

describe("the fs-task worker decodes every host address against its grant", () => {
  let raw: RawRing;
  let granted: NativeBlock;
  let other: NativeBlock;
  let h: number;

  beforeAll(() => {
    raw = new RawRing();
    expect(raw.request(Control.Attach, -1, (w) => w.str(JSON.stringify({ type: "tmpfs", sizeBytes: 1 << 20, dev: 0x40 }))).word()).toBe(0);
    granted = allocNative(8192);
    other = allocNative(8192);
    h = raw.call("open", ["/f", O_CREAT | O_RDWR, 0o644]) as number;
    expect(h).toBeGreaterThanOrEqual(0);
    granted.bytes.fill(0x41, 0, 100);
    setGrant(raw.grants, 0, granted.address, 8192, 0, 100, GrantAccess.Read);
    expect(raw.data("pwrite", h, [granted.address, 8192, 0, 100])).toBe(100);
  });

  afterAll(async () => {
    await raw.worker.terminate();
    freeNative(granted);
    freeNative(other);
  });

  it("a granted region is served", () => {
    setGrant(raw.grants, 0, granted.address, 8192, 4096, 4196, GrantAccess.Write);
    expect(raw.data("pread", h, [granted.address, 8192, 4096, 100])).toBe(100);
    expect(granted.bytes[4096 + 99]).toBe(0x41);
  });

  it("a forged address (another block, or the granted one with a made-up extent) is EFAULT", () => {
    setGrant(raw.grants, 0, granted.address, 8192, 0, 8192, GrantAccess.Write);
    expect(raw.data("pread", h, [other.address, 8192, 0, 100])).toBe(-EFAULT);
    expect(raw.data("pread", h, [granted.address + 4096, 4096, 0, 100])).toBe(-EFAULT);
    expect(raw.data("pread", h, [granted.address, 1 << 30, 1 << 29, 100])).toBe(-EFAULT);
    expect(other.bytes.every((b) => b === 0)).toBe(true);
  });

  it("a Read-only grant is refused for a pread, a Write-only one for a pwrite", () => {
    other.bytes.fill(0);
    setGrant(raw.grants, 0, other.address, 8192, 0, 8192, GrantAccess.Read);
    expect(raw.data("pread", h, [other.address, 8192, 0, 100])).toBe(-EFAULT);
    expect(other.bytes.every((b) => b === 0)).toBe(true);
    setGrant(raw.grants, 0, other.address, 8192, 0, 8192, GrantAccess.Write);
    expect(raw.data("pwrite", h, [other.address, 8192, 0, 100])).toBe(-EFAULT);
  });

  it("a region one byte past the window is refused", () => {
    setGrant(raw.grants, 0, other.address, 8192, 1000, 1100, GrantAccess.Write);
    expect(raw.data("pread", h, [other.address, 8192, 1000, 101])).toBe(-EFAULT);
    expect(raw.data("pread", h, [other.address, 8192, 999, 100])).toBe(-EFAULT);
    expect(other.bytes.every((b) => b === 0)).toBe(true);
    expect(raw.data("pread", h, [other.address, 8192, 1000, 100])).toBe(100);
  });

  it("a revoked grant is refused", () => {
    other.bytes.fill(0);
    setGrant(raw.grants, 0, 0, 0, 0, 0, GrantAccess.None);
    expect(raw.data("pread", h, [other.address, 8192, 0, 100])).toBe(-EFAULT);
    expect(other.bytes.every((b) => b === 0)).toBe(true);
  });
});
