// Synchronous IPC endpoints (seL4 src/object/endpoint.c).
//
// An endpoint holds one FIFO of blocked threads, all senders or all
// receivers (its state says which), like seL4. send() meets a waiting
// receiver or queues the sender; receive() meets a waiting sender or queues
// the receiver. A Call through a capability with Grant or GrantReply arms
// the caller's Reply for the receiver; without either the caller becomes
// Inactive, as in seL4. Deleting the endpoint wakes every queued thread with
// ipcError = InvalidCapability (seL4 restarts them and their retried call
// fails the capability lookup).
//
// Nothing here allocates: queues are intrusive and outcomes are string
// constants.

import { TcbQueue } from "./_tcb_queue.ts";
import { transferMessage } from "./_transfer.ts";
import { KernelError } from "./errors.ts";
import type { IpcStatus } from "./message.ts";
import { KernelObject, type MemorySource } from "./object.ts";
import type { Blocker, Tcb } from "./tcb.ts";

export const ENDPOINT_BYTES = 16;

export type EndpointState = "idle" | "send" | "recv";

export class Endpoint extends KernelObject implements Blocker {
  #queue = new TcbQueue();
  #state: EndpointState = "idle";

  constructor(parent: MemorySource | null) {
    super("Endpoint", ENDPOINT_BYTES, parent);
  }

  get state(): EndpointState {
    return this.#state;
  }

  /** seL4 sendIPC. The message is sender.outInfo plus its buffer. */
  send(sender: Tcb, badge: number, canGrant: boolean, canGrantReply: boolean, isCall: boolean, blocking: boolean): void {
    if (this.#state === "recv") {
      const receiver = this.#pop();
      const out = sender.outInfo;
      transferMessage(sender, out.label, out.length, out.extraCaps, receiver, badge, canGrant, this);
      if (isCall) {
        if (canGrant || canGrantReply) {
          sender.reply.arm(receiver, receiver.ipcCanGrant);
          receiver.callerReply = sender.reply;
          sender.block("BlockedOnReply", null);
        } else sender.block("Inactive", null);
      }
      receiver.wake();
    } else if (blocking) {
      sender.ipcBadge = badge;
      sender.ipcCanGrant = canGrant;
      sender.ipcCanGrantReply = canGrantReply;
      sender.ipcIsCall = isCall;
      sender.block("BlockedOnSend", this);
      this.#queue.append(sender);
      this.#state = "send";
    }
    // Non-blocking send with nobody waiting: the message is dropped.
  }

  /** seL4 receiveIPC; canGrant is the receiver's Grant right (for the reply). */
  receive(receiver: Tcb, canGrant: boolean, blocking: boolean): IpcStatus {
    receiver.callerReply = null;
    const ntfn = receiver.boundNotification;
    if (ntfn !== null && ntfn.active) {
      ntfn.completeSignal(receiver);
      return "completed";
    }
    if (this.#state === "send") {
      const sender = this.#pop();
      const out = sender.outInfo;
      transferMessage(sender, out.label, out.length, out.extraCaps, receiver, sender.ipcBadge, sender.ipcCanGrant, this);
      if (!sender.ipcIsCall) sender.wake();
      else if (sender.ipcCanGrant || sender.ipcCanGrantReply) {
        sender.reply.arm(receiver, canGrant);
        receiver.callerReply = sender.reply;
        sender.block("BlockedOnReply", null);
      } else sender.block("Inactive", null);
      return "completed";
    }
    if (!blocking) return "wouldBlock";
    receiver.ipcCanGrant = canGrant;
    receiver.block("BlockedOnRecv", this);
    this.#queue.append(receiver);
    this.#state = "recv";
    return "blocked";
  }

  cancelBlocked(tcb: Tcb): void {
    this.#queue.remove(tcb);
    if (this.#queue.isEmpty) this.#state = "idle";
  }

  override finalise(): void {
    if (this.destroyed) return;
    super.finalise();
    let tcb: Tcb | null;
    while ((tcb = this.#queue.popHead()) !== null) {
      tcb.ipcError = KernelError.InvalidCapability;
      tcb.wake();
    }
    this.#state = "idle";
  }

  #pop(): Tcb {
    const tcb = this.#queue.popHead() as Tcb;
    if (this.#queue.isEmpty) this.#state = "idle";
    return tcb;
  }
}
