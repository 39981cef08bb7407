// Scheduling policy, priority and nice (Linux: kernel/sched/syscalls.c, kernel/sys.c
// getpriority/setpriority). The user kernel's scheduler runs every thread alike: these
// calls keep and report each thread's settings with Linux's checks, and change nothing else.
// Unprivileged callers may raise nice, lower it only down to 20 - RLIMIT_NICE, and take a
// real-time policy only up to RLIMIT_RTPRIO; CAP_SYS_NICE may do anything.

import * as E from "../../linux-abi/errno.ts";
import { RLIMIT_NICE, RLIMIT_RTPRIO } from "../../linux-abi/resource.ts";
import { CAP_SYS_NICE } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import { PROT_READ } from "../memory.ts";
import type { Credentials } from "../creds.ts";
import type { Process, SchedSettings, Thread } from "../process.ts";
import { softLimit } from "../rlimits.ts";
import type { SyscallArgs } from "./args.ts";
import { SIZEOF_TIMESPEC, encodeTimespec } from "../../linux-abi/time.ts";
import { putStruct } from "./_struct.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

const SCHED_NORMAL = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6;
const SCHED_RESET_ON_FORK = 0x40000000;
const SCHED_ATTR_SIZE_VER0 = 48, SCHED_ATTR_SIZE_VER1 = 56;
const SCHED_FLAG_KEEP_POLICY = 0x08, SCHED_FLAG_KEEP_PARAMS = 0x10, SCHED_FLAG_ALL = 0x7f;
const MIN_NICE = -20, MAX_NICE = 19, MAX_RT_PRIO = 99;
const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

const realTime = (policy: number): boolean => policy === SCHED_FIFO || policy === SCHED_RR;
/** Linux's fair_policy: only these take a nice value. */
const fair = (policy: number): boolean => policy === SCHED_NORMAL || policy === SCHED_BATCH;

/** The thread `pid` names (0: the caller), or null. */
function target(k: KernelServices, t: Thread, pid: number): Thread | null {
  return pid === 0 ? t : (k.threads.get(pid) ?? null);
}

/** __sched_setscheduler's checks of `th`'s new settings; the new settings, or -errno. */
function check(t: Thread, th: Thread, next: SchedSettings): SchedSettings | number {
  const cur = th.sched;
  const { policy, priority } = next;
  if (![SCHED_NORMAL, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE].includes(policy)) return -E.EINVAL;
  if (realTime(policy) ? priority < 1 || priority > MAX_RT_PRIO : priority !== 0) return -E.EINVAL;
  if (capable(t.creds, CAP_SYS_NICE)) return next;
  if (policy === SCHED_DEADLINE) return -E.EPERM;
  if (realTime(policy) && priority > Math.max(softLimit(t.process, RLIMIT_RTPRIO), realTime(cur.policy) ? cur.priority : 0)) return -E.EPERM;
  if (next.nice < cur.nice && next.nice < 20 - softLimit(t.process, RLIMIT_NICE)) return -E.EPERM;
  // check_same_owner: another user's thread is not the caller's to change.
  return t.creds.euid === th.creds.euid || t.creds.euid === th.creds.uid ? next : -E.EPERM;
}

/** A policy that is not fair leaves the nice value as it was (__setscheduler_params). */
function keepNice(cur: SchedSettings, next: SchedSettings): SchedSettings {
  return fair(next.policy) ? next : { ...next, nice: cur.nice };
}

