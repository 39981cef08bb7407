import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
// worker mode: the fs-task in its own worker thread behind the shared ring. Native frames
// are shared by host address (one request for 1 MiB, no copy), plain buffers bounce, and a
// broken, exited, terminated or wedged worker is -EIO, never a crash or a hang.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FrameDirectory } from "../../../fs-task/frame_directory.ts";
import { createFsProxy, type FsTaskClient } from "../../../fs-task/ipc_client.ts";
import { FsWorker, WorkerTransport, type WorkerClientOptions } from "../../../fs-task/worker_client.ts";
import type { FsTaskOptions } from "../../../fs-task/backend.ts";
import { EAGAIN, EIO } from "../../../fs-task/_errno.ts";
import { O_CREAT, O_RDONLY, O_RDWR } from "../../../fs-task/_flags.ts";
import { allocNative, freeNative, type NativeBlock } from "../../../microkernel/platform/unicorn_ffi.ts";

const devs = new AnonDevices();

const MiB = 1 << 20;
const FAULTY: FsTaskOptions = { type: "module", url: new URL("./_faulty_fs.ts", import.meta.url).href };

let root: string;
const started: WorkerTransport[] = [];
const blocks: NativeBlock[] = [];

function start(backend: FsTaskOptions, options: WorkerClientOptions = {}): { t: WorkerTransport; fsys: FsTaskClient; frames: FrameDirectory } {
  const frames = new FrameDirectory();
  const t = new WorkerTransport(backend, { frames, ...options });
  started.push(t);
  return { t, fsys: createFsProxy(t, t.mask), frames };
}

function nativeFrame(frames: FrameDirectory, size: number): NativeBlock {
  const block = allocNative(size);
  blocks.push(block);
  frames.add({ bytes: block.bytes, hostAddress: block.address, cptr: -1 });
  return block;
}

function pattern(len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + (i >> 10)) & 0xff;
  return b;
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "fs-worker-"));
  fs.writeFileSync(path.join(root, "big"), pattern(4 * MiB));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.stop()));
  for (const b of blocks.splice(0)) freeNative(b);
  fs.rmSync(root, { recursive: true, force: true });
});

describe("WorkerTransport data transfer", () => {
  it("a 1 MiB pread into a native frame is one request and copies nothing", () => {
    const { fsys, frames } = start({ type: "hostfs", root });
    const block = nativeFrame(frames, 2 * MiB);
    const h = fsys.open("/big", O_RDONLY, 0) as number;
    const before = fsys.stats();
    expect(fsys.pread(h, block.bytes.subarray(4096, 4096 + MiB), 100)).toBe(MiB);
    expect(fsys.stats().requests - before.requests).toBe(1);
    expect(fsys.stats().bounced).toBe(0);
    expect(Buffer.from(block.bytes.subarray(4096, 4096 + MiB)).equals(Buffer.from(pattern(4 * MiB).subarray(100, 100 + MiB)))).toBe(true);
  });

  it("a pwrite from a native frame is one request", () => {
    const { fsys, frames } = start({ type: "hostfs", root });
    const block = nativeFrame(frames, MiB);
    block.bytes.set(pattern(MiB));
    const h = fsys.open("/out", O_RDWR | O_CREAT, 0o644) as number;
    const before = fsys.stats().requests;
    expect(fsys.pwrite(h, block.bytes, 0)).toBe(MiB);
    expect(fsys.stats().requests - before).toBe(1);
    expect(fsys.stats().bounced).toBe(0);
    expect(Buffer.from(fs.readFileSync(path.join(root, "out"))).equals(Buffer.from(pattern(MiB)))).toBe(true);
  });

  it("a plain Uint8Array bounces, one request even past 1 MiB", () => {
    const { fsys } = start({ type: "hostfs", root });
    const h = fsys.open("/big", O_RDONLY, 0) as number;
    for (const len of [10, MiB, 3 * MiB]) {
      const dst = new Uint8Array(len);
      const before = fsys.stats();
      expect(fsys.pread(h, dst, 3)).toBe(len);
      expect(fsys.stats().requests - before.requests).toBe(1);
      expect(fsys.stats().bounced - before.bounced).toBe(1);
      expect(Buffer.from(dst).equals(Buffer.from(pattern(4 * MiB).subarray(3, 3 + len)))).toBe(true);
    }
  });
});

