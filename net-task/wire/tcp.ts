// TCP segments (RFC 9293 §3.1) and the options a modern stack negotiates: MSS, window scale
// (RFC 7323), SACK-permitted and SACK blocks (RFC 2018), timestamps (RFC 7323), NOP and EOL.
// The checksum covers the IPv4 pseudo-header.
//
//   TcpPacket   view: ports, seq/ack, flags, window, checksum, options and payload bytes
//   TcpRepr     one segment: parseTcp() / emitTcp() / tcpBufferLen(), tcpSegmentLen()
//   Options are laid out as Linux does: MSS, SACK-permitted next to the timestamps, NOP+WS.

import { type Ipv4Address } from "./address.ts";
import { finish, pseudoHeaderSum, sumRange } from "./checksum.ts";
import { WireError, type Parsed } from "./error.ts";
import { IpProtocol } from "./ipv4.ts";
import { seqAdd } from "./seq.ts";

const field = {
  SRC_PORT: 0, DST_PORT: 2, SEQ: 4, ACK: 8, DATA_OFFSET: 12, FLAGS: 13, WINDOW: 14, CHECKSUM: 16, URGENT: 18,
} as const;
export const TCP_HEADER_LEN = 20;
const MAX_OPTIONS_LEN = 40;

export const TcpFlag = { Fin: 0x01, Syn: 0x02, Rst: 0x04, Psh: 0x08, Ack: 0x10, Urg: 0x20 } as const;
const Option = { End: 0, Nop: 1, Mss: 2, WindowScale: 3, SackPermitted: 4, Sack: 5, Timestamp: 8 } as const;
/** RFC 7323 §2.3: a larger shift is taken as 14. */
export const MAX_WINDOW_SCALE = 14;

export class TcpPacket {
  constructor(readonly bytes: Uint8Array) {}

  /** Checks that the data offset covers the header and fits the buffer. */
  static check(bytes: Uint8Array): Parsed<TcpPacket> {
    if (bytes.length < TCP_HEADER_LEN) return WireError.Truncated;
    const packet = new TcpPacket(bytes);
    const headerLen = packet.headerLen;
    if (headerLen < TCP_HEADER_LEN) return WireError.Malformed;
    if (headerLen > bytes.length) return WireError.Truncated;
    return packet;
  }

