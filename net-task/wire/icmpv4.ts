// ICMPv4 (RFC 792, RFC 1191 for "fragmentation needed"): echo request and reply, destination
// unreachable and time exceeded. Other types parse as unsupported. The checksum covers the
// whole message; `data` is a view into the message (an echo's payload, or the start of the
// datagram an error reports on).
//
//   Icmpv4Packet  view: type, code, checksum, echo ident/seq, next-hop MTU, data
//   Icmpv4Repr    union by message: parseIcmpv4() / emitIcmpv4() / icmpv4BufferLen()

import { finish, sumRange } from "./checksum.ts";
import { WireError, type Parsed } from "./error.ts";

const field = { TYPE: 0, CODE: 1, CHECKSUM: 2, IDENT: 4, SEQ: 6, MTU: 6 } as const;
export const ICMPV4_HEADER_LEN = 8;

export const Icmpv4Type = { EchoReply: 0, DestUnreachable: 3, EchoRequest: 8, TimeExceeded: 11 } as const;
export const DestUnreachableCode = {
  NetUnreachable: 0, HostUnreachable: 1, ProtocolUnreachable: 2, PortUnreachable: 3, FragmentationNeeded: 4,
} as const;
export const TimeExceededCode = { TtlExpired: 0, ReassemblyTimeout: 1 } as const;

export class Icmpv4Packet {
  constructor(readonly bytes: Uint8Array) {}

  static check(bytes: Uint8Array): Parsed<Icmpv4Packet> {
    return bytes.length < ICMPV4_HEADER_LEN ? WireError.Truncated : new Icmpv4Packet(bytes);
  }

  #u16(at: number): number { return (this.bytes[at]! << 8) | this.bytes[at + 1]!; }
  #setU16(at: number, value: number): void {
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value;
  }

  get type(): number { return this.bytes[field.TYPE]!; }
  set type(v: number) { this.bytes[field.TYPE] = v; }
  get code(): number { return this.bytes[field.CODE]!; }
  set code(v: number) { this.bytes[field.CODE] = v; }
  get checksum(): number { return this.#u16(field.CHECKSUM); }
  set checksum(v: number) { this.#setU16(field.CHECKSUM, v); }
  get echoIdent(): number { return this.#u16(field.IDENT); }
  set echoIdent(v: number) { this.#setU16(field.IDENT, v); }
  get echoSeq(): number { return this.#u16(field.SEQ); }
  set echoSeq(v: number) { this.#setU16(field.SEQ, v); }
  get nextHopMtu(): number { return this.#u16(field.MTU); }
  /** Clears the unused word and sets the next-hop MTU (zero for other errors). */
  setErrorWord(mtu: number): void {
    this.#setU16(field.IDENT, 0);
    this.#setU16(field.MTU, mtu);
  }
  get data(): Uint8Array { return this.bytes.subarray(ICMPV4_HEADER_LEN); }

  verifyChecksum(): boolean { return finish(sumRange(this.bytes, 0, this.bytes.length)) === 0; }
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = finish(sumRange(this.bytes, 0, this.bytes.length));
  }
}

export type Icmpv4Repr =
  | { type: "echo-request" | "echo-reply"; ident: number; seq: number; data: Uint8Array }
  | { type: "dest-unreachable"; code: number; nextHopMtu: number; data: Uint8Array }
  | { type: "time-exceeded"; code: number; data: Uint8Array };

export function parseIcmpv4(packet: Icmpv4Packet): Parsed<Icmpv4Repr> {
  if (!packet.verifyChecksum()) return WireError.Checksum;
  const data = packet.data;
  switch (packet.type) {
    case Icmpv4Type.EchoRequest:
    case Icmpv4Type.EchoReply:
      if (packet.code !== 0) return WireError.Malformed;
      return {
        type: packet.type === Icmpv4Type.EchoRequest ? "echo-request" : "echo-reply",
        ident: packet.echoIdent, seq: packet.echoSeq, data,
      };
    case Icmpv4Type.DestUnreachable:
      return {
        type: "dest-unreachable", code: packet.code,
        nextHopMtu: packet.code === DestUnreachableCode.FragmentationNeeded ? packet.nextHopMtu : 0, data,
      };
    case Icmpv4Type.TimeExceeded:
      return { type: "time-exceeded", code: packet.code, data };
    default:
      return WireError.Unsupported;
  }
}

export function icmpv4BufferLen(repr: Icmpv4Repr): number {
  return ICMPV4_HEADER_LEN + repr.data.length;
}

/** Writes the whole message (header, data, checksum) into a buffer of icmpv4BufferLen(). */
export function emitIcmpv4(repr: Icmpv4Repr, packet: Icmpv4Packet): void {
  switch (repr.type) {
    case "echo-request":
    case "echo-reply":
      packet.type = repr.type === "echo-request" ? Icmpv4Type.EchoRequest : Icmpv4Type.EchoReply;
      packet.code = 0;
      packet.echoIdent = repr.ident;
      packet.echoSeq = repr.seq;
      break;
    case "dest-unreachable":
      packet.type = Icmpv4Type.DestUnreachable;
      packet.code = repr.code;
      packet.setErrorWord(repr.nextHopMtu);
      break;
    case "time-exceeded":
      packet.type = Icmpv4Type.TimeExceeded;
      packet.code = repr.code;
      packet.setErrorWord(0);
      break;
  }
  packet.bytes.set(repr.data, ICMPV4_HEADER_LEN);
  packet.fillChecksum();
}
