// The system-call surface (seL4 kernel/syscall.c and the entry points of the
// invocation decoders), plus boot.
//
// Every call names the calling Tcb and capability pointers: a cptr is a slot
// index in the caller's CSpace root CNode (one-level lookup). Calls:
//
//   IPC        send nbSend call recv nbRecv reply replyRecv yield
//              signal wait poll; serve/replyWith (passive servers);
//              deliverFault (the CPU platform, on a guest trap); ipcObserver
//              (the IPC tap: tracing and counters)
//   objects    untypedRetype, cnode{Copy,Mint,MintWindow,Move,Mutate,Delete,
//              Revoke,SaveCaller}, tcb{Configure,BindNotification,
//              UnbindNotification,Resume,Suspend}
//
// Handlers stay thin: look up the capabilities, check kind and rights, then
// hand over to the object's file. Results are frozen records shared by every
// call, so the IPC paths allocate nothing; the message itself is read from
// the Tcb (info, badge, buffer).
//
// Boot: a root Untyped of the requested size and a root CNode holding
// RootSlot.Untyped, RootSlot.CNode (itself) and RootSlot.Tcb (the root task).

import { CapabilityPool, type Capability } from "./capability.ts";
import { CNode, deleteCap } from "./cnode.ts";
import { IpcTap, type IpcObserver } from "./ipc_tap.ts";
import type { Endpoint } from "./endpoint.ts";
import { KernelError, userError, type KernelErrorCode } from "./errors.ts";
import { FaultLabel, type FaultKind } from "./fault.ts";
import { defaultFrameAllocator, type FrameAllocator } from "./frame.ts";
import { clampExtraCaps, clampLength, type IpcStatus } from "./message.ts";
import type { Notification } from "./notification.ts";
import type { ObjectKind } from "./object.ts";
import { PassiveServer, type PassiveHandler } from "./passive.ts";
import type { Reply } from "./reply.ts";
import { AllRights, Rights, hasRights, type RightsMask } from "./rights.ts";
import { MAX_PRIORITY, MIN_PRIORITY, Scheduler } from "./scheduler.ts";
import { Tcb } from "./tcb.ts";
import { Untyped, type RetypeOptions, type RetypeResult } from "./untyped.ts";
import type { AddressSpace } from "./address_space.ts";

export const RootSlot = { Untyped: 1, CNode: 2, Tcb: 3 } as const;
export const DEFAULT_ROOT_CNODE_RADIX = 12;

export interface KernelOptions {
  /** Size of the root Untyped: all memory the system may carve. */
  untypedBytes: number;
  rootCnodeRadix?: number;
  frameAllocator?: FrameAllocator;
  timeSliceMs?: number;
}

export interface IpcResult {
  readonly error: KernelErrorCode;
  readonly status: IpcStatus;
}

export interface InvocationResult {
  readonly error: KernelErrorCode;
}

export interface TcbConfig {
  faultEndpointCptr?: number;
  cspaceRootCptr?: number;
  addressSpaceCptr?: number;
  priority?: number;
  timeSliceMs?: number;
}

const CODES = Object.values(KernelError) as KernelErrorCode[];
const FAILED: readonly IpcResult[] = CODES.map((error) => Object.freeze({ error, status: "failed" as IpcStatus }));
const RESULTS: readonly InvocationResult[] = CODES.map((error) => Object.freeze({ error }));
const COMPLETED: IpcResult = Object.freeze({ error: KernelError.Ok, status: "completed" });
const BLOCKED: IpcResult = Object.freeze({ error: KernelError.Ok, status: "blocked" });
const WOULD_BLOCK: IpcResult = Object.freeze({ error: KernelError.Ok, status: "wouldBlock" });
const INACTIVE: IpcResult = Object.freeze({ error: KernelError.Ok, status: "inactive" });
const NO_FAULT_HANDLER: IpcResult = Object.freeze({ error: KernelError.InvalidCapability, status: "inactive" });

export class Kernel {
  readonly scheduler: Scheduler;
  readonly rootUntyped: Untyped;
  readonly rootCnode: CNode;
  readonly rootTcb: Tcb;
  readonly #caps = new CapabilityPool();
  readonly #tap = new IpcTap();

