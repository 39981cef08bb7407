// The fs-task's server side.
//
//   FsDispatcher   transport-free: one request (method id + WireReader) → the back end
//                  call → the result in a WireWriter, or a Promise for a blocking call.
//                  Driven by FS_PROTOCOL; no per-method code. Used by both the ipc server
//                  below and the worker (worker.ts).
//   FsIpcServer    the fs-task as a passive server TCB on a microkernel endpoint. One
//                  server holds every back end of a user kernel (attach()); a client
//                  capability's badge names the back end it reaches.
//
// FsIpcServer's objects, retyped from the host's Untyped:
//
//   host CNode:  endpoint (all rights, kept by the launcher), the server TCB, the server's
//                CNode. Neither the server nor its clients hold these.
//   client CNode (the host CNode unless mintClientCap() names another: a user kernel's
//                kernel-task has its own): one badged endpoint capability per client
//                (Write|Grant|GrantReply, badge = client id, bound to one back end).
//   server CNode (the server TCB's CSpace, 256 slots):
//     1  the endpoint, Read only (what the server receives on)
//     2  the server CNode itself (names the receive slot)
//     3  the receive slot: a Frame capability granted with the current call lands here
//     4  the server's memory quota: an Untyped capability the host moved in (quotaCptr),
//        which the tmpfs back ends it serves charge their pages to (`quota`)
//     5… held frames: each client's byte-area frame (granted once, at connect) and the
//        data frame of every call still pending
//
// A call's life: the client's Call carries label = method id, the argument words, and for
// pread/pwrite one Frame capability (the caller's buffer or the client's bounce frame).
// protected() decodes, checks that the granted capability is a Frame with the right
// (Write to fill it, Read to take from it) and that offset+length lies inside its window
// (the client grants only the pages of the buffer, ipc_client.ts), calls
// the back end on a view of the frame, and replies at once; the granted capability is
// deleted before the next receive. A back end that answers with a Promise (FIFO, tty)
// keeps the reply handle: the frame capability moves to a held slot, which keeps the
// frame alive however the client's own capability fares, and the reply goes out when the
// Promise settles. Slot housekeeping uses the launcher's authority over the server CNode
// (the server TCB is parked in Recv when a Promise settles, and a parked thread cannot
// invoke anything).
//
// Failures: anything the back end throws is -EIO for that call (bool results: false);
// a malformed request, an unknown method or a client that never connected gets the
// reply label BadRequest, which the client also turns into -EIO.

import type { FileSystem } from "./file_system.ts";
import { HostCSpace, type IpcHost, type SlotAllocator } from "../device-ipc/host_cspace.ts";
import type { MemoryQuota } from "./_paged_bytes.ts";
import { untypedQuota } from "./untyped_quota.ts";
import {
  CONNECT_LABEL, ReplyStatus, WireReader, WireWriter, decodeArgs, errnoOf, methodById, methodMask,
  type DataDirection, type MethodEntry, type MethodSpec,
} from "./protocol.ts";
import { EIO, ENOSYS } from "./_errno.ts";
import { FsTaskCrash, type FsFault } from "./_fault_hook.ts";
import { CNode, KernelError, Rights, hasRights, type Endpoint, type Frame, type Reply, type Tcb } from "../microkernel/mod.ts";

/** A blocking call still running: its method and its eventual result. */
export interface PendingCall {
  readonly entry: MethodEntry;
  readonly result: Promise<unknown>;
}

export class FsDispatcher {
  readonly backend: FileSystem;
  /** Requests served so far (each Call, each ring request). */
  requests = 0;
  /** Test hook (_fault_hook.ts): the fs-task crashes at its Nth request. */
  readonly #fault: FsFault | null;
  /**
   * One argument array per method id, reused call after call (a call's arguments are
   * spread into the back end's method and then cleared, so nothing outlives the call).
   */
  readonly #args: unknown[][] = [];

  constructor(backend: FileSystem, fault: FsFault | null = null) {
    this.backend = backend;
    this.#fault = fault;
  }

  /** Bit mask of the methods the back end implements (see protocol.ts methodMask). */
  get mask(): number {
    return methodMask(this.backend);
  }

