// ARP for IPv4 over Ethernet (RFC 826): hardware type 1, protocol 0x0800, 6- and 4-byte
// addresses. Other hardware or protocol types are unsupported.
//
//   ArpPacket  view over the 28 bytes: field getters/setters
//   ArpRepr    parsed request or reply: parseArp() / emitArp(), ARP_LEN

import { readIpv4, readMac, writeIpv4, writeMac, type Ipv4Address, type MacAddress } from "./address.ts";
import { EtherType } from "./ethernet.ts";
import { WireError, type Parsed } from "./error.ts";

const field = { HTYPE: 0, PTYPE: 2, HLEN: 4, PLEN: 5, OPER: 6, SHA: 8, SPA: 14, THA: 18, TPA: 24 } as const;
export const ARP_LEN = 28;
const HTYPE_ETHERNET = 1;

export type ArpOperation = "request" | "reply";

export class ArpPacket {
  constructor(readonly bytes: Uint8Array) {}

  static check(bytes: Uint8Array): Parsed<ArpPacket> {
    return bytes.length < ARP_LEN ? WireError.Truncated : new ArpPacket(bytes);
  }

  #u16(at: number): number { return (this.bytes[at]! << 8) | this.bytes[at + 1]!; }
  #setU16(at: number, value: number): void {
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value;
  }

  get hardwareType(): number { return this.#u16(field.HTYPE); }
  set hardwareType(v: number) { this.#setU16(field.HTYPE, v); }
  get protocolType(): number { return this.#u16(field.PTYPE); }
  set protocolType(v: number) { this.#setU16(field.PTYPE, v); }
  get hardwareLen(): number { return this.bytes[field.HLEN]!; }
  set hardwareLen(v: number) { this.bytes[field.HLEN] = v; }
  get protocolLen(): number { return this.bytes[field.PLEN]!; }
  set protocolLen(v: number) { this.bytes[field.PLEN] = v; }
  get operation(): number { return this.#u16(field.OPER); }
  set operation(v: number) { this.#setU16(field.OPER, v); }
  get sourceHardware(): MacAddress { return readMac(this.bytes, field.SHA); }
  set sourceHardware(v: MacAddress) { writeMac(this.bytes, field.SHA, v); }
  get sourceProtocol(): Ipv4Address { return readIpv4(this.bytes, field.SPA); }
  set sourceProtocol(v: Ipv4Address) { writeIpv4(this.bytes, field.SPA, v); }
  get targetHardware(): MacAddress { return readMac(this.bytes, field.THA); }
  set targetHardware(v: MacAddress) { writeMac(this.bytes, field.THA, v); }
  get targetProtocol(): Ipv4Address { return readIpv4(this.bytes, field.TPA); }
  set targetProtocol(v: Ipv4Address) { writeIpv4(this.bytes, field.TPA, v); }
}

export interface ArpRepr {
  operation: ArpOperation;
  sourceHardware: MacAddress;
  sourceProtocol: Ipv4Address;
  targetHardware: MacAddress;
  targetProtocol: Ipv4Address;
}

export function parseArp(packet: ArpPacket): Parsed<ArpRepr> {
  if (packet.hardwareType !== HTYPE_ETHERNET || packet.protocolType !== EtherType.Ipv4) return WireError.Unsupported;
  if (packet.hardwareLen !== 6 || packet.protocolLen !== 4) return WireError.Malformed;
  const op = packet.operation;
  if (op !== 1 && op !== 2) return WireError.Unsupported;
  return {
    operation: op === 1 ? "request" : "reply",
    sourceHardware: packet.sourceHardware,
    sourceProtocol: packet.sourceProtocol,
    targetHardware: packet.targetHardware,
    targetProtocol: packet.targetProtocol,
  };
}

export function emitArp(repr: ArpRepr, packet: ArpPacket): void {
  packet.hardwareType = HTYPE_ETHERNET;
  packet.protocolType = EtherType.Ipv4;
  packet.hardwareLen = 6;
  packet.protocolLen = 4;
  packet.operation = repr.operation === "request" ? 1 : 2;
  packet.sourceHardware = repr.sourceHardware;
  packet.sourceProtocol = repr.sourceProtocol;
  packet.targetHardware = repr.targetHardware;
  packet.targetProtocol = repr.targetProtocol;
}
