// Linux: include/uapi/asm-generic/siginfo.h (siginfo_t, the si_code values, struct sigevent)
// as x86-64 lays them out. Which member of the _sifields union a siginfo carries is decided,
// as in kernel/signal.c's siginfo_layout(), by its signal number and si_code.

import { getInt64, setInt64 } from "./_int64.ts";
import { SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGPOLL, SIGSEGV, SIGSYS, SIGTRAP } from "./signal.ts";

/** sizeof(siginfo_t): rt_sigqueueinfo(2), waitid(2), signalfd and the signal frame use all 128 bytes. */
export const SI_MAX_SIZE = 128;
export const SIZEOF_SIGINFO = SI_MAX_SIZE;

// si_code: who sent the signal. Positive codes are the kernel's, per signal (below).
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TIMER = -2;
export const SI_MESGQ = -3;
export const SI_ASYNCIO = -4;
export const SI_SIGIO = -5;
export const SI_TKILL = -6;
export const SI_DETHREAD = -7;
export const SI_ASYNCNL = -60;

// SIGILL si_codes.
export const ILL_ILLOPC = 1;
export const ILL_ILLOPN = 2;
export const ILL_ILLADR = 3;
export const ILL_ILLTRP = 4;
export const ILL_PRVOPC = 5;
export const ILL_PRVREG = 6;
export const ILL_COPROC = 7;
export const ILL_BADSTK = 8;
export const ILL_BADIADDR = 9;

// SIGFPE si_codes.
export const FPE_INTDIV = 1;
export const FPE_INTOVF = 2;
export const FPE_FLTDIV = 3;
export const FPE_FLTOVF = 4;
export const FPE_FLTUND = 5;
export const FPE_FLTRES = 6;
export const FPE_FLTINV = 7;
export const FPE_FLTSUB = 8;
export const FPE_FLTUNK = 14;
export const FPE_CONDTRAP = 15;

// SIGSEGV si_codes.
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const SEGV_BNDERR = 3;
export const SEGV_PKUERR = 4;
export const SEGV_ACCADI = 5;
export const SEGV_ADIDERR = 6;
export const SEGV_ADIPERR = 7;
export const SEGV_MTEAERR = 8;
export const SEGV_MTESERR = 9;
/** Control-protection (shadow stack) fault: Linux 6.6 and later. */
export const SEGV_CPERR = 10;

// SIGBUS si_codes.
export const BUS_ADRALN = 1;
export const BUS_ADRERR = 2;
export const BUS_OBJERR = 3;
export const BUS_MCEERR_AR = 4;
export const BUS_MCEERR_AO = 5;

// SIGTRAP si_codes.
export const TRAP_BRKPT = 1;
export const TRAP_TRACE = 2;
export const TRAP_BRANCH = 3;
export const TRAP_HWBKPT = 4;
export const TRAP_UNK = 5;
export const TRAP_PERF = 6;

// SIGCHLD si_codes.
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

// SIGPOLL (SIGIO) si_codes, also the si_codes of any signal without its own.
export const POLL_IN = 1;
export const POLL_OUT = 2;
export const POLL_MSG = 3;
export const POLL_ERR = 4;
export const POLL_PRI = 5;
export const POLL_HUP = 6;

// SIGSYS si_codes.
export const SYS_SECCOMP = 1;
export const SYS_USER_DISPATCH = 2;

/** siginfo_t offsets; the si_* names are the header's accessor macros into _sifields. */
export const SIGINFO_FIELDS = {
  si_signo: 0,
  si_errno: 4,
  si_code: 8,
  _sifields: 16,
  // _kill, _rt and _sigchld
  si_pid: 16,
  si_uid: 20,
  // _timer
  si_tid: 16,
  si_overrun: 20,
  si_sys_private: 32,
  // _rt and _timer
  si_value: 24,
  // _sigchld
  si_status: 24,
  si_utime: 32,
  si_stime: 40,
  // _sigfault
  si_addr: 16,
  si_addr_lsb: 24,
  si_lower: 32,
  si_upper: 40,
  si_pkey: 32,
  si_perf_data: 24,
  si_perf_type: 32,
  si_perf_flags: 36,
  // _sigpoll
  si_band: 16,
  si_fd: 24,
  // _sigsys
  si_call_addr: 16,
  si_syscall: 24,
  si_arch: 28,
} as const;

/**
 * The _sifields member a siginfo carries: siginfo_layout()'s SIL_* with the SIL_FAULT_*
 * variants folded into "fault" (their extra fields are optional members of SiginfoFault).
 */
