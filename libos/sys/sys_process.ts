// Process identity and lifetime, and per-thread set-up calls a libc makes at start:
// exit, exit_group, get*id, set_tid_address, set_robust_list, arch_prctl, prlimit64,
// uname, sysinfo, prctl, sched_*. Linux: kernel/exit.c, kernel/sys.c, arch/x86/kernel/process_64.c.

import { bytesToString, writeByteString } from "../../linux-abi/_byte_string.ts";
import { release, version } from "node:os";
import * as E from "../../linux-abi/errno.ts";
import { RLIM_NLIMITS, SIZEOF_RLIMIT, decodeRlimit, encodeRlimit, type Rlimit } from "../../linux-abi/resource.ts";
import { SIZEOF_SYSINFO, encodeSysinfo } from "../../linux-abi/sysinfo.ts";
import { SIZEOF_NEW_UTSNAME, encodeNewUtsname } from "../../linux-abi/utsname.ts";
import { PROT_READ } from "../memory.ts";
import type { Process, Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getString, getStruct, putStruct } from "./_struct.ts";
import { limitOf, mayPrlimit, setLimit } from "../rlimits.ts";
import { cpuCount } from "../host_cpus.ts";
import { capabilityPrctl } from "./sys_capability.ts";
import { CAP_SYS_ADMIN } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";

export const sysGetpid = (_k: KernelServices, t: Thread): SyscallResult => t.process.pid;
export const sysGetppid = (_k: KernelServices, t: Thread): SyscallResult => t.process.ppid;
export const sysGettid = (_k: KernelServices, t: Thread): SyscallResult => t.tid;
export const sysGetpgrp = (_k: KernelServices, t: Thread): SyscallResult => t.process.pgid;

function target(k: KernelServices, t: Thread, pid: number): Process | null {
  const p = pid === 0 ? t.process : k.processes.get(pid);
  return p && p.alive ? p : null;
}

/** Getpgid implements Linux syscall getpgid(2). */
export function sysGetpgid(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return target(k, t, a.int(0))?.pgid ?? -E.ESRCH;
}

/** Getsid implements Linux syscall getsid(2). */
export function sysGetsid(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return target(k, t, a.int(0))?.sid ?? -E.ESRCH;
}

/** Setpgid implements Linux syscall setpgid(2). */
export const sysSetpgid = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => k.setpgid(t, a.int(0), a.int(1));

/** Setsid implements Linux syscall setsid(2). */
export const sysSetsid = (k: KernelServices, t: Thread): SyscallResult => k.setsid(t);

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

/** GetRobustList implements Linux syscall get_robust_list(2): another process's needs ptrace-like rights (its uids, or root). */
export function sysGetRobustList(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0);
  const target = pid === 0 ? t : k.threads.get(pid);
  if (!target) return -E.ESRCH;
  if (target.process !== t.process && !mayPrlimit(t.creds, target.creds)) return -E.EPERM;
  const mem = t.process.memory;
  return mem.setU64(a.ptr(1), target.robustList) && mem.setU64(a.ptr(2), 24) ? 0 : -E.EFAULT;
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

function putRlimit(t: Thread, addr: number, lim: Rlimit): boolean {
  return putStruct(t.process.memory, addr, SIZEOF_RLIMIT, encodeRlimit, lim);
}

/** Prlimit64 implements Linux syscall prlimit64(2) (what each limit does: rlimits.ts). */
export function sysPrlimit64(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0), res = a.uint(1), newp = a.ptr(2), oldp = a.ptr(3);
  let next: Rlimit | null = null;
  if (newp) {
    next = getStruct(t.process.memory, newp, SIZEOF_RLIMIT, decodeRlimit);
    if (!next) return -E.EFAULT;
  }
  const p = pid === 0 ? t.process : k.processes.get(pid);
  if (!p || !p.alive) return -E.ESRCH;
  if (p !== t.process && !mayPrlimit(t.creds, p.creds)) return -E.EPERM;
  if (res >= RLIM_NLIMITS) return -E.EINVAL;
  const old = limitOf(p, res)!;
  const r = next ? setLimit(p, res, next, t.creds) : 0;
  if (r < 0) return r;
  return oldp && !putRlimit(t, oldp, old) ? -E.EFAULT : 0;
}

/** Getrlimit implements Linux syscall getrlimit(2). */
export function sysGetrlimit(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const lim = limitOf(t.process, a.int(0));
  if (!lim) return -E.EINVAL;
  return putRlimit(t, a.ptr(1), lim) ? 0 : -E.EFAULT;
}

/** Setrlimit implements Linux syscall setrlimit(2). */
export function sysSetrlimit(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (!limitOf(t.process, a.int(0))) return -E.EINVAL;
  const next = getStruct(t.process.memory, a.ptr(1), SIZEOF_RLIMIT, decodeRlimit);
  return next ? setLimit(t.process, a.int(0), next, t.creds) : -E.EFAULT;
}

