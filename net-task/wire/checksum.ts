// The Internet checksum (RFC 1071) and the IPv4 pseudo-header sum that UDP and TCP add to
// it (RFC 768, RFC 9293 §3.1). Sums are kept as unfolded 32-bit accumulators so the parts
// of one checksum (pseudo-header, header, payload) add up without copying them together.

/** Adds the 16-bit big-endian words of `bytes` (an odd last byte padded with zero) to `sum`. */
export function sumWords(bytes: Uint8Array, sum = 0): number {
  const n = bytes.length;
  let i = 0;
  for (; i + 1 < n; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < n) sum += bytes[i]! << 8;
  // Fold early enough that the accumulator stays a small integer.
  return (sum & 0xffff) + (sum >>> 16);
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

/** The IPv4 pseudo-header's sum: source, destination (4 bytes each), protocol and the segment's length. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return sumWords(dst, sumWords(src)) + protocol + length;
}
