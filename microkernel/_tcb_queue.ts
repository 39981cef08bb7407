// Intrusive FIFO of blocked threads (seL4 tcb_queue_t), threaded through
// Tcb.epNext/epPrev so queueing and removal never allocate. A blocked
// thread is in at most one endpoint or notification queue.

import type { Tcb } from "./tcb.ts";

export class TcbQueue {
  head: Tcb | null = null;
  tail: Tcb | null = null;

  get isEmpty(): boolean {
    return this.head === null;
  }

  append(tcb: Tcb): void {
    tcb.epPrev = this.tail;
    tcb.epNext = null;
    if (this.tail === null) this.head = tcb;
    else this.tail.epNext = tcb;
    this.tail = tcb;
  }

  remove(tcb: Tcb): void {
    if (tcb.epPrev === null) this.head = tcb.epNext;
    else tcb.epPrev.epNext = tcb.epNext;
    if (tcb.epNext === null) this.tail = tcb.epPrev;
    else tcb.epNext.epPrev = tcb.epPrev;
    tcb.epPrev = null;
    tcb.epNext = null;
  }

  popHead(): Tcb | null {
    const tcb = this.head;
    if (tcb !== null) this.remove(tcb);
    return tcb;
  }
}
