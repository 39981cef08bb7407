// One-shot reply objects (seL4 non-MCS reply capabilities).
//
// Every TCB owns one Reply, created with it. A Call through a capability
// with Grant or GrantReply arms the caller's Reply for the receiver; the
// receiver (or a passive server keeping it as a handle) answers once and
// the Reply disarms. Reusing the object per call keeps Call/Reply
// allocation-free. Answering a Reply whose caller no longer waits does
// nothing. When a waiting caller is cancelled (suspend) its TCB gets a fresh
// Reply, so a server holding the old one can never answer a later call.

import { transferMessage } from "./_transfer.ts";
import { KernelObject } from "./object.ts";
import type { Tcb } from "./tcb.ts";

export class Reply extends KernelObject {
  /** The thread this reply goes back to. */
  readonly caller: Tcb;
  #server: Tcb | null = null;
  #canGrant = false;

  constructor(caller: Tcb) {
    // Lives inside its TCB's memory, so it accounts no bytes of its own.
    super("Reply", 0, null);
    this.caller = caller;
  }

  get armed(): boolean {
    return this.#server !== null;
  }

  /** The thread that received the call and may answer it. */
  get server(): Tcb | null {
    return this.#server;
  }

  arm(server: Tcb, canGrant: boolean): void {
    this.#server = server;
    this.#canGrant = canGrant;
  }

  disarm(): void {
    this.#server = null;
  }

  /** Lives as long as its TCB: losing every capability to it changes nothing. */
  override finalise(): void {}

  /** seL4 doReplyTransfer: delivers `from`'s message words to the caller and wakes it. */
  deliver(from: Tcb, label: number, length: number, extraCaps: number): void {
    if (this.#server === null) return;
    this.#server = null;
    const caller = this.caller;
    if (caller.state !== "BlockedOnReply" || caller.reply !== this) return;
    transferMessage(from, label, length, extraCaps, caller, 0, this.#canGrant, null);
    caller.wake();
  }
}