  /**
   * Runs request `label`. Returns a ReplyStatus with the result already in `w`, or a
   * PendingCall whose result goes out later through encode().
   */
  dispatch(label: number, r: WireReader, w: WireWriter): number | PendingCall {
    this.requests++;
    this.#fault?.check();
    const entry = methodById(label);
    if (entry === undefined) return ReplyStatus.BadRequest;
    const spec = entry.spec;
    const args = (this.#args[spec.id] ??= new Array<unknown>(spec.args.length));
    let value: unknown;
    try {
      decodeArgs(spec, r, args);
      const method = (this.backend as unknown as Record<string, unknown>)[entry.name];
      value = typeof method === "function" ? method.apply(this.backend, args) : spec.result.error(ENOSYS);
    } catch (err) {
      value = spec.result.error(errnoOf(err));
    } finally {
      args.fill(undefined);
    }
    if (value instanceof Promise) {
      return { entry, result: value.then((v) => v, () => spec.result.error(EIO)) };
    }
    this.encode(spec, value, w);
    return ReplyStatus.Ok;
  }

  /** Writes a result; one that cannot be encoded (a bad value from the back end) is -EIO. */
  encode(spec: MethodSpec, value: unknown, w: WireWriter): void {
    try {
      spec.result.put(w, value as never);
    } catch (err) {
      w.nWords = 0;
      w.nBytes = 0;
      spec.result.put(w, spec.result.error(errnoOf(err)) as never);
    }
  }
}

const SERVER_RADIX = 8;
const EP = 1, SELF = 2, RECEIVE = 3, QUOTA = 4, FIRST_HELD = 5;

interface ClientState {
  bytes: Uint8Array;
  view: DataView;
  slot: number;
}

/** A minted client capability: the back end its badge reaches, and where it sits. */
interface Badge {
  backend: number;
  into: ClientCSpace | null;
  cap: number;
}

/** Where a client's capability goes: its CNode, as the host's CSpace names it, and its free slots. */
export interface ClientCSpace {
  cnodeCptr: number;
  slots: SlotAllocator;
}

export interface FsIpcServerOptions extends IpcHost {
  /** Told (once) when the server's loop has crashed and it has stopped. */
  onCrash?: (err: unknown) => void;
  /** Test hook: crash at the Nth request (_fault_hook.ts). */
  fault?: FsFault;
  /** An Untyped capability in the host CNode to move into the server's CNode as its quota. */
  quotaCptr?: number;
}

export class FsIpcServer {
  /** The endpoint capability (all rights) in the host CNode. */
  readonly endpointCptr: number;
  readonly #host: HostCSpace;
  readonly #tcb: Tcb;
  readonly #endpoint: Endpoint;
  readonly #tcbSlot: number;
  readonly #cnode: CNode;
  readonly #cnodeSlot: number;
  readonly #clients = new Map<number, ClientState>();
  readonly #freeHeld: number[] = [];
  /** Back ends by index; a detached one leaves a null. */
  readonly #dispatchers: (FsDispatcher | null)[] = [];
  readonly #badges = new Map<number, Badge>();
  readonly #reader = new WireReader();
  readonly #writer = new WireWriter();
  readonly #fault: FsFault | null;
  readonly #onCrash: ((err: unknown) => void) | null;
  #nextBadge = 1;
  #stopped = false;
  /** The server's loop threw: it serves nothing more (its owner starts another). */
  crashed = false;

  /** What tmpfs back ends served here charge: the quota Untyped in the server's CNode; null without one. */
  readonly quota: MemoryQuota | null = null;

  /** Creates the server's objects from `host` and starts serving. Throws RangeError without memory. */
  constructor(host: FsIpcServerOptions) {
    const h = (this.#host = new HostCSpace(host));
    const k = h.kernel;
    const ep = h.retype<Endpoint>("Endpoint", 0);
    const cnode = h.retype<CNode>("CNode", SERVER_RADIX);
    const tcb = h.thread();
    if (ep === null || cnode === null || tcb === null) throw new RangeError("Cannot start the fs-task: not enough memory");
    this.endpointCptr = ep.slot;
    this.#endpoint = ep.object;
    this.#cnode = cnode.object;
    this.#cnodeSlot = cnode.slot;
    this.#tcb = tcb.tcb;
    this.#tcbSlot = tcb.slot;
    for (let i = cnode.object.slotCount - 1; i >= FIRST_HELD; i--) this.#freeHeld.push(i);
    k.cnodeMint(h.authority, cnode.slot, EP, h.cnodeCptr, ep.slot, Rights.Read, 0);
    k.cnodeCopy(h.authority, cnode.slot, SELF, h.cnodeCptr, cnode.slot, Rights.Read | Rights.Write);
    if (host.quotaCptr !== undefined) {
      k.cnodeMove(h.authority, cnode.slot, QUOTA, h.cnodeCptr, host.quotaCptr);
      this.quota = untypedQuota(cnode.object, QUOTA);
    }
    k.tcbConfigure(h.authority, tcb.slot, { cspaceRootCptr: cnode.slot, priority: 200 });
    this.#tcb.receiveCnodeCptr = SELF;
    this.#tcb.receiveIndex = RECEIVE;
    this.#fault = host.fault ?? null;
    this.#onCrash = host.onCrash ?? null;
    const served = k.serve(this.#tcb, EP, {
      protected: (server, badge, reply) => this.#protected(server, badge, reply),
      failed: (err) => this.#crashed(err),
    });
    if (served.error !== KernelError.Ok) throw new Error(`Cannot start the fs-task: microkernel error ${served.error}`);
  }

