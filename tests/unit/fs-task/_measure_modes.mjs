import fs from "node:fs";
import os from "node:os";
import path from "node:path";
// Cost per call and 1 MiB pread throughput of the fs-task in each mode (not a test).
// Run from the build: npm run build && node tests/unit/fs-task/_measure_modes.mjs
const D = new URL("../../../dist", import.meta.url).pathname;
const { createFsTask, stopFsTask, FrameDirectory } = await import(`${D}/fs-task/mod.js`);
const { Kernel, RootSlot } = await import(`${D}/microkernel/mod.js`);
const { allocNative, freeNative } = await import(`${D}/microkernel/platform/unicorn_ffi.js`);

const MiB = 1 << 20;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "fsbench-"));
const FILE_MIB = 64;
fs.writeFileSync(path.join(root, "big"), Buffer.alloc(FILE_MIB * MiB, 7));
fs.readFileSync(path.join(root, "big")); // warm the page cache

const nativeFrames = {
  allocate(size) { const b = allocNative(size); return { bytes: b.bytes, hostAddress: b.address }; },
  release(m) { freeNative({ bytes: m.bytes, address: m.hostAddress }); },
};

function measure(label, fsys, dst) {
  const h = fsys.open("/big", 0, 0);
  // small call
  const N = 100_000;
  for (let i = 0; i < 2000; i++) fsys.fstat(h);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fsys.fstat(h);
  const fstatNs = Number(process.hrtime.bigint() - t0) / N;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fsys.close(9999);
  const nullNs = Number(process.hrtime.bigint() - t0) / N;
  const small = dst.subarray(0, 4096);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fsys.pread(h, small, (i & 1023) * 4096);
  const p4kNs = Number(process.hrtime.bigint() - t0) / N;
  // 1 MiB preads
  const R = 1024;
  for (let i = 0; i < 32; i++) fsys.pread(h, dst, (i % FILE_MIB) * MiB);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < R; i++) if (fsys.pread(h, dst, (i % FILE_MIB) * MiB) !== MiB) throw new Error("short read");
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  fsys.close(h);
  const stats = fsys.stats?.();
  console.log(`${label.padEnd(34)} close(bad) ${nullNs.toFixed(0).padStart(5)} ns  fstat ${fstatNs.toFixed(0).padStart(5)} ns  4K pread ${p4kNs.toFixed(0).padStart(5)} ns   1M pread ${(sec / R * 1e6).toFixed(0).padStart(4)} µs = ${(R / sec / 1024).toFixed(1).padStart(4)} GiB/s${stats ? `   (bounced ${stats.bounced})` : ""}`);
}

const plain = new Uint8Array(MiB);
for (let round = 0; round < 2; round++) {
  console.log(`-- round ${round + 1}`);
  {
    const fsys = createFsTask({ type: "hostfs", root });
    measure("inproc, plain buffer", fsys, plain);
    const b = allocNative(MiB);
    measure("inproc, native frame", fsys, b.bytes);
    freeNative(b);
  }
  {
    const kernel = new Kernel({ untypedBytes: 256 * MiB, rootCnodeRadix: 12, frameAllocator: nativeFrames });
    const frames = new FrameDirectory();
    const r = kernel.untypedRetype(kernel.rootTcb, RootSlot.Untyped, "Frame", MiB, 1, RootSlot.CNode, 100);
    const frame = r.objects[0];
    frames.add({ bytes: frame.bytes, hostAddress: frame.hostAddress, cptr: 100 });
    const fsys = createFsTask({ type: "hostfs", root }, { mode: "ipc", kernel, frames });
    measure("ipc, granted frame (zero copy)", fsys, frame.bytes);
    measure("ipc, plain buffer (bounce)", fsys, plain);
    await stopFsTask(fsys);
  }
  {
    const frames = new FrameDirectory();
    const b = allocNative(MiB);
    frames.add({ bytes: b.bytes, hostAddress: b.address, cptr: -1 });
    const fsys = createFsTask({ type: "hostfs", root }, { mode: "worker", frames });
    measure("worker, native frame (zero copy)", fsys, b.bytes);
    measure("worker, plain buffer (bounce)", fsys, plain);
    await stopFsTask(fsys);
    freeNative(b);
  }
}
fs.rmSync(root, { recursive: true, force: true });
