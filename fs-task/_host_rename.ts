// The host's renameat2(2), for HostFs.rename with RENAME_NOREPLACE or RENAME_EXCHANGE:
// only the host kernel can do either atomically, and Node has no binding for it. The two
// names are given relative to directory fds the confined walk holds (_confined_path.ts),
// so the host looks up nothing but the last components: no path is walked again.
//
// Bound through koffi on first use; null where libc or the call is missing (glibc before
// 2.28, non-Linux hosts), and the caller then answers EINVAL.

import { createRequire } from "node:module";
import { EINVAL } from "./_errno.ts";

type Koffi = typeof import("koffi");
type Renameat2 = (oldDirFd: number, oldName: string, newDirFd: number, newName: string, flags: number) => number;
type Bound = { renameat2: Renameat2; errno: () => number } | null;

let bound: Bound | undefined;

function bind(): Bound {
  try {
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const renameat2 = koffi.load("libc.so.6").func("int renameat2(int, const char *, int, const char *, unsigned int)") as Renameat2;
    return { renameat2, errno: () => koffi.errno() as number };
  } catch {
    return null;
  }
}

/**
 * renameat2(oldDirFd, oldName, newDirFd, newName, flags) on the host: 0, or a negative host
 * errno (Linux hosts share Linux's numbers); -EINVAL when the host has no renameat2.
 */
export function hostRenameat2(oldDirFd: number, oldName: string, newDirFd: number, newName: string, flags: number): number {
  if (bound === undefined) bound = bind();
  const b = bound;
  if (b === null) return -EINVAL;
  return b.renameat2(oldDirFd, oldName, newDirFd, newName, flags) < 0 ? -b.errno() : 0;
}
