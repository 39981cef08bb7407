// Clocks, sleeping and timers: clock_gettime, clock_getres, gettimeofday, time,
// nanosleep, clock_nanosleep, alarm, getitimer/setitimer, timer_create and friends,
// times. Linux: kernel/time/. A sleeping thread's syscall answers from a host timer
// (nothing spins), and a signal interrupts it.

import * as E from "../../linux-abi/errno.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getStruct, putStruct } from "./_struct.ts";
import {
  SIZEOF_TIMESPEC, SIZEOF_TIMEVAL, SIZEOF_TMS, decodeTimespec, encodeTimespec, encodeTimeval, encodeTms,
} from "../../linux-abi/time.ts";

import {
  CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME,
  CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID, ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL, SIZEOF_ITIMERSPEC, SIZEOF_ITIMERVAL,
  TIMER_ABSTIME, decodeItimerspec, decodeItimerval, encodeItimerspec, encodeItimerval,
} from "../../linux-abi/time.ts";
import { SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID, SIZEOF_SIGEVENT, SI_KERNEL, SI_TIMER, decodeSigevent, type Sigevent } from "../../linux-abi/siginfo.ts";
import { SIGALRM } from "../../linux-abi/signal.ts";
import { RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD, SIZEOF_RUSAGE, encodeRusage, type Rusage } from "../../linux-abi/resource.ts";
import { then } from "./_io.ts";
import { PROT_READ } from "../memory.ts";
import { ITIMER_REAL_ID, type Process } from "../process.ts";
import { IntervalTimer } from "../timers.ts";
import { monotonicNs, type WallClock } from "../wall_clock.ts";
import { ERESTARTNOHAND, sleepUntilSignal } from "../wait_queue.ts";
const NS = 1_000_000_000n;

/**
 * The time on `clock` in ns, or null for a clock that does not exist. Real time is the
 * user kernel's (`wall`: the host's plus what the guest set); monotonic time is the
 * host's monotonic clock; CPU time is the time of the thread's (or process's) engine
 * runs (KernelTask.chargeCpu), so it needs `t`.
 */
export function nowNs(wall: WallClock, clock: number, t: Thread | null = null): bigint | null {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
      return wall.nowNs();
    case CLOCK_TAI:
      return wall.taiNs();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
      return monotonicNs();
    case CLOCK_PROCESS_CPUTIME_ID:
      return t === null ? null : BigInt(Math.round(t.process.cpuUs * 1000));
    case CLOCK_THREAD_CPUTIME_ID:
      return t === null ? null : BigInt(Math.round(t.cpuUs * 1000));
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
export function sysClockGettime(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const ns = nowNs(k.wallClock, a.int(0), t);
  if (ns === null) return -E.EINVAL;
  return putTimespec(t, a.ptr(1), ns) ? 0 : -E.EFAULT;
}

/** ClockGetres implements Linux syscall clock_getres(2): 1 ns. */
export function sysClockGetres(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (nowNs(k.wallClock, a.int(0), t) === null) return -E.EINVAL;
  return a.ptr(1) === 0 || putTimespec(t, a.ptr(1), 1n) ? 0 : -E.EFAULT;
}

/** Gettimeofday implements Linux syscall gettimeofday(2): the time and the timezone settimeofday set. */
export function sysGettimeofday(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.ptr(0)) {
    const ns = k.wallClock.nowNs();
    const tv = { tv_sec: Number(ns / NS), tv_usec: Number((ns % NS) / 1000n) };
    if (!putStruct(t.process.memory, a.ptr(0), SIZEOF_TIMEVAL, encodeTimeval, tv)) return -E.EFAULT;
  }
  if (a.ptr(1)) {
    const tz = new Uint8Array(8), v = new DataView(tz.buffer);
    v.setInt32(0, k.wallClock.timezone.minuteswest, true);
    v.setInt32(4, k.wallClock.timezone.dsttime, true);
    if (!t.process.memory.write(a.ptr(1), tz)) return -E.EFAULT;
  }
  return 0;
}

