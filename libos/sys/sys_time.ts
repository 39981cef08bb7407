// Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time, nanosleep,
// clock_nanosleep, times. Linux: kernel/time/. A sleeping thread's syscall answers from
// a host timer; nothing spins.

import * as E from "../../linux-abi/errno.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

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
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, ns / NS, true);
  v.setBigInt64(8, ns % NS, true);
  return t.process.memory.write(addr, b);
}

function getTimespec(t: Thread, addr: number): bigint | number {
  const b = t.process.memory.view(addr, 16, PROT_READ);
  if (!b) return -E.EFAULT;
  const v = new DataView(b.buffer, b.byteOffset, 16);
  const sec = v.getBigInt64(0, true), nsec = v.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= NS) return -E.EINVAL;
  return sec * NS + nsec;
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
    const us = BigInt(Date.now()) * 1000n;
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigInt64(0, us / 1_000_000n, true);
    v.setBigInt64(8, us % 1_000_000n, true);
    if (!t.process.memory.write(a.ptr(0), b)) return -E.EFAULT;
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
  const ticks = BigInt(Math.floor((Date.now() - k.bootTimeMs) / 10));
  if (a.ptr(0)) {
    const u = process.cpuUsage();
    const b = new Uint8Array(32);
    const v = new DataView(b.buffer);
    v.setBigInt64(0, BigInt(Math.floor(u.user / 10000)), true);
    v.setBigInt64(8, BigInt(Math.floor(u.system / 10000)), true);
    if (!t.process.memory.write(a.ptr(0), b)) return -E.EFAULT;
  }
  return Number(ticks);
}
