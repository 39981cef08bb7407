// memfd_create(2): an anonymous regular file, a tmpfs file no path names (O_TMPFILE in
// the user kernel's tmpfs for such files), charged to the memory quota. Linux: mm/memfd.c.
// Seals (F_ADD_SEALS) are not kept: MFD_ALLOW_SEALING is accepted, sealing is EINVAL.

import * as E from "../../linux-abi/errno.ts";
import * as F from "../../linux-abi/fcntl.ts";
import { MFD_ALLOW_SEALING, MFD_CLOEXEC, MFD_EXEC, MFD_NOEXEC_SEAL } from "../../linux-abi/fs.ts";
import { OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import { FsFile } from "../vfs.ts";
import type { SyscallArgs } from "./args.ts";
import { getString } from "./_struct.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

/** The name's limit: NAME_MAX less the "memfd:" prefix. */
const MFD_NAME_MAX = 249;

/** MemfdCreate implements Linux syscall memfd_create(2). */
export function sysMemfdCreate(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.uint(1);
  if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC)) return -E.EINVAL;
  const name = getString(t.process.memory, a.ptr(0), MFD_NAME_MAX + 1, -E.EINVAL);
  if (typeof name === "number") return name;
  const fs = k.anonFiles;
  const mode = flags & MFD_NOEXEC_SEAL ? 0o666 : 0o777;
  const h = fs.open("/", F.O_TMPFILE | F.O_RDWR, mode);
  if (typeof h !== "number") return -E.EIO;
  if (h < 0) return h;
  const st = fs.fstat(h);
  if (typeof st === "number") {
    fs.close(h);
    return st;
  }
  const file = new OpenFile(new FsFile(fs, h, `/memfd:${name} (deleted)`, st, null, false, k.pageCache), F.O_RDWR);
  return t.process.fds.install(file, (flags & MFD_CLOEXEC) !== 0);
}