/** Time implements Linux syscall time(2). */
export function sysTime(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const s = Number(k.wallClock.nowNs() / NS);
  if (a.ptr(0)) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(s), true);
    if (!t.process.memory.write(a.ptr(0), b)) return -E.EFAULT;
  }
  return s;
}

/**
 * Sleep `ns` on the monotonic clock, interruptibly. Interrupted, it writes what is left
 * to `remAddr` (if any) and fails with EINTR when a handler runs; with no handler it
 * sleeps on (Linux restarts it through restart_block; here, for the time left).
 */
function sleepFor(t: Thread, ns: bigint, remAddr: number): SyscallResult {
  if (ns <= 0n) return 0;
  const deadline = performance.now() + Number(ns) / 1e6;
  return then(sleepUntilSignal(t, deadline, -ERESTARTNOHAND), (r) => {
    if (r !== -ERESTARTNOHAND) return r;
    const left = BigInt(Math.max(0, Math.round((deadline - performance.now()) * 1e6)));
    if (remAddr && !putTimespec(t, remAddr, left)) return -E.EFAULT;
    return r;
  });
}

/** Nanosleep implements Linux syscall nanosleep(2). */
export function sysNanosleep(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const ns = getTimespec(t, a.ptr(0));
  return typeof ns === "number" ? ns : sleepFor(t, ns, a.ptr(1));
}

/** ClockNanosleep implements Linux syscall clock_nanosleep(2), relative and absolute. */
export function sysClockNanosleep(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const clock = a.int(0);
  const now = nowNs(k.wallClock, clock, t);
  if (now === null || clock === CLOCK_THREAD_CPUTIME_ID) return -E.EINVAL;
  const ns = getTimespec(t, a.ptr(2));
  if (typeof ns === "number") return ns;
  const absolute = (a.int(1) & TIMER_ABSTIME) !== 0;
  const r = sleepFor(t, absolute ? ns - now : ns, absolute ? 0 : a.ptr(3));
  // clock_nanosleep returns the error instead of setting errno.
  return r;
}

// ----- interval timers -----------------------------------------------------------------

const msOf = (sec: number, sub: number, perSec: number): number => sec * 1000 + (sub * 1000) / perSec;

function realTimer(k: KernelServices, p: Process): IntervalTimer {
  let timer = p.timers.get(ITIMER_REAL_ID);
  if (!timer) {
    timer = new IntervalTimer(() => k.sendSignal(p, { layout: "kill", si_signo: SIGALRM, si_errno: 0, si_code: SI_KERNEL, si_pid: 0, si_uid: 0 }));
    p.timers.set(ITIMER_REAL_ID, timer);
  }
  return timer;
}

function timevalOf(ms: number): { tv_sec: number; tv_usec: number } {
  const us = Math.round(ms * 1000);
  return { tv_sec: Math.floor(us / 1e6), tv_usec: us % 1e6 };
}

/** Alarm implements Linux syscall alarm(2): returns the seconds left of the previous alarm. */
export function sysAlarm(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const timer = realTimer(k, t.process);
  const left = timer.remainingMs();
  timer.arm(a.uint(0) * 1000, 0);
  return left > 0 ? Math.max(1, Math.round(left / 1000)) : 0;
}

/** An interval timer's state in ms: ITIMER_REAL on the host clock, the others on the process's CPU time. */
interface ItimerState {
  intervalMs: number;
  valueMs: number;
}

function itimerState(p: Process, which: number): ItimerState {
  if (which === ITIMER_REAL) {
    const timer = p.timers.get(ITIMER_REAL_ID);
    return { intervalMs: timer?.intervalMs ?? 0, valueMs: timer?.remainingMs() ?? 0 };
  }
  const timer = p.cpuTimers[which === ITIMER_VIRTUAL ? 0 : 1];
  return { intervalMs: timer.intervalUs / 1000, valueMs: timer.expiresUs > 0 ? Math.max(0, timer.expiresUs - p.cpuUs) / 1000 : 0 };
}

function putItimer(t: Thread, addr: number, state: ItimerState): boolean {
  const it = { it_interval: timevalOf(state.intervalMs), it_value: timevalOf(state.valueMs) };
  return putStruct(t.process.memory, addr, SIZEOF_ITIMERVAL, encodeItimerval, it);
}

