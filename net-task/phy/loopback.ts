// The loopback device: IP medium, what is transmitted is received, with Linux lo's MTU
// (65536) and a bounded queue (Linux's netdev_max_backlog, 1000).

import { type Device } from "./device.ts";
import { FrameQueue } from "./frame_queue.ts";

export class Loopback implements Device {
  readonly medium = "ip";
  readonly checksumOffload = true;
  readonly mtu: number;
  readonly #queue: FrameQueue;

  constructor(options: { mtu?: number; queueLimit?: number } = {}) {
    this.mtu = options.mtu ?? 65536;
    this.#queue = new FrameQueue(options.queueLimit ?? 1000);
  }

  receive(): Uint8Array | null {
    return this.#queue.shift();
  }

  transmit(_now: number, frame: Uint8Array): boolean {
    return this.#queue.push(frame);
  }
}
