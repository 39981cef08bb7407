// Addresses as numbers: an IPv4 address is a u32 (network order read as big-endian), a MAC
// address a 48-bit integer (exact in a double). Comparing, hashing and masking them costs
// nothing; these helpers read, write, format and parse them.

export type Ipv4Address = number;
export type MacAddress = number;

export const IPV4_UNSPECIFIED: Ipv4Address = 0;
export const IPV4_BROADCAST: Ipv4Address = 0xffffffff;
export const MAC_BROADCAST: MacAddress = 0xffffffffffff;

/** The address a.b.c.d. */
export function ipv4(a: number, b: number, c: number, d: number): Ipv4Address {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function formatIpv4(addr: Ipv4Address): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** Parses a dotted quad ("10.0.2.15"); null unless it is exactly four decimal bytes. */
export function parseIpv4(text: string): Ipv4Address | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let addr = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const byte = Number(part);
    if (byte > 255) return null;
    addr = addr * 256 + byte;
  }
  return addr;
}

/** The netmask of a prefix length (24 → 255.255.255.0). */
export function prefixMask(prefixLen: number): number {
  return prefixLen <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefixLen, 32))) >>> 0;
}

export function sameSubnet(a: Ipv4Address, b: Ipv4Address, prefixLen: number): boolean {
  const mask = prefixMask(prefixLen);
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

export function isMulticastIpv4(addr: Ipv4Address): boolean {
  return addr >>> 28 === 0xe;
}

export function isLoopbackIpv4(addr: Ipv4Address): boolean {
  return addr >>> 24 === 127;
}

export function readIpv4(bytes: Uint8Array, at: number): Ipv4Address {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function writeIpv4(bytes: Uint8Array, at: number, addr: Ipv4Address): void {
  bytes[at] = addr >>> 24;
  bytes[at + 1] = addr >>> 16;
  bytes[at + 2] = addr >>> 8;
  bytes[at + 3] = addr;
}

export function readMac(bytes: Uint8Array, at: number): MacAddress {
  const high = (bytes[at]! << 8) | bytes[at + 1]!;
  const low = ((bytes[at + 2]! << 24) | (bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!) >>> 0;
  return high * 0x100000000 + low;
}

export function writeMac(bytes: Uint8Array, at: number, mac: MacAddress): void {
  const high = Math.floor(mac / 0x100000000);
  bytes[at] = high >>> 8;
  bytes[at + 1] = high;
  writeIpv4(bytes, at + 2, mac >>> 0);
}

export function formatMac(mac: MacAddress): string {
  return mac.toString(16).padStart(12, "0").replace(/(..)(?!$)/g, "$1:");
}

/** Parses "52:54:00:12:34:56"; null unless it is six hex bytes. */
export function parseMac(text: string): MacAddress | null {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return null;
  return Number.parseInt(text.replaceAll(":", ""), 16);
}

/** Multicast (and broadcast) MACs have the group bit, the first octet's lowest bit, set. */
export function isMulticastMac(mac: MacAddress): boolean {
  return Math.floor(mac / 0x10000000000) % 2 === 1;
}
