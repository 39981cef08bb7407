// Setting and steering the real-time clock: clock_settime(2), settimeofday(2),
// adjtimex(2), clock_adjtime(2). Linux: kernel/time/time.c, posix-timers.c,
// timekeeping.c. The clock is the user kernel's own (libos/wall_clock.ts); changing it
// takes CAP_SYS_TIME, which root holds here.

import * as E from "../../linux-abi/errno.ts";
import {
  CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
  CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
  SIZEOF_TIMESPEC, SIZEOF_TIMEVAL, decodeTimespec, decodeTimeval,
} from "../../linux-abi/time.ts";
import { SIZEOF_TIMEX, decodeTimex, encodeTimex } from "../../linux-abi/timex.ts";
import { CAP_SYS_TIME } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import { validSettod } from "../wall_clock.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getStruct, putStruct } from "./_struct.ts";

/** The clock ids Linux knows (clockid_to_kclock); only CLOCK_REALTIME can be set or adjusted. */
const KNOWN_CLOCKS = new Set([
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI,
]);
/** settimeofday's timezone may be at most 15 hours off. */
const MAX_MINUTES_WEST = 15 * 60;

/** ClockSettime implements Linux syscall clock_settime(2). */
export function sysClockSettime(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.int(0) !== CLOCK_REALTIME) return -E.EINVAL;
  const ts = getStruct(t.process.memory, a.ptr(1), SIZEOF_TIMESPEC, decodeTimespec);
  if (!ts) return -E.EFAULT;
  return setTime(k, t, BigInt(ts.tv_sec), BigInt(ts.tv_nsec));
}

/** do_sys_settimeofday64's time: checked first, then the privilege. */
function setTime(k: KernelServices, t: Thread, sec: bigint, nsec: bigint): number {
  if (!validSettod(sec, nsec)) return -E.EINVAL;
  if (!capable(t.creds, CAP_SYS_TIME)) return -E.EPERM;
  return k.wallClock.set(sec, nsec);
}

/** Settimeofday implements Linux syscall settimeofday(2): the time, the timezone, or both. */
export function sysSettimeofday(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mem = t.process.memory;
  let time: { sec: bigint; nsec: bigint } | null = null;
  if (a.ptr(0)) {
    const tv = getStruct(mem, a.ptr(0), SIZEOF_TIMEVAL, decodeTimeval);
    if (!tv) return -E.EFAULT;
    if (tv.tv_usec > 1_000_000 || tv.tv_usec < 0) return -E.EINVAL;
    time = { sec: BigInt(tv.tv_sec), nsec: BigInt(tv.tv_usec) * 1000n };
  }
  let tz: { minuteswest: number; dsttime: number } | null = null;
  if (a.ptr(1)) {
    const raw = getStruct(mem, a.ptr(1), 8, (v, o) => ({ minuteswest: v.getInt32(o, true), dsttime: v.getInt32(o + 4, true) }));
    if (!raw) return -E.EFAULT;
    tz = raw;
  }
  if (time && !validSettod(time.sec, time.nsec)) return -E.EINVAL;
  if (!capable(t.creds, CAP_SYS_TIME)) return -E.EPERM;
  if (tz) {
    if (Math.abs(tz.minuteswest) > MAX_MINUTES_WEST) return -E.EINVAL;
    k.wallClock.timezone = tz;
  }
  return time ? k.wallClock.set(time.sec, time.nsec) : 0;
}

/** The timex at `addr` through the clock's adjtimex, written back on success: the clock state, or -errno. */
function adjust(k: KernelServices, t: Thread, addr: number): number {
  const mem = t.process.memory;
  const txc = getStruct(mem, addr, SIZEOF_TIMEX, decodeTimex);
  if (!txc) return -E.EFAULT;
  const r = k.wallClock.adjtimex(txc, capable(t.creds, CAP_SYS_TIME));
  if (r < 0) return r;
  return putStruct(mem, addr, SIZEOF_TIMEX, encodeTimex, txc) ? r : -E.EFAULT;
}

/** Adjtimex implements Linux syscall adjtimex(2). */
export const sysAdjtimex = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => adjust(k, t, a.ptr(0));

/** ClockAdjtime implements Linux syscall clock_adjtime(2): CLOCK_REALTIME only (EOPNOTSUPP for the other clocks). */
export function sysClockAdjtime(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const clock = a.int(0);
  if (!KNOWN_CLOCKS.has(clock)) return -E.EINVAL;
  if (clock !== CLOCK_REALTIME) return -E.EOPNOTSUPP;
  return adjust(k, t, a.ptr(1));
}
