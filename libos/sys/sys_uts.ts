// sethostname(2), setdomainname(2) (Linux: kernel/sys.c). The names are the user kernel's
// own (libos/uts.ts); setting them takes CAP_SYS_ADMIN.

import * as E from "../../linux-abi/errno.ts";
import { bytesToString } from "../../linux-abi/_byte_string.ts";
import { CAP_SYS_ADMIN } from "../../linux-abi/capability.ts";
import { PROT_READ } from "../../linux-abi/mman.ts";
import { capable } from "../capabilities.ts";
import type { Thread } from "../process.ts";
import { __NEW_UTS_LEN } from "../uts.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

/**
 * The `len` bytes at `addr` as the new name (kernel/sys.c's checks in order: privilege,
 * length, then the copy); the name stops at a NUL, as the padded field then reads.
 */
function setName(t: Thread, a: SyscallArgs, set: (name: string) => void): SyscallResult {
  if (!capable(t.creds, CAP_SYS_ADMIN)) return -E.EPERM;
  const len = a.int(1);
  if (len < 0 || len > __NEW_UTS_LEN) return -E.EINVAL;
  const bytes = t.process.memory.view(a.ptr(0), len, PROT_READ);
  if (!bytes) return -E.EFAULT;
  const nul = bytes.indexOf(0);
  set(bytesToString(nul < 0 ? bytes : bytes.subarray(0, nul)));
  return 0;
}

/** Sethostname implements Linux syscall sethostname(2). */
export const sysSethostname = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  setName(t, a, (name) => void (k.uts.hostname = name));

/** Setdomainname implements Linux syscall setdomainname(2). */
export const sysSetdomainname = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  setName(t, a, (name) => void (k.uts.domainname = name));