/** Uname implements Linux syscall uname(2): the host kernel's release, as qemu-user reports it. */
export function sysUname(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const uts = { sysname: "Linux", nodename: k.uts.hostname, release: release(), version: version(), machine: "x86_64", domainname: k.uts.domainname };
  return putStruct(t.process.memory, a.ptr(0), SIZEOF_NEW_UTSNAME, encodeNewUtsname, uts) ? 0 : -E.EFAULT;
}

/** __NEW_UTS_LEN: the longest host or domain name. */
const NEW_UTS_LEN = 64;

/** Sysinfo implements Linux syscall sysinfo(2) over the user kernel's memory quota. */
export function sysSysinfo(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const q = k.memoryQuota();
  const info = {
    uptime: Math.floor((performance.now() - k.bootTimeMs) / 1000), loads: [0, 0, 0] as const,
    totalram: q.total, freeram: q.free, sharedram: 0, bufferram: 0, totalswap: 0, freeswap: 0,
    procs: k.processes.size, totalhigh: 0, freehigh: 0, mem_unit: 1,
  };
  return putStruct(t.process.memory, a.ptr(0), SIZEOF_SYSINFO, encodeSysinfo, info) ? 0 : -E.EFAULT;
}

const PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37;

/** Prctl implements Linux syscall prctl(2) for the thread name, the child subreaper and the capability options (sys_capability.ts); other options are EINVAL. */
export function sysPrctl(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const p = t.process;
  switch (a.int(0)) {
    case PR_SET_NAME: {
      // Linux copies at most 15 bytes: a longer name is cut, not refused.
      const name = getString(p.memory, a.ptr(1), 15, 0);
      if (name === -E.EFAULT) return name;
      t.name = typeof name === "string" ? name : bytesToString(p.memory.view(a.ptr(1), 15, PROT_READ)!);
      return 0;
    }
    case PR_GET_NAME: {
      const b = new Uint8Array(16);
      writeByteString(b, 0, t.name.slice(0, 15));
      return p.memory.write(a.ptr(1), b) ? 0 : -E.EFAULT;
    }
    case PR_SET_CHILD_SUBREAPER:
      p.childSubreaper = a.ptr(1) !== 0;
      return 0;
    case PR_GET_CHILD_SUBREAPER: {
      const b = new Uint8Array(4);
      b[0] = p.childSubreaper ? 1 : 0;
      return p.memory.write(a.ptr(1), b) ? 0 : -E.EFAULT;
    }
    default:
      return capabilityPrctl(t, a) ?? -E.EINVAL;
  }
}

/** SchedGetaffinity implements Linux syscall sched_getaffinity(2): every host CPU (host_cpus.ts). */
export function sysSchedGetaffinity(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const size = a.size(1);
  if (a.int(0) !== 0 && !k.threads.has(a.int(0))) return -E.ESRCH;
  // Linux copies cpumask_size() bytes: nr_cpu_ids bits in whole longs.
  const bytes = Math.ceil(cpuCount() / 64) * 8;
  if (size < bytes || size % 8 !== 0) return -E.EINVAL;
  const b = new Uint8Array(bytes);
  for (let cpu = 0; cpu < cpuCount(); cpu++) b[cpu >> 3]! |= 1 << (cpu & 7);
  return t.process.memory.write(a.ptr(2), b) ? bytes : -E.EFAULT;
}

export const sysSchedYield = (): SyscallResult => 0;

/** SchedSetaffinity implements Linux syscall sched_setaffinity(2): the set must hold a host CPU; the user kernel's threads run where it runs. */
export function sysSchedSetaffinity(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.int(0) !== 0 && !k.threads.has(a.int(0))) return -E.ESRCH;
  const set = t.process.memory.view(a.ptr(2), Math.min(a.size(1), 128), PROT_READ);
  if (!set) return -E.EFAULT;
  for (let cpu = 0; cpu < Math.min(cpuCount(), set.length * 8); cpu++) if (set[cpu >> 3]! & (1 << (cpu & 7))) return 0;
  return -E.EINVAL;
}

/** Getcpu implements Linux syscall getcpu(2): CPU 0, node 0. */
export function sysGetcpu(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const zero = new Uint8Array(4);
  if (a.ptr(0) && !t.process.memory.write(a.ptr(0), zero)) return -E.EFAULT;
  if (a.ptr(1) && !t.process.memory.write(a.ptr(1), zero)) return -E.EFAULT;
  return 0;
}

/** Personality implements Linux syscall personality(2): the value is kept and reported; only PER_LINUX behaviour exists. */
export function sysPersonality(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const old = t.process.personality;
  if (a.uint(0) !== 0xffffffff) t.process.personality = a.uint(0);
  return old;
}
