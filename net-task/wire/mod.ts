// The wire layer's public face: zero-copy views (Packet classes over a Uint8Array) and their
// parsed representations (Repr + parse/emit), one file per protocol, smoltcp-style.

export * from "./address.ts";
export * from "./arp.ts";
export * from "./checksum.ts";
export * from "./dns.ts";
export * from "./error.ts";
export * from "./ethernet.ts";
export * from "./icmpv4.ts";
export * from "./ipv4.ts";
export * from "./seq.ts";
export * from "./tcp.ts";
export * from "./udp.ts";