/** Getitimer implements Linux syscall getitimer(2). */
export function sysGetitimer(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const which = a.int(0);
  if (which < ITIMER_REAL || which > ITIMER_PROF) return -E.EINVAL;
  return putItimer(t, a.ptr(1), itimerState(t.process, which)) ? 0 : -E.EFAULT;
}

/** Setitimer implements Linux syscall setitimer(2): ITIMER_REAL on the host clock, ITIMER_VIRTUAL and ITIMER_PROF on the process's CPU time. */
export function sysSetitimer(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const which = a.int(0), p = t.process;
  let it = null;
  if (a.ptr(1)) {
    it = getStruct(p.memory, a.ptr(1), SIZEOF_ITIMERVAL, decodeItimerval);
    if (!it) return -E.EFAULT;
  }
  if (which < ITIMER_REAL || which > ITIMER_PROF) return -E.EINVAL;
  if (it && (it.it_value.tv_usec < 0 || it.it_value.tv_usec >= 1e6 || it.it_interval.tv_usec < 0 || it.it_interval.tv_usec >= 1e6)) return -E.EINVAL;
  if (a.ptr(2) && !putItimer(t, a.ptr(2), itimerState(p, which))) return -E.EFAULT;
  if (!it) return 0;
  const valueMs = msOf(it.it_value.tv_sec, it.it_value.tv_usec, 1e6), intervalMs = msOf(it.it_interval.tv_sec, it.it_interval.tv_usec, 1e6);
  if (which === ITIMER_REAL) {
    realTimer(k, p).arm(valueMs, intervalMs);
  } else {
    const timer = p.cpuTimers[which === ITIMER_VIRTUAL ? 0 : 1];
    timer.expiresUs = valueMs > 0 ? p.cpuUs + valueMs * 1000 : 0;
    timer.intervalUs = intervalMs * 1000;
  }
  return 0;
}

/** TimerCreate implements Linux syscall timer_create(2) for the real-time and monotonic clocks. */
export function sysTimerCreate(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const clock = a.int(0), evAddr = a.ptr(1), idAddr = a.ptr(2);
  if (![CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME].includes(clock)) return -E.EINVAL;
  const p = t.process;
  let ev: Sigevent = { sigev_value: 0n, sigev_signo: SIGALRM, sigev_notify: SIGEV_SIGNAL, sigev_notify_thread_id: 0 };
  if (evAddr) {
    const raw = p.memory.view(evAddr, SIZEOF_SIGEVENT, PROT_READ);
    if (!raw) return -E.EFAULT;
    ev = decodeSigevent(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0);
  }
  if (ev.sigev_notify !== SIGEV_NONE && (ev.sigev_signo < 1 || ev.sigev_signo > 64)) return -E.EINVAL;
  let id = 0;
  while (p.timers.has(id)) id++;
  if (!evAddr) ev.sigev_value = BigInt(id);
  const target = ev.sigev_notify === SIGEV_THREAD_ID ? k.threads.get(ev.sigev_notify_thread_id) ?? null : null;
  if (ev.sigev_notify === SIGEV_THREAD_ID && (!target || target.process !== p)) return -E.EINVAL;
  const timer = new IntervalTimer((self) => {
    if (ev.sigev_notify === SIGEV_NONE) return;
    const overrun = self.overrun;
    self.overrun = 0;
    k.sendSignal(p, { layout: "timer", si_signo: ev.sigev_signo, si_errno: 0, si_code: SI_TIMER, si_tid: id, si_overrun: overrun, si_value: ev.sigev_value }, target);
  });
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, id, true);
  if (!p.memory.write(idAddr, b)) return -E.EFAULT;
  p.timers.set(id, timer);
  return 0;
}

function posixTimer(t: Thread, id: number): IntervalTimer | null {
  return id >= 0 ? t.process.timers.get(id) ?? null : null;
}

function putItimerspec(t: Thread, addr: number, timer: IntervalTimer): boolean {
  const ts = (ms: number): { tv_sec: number; tv_nsec: number } => {
    const ns = Math.round(ms * 1e6);
    return { tv_sec: Math.floor(ns / 1e9), tv_nsec: ns % 1e9 };
  };
  return putStruct(t.process.memory, addr, SIZEOF_ITIMERSPEC, encodeItimerspec, { it_interval: ts(timer.intervalMs), it_value: ts(timer.remainingMs()) });
}

