// A FIFO of datagrams bounded by both a count and a byte total: the receive and send
// queues of UDP and ICMP sockets (Linux bounds them by SO_RCVBUF / SO_SNDBUF bytes).

export interface QueuedPacket {
  /** The peer (source on receive, destination on send). */
  addr: number;
  port: number;
  /** The local address it arrived on or should leave from (0 = let the route choose). */
  localAddr: number;
  payload: Uint8Array;
}

export class PacketQueue {
  readonly maxBytes: number;
  readonly maxPackets: number;
  #items: QueuedPacket[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxBytes: number, maxPackets: number) {
    this.maxBytes = maxBytes;
    this.maxPackets = maxPackets;
  }

  get length(): number { return this.#items.length - this.#head; }
  get bytes(): number { return this.#bytes; }

  /** True when a packet of `size` bytes would fit now. */
  fits(size: number): boolean {
    return this.length < this.maxPackets && this.#bytes + size <= this.maxBytes;
  }

  push(packet: QueuedPacket): boolean {
    if (!this.fits(packet.payload.length)) return false;
    this.#items.push(packet);
    this.#bytes += packet.payload.length;
    return true;
  }

  peek(): QueuedPacket | null {
    return this.#items[this.#head] ?? null;
  }

  shift(): QueuedPacket | null {
    const packet = this.#items[this.#head];
    if (packet === undefined) return null;
    this.#items[this.#head++] = undefined as unknown as QueuedPacket;
    this.#bytes -= packet.payload.length;
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return packet;
  }
}
