// ICMP echo sockets, as Linux's ping sockets (SOCK_DGRAM, IPPROTO_ICMP): the application
// writes an echo request (8-byte ICMP header + data), the socket puts its own identifier in
// it and the interface fills the checksum; echo replies carrying that identifier are queued
// whole (ICMP header + data) for the application to read.
//
//   app side        bind(ident), sendTo, recvFrom, close, readiness
//   interface side  accepts, process, dispatch, pollAt

import { type Ipv4Address } from "../wire/address.ts";
import { ICMPV4_HEADER_LEN, Icmpv4Type } from "../wire/icmpv4.ts";
import { IPV4_HEADER_LEN, IPV4_MAX_PACKET } from "../wire/ipv4.ts";
import { type SocketContext } from "./context.ts";
import { PacketQueue } from "./packet_queue.ts";
import { Readiness, SocketBase } from "./readiness.ts";
import { type DatagramOptions, type DatagramSendError, type ReceivedDatagram } from "./udp.ts";

export class IcmpSocket extends SocketBase {
  readonly kind = "icmp";
  #ident: number | null = null;
  readonly #rx: PacketQueue;
  readonly #tx: PacketQueue;

  constructor(options: DatagramOptions = {}) {
    super();
    const maxPackets = options.maxPackets ?? 256;
    this.#rx = new PacketQueue(options.rxBytes ?? 212992, maxPackets);
    this.#tx = new PacketQueue(options.txBytes ?? 212992, maxPackets);
  }

  get ident(): number | null { return this.#ident; }
  get isClosed(): boolean { return this.#ident === null; }
  get sendQueue(): number { return this.#tx.bytes; }

  /** The size of the next reply, null when none (FIONREAD). */
  peekSize(): number | null {
    return this.#rx.peek()?.payload.length ?? null;
  }

  /** Takes an echo identifier (Linux: the ping socket's "port"). */
  bind(ident: number): void {
    this.#ident = ident & 0xffff;
  }

  close(): void {
    this.#ident = null;
    while (this.#rx.shift() !== null);
    while (this.#tx.shift() !== null);
    this.wake();
  }

  /** Queues an echo request (ICMP header + data) for `to`. */
  sendTo(message: Uint8Array, to: Ipv4Address): number | DatagramSendError {
    if (this.#ident === null) return "unbound";
    if (message.length < ICMPV4_HEADER_LEN || message[0] !== Icmpv4Type.EchoRequest || message[1] !== 0) return "invalid";
    if (message.length > IPV4_MAX_PACKET - IPV4_HEADER_LEN) return "too-big";
    if (!this.#tx.push({ addr: to, port: 0, localAddr: 0, payload: message.slice() })) return "full";
    return message.length;
  }

  /** Copies the next echo reply (ICMP header + data) into `into`; null when none. `peek` leaves it queued. */
  recvFrom(into: Uint8Array, peek = false): ReceivedDatagram | null {
    const packet = peek ? this.#rx.peek() : this.#rx.shift();
    if (packet === null) return null;
    const copied = Math.min(into.length, packet.payload.length);
    into.set(packet.payload.subarray(0, copied));
    return { size: packet.payload.length, copied, from: { addr: packet.addr, port: 0 }, localAddr: packet.localAddr };
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

  accepts(ident: number): boolean {
    return this.#ident === ident;
  }

  /** Queues a copy of a received echo reply (the whole ICMP message). */
  process(from: Ipv4Address, localAddr: Ipv4Address, message: Uint8Array): void {
    if (this.#rx.push({ addr: from, port: 0, localAddr, payload: message.slice() })) this.wake();
  }

  dispatch(cx: SocketContext): boolean {
    let sent = false;
    for (let packet = this.#tx.peek(); packet !== null && this.#ident !== null; packet = this.#tx.peek()) {
      const src = cx.sourceAddressFor(packet.addr);
      if (src !== null) {
        const m = packet.payload;
        const repr = {
          type: "echo-request" as const, ident: this.#ident, seq: (m[6]! << 8) | m[7]!, data: m.subarray(ICMPV4_HEADER_LEN),
        };
        if (!cx.sendIcmp(src, packet.addr, repr)) break;
        sent = true;
      }
      this.#tx.shift();
    }
    return sent;
  }
}
