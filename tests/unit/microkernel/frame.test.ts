import { describe, expect, it } from "vitest";
import { KernelError } from "../../../microkernel/errors.ts";
import { Frame, type FrameAllocator, type FrameMemory } from "../../../microkernel/frame.ts";
import { Kernel, RootSlot } from "../../../microkernel/kernel.ts";

describe("frame", () => {
  it("Frame rounds its size up to whole pages", () => {
    const frame = new Frame(1, null, { allocate: (size) => ({ bytes: new Uint8Array(size), hostAddress: 0 }), release() {} });
    expect(frame.sizeBytes).toBe(4096);
    expect(frame.bytes.length).toBe(4096);
  });

  it("Frame memory comes from the kernel's FrameAllocator and goes back on delete", () => {
    const released: FrameMemory[] = [];
    const allocator: FrameAllocator = {
      allocate: (size) => ({ bytes: new Uint8Array(size), hostAddress: 0x7000_0000 }),
      release: (mem) => released.push(mem),
    };
    const k = new Kernel({ untypedBytes: 1 << 16, frameAllocator: allocator });
    const r = k.untypedRetype(k.rootTcb, RootSlot.Untyped, "Frame", 5000, 1, RootSlot.CNode, 10);
    const frame = r.objects[0] as Frame;
    expect(frame.hostAddress).toBe(0x7000_0000);
    expect(frame.bytes.length).toBe(8192);
    expect(k.rootUntyped.usedBytes).toBe(8192);
    expect(k.cnodeDelete(k.rootTcb, RootSlot.CNode, 10).error).toBe(KernelError.Ok);
    expect(released).toEqual([frame.memory]);
    expect(k.rootUntyped.usedBytes).toBe(0);
  });
});