/** TimerSettime implements Linux syscall timer_settime(2), relative and TIMER_ABSTIME. */
export function sysTimerSettime(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const timer = posixTimer(t, a.int(0));
  if (!timer) return -E.EINVAL;
  const spec = getStruct(t.process.memory, a.ptr(2), SIZEOF_ITIMERSPEC, decodeItimerspec);
  if (!spec) return -E.EFAULT;
  if (a.ptr(3) && !putItimerspec(t, a.ptr(3), timer)) return -E.EFAULT;
  let value = msOf(spec.it_value.tv_sec, spec.it_value.tv_nsec, 1e9);
  if (a.int(1) & TIMER_ABSTIME && value > 0) value = Math.max(1e-6, value - Number(k.wallClock.nowNs()) / 1e6);
  timer.arm(value, msOf(spec.it_interval.tv_sec, spec.it_interval.tv_nsec, 1e9));
  return 0;
}

/** TimerGettime implements Linux syscall timer_gettime(2). */
export function sysTimerGettime(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const timer = posixTimer(t, a.int(0));
  if (!timer) return -E.EINVAL;
  return putItimerspec(t, a.ptr(1), timer) ? 0 : -E.EFAULT;
}

/** TimerGetoverrun implements Linux syscall timer_getoverrun(2). */
export function sysTimerGetoverrun(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const timer = posixTimer(t, a.int(0));
  return timer ? timer.overrun : -E.EINVAL;
}

/** TimerDelete implements Linux syscall timer_delete(2). */
export function sysTimerDelete(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const timer = posixTimer(t, a.int(0));
  if (!timer) return -E.EINVAL;
  timer.disarm();
  t.process.timers.delete(a.int(0));
  return 0;
}

/** Times implements Linux syscall times(2) in clock ticks of 100 Hz; CPU time is all user time. */
export function sysTimes(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const ticks = Math.floor((performance.now() - k.bootTimeMs) / 10);
  if (a.ptr(0)) {
    const p = t.process;
    const tms = { tms_utime: Math.floor(p.cpuUs / 10000), tms_stime: 0, tms_cutime: Math.floor(p.childrenCpuUs / 10000), tms_cstime: 0 };
    if (!putStruct(p.memory, a.ptr(0), SIZEOF_TMS, encodeTms, tms)) return -E.EFAULT;
  }
  return ticks;
}

/**
 * Getrusage implements Linux syscall getrusage(2): CPU time (all of it user time) of the
 * process, the thread, or the children waited for; maximum resident size is the host's.
 */
export function sysGetrusage(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const who = a.int(0), p = t.process;
  if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) return -E.EINVAL;
  const us = who === RUSAGE_CHILDREN ? p.childrenCpuUs : who === RUSAGE_THREAD ? t.cpuUs : p.cpuUs;
  const usage = rusage(us, 0, who === RUSAGE_CHILDREN ? 0 : Math.floor(process.memoryUsage().rss / 1024));
  return putStruct(p.memory, a.ptr(1), SIZEOF_RUSAGE, encodeRusage, usage) ? 0 : -E.EFAULT;
}

/** A struct rusage with these CPU times (µs) and maximum resident size (KiB); counters zero. */
export function rusage(userUs: number, systemUs: number, maxrssKiB: number): Rusage {
  const tv = (us: number): { tv_sec: number; tv_usec: number } => ({ tv_sec: Math.floor(us / 1e6), tv_usec: Math.floor(us % 1e6) });
  return {
    ru_utime: tv(userUs), ru_stime: tv(systemUs), ru_maxrss: maxrssKiB, ru_ixrss: 0, ru_idrss: 0, ru_isrss: 0,
    ru_minflt: 0, ru_majflt: 0, ru_nswap: 0, ru_inblock: 0, ru_oublock: 0, ru_msgsnd: 0, ru_msgrcv: 0,
    ru_nsignals: 0, ru_nvcsw: 0, ru_nivcsw: 0,
  };
}