  /** The server's thread and the endpoint it receives on (for traces and counters). */
  get thread(): Tcb {
    return this.#tcb;
  }

  get endpoint(): Endpoint {
    return this.#endpoint;
  }

  /** Requests served, over every back end. */
  get requests(): number {
    let n = 0;
    for (const d of this.#dispatchers) n += d?.requests ?? 0;
    return n;
  }

  /**
   * The serving loop threw (a crash: the fault hook, or a bug outside the dispatcher's
   * guard): the message is dropped, its caller's Call comes back unanswered (-EIO), every
   * later call is refused (-EIO), its owner hears of it at once, and once the handler has
   * returned the server stops.
   */
  #crashed(err: unknown): void {
    if (this.crashed) return;
    this.crashed = true;
    try {
      this.#onCrash?.(err);
    } finally {
      queueMicrotask(() => this.stop());
    }
  }

  /** Serves `backend` too: its index, for mintClientCap(). */
  attach(backend: FileSystem): number {
    this.#dispatchers.push(new FsDispatcher(backend, this.#fault));
    return this.#dispatchers.length - 1;
  }

  /** Stops serving back end `index`: its clients' capabilities are deleted. */
  detach(index: number): void {
    this.#dispatchers[index]?.backend.releaseBlocked?.();
    this.#dispatchers[index] = null;
    for (const [badge, b] of this.#badges) {
      if (b.backend !== index) continue;
      this.#disconnect(badge);
      this.#deleteClientCap(b);
      this.#badges.delete(badge);
    }
  }

  /**
   * A new client's capability for back end `index`: the endpoint badged with a fresh id,
   * Write|Grant|GrantReply, in the host CNode or in the client's own (`into`). Its slot
   * there. Throws RangeError if the microkernel refuses.
   */
  mintClientCap(index: number, into?: ClientCSpace): number {
    const badge = this.#nextBadge++;
    const rights = Rights.Write | Rights.Grant | Rights.GrantReply;
    let cap: number;
    if (into === undefined) cap = this.#host.mint(this.endpointCptr, rights, badge);
    else {
      const h = this.#host;
      cap = into.slots.take();
      const r = h.kernel.cnodeMint(h.authority, into.cnodeCptr, cap, h.cnodeCptr, this.endpointCptr, rights, badge);
      if (r.error !== KernelError.Ok) {
        into.slots.give(cap);
        throw new RangeError(`Cannot mint a client capability: microkernel error ${r.error}`);
      }
    }
    this.#badges.set(badge, { backend: index, into: into ?? null, cap });
    return cap;
  }

  #deleteClientCap(b: Badge): void {
    if (b.into === null) {
      this.#host.free(b.cap);
      return;
    }
    this.#host.kernel.cnodeDelete(this.#host.authority, b.into.cnodeCptr, b.cap);
    b.into.slots.give(b.cap);
  }

