// FrameDirectory: which frame (and offset) a Uint8Array view lies in.

import { describe, expect, it } from "vitest";
import { FrameDirectory } from "../../../fs-task/frame_directory.ts";

describe("FrameDirectory", () => {
  it("find() locates a view inside a known frame, with its offset", () => {
    const dir = new FrameDirectory();
    const bytes = new Uint8Array(8192);
    dir.add({ bytes, hostAddress: 0x10000, cptr: 7 });
    expect(dir.find(bytes.subarray(100, 200))).toMatchObject({ frame: { cptr: 7 }, offset: 100 });
    expect(dir.find(bytes)).toMatchObject({ offset: 0 });
    expect(dir.find(new Uint8Array(10))).toBeNull();
  });

  it("find() refuses a view that runs past the frame", () => {
    const dir = new FrameDirectory();
    const whole = new Uint8Array(8192);
    dir.add({ bytes: whole.subarray(0, 4096), hostAddress: 0, cptr: 1 });
    expect(dir.find(whole.subarray(4000, 4100))).toBeNull();
    expect(dir.find(whole.subarray(4000, 4096))).toMatchObject({ offset: 4000 });
  });

  it("tells frames sharing one buffer apart, and delete() forgets one", () => {
    const dir = new FrameDirectory();
    const whole = new Uint8Array(8192);
    dir.add({ bytes: whole.subarray(0, 4096), hostAddress: 0, cptr: 1 });
    dir.add({ bytes: whole.subarray(4096), hostAddress: 0, cptr: 2 });
    expect(dir.find(whole.subarray(5000, 5001))).toMatchObject({ frame: { cptr: 2 }, offset: 904 });
    expect(dir.delete(whole.subarray(4096))).toBe(true);
    expect(dir.find(whole.subarray(5000, 5001))).toBeNull();
    expect(dir.delete(whole.subarray(4096))).toBe(false);
  });

  it("finds each of many frames of one buffer, added in any order, and none in the gaps between them", () => {
    const dir = new FrameDirectory();
    const whole = new Uint8Array(64 * 4096);
    const order = [5, 0, 9, 2, 7, 4, 8, 1, 6, 3];
    // Frame n: pages [6n, 6n + 4) of the buffer; pages 6n + 4 and 6n + 5 belong to none.
    for (const n of order) dir.add({ bytes: whole.subarray(6 * n * 4096, (6 * n + 4) * 4096), hostAddress: 0, cptr: n });
    for (let n = 0; n < 10; n++) {
      expect(dir.find(whole.subarray((6 * n + 1) * 4096, (6 * n + 1) * 4096 + 10))).toMatchObject({ frame: { cptr: n }, offset: 4096 });
      expect(dir.find(whole.subarray((6 * n + 4) * 4096, (6 * n + 4) * 4096 + 1))).toBeNull();
    }
    expect(dir.delete(whole.subarray(6 * 4096, 10 * 4096))).toBe(true);
    expect(dir.find(whole.subarray(6 * 4096, 6 * 4096 + 1))).toBeNull();
    expect(dir.find(whole.subarray(12 * 4096, 12 * 4096 + 1))).toMatchObject({ frame: { cptr: 2 } });
    expect(dir.delete(whole.subarray(7 * 4096, 8 * 4096))).toBe(false);
  });
});
