// Ethernet II frames: destination and source MAC, an EtherType, the payload (no FCS: devices
// hand frames over without it).
//
//   EthernetFrame  view over a frame's bytes: field getters/setters, payload
//   EthernetRepr   parsed header: parseEthernet() / emitEthernet()

import { readMac, writeMac, type MacAddress } from "./address.ts";
import { WireError, type Parsed } from "./error.ts";

const field = { DST: 0, SRC: 6, ETHERTYPE: 12 } as const;
export const ETHERNET_HEADER_LEN = 14;

export const EtherType = { Ipv4: 0x0800, Arp: 0x0806, Ipv6: 0x86dd } as const;

export class EthernetFrame {
  constructor(readonly bytes: Uint8Array) {}

  /** Truncated unless the buffer holds the header; after that no accessor reads past it. */
  static check(bytes: Uint8Array): Parsed<EthernetFrame> {
    return bytes.length < ETHERNET_HEADER_LEN ? WireError.Truncated : new EthernetFrame(bytes);
  }

  get dst(): MacAddress { return readMac(this.bytes, field.DST); }
  set dst(mac: MacAddress) { writeMac(this.bytes, field.DST, mac); }
  get src(): MacAddress { return readMac(this.bytes, field.SRC); }
  set src(mac: MacAddress) { writeMac(this.bytes, field.SRC, mac); }
  get ethertype(): number { return (this.bytes[field.ETHERTYPE]! << 8) | this.bytes[field.ETHERTYPE + 1]!; }
  set ethertype(value: number) {
    this.bytes[field.ETHERTYPE] = value >>> 8;
    this.bytes[field.ETHERTYPE + 1] = value;
  }
  get payload(): Uint8Array { return this.bytes.subarray(ETHERNET_HEADER_LEN); }
}

export interface EthernetRepr {
  src: MacAddress;
  dst: MacAddress;
  ethertype: number;
}

export function parseEthernet(frame: EthernetFrame): EthernetRepr {
  return { src: frame.src, dst: frame.dst, ethertype: frame.ethertype };
}

/** Writes the header; the caller sized the buffer (ETHERNET_HEADER_LEN + payload). */
export function emitEthernet(repr: EthernetRepr, frame: EthernetFrame): void {
  frame.dst = repr.dst;
  frame.src = repr.src;
  frame.ethertype = repr.ethertype;
}
