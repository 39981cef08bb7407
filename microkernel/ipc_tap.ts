// A kernel's IPC tap: one optional observer of every message the kernel copies from one
// thread to another (a Send, a Call, a fault message, a reply), for tracing and counters.
// seL4 keeps such hooks in its debug and benchmark builds; here the tap is always built
// and costs one field test per message while nobody listens.
//
// The observer sees the message after the copy: the receiver's info, badge and buffer
// hold it. It may read them but must not call into the kernel.

import type { KernelObject } from "./object.ts";
import type { Tcb } from "./tcb.ts";

export interface IpcObserver {
  /**
   * `length` words and `caps` capabilities went from `from` to `to`, through `endpoint`
   * (null: a reply).
   */
  message(from: Tcb, to: Tcb, label: number, length: number, caps: number, endpoint: KernelObject | null): void;
}

/** Where a kernel's threads find its observer. */
export class IpcTap {
  observer: IpcObserver | null = null;
}
