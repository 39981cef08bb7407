// UDP sockets: bind to a local endpoint, optionally connect to one peer (then only its
// datagrams are received), send to and receive from bounded datagram queues. The socket
// does no I/O: the interface delivers with process() and drains the send queue with
// dispatch().
//
//   app side        bind, connect, sendTo, recvFrom, close, readiness
//   interface side  accepts, process, dispatch, pollAt

import { type Ipv4Address } from "../wire/address.ts";
import { IPV4_HEADER_LEN, IPV4_MAX_PACKET } from "../wire/ipv4.ts";
import { UDP_HEADER_LEN } from "../wire/udp.ts";
import { type SocketContext } from "./context.ts";
import { type Endpoint } from "./endpoint.ts";
import { PacketQueue } from "./packet_queue.ts";
import { Readiness, SocketBase } from "./readiness.ts";

export const UDP_MAX_PAYLOAD = IPV4_MAX_PACKET - IPV4_HEADER_LEN - UDP_HEADER_LEN;

export interface DatagramOptions {
  /** Receive queue bound in payload bytes (default 212992, Linux's rmem_default). */
  rxBytes?: number;
  /** Send queue bound in payload bytes (default 212992). */
  txBytes?: number;
  /** Datagrams each queue holds at most (default 256). */
  maxPackets?: number;
}

export type DatagramSendError = "unbound" | "too-big" | "full" | "invalid";

export interface ReceivedDatagram {
  /** The datagram's whole size (more than copied when the buffer was short: MSG_TRUNC). */
  size: number;
  copied: number;
  from: Endpoint;
  /** The local address it was sent to. */
  localAddr: Ipv4Address;
}

export class UdpSocket extends SocketBase {
  readonly kind = "udp";
  #local: Endpoint = { addr: 0, port: 0 };
  #peer: Endpoint | null = null;
  readonly #rx: PacketQueue;
  readonly #tx: PacketQueue;
  /** Datagrams dropped because the receive queue was full (Linux's RcvbufErrors). */
  rxDropped = 0;

  constructor(options: DatagramOptions = {}) {
    super();
    const maxPackets = options.maxPackets ?? 256;
    this.#rx = new PacketQueue(options.rxBytes ?? 212992, maxPackets);
    this.#tx = new PacketQueue(options.txBytes ?? 212992, maxPackets);
  }

  get local(): Endpoint { return this.#local; }
  get peer(): Endpoint | null { return this.#peer; }
  get isOpen(): boolean { return this.#local.port !== 0; }
  /** Payload bytes queued to read and to send (/proc/net/udp's rx_queue and tx_queue, SIOCOUTQ). */
  get recvQueue(): number { return this.#rx.bytes; }
  get sendQueue(): number { return this.#tx.bytes; }
  get isClosed(): boolean { return !this.isOpen; }

  /** Binds to a local endpoint (port not 0; the caller checked that nobody else has it). */
  bind(local: Endpoint): void {
    this.#local = { ...local };
  }

  /** Receives only from `peer` from now on; null removes the filter. */
  connect(peer: Endpoint | null): void {
    this.#peer = peer === null ? null : { ...peer };
  }

  close(): void {
    this.#local = { addr: 0, port: 0 };
    this.#peer = null;
    while (this.#rx.shift() !== null);
    while (this.#tx.shift() !== null);
    this.wake();
  }

  /** Queues a copy of `data` for `to`; returns the byte count or why not. */
  sendTo(data: Uint8Array, to: Endpoint): number | DatagramSendError {
    if (!this.isOpen) return "unbound";
    if (data.length > UDP_MAX_PAYLOAD) return "too-big";
    if (to.port === 0) return "invalid";
    if (!this.#tx.push({ addr: to.addr, port: to.port, localAddr: this.#local.addr, payload: data.slice() })) return "full";
    return data.length;
  }

  /** Copies the next datagram into `into` (truncating); null when none is queued. `peek` leaves it queued. */
  recvFrom(into: Uint8Array, peek = false): ReceivedDatagram | null {
    const packet = peek ? this.#rx.peek() : this.#rx.shift();
    if (packet === null) return null;
    const copied = Math.min(into.length, packet.payload.length);
    into.set(packet.payload.subarray(0, copied));
    if (!peek && (this.#rx.length === 0 || this.#tx.fits(1))) this.wake();
    return { size: packet.payload.length, copied, from: { addr: packet.addr, port: packet.port }, localAddr: packet.localAddr };
  }

  /** The size of the next datagram, null when none (FIONREAD). */
  peekSize(): number | null {
    return this.#rx.peek()?.payload.length ?? null;
  }

  readiness(): number {
    let mask = 0;
    if (this.#rx.length > 0) mask |= Readiness.Readable;
    if (this.#tx.fits(1)) mask |= Readiness.Writable;
    return mask;
  }

  pollAt(): number {
    return this.#tx.length > 0 ? 0 : Infinity;
  }

  /** Whether a datagram to (dst, dstPort) from (src, srcPort) is this socket's. */
  accepts(src: Ipv4Address, srcPort: number, dst: Ipv4Address, dstPort: number): boolean {
    if (!this.isOpen || this.#local.port !== dstPort) return false;
    if (this.#local.addr !== 0 && this.#local.addr !== dst) return false;
    return this.#peer === null || (this.#peer.addr === src && this.#peer.port === srcPort);
  }

  /** Queues a received datagram (copied: the frame belongs to the interface). */
  process(from: Endpoint, localAddr: Ipv4Address, payload: Uint8Array): void {
    if (!this.#rx.push({ addr: from.addr, port: from.port, localAddr, payload: payload.slice() })) {
      this.rxDropped++;
      return;
    }
    this.wake();
  }

  /** Sends queued datagrams until the queue is empty or the device refuses one. */
  dispatch(cx: SocketContext): boolean {
    let sent = false;
    for (let packet = this.#tx.peek(); packet !== null; packet = this.#tx.peek()) {
      const src = packet.localAddr !== 0 ? packet.localAddr : cx.sourceAddressFor(packet.addr);
      if (src !== null) {
        const ports = { srcPort: this.#local.port, dstPort: packet.port };
        if (!cx.sendUdp(src, packet.addr, ports, packet.payload)) break;
        sent = true;
      }
      this.#tx.shift();
    }
    if (sent) this.wake();
    return sent;
  }
}
