// Signal dispositions and masks, and signals a process sends itself.
// Linux: kernel/signal.c. Handler invocation (signal frames, rt_sigreturn) belongs to
// the processes-and-signals work; here a signal whose action is the default ends the
// process with that signal, which is what abort(), raise(SIGTERM) and kill(0, …) need.

import * as E from "../../linux-abi/errno.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import { NO_REPLY, type KernelServices, type SyscallResult } from "./context.ts";

const NSIG = 64;
const SIGKILL = 9, SIGSTOP = 19, SIGCHLD = 17, SIGCONT = 18, SIGURG = 23, SIGWINCH = 28;
const SIG_DFL = 0, SIG_IGN = 1;
const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
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
  if (a.size(3) !== 8) return -E.EINVAL;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const p = t.process;
  const old = p.sigactions.get(sig) ?? { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n };
  if (act) {
    if (sig === SIGKILL || sig === SIGSTOP) return -E.EINVAL;
    const b = p.memory.view(act, 32, PROT_READ);
    if (!b) return -E.EFAULT;
    const v = new DataView(b.buffer, b.byteOffset, 32);
    p.sigactions.set(sig, {
      handler: Number(v.getBigUint64(0, true)),
      flags: Number(v.getBigUint64(8, true)),
      restorer: Number(v.getBigUint64(16, true)),
      mask: v.getBigUint64(24, true),
    });
  }
  if (oact) {
    const b = new Uint8Array(32);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, BigInt(old.handler), true);
    v.setBigUint64(8, BigInt(old.flags), true);
    v.setBigUint64(16, BigInt(old.restorer), true);
    v.setBigUint64(24, old.mask, true);
    if (!p.memory.write(oact, b)) return -E.EFAULT;
  }
  return 0;
}

/** RtSigprocmask implements Linux syscall rt_sigprocmask(2). */
export function sysRtSigprocmask(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const how = a.int(0), set = a.ptr(1), oset = a.ptr(2);
  if (a.size(3) !== 8) return -E.EINVAL;
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
  if (oss) {
    const b = new Uint8Array(24);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, BigInt(t.altStack.sp), true);
    v.setInt32(8, t.altStack.sp ? 0 : 2, true); // SS_DISABLE when none
    v.setBigUint64(16, BigInt(t.altStack.size), true);
    if (!t.process.memory.write(oss, b)) return -E.EFAULT;
  }
  if (ss) {
    const b = t.process.memory.view(ss, 24, PROT_READ);
    if (!b) return -E.EFAULT;
    const v = new DataView(b.buffer, b.byteOffset, 24);
    const flags = v.getInt32(8, true);
    if (flags === 2) t.altStack = { sp: 0, size: 0 };
    else t.altStack = { sp: Number(v.getBigUint64(0, true)), size: Number(v.getBigUint64(16, true)) };
  }
  return 0;
}

/** A signal sent by the process to itself: default actions only (see the file comment). */
function selfSignal(k: KernelServices, t: Thread, sig: number): SyscallResult {
  if (sig === 0) return 0;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const action = t.process.sigactions.get(sig);
  const handler = action?.handler ?? SIG_DFL;
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
