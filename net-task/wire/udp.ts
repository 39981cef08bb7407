// UDP datagrams (RFC 768). The checksum covers the IPv4 pseudo-header; a zero checksum means
// "none" and is accepted, and a computed zero is sent as 0xffff.
//
//   UdpPacket  view: ports, length, checksum, payload (bytes up to the length field)
//   UdpRepr    ports: parseUdp(packet, src, dst) / emitUdp(repr, packet, src, dst, payload)

import { type Ipv4Address } from "./address.ts";
import { finish, pseudoHeaderSum, sumRange } from "./checksum.ts";
import { WireError, type Parsed } from "./error.ts";
import { IpProtocol } from "./ipv4.ts";

const field = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;
export const UDP_HEADER_LEN = 8;

export class UdpPacket {
  constructor(readonly bytes: Uint8Array) {}

  /** Checks that the length field fits the buffer and covers the header. */
  static check(bytes: Uint8Array): Parsed<UdpPacket> {
    if (bytes.length < UDP_HEADER_LEN) return WireError.Truncated;
    const packet = new UdpPacket(bytes);
    if (packet.length < UDP_HEADER_LEN) return WireError.Malformed;
    if (packet.length > bytes.length) return WireError.Truncated;
    return packet;
  }

  #u16(at: number): number { return (this.bytes[at]! << 8) | this.bytes[at + 1]!; }
  #setU16(at: number, value: number): void {
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value;
  }

  get srcPort(): number { return this.#u16(field.SRC_PORT); }
  set srcPort(v: number) { this.#setU16(field.SRC_PORT, v); }
  get dstPort(): number { return this.#u16(field.DST_PORT); }
  set dstPort(v: number) { this.#setU16(field.DST_PORT, v); }
  get length(): number { return this.#u16(field.LENGTH); }
  set length(v: number) { this.#setU16(field.LENGTH, v); }
  get checksum(): number { return this.#u16(field.CHECKSUM); }
  set checksum(v: number) { this.#setU16(field.CHECKSUM, v); }
  get payload(): Uint8Array { return this.bytes.subarray(UDP_HEADER_LEN, this.length); }

  verifyChecksum(src: Ipv4Address, dst: Ipv4Address): boolean {
    if (this.checksum === 0) return true;
    const len = this.length;
    return finish(sumRange(this.bytes, 0, len, pseudoHeaderSum(src, dst, IpProtocol.Udp, len))) === 0;
  }

  fillChecksum(src: Ipv4Address, dst: Ipv4Address): void {
    this.checksum = 0;
    const len = this.length;
    const sum = finish(sumRange(this.bytes, 0, len, pseudoHeaderSum(src, dst, IpProtocol.Udp, len)));
    this.checksum = sum === 0 ? 0xffff : sum;
  }
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
}

/** `checksum` false: the device vouches for the bytes (loopback). */
export function parseUdp(packet: UdpPacket, src: Ipv4Address, dst: Ipv4Address, checksum = true): Parsed<UdpRepr> {
  if (packet.dstPort === 0) return WireError.Malformed;
  if (checksum && !packet.verifyChecksum(src, dst)) return WireError.Checksum;
  return { srcPort: packet.srcPort, dstPort: packet.dstPort };
}

/** Writes header, payload and checksum (0 without `checksum`: none, as UDP allows) into a buffer of UDP_HEADER_LEN + payload.length bytes. */
export function emitUdp(repr: UdpRepr, packet: UdpPacket, src: Ipv4Address, dst: Ipv4Address, payload: Uint8Array, checksum = true): void {
  packet.srcPort = repr.srcPort;
  packet.dstPort = repr.dstPort;
  packet.length = UDP_HEADER_LEN + payload.length;
  packet.bytes.set(payload, UDP_HEADER_LEN);
  if (checksum) packet.fillChecksum(src, dst);
  else packet.checksum = 0;
}
