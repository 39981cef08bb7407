// futex(2) (Linux: kernel/futex/syscalls.c): the decoding; the waiters live in libos/futex.ts.

import * as E from "../../linux-abi/errno.ts";
import {
  FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_CMP_REQUEUE, FUTEX_LOCK_PI, FUTEX_LOCK_PI2,
  FUTEX_REQUEUE, FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET,
} from "../../linux-abi/futex.ts";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, SIZEOF_TIMESPEC, decodeTimespec } from "../../linux-abi/time.ts";
import type { WaitvWord } from "../futex.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getStruct } from "./_struct.ts";
import { WOULD_BLOCK } from "../futex_pi.ts";
import { monotonicNs } from "../wall_clock.ts";

/** An absolute timeout on CLOCK_REALTIME (the user kernel's) or CLOCK_MONOTONIC as a performance.now() deadline. */
function absoluteDeadline(k: KernelServices, ms: number, realtime: boolean): number {
  return performance.now() + (ms - Number(realtime ? k.wallClock.nowNs() : monotonicNs()) / 1e6);
}

/** Futex implements Linux syscall futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, the BITSET forms and the PI locks. */
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
        deadline = cmd === FUTEX_WAIT ? performance.now() + ms : absoluteDeadline(k, ms, (op & FUTEX_CLOCK_REALTIME) !== 0);
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
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2: {
      if (cmd === FUTEX_LOCK_PI && op & FUTEX_CLOCK_REALTIME) return -E.ENOSYS;
      let deadline: number | undefined;
      if (timeout) {
        const ts = getStruct(mem, timeout, SIZEOF_TIMESPEC, decodeTimespec);
        if (!ts) return -E.EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
        // LOCK_PI's timeout is on CLOCK_REALTIME; LOCK_PI2's on the clock the flag names.
        deadline = absoluteDeadline(k, ts.tv_sec * 1000 + ts.tv_nsec / 1e6, cmd === FUTEX_LOCK_PI || (op & FUTEX_CLOCK_REALTIME) !== 0);
      }
      const r = k.piFutexes.lock(t, addr, deadline, k.threads);
      return r === WOULD_BLOCK ? -E.EAGAIN : r;
    }
    case FUTEX_TRYLOCK_PI: {
      const r = k.piFutexes.lock(t, addr, null, k.threads);
      return r === WOULD_BLOCK ? -E.EAGAIN : r;
    }
    case FUTEX_UNLOCK_PI:
      return k.piFutexes.unlock(t, addr);
    default:
      return -E.ENOSYS;
  }
}

/** FUTEX_WAITV_MAX: the most words one futex_waitv waits on. */
const FUTEX_WAITV_MAX = 128;
/** struct futex_waitv: val (u64), uaddr (u64), flags (u32), __reserved (u32). */
const SIZEOF_FUTEX_WAITV = 24;
const FUTEX2_SIZE_MASK = 0x03, FUTEX2_SIZE_U32 = 0x02, FUTEX2_NUMA = 0x04, FUTEX2_MPOL = 0x08, FUTEX2_PRIVATE = 0x80;
const FUTEX2_VALID_MASK = FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE;

/**
 * FutexWaitv implements Linux syscall futex_waitv(2): sleep on up to 128 32-bit words
 * until one is woken (its index is the result), with an absolute timeout on
 * CLOCK_MONOTONIC or CLOCK_REALTIME.
 */
export function sysFutexWaitv(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), count = a.uint(1), timeout = a.ptr(3), clock = a.int(4);
  if (a.uint(2) !== 0) return -E.EINVAL;
  if (count === 0 || count > FUTEX_WAITV_MAX || addr === 0) return -E.EINVAL;
  const mem = t.process.memory;
  let deadline: number | undefined;
  if (timeout) {
    if (clock !== CLOCK_MONOTONIC && clock !== CLOCK_REALTIME) return -E.EINVAL;
    const ts = getStruct(mem, timeout, SIZEOF_TIMESPEC, decodeTimespec);
    if (!ts) return -E.EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
    deadline = absoluteDeadline(k, ts.tv_sec * 1000 + ts.tv_nsec / 1e6, clock === CLOCK_REALTIME);
  }
  const raw = mem.view(addr, count * SIZEOF_FUTEX_WAITV, PROT_READ);
  if (!raw) return -E.EFAULT;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const words: WaitvWord[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * SIZEOF_FUTEX_WAITV;
    const val = v.getBigUint64(at, true), uaddr = Number(v.getBigUint64(at + 8, true));
    const flags = v.getUint32(at + 16, true), reserved = v.getUint32(at + 20, true);
    // Only 32-bit words, without NUMA placement, are implemented (futex_flags_valid).
    if (flags & ~FUTEX2_VALID_MASK || reserved !== 0 || (flags & (FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL)) !== FUTEX2_SIZE_U32) return -E.EINVAL;
    if (val > 0xffffffffn) return -E.EINVAL;
    if (uaddr % 4 !== 0) return -E.EINVAL;
    words.push({ addr: uaddr, expected: Number(val) });
  }
  return k.futexes.waitMany(t, words, deadline);
}