export type SiginfoLayout = "kill" | "timer" | "rt" | "chld" | "fault" | "poll" | "sys";

// The highest si_code each signal with codes of its own defines (NSIGILL…), as the kernel's
// sig_sicodes[] table. Other signals' positive codes below SI_KERNEL are POLL_* codes.
const NSIGILL = 11;
const NSIGFPE = 15;
const NSIGSEGV = 10;
const NSIGBUS = 5;
const NSIGTRAP = 6;
const NSIGCHLD = 6;
const NSIGPOLL = 6;
const NSIGSYS = 2;

function sicodeLimit(sig: number): [limit: number, layout: SiginfoLayout] | undefined {
  switch (sig) {
    case SIGILL: return [NSIGILL, "fault"];
    case SIGFPE: return [NSIGFPE, "fault"];
    case SIGSEGV: return [NSIGSEGV, "fault"];
    case SIGBUS: return [NSIGBUS, "fault"];
    case SIGTRAP: return [NSIGTRAP, "fault"];
    case SIGCHLD: return [NSIGCHLD, "chld"];
    case SIGPOLL: return [NSIGPOLL, "poll"];
    case SIGSYS: return [NSIGSYS, "sys"];
    default: return undefined;
  }
}

/** siginfo_layout(): which _sifields member signal `sig` with `si_code` carries. */
export function siginfoLayout(sig: number, si_code: number): SiginfoLayout {
  if (si_code > SI_USER && si_code < SI_KERNEL) {
    const own = sicodeLimit(sig);
    if (own !== undefined && si_code <= own[0]) return own[1];
    return si_code <= NSIGPOLL ? "poll" : "kill";
  }
  if (si_code === SI_TIMER) return "timer";
  if (si_code === SI_SIGIO) return "poll";
  if (si_code < 0) return "rt";
  return "kill";
}

interface SiginfoHead {
  si_signo: number;
  si_errno: number;
  si_code: number;
}
/** kill(2), tgkill(2) and kernel-sent signals (SI_USER, SI_KERNEL). */
export interface SiginfoKill extends SiginfoHead {
  layout: "kill";
  si_pid: number;
  si_uid: number;
}
/** sigqueue(3) and every other negative si_code but SI_TIMER and SI_SIGIO (SI_TKILL included). */
export interface SiginfoRt extends SiginfoHead {
  layout: "rt";
  si_pid: number;
  si_uid: number;
  /** union sigval, all 8 bytes: sival_int is the low 32 bits, sival_ptr the whole. */
  si_value: bigint;
}
/** POSIX timer expiry (SI_TIMER). */
export interface SiginfoTimer extends SiginfoHead {
  layout: "timer";
  /** The kernel's timer id (glibc's si_timerid). */
  si_tid: number;
  si_overrun: number;
  si_value: bigint;
}
/** SIGCHLD with a CLD_* code; times are clock ticks. */
export interface SiginfoChld extends SiginfoHead {
  layout: "chld";
  si_pid: number;
  si_uid: number;
  /** The exit code for CLD_EXITED, else the signal number. */
  si_status: number;
  si_utime: number;
  si_stime: number;
}
/** SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP with their own codes. */
export interface SiginfoFault extends SiginfoHead {
  layout: "fault";
  /** The faulting address (or instruction): a bigint, as it may be a kernel-half address. */
  si_addr: bigint;
  /** BUS_MCEERR_AR/AO: log2 of the poisoned extent. */
  si_addr_lsb?: number;
  /** SEGV_BNDERR bounds. */
  si_lower?: bigint;
  si_upper?: bigint;
  /** SEGV_PKUERR protection key. */
  si_pkey?: number;
}
/** SIGIO/SIGPOLL (and POLL_* codes of other signals, SI_SIGIO). */
export interface SiginfoPoll extends SiginfoHead {
  layout: "poll";
  /** POLLIN, POLLOUT… of the event. */
  si_band: number;
  si_fd: number;
}
/** SIGSYS from seccomp or syscall user dispatch. */
export interface SiginfoSys extends SiginfoHead {
  layout: "sys";
  si_call_addr: bigint;
  si_syscall: number;
  /** AUDIT_ARCH_* of the call (AUDIT_ARCH_X86_64 is 0xc000003e). */
  si_arch: number;
}
export type Siginfo = SiginfoKill | SiginfoRt | SiginfoTimer | SiginfoChld | SiginfoFault | SiginfoPoll | SiginfoSys;

