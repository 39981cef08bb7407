// Native memory seen by address, from any thread (the fs-task worker's side of worker
// mode). Checked on this machine: a block mmap'd by the main thread (allocNative) and
// viewed in a worker through koffi.view is the same memory both ways, no copy.
//
// koffi.view needs a pointer value, not a number: the address is written into a 64-bit
// cell and decoded as `void *`. A view costs a few µs and, for large blocks, puts
// pressure on the GC (external memory), so views are cached per block (address and
// length); the client always names a whole block plus an offset inside it.

import fs from "node:fs";
import { koffi as loadKoffi } from "../microkernel/platform/koffi.ts";

const koffi = loadKoffi();

const cell = new BigUint64Array(1);
const cache = new Map<number, Uint8Array>();
const CACHE_LIMIT = 4096;

/** The `length` bytes at host `address`, as a Uint8Array (cached). */
export function nativeView(address: number, length: number): Uint8Array {
  const cached = cache.get(address);
  if (cached !== undefined && cached.length === length) return cached;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cell[0] = BigInt(address);
  const view = new Uint8Array(koffi.view(koffi.decode(cell, "void *"), length));
  cache.set(address, view);
  return view;
}

let gettid: (() => number) | null | undefined;

/** This thread's OS thread id (Linux gettid), 0 where there is none. */
export function osThreadId(): number {
  if (gettid === undefined) {
    try {
      gettid = koffi.load("libc.so.6").func("int gettid(void)") as () => number;
    } catch {
      gettid = null;
    }
  }
  return gettid === null ? 0 : gettid();
}

/** A thread's start time from /proc (field 22 of stat), or null if it is gone (or no /proc). */
export function threadStart(tid: number): string | null {
  if (tid <= 0) return "";
  let text: string;
  try {
    text = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  } catch {
    return null;
  }
  return text.slice(text.lastIndexOf(")") + 2).split(" ")[19] ?? "";
}