/** SchedSetattr implements Linux syscall sched_setattr(2). */
export function sysSchedSetattr(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0), addr = a.ptr(1);
  if (!addr || pid < 0 || a.uint(2) !== 0) return -E.EINVAL;
  const mem = t.process.memory;
  const head = mem.u32(addr);
  if (head === null) return -E.EFAULT;
  const size = head === 0 ? SCHED_ATTR_SIZE_VER0 : head;
  if (size < SCHED_ATTR_SIZE_VER0 || size > 4096) {
    // Linux tells the caller the size it knows.
    return mem.write(addr, new Uint8Array(new Uint32Array([SCHED_ATTR_SIZE_VER1]).buffer)) ? -E.E2BIG : -E.EFAULT;
  }
  const raw = mem.view(addr, SCHED_ATTR_SIZE_VER0, PROT_READ);
  if (!raw) return -E.EFAULT;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const flags = Number(v.getBigUint64(8, true));
  if (v.getInt32(4, true) < 0 || flags & ~SCHED_FLAG_ALL) return -E.EINVAL;
  const th = target(k, t, pid);
  if (!th) return -E.ESRCH;
  const cur = th.sched;
  const next = check(t, th, keepNice(cur, {
    policy: flags & SCHED_FLAG_KEEP_POLICY ? cur.policy : v.getUint32(4, true),
    nice: Math.min(MAX_NICE, Math.max(MIN_NICE, v.getInt32(16, true))),
    priority: flags & SCHED_FLAG_KEEP_PARAMS ? cur.priority : v.getUint32(20, true),
  }));
  if (typeof next === "number") return next;
  th.sched = next;
  return 0;
}

/** SchedGetattr implements Linux syscall sched_getattr(2). */
export function sysSchedGetattr(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0), addr = a.ptr(1), size = a.uint(2);
  if (!addr || pid < 0 || a.uint(3) !== 0 || size < SCHED_ATTR_SIZE_VER0 || size > 4096) return -E.EINVAL;
  const th = target(k, t, pid);
  if (!th) return -E.ESRCH;
  const n = Math.min(size, SCHED_ATTR_SIZE_VER1);
  const out = new Uint8Array(n);
  const v = new DataView(out.buffer);
  v.setUint32(0, n, true);
  v.setUint32(4, th.sched.policy, true);
  v.setInt32(16, th.sched.nice, true);
  v.setUint32(20, th.sched.priority, true);
  if (n >= SCHED_ATTR_SIZE_VER1) v.setUint32(52, 1024, true); // sched_util_max: no clamp
  return t.process.memory.write(addr, out) ? 0 : -E.EFAULT;
}

/** SchedGetscheduler implements Linux syscall sched_getscheduler(2). */
export function sysSchedGetscheduler(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.int(0) < 0) return -E.EINVAL;
  return target(k, t, a.int(0))?.sched.policy ?? -E.ESRCH;
}

/** The sched_param of sched_setscheduler/sched_setparam: one int. */
function setParam(k: KernelServices, t: Thread, pid: number, policy: number | null, addr: number): number {
  if (pid < 0 || !addr) return -E.EINVAL;
  const priority = t.process.memory.u32(addr);
  if (priority === null) return -E.EFAULT;
  const th = target(k, t, pid);
  if (!th) return -E.ESRCH;
  const next = check(t, th, { ...th.sched, policy: policy ?? th.sched.policy, priority: priority | 0 });
  if (typeof next === "number") return next;
  th.sched = next;
  return 0;
}

/** SchedSetscheduler implements Linux syscall sched_setscheduler(2). */
export const sysSchedSetscheduler = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  a.int(1) < 0 ? -E.EINVAL : setParam(k, t, a.int(0), a.int(1) & ~SCHED_RESET_ON_FORK, a.ptr(2));
/** SchedSetparam implements Linux syscall sched_setparam(2). */
export const sysSchedSetparam = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => setParam(k, t, a.int(0), null, a.ptr(1));

/** SchedGetparam implements Linux syscall sched_getparam(2). */
export function sysSchedGetparam(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.int(0) < 0 || !a.ptr(1)) return -E.EINVAL;
  const th = target(k, t, a.int(0));
  if (!th) return -E.ESRCH;
  return t.process.memory.write(a.ptr(1), new Uint8Array(new Uint32Array([th.sched.priority]).buffer)) ? 0 : -E.EFAULT;
}

/** SchedGetPriorityMax implements Linux syscall sched_get_priority_max(2). */
export const sysSchedGetPriorityMax = (_k: KernelServices, _t: Thread, a: SyscallArgs): SyscallResult =>
  realTime(a.int(0)) ? MAX_RT_PRIO : [SCHED_NORMAL, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE].includes(a.int(0)) ? 0 : -E.EINVAL;
