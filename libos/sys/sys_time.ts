// Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time, nanosleep,
// clock_nanosleep, times. Linux: kernel/time/. A sleeping thread's syscall answers from
// a host timer; nothing spins.

import * as E from "../../linux-abi/errno.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getStruct, putStruct } from "./_struct.ts";
import {
  SIZEOF_TIMESPEC, SIZEOF_TIMEVAL, SIZEOF_TMS, decodeTimespec, encodeTimespec, encodeTimeval, encodeTms,
} from "../../linux-abi/time.ts";

const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
const CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;
const TIMER_ABSTIME = 1;
const NS = 1_000_000_000n;

// Real time is the host's; monotonic time is the host's monotonic clock.
function nowNs(clock: number): bigint | null {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
      return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
      return process.hrtime.bigint();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return BigInt(Math.round(process.cpuUsage().user * 1000));
    default:
      return null;
  }
}

function putTimespec(t: Thread, addr: number, ns: bigint): boolean {
  return putStruct(t.process.memory, addr, SIZEOF_TIMESPEC, encodeTimespec, { tv_sec: Number(ns / NS), tv_nsec: Number(ns % NS) });
}

function getTimespec(t: Thread, addr: number): bigint | number {
  const ts = getStruct(t.process.memory, addr, SIZEOF_TIMESPEC, decodeTimespec);
  if (!ts) return -E.EFAULT;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
  return BigInt(ts.tv_sec) * NS + BigInt(ts.tv_nsec);
}

/** ClockGettime implements Linux syscall clock_gettime(2). */
export function sysClockGettime(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const ns = nowNs(a.int(0));
  if (ns === null) return -E.EINVAL;
  return putTimespec(t, a.ptr(1), ns) ? 0 : -E.EFAULT;
}

/** ClockGetres implements Linux syscall clock_getres(2): 1 ns. */
export function sysClockGetres(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (nowNs(a.int(0)) === null) return -E.EINVAL;
  return a.ptr(1) === 0 || putTimespec(t, a.ptr(1), 1n) ? 0 : -E.EFAULT;
}

/** Gettimeofday implements Linux syscall gettimeofday(2). */
export function sysGettimeofday(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.ptr(0)) {
    const ms = Date.now();
    const tv = { tv_sec: Math.floor(ms / 1000), tv_usec: (ms % 1000) * 1000 };
    if (!putStruct(t.process.memory, a.ptr(0), SIZEOF_TIMEVAL, encodeTimeval, tv)) return -E.EFAULT;
  }
  if (a.ptr(1) && !t.process.memory.write(a.ptr(1), new Uint8Array(8))) return -E.EFAULT;
  return 0;
}

/** Time implements Linux syscall time(2). */
export function sysTime(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const s = Math.floor(Date.now() / 1000);
  if (a.ptr(0)) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(s), true);
    if (!t.process.memory.write(a.ptr(0), b)) return -E.EFAULT;
  }
  return s;
}

function sleepNs(ns: bigint): Promise<number> | number {
  if (ns <= 0n) return 0;
  return new Promise((resolve) => setTimeout(() => resolve(0), Number(ns / 1_000_000n) || 1));
}

/** Nanosleep implements Linux syscall nanosleep(2). */
export function sysNanosleep(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const ns = getTimespec(t, a.ptr(0));
  return typeof ns === "number" ? ns : sleepNs(ns);
}

/** ClockNanosleep implements Linux syscall clock_nanosleep(2), relative and absolute. */
export function sysClockNanosleep(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const clock = a.int(0);
  const now = nowNs(clock);
  if (now === null || clock === CLOCK_THREAD_CPUTIME_ID) return -E.EINVAL;
  const ns = getTimespec(t, a.ptr(2));
  if (typeof ns === "number") return ns;
  return sleepNs(a.int(1) & TIMER_ABSTIME ? ns - now : ns);
}

/** Times implements Linux syscall times(2) in clock ticks of 100 Hz. */
export function sysTimes(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const ticks = Math.floor((Date.now() - k.bootTimeMs) / 10);
  if (a.ptr(0)) {
    const u = process.cpuUsage();
    const tms = { tms_utime: Math.floor(u.user / 10000), tms_stime: Math.floor(u.system / 10000), tms_cutime: 0, tms_cstime: 0 };
    if (!putStruct(t.process.memory, a.ptr(0), SIZEOF_TMS, encodeTms, tms)) return -E.EFAULT;
  }
  return ticks;
}