describe("WorkerTransport failures", () => {
  it("a throwing back end gives -EIO (false for isatty), and the worker keeps serving", () => {
    const { fsys } = start(FAULTY);
    const h = fsys.open("/null", O_RDONLY, 0) as number;
    expect(fsys.fstat(h)).toBe(-EIO);
    expect(fsys.isatty(h)).toBe(false);
    expect(fsys.readlink("/null")).toBe(-EIO);
    expect(fsys.stat("/null", true)).toMatchObject({ rdev: 259 });
  });

  it("a worker that exits under a call gives -EIO, then -EIO at once", () => {
    const { fsys } = start(FAULTY);
    const h = fsys.open("/null", O_RDONLY, 0) as number;
    expect(fsys.close(h)).toBe(-EIO);
    const t0 = Date.now();
    expect(fsys.stat("/null", true)).toBe(-EIO);
    expect(Date.now() - t0).toBeLessThan(100);
  });

  it("a terminated worker gives -EIO even before its exit event is seen", async () => {
    const { t, fsys } = start({ type: "hostfs", root });
    expect(fsys.stat("/big", true)).toMatchObject({ size: 4 * MiB });
    const terminated = t.worker.terminate();
    const t0 = Date.now();
    expect(fsys.stat("/big", true)).toBe(-EIO);
    expect(Date.now() - t0).toBeLessThan(5000);
    await terminated;
    expect(fsys.open("/big", O_RDONLY, 0)).toBe(-EIO);
  });

  it("a pending call resolves to -EIO when the worker dies", async () => {
    const { t, fsys } = start(FAULTY);
    const never = fsys.open("/never", O_RDONLY, 0);
    expect(never).toBeInstanceOf(Promise);
    await t.worker.terminate();
    expect(await never).toBe(-EIO);
  });

  it("a wedged back end is given up after requestTimeoutMs", () => {
    const { fsys } = start(FAULTY, { requestTimeoutMs: 300 });
    const t0 = Date.now();
    expect(fsys.statfs("/")).toBe(-EIO);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(fsys.stat("/null", true)).toBe(-EIO);
  });

  it("with every slot but the control slot held by pending calls a new call is -EAGAIN, and stop still reaches the worker", async () => {
    const { fsys } = start(FAULTY);
    const pending = Array.from({ length: 15 }, () => fsys.open("/never", O_RDONLY, 0));
    expect(pending.every((p) => p instanceof Promise)).toBe(true);
    expect(fsys.stat("/null", true)).toBe(-EAGAIN);
    await fsys.stop();
    expect(await Promise.all(pending)).toEqual(new Array(15).fill(-EIO));
  });

  it("a back end that cannot be built throws in the caller, with the worker's reason", () => {
    expect(() => start({ type: "hostfs", root: path.join(root, "missing") })).toThrow(TypeError);
    expect(() => start({ type: "module", url: new URL("./_no_such_module.ts", import.meta.url).href })).toThrow(/Cannot start the fs-task back end: .*_no_such_module/);
  });
});

describe("FsWorker with several back ends", () => {
  it("serves each attached back end by its index in one thread; a detached one is -EIO", async () => {
    const host = new FsWorker({ frames: new FrameDirectory() });
    try {
      const fs1 = new WorkerTransport({ type: "hostfs", root }, { host });
      const fs2 = new WorkerTransport({ type: "tmpfs", sizeBytes: MiB, dev: devs.next() }, { host });
      expect(fs2.worker).toBe(fs1.worker);
      const [a, b] = [createFsProxy(fs1, fs1.mask), createFsProxy(fs2, fs2.mask)];
      expect(b.mkdir("/only-in-tmpfs", 0o755)).toBe(0);
      expect(a.stat("/big", true)).toMatchObject({ size: 4 * MiB });
      expect(a.stat("/only-in-tmpfs", true)).toBe(-2);
      expect(b.stat("/big", true)).toBe(-2);
      // A failed attach leaves the worker serving the others.
      expect(() => new WorkerTransport({ type: "hostfs", root: path.join(root, "missing") }, { host })).toThrow(TypeError);
      await fs2.stop();
      expect(b.stat("/only-in-tmpfs", true)).toBe(-EIO);
      expect(a.stat("/big", true)).toMatchObject({ size: 4 * MiB });
    } finally {
      await host.stop();
    }
  });
});