/** SchedGetPriorityMin implements Linux syscall sched_get_priority_min(2). */
export const sysSchedGetPriorityMin = (_k: KernelServices, _t: Thread, a: SyscallArgs): SyscallResult =>
  realTime(a.int(0)) ? 1 : [SCHED_NORMAL, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE].includes(a.int(0)) ? 0 : -E.EINVAL;

/** The threads `which`/`who` name for get/setpriority. */
function prioTargets(k: KernelServices, t: Thread, which: number, who: number): Thread[] | number {
  switch (which) {
    case PRIO_PROCESS: {
      const th = target(k, t, who);
      return th ? [th] : [];
    }
    case PRIO_PGRP: {
      const pgid = who === 0 ? t.process.pgid : who;
      return [...k.threads.values()].filter((x) => x.process.pgid === pgid);
    }
    case PRIO_USER: {
      const uid = who === 0 ? t.creds.uid : who;
      return [...k.threads.values()].filter((x) => x.creds.uid === uid);
    }
    default:
      return -E.EINVAL;
  }
}

/** set_one_prio's owner rule: the target's real or effective uid is the caller's effective one, or CAP_SYS_NICE. */
function mayRenice(c: Credentials, target: Credentials): boolean {
  return capable(c, CAP_SYS_NICE) || target.uid === c.euid || target.euid === c.euid;
}

/**
 * A PRIO_PROCESS target that has no thread: the user kernel's init (pid 1), a process of
 * the kernel-task. It has nice 0 and keeps no other; null for any other pid.
 */
function threadless(k: KernelServices, which: number, who: number): Process | null {
  const p = which === PRIO_PROCESS ? k.processes.get(who) : undefined;
  return p !== undefined && p.alive && p.threads.size === 0 ? p : null;
}

/** Getpriority implements Linux syscall getpriority(2): 20 - nice of the highest priority (the libc converts). */
export function sysGetpriority(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const list = prioTargets(k, t, a.int(0), a.int(1));
  if (typeof list === "number") return list;
  if (list.length === 0) return threadless(k, a.int(0), a.int(1)) ? 20 : -E.ESRCH;
  return 20 - Math.min(...list.map((x) => x.sched.nice));
}

/** Setpriority implements Linux syscall setpriority(2). */
export function sysSetpriority(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const list = prioTargets(k, t, a.int(0), a.int(1));
  if (typeof list === "number") return list;
  if (list.length === 0) {
    const p = threadless(k, a.int(0), a.int(1));
    return p === null ? -E.ESRCH : mayRenice(t.creds, p.creds) ? 0 : -E.EPERM;
  }
  const nice = Math.min(MAX_NICE, Math.max(MIN_NICE, a.int(2)));
  for (const th of list) {
    // set_one_prio: the caller must own the target (or be privileged), and lowering nice needs RLIMIT_NICE.
    if (!mayRenice(t.creds, th.creds)) return -E.EPERM;
    if (nice < th.sched.nice && !capable(t.creds, CAP_SYS_NICE) && nice < 20 - softLimit(t.process, RLIMIT_NICE)) return -E.EACCES;
    th.sched = { ...th.sched, nice };
  }
  return 0;
}

/** Linux's RR_TIMESLICE: 100 ms. */
const RR_TIMESLICE_NS = 100_000_000;

/** SchedRrGetInterval implements Linux syscall sched_rr_get_interval(2): a SCHED_RR thread's time slice, 0 for the others. */
export function sysSchedRrGetInterval(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.int(0) < 0) return -E.EINVAL;
  const th = target(k, t, a.int(0));
  if (th === null) return -E.ESRCH;
  const ns = th.sched.policy === SCHED_RR ? RR_TIMESLICE_NS : 0;
  const ts = { tv_sec: Math.floor(ns / 1e9), tv_nsec: ns % 1e9 };
  return putStruct(t.process.memory, a.ptr(1), SIZEOF_TIMESPEC, encodeTimespec, ts) ? 0 : -E.EFAULT;
}
