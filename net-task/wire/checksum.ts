// The Internet checksum (RFC 1071) and the IPv4 pseudo-header sum that UDP and TCP add to
// it (RFC 768, RFC 9293 §3.1). Sums are kept as unfolded 32-bit accumulators so the parts
// of one checksum (pseudo-header, header, payload) add up without copying them together.
//
//   sumRange / sumWords   add a byte range's 16-bit words to a running sum
//   finish                fold and complement: the value a checksum field holds
//   internetChecksum      one buffer's checksum (IPv4 header, ICMP message)
//   pseudoHeaderSum       the IPv4 pseudo-header (addresses as u32 numbers)

/** Adds the 16-bit big-endian words of `bytes[start, end)` (an odd last byte padded with zero) to `sum`. */
export function sumRange(bytes: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  // Fold every 32K words so the accumulator stays a small integer (2^15 · 0xffff < 2^31).
  while (end - i > 0x10000) {
    const stop = i + 0x10000;
    for (; i < stop; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return (sum & 0xffff) + (sum >>> 16);
}

/** Adds the 16-bit big-endian words of `bytes` (an odd last byte padded with zero) to `sum`. */
export function sumWords(bytes: Uint8Array, sum = 0): number {
  return sumRange(bytes, 0, bytes.length, sum);
}

/** Folds a sum to 16 bits and complements it: the value a header's checksum field holds. */
export function finish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The checksum of `bytes` alone (an IPv4 header, an ICMP message). */
export function internetChecksum(bytes: Uint8Array): number {
  return finish(sumWords(bytes));
}

/** The IPv4 pseudo-header's sum: source, destination (u32 addresses), protocol and the segment's length. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}
