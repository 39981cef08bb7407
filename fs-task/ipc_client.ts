// The fs-task's client side: a FileSystem proxy built from FS_PROTOCOL over a transport,
// and the microkernel transport (ipc mode). The worker transport is worker_client.ts.
//
//   createFsProxy(transport, mask)   one generic function per method present in `mask`
//                                    (the back end's methods, learnt at connect): no stubs
//   IpcTransport                     Call on a badged endpoint capability
//
// IpcTransport's objects, retyped from the host's Untyped into the host CNode (the
// kernel-task's CSpace):
//   - a byte-area Frame (64 KiB), granted to the server once at connect: paths and other
//     strings of every call, and variable results (readlink, readdir pages);
//   - channels: a native TCB that makes the Call, plus its bounce Frame once needed.
//     One channel serves every call that answers at once; a call that comes back
//     "blocked" (the fs-task kept the reply: a FIFO, a tty) keeps its channel until the
//     reply wakes the TCB, and the next call takes (or creates) another. Arguments and
//     results of such calls are words only, so sharing the byte area is safe.
//
// File data (pread/pwrite). If the Uint8Array lies inside a frame the FrameDirectory
// knows, the call grants that frame: the fs-task reads or writes the caller's memory
// directly, and a 1 MiB read is one Call. Otherwise the data goes through the channel's
// bounce Frame (1 MiB, grown by retyping when a call needs more): copied in before a
// pwrite, copied out after a pread, one copy each way. If the Untyped cannot give a
// bigger frame the call moves what fits (a short count, which read(2) and write(2) allow).
//
// A grant is never the frame capability itself: each call mints, into the channel's
// grant slot, a child capability whose window covers only the pages of the buffer and
// whose rights are the one the call needs (Write for a pread: the fs-task fills the
// buffer; Read for a pwrite), sends that, and when the answer is in (at once, or when a
// blocked call's reply wakes the channel) revokes it (every copy the fs-task still
// holds goes) and deletes it. So the fs-task can touch those pages of that frame, that
// way, for that call only.
//
// Failures become -EIO (bool results: false), never a throw or a hang: a Call that fails,
// an endpoint nobody serves (the Call would queue forever: the TCB is stopped, which
// cancels it), a BadRequest reply.

import type { FileSystem } from "./file_system.ts";
import type { FrameDirectory } from "./frame_directory.ts";
import { HostCSpace, type IpcHost } from "../device-ipc/host_cspace.ts";
import {
  CONNECT_LABEL, ReplyStatus, WireError, WireReader, WireWriter, encodeArgs, errnoOf, hasMethod, methodEntries,
  type MethodEntry,
} from "./protocol.ts";
import { EFAULT, EIO, ENOMEM } from "./_errno.ts";
import { KernelError, PAGE_BYTES, Rights, type Frame, type Tcb } from "../microkernel/mod.ts";

export type FsTaskMode = "inproc" | "ipc" | "worker";

export interface FsTaskStats {
  /** Requests the fs-task has served for this client's server (or worker). */
  requests: number;
  /** Data calls that went through a bounce buffer instead of the caller's frame. */
  bounced: number;
}

/** What createFsTask() returns in ipc and worker mode: the API plus a way to stop. */
export interface FsTaskClient extends FileSystem {
  readonly mode: FsTaskMode;
  stats(): FsTaskStats;
  /** Stops the fs-task behind this client; later calls fail with -EIO. */
  stop(): Promise<void>;
}

/** One way of carrying a call to the fs-task. */
export interface FsTransport {
  readonly mode: FsTaskMode;
  /** Runs a call: its result, or a Promise of it; never throws. */
  invoke(entry: MethodEntry, args: readonly unknown[]): unknown;
  stats(): FsTaskStats;
  stop(): Promise<void>;
}

/** The FileSystem proxy: each method in `mask` becomes transport.invoke(entry, args). */
export function createFsProxy(transport: FsTransport, mask: number): FsTaskClient {
  const proxy: Record<string, unknown> = {
    mode: transport.mode,
    stats: () => transport.stats(),
    stop: () => transport.stop(),
  };
  for (const entry of methodEntries()) {
    if (hasMethod(mask, entry.spec.id)) proxy[entry.name] = (...args: unknown[]) => transport.invoke(entry, args);
  }
  return proxy as unknown as FsTaskClient;
}

export interface IpcClientOptions extends IpcHost {
  /** The badged endpoint capability, in the host CNode (FsIpcServer.mintClientCap()). */
  endpointCptr: number;
  /** Frames whose views may be granted directly (the kernel-task's guest memory). */
  frames?: FrameDirectory;
  /** Byte-area size (default 64 KiB). */
  byteArea?: number;
  /** First bounce frame size (default 1 MiB). */
  bounceBytes?: number;
  /** Where `requests` in stats() comes from (the server's counter, when known). */
  requests?: () => number;
}

