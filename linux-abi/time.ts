// Linux: include/uapi/linux/time.h, include/uapi/linux/time_types.h and
// include/uapi/linux/times.h (x86-64: time_t, long and clock_t are 64-bit).

import { getInt64, setInt64 } from "./_int64.ts";

// Clock ids.
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4;
export const CLOCK_REALTIME_COARSE = 5;
export const CLOCK_MONOTONIC_COARSE = 6;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
export const CLOCK_SGI_CYCLE = 10;
export const CLOCK_TAI = 11;

/** clock_nanosleep(2) and timer_settime(2) flag. */
export const TIMER_ABSTIME = 0x01;

// Interval timers (getitimer, setitimer).
export const ITIMER_REAL = 0;
export const ITIMER_VIRTUAL = 1;
export const ITIMER_PROF = 2;

/** struct timespec (__kernel_timespec): 16 bytes. */
export interface Timespec {
  tv_sec: number;
  tv_nsec: number;
}
export const SIZEOF_TIMESPEC = 16;

export function encodeTimespec(view: DataView, offset: number, ts: Timespec): void {
  setInt64(view, offset, ts.tv_sec);
  setInt64(view, offset + 8, ts.tv_nsec);
}

export function decodeTimespec(view: DataView, offset: number): Timespec {
  return { tv_sec: getInt64(view, offset), tv_nsec: getInt64(view, offset + 8) };
}

/** struct timeval (__kernel_old_timeval): 16 bytes. */
export interface Timeval {
  tv_sec: number;
  tv_usec: number;
}
export const SIZEOF_TIMEVAL = 16;

export function encodeTimeval(view: DataView, offset: number, tv: Timeval): void {
  setInt64(view, offset, tv.tv_sec);
  setInt64(view, offset + 8, tv.tv_usec);
}

export function decodeTimeval(view: DataView, offset: number): Timeval {
  return { tv_sec: getInt64(view, offset), tv_usec: getInt64(view, offset + 8) };
}

/** struct itimerval: 32 bytes. */
export interface Itimerval {
  it_interval: Timeval;
  it_value: Timeval;
}
export const SIZEOF_ITIMERVAL = 32;

export function encodeItimerval(view: DataView, offset: number, it: Itimerval): void {
  encodeTimeval(view, offset, it.it_interval);
  encodeTimeval(view, offset + SIZEOF_TIMEVAL, it.it_value);
}

export function decodeItimerval(view: DataView, offset: number): Itimerval {
  return { it_interval: decodeTimeval(view, offset), it_value: decodeTimeval(view, offset + SIZEOF_TIMEVAL) };
}

/** struct tms, the times(2) result, in clock ticks: 32 bytes. */
export interface Tms {
  tms_utime: number;
  tms_stime: number;
  tms_cutime: number;
  tms_cstime: number;
}
export const SIZEOF_TMS = 32;

export function encodeTms(view: DataView, offset: number, t: Tms): void {
  setInt64(view, offset, t.tms_utime);
  setInt64(view, offset + 8, t.tms_stime);
  setInt64(view, offset + 16, t.tms_cutime);
  setInt64(view, offset + 24, t.tms_cstime);
}

export function decodeTms(view: DataView, offset: number): Tms {
  return {
    tms_utime: getInt64(view, offset),
    tms_stime: getInt64(view, offset + 8),
    tms_cutime: getInt64(view, offset + 16),
    tms_cstime: getInt64(view, offset + 24),
  };
}

/** struct itimerspec (__kernel_itimerspec), of timer_settime(2) and timerfd_settime(2): 32 bytes. */
export interface Itimerspec {
  it_interval: Timespec;
  it_value: Timespec;
}
export const SIZEOF_ITIMERSPEC = 32;
export const ITIMERSPEC_FIELDS = { it_interval: 0, it_value: 16 } as const;

export function encodeItimerspec(view: DataView, offset: number, it: Itimerspec): void {
  encodeTimespec(view, offset + ITIMERSPEC_FIELDS.it_interval, it.it_interval);
  encodeTimespec(view, offset + ITIMERSPEC_FIELDS.it_value, it.it_value);
}

export function decodeItimerspec(view: DataView, offset: number): Itimerspec {
  return {
    it_interval: decodeTimespec(view, offset + ITIMERSPEC_FIELDS.it_interval),
    it_value: decodeTimespec(view, offset + ITIMERSPEC_FIELDS.it_value),
  };
}

/** struct timezone, the second argument of gettimeofday(2) and settimeofday(2): 8 bytes. */
export interface Timezone {
  tz_minuteswest: number;
  tz_dsttime: number;
}
export const SIZEOF_TIMEZONE = 8;
export const TIMEZONE_FIELDS = { tz_minuteswest: 0, tz_dsttime: 4 } as const;

export function encodeTimezone(view: DataView, offset: number, tz: Timezone): void {
  view.setInt32(offset + TIMEZONE_FIELDS.tz_minuteswest, tz.tz_minuteswest, true);
  view.setInt32(offset + TIMEZONE_FIELDS.tz_dsttime, tz.tz_dsttime, true);
}

export function decodeTimezone(view: DataView, offset: number): Timezone {
  return {
    tz_minuteswest: view.getInt32(offset + TIMEZONE_FIELDS.tz_minuteswest, true),
    tz_dsttime: view.getInt32(offset + TIMEZONE_FIELDS.tz_dsttime, true),
  };
}
