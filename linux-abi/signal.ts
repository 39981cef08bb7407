// Linux: arch/x86/include/uapi/asm/signal.h, include/uapi/asm-generic/signal-defs.h,
// include/uapi/linux/signal.h; struct sigaction is the kernel's (arch/x86/include/asm/signal.h)
// as rt_sigaction(2) passes it, not glibc's.

import { getUint64, setInt64 } from "./_int64.ts";

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGIOT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGSTKFLT = 16;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGURG = 23;
export const SIGXCPU = 24;
export const SIGXFSZ = 25;
export const SIGVTALRM = 26;
export const SIGPROF = 27;
export const SIGWINCH = 28;
export const SIGIO = 29;
export const SIGPOLL = SIGIO;
export const SIGPWR = 30;
export const SIGSYS = 31;
/** The kernel's first real-time signal (glibc reserves 32-34 and reports SIGRTMIN as 35). */
export const SIGRTMIN = 32;
/** Signals are numbered 1.._NSIG. */
export const _NSIG = 64;
export const SIGRTMAX = _NSIG;

const NAMES = [
  undefined, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
  "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
  "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
  "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS", "SIGRTMIN",
] as const;

/** The header name of signal `sig` (1..32: "SIGHUP" … "SIGRTMIN"), else undefined. */
export function signalName(sig: number): string | undefined {
  return NAMES[sig];
}

// glibc's strsignal texts, what a shell prints for a job a signal ended.
const DESCRIPTIONS = [
  undefined, "Hangup", "Interrupt", "Quit", "Illegal instruction", "Trace/breakpoint trap", "Aborted", "Bus error",
  "Floating point exception", "Killed", "User defined signal 1", "Segmentation fault", "User defined signal 2",
  "Broken pipe", "Alarm clock", "Terminated", "Stack fault", "Child exited", "Continued", "Stopped (signal)", "Stopped",
  "Stopped (tty input)", "Stopped (tty output)", "Urgent I/O condition", "CPU time limit exceeded",
  "File size limit exceeded", "Virtual timer expired", "Profiling timer expired", "Window changed", "I/O possible",
  "Power failure", "Bad system call",
] as const;

/** strsignal(3) of `sig`: "Segmentation fault"; "Real-time signal N" above 31. */
export function signalDescription(sig: number): string {
  return DESCRIPTIONS[sig] ?? `Real-time signal ${sig - SIGRTMIN}`;
}

// sa_flags.
export const SA_NOCLDSTOP = 0x00000001;
export const SA_NOCLDWAIT = 0x00000002;
export const SA_SIGINFO = 0x00000004;
export const SA_UNSUPPORTED = 0x00000400;
export const SA_EXPOSE_TAGBITS = 0x00000800;
export const SA_RESTORER = 0x04000000;
export const SA_ONSTACK = 0x08000000;
export const SA_RESTART = 0x10000000;
export const SA_NODEFER = 0x40000000;
export const SA_RESETHAND = 0x80000000;
export const SA_NOMASK = SA_NODEFER;
export const SA_ONESHOT = SA_RESETHAND;

// rt_sigprocmask(2) how.
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

// Special sa_handler values.
export const SIG_DFL = 0;
export const SIG_IGN = 1;
export const SIG_ERR = -1;

// sigaltstack(2) ss_flags.
export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const SS_AUTODISARM = 0x80000000;
export const MINSIGSTKSZ = 2048;
export const SIGSTKSZ = 8192;

/**
 * The kernel's sigset_t: one 64-bit word, bit `sig - 1` for signal `sig`. A bigint, because a
 * JS number cannot hold 64 bits exactly.
 */
export type Sigset = bigint;
/** sizeof(sigset_t): the sigsetsize argument of the rt_sig* calls. */
export const SIZEOF_SIGSET = 8;

/** The struct sigaction that rt_sigaction(2) reads and writes (x86-64). */
export interface Sigaction {
  sa_handler: number;
  /**
   * An unsigned long, but every SA_* flag is in the low 32 bits: the codec keeps those (as the
   * kernel does with UAPI_SA_FLAGS), so a sign-extended int from C or a JS `|` reads the same.
   */
  sa_flags: number;
  sa_restorer: number;
  sa_mask: Sigset;
}
export const SIZEOF_SIGACTION = 32;
export const SIGACTION_FIELDS = { sa_handler: 0, sa_flags: 8, sa_restorer: 16, sa_mask: 24 } as const;

export function encodeSigaction(view: DataView, offset: number, sa: Sigaction): void {
  setInt64(view, offset + SIGACTION_FIELDS.sa_handler, sa.sa_handler);
  view.setUint32(offset + SIGACTION_FIELDS.sa_flags, sa.sa_flags >>> 0, true);
  view.setUint32(offset + SIGACTION_FIELDS.sa_flags + 4, 0, true);
  setInt64(view, offset + SIGACTION_FIELDS.sa_restorer, sa.sa_restorer);
  view.setBigUint64(offset + SIGACTION_FIELDS.sa_mask, sa.sa_mask, true);
}

export function decodeSigaction(view: DataView, offset: number): Sigaction {
  return {
    sa_handler: getUint64(view, offset + SIGACTION_FIELDS.sa_handler),
    sa_flags: view.getUint32(offset + SIGACTION_FIELDS.sa_flags, true),
    sa_restorer: getUint64(view, offset + SIGACTION_FIELDS.sa_restorer),
    sa_mask: view.getBigUint64(offset + SIGACTION_FIELDS.sa_mask, true),
  };
}