interface Channel {
  tcb: Tcb;
  slot: number;
  bounce: Frame | null;
  bounceSlot: number;
  /** Where this channel's call mints its data grant; empty between calls. */
  grantSlot: number;
}

/** Where a bounced pread's bytes go once the reply is in. */
interface BounceOut {
  dst: Uint8Array;
  src: Uint8Array;
}

export class IpcTransport implements FsTransport {
  readonly mode = "ipc";
  /** Bit mask of the back end's methods, from the connect reply. */
  readonly mask: number;
  readonly #host: HostCSpace;
  readonly #ep: number;
  readonly #frames: FrameDirectory | null;
  readonly #bounceBytes: number;
  readonly #bytesSlot: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #idle: Channel[] = [];
  readonly #busy = new Set<Channel>();
  readonly #writer = new WireWriter();
  readonly #reader = new WireReader();
  readonly #requests: () => number;
  #bounced = 0;
  #stopped = false;

  /** Creates the client's objects and connects. Throws RangeError if that fails. */
  constructor(options: IpcClientOptions) {
    this.#host = new HostCSpace(options);
    this.#ep = options.endpointCptr;
    this.#frames = options.frames ?? null;
    this.#bounceBytes = options.bounceBytes ?? 1 << 20;
    this.#requests = options.requests ?? (() => -1);
    const area = this.#host.retype<Frame>("Frame", options.byteArea ?? 64 * 1024);
    if (area === null) throw new RangeError("Cannot connect to the fs-task: not enough memory");
    this.#bytesSlot = area.slot;
    this.#bytes = area.object.bytes;
    this.#view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    const mask = this.#control(this.#bytesSlot);
    if (mask < 0) throw new RangeError("Cannot connect to the fs-task: it does not answer");
    this.mask = mask;
  }