  #u16(at: number): number { return (this.bytes[at]! << 8) | this.bytes[at + 1]!; }
  #setU16(at: number, value: number): void {
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value;
  }
  #u32(at: number): number {
    const b = this.bytes;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }
  #setU32(at: number, value: number): void {
    this.#setU16(at, value >>> 16);
    this.#setU16(at + 2, value & 0xffff);
  }

  get srcPort(): number { return this.#u16(field.SRC_PORT); }
  set srcPort(v: number) { this.#setU16(field.SRC_PORT, v); }
  get dstPort(): number { return this.#u16(field.DST_PORT); }
  set dstPort(v: number) { this.#setU16(field.DST_PORT, v); }
  get seq(): number { return this.#u32(field.SEQ); }
  set seq(v: number) { this.#setU32(field.SEQ, v); }
  get ack(): number { return this.#u32(field.ACK); }
  set ack(v: number) { this.#setU32(field.ACK, v); }
  get headerLen(): number { return (this.bytes[field.DATA_OFFSET]! >>> 4) * 4; }
  set headerLen(v: number) { this.bytes[field.DATA_OFFSET] = (v >>> 2) << 4; }
  get flags(): number { return this.bytes[field.FLAGS]!; }
  set flags(v: number) { this.bytes[field.FLAGS] = v; }
  get window(): number { return this.#u16(field.WINDOW); }
  set window(v: number) { this.#setU16(field.WINDOW, v); }
  get checksum(): number { return this.#u16(field.CHECKSUM); }
  set checksum(v: number) { this.#setU16(field.CHECKSUM, v); }
  get urgent(): number { return this.#u16(field.URGENT); }
  set urgent(v: number) { this.#setU16(field.URGENT, v); }
  get options(): Uint8Array { return this.bytes.subarray(TCP_HEADER_LEN, this.headerLen); }
  get payload(): Uint8Array { return this.bytes.subarray(this.headerLen); }

  verifyChecksum(src: Ipv4Address, dst: Ipv4Address): boolean {
    const len = this.bytes.length;
    return finish(sumRange(this.bytes, 0, len, pseudoHeaderSum(src, dst, IpProtocol.Tcp, len))) === 0;
  }

  fillChecksum(src: Ipv4Address, dst: Ipv4Address): void {
    this.checksum = 0;
    const len = this.bytes.length;
    this.checksum = finish(sumRange(this.bytes, 0, len, pseudoHeaderSum(src, dst, IpProtocol.Tcp, len)));
  }
}

/** SYN, FIN and RST exclude each other in a segment we accept or send. */
export type TcpControl = "none" | "syn" | "fin" | "rst";

export interface TcpTimestamp {
  tsval: number;
  tsecr: number;
}

/** A SACK block: [left, right) in sequence space. */
export type SackRange = readonly [left: number, right: number];

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  control: TcpControl;
  seq: number;
  /** The acknowledgment number, null when the ACK flag is clear. */
  ack: number | null;
  /** The raw 16-bit window field (unscaled). */
  window: number;
  windowScale: number | null;
  mss: number | null;
  sackPermitted: boolean;
  sackRanges: readonly SackRange[];
  timestamp: TcpTimestamp | null;
  payload: Uint8Array;
}

const NO_SACK: readonly SackRange[] = Object.freeze([]);

/** The sequence space a segment occupies: its payload, plus one for SYN or FIN. */
export function tcpSegmentLen(repr: TcpRepr): number {
  return repr.payload.length + (repr.control === "syn" || repr.control === "fin" ? 1 : 0);
}

/** `checksum` false: the device vouches for the bytes (loopback), as Linux's CHECKSUM_UNNECESSARY. */
export function parseTcp(packet: TcpPacket, src: Ipv4Address, dst: Ipv4Address, checksum = true): Parsed<TcpRepr> {
  if (packet.srcPort === 0 || packet.dstPort === 0) return WireError.Malformed;
  if (checksum && !packet.verifyChecksum(src, dst)) return WireError.Checksum;
  const flags = packet.flags;
  const syn = (flags & TcpFlag.Syn) !== 0, fin = (flags & TcpFlag.Fin) !== 0, rst = (flags & TcpFlag.Rst) !== 0;
  if (+syn + +fin + +rst > 1) return WireError.Malformed;
  const repr: TcpRepr = {
    srcPort: packet.srcPort,
    dstPort: packet.dstPort,
    control: syn ? "syn" : fin ? "fin" : rst ? "rst" : "none",
    seq: packet.seq,
    ack: (flags & TcpFlag.Ack) !== 0 ? packet.ack : null,
    window: packet.window,
    windowScale: null,
    mss: null,
    sackPermitted: false,
    sackRanges: NO_SACK,
    timestamp: null,
    payload: packet.payload,
  };
  return parseOptions(packet.bytes, TCP_HEADER_LEN, packet.headerLen, repr);
}

/** Fills the Repr's option fields from bytes[at, end); malformed lengths fail the segment. */
function parseOptions(b: Uint8Array, at: number, end: number, repr: TcpRepr): Parsed<TcpRepr> {
  while (at < end) {
    const kind = b[at]!;
    if (kind === Option.End) break;
    if (kind === Option.Nop) { at++; continue; }
    if (at + 1 >= end) return WireError.Malformed;
    const len = b[at + 1]!;
    if (len < 2 || at + len > end) return WireError.Malformed;
    switch (kind) {
      case Option.Mss:
        if (len !== 4) return WireError.Malformed;
        repr.mss = (b[at + 2]! << 8) | b[at + 3]!;
        break;
      case Option.WindowScale:
        if (len !== 3) return WireError.Malformed;
        repr.windowScale = Math.min(b[at + 2]!, MAX_WINDOW_SCALE);
        break;
      case Option.SackPermitted:
        if (len !== 2) return WireError.Malformed;
        repr.sackPermitted = true;
        break;
      case Option.Sack: {
        if ((len - 2) % 8 !== 0 || len === 2) return WireError.Malformed;
        const ranges: SackRange[] = [];
        for (let i = at + 2; i < at + len; i += 8) ranges.push([readU32(b, i), readU32(b, i + 4)]);
        repr.sackRanges = ranges;
        break;
      }
      case Option.Timestamp:
        if (len !== 10) return WireError.Malformed;
        repr.timestamp = { tsval: readU32(b, at + 2), tsecr: readU32(b, at + 6) };
        break;
      default: // Unknown options are skipped (RFC 9293 §3.2: "must be prepared to handle").
    }
    at += len;
  }
  return repr;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** How many of the Repr's SACK blocks fit beside its other options. */
function sackBlocksThatFit(repr: TcpRepr, otherLen: number): number {
  if (repr.sackRanges.length === 0) return 0;
  return Math.max(0, Math.min(repr.sackRanges.length, Math.floor((MAX_OPTIONS_LEN - otherLen - 4) / 8)));
}

function otherOptionsLen(repr: TcpRepr): number {
  return (repr.mss !== null ? 4 : 0) + (repr.windowScale !== null ? 4 : 0)
    + (repr.timestamp !== null ? 12 : repr.sackPermitted ? 4 : 0);
}

function optionsLen(repr: TcpRepr): number {
  const other = otherOptionsLen(repr);
  const blocks = sackBlocksThatFit(repr, other);
  return other + (blocks > 0 ? 4 + 8 * blocks : 0);
}

export function tcpHeaderLen(repr: TcpRepr): number {
  return TCP_HEADER_LEN + optionsLen(repr);
}

export function tcpBufferLen(repr: TcpRepr): number {
  return tcpHeaderLen(repr) + repr.payload.length;
}

/** The RST RFC 9293 §3.10.7.1 answers a segment with: <SEQ=SEG.ACK> or <SEQ=0><ACK=SEG.SEQ+SEG.LEN>. */
export function tcpResetFor(seg: TcpRepr): TcpRepr {
  const base = {
    srcPort: seg.dstPort, dstPort: seg.srcPort, control: "rst" as const, window: 0, windowScale: null, mss: null,
    sackPermitted: false, sackRanges: NO_SACK, timestamp: null, payload: seg.payload.subarray(0, 0),
  };
  return seg.ack !== null
    ? { ...base, seq: seg.ack, ack: null }
    : { ...base, seq: 0, ack: seqAdd(seg.seq, tcpSegmentLen(seg)) };
}

/**
 * Writes the whole segment (header, options, payload, checksum) into a buffer of
 * tcpBufferLen(); `checksum` false leaves the checksum 0 (a device that never lets the
 * bytes out of this host: loopback, as Linux's checksum offload on lo).
 */
export function emitTcp(repr: TcpRepr, packet: TcpPacket, src: Ipv4Address, dst: Ipv4Address, checksum = true): void {
  const b = packet.bytes;
  packet.srcPort = repr.srcPort;
  packet.dstPort = repr.dstPort;
  packet.seq = repr.seq;
  packet.ack = repr.ack ?? 0;
  let flags = repr.ack !== null ? TcpFlag.Ack : 0;
  if (repr.control === "syn") flags |= TcpFlag.Syn;
  else if (repr.control === "fin") flags |= TcpFlag.Fin;
  else if (repr.control === "rst") flags |= TcpFlag.Rst;
  if (repr.payload.length > 0) flags |= TcpFlag.Psh;
  packet.flags = flags;
  packet.window = repr.window;
  packet.urgent = 0;
  let at = TCP_HEADER_LEN;
  if (repr.mss !== null) {
    b[at] = Option.Mss; b[at + 1] = 4; b[at + 2] = repr.mss >>> 8; b[at + 3] = repr.mss;
    at += 4;
  }
  if (repr.timestamp !== null) {
    if (repr.sackPermitted) { b[at] = Option.SackPermitted; b[at + 1] = 2; }
    else { b[at] = Option.Nop; b[at + 1] = Option.Nop; }
    b[at + 2] = Option.Timestamp; b[at + 3] = 10;
    writeU32(b, at + 4, repr.timestamp.tsval);
    writeU32(b, at + 8, repr.timestamp.tsecr);
    at += 12;
  } else if (repr.sackPermitted) {
    b[at] = Option.Nop; b[at + 1] = Option.Nop; b[at + 2] = Option.SackPermitted; b[at + 3] = 2;
    at += 4;
  }
  if (repr.windowScale !== null) {
    b[at] = Option.Nop; b[at + 1] = Option.WindowScale; b[at + 2] = 3; b[at + 3] = repr.windowScale;
    at += 4;
  }
  const blocks = sackBlocksThatFit(repr, at - TCP_HEADER_LEN);
  if (blocks > 0) {
    b[at] = Option.Nop; b[at + 1] = Option.Nop; b[at + 2] = Option.Sack; b[at + 3] = 2 + 8 * blocks;
    at += 4;
    for (let i = 0; i < blocks; i++, at += 8) {
      const range = repr.sackRanges[i]!;
      writeU32(b, at, range[0]);
      writeU32(b, at + 4, range[1]);
    }
  }
  packet.headerLen = at;
  b.set(repr.payload, at);
  if (checksum) packet.fillChecksum(src, dst);
  else packet.checksum = 0;
}
