// Thread control blocks (seL4 src/object/tcb.c and the thread-state half
// of kernel/thread.c).
//
// A TCB is "native" (TypeScript code drives it through kernel calls and is
// told to continue through onWake) or "guest" (machine code on the CPU
// platform, which owns `vcpu`; waking puts it on the run queue).
//
// State: Inactive → (resume) Running ⇄ Blocked* → ... Only block(),
// wake() and suspend() change it. wake() on a thread still inside its own
// kernel call (inSyscall) only marks it Running: that call returns the
// result directly — this is how a Call answered synchronously completes in
// the same JS turn without re-entering the caller.

import { KernelError, type KernelErrorCode } from "./errors.ts";
import { MSG_MAX_EXTRA_CAPS, MSG_MAX_WORDS, MessageInfo, createMessageBuffer, type MessageBuffer } from "./message.ts";
import { KernelObject, type MemorySource } from "./object.ts";
import { IpcTap } from "./ipc_tap.ts";
import { Reply } from "./reply.ts";
import type { AddressSpace } from "./address_space.ts";
import type { CNode } from "./cnode.ts";
import type { Notification } from "./notification.ts";
import type { PassiveServer } from "./passive.ts";
import type { Scheduler } from "./scheduler.ts";

export const TCB_BYTES = 2048;

export type ThreadKind = "native" | "guest";

export type ThreadState =
  | "Inactive"
  | "Running"
  | "BlockedOnSend"
  | "BlockedOnRecv"
  | "BlockedOnReply"
  | "BlockedOnNotification";

/** The queue a blocked thread waits in (an Endpoint or a Notification). */
export interface Blocker {
  cancelBlocked(tcb: Tcb): void;
}

export interface TcbOptions {
  threadKind?: ThreadKind;
  /** Externally owned message buffer (e.g. native memory); never replaced. */
  buffer?: MessageBuffer;
  /** The kernel's IPC tap (default: one of its own, which nobody listens to). */
  tap?: IpcTap;
}

export class Tcb extends KernelObject {
  readonly threadKind: ThreadKind;
  /** CPU context of a guest thread; owned by the platform, null for native. */
  vcpu: unknown = null;
  /** Native threads: called when the thread becomes runnable after blocking. */
  onWake: ((tcb: Tcb) => void) | null = null;
  /** Who is told of the messages this thread receives (its kernel's tap). */
  readonly tap: IpcTap;
  /** A name for traces and counters (seL4_DebugNameThread); "" when none was given. */
  debugName = "";

  // Configuration, set by TCB invocations.
  cspaceRoot: CNode | null = null;
  /** Looked up in cspaceRoot when a fault happens (0 = none). */
  faultEndpointCptr = 0;
  addressSpace: AddressSpace | null = null;
  timeSliceMs: number;
  boundNotification: Notification | null = null;

  // The thread's IPC buffer: written by the thread before a kernel call.
  readonly buffer: MessageBuffer;
  /** Cptrs of the extra caps to send (seL4_SetCap). */
  readonly capsOut = new Uint32Array(MSG_MAX_EXTRA_CAPS);
  /** Where a received capability lands: a CNode cptr and an index in it. */
  receiveCnodeCptr = 0;
  receiveIndex = 0;

  // Delivery results, written by the kernel when a message arrives.
  readonly info = new MessageInfo();
  badge = 0;
  readonly unwrappedBadges = new Float64Array(MSG_MAX_EXTRA_CAPS);
  /** The last wake-up came from a notification (label 0, badge = its word). */
  fromNotification = false;
  /** InvalidCapability when a blocked operation was aborted (object deleted). */
  ipcError: KernelErrorCode = KernelError.Ok;

  // IPC bookkeeping, guarded by endpoint, notification and reply code.
  /** The message being sent; kept while blocked on send. */
  readonly outInfo = new MessageInfo();
  blockedOn: Blocker | null = null;
  ipcBadge = 0;
  ipcCanGrant = false;
  ipcCanGrantReply = false;
  ipcIsCall = false;
  epNext: Tcb | null = null;
  epPrev: Tcb | null = null;
  /** This thread's own reply object, armed while it waits in a Call. */
  reply: Reply;
  /** The reply for the Call this thread last received (seL4 tcbCaller). */
  callerReply: Reply | null = null;
  passive: PassiveServer | null = null;
  inSyscall = false;

  // Run queue links, guarded by the scheduler.
  schedNext: Tcb | null = null;
  schedPrev: Tcb | null = null;
  inRunQueue = false;

  #state: ThreadState = "Inactive";
  #priority = 0;
  readonly #scheduler: Scheduler;

  constructor(parent: MemorySource | null, scheduler: Scheduler, options: TcbOptions = {}) {
    super("Tcb", TCB_BYTES, parent);
    this.#scheduler = scheduler;
    this.threadKind = options.threadKind ?? "native";
    this.buffer = options.buffer ?? createMessageBuffer();
    this.tap = options.tap ?? new IpcTap();
    if (this.buffer.length < MSG_MAX_WORDS * 2) throw new RangeError(`Cannot use message buffer: ${this.buffer.length} uint32 is too short`);
    this.timeSliceMs = scheduler.defaultTimeSliceMs;
    this.reply = new Reply(this);
  }

  get state(): ThreadState {
    return this.#state;
  }

  get priority(): number {
    return this.#priority;
  }

  setPriority(priority: number): void {
    const queued = this.inRunQueue;
    if (queued) this.#scheduler.dequeue(this);
    this.#priority = priority;
    if (queued) this.#scheduler.enqueue(this);
  }

  /** Leaves the run queue in a blocked (or Inactive) state. */
  block(state: ThreadState, on: Blocker | null): void {
    this.#state = state;
    this.blockedOn = on;
    if (this.inRunQueue) this.#scheduler.dequeue(this);
  }

  /** Makes the thread runnable and lets whoever drives it continue. */
  wake(): void {
    const prev = this.#state;
    this.#state = "Running";
    this.blockedOn = null;
    if (this.inSyscall) return;
    if (this.passive !== null) this.passive.run(this, prev);
    else if (this.threadKind === "guest") this.#scheduler.enqueue(this);
    else if (this.onWake !== null) this.onWake(this);
  }

  /** seL4 suspend: abort any IPC in progress and stop. */
  suspend(): void {
    this.cancelIpc();
    this.block("Inactive", null);
  }

  /** seL4 cancelIPC: leave whatever queue or reply wait the thread is in. */
  cancelIpc(): void {
    const state = this.#state;
    if (state === "BlockedOnReply") {
      this.reply.disarm();
      this.reply = new Reply(this);
    } else if (this.blockedOn !== null) {
      this.blockedOn.cancelBlocked(this);
      this.blockedOn = null;
    }
  }

  override finalise(): void {
    if (this.destroyed) return;
    this.suspend();
    this.reply.disarm();
    this.boundNotification?.unbind();
    this.passive = null;
    this.callerReply = null;
    this.onWake = null;
    super.finalise();
  }
}