  /** Stops serving and destroys the server's objects; pending calls are never answered. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const d of this.#dispatchers) d?.backend.releaseBlocked?.();
    for (const b of this.#badges.values()) this.#deleteClientCap(b);
    this.#host.free(this.#tcbSlot);
    this.#host.free(this.#cnodeSlot);
    this.#host.free(this.endpointCptr);
    this.#clients.clear();
  }

  #protected(server: Tcb, badge: number, reply: Reply | null): void {
    const info = server.info;
    // A capability that came with the call sits in RECEIVE until the end of this call
    // (none came: the slot is already empty, left so by the call before).
    const capsIn = info.extraCaps > 0;
    const granted = capsIn && (info.capsUnwrapped & 1) === 0;
    try {
      if (info.label === CONNECT_LABEL) {
        this.#connect(server, badge, reply, granted);
        return;
      }
      const client = this.#clients.get(badge);
      const dispatcher = this.#dispatcherOf(badge);
      if (client === undefined || dispatcher === null || reply === null || this.crashed) {
        this.#answer(reply, ReplyStatus.BadRequest, 0);
        return;
      }
      const r = this.#reader.reset(server.buffer, info.length, client.bytes, client.view, granted ? this.#resolveGrant : null);
      const w = this.#writer.reset(server.buffer, client.bytes, client.view);
      const out = dispatcher.dispatch(info.label, r, w);
      if (typeof out === "number") {
        this.#answer(reply, out, w.nWords);
        return;
      }
      const held = granted ? this.#hold(RECEIVE) : -1;
      out.result.then((value) => {
        if (held >= 0) this.#release(held);
        if (this.#stopped) return;
        const late = this.#writer.reset(this.#tcb.buffer, client.bytes, client.view);
        dispatcher.encode(out.entry.spec, value, late);
        this.#host.kernel.replyWith(reply, ReplyStatus.Ok, late.nWords);
      });
    } catch (err) {
      // A crash goes on to the passive server, which tells #crashed; any other throw is a
      // bug in this file (the dispatcher catches the back end's throws).
      if (err instanceof FsTaskCrash) throw err;
      this.#answer(reply, ReplyStatus.BadRequest, 0);
    } finally {
      if (capsIn) this.#host.kernel.cnodeDelete(this.#host.authority, this.#cnodeSlot, RECEIVE);
    }
  }

  /**
   * Decodes the call's grant before any byte is touched: a Frame capability, with Write
   * to fill the region (pread) or Read to take from it (pwrite), whose window covers the
   * whole region. Anything else is null: the call fails with EFAULT.
   */
  #resolveGrant = (ref: number, _extent: number, offset: number, length: number, dir: DataDirection): Uint8Array | null => {
    const cap = ref === 0 ? this.#cnode.capAt(RECEIVE) : null;
    if (cap === null || cap.object.kind !== "Frame") return null;
    if (!hasRights(cap.rights, dir === "out" ? Rights.Write : Rights.Read)) return null;
    if (!cap.covers(offset, length)) return null;
    return (cap.object as Frame).bytes.subarray(offset, offset + length);
  };

  #dispatcherOf(badge: number): FsDispatcher | null {
    const b = this.#badges.get(badge);
    return b === undefined ? null : this.#dispatchers[b.backend] ?? null;
  }

  #disconnect(badge: number): void {
    const old = this.#clients.get(badge);
    if (old === undefined) return;
    this.#release(old.slot);
    this.#clients.delete(badge);
  }

  /** CONNECT: keeps the client's byte-area frame and answers with the method mask. */
  #connect(server: Tcb, badge: number, reply: Reply | null, granted: boolean): void {
    this.#disconnect(badge);
    const dispatcher = this.#dispatcherOf(badge);
    const cap = granted ? this.#cnode.capAt(RECEIVE) : null;
    if (dispatcher === null) {
      this.#answer(reply, ReplyStatus.BadRequest, 0);
      return;
    }
    if (cap === null || cap.object.kind !== "Frame" || !hasRights(cap.rights, Rights.Read | Rights.Write)) {
      // No frame: a disconnect (or a bad connect).
      this.#answer(reply, granted ? ReplyStatus.BadRequest : ReplyStatus.Ok, 0);
      return;
    }
    const bytes = (cap.object as Frame).bytes;
    const slot = this.#hold(RECEIVE);
    this.#clients.set(badge, { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), slot });
    const w = this.#writer.reset(server.buffer, bytes, this.#clients.get(badge)!.view);
    w.word(dispatcher.mask);
    this.#answer(reply, ReplyStatus.Ok, w.nWords);
  }

  #answer(reply: Reply | null, status: number, length: number): void {
    if (reply !== null) this.#host.kernel.replyWith(reply, status, length);
  }

  /** Moves the capability in `slot` to a free held slot; -1 if none is free. */
  #hold(slot: number): number {
    const held = this.#freeHeld.pop();
    if (held === undefined) return -1;
    const k = this.#host.kernel;
    k.cnodeMove(this.#host.authority, this.#cnodeSlot, held, this.#cnodeSlot, slot);
    return held;
  }

  #release(held: number): void {
    if (held < 0 || this.#stopped) return;
    this.#host.kernel.cnodeDelete(this.#host.authority, this.#cnodeSlot, held);
    this.#freeHeld.push(held);
  }
}
