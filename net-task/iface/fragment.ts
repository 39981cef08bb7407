// IPv4 fragmentation on transmit (RFC 791 §3.2): a packet larger than the MTU is cut into
// fragments whose payloads are multiples of 8 bytes, each with its own header (options are
// not copied: we never send any), each in a fresh buffer with `headroom` bytes in front for
// the link header.

import { IPV4_HEADER_LEN, Ipv4Packet } from "../wire/ipv4.ts";

/** The fragments of `packet` (a whole IPv4 packet without DF) for a link of `mtu` bytes. */
export function fragmentIpv4(packet: Ipv4Packet, mtu: number, headroom: number): Uint8Array[] {
  const payload = packet.payload;
  const step = Math.floor((mtu - IPV4_HEADER_LEN) / 8) * 8;
  const baseOffset = packet.fragmentOffset;
  const moreAfter = packet.moreFragments;
  const out: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += step) {
    const chunk = payload.subarray(at, Math.min(payload.length, at + step));
    const frame = new Uint8Array(headroom + IPV4_HEADER_LEN + chunk.length);
    const fragment = new Ipv4Packet(frame.subarray(headroom));
    frame.set(packet.bytes.subarray(0, IPV4_HEADER_LEN), headroom);
    fragment.setVersionAndHeaderLen(IPV4_HEADER_LEN);
    fragment.totalLen = IPV4_HEADER_LEN + chunk.length;
    fragment.setFragment(false, moreAfter || at + chunk.length < payload.length, baseOffset + at);
    frame.set(chunk, headroom + IPV4_HEADER_LEN);
    fragment.fillChecksum();
    out.push(frame);
  }
  return out;
}
