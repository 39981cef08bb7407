// The host's sendfile(2), for HostFs.sendToHost: file data goes from one host descriptor
// to another inside the host kernel, never through this process's memory (the guest's
// `cat FILE` on a host volume to a host stdout moves as fast as natively).
//
// Bound through koffi on first use; null where libc or the call is missing (non-Linux
// hosts), and the caller then copies.

import { createRequire } from "node:module";
import { ENOSYS } from "./_errno.ts";

type Koffi = typeof import("koffi");
type Sendfile = (outFd: number, inFd: number, offset: BigInt64Array, count: number) => number;
type Bound = { sendfile: Sendfile; errno: () => number } | null;

let bound: Bound | undefined;
// The in/out offset cell: sendfile runs synchronously, so one cell serves every call.
const offsetCell = new BigInt64Array(1);

function bind(): Bound {
  try {
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const sendfile = koffi.load("libc.so.6").func("long sendfile(int, int, _Inout_ int64_t *, unsigned long)") as Sendfile;
    return { sendfile, errno: () => koffi.errno() as number };
  } catch {
    return null;
  }
}

/**
 * Up to `count` bytes of `inFd` from `offset` into `outFd`: bytes sent, or a negative
 * host errno (-ENOSYS when the host has no sendfile; Linux hosts share Linux's numbers).
 */
export function hostSendfile(outFd: number, inFd: number, offset: number, count: number): number {
  if (bound === undefined) bound = bind();
  const b = bound;
  if (b === null) return -ENOSYS;
  offsetCell[0] = BigInt(offset);
  const n = b.sendfile(outFd, inFd, offsetCell, count);
  return n < 0 ? -b.errno() : n;
}