/**
 * Write all 128 bytes of a siginfo_t: the head, the fields of `info.layout` at their offsets,
 * and zero everywhere else (the kernel clears its siginfo before filling it, and
 * si_sys_private never reaches user space).
 */
export function encodeSiginfo(view: DataView, offset: number, info: Siginfo): void {
  const f = SIGINFO_FIELDS;
  for (let i = 0; i < SI_MAX_SIZE; i += 4) view.setUint32(offset + i, 0, true);
  view.setInt32(offset + f.si_signo, info.si_signo, true);
  view.setInt32(offset + f.si_errno, info.si_errno, true);
  view.setInt32(offset + f.si_code, info.si_code, true);
  switch (info.layout) {
    case "kill":
      view.setInt32(offset + f.si_pid, info.si_pid, true);
      view.setUint32(offset + f.si_uid, info.si_uid >>> 0, true);
      break;
    case "rt":
      view.setInt32(offset + f.si_pid, info.si_pid, true);
      view.setUint32(offset + f.si_uid, info.si_uid >>> 0, true);
      view.setBigUint64(offset + f.si_value, BigInt.asUintN(64, info.si_value), true);
      break;
    case "timer":
      view.setInt32(offset + f.si_tid, info.si_tid, true);
      view.setInt32(offset + f.si_overrun, info.si_overrun, true);
      view.setBigUint64(offset + f.si_value, BigInt.asUintN(64, info.si_value), true);
      break;
    case "chld":
      view.setInt32(offset + f.si_pid, info.si_pid, true);
      view.setUint32(offset + f.si_uid, info.si_uid >>> 0, true);
      view.setInt32(offset + f.si_status, info.si_status, true);
      setInt64(view, offset + f.si_utime, info.si_utime);
      setInt64(view, offset + f.si_stime, info.si_stime);
      break;
    case "fault":
      view.setBigUint64(offset + f.si_addr, BigInt.asUintN(64, info.si_addr), true);
      if (info.si_addr_lsb !== undefined) view.setInt16(offset + f.si_addr_lsb, info.si_addr_lsb, true);
      if (info.si_lower !== undefined) view.setBigUint64(offset + f.si_lower, BigInt.asUintN(64, info.si_lower), true);
      if (info.si_upper !== undefined) view.setBigUint64(offset + f.si_upper, BigInt.asUintN(64, info.si_upper), true);
      if (info.si_pkey !== undefined) view.setUint32(offset + f.si_pkey, info.si_pkey >>> 0, true);
      break;
    case "poll":
      setInt64(view, offset + f.si_band, info.si_band);
      view.setInt32(offset + f.si_fd, info.si_fd, true);
      break;
    case "sys":
      view.setBigUint64(offset + f.si_call_addr, BigInt.asUintN(64, info.si_call_addr), true);
      view.setInt32(offset + f.si_syscall, info.si_syscall, true);
      view.setUint32(offset + f.si_arch, info.si_arch >>> 0, true);
      break;
  }
}

/**
 * Read a siginfo_t (the rt_sigqueueinfo(2) and rt_tgsigqueueinfo(2) argument), interpreting
 * _sifields by siginfoLayout(). `signo`, when given, replaces si_signo first, as
 * __copy_siginfo_from_user() does with the call's sig argument. Bytes outside the layout's
 * fields are not read: a caller that must hand the exact bytes back should copy them.
 */
