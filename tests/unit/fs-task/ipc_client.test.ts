import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
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
import { HostCSpace } from "../../../device-ipc/host_cspace.ts";
import { CONNECT_LABEL, ReplyStatus, WireReader, WireWriter, encodeArgs, methodEntries } from "../../../fs-task/protocol.ts";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import { EFAULT, EIO } from "../../../fs-task/_errno.ts";
import { O_CREAT, O_RDONLY, O_RDWR } from "../../../fs-task/_flags.ts";
import { Kernel, KernelError, Rights, RootSlot, type Frame } from "../../../microkernel/mod.ts";
import { FaultyFs } from "./_faulty_fs.ts";

const devs = new AnonDevices();

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

/**
 * A client that builds its own Calls, to show what the server accepts: connected with a
 * byte area, it sends pread/pwrite with region words and a grant of its choosing.
 */
function rogueClient(s: Setup): (name: "pread" | "pwrite", handle: number, region: [number, number], grantSlot: number) => number {
  const k = s.kernel;
  const host = new HostCSpace({ kernel: k });
  const ep = s.server.mintClientCap(0);
  const t = host.thread()!;
  const area = host.retype<Frame>("Frame", 64 * 1024)!;
  const view = new DataView(area.object.bytes.buffer, area.object.bytes.byteOffset, area.object.bytes.byteLength);
  t.tcb.capsOut[0] = area.slot;
  expect(k.call(t.tcb, ep, CONNECT_LABEL, 0, 1).status).toBe("completed");
  return (name, handle, [offset, length], grantSlot) => {
    const spec = methodEntries().find((e) => e.name === name)!.spec;
    const w = new WireWriter().reset(t.tcb.buffer, area.object.bytes, view);
    encodeArgs(spec, [handle, new Uint8Array(length), 0], w);
    w.setRegion(0, 4 * 4096, offset, length);
    t.tcb.capsOut[0] = grantSlot;
    expect(k.call(t.tcb, ep, spec.id, w.nWords, 1).status).toBe("completed");
    expect(t.tcb.info.label).toBe(ReplyStatus.Ok);
    return spec.result.get(new WireReader().reset(t.tcb.buffer, t.tcb.info.length, area.object.bytes, view)) as number;
  };
}

describe("the fs-task decodes a grant before it touches a byte", () => {
  function setup(): { s: Setup; frame: Frame; call: ReturnType<typeof rogueClient>; h: number; grant: (slot: number, rights: number, at: number, len: number) => void } {
    const s = connect(new HostFs({ root }));
    const frame = knownFrame(s, 100, 4 * 4096);
    const k = s.kernel;
    const grant = (slot: number, rights: number, at: number, len: number): void => {
      expect(k.cnodeMintWindow(k.rootTcb, RootSlot.CNode, slot, RootSlot.CNode, 100, rights, at, len).error).toBe(KernelError.Ok);
    };
    return { s, frame, call: rogueClient(s), h: s.fsys.open("/big", O_RDWR, 0) as number, grant };
  }

  it("a read into guest memory needs Write: a Read-only grant is refused, the frame untouched", () => {
    const { frame, call, h, grant } = setup();
    grant(200, Rights.Read, 0, 4096);
    expect(call("pread", h, [10, 100], 200)).toBe(-EFAULT);
    expect(frame.bytes.subarray(0, 4096).every((b) => b === 0)).toBe(true);
    grant(201, Rights.Write, 0, 4096);
    expect(call("pread", h, [10, 100], 201)).toBe(100);
    expect(Buffer.from(frame.bytes.subarray(10, 110)).equals(Buffer.from(pattern(100)))).toBe(true);
  });

  it("a write from guest memory needs Read: a Write-only grant is refused", () => {
    const { call, h, grant } = setup();
    grant(200, Rights.Write, 0, 4096);
    expect(call("pwrite", h, [0, 10], 200)).toBe(-EFAULT);
    grant(201, Rights.Read, 0, 4096);
    expect(call("pwrite", h, [0, 10], 201)).toBe(10);
  });

  it("a region one byte past the granted pages is refused, on either side", () => {
    const { frame, call, h, grant } = setup();
    grant(200, Rights.Write, 4096, 4096);
    expect(call("pread", h, [4096 + 100, 3997], 200)).toBe(-EFAULT);
    expect(call("pread", h, [4095, 10], 200)).toBe(-EFAULT);
    expect(frame.bytes.every((b) => b === 0)).toBe(true);
    expect(call("pread", h, [4096 + 100, 3996], 200)).toBe(3996);
  });

  it("a revoked grant is refused: nothing reaches the server", () => {
    const { s, frame, call, h, grant } = setup();
    grant(200, Rights.Write, 0, 4096);
    expect(s.kernel.cnodeDelete(s.kernel.rootTcb, RootSlot.CNode, 200).error).toBe(KernelError.Ok);
    expect(call("pread", h, [0, 100], 200)).toBe(-EFAULT);
    expect(call("pread", h, [0, 100], 100 + 1000)).toBe(-EFAULT);
    expect(frame.bytes.every((b) => b === 0)).toBe(true);
  });

  it("the client grants only the buffer's pages with one right, and takes the grant back after the call", () => {
    const s = connect(new HostFs({ root }));
    const frame = knownFrame(s, 100, 8 * 4096);
    const seen: [number, number, number][] = [];
    const k = s.kernel;
    const mintWindow = k.cnodeMintWindow.bind(k);
    k.cnodeMintWindow = (caller, dc, di, sc, si, rights, offset, length) => {
      seen.push([rights, offset, length]);
      return mintWindow(caller, dc, di, sc, si, rights, offset, length);
    };
    const h = s.fsys.open("/big", O_RDWR, 0) as number;
    expect(s.fsys.pread(h, frame.bytes.subarray(4096 + 10, 4096 + 10 + 5000), 0)).toBe(5000);
    expect(s.fsys.pwrite(h, frame.bytes.subarray(3 * 4096, 3 * 4096 + 1), 0)).toBe(1);
    expect(seen).toEqual([[Rights.Write, 4096, 8192], [Rights.Read, 3 * 4096, 4096]]);
    // Only the directory's own capability is left: the grants and the server's copies are gone.
    expect(frame.capRefs).toBe(1);
  });

  it("a blocked call's grant stays with the server until the answer, then is revoked", async () => {
    let finish: (n: number) => void = () => {};
    const slow = { pread: (_h: number, dst: Uint8Array) => new Promise<number>((r) => (finish = (n) => r(dst.fill(7, 0, n) && n))) };
    const s = connect(slow as unknown as FileSystem);
    const frame = knownFrame(s, 100, 4096);
    const pending = s.fsys.pread(3, frame.bytes.subarray(0, 10), 0) as unknown as Promise<number>;
    expect(pending).toBeInstanceOf(Promise);
    expect(frame.capRefs).toBe(3); // the directory's, the client's grant, the server's held copy
    finish(10);
    expect(await pending).toBe(10);
    expect(frame.capRefs).toBe(1);
    expect(frame.bytes[9]).toBe(7);
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
    const tmp = s.server.attach(new TmpFs({ dev: devs.next(), quota: byteBudget(MiB) }));
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
