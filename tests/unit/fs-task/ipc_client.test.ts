// ipc mode: the fs-task as a passive server on a microkernel endpoint. File data moves by
// frame grants (one Call for 1 MiB, no copy when the caller's frame is known), capability
// rights are checked, and a broken back end or a gone server is -EIO, never a throw.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FrameDirectory } from "../../../fs-task/frame_directory.ts";
import { IpcTransport, createFsProxy, type FsTaskClient } from "../../../fs-task/ipc_client.ts";
import { FsIpcServer } from "../../../fs-task/ipc_server.ts";
import { HostFs } from "../../../fs-task/hostfs.ts";
import { TmpFs } from "../../../fs-task/tmpfs.ts";
import { byteBudget } from "../../../fs-task/backend.ts";
import { HostCSpace } from "../../../fs-task/_ipc_host.ts";
import { ReplyStatus } from "../../../fs-task/protocol.ts";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import { EFAULT, EIO } from "../../../fs-task/_errno.ts";
import { O_CREAT, O_RDONLY, O_RDWR } from "../../../fs-task/_flags.ts";
import { Kernel, KernelError, Rights, RootSlot, type Frame } from "../../../microkernel/mod.ts";
import { FaultyFs } from "./_faulty_fs.ts";

const MiB = 1 << 20;

interface Setup {
  kernel: Kernel;
  server: FsIpcServer;
  frames: FrameDirectory;
  fsys: FsTaskClient;
}

function connect(backend: FileSystem, untypedBytes = 64 * MiB): Setup {
  const kernel = new Kernel({ untypedBytes, rootCnodeRadix: 12 });
  const server = new FsIpcServer({ kernel });
  const frames = new FrameDirectory();
  const transport = new IpcTransport({ kernel, endpointCptr: server.mintClientCap(server.attach(backend)), frames, requests: () => server.requests });
  return { kernel, server, frames, fsys: createFsProxy(transport, transport.mask) };
}

/** A Frame retyped into root slot `slot` and registered with the client's directory. */
function knownFrame(s: Setup, slot: number, size: number, rights = Rights.Read | Rights.Write): Frame {
  const k = s.kernel;
  const r = k.untypedRetype(k.rootTcb, RootSlot.Untyped, "Frame", size, 1, RootSlot.CNode, slot);
  expect(r.error).toBe(KernelError.Ok);
  const frame = r.objects[0] as Frame;
  let cptr = slot;
  if (rights !== (Rights.Read | Rights.Write)) {
    cptr = slot + 1;
    expect(k.cnodeMint(k.rootTcb, RootSlot.CNode, cptr, RootSlot.CNode, slot, rights, 0).error).toBe(KernelError.Ok);
  }
  s.frames.add({ bytes: frame.bytes, hostAddress: frame.hostAddress, cptr });
  return frame;
}

function pattern(len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 31 + (i >> 12)) & 0xff;
  return b;
}

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "fs-ipc-"));
  fs.writeFileSync(path.join(root, "big"), pattern(4 * MiB));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("IpcTransport data transfer", () => {
  it("a 1 MiB pread into a known frame is one Call and copies nothing", () => {
    const s = connect(new HostFs({ root }));
    const frame = knownFrame(s, 100, 2 * MiB);
    const h = s.fsys.open("/big", O_RDONLY, 0) as number;
    const before = s.fsys.stats();
    expect(s.fsys.pread(h, frame.bytes.subarray(4096, 4096 + MiB), 8192)).toBe(MiB);
    const after = s.fsys.stats();
    expect(after.requests - before.requests).toBe(1);
    expect(after.bounced).toBe(0);
    expect(Buffer.from(frame.bytes.subarray(4096, 4096 + MiB)).equals(Buffer.from(pattern(4 * MiB).subarray(8192, 8192 + MiB)))).toBe(true);
  });

  it("a pwrite from a known frame is one Call", () => {
    const s = connect(new HostFs({ root }));
    const frame = knownFrame(s, 100, MiB);
    frame.bytes.set(pattern(MiB));
    const h = s.fsys.open("/out", O_RDWR | O_CREAT, 0o644) as number;
    const before = s.fsys.stats().requests;
    expect(s.fsys.pwrite(h, frame.bytes, 0)).toBe(MiB);
    expect(s.fsys.stats().requests - before).toBe(1);
    expect(Buffer.from(fs.readFileSync(path.join(root, "out"))).equals(Buffer.from(pattern(MiB)))).toBe(true);
  });

  it("a plain Uint8Array goes through the bounce frame, one Call even past 1 MiB", () => {
    const s = connect(new HostFs({ root }));
    const h = s.fsys.open("/big", O_RDONLY, 0) as number;
    for (const len of [100, MiB, 3 * MiB]) {
      const dst = new Uint8Array(len);
      const before = s.fsys.stats();
      expect(s.fsys.pread(h, dst, 5)).toBe(len);
      expect(s.fsys.stats().requests - before.requests).toBe(1);
      expect(s.fsys.stats().bounced - before.bounced).toBe(1);
      expect(Buffer.from(dst).equals(Buffer.from(pattern(4 * MiB).subarray(5, 5 + len)))).toBe(true);
    }
  });

  it("moves what fits (a short count) when the Untyped cannot grow the bounce frame", () => {
    const s = connect(new HostFs({ root }), 3 * MiB);
    const h = s.fsys.open("/big", O_RDONLY, 0) as number;
    const dst = new Uint8Array(4 * MiB);
    expect(s.fsys.pread(h, dst, 0)).toBe(MiB);
    expect(Buffer.from(dst.subarray(0, MiB)).equals(Buffer.from(pattern(MiB)))).toBe(true);
  });

  it("checks the granted frame's rights: no Write, no pread into it (EFAULT)", () => {
    const s = connect(new HostFs({ root }));
    const readOnly = knownFrame(s, 100, 8192, Rights.Read);
    const h = s.fsys.open("/big", O_RDWR, 0) as number;
    expect(s.fsys.pread(h, readOnly.bytes, 0)).toBe(-EFAULT);
    expect(s.fsys.pwrite(h, readOnly.bytes.subarray(0, 10), 0)).toBe(10);
  });
});

