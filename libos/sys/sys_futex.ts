// futex(2) (Linux: kernel/futex/syscalls.c): the decoding; the waiters live in libos/futex.ts.

import * as E from "../../linux-abi/errno.ts";
import {
  FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_CMP_REQUEUE, FUTEX_REQUEUE, FUTEX_WAIT,
  FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET,
} from "../../linux-abi/futex.ts";
import { SIZEOF_TIMESPEC, decodeTimespec } from "../../linux-abi/time.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getStruct } from "./_struct.ts";

/** Futex implements Linux syscall futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE and the BITSET forms. */
export function sysFutex(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), op = a.int(1), val = a.uint(2), timeout = a.ptr(3), addr2 = a.ptr(4), val3 = a.uint(5);
  const cmd = op & FUTEX_CMD_MASK;
  if (addr % 4 !== 0) return -E.EINVAL;
  const mem = t.process.memory;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const bitset = cmd === FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3;
      if (bitset === 0) return -E.EINVAL;
      let deadline: number | undefined;
      if (timeout) {
        const ts = getStruct(mem, timeout, SIZEOF_TIMESPEC, decodeTimespec);
        if (!ts) return -E.EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
        const ms = ts.tv_sec * 1000 + ts.tv_nsec / 1e6;
        // FUTEX_WAIT takes a relative timeout; WAIT_BITSET an absolute one on its clock.
        if (cmd === FUTEX_WAIT) deadline = performance.now() + ms;
        else if (op & FUTEX_CLOCK_REALTIME) deadline = performance.now() + (ms - Date.now());
        else deadline = performance.now() + (ms - Number(process.hrtime.bigint()) / 1e6);
      }
      return k.futexes.wait(t, addr, val, bitset >>> 0, deadline);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      const bitset = cmd === FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3;
      if (bitset === 0) return -E.EINVAL;
      return k.futexes.wake(mem, addr, val, bitset >>> 0);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
      if (addr2 % 4 !== 0) return -E.EINVAL;
      // The "timeout" argument carries the requeue count.
      return k.futexes.requeue(mem, addr, val, addr2, timeout, cmd === FUTEX_CMP_REQUEUE ? val3 : null);
    default:
      return -E.ENOSYS;
  }
}