  constructor(options: KernelOptions) {
    const { untypedBytes, rootCnodeRadix = DEFAULT_ROOT_CNODE_RADIX } = options;
    if (!Number.isSafeInteger(untypedBytes) || untypedBytes < 1) {
      throw new RangeError(`Cannot boot kernel: untypedBytes must be a positive integer, got ${untypedBytes}`);
    }
    if (!Number.isInteger(rootCnodeRadix) || rootCnodeRadix < 2 || rootCnodeRadix > 20) {
      throw new RangeError(`Cannot boot kernel: rootCnodeRadix must be 2..20, got ${rootCnodeRadix}`);
    }
    this.scheduler = new Scheduler(options.timeSliceMs);
    const env = { scheduler: this.scheduler, frames: options.frameAllocator ?? defaultFrameAllocator, caps: this.#caps, tap: this.#tap };
    this.rootUntyped = new Untyped(untypedBytes, null, env);
    this.rootCnode = new CNode(rootCnodeRadix, null, this.#caps);
    this.rootTcb = new Tcb(null, this.scheduler, { tap: this.#tap });
    this.rootTcb.cspaceRoot = this.rootCnode;
    this.rootCnode.insert(RootSlot.Untyped, this.#caps.create(this.rootUntyped, AllRights, 0), null);
    this.rootCnode.insert(RootSlot.CNode, this.#caps.create(this.rootCnode, AllRights, 0), null);
    this.rootCnode.insert(RootSlot.Tcb, this.#caps.create(this.rootTcb, AllRights, 0), null);
    this.rootTcb.wake();
  }

  // ---- IPC -----------------------------------------------------------------

  /** Who hears of every message this kernel copies (null: nobody); see ipc_tap.ts. */
  get ipcObserver(): IpcObserver | null {
    return this.#tap.observer;
  }

  set ipcObserver(observer: IpcObserver | null) {
    this.#tap.observer = observer;
  }

  /** Blocking send on an endpoint; on a notification it signals, on a saved reply it replies. */
  send(caller: Tcb, cptr: number, label: number, length: number, extraCaps = 0): IpcResult {
    return this.#send(caller, cptr, label, length, extraCaps, true, false);
  }

  /** Send that drops the message when no receiver waits. */
  nbSend(caller: Tcb, cptr: number, label: number, length: number, extraCaps = 0): IpcResult {
    return this.#send(caller, cptr, label, length, extraCaps, false, false);
  }

  /** Send, then wait for the reply: "completed" means the reply is in caller.buffer. */
  call(caller: Tcb, cptr: number, label: number, length: number, extraCaps = 0): IpcResult {
    return this.#send(caller, cptr, label, length, extraCaps, true, true);
  }

  recv(caller: Tcb, cptr: number): IpcResult {
    return this.#recv(caller, cptr, true);
  }

  /** Recv that returns "wouldBlock" at once when nothing is waiting. */
  nbRecv(caller: Tcb, cptr: number): IpcResult {
    return this.#recv(caller, cptr, false);
  }

  /** Answers the Call this thread last received; a no-op if there is none. */
  reply(caller: Tcb, label: number, length: number, extraCaps = 0): IpcResult {
    if (caller.state !== "Running") return failed(KernelError.IllegalOperation, "Reply: calling thread is not running");
    const reply = caller.callerReply;
    if (reply !== null) {
      caller.callerReply = null;
      reply.deliver(caller, label, clampLength(length), clampExtraCaps(extraCaps));
    }
    return COMPLETED;
  }

  replyRecv(caller: Tcb, cptr: number, label: number, length: number, extraCaps = 0): IpcResult {
    const result = this.reply(caller, label, length, extraCaps);
    return result.error !== KernelError.Ok ? result : this.#recv(caller, cptr, true);
  }

  /** Guest threads go to the back of their priority; native ones yield with await. */
  yield(caller: Tcb): IpcResult {
    if (caller.threadKind === "guest") this.scheduler.yield(caller);
    return COMPLETED;
  }

  signal(caller: Tcb, cptr: number): IpcResult {
    if (caller.state !== "Running") return failed(KernelError.IllegalOperation, "Signal: calling thread is not running");
    const cap = lookup(caller, cptr);
    if (cap === null || cap.object.kind !== "Notification") return failed(KernelError.InvalidCapability, "Signal: not a notification capability");
    if (!hasRights(cap.rights, Rights.Write)) return failed(KernelError.InvalidCapability, "Signal: notification capability lacks Write");
    (cap.object as Notification).signal(cap.badge);
    return COMPLETED;
  }

  wait(caller: Tcb, cptr: number): IpcResult {
    return this.#recv(caller, cptr, true, "Notification");
  }

  /** Returns the notification word (caller.badge) without blocking; "wouldBlock" if none. */
  poll(caller: Tcb, cptr: number): IpcResult {
    return this.#recv(caller, cptr, false, "Notification");
  }

  /** Makes a native thread a passive server on the endpoint at cptr. */
  serve(tcb: Tcb, cptr: number, handler: PassiveHandler): IpcResult {
    if (tcb.threadKind !== "native") return failed(KernelError.IllegalOperation, "Serve: only native threads can be passive");
    if (tcb.state !== "Running" || tcb.passive !== null) return failed(KernelError.IllegalOperation, "Serve: thread is not running or already serving");
    const cap = lookup(tcb, cptr);
    if (cap === null || cap.object.kind !== "Endpoint" || !hasRights(cap.rights, Rights.Read)) {
      return failed(KernelError.InvalidCapability, "Serve: needs an endpoint capability with Read");
    }
    const server = new PassiveServer(handler, cptr);
    tcb.passive = server;
    server.run(tcb, null);
    return statusOf(tcb);
  }

  /** Answers a reply handle with words from its server's buffer; a no-op once answered. */
  replyWith(handle: Reply, label: number, length: number): IpcResult {
    const server = handle.server;
    if (server === null) return COMPLETED;
    if (server.callerReply === handle) server.callerReply = null;
    handle.deliver(server, label, clampLength(length), 0);
    return COMPLETED;
  }

  /**
   * Sends the fault message already in tcb.buffer as a Call on the thread's
   * fault endpoint. "completed": the reply is in tcb.buffer; "blocked": it
   * comes later (the thread is then queued to run); "inactive": no handler.
   */
  deliverFault(tcb: Tcb, kind: FaultKind, length: number): IpcResult {
    if (tcb.state !== "Running") return failed(KernelError.IllegalOperation, "Fault: thread is not running");
    const cap = lookup(tcb, tcb.faultEndpointCptr);
    if (
      cap === null ||
      cap.object.kind !== "Endpoint" ||
      !hasRights(cap.rights, Rights.Write) ||
      !(hasRights(cap.rights, Rights.Grant) || hasRights(cap.rights, Rights.GrantReply))
    ) {
      userError("Fault: no valid fault endpoint, thread made Inactive");
      tcb.suspend();
      return NO_FAULT_HANDLER;
    }
    tcb.outInfo.set(FaultLabel[kind], clampLength(length), 0, 0);
    return this.#enterSend(tcb, cap, true, true);
  }

  // ---- Object invocations --------------------------------------------------

  untypedRetype(
    caller: Tcb,
    untypedCptr: number,
    kind: ObjectKind,
    size: number,
    count: number,
    destCnodeCptr: number,
    destIndex: number,
    options: RetypeOptions = {},
  ): RetypeResult {
    const ucap = lookup(caller, untypedCptr);
    if (caller.state !== "Running" || ucap === null || ucap.object.kind !== "Untyped") {
      return retypeFailed(KernelError.InvalidCapability, "Untyped Retype: not an Untyped capability");
    }
    const untyped = ucap.object as Untyped;
    const error = untyped.decodeRetype(kind, size, count, options);
    if (error !== KernelError.Ok) return { error, objects: [] };
    const dest = lookupCNode(caller, destCnodeCptr);
    if (dest === null) return retypeFailed(KernelError.FailedLookup, "Untyped Retype: destination is not a CNode");
    if (!dest.isValidIndex(destIndex) || !dest.isValidIndex(destIndex + count - 1)) {
      return retypeFailed(KernelError.RangeError, "Untyped Retype: destination slots out of range");
    }
    for (let i = 0; i < count; i++) {
      if (dest.capAt(destIndex + i) !== null) return retypeFailed(KernelError.DeleteFirst, "Untyped Retype: destination slot occupied");
    }
    const result = untyped.retype(kind, size, count, options);
    result.objects.forEach((object, i) => dest.insert(destIndex + i, this.#caps.create(object, AllRights, 0), ucap));
    return result;
  }

  cnodeCopy(caller: Tcb, destCnodeCptr: number, destIndex: number, srcCnodeCptr: number, srcIndex: number, rights: RightsMask): InvocationResult {
    return this.#onPair(caller, destCnodeCptr, srcCnodeCptr, (dest, src) => dest.copy(destIndex, src, srcIndex, rights));
  }

  cnodeMint(
    caller: Tcb,
    destCnodeCptr: number,
    destIndex: number,
    srcCnodeCptr: number,
    srcIndex: number,
    rights: RightsMask,
    badge: number,
  ): InvocationResult {
    return this.#onPair(caller, destCnodeCptr, srcCnodeCptr, (dest, src) => dest.mint(destIndex, src, srcIndex, rights, badge));
  }

  /** CNode MintWindow: a Frame capability narrowed to `length` bytes at `offset` (page multiples). */
  cnodeMintWindow(
    caller: Tcb,
    destCnodeCptr: number,
    destIndex: number,
    srcCnodeCptr: number,
    srcIndex: number,
    rights: RightsMask,
    offset: number,
    length: number,
  ): InvocationResult {
    return this.#onPair(caller, destCnodeCptr, srcCnodeCptr, (dest, src) => dest.mintWindow(destIndex, src, srcIndex, rights, offset, length));
  }

  cnodeMove(caller: Tcb, destCnodeCptr: number, destIndex: number, srcCnodeCptr: number, srcIndex: number): InvocationResult {
    return this.#onPair(caller, destCnodeCptr, srcCnodeCptr, (dest, src) => dest.move(destIndex, src, srcIndex));
  }

  cnodeMutate(
    caller: Tcb,
    destCnodeCptr: number,
    destIndex: number,
    srcCnodeCptr: number,
    srcIndex: number,
    rights: RightsMask,
    badge: number,
  ): InvocationResult {
    return this.#onPair(caller, destCnodeCptr, srcCnodeCptr, (dest, src) => dest.mutate(destIndex, src, srcIndex, rights, badge));
  }

  cnodeDelete(caller: Tcb, cnodeCptr: number, index: number): InvocationResult {
    const cnode = this.#invokedCNode(caller, cnodeCptr);
    return cnode === null ? RESULTS[KernelError.InvalidCapability] : RESULTS[cnode.delete(index)];
  }

  cnodeRevoke(caller: Tcb, cnodeCptr: number, index: number): InvocationResult {
    const cnode = this.#invokedCNode(caller, cnodeCptr);
    return cnode === null ? RESULTS[KernelError.InvalidCapability] : RESULTS[cnode.revoke(index)];
  }

  /** seL4 CNode_SaveCaller: moves the pending reply into a slot, to answer later with send(). */
  cnodeSaveCaller(caller: Tcb, cnodeCptr: number, index: number): InvocationResult {
    const cnode = this.#invokedCNode(caller, cnodeCptr);
    if (cnode === null) return RESULTS[KernelError.InvalidCapability];
    if (!cnode.isValidIndex(index)) return invocationFailed(KernelError.FailedLookup, "CNode SaveCaller: index out of range");
    if (cnode.capAt(index) !== null) return invocationFailed(KernelError.DeleteFirst, "CNode SaveCaller: destination slot is occupied");
    const reply = caller.callerReply;
    if (reply !== null) {
      caller.callerReply = null;
      cnode.insert(index, this.#caps.create(reply, AllRights, 0), null);
    }
    return RESULTS[KernelError.Ok];
  }

  tcbConfigure(caller: Tcb, tcbCptr: number, config: TcbConfig): InvocationResult {
    const tcb = this.#invokedTcb(caller, tcbCptr);
    if (tcb === null) return RESULTS[KernelError.InvalidCapability];
    const { faultEndpointCptr, cspaceRootCptr, addressSpaceCptr, priority, timeSliceMs } = config;
    let cspace: CNode | null = null;
    let space: AddressSpace | null = null;
    if (faultEndpointCptr !== undefined && (!Number.isInteger(faultEndpointCptr) || faultEndpointCptr < 0)) {
      return invocationFailed(KernelError.InvalidArgument, "TCB Configure: bad fault endpoint cptr");
    }
    if (cspaceRootCptr !== undefined && (cspace = lookupCNode(caller, cspaceRootCptr)) === null) {
      return invocationFailed(KernelError.FailedLookup, "TCB Configure: CSpace root is not a CNode");
    }
    if (addressSpaceCptr !== undefined) {
      const cap = lookup(caller, addressSpaceCptr);
      if (cap === null || cap.object.kind !== "AddressSpace") return invocationFailed(KernelError.FailedLookup, "TCB Configure: not an address space");
      space = cap.object as AddressSpace;
    }
    if (priority !== undefined && (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY)) {
      return invocationFailed(KernelError.RangeError, `TCB Configure: priority ${priority} is outside 0..255`);
    }
    if (timeSliceMs !== undefined && !(timeSliceMs > 0 && Number.isFinite(timeSliceMs))) {
      return invocationFailed(KernelError.RangeError, "TCB Configure: time slice must be a positive number of ms");
    }
    if (faultEndpointCptr !== undefined) tcb.faultEndpointCptr = faultEndpointCptr;
    if (cspace !== null) tcb.cspaceRoot = cspace;
    if (space !== null) tcb.addressSpace = space;
    if (priority !== undefined) tcb.setPriority(priority);
    if (timeSliceMs !== undefined) tcb.timeSliceMs = timeSliceMs;
    return RESULTS[KernelError.Ok];
  }

  tcbBindNotification(caller: Tcb, tcbCptr: number, ntfnCptr: number): InvocationResult {
    const tcb = this.#invokedTcb(caller, tcbCptr);
    if (tcb === null) return RESULTS[KernelError.InvalidCapability];
    const cap = lookup(caller, ntfnCptr);
    if (cap === null || cap.object.kind !== "Notification") return invocationFailed(KernelError.InvalidCapability, "TCB BindNotification: not a notification");
    const ntfn = cap.object as Notification;
    if (!hasRights(cap.rights, Rights.Read)) return invocationFailed(KernelError.IllegalOperation, "TCB BindNotification: capability lacks Read");
    if (tcb.boundNotification !== null || ntfn.boundTcb !== null || ntfn.hasWaiters) {
      return invocationFailed(KernelError.IllegalOperation, "TCB BindNotification: already bound or has waiters");
    }
    ntfn.bind(tcb);
    return RESULTS[KernelError.Ok];
  }

  tcbUnbindNotification(caller: Tcb, tcbCptr: number): InvocationResult {
    const tcb = this.#invokedTcb(caller, tcbCptr);
    if (tcb === null) return RESULTS[KernelError.InvalidCapability];
    if (tcb.boundNotification === null) return invocationFailed(KernelError.IllegalOperation, "TCB UnbindNotification: nothing bound");
    tcb.boundNotification.unbind();
    return RESULTS[KernelError.Ok];
  }

  /** Starts an Inactive thread (guest: onto the run queue; native: onWake). */
  tcbResume(caller: Tcb, tcbCptr: number): InvocationResult {
    const tcb = this.#invokedTcb(caller, tcbCptr);
    if (tcb === null) return RESULTS[KernelError.InvalidCapability];
    if (tcb.state === "Inactive") tcb.wake();
    return RESULTS[KernelError.Ok];
  }

  tcbSuspend(caller: Tcb, tcbCptr: number): InvocationResult {
    const tcb = this.#invokedTcb(caller, tcbCptr);
    if (tcb === null) return RESULTS[KernelError.InvalidCapability];
    tcb.suspend();
    return RESULTS[KernelError.Ok];
  }

  // ---- Internals -------------------------------------------------------------

  #send(caller: Tcb, cptr: number, label: number, length: number, extraCaps: number, blocking: boolean, isCall: boolean): IpcResult {
    if (caller.state !== "Running") return failed(KernelError.IllegalOperation, "Send: calling thread is not running");
    const cap = lookup(caller, cptr);
    if (cap === null) return failed(KernelError.InvalidCapability, "Send: no capability at cptr");
    const kind = cap.object.kind;
    if (kind === "Endpoint") {
      if (!hasRights(cap.rights, Rights.Write)) return failed(KernelError.InvalidCapability, "Send: endpoint capability lacks Write");
      caller.outInfo.set(label, clampLength(length), clampExtraCaps(extraCaps), 0);
      return this.#enterSend(caller, cap, blocking, isCall);
    }
    if (isCall) return failed(KernelError.InvalidCapability, "Call: not an endpoint capability");
    if (kind === "Notification") return this.signal(caller, cptr);
    if (kind === "Reply") {
      // A saved reply capability is one-shot: it goes away as it is used.
      const reply = cap.object as Reply;
      deleteCap(cap);
      reply.deliver(caller, label, clampLength(length), clampExtraCaps(extraCaps));
      return COMPLETED;
    }
    return failed(KernelError.InvalidCapability, "Send: capability does not take messages");
  }

  /** Runs an endpoint send with the caller marked in-kernel (see Tcb.wake). */
  #enterSend(caller: Tcb, cap: Capability, blocking: boolean, isCall: boolean): IpcResult {
    const rights = cap.rights;
    const was = caller.inSyscall;
    caller.inSyscall = true;
    (cap.object as Endpoint).send(
      caller,
      cap.badge,
      hasRights(rights, Rights.Grant),
      hasRights(rights, Rights.GrantReply),
      isCall,
      blocking,
    );
    caller.inSyscall = was;
    return statusOf(caller);
  }

  #recv(caller: Tcb, cptr: number, blocking: boolean, only?: ObjectKind): IpcResult {
    if (caller.state !== "Running" || caller.passive !== null) {
      return failed(KernelError.IllegalOperation, "Recv: calling thread is not running or is a passive server");
    }
    const cap = lookup(caller, cptr);
    const kind = cap === null ? null : cap.object.kind;
    if (cap === null || (only !== undefined && kind !== only)) return failed(KernelError.InvalidCapability, "Recv: wrong or missing capability");
    if (kind !== "Endpoint" && kind !== "Notification") return failed(KernelError.InvalidCapability, "Recv: capability does not deliver messages");
    if (!hasRights(cap.rights, Rights.Read)) return failed(KernelError.InvalidCapability, "Recv: capability lacks Read");
    if (kind === "Endpoint") return outcome((cap.object as Endpoint).receive(caller, hasRights(cap.rights, Rights.Grant), blocking));
    const ntfn = cap.object as Notification;
    if (ntfn.boundTcb !== null && ntfn.boundTcb !== caller) return failed(KernelError.IllegalOperation, "Wait: notification is bound to another thread");
    return outcome(ntfn.wait(caller, blocking));
  }

  /** Resolves the invoked (destination) CNode and the source root, then runs op. */
  #onPair(caller: Tcb, destCptr: number, srcCptr: number, op: (dest: CNode, src: CNode) => KernelErrorCode): InvocationResult {
    const dest = this.#invokedCNode(caller, destCptr);
    if (dest === null) return RESULTS[KernelError.InvalidCapability];
    const src = lookupCNode(caller, srcCptr);
    if (src === null) return invocationFailed(KernelError.FailedLookup, "CNode: source root is not a CNode");
    return RESULTS[op(dest, src)];
  }

  #invokedCNode(caller: Tcb, cptr: number): CNode | null {
    const cnode = caller.state === "Running" ? lookupCNode(caller, cptr) : null;
    if (cnode === null) userError("CNode invocation: caller not running or not a CNode capability");
    return cnode;
  }

  #invokedTcb(caller: Tcb, cptr: number): Tcb | null {
    const cap = caller.state === "Running" ? lookup(caller, cptr) : null;
    if (cap !== null && cap.object.kind === "Tcb") return cap.object as Tcb;
    userError("TCB invocation: caller not running or not a TCB capability");
    return null;
  }
}

function lookup(tcb: Tcb, cptr: number): Capability | null {
  const root = tcb.cspaceRoot;
  return root === null ? null : root.capAt(cptr);
}

function lookupCNode(tcb: Tcb, cptr: number): CNode | null {
  const cap = lookup(tcb, cptr);
  return cap !== null && cap.object.kind === "CNode" ? (cap.object as CNode) : null;
}

function statusOf(tcb: Tcb): IpcResult {
  const state = tcb.state;
  return state === "Running" ? COMPLETED : state === "Inactive" ? INACTIVE : BLOCKED;
}

function outcome(status: IpcStatus): IpcResult {
  return status === "completed" ? COMPLETED : status === "blocked" ? BLOCKED : WOULD_BLOCK;
}

function failed(code: KernelErrorCode, msg: string): IpcResult {
  userError(msg);
  return FAILED[code];
}

function invocationFailed(code: KernelErrorCode, msg: string): InvocationResult {
  userError(msg);
  return RESULTS[code];
}

function retypeFailed(error: KernelErrorCode, msg: string): RetypeResult {
  userError(msg);
  return { error, objects: [] };
}
