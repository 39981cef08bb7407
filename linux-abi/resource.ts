// Linux: include/uapi/asm-generic/resource.h (RLIMIT_*, RLIM_INFINITY) and
// include/uapi/linux/resource.h (struct rusage, struct rlimit, RUSAGE_*, PRIO_*).

import { getInt64, getUint64, setInt64 } from "./_int64.ts";
import { decodeTimeval, encodeTimeval, type Timeval } from "./time.ts";

export const RLIMIT_CPU = 0;
export const RLIMIT_FSIZE = 1;
export const RLIMIT_DATA = 2;
export const RLIMIT_STACK = 3;
export const RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5;
export const RLIMIT_NPROC = 6;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIMIT_AS = 9;
export const RLIMIT_LOCKS = 10;
export const RLIMIT_SIGPENDING = 11;
export const RLIMIT_MSGQUEUE = 12;
export const RLIMIT_NICE = 13;
export const RLIMIT_RTPRIO = 14;
export const RLIMIT_RTTIME = 15;
export const RLIM_NLIMITS = 16;

/**
 * ~0UL. As a JS number it is held as 2^64 (the nearest double); the rlimit codecs map it to
 * and from the all-ones word exactly.
 */
export const RLIM_INFINITY = 2 ** 64;
/** The same value in struct rlimit64 (prlimit64). */
export const RLIM64_INFINITY = RLIM_INFINITY;

export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;
export const RUSAGE_BOTH = -2;
export const RUSAGE_THREAD = 1;

export const PRIO_MIN = -20;
export const PRIO_MAX = 20;
export const PRIO_PROCESS = 0;
export const PRIO_PGRP = 1;
export const PRIO_USER = 2;

/** struct rlimit and struct rlimit64, identical on x86-64: 16 bytes. */
export interface Rlimit {
  rlim_cur: number;
  rlim_max: number;
}
export const SIZEOF_RLIMIT = 16;

function setRlim(view: DataView, offset: number, value: number): void {
  if (value >= RLIM_INFINITY) {
    view.setUint32(offset, 0xffffffff, true);
    view.setUint32(offset + 4, 0xffffffff, true);
  } else setInt64(view, offset, value);
}

function getRlim(view: DataView, offset: number): number {
  const hi = view.getUint32(offset + 4, true);
  return hi === 0xffffffff && view.getUint32(offset, true) === 0xffffffff ? RLIM_INFINITY : getUint64(view, offset);
}

export function encodeRlimit(view: DataView, offset: number, r: Rlimit): void {
  setRlim(view, offset, r.rlim_cur);
  setRlim(view, offset + 8, r.rlim_max);
}

export function decodeRlimit(view: DataView, offset: number): Rlimit {
  return { rlim_cur: getRlim(view, offset), rlim_max: getRlim(view, offset + 8) };
}

/** struct rusage: two timevals then fourteen longs, 144 bytes. */
export interface Rusage {
  ru_utime: Timeval;
  ru_stime: Timeval;
  ru_maxrss: number;
  ru_ixrss: number;
  ru_idrss: number;
  ru_isrss: number;
  ru_minflt: number;
  ru_majflt: number;
  ru_nswap: number;
  ru_inblock: number;
  ru_oublock: number;
  ru_msgsnd: number;
  ru_msgrcv: number;
  ru_nsignals: number;
  ru_nvcsw: number;
  ru_nivcsw: number;
}
export const SIZEOF_RUSAGE = 144;
export const RUSAGE_FIELDS = {
  ru_utime: 0,
  ru_stime: 16,
  ru_maxrss: 32,
  ru_ixrss: 40,
  ru_idrss: 48,
  ru_isrss: 56,
  ru_minflt: 64,
  ru_majflt: 72,
  ru_nswap: 80,
  ru_inblock: 88,
  ru_oublock: 96,
  ru_msgsnd: 104,
  ru_msgrcv: 112,
  ru_nsignals: 120,
  ru_nvcsw: 128,
  ru_nivcsw: 136,
} as const;

export function encodeRusage(view: DataView, offset: number, r: Rusage): void {
  const f = RUSAGE_FIELDS;
  encodeTimeval(view, offset + f.ru_utime, r.ru_utime);
  encodeTimeval(view, offset + f.ru_stime, r.ru_stime);
  setInt64(view, offset + f.ru_maxrss, r.ru_maxrss);
  setInt64(view, offset + f.ru_ixrss, r.ru_ixrss);
  setInt64(view, offset + f.ru_idrss, r.ru_idrss);
  setInt64(view, offset + f.ru_isrss, r.ru_isrss);
  setInt64(view, offset + f.ru_minflt, r.ru_minflt);
  setInt64(view, offset + f.ru_majflt, r.ru_majflt);
  setInt64(view, offset + f.ru_nswap, r.ru_nswap);
  setInt64(view, offset + f.ru_inblock, r.ru_inblock);
  setInt64(view, offset + f.ru_oublock, r.ru_oublock);
  setInt64(view, offset + f.ru_msgsnd, r.ru_msgsnd);
  setInt64(view, offset + f.ru_msgrcv, r.ru_msgrcv);
  setInt64(view, offset + f.ru_nsignals, r.ru_nsignals);
  setInt64(view, offset + f.ru_nvcsw, r.ru_nvcsw);
  setInt64(view, offset + f.ru_nivcsw, r.ru_nivcsw);
}

export function decodeRusage(view: DataView, offset: number): Rusage {
  const f = RUSAGE_FIELDS;
  return {
    ru_utime: decodeTimeval(view, offset + f.ru_utime),
    ru_stime: decodeTimeval(view, offset + f.ru_stime),
    ru_maxrss: getInt64(view, offset + f.ru_maxrss),
    ru_ixrss: getInt64(view, offset + f.ru_ixrss),
    ru_idrss: getInt64(view, offset + f.ru_idrss),
    ru_isrss: getInt64(view, offset + f.ru_isrss),
    ru_minflt: getInt64(view, offset + f.ru_minflt),
    ru_majflt: getInt64(view, offset + f.ru_majflt),
    ru_nswap: getInt64(view, offset + f.ru_nswap),
    ru_inblock: getInt64(view, offset + f.ru_inblock),
    ru_oublock: getInt64(view, offset + f.ru_oublock),
    ru_msgsnd: getInt64(view, offset + f.ru_msgsnd),
    ru_msgrcv: getInt64(view, offset + f.ru_msgrcv),
    ru_nsignals: getInt64(view, offset + f.ru_nsignals),
    ru_nvcsw: getInt64(view, offset + f.ru_nvcsw),
    ru_nivcsw: getInt64(view, offset + f.ru_nivcsw),
  };
}
