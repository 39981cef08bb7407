// An in-memory Ethernet link between two interfaces (two net-tasks, or two ends in a test):
// each end's transmit queues the frame on the other end's receive queue, bounded like a NIC
// ring. Frames move as references; nothing is copied. An end given a waker calls it when a
// frame lands in its empty queue (the receiver drains it whole on each poll), and at once
// when frames came before the waker did, so each side can be driven by its own loop.
// Both ends live on one thread; across threads a link is a frame ring (frame_ring.ts).

import { type Device } from "./device.ts";
import { FrameQueue } from "./frame_queue.ts";

export interface LinkOptions {
  /** The IP MTU of both ends (default 1500). */
  mtu?: number;
  /** Frames each direction holds before it drops (default 1000). */
  queueLimit?: number;
}

export class LinkEnd implements Device {
  readonly medium = "ethernet";
  readonly mtu: number;
  readonly #inbox: FrameQueue;
  #peer: LinkEnd | null = null;
  #waker: (() => void) | null = null;
  /** Frames and bytes this end handed to its peer. */
  sentFrames = 0;
  sentBytes = 0;

  constructor(mtu: number, queueLimit: number) {
    this.mtu = mtu;
    this.#inbox = new FrameQueue(queueLimit);
  }

  /** Frames waiting to be received at this end. */
  get pending(): number { return this.#inbox.length; }

  receive(): Uint8Array | null {
    return this.#inbox.shift();
  }

  transmit(_now: number, frame: Uint8Array): boolean {
    const peer = this.#peer;
    if (peer === null || !peer.#inbox.push(frame)) return false;
    this.sentFrames++;
    this.sentBytes += frame.length;
    if (peer.#inbox.length === 1) peer.#waker?.();
    return true;
  }

  setWaker(waker: (() => void) | null): void {
    this.#waker = waker;
    if (waker !== null && this.#inbox.length > 0) waker();
  }

  static connect(a: LinkEnd, b: LinkEnd): void {
    a.#peer = b;
    b.#peer = a;
  }
}

/** Two ends joined to each other. */
export function createLink(options: LinkOptions = {}): [LinkEnd, LinkEnd] {
  const mtu = options.mtu ?? 1500, limit = options.queueLimit ?? 1000;
  const a = new LinkEnd(mtu, limit), b = new LinkEnd(mtu, limit);
  LinkEnd.connect(a, b);
  return [a, b];
}