  invoke(entry: MethodEntry, args: readonly unknown[]): unknown {
    const spec = entry.spec;
    const ch = this.#stopped ? null : this.#channel();
    if (ch === null) return spec.result.error(EIO);
    const w = this.#writer.reset(ch.tcb.buffer, this.#bytes, this.#view);
    let extraCaps = 0;
    let out: BounceOut | null = null;
    try {
      encodeArgs(spec, args, w);
      if (w.data !== null) {
        const data = w.data;
        const hit = this.#frames?.find(data) ?? null;
        if (hit !== null && hit.frame.cptr >= 0) {
          this.#grant(ch, hit.frame.cptr, hit.frame.bytes.length, hit.offset, data.length, w.dataDir === "out");
          w.setRegion(0, hit.frame.bytes.length, hit.offset, data.length);
        } else {
          const bounce = this.#bounce(ch, data.length);
          const len = Math.min(data.length, bounce.length);
          if (w.dataDir === "in") bounce.set(data.subarray(0, len));
          else out = { dst: data, src: bounce };
          this.#grant(ch, ch.bounceSlot, bounce.length, 0, len, w.dataDir === "out");
          w.setRegion(0, bounce.length, 0, len);
          this.#bounced++;
        }
        ch.tcb.capsOut[0] = ch.grantSlot;
        extraCaps = 1;
      }
    } catch (err) {
      this.#revokeGrant(ch);
      this.#idle.push(ch);
      return spec.result.error(errnoOf(err));
    }
    const k = this.#host.kernel;
    const r = k.call(ch.tcb, this.#ep, spec.id, w.nWords, extraCaps);
    if (r.status === "completed") {
      const value = this.#finish(ch, entry, out);
      if (extraCaps > 0) this.#revokeGrant(ch);
      this.#idle.push(ch);
      return value;
    }
    if (r.status === "blocked" && ch.tcb.state === "BlockedOnReply" && spec.mayBlock) {
      this.#busy.add(ch);
      return new Promise((resolve) => {
        ch.tcb.onWake = () => {
          ch.tcb.onWake = null;
          this.#busy.delete(ch);
          const value = this.#finish(ch, entry, out);
          if (extraCaps > 0) this.#revokeGrant(ch);
          if (this.#stopped) this.#retire(ch);
          else this.#idle.push(ch);
          resolve(value);
        };
      });
    }
    this.#cancel(ch);
    return spec.result.error(EIO);
  }

  stats(): { requests: number; bounced: number } {
    return { requests: this.#requests(), bounced: this.#bounced };
  }

  /** Disconnects and deletes the client's objects. Pending calls resolve to -EIO. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#control(-1);
    this.#stopped = true;
    for (const ch of this.#busy) {
      ch.tcb.info.set(ReplyStatus.BadRequest, 0, 0, 0);
      ch.tcb.onWake?.(ch.tcb);
    }
    for (const ch of this.#idle.splice(0)) this.#retire(ch);
    this.#host.free(this.#bytesSlot);
  }

  /** CONNECT with the byte-area frame (or, with -1, a disconnect): the method mask or -1. */
  #control(frameSlot: number): number {
    const ch = this.#channel();
    if (ch === null) return -1;
    if (frameSlot >= 0) ch.tcb.capsOut[0] = frameSlot;
    const r = this.#host.kernel.call(ch.tcb, this.#ep, CONNECT_LABEL, 0, frameSlot >= 0 ? 1 : 0);
    if (r.status !== "completed") {
      this.#cancel(ch);
      return -1;
    }
    this.#idle.push(ch);
    if (ch.tcb.info.label !== ReplyStatus.Ok) return -1;
    return frameSlot < 0 ? 0 : this.#reader.reset(ch.tcb.buffer, ch.tcb.info.length, this.#bytes, this.#view).word();
  }

  /** Decodes the reply in the channel's buffer (and copies a bounced read out). */
  #finish(ch: Channel, entry: MethodEntry, out: BounceOut | null): unknown {
    const spec = entry.spec;
    const info = ch.tcb.info;
    if (info.label !== ReplyStatus.Ok) return spec.result.error(EIO);
    let value: unknown;
    try {
      value = spec.result.get(this.#reader.reset(ch.tcb.buffer, info.length, this.#bytes, this.#view));
    } catch (err) {
      return spec.result.error(errnoOf(err));
    }
    if (out !== null && typeof value === "number" && value > 0) out.dst.set(out.src.subarray(0, Math.min(value, out.dst.length)));
    return value;
  }

  #channel(): Channel | null {
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    const t = this.#host.thread();
    return t === null ? null : { tcb: t.tcb, slot: t.slot, bounce: null, bounceSlot: -1, grantSlot: this.#host.slots.take() };
  }

  /**
   * Mints the call's grant: the pages of frame `src` (bytes `extent`) that hold
   * [offset, offset + length), Write-only when the fs-task fills them (`fills`), else
   * Read-only. Throws WireError (EFAULT) if the microkernel refuses.
   */
  #grant(ch: Channel, src: number, extent: number, offset: number, length: number, fills: boolean): void {
    let first = offset - (offset % PAGE_BYTES);
    if (first >= extent) first = extent - PAGE_BYTES; // an empty view at the frame's end
    const end = Math.max(first + PAGE_BYTES, Math.ceil((offset + length) / PAGE_BYTES) * PAGE_BYTES);
    const h = this.#host;
    const rights = fills ? Rights.Write : Rights.Read;
    const r = h.kernel.cnodeMintWindow(h.authority, h.cnodeCptr, ch.grantSlot, h.cnodeCptr, src, rights, first, end - first);
    if (r.error !== KernelError.Ok) throw new WireError("Cannot grant the data frame", EFAULT);
  }

  /** Takes the call's grant back: the fs-task's copies first (revoke), then the grant. */
  #revokeGrant(ch: Channel): void {
    const h = this.#host;
    h.kernel.cnodeRevoke(h.authority, h.cnodeCptr, ch.grantSlot);
    h.kernel.cnodeDelete(h.authority, h.cnodeCptr, ch.grantSlot);
  }

  /** The channel's bounce frame, grown to `len` if the Untyped allows. */
  #bounce(ch: Channel, len: number): Uint8Array {
    if (ch.bounce !== null && ch.bounce.bytes.length >= len) return ch.bounce.bytes;
    const want = Math.max(this.#bounceBytes, Math.ceil(len / PAGE_BYTES) * PAGE_BYTES);
    let made = this.#host.retype<Frame>("Frame", want);
    // Short of memory: a first bounce frame as big as the Untyped allows, else keep the old one.
    for (let size = this.#bounceBytes; made === null && ch.bounce === null && size >= PAGE_BYTES; size >>= 1) {
      made = this.#host.retype<Frame>("Frame", size);
    }
    if (made === null) {
      if (ch.bounce === null) throw new WireError("Cannot bounce data: no memory for a bounce frame", ENOMEM);
      return ch.bounce.bytes;
    }
    if (ch.bounce !== null) this.#host.free(ch.bounceSlot);
    ch.bounce = made.object;
    ch.bounceSlot = made.slot;
    return ch.bounce.bytes;
  }

  /** Deletes a channel's TCB, grant and bounce frame. */
  #retire(ch: Channel): void {
    this.#revokeGrant(ch);
    this.#host.free(ch.grantSlot);
    this.#host.free(ch.slot);
    if (ch.bounce !== null) this.#host.free(ch.bounceSlot);
    ch.bounce = null;
  }

  /** Stops a Call that nobody answers (suspend cancels it) and retires the channel. */
  #cancel(ch: Channel): void {
    const k = this.#host.kernel;
    k.tcbSuspend(this.#host.authority, ch.slot);
    k.tcbResume(this.#host.authority, ch.slot);
    this.#revokeGrant(ch);
    this.#idle.push(ch);
  }
}
