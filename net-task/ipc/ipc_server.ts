// The net-task as a passive server TCB on a microkernel endpoint (ipc mode), as the
// fs-task's FsIpcServer is one; NetDispatcher does the work.
//
// Objects, retyped from the host's Untyped into the host CNode: the endpoint (all rights,
// the launcher's), the server TCB and its CNode. The client's capability is the endpoint
// badged (Write|Grant|GrantReply). Server CNode slots:
//   1  the endpoint, Read only       2  the CNode itself (names the receive slot)
//   3  the receive slot               4  the client's byte-area Frame (kept from CONNECT)
//   5  the client's Notification, Write only (kept from NOTIFY)
//
// A call's life: label = method id, argument words, strings and data in the byte area the
// client granted at CONNECT; the reply carries the result and the readiness events.
// Asynchronous news (the stack's timer or a device moved something): the server Signals
// the client's notification, and the client answers with a `sync` call that fetches the
// events. The signal is sent on the server's behalf from its timer (the TCB itself is
// parked in Recv between calls, as a passive server is), checked as an invocation would be:
// the capability in slot 5 must be a Notification with Write.
//
// A crash (dispatcher.ts: the service or the stack threw, or the test hook fired) goes on
// out of the handler to the passive server's `failed`: the call is left unanswered (its
// caller gets -EIO), onCrash hears of it, and the server frees its objects; so does a
// throw out of a timer's poll (NetStack.onFailure).

import { TaskCrash, type TaskFault } from "../../device-ipc/fault_hook.ts";
import { HostCSpace, type IpcHost } from "../../device-ipc/host_cspace.ts";
import { CNode, KernelError, Rights, hasRights, type Endpoint, type Frame, type Notification, type Reply, type Tcb } from "../../microkernel/mod.ts";
import { byteAreaResolver, NetDispatcher } from "./dispatcher.ts";
import { CONNECT_LABEL, ReplyStatus, WireReader, WireWriter } from "./protocol.ts";
import { type NetService } from "./socket_table.ts";

/** The label a client sends once with its notification capability. */
export const NOTIFY_LABEL = 0xfffe;

export interface NetServerOptions {
  /** Told (once) when the server crashed; it has then stopped serving. */
  onCrash?: (err: unknown) => void;
  /** Test hook: crash at the Nth request (device-ipc/fault_hook.ts). */
  faultHook?: TaskFault;
}

const SERVER_RADIX = 4;
const EP = 1, SELF = 2, RECEIVE = 3, BYTES = 4, NOTIFY = 5;

export class NetIpcServer {
  readonly endpointCptr: number;
  readonly dispatcher: NetDispatcher;
  readonly #host: HostCSpace;
  readonly #cnode: CNode;
  readonly #cnodeSlot: number;
  readonly #tcbSlot: number;
  readonly #reader = new WireReader();
  readonly #writer = new WireWriter();
  #bytes: Uint8Array | null = null;
  #view: DataView | null = null;
  #resolve: ReturnType<typeof byteAreaResolver> | null = null;
  readonly #onCrash: ((err: unknown) => void) | null;
  #badge = 0;
  #stopped = false;
  /** The server's loop threw: it serves nothing more. */
  crashed = false;

