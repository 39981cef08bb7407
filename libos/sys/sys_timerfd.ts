// timerfd_create(2), timerfd_settime(2), timerfd_gettime(2). Linux: fs/timerfd.c. The
// timer itself is libos/timerfd.ts; here the clock's times become delays.
// TFD_TIMER_CANCEL_ON_SET is accepted: nothing can set the clocks, so no read is ever
// cancelled.

import * as E from "../../linux-abi/errno.ts";
import { O_NONBLOCK, O_RDWR } from "../../linux-abi/fcntl.ts";
import {
  CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, SIZEOF_ITIMERSPEC,
  decodeItimerspec, encodeItimerspec, type Timespec,
} from "../../linux-abi/time.ts";
import { TFD_CLOEXEC, TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET } from "../../linux-abi/timerfd.ts";
import { OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import { TimerFd } from "../timerfd.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getStruct, putStruct } from "./_struct.ts";
import { nowNs } from "./sys_time.ts";

// The clocks a timerfd may use; the alarm clocks (which would wake a suspended machine) run as their base clock.
const CLOCKS = new Map([
  [CLOCK_REALTIME, CLOCK_REALTIME], [CLOCK_MONOTONIC, CLOCK_MONOTONIC], [CLOCK_BOOTTIME, CLOCK_BOOTTIME],
  [CLOCK_REALTIME_ALARM, CLOCK_REALTIME], [CLOCK_BOOTTIME_ALARM, CLOCK_BOOTTIME],
]);

/** TimerfdCreate implements Linux syscall timerfd_create(2). */
export function sysTimerfdCreate(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const clock = CLOCKS.get(a.int(0)), flags = a.int(1);
  if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK) || clock === undefined) return -E.EINVAL;
  const file = new OpenFile(new TimerFd(clock), O_RDWR | (flags & O_NONBLOCK));
  return t.process.fds.install(file, (flags & TFD_CLOEXEC) !== 0);
}

/** The timerfd behind `fd`: EBADF, or EINVAL for another kind of file. */
function timerOf(t: Thread, fd: number): TimerFd | number {
  const f = t.process.fds.get(fd);
  if (!f) return -E.EBADF;
  return f.ops instanceof TimerFd ? f.ops : -E.EINVAL;
}

const validTimespec = (ts: Timespec): boolean => ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1e9;
const nsOf = (ts: Timespec): bigint => BigInt(ts.tv_sec) * 1_000_000_000n + BigInt(ts.tv_nsec);

function timespecOf(ms: number): Timespec {
  const ns = Math.round(ms * 1e6);
  return { tv_sec: Math.floor(ns / 1e9), tv_nsec: ns % 1e9 };
}

function putTimer(t: Thread, addr: number, valueMs: number, intervalMs: number): boolean {
  const it = { it_value: timespecOf(valueMs), it_interval: timespecOf(intervalMs) };
  return putStruct(t.process.memory, addr, SIZEOF_ITIMERSPEC, encodeItimerspec, it);
}

/** TimerfdSettime implements Linux syscall timerfd_settime(2). */
export function sysTimerfdSettime(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(1);
  const spec = getStruct(t.process.memory, a.ptr(2), SIZEOF_ITIMERSPEC, decodeItimerspec);
  if (!spec) return -E.EFAULT;
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) || !validTimespec(spec.it_value) || !validTimespec(spec.it_interval)) return -E.EINVAL;
  const timer = timerOf(t, a.int(0));
  if (typeof timer === "number") return timer;
  const oldValue = timer.remainingMs(), oldInterval = timer.intervalMs;
  const value = nsOf(spec.it_value);
  // A zero value disarms; an absolute time becomes a delay (≤ 0 when it has passed: the timer expires now).
  const delay = value === 0n ? null : flags & TFD_TIMER_ABSTIME ? value - nowNs(k.wallClock, timer.clock)! : value;
  timer.set(delay === null ? null : Number(delay) / 1e6, Number(nsOf(spec.it_interval)) / 1e6);
  if (a.ptr(3) && !putTimer(t, a.ptr(3), oldValue, oldInterval)) return -E.EFAULT;
  return 0;
}

/** TimerfdGettime implements Linux syscall timerfd_gettime(2). */
export function sysTimerfdGettime(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const timer = timerOf(t, a.int(0));
  if (typeof timer === "number") return timer;
  return putTimer(t, a.ptr(1), timer.remainingMs(), timer.intervalMs) ? 0 : -E.EFAULT;
}
