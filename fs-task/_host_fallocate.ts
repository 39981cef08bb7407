// The host's fallocate(2), for HostFs.fallocate: reserving space, punching holes and
// zeroing ranges belong to the host's file system, and Node has no binding for any of them.
//
// Bound through koffi on first use; null where libc or the call is missing (non-Linux
// hosts), and the caller then answers ENOSYS.

import { createRequire } from "node:module";
import { ENOSYS } from "./_errno.ts";

type Koffi = typeof import("koffi");
type Fallocate = (fd: number, mode: number, offset: number, length: number) => number;
type Bound = { fallocate: Fallocate; errno: () => number } | null;

let bound: Bound | undefined;

function bind(): Bound {
  try {
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const fallocate = koffi.load("libc.so.6").func("int fallocate(int, int, int64_t, int64_t)") as Fallocate;
    return { fallocate, errno: () => koffi.errno() as number };
  } catch {
    return null;
  }
}

/**
 * fallocate(fd, mode, offset, length) on the host: 0, or a negative host errno (Linux
 * hosts share Linux's numbers); -ENOSYS when the host has no fallocate.
 */
export function hostFallocate(fd: number, mode: number, offset: number, length: number): number {
  if (bound === undefined) bound = bind();
  const b = bound;
  if (b === null) return -ENOSYS;
  return b.fallocate(fd, mode, offset, length) < 0 ? -b.errno() : 0;
}