export function decodeSiginfo(view: DataView, offset: number, signo?: number): Siginfo {
  const f = SIGINFO_FIELDS;
  const si_signo = signo ?? view.getInt32(offset + f.si_signo, true);
  const si_errno = view.getInt32(offset + f.si_errno, true);
  const si_code = view.getInt32(offset + f.si_code, true);
  const head = { si_signo, si_errno, si_code };
  const pid = (): number => view.getInt32(offset + f.si_pid, true);
  const uid = (): number => view.getUint32(offset + f.si_uid, true);
  const u64 = (at: number): bigint => view.getBigUint64(offset + at, true);
  switch (siginfoLayout(si_signo, si_code)) {
    case "kill":
      return { layout: "kill", ...head, si_pid: pid(), si_uid: uid() };
    case "rt":
      return { layout: "rt", ...head, si_pid: pid(), si_uid: uid(), si_value: u64(f.si_value) };
    case "timer":
      return {
        layout: "timer", ...head,
        si_tid: view.getInt32(offset + f.si_tid, true),
        si_overrun: view.getInt32(offset + f.si_overrun, true),
        si_value: u64(f.si_value),
      };
    case "chld":
      return {
        layout: "chld", ...head, si_pid: pid(), si_uid: uid(),
        si_status: view.getInt32(offset + f.si_status, true),
        si_utime: getInt64(view, offset + f.si_utime),
        si_stime: getInt64(view, offset + f.si_stime),
      };
    case "fault": {
      const info: SiginfoFault = { layout: "fault", ...head, si_addr: u64(f.si_addr) };
      if (si_signo === SIGBUS && (si_code === BUS_MCEERR_AR || si_code === BUS_MCEERR_AO)) {
        info.si_addr_lsb = view.getInt16(offset + f.si_addr_lsb, true);
      } else if (si_signo === SIGSEGV && si_code === SEGV_BNDERR) {
        info.si_lower = u64(f.si_lower);
        info.si_upper = u64(f.si_upper);
      } else if (si_signo === SIGSEGV && si_code === SEGV_PKUERR) {
        info.si_pkey = view.getUint32(offset + f.si_pkey, true);
      }
      return info;
    }
    case "poll":
      return { layout: "poll", ...head, si_band: getInt64(view, offset + f.si_band), si_fd: view.getInt32(offset + f.si_fd, true) };
    case "sys":
      return {
        layout: "sys", ...head,
        si_call_addr: u64(f.si_call_addr),
        si_syscall: view.getInt32(offset + f.si_syscall, true),
        si_arch: view.getUint32(offset + f.si_arch, true),
      };
  }
}

// sigev_notify values.
export const SIGEV_SIGNAL = 0;
export const SIGEV_NONE = 1;
export const SIGEV_THREAD = 2;
/** Or'ed with SIGEV_SIGNAL: deliver to the thread sigev_notify_thread_id. */
export const SIGEV_THREAD_ID = 4;
/** sizeof(struct sigevent). */
export const SIGEV_MAX_SIZE = 64;
export const SIZEOF_SIGEVENT = SIGEV_MAX_SIZE;
export const SIGEVENT_FIELDS = {
  sigev_value: 0,
  sigev_signo: 8,
  sigev_notify: 12,
  sigev_notify_thread_id: 16,
  sigev_notify_function: 16,
  sigev_notify_attributes: 24,
} as const;

/**
 * struct sigevent of timer_create(2) and mq_notify(2). The kernel reads only these fields:
 * SIGEV_THREAD's function and attributes are the C library's business (it never passes
 * SIGEV_THREAD to timer_create).
 */
export interface Sigevent {
  /** union sigval, all 8 bytes; it becomes si_value of the signals sent. */
  sigev_value: bigint;
  sigev_signo: number;
  sigev_notify: number;
  /** The target thread of SIGEV_THREAD_ID (shares its bytes with sigev_notify_function). */
  sigev_notify_thread_id: number;
}

export function decodeSigevent(view: DataView, offset: number): Sigevent {
  const f = SIGEVENT_FIELDS;
  return {
    sigev_value: view.getBigUint64(offset + f.sigev_value, true),
    sigev_signo: view.getInt32(offset + f.sigev_signo, true),
    sigev_notify: view.getInt32(offset + f.sigev_notify, true),
    sigev_notify_thread_id: view.getInt32(offset + f.sigev_notify_thread_id, true),
  };
}

/** Write all 64 bytes of a struct sigevent, the rest of the union zeroed. */
export function encodeSigevent(view: DataView, offset: number, ev: Sigevent): void {
  const f = SIGEVENT_FIELDS;
  for (let i = 0; i < SIGEV_MAX_SIZE; i += 4) view.setUint32(offset + i, 0, true);
  view.setBigUint64(offset + f.sigev_value, BigInt.asUintN(64, ev.sigev_value), true);
  view.setInt32(offset + f.sigev_signo, ev.sigev_signo, true);
  view.setInt32(offset + f.sigev_notify, ev.sigev_notify, true);
  view.setInt32(offset + f.sigev_notify_thread_id, ev.sigev_notify_thread_id, true);
}

/** sizeof(union sigval). */
export const SIZEOF_SIGVAL = 8;

/** A sigval's sival_int: the low 32 bits of the 8-byte union, signed. */
export function sival_int(value: bigint): number {
  return Number(BigInt.asIntN(32, value));
}

/** A sigval's sival_ptr: the whole 8 bytes as an address (exact up to 2^53). */
export function sival_ptr(value: bigint): number {
  return Number(BigInt.asUintN(64, value));
}
