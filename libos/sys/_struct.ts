// Copying a linux-abi struct between a codec and guest memory: encode into a scratch
// buffer then write (copy_to_user), or view then decode (copy_from_user). null/false
// means the guest pointer was bad (EFAULT).

import { EFAULT } from "../../linux-abi/errno.ts";
import { PROT_READ, type GuestMemory } from "../memory.ts";

export type Encoder<T> = (view: DataView, offset: number, value: T) => void;
export type Decoder<T> = (view: DataView, offset: number) => T;

export function putStruct<T>(mem: GuestMemory, addr: number, size: number, encode: Encoder<T>, value: T): boolean {
  // Encoded in one scratch buffer, zeroed first (padding stays 0): write() copies it out.
  if (size > scratch.length) return putStructFresh(mem, addr, size, encode, value);
  scratch.fill(0, 0, size);
  encode(scratchView, 0, value);
  return mem.write(addr, scratch.subarray(0, size));
}

const scratch = new Uint8Array(512);
const scratchView = new DataView(scratch.buffer);

function putStructFresh<T>(mem: GuestMemory, addr: number, size: number, encode: Encoder<T>, value: T): boolean {
  const bytes = new Uint8Array(size);
  encode(new DataView(bytes.buffer), 0, value);
  return mem.write(addr, bytes);
}

/**
 * strncpy_from_user: the C string at `addr` (a byte string), -EFAULT if unreadable memory
 * comes before its NUL, or `tooLong` when `max` readable bytes hold no NUL.
 */
export function getString(mem: GuestMemory, addr: number, max: number, tooLong: number): string | number {
  const s = mem.readCString(addr, max);
  if (s !== null) return s;
  return mem.extent(addr, max, PROT_READ) < max ? -EFAULT : tooLong;
}

export function getStruct<T>(mem: GuestMemory, addr: number, size: number, decode: Decoder<T>): T | null {
  const bytes = mem.view(addr, size, PROT_READ);
  return bytes ? decode(new DataView(bytes.buffer, bytes.byteOffset, size), 0) : null;
}
