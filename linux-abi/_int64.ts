// 64-bit little-endian fields as two 32-bit halves: no BigInt is allocated. A JS number holds
// integers exactly up to 2^53, which covers every size, offset, time and user address; larger
// values (all-ones masks, RLIM_INFINITY) are rounded, as any number near 2^64 is.

const TWO_32 = 2 ** 32;

/** Write `value` (signed or unsigned) as a 64-bit little-endian integer. */
export function setInt64(view: DataView, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  view.setUint32(offset, value - hi * TWO_32, true);
  view.setInt32(offset + 4, hi, true);
}

/** Read an unsigned 64-bit little-endian integer. */
export function getUint64(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true) * TWO_32 + view.getUint32(offset, true);
}

/** Read a signed 64-bit little-endian integer. */
export function getInt64(view: DataView, offset: number): number {
  return view.getInt32(offset + 4, true) * TWO_32 + view.getUint32(offset, true);
}
