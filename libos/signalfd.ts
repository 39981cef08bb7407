// signalfd objects (Linux: fs/signalfd.c): pending signals of a mask, read as records.
//
// Everything is relative to the thread asking, as Linux's `current`: a read dequeues
// signals of the mask pending for the reading thread (its own first, then its process's),
// blocked or not, as struct signalfd_siginfo records; poll reports POLLIN while one is
// pending for the polling thread; the readiness queue is that thread's signal handlers'
// (notified whenever a signal is queued there). A signalfd inherited by fork so reads
// the child's signals. Signals meant for it are usually blocked, so that they wait for
// the read instead of being delivered.

import { EAGAIN, EINVAL } from "../linux-abi/errno.ts";
import { POLLIN } from "../linux-abi/poll.ts";
import type { Sigset } from "../linux-abi/signal.ts";
import { SIZEOF_SIGNALFD_SIGINFO, encodeSignalfdSiginfo } from "../linux-abi/signalfd.ts";
import { AnonInodeFile } from "./anon_inode.ts";
import type { SignalHandlers, Thread } from "./process.ts";
import { firstSignal } from "./signals.ts";
import type { WaitQueue } from "./wait_queue.ts";

export class SignalFd extends AnonInodeFile {
  readonly #caller: () => Thread | null;
  /** The creator's handlers: the queue when no call is being served. */
  readonly #home: SignalHandlers;

  constructor(
    /** The signals it reads (never SIGKILL or SIGSTOP). */
    public mask: Sigset,
    creator: Thread,
    /** The thread whose syscall is being served. */
    caller: () => Thread | null,
  ) {
    super("signalfd");
    this.#home = creator.process.handlers;
    this.#caller = caller;
  }

  get readiness(): WaitQueue {
    return (this.#caller()?.process.handlers ?? this.#home).signalfdReadiness;
  }

  /** signalfd(2) on an existing descriptor: a new mask, which pollers look at again. */
  setMask(mask: Sigset): void {
    this.mask = mask;
    this.readiness.notify();
  }

  override read(dst: Uint8Array, _offset: number, caller?: Thread): number {
    const max = Math.floor(dst.length / SIZEOF_SIGNALFD_SIGINFO);
    if (max === 0 || !caller) return -EINVAL;
    let n = 0;
    for (; n < max; n++) {
      const own = caller.pending.set & this.mask;
      const sig = firstSignal(own !== 0n ? own : caller.process.pending.set & this.mask);
      if (sig === 0) break;
      const info = (own !== 0n ? caller.pending : caller.process.pending).take(sig);
      if (!info) break;
      const at = n * SIZEOF_SIGNALFD_SIGINFO;
      dst.fill(0, at, at + SIZEOF_SIGNALFD_SIGINFO);
      encodeSignalfdSiginfo(new DataView(dst.buffer, dst.byteOffset + at, SIZEOF_SIGNALFD_SIGINFO), 0, info);
    }
    return n > 0 ? n * SIZEOF_SIGNALFD_SIGINFO : -EAGAIN;
  }

  poll(caller: Thread): number {
    return ((caller.pending.set | caller.process.pending.set) & this.mask) !== 0n ? POLLIN : 0;
  }
}
