// Signal dispositions and masks, and signals a process sends itself.
// Linux: kernel/signal.c. Handler invocation (signal frames, rt_sigreturn) belongs to
// the processes-and-signals work; here a signal whose action is the default ends the
// process with that signal, which is what abort(), raise(SIGTERM) and kill(0, …) need.

import * as E from "../../linux-abi/errno.ts";
import {
  SIGCHLD, SIGCONT, SIGKILL, SIGSTOP, SIGURG, SIGWINCH, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK,
  SIZEOF_SIGACTION, SIZEOF_SIGSET, SIZEOF_STACK_T, SS_DISABLE, _NSIG as NSIG,
  decodeSigaction, decodeStackT, encodeSigaction, encodeStackT, type Sigaction,
} from "../../linux-abi/signal.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import { NO_REPLY, type KernelServices, type SyscallResult } from "./context.ts";
import { getStruct, putStruct } from "./_struct.ts";

const DEFAULT_ACTION: Sigaction = { sa_handler: SIG_DFL, sa_flags: 0, sa_restorer: 0, sa_mask: 0n };
const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));
const IGNORED_BY_DEFAULT = new Set([SIGCHLD, SIGCONT, SIGURG, SIGWINCH]);

function readU64(t: Thread, addr: number): bigint | null {
  const b = t.process.memory.view(addr, 8, PROT_READ);
  return b ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) : null;
}

function writeU64(t: Thread, addr: number, v: bigint): boolean {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return t.process.memory.write(addr, b);
}

/** RtSigaction implements Linux syscall rt_sigaction(2). */
export function sysRtSigaction(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sig = a.int(0), act = a.ptr(1), oact = a.ptr(2);
  if (a.size(3) !== SIZEOF_SIGSET) return -E.EINVAL;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const p = t.process;
  const old: Sigaction = p.sigactions.get(sig) ?? DEFAULT_ACTION;
  if (act) {
    if (sig === SIGKILL || sig === SIGSTOP) return -E.EINVAL;
    const sa = getStruct(p.memory, act, SIZEOF_SIGACTION, decodeSigaction);
    if (!sa) return -E.EFAULT;
    p.sigactions.set(sig, sa);
  }
  if (oact && !putStruct(p.memory, oact, SIZEOF_SIGACTION, encodeSigaction, old)) return -E.EFAULT;
  return 0;
}

/** RtSigprocmask implements Linux syscall rt_sigprocmask(2). */
export function sysRtSigprocmask(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const how = a.int(0), set = a.ptr(1), oset = a.ptr(2);
  if (a.size(3) !== SIZEOF_SIGSET) return -E.EINVAL;
  const old = t.sigmask;
  if (set) {
    const s = readU64(t, set);
    if (s === null) return -E.EFAULT;
    if (how === SIG_BLOCK) t.sigmask |= s;
    else if (how === SIG_UNBLOCK) t.sigmask &= ~s;
    else if (how === SIG_SETMASK) t.sigmask = s;
    else return -E.EINVAL;
    t.sigmask &= ~UNBLOCKABLE;
  }
  if (oset && !writeU64(t, oset, old)) return -E.EFAULT;
  return 0;
}

/** Sigaltstack implements Linux syscall sigaltstack(2): records the stack for later delivery. */
export function sysSigaltstack(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const ss = a.ptr(0), oss = a.ptr(1);
  const mem = t.process.memory;
  if (oss) {
    const cur = { ss_sp: t.altStack.sp, ss_flags: t.altStack.sp ? 0 : SS_DISABLE, ss_size: t.altStack.size };
    if (!putStruct(mem, oss, SIZEOF_STACK_T, encodeStackT, cur)) return -E.EFAULT;
  }
  if (ss) {
    const next = getStruct(mem, ss, SIZEOF_STACK_T, decodeStackT);
    if (!next) return -E.EFAULT;
    t.altStack = next.ss_flags === SS_DISABLE ? { sp: 0, size: 0 } : { sp: next.ss_sp, size: next.ss_size };
  }
  return 0;
}

/** A signal sent by the process to itself: default actions only (see the file comment). */
function selfSignal(k: KernelServices, t: Thread, sig: number): SyscallResult {
  if (sig === 0) return 0;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const action = t.process.sigactions.get(sig);
  const handler = action?.sa_handler ?? SIG_DFL;
  if (handler === SIG_IGN || (handler === SIG_DFL && IGNORED_BY_DEFAULT.has(sig))) return 0;
  if (handler !== SIG_DFL) return -E.ENOSYS;
  k.exitProcess(t.process, 0, sig);
  return NO_REPLY;
}

/** Kill implements Linux syscall kill(2) for the caller's own process. */
export function sysKill(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0);
  if (pid !== t.process.pid && pid !== 0 && pid !== -t.process.pid) return -E.ESRCH;
  return selfSignal(k, t, a.int(1));
}

/** Tgkill implements Linux syscall tgkill(2) for threads of the caller's process. */
export function sysTgkill(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.int(0) !== t.process.pid || !t.process.threads.has(a.int(1))) return -E.ESRCH;
  return selfSignal(k, t, a.int(2));
}

/** Tkill implements Linux syscall tkill(2). */
export function sysTkill(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (!t.process.threads.has(a.int(0))) return -E.ESRCH;
  return selfSignal(k, t, a.int(1));
}
