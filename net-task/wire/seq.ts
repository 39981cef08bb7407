// TCP sequence numbers: u32 values compared modulo 2^32 (RFC 9293 §3.4). Nobody compares
// two sequence numbers with `<`; these helpers take the signed 32-bit difference instead,
// which is right while the numbers are less than 2^31 apart.

export function seqAdd(seq: number, n: number): number {
  return (seq + n) >>> 0;
}

/** a - b as a signed distance (positive when a is after b). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}

/** start <= seq < end, modulo 2^32. */
export function seqInWindow(seq: number, start: number, end: number): boolean {
  return seqLe(start, seq) && seqLt(seq, end);
}
