// Process identity and lifetime, and per-thread set-up calls a libc makes at start:
// exit, exit_group, get*id, set_tid_address, set_robust_list, arch_prctl, prlimit64,
// uname, sysinfo, prctl, sched_*. Linux: kernel/exit.c, kernel/sys.c, arch/x86/kernel/process_64.c.

import { release, version } from "node:os";
import * as E from "../../linux-abi/errno.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import { NO_REPLY, type KernelServices, type SyscallResult } from "./context.ts";

/** Exit implements Linux syscall exit(2): ends the calling thread. */
export function sysExit(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  k.exitThread(t, a.int(0) & 0xff);
  return NO_REPLY;
}

/** ExitGroup implements Linux syscall exit_group(2). */
export function sysExitGroup(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  k.exitProcess(t.process, a.int(0) & 0xff, 0);
  return NO_REPLY;
}

export const sysGetpid = (_k: KernelServices, t: Thread): SyscallResult => t.process.pid;
export const sysGetppid = (_k: KernelServices, t: Thread): SyscallResult => t.process.ppid;
export const sysGettid = (_k: KernelServices, t: Thread): SyscallResult => t.tid;
export const sysGetuid = (_k: KernelServices, t: Thread): SyscallResult => t.process.creds.uid;
export const sysGetgid = (_k: KernelServices, t: Thread): SyscallResult => t.process.creds.gid;
/** Until sessions exist (process issue), a process leads its own group and session. */
export const sysGetpgrp = (_k: KernelServices, t: Thread): SyscallResult => t.process.pid;

/** Getgroups implements Linux syscall getgroups(2): the primary group only. */
export function sysGetgroups(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const size = a.int(0);
  if (size < 0) return -E.EINVAL;
  if (size === 0) return 1;
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, t.process.creds.gid, true);
  return t.process.memory.write(a.ptr(1), b) ? 1 : -E.EFAULT;
}

/** SetTidAddress implements Linux syscall set_tid_address(2). */
export function sysSetTidAddress(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  t.clearChildTid = a.ptr(0);
  return t.tid;
}

/** SetRobustList implements Linux syscall set_robust_list(2). */
export function sysSetRobustList(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.size(1) !== 24) return -E.EINVAL;
  t.robustList = a.ptr(0);
  return 0;
}

const ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;

/** ArchPrctl implements Linux syscall arch_prctl(2) (FS base; GS is not used by Linux user space). */
export function sysArchPrctl(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  switch (a.int(0)) {
    case ARCH_SET_FS:
      k.setTlsBase(t, a.ptr(1));
      return 0;
    case ARCH_SET_GS:
    case ARCH_GET_FS:
    case ARCH_GET_GS:
      return -E.EINVAL;
    default:
      return -E.EINVAL;
  }
}

// RLIMIT_* → [soft, hard]; Infinity is RLIM_INFINITY.
const LIMITS: ReadonlyMap<number, [number, number]> = new Map([
  [0, [Infinity, Infinity]], // CPU
  [1, [Infinity, Infinity]], // FSIZE
  [2, [Infinity, Infinity]], // DATA
  [3, [8 * 1024 * 1024, Infinity]], // STACK
  [4, [0, Infinity]], // CORE
  [5, [Infinity, Infinity]], // RSS
  [6, [4096, 4096]], // NPROC
  [7, [1024, 1024]], // NOFILE
  [8, [8 * 1024 * 1024, 8 * 1024 * 1024]], // MEMLOCK
  [9, [Infinity, Infinity]], // AS
]);

function putRlimit(t: Thread, addr: number, lim: [number, number]): boolean {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  lim.forEach((x, i) => {
    if (x === Infinity) v.setBigUint64(i * 8, 0xffffffffffffffffn, true);
    else v.setBigUint64(i * 8, BigInt(x), true);
  });
  return t.process.memory.write(addr, b);
}

/** Prlimit64 implements Linux syscall prlimit64(2); setting is accepted within the hard limit. */
export function sysPrlimit64(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0), res = a.int(1), newp = a.ptr(2), oldp = a.ptr(3);
  if (pid !== 0 && pid !== t.process.pid) return -E.ESRCH;
  const lim = LIMITS.get(res) ?? (res >= 0 && res < 16 ? ([Infinity, Infinity] as [number, number]) : null);
  if (!lim) return -E.EINVAL;
  if (oldp && !putRlimit(t, oldp, lim)) return -E.EFAULT;
  if (newp && !t.process.memory.view(newp, 16, PROT_READ)) return -E.EFAULT;
  return 0;
}

/** Getrlimit implements Linux syscall getrlimit(2). */
export function sysGetrlimit(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const lim = LIMITS.get(a.int(0));
  if (!lim) return -E.EINVAL;
  return putRlimit(t, a.ptr(1), lim) ? 0 : -E.EFAULT;
}

/** Uname implements Linux syscall uname(2): the host kernel's release, as qemu-user reports it. */
export function sysUname(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const fields = ["Linux", k.hostname, release(), version(), "x86_64", "(none)"];
  const b = new Uint8Array(65 * 6);
  const enc = new TextEncoder();
  fields.forEach((f, i) => b.set(enc.encode(f).subarray(0, 64), i * 65));
  return t.process.memory.write(a.ptr(0), b) ? 0 : -E.EFAULT;
}

/** Sysinfo implements Linux syscall sysinfo(2) over the user kernel's memory quota. */
export function sysSysinfo(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const b = new Uint8Array(112);
  const v = new DataView(b.buffer);
  const q = k.memoryQuota();
  v.setBigInt64(0, BigInt(Math.floor((Date.now() - k.bootTimeMs) / 1000)), true);
  v.setBigUint64(32, BigInt(q.total), true);
  v.setBigUint64(40, BigInt(q.free), true);
  v.setUint16(80, 1, true);
  v.setUint32(104, 1, true);
  return t.process.memory.write(a.ptr(0), b) ? 0 : -E.EFAULT;
}

const PR_SET_NAME = 15, PR_GET_NAME = 16;

/** Prctl implements Linux syscall prctl(2) for the thread name; other options are EINVAL. */
export function sysPrctl(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const p = t.process;
  switch (a.int(0)) {
    case PR_SET_NAME: {
      const name = p.memory.readCString(a.ptr(1), 16);
      if (name === null) return -E.EFAULT;
      t.name = name.slice(0, 15);
      return 0;
    }
    case PR_GET_NAME: {
      const b = new Uint8Array(16);
      b.set(new TextEncoder().encode(t.name).subarray(0, 15));
      return p.memory.write(a.ptr(1), b) ? 0 : -E.EFAULT;
    }
    default:
      return -E.EINVAL;
  }
}

/** SchedGetaffinity implements Linux syscall sched_getaffinity(2): one CPU. */
export function sysSchedGetaffinity(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const size = a.size(1);
  if (size < 8 || size % 8 !== 0) return -E.EINVAL;
  const b = new Uint8Array(8);
  b[0] = 1;
  return t.process.memory.write(a.ptr(2), b) ? 8 : -E.EFAULT;
}

export const sysSchedYield = (): SyscallResult => 0;
