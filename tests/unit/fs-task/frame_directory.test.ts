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

  it("finds each of many frames of one buffer (a chunk's), added in any order", () => {
    const dir = new FrameDirectory();
    const chunk = new Uint8Array(64 * 4096);
    const order = Array.from({ length: 64 }, (_, i) => (i * 37) % 64);
    for (const i of order) dir.add({ bytes: chunk.subarray(i * 4096, (i + 1) * 4096), hostAddress: 0, cptr: i });
    for (let i = 0; i < 64; i++) expect(dir.find(chunk.subarray(i * 4096 + 8, i * 4096 + 16))).toMatchObject({ frame: { cptr: i }, offset: 8 });
    for (let i = 0; i < 64; i += 2) expect(dir.delete(chunk.subarray(i * 4096, (i + 1) * 4096))).toBe(true);
    expect(dir.find(chunk.subarray(2 * 4096, 2 * 4096 + 1))).toBeNull();
    expect(dir.find(chunk.subarray(3 * 4096, 3 * 4096 + 1))).toMatchObject({ frame: { cptr: 3 } });
    // A view across two frames is in neither.
    expect(dir.find(chunk.subarray(4 * 4096 - 1, 4 * 4096 + 1))).toBeNull();
  });
});