describe("IpcTransport failures", () => {
  it("a throwing back end gives -EIO (false for isatty) and the server keeps serving", () => {
    const s = connect(new FaultyFs());
    const h = s.fsys.open("/null", O_RDONLY, 0) as number;
    expect(s.fsys.fstat(h)).toBe(-EIO);
    expect(s.fsys.isatty(h)).toBe(false);
    expect(s.fsys.readlink("/null")).toBe(-EIO);
    expect(s.fsys.stat("/null", true)).toMatchObject({ rdev: 259 });
  });

  it("a client that never connected is refused with BadRequest", () => {
    const s = connect(new HostFs({ root }));
    const host = new HostCSpace({ kernel: s.kernel });
    const cap = s.server.mintClientCap(0);
    const t = host.thread()!;
    const r = s.kernel.call(t.tcb, cap, 5, 1, 0);
    expect(r.status).toBe("completed");
    expect(t.tcb.info.label).toBe(ReplyStatus.BadRequest);
  });

  it("serves several back ends, each client reaching its own by badge; a detached one is -EIO", () => {
    const s = connect(new HostFs({ root }));
    const tmp = s.server.attach(new TmpFs({ quota: byteBudget(MiB) }));
    const transport = new IpcTransport({ kernel: s.kernel, endpointCptr: s.server.mintClientCap(tmp), frames: s.frames, requests: () => s.server.requests });
    const other = createFsProxy(transport, transport.mask);
    expect(other.mkdir("/only-in-tmpfs", 0o755)).toBe(0);
    expect(other.stat("/big", true)).toBe(-2);
    expect(s.fsys.stat("/only-in-tmpfs", true)).toBe(-2);
    expect(s.fsys.stat("/big", true)).toMatchObject({ size: 4 * MiB });
    s.server.detach(tmp);
    expect(other.stat("/only-in-tmpfs", true)).toBe(-EIO);
    expect(s.fsys.stat("/big", true)).toMatchObject({ size: 4 * MiB });
  });

  it("a stopped server gives -EIO at once, without hanging", async () => {
    const s = connect(new HostFs({ root }));
    s.server.stop();
    expect(s.fsys.stat("/big", true)).toBe(-EIO);
    expect(s.fsys.open("/big", O_RDONLY, 0)).toBe(-EIO);
    expect(s.fsys.isatty(0)).toBe(false);
    await s.fsys.stop();
    expect(s.fsys.stat("/big", true)).toBe(-EIO);
  });

  it("offers exactly the back end's optional methods", () => {
    const withChown = connect(new HostFs({ root })).fsys;
    const backend = new HostFs({ root }) as FileSystem;
    expect(typeof withChown.chown).toBe(typeof backend.chown);
    expect(typeof withChown.mknod).toBe(typeof backend.mknod);
    const partial = connect({ fstat: () => -EIO } as unknown as FileSystem).fsys;
    expect(typeof partial.fstat).toBe("function");
    expect(partial.stat).toBeUndefined();
  });
});