  /** Creates the server's objects and starts serving. Throws RangeError without memory. */
  constructor(service: NetService, host: IpcHost & NetServerOptions) {
    this.dispatcher = new NetDispatcher(service, host.faultHook ?? null);
    this.#onCrash = host.onCrash ?? null;
    const h = (this.#host = new HostCSpace(host));
    const k = h.kernel;
    const ep = h.retype<Endpoint>("Endpoint", 0);
    const cnode = h.retype<CNode>("CNode", SERVER_RADIX);
    const tcb = h.thread();
    if (ep === null || cnode === null || tcb === null) throw new RangeError("Cannot start the net-task: not enough memory");
    this.endpointCptr = ep.slot;
    this.#cnode = cnode.object;
    this.#cnodeSlot = cnode.slot;
    this.#tcbSlot = tcb.slot;
    k.cnodeMint(h.authority, cnode.slot, EP, h.cnodeCptr, ep.slot, Rights.Read, 0);
    k.cnodeCopy(h.authority, cnode.slot, SELF, h.cnodeCptr, cnode.slot, Rights.Read | Rights.Write);
    k.tcbConfigure(h.authority, tcb.slot, { cspaceRootCptr: cnode.slot, priority: 200 });
    tcb.tcb.receiveCnodeCptr = SELF;
    tcb.tcb.receiveIndex = RECEIVE;
    const served = k.serve(tcb.tcb, EP, {
      protected: (server, badge, reply) => this.#protected(server, badge, reply),
      failed: (err) => this.#crashed(err),
    });
    if (served.error !== KernelError.Ok) throw new Error(`Cannot start the net-task: microkernel error ${served.error}`);
    service.stack.onNews = () => this.#news();
    service.stack.onFailure = (err) => this.#crashed(err);
  }

  /** The one client's capability: the endpoint badged, in the host CNode. */
  mintClientCap(): number {
    this.#badge = 1;
    return this.#host.mint(this.endpointCptr, Rights.Write | Rights.Grant | Rights.GrantReply, this.#badge);
  }

  /** Frees the server's objects, then stops the stack (and closes its device); `linger` as NetStack.stop's. */
  async stop(options: { linger?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#host.free(this.#tcbSlot);
    this.#host.free(this.#cnodeSlot);
    this.#host.free(this.endpointCptr);
    await this.dispatcher.service.stack.stop(options);
  }

  /** The handler or a timer's poll threw: the net-task is dead; its owner hears of it at once. */
  #crashed(err: unknown): void {
    if (this.crashed || this.#stopped) return;
    this.crashed = true;
    this.#onCrash?.(err);
  }

  #protected(server: Tcb, badge: number, reply: Reply | null): void {
    const k = this.#host.kernel;
    const info = server.info;
    const granted = info.extraCaps > 0 && (info.capsUnwrapped & 1) === 0;
    let status: number = ReplyStatus.BadRequest;
    let words = 0;
    let answer = true;
    try {
      if (badge !== this.#badge || reply === null || this.crashed) return;
      if (info.label === CONNECT_LABEL || info.label === NOTIFY_LABEL) {
        status = this.#keep(info.label === CONNECT_LABEL ? BYTES : NOTIFY, granted, info.label === CONNECT_LABEL ? "Frame" : "Notification");
        if (status === ReplyStatus.Ok && info.label === CONNECT_LABEL) {
          const w = this.#writer.reset(server.buffer, this.#bytes!, this.#view!);
          w.word(0);
          words = w.nWords;
        }
        return;
      }
      if (this.#bytes === null) return;
      const r = this.#reader.reset(server.buffer, info.length, this.#bytes, this.#view!, this.#resolve);
      const w = this.#writer.reset(server.buffer, this.#bytes, this.#view!);
      status = this.dispatcher.dispatch(info.label, r, w);
      words = w.nWords;
    } catch (err) {
      // A crash goes on to the passive server, which tells #crashed; the call stays unanswered.
      if (err instanceof TaskCrash) {
        answer = false;
        throw err;
      }
      status = ReplyStatus.BadRequest;
      words = 0;
    } finally {
      k.cnodeDelete(this.#host.authority, this.#cnodeSlot, RECEIVE);
      if (reply !== null && answer) k.replyWith(reply, status, words);
    }
  }

  /** Moves a granted capability of `kind` into `slot` (CONNECT, NOTIFY). */
  #keep(slot: number, granted: boolean, kind: "Frame" | "Notification"): number {
    const cap = granted ? this.#cnode.capAt(RECEIVE) : null;
    const rights = kind === "Frame" ? Rights.Read | Rights.Write : Rights.Write;
    if (cap === null || cap.object.kind !== kind || !hasRights(cap.rights, rights)) return ReplyStatus.BadRequest;
    const h = this.#host;
    h.kernel.cnodeDelete(h.authority, this.#cnodeSlot, slot);
    h.kernel.cnodeMove(h.authority, this.#cnodeSlot, slot, this.#cnodeSlot, RECEIVE);
    if (kind === "Frame") {
      const bytes = (cap.object as Frame).bytes;
      this.#bytes = bytes;
      this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.#resolve = byteAreaResolver(bytes);
    }
    return ReplyStatus.Ok;
  }

  /** The stack moved on its own: signal the client if there is something to fetch. */
  #news(): void {
    const service = this.dispatcher.service;
    service.settle();
    if (this.#stopped || !service.hasEvents) return;
    const cap = this.#cnode.capAt(NOTIFY);
    if (cap === null || cap.object.kind !== "Notification" || !hasRights(cap.rights, Rights.Write)) return;
    (cap.object as Notification).signal(cap.badge);
  }
}
