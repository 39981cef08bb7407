// IPv4 headers (RFC 791). Options are skipped (the payload starts after IHL words), the
// header checksum is checked on parse and filled on emit, fragments are described by the
// Repr's ident/flags/offset so reassembly and fragmentation use the same types.
//
//   Ipv4Packet  view: field getters/setters, checksum, payload (bytes up to total length)
//   Ipv4Repr    parsed header: parseIpv4Packet() / emitIpv4Packet(), IPV4_HEADER_LEN

import { readIpv4, writeIpv4, type Ipv4Address } from "./address.ts";
import { finish, sumRange } from "./checksum.ts";
import { WireError, type Parsed } from "./error.ts";

const field = {
  VER_IHL: 0, DSCP_ECN: 1, LENGTH: 2, IDENT: 4, FLG_OFF: 6, TTL: 8, PROTOCOL: 9, CHECKSUM: 10, SRC: 12, DST: 16,
} as const;
export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_PACKET = 65535;

export const IpProtocol = { Icmp: 1, Tcp: 6, Udp: 17 } as const;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;

export class Ipv4Packet {
  constructor(readonly bytes: Uint8Array) {}

  /** Checks that the header and the total length fit the buffer; accessors stay inside it after. */
  static check(bytes: Uint8Array): Parsed<Ipv4Packet> {
    if (bytes.length < IPV4_HEADER_LEN) return WireError.Truncated;
    const packet = new Ipv4Packet(bytes);
    const headerLen = packet.headerLen;
    if (headerLen < IPV4_HEADER_LEN) return WireError.Malformed;
    if (headerLen > bytes.length) return WireError.Truncated;
    const total = packet.totalLen;
    if (total < headerLen) return WireError.Malformed;
    if (total > bytes.length) return WireError.Truncated;
    return packet;
  }

  #u16(at: number): number { return (this.bytes[at]! << 8) | this.bytes[at + 1]!; }
  #setU16(at: number, value: number): void {
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value;
  }

  get version(): number { return this.bytes[field.VER_IHL]! >>> 4; }
  get headerLen(): number { return (this.bytes[field.VER_IHL]! & 0xf) * 4; }
  /** Sets version 4 and the header length in bytes (a multiple of 4). */
  setVersionAndHeaderLen(headerLen: number): void { this.bytes[field.VER_IHL] = 0x40 | (headerLen >>> 2); }
  get dscpEcn(): number { return this.bytes[field.DSCP_ECN]!; }
  set dscpEcn(v: number) { this.bytes[field.DSCP_ECN] = v; }
  get totalLen(): number { return this.#u16(field.LENGTH); }
  set totalLen(v: number) { this.#setU16(field.LENGTH, v); }
  get ident(): number { return this.#u16(field.IDENT); }
  set ident(v: number) { this.#setU16(field.IDENT, v); }
  get dontFragment(): boolean { return (this.#u16(field.FLG_OFF) & FLAG_DF) !== 0; }
  get moreFragments(): boolean { return (this.#u16(field.FLG_OFF) & FLAG_MF) !== 0; }
  /** The fragment's offset in bytes (the field counts 8-byte units). */
  get fragmentOffset(): number { return (this.#u16(field.FLG_OFF) & 0x1fff) * 8; }
  setFragment(dontFragment: boolean, moreFragments: boolean, offsetBytes: number): void {
    this.#setU16(field.FLG_OFF, (dontFragment ? FLAG_DF : 0) | (moreFragments ? FLAG_MF : 0) | ((offsetBytes >>> 3) & 0x1fff));
  }
  get ttl(): number { return this.bytes[field.TTL]!; }
  set ttl(v: number) { this.bytes[field.TTL] = v; }
  get protocol(): number { return this.bytes[field.PROTOCOL]!; }
  set protocol(v: number) { this.bytes[field.PROTOCOL] = v; }
  get checksum(): number { return this.#u16(field.CHECKSUM); }
  set checksum(v: number) { this.#setU16(field.CHECKSUM, v); }
  get src(): Ipv4Address { return readIpv4(this.bytes, field.SRC); }
  set src(v: Ipv4Address) { writeIpv4(this.bytes, field.SRC, v); }
  get dst(): Ipv4Address { return readIpv4(this.bytes, field.DST); }
  set dst(v: Ipv4Address) { writeIpv4(this.bytes, field.DST, v); }

  verifyChecksum(): boolean {
    return finish(sumRange(this.bytes, 0, this.headerLen)) === 0;
  }

  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = finish(sumRange(this.bytes, 0, this.headerLen));
  }

  /** The bytes after the header up to the total length (trailing link padding excluded). */
  get payload(): Uint8Array { return this.bytes.subarray(this.headerLen, this.totalLen); }
}

export interface Ipv4Repr {
  src: Ipv4Address;
  dst: Ipv4Address;
  protocol: number;
  payloadLen: number;
  ttl: number;
  ident: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset: number;
  dscpEcn: number;
}

/** A Repr for an unfragmented datagram with Linux's defaults (TTL 64, DF clear). */
export function ipv4Repr(fields: Pick<Ipv4Repr, "src" | "dst" | "protocol" | "payloadLen"> & Partial<Ipv4Repr>): Ipv4Repr {
  return { ttl: 64, ident: 0, dontFragment: false, moreFragments: false, fragmentOffset: 0, dscpEcn: 0, ...fields };
}

export function parseIpv4Packet(packet: Ipv4Packet): Parsed<Ipv4Repr> {
  if (packet.version !== 4) return WireError.Malformed;
  if (!packet.verifyChecksum()) return WireError.Checksum;
  return {
    src: packet.src,
    dst: packet.dst,
    protocol: packet.protocol,
    payloadLen: packet.totalLen - packet.headerLen,
    ttl: packet.ttl,
    ident: packet.ident,
    dontFragment: packet.dontFragment,
    moreFragments: packet.moreFragments,
    fragmentOffset: packet.fragmentOffset,
    dscpEcn: packet.dscpEcn,
  };
}

export function ipv4BufferLen(repr: Ipv4Repr): number {
  return IPV4_HEADER_LEN + repr.payloadLen;
}

/** Writes a 20-byte header with its checksum; the payload is the caller's. */
export function emitIpv4Packet(repr: Ipv4Repr, packet: Ipv4Packet): void {
  packet.setVersionAndHeaderLen(IPV4_HEADER_LEN);
  packet.dscpEcn = repr.dscpEcn;
  packet.totalLen = IPV4_HEADER_LEN + repr.payloadLen;
  packet.ident = repr.ident;
  packet.setFragment(repr.dontFragment, repr.moreFragments, repr.fragmentOffset);
  packet.ttl = repr.ttl;
  packet.protocol = repr.protocol;
  packet.src = repr.src;
  packet.dst = repr.dst;
  packet.fillChecksum();
}
