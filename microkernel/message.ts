// Message layout shared by every IPC path (seL4 seL4_MessageInfo_t and the
// IPC buffer's message registers).
//
// A message is a label, up to MSG_MAX_WORDS 64-bit words and up to
// MSG_MAX_EXTRA_CAPS capabilities. Words live in a MessageBuffer: a
// Uint32Array holding each word as (lo, hi) so 64-bit register values travel
// exactly, with no BigInt on the hot path. The CPU platform may hand a TCB a
// buffer that views native memory, so nothing here ever replaces a buffer.

export const MSG_MAX_WORDS = 120;
export const MSG_MAX_EXTRA_CAPS = 3;

/** Two uint32 (lo, hi) per message word. */
export type MessageBuffer = Uint32Array;

/** How an IPC operation ended for the calling thread. */
export type IpcStatus = "completed" | "blocked" | "wouldBlock" | "inactive" | "failed";

const TWO_32 = 4294967296;

/** Header of the last message a thread received; one per TCB, reused. */
export class MessageInfo {
  label = 0;
  length = 0;
  extraCaps = 0;
  capsUnwrapped = 0;

  set(label: number, length: number, extraCaps: number, capsUnwrapped: number): void {
    this.label = label;
    this.length = length;
    this.extraCaps = extraCaps;
    this.capsUnwrapped = capsUnwrapped;
  }
}

export function createMessageBuffer(): MessageBuffer {
  return new Uint32Array(MSG_MAX_WORDS * 2);
}

/** Word i as an unsigned number; exact below 2^53. */
export function getWord(buf: MessageBuffer, i: number): number {
  return buf[2 * i + 1] * TWO_32 + buf[2 * i];
}

export function getWordLo(buf: MessageBuffer, i: number): number {
  return buf[2 * i];
}

export function getWordHi(buf: MessageBuffer, i: number): number {
  return buf[2 * i + 1];
}

/** Stores an integer; negative values become 64-bit two's complement. */
export function setWord(buf: MessageBuffer, i: number, value: number): void {
  // Uint32Array stores reduce modulo 2^32, which is exactly the low half;
  // floor division gives the (signed) high half, reduced the same way.
  buf[2 * i] = value;
  buf[2 * i + 1] = Math.floor(value / TWO_32);
}

export function setWordParts(buf: MessageBuffer, i: number, lo: number, hi: number): void {
  buf[2 * i] = lo;
  buf[2 * i + 1] = hi;
}

/** Clamps a requested length the way seL4 does (never an error). */
export function clampLength(length: number): number {
  return length > MSG_MAX_WORDS ? MSG_MAX_WORDS : length > 0 ? length | 0 : 0;
}

/** Clamps a requested extra-cap count to MSG_MAX_EXTRA_CAPS. */
export function clampExtraCaps(count: number): number {
  return count > MSG_MAX_EXTRA_CAPS ? MSG_MAX_EXTRA_CAPS : count > 0 ? count | 0 : 0;
}
