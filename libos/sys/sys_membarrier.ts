// membarrier(2). Linux: kernel/sched/membarrier.c. Every guest thread of a user kernel runs
// on one host thread, one at a time, and entering the kernel-task orders its memory accesses
// against every other thread's; so a barrier on all threads has nothing left to do, and the
// commands only keep Linux's rules: private expedited ones need the process registered first.

import * as E from "../../linux-abi/errno.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

// Linux: include/uapi/linux/membarrier.h.
const MEMBARRIER_CMD_QUERY = 0;
const MEMBARRIER_CMD_GLOBAL = 1 << 0;
const MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1;
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;

const SUPPORTED = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
  | MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;

/** Membarrier implements Linux syscall membarrier(2): the global and private expedited commands. */
export function sysMembarrier(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const cmd = a.int(0), flags = a.uint(1);
  if (flags !== 0) return -E.EINVAL;
  const p = t.process;
  switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
      return SUPPORTED;
    case MEMBARRIER_CMD_GLOBAL:
    case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
      return 0;
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
      p.membarrierPrivate = true;
      return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
      return p.membarrierPrivate ? 0 : -E.EPERM;
    default:
      return -E.EINVAL;
  }
}
