// The kernel-task's side of ipc mode: calls go as microkernel Calls on the badged endpoint
// (ipc_server.ts), and news comes back on a Notification.
//
// Objects, retyped from the host's Untyped into the host CNode: the byte-area Frame
// (256 KiB, granted to the server once, at CONNECT: strings, lists, send's and recv's
// bytes), a channel TCB that makes the Calls, a Notification (a Write-only copy goes to the
// server at NOTIFY) and a listener TCB that waits on it. Net calls never block in the
// net-task (an operation that would wait answers -EAGAIN), so one channel serves them all.
//
// Each reply's events go to the sink; when the server signals, the listener wakes and a
// `sync` call fetches what is due. Failures are -EIO (list results: empty), never a throw.

import { HostCSpace, type IpcHost } from "../../device-ipc/host_cspace.ts";
import { Rights, type Frame, type Notification, type Tcb } from "../../microkernel/mod.ts";
import { EIO } from "../../linux-abi/errno.ts";
import { type ReadinessSink } from "./api.ts";
import { finishRegion, placeRegion } from "./dispatcher.ts";
import { NOTIFY_LABEL } from "./ipc_server.ts";
import { CONNECT_LABEL, NET_PROTOCOL, ReplyStatus, WireReader, WireWriter, encodeNetArgs, errnoOf, readEvents, type NetMethodEntry } from "./protocol.ts";
import { dataCount, type NetTransport } from "./transport.ts";

const BYTE_AREA = 256 * 1024;
const SYNC: NetMethodEntry = { name: "sync", spec: NET_PROTOCOL.sync as NetMethodEntry["spec"] };

export class NetIpcTransport implements NetTransport {
  readonly mode = "ipc";
  sink: ReadinessSink | null = null;
  /** Its server tells (net_task.ts wires the server's onCrash here). */
  onDeath: ((err: unknown) => void) | null = null;
  readonly #host: HostCSpace;
  readonly #ep: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #slots: number[] = [];
  readonly #channel: Tcb;
  readonly #listener: Tcb;
  readonly #ntfnSlot: number;
  readonly #writer = new WireWriter();
  readonly #reader = new WireReader();
  #syncQueued = false;
  #stopped = false;

  /** Creates the client's objects and connects. Throws RangeError if that fails. */
  constructor(host: IpcHost & { endpointCptr: number }) {
    const h = (this.#host = new HostCSpace(host));
    this.#ep = host.endpointCptr;
    const area = h.retype<Frame>("Frame", BYTE_AREA);
    const ntfn = h.retype<Notification>("Notification", 0);
    const channel = h.thread();
    const listener = h.thread();
    if (area === null || ntfn === null || channel === null || listener === null) throw new RangeError("Cannot connect to the net-task: not enough memory");
    this.#slots.push(area.slot, ntfn.slot, channel.slot, listener.slot);
    this.#bytes = area.object.bytes;
    this.#view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    this.#channel = channel.tcb;
    this.#listener = listener.tcb;
    this.#ntfnSlot = ntfn.slot;
    const signalCap = h.mint(ntfn.slot, Rights.Write, 1);
    this.#slots.push(signalCap);
    if (!this.#control(CONNECT_LABEL, area.slot) || !this.#control(NOTIFY_LABEL, signalCap)) {
      throw new RangeError("Cannot connect to the net-task: it does not answer");
    }
    this.#listen();
  }

  invoke(entry: NetMethodEntry, args: readonly unknown[]): unknown {
    const spec = entry.spec;
    if (this.#stopped) return spec.result.error(EIO);
    const tcb = this.#channel;
    const w = this.#writer.reset(tcb.buffer, this.#bytes, this.#view);
    let placed;
    try {
      encodeNetArgs(spec, args, w);
      placed = placeRegion(w, this.#bytes);
    } catch (err) {
      return spec.result.error(errnoOf(err));
    }
    const r = this.#host.kernel.call(tcb, this.#ep, spec.id, w.nWords, 0);
    if (r.status !== "completed" || tcb.info.label !== ReplyStatus.Ok) return spec.result.error(EIO);
    let value: unknown;
    let more = false;
    try {
      const reader = this.#reader.reset(tcb.buffer, tcb.info.length, this.#bytes, this.#view);
      value = spec.result.get(reader);
      finishRegion(placed, dataCount(value));
      more = readEvents(reader, (id, mask) => this.sink?.(id, mask));
    } catch (err) {
      return spec.result.error(errnoOf(err));
    }
    if (more) this.#queueSync();
    return value;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#listener.onWake = null;
    for (const slot of this.#slots.splice(0).reverse()) this.#host.free(slot);
  }

  kill(): Promise<void> {
    return this.stop();
  }

  /** A CONNECT or NOTIFY call carrying the capability in `slot`; true when the server took it. */
  #control(label: number, slot: number): boolean {
    const tcb = this.#channel;
    tcb.capsOut[0] = slot;
    const r = this.#host.kernel.call(tcb, this.#ep, label, 0, 1);
    return r.status === "completed" && tcb.info.label === ReplyStatus.Ok;
  }

  /** Waits on the notification; a signal (now or later) queues a sync. */
  #listen(): void {
    if (this.#stopped) return;
    this.#listener.onWake = () => this.#queueSync();
    const r = this.#host.kernel.wait(this.#listener, this.#ntfnSlot);
    if (r.status === "completed") this.#queueSync();
  }

  #queueSync(): void {
    if (this.#syncQueued || this.#stopped) return;
    this.#syncQueued = true;
    queueMicrotask(() => {
      this.#syncQueued = false;
      this.invoke(SYNC, []);
      if (this.#listener.state !== "BlockedOnNotification") this.#listen();
    });
  }
}