/** stack_t, the sigaltstack(2) argument. */
export interface StackT {
  ss_sp: number;
  ss_flags: number;
  ss_size: number;
}
export const SIZEOF_STACK_T = 24;
export const STACK_T_FIELDS = { ss_sp: 0, ss_flags: 8, ss_size: 16 } as const;

export function encodeStackT(view: DataView, offset: number, ss: StackT): void {
  setInt64(view, offset + STACK_T_FIELDS.ss_sp, ss.ss_sp);
  view.setInt32(offset + STACK_T_FIELDS.ss_flags, ss.ss_flags, true);
  view.setInt32(offset + STACK_T_FIELDS.ss_flags + 4, 0, true);
  setInt64(view, offset + STACK_T_FIELDS.ss_size, ss.ss_size);
}

export function decodeStackT(view: DataView, offset: number): StackT {
  return {
    ss_sp: getUint64(view, offset + STACK_T_FIELDS.ss_sp),
    ss_flags: view.getInt32(offset + STACK_T_FIELDS.ss_flags, true),
    ss_size: getUint64(view, offset + STACK_T_FIELDS.ss_size),
  };
}

/** sigmask(sig): the sigset bit of signal `sig` (1.._NSIG), as include/linux/signal.h. */
export function sigmask(sig: number): Sigset {
  return 1n << BigInt(sig - 1);
}

/** Whether `sig` is in `set`. */
export function sigismember(set: Sigset, sig: number): boolean {
  return (set & sigmask(sig)) !== 0n;
}

/** `set` with `sig` added. */
export function sigaddset(set: Sigset, sig: number): Sigset {
  return set | sigmask(sig);
}

/** `set` with `sig` removed. */
export function sigdelset(set: Sigset, sig: number): Sigset {
  return set & ~sigmask(sig);
}

// The kernel's classes of standard signals (include/linux/signal.h). Each mask covers only
// signals below SIGRTMIN; every real-time signal terminates by default. A Sigset is a
// non-negative bigint, so `set & ~SIG_KERNEL_ONLY_MASK` is the blockable part of `set`.

/** SIGKILL and SIGSTOP: they cannot be caught, ignored or blocked. */
export const SIG_KERNEL_ONLY_MASK: Sigset = sigmask(SIGKILL) | sigmask(SIGSTOP);
/** The signals whose default action stops the process. */
export const SIG_KERNEL_STOP_MASK: Sigset = sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU);
/** The signals whose default action dumps core. */
export const SIG_KERNEL_COREDUMP_MASK: Sigset =
  sigmask(SIGQUIT) | sigmask(SIGILL) | sigmask(SIGTRAP) | sigmask(SIGABRT) | sigmask(SIGFPE) | sigmask(SIGSEGV) |
  sigmask(SIGBUS) | sigmask(SIGSYS) | sigmask(SIGXCPU) | sigmask(SIGXFSZ);
/** The signals whose default action is to do nothing (SIGCONT also continues a stopped process). */
export const SIG_KERNEL_IGNORE_MASK: Sigset = sigmask(SIGCONT) | sigmask(SIGCHLD) | sigmask(SIGWINCH) | sigmask(SIGURG);
/** The synchronous (fault) signals, dequeued before any other (kernel/signal.c). */
export const SYNCHRONOUS_MASK: Sigset =
  sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGILL) | sigmask(SIGTRAP) | sigmask(SIGFPE) | sigmask(SIGSYS);

function siginmask(sig: number, mask: Sigset): boolean {
  return sig >= 1 && sig < SIGRTMIN && (mask & sigmask(sig)) !== 0n;
}
/** sig_kernel_only(): SIGKILL or SIGSTOP. */
export function sig_kernel_only(sig: number): boolean {
  return siginmask(sig, SIG_KERNEL_ONLY_MASK);
}
/** sig_kernel_stop(): a stop signal. */
export function sig_kernel_stop(sig: number): boolean {
  return siginmask(sig, SIG_KERNEL_STOP_MASK);
}
/** sig_kernel_coredump(): a signal whose default action dumps core. */
export function sig_kernel_coredump(sig: number): boolean {
  return siginmask(sig, SIG_KERNEL_COREDUMP_MASK);
}
/** sig_kernel_ignore(): a signal whose default action is to ignore it. */
export function sig_kernel_ignore(sig: number): boolean {
  return siginmask(sig, SIG_KERNEL_IGNORE_MASK);
}

/** A signal's default disposition, as the "Action" column of signal(7). */
export type SigDefaultAction = "term" | "core" | "stop" | "cont" | "ign";

function defaultActionOf(sig: number): SigDefaultAction {
  if (sig === SIGCONT) return "cont";
  if (sig_kernel_ignore(sig)) return "ign";
  if (sig_kernel_stop(sig)) return "stop";
  if (sig_kernel_coredump(sig)) return "core";
  return "term";
}

/**
 * The default action of each signal, indexed by signal number: [1] is SIGHUP's, [64] is
 * SIGRTMAX's; [0] is undefined (0 is not a signal). Frozen.
 */
export const SIG_DEFAULT_ACTIONS: readonly (SigDefaultAction | undefined)[] = Object.freeze(
  Array.from({ length: _NSIG + 1 }, (_, sig) => (sig === 0 ? undefined : defaultActionOf(sig))),
);

/** The default action of signal `sig`; a RangeError outside 1.._NSIG. */
export function defaultAction(sig: number): SigDefaultAction {
  const action = Number.isInteger(sig) ? SIG_DEFAULT_ACTIONS[sig] : undefined;
  if (action === undefined) throw new RangeError(`not a signal number: ${sig}`);
  return action;
}
