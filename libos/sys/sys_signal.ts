// Signal syscalls: dispositions, masks, sending, waiting and the return from a handler.
// Linux: kernel/signal.c, arch/x86/kernel/signal.c. Delivery itself (choosing the
// signal, building the frame, restarting the interrupted syscall) happens on the way
// back to user mode, in the kernel-task's returnToUser.

import * as E from "../../linux-abi/errno.ts";
import { SIZEOF_SIGINFO, SI_TKILL, SI_USER, decodeSiginfo, encodeSiginfo, type Siginfo } from "../../linux-abi/siginfo.ts";
import {
  MINSIGSTKSZ, SIGKILL, SIGSTOP, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_KERNEL_ONLY_MASK, SIG_SETMASK, SIG_UNBLOCK,
  SIZEOF_SIGACTION, SIZEOF_SIGSET, SIZEOF_STACK_T, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, _NSIG as NSIG,
  decodeSigaction, decodeStackT, defaultAction, encodeSigaction, encodeStackT, sigmask, type Sigaction, type Sigset,
} from "../../linux-abi/signal.ts";
import { SIZEOF_TIMESPEC, decodeTimespec } from "../../linux-abi/time.ts";
import { Msg } from "../../syscall-shim/x86_64.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import { getWord } from "../../microkernel/mod.ts";
import { altStackState, dequeue, restoreFrame } from "../signals.ts";
import { AGAIN, ERESTARTNOHAND, sleep, sleepUntilSignal } from "../wait_queue.ts";
import type { SyscallArgs } from "./args.ts";
import { RESUME, type KernelServices, type SyscallResult } from "./context.ts";
import { getStruct, putStruct } from "./_struct.ts";

const DEFAULT_ACTION: Sigaction = { sa_handler: SIG_DFL, sa_flags: 0, sa_restorer: 0, sa_mask: 0n };

export function readSigset(t: Thread, addr: number): Sigset | null {
  const b = t.process.memory.view(addr, 8, PROT_READ);
  return b ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) : null;
}

export function writeSigset(t: Thread, addr: number, v: Sigset): boolean {
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
    sa.sa_mask &= ~SIG_KERNEL_ONLY_MASK;
    p.sigactions.set(sig, sa);
    // POSIX: setting a pending signal to be ignored discards it.
    if (sa.sa_handler === SIG_IGN || (sa.sa_handler === SIG_DFL && defaultAction(sig) === "ign")) {
      p.pending.discard(sig);
      for (const th of p.threads.values()) th.pending.discard(sig);
    }
  }
  if (oact && !putStruct(p.memory, oact, SIZEOF_SIGACTION, encodeSigaction, old)) return -E.EFAULT;
  return 0;
}

/** A new mask takes effect: signals it unblocks may now be delivered. */
function setMask(t: Thread, mask: Sigset): void {
  t.sigmask = mask & ~SIG_KERNEL_ONLY_MASK;
  if (t.deliverable() !== 0n) t.work = true;
}

/** RtSigprocmask implements Linux syscall rt_sigprocmask(2). */
export function sysRtSigprocmask(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const how = a.int(0), set = a.ptr(1), oset = a.ptr(2);
  if (a.size(3) !== SIZEOF_SIGSET) return -E.EINVAL;
  const old = t.sigmask;
  if (set) {
    const s = readSigset(t, set);
    if (s === null) return -E.EFAULT;
    if (how === SIG_BLOCK) setMask(t, old | s);
    else if (how === SIG_UNBLOCK) setMask(t, old & ~s);
    else if (how === SIG_SETMASK) setMask(t, s);
    else return -E.EINVAL;
  }
  if (oset && !writeSigset(t, oset, old)) return -E.EFAULT;
  return 0;
}

/** RtSigreturn implements Linux syscall rt_sigreturn(2): back from a handler's frame. */
export function sysRtSigreturn(k: KernelServices, t: Thread): SyscallResult {
  const restored = restoreFrame(t, k.userContext(t));
  if (!restored) {
    const sp = getWord(k.userContext(t).regs, Msg.rsp);
    k.forceSignal(t, { layout: "fault", si_signo: 11, si_errno: 0, si_code: 0x80, si_addr: BigInt(sp) });
    return RESUME;
  }
  setMask(t, restored.mask);
  return RESUME;
}

/** Sigaltstack implements Linux syscall sigaltstack(2). */
export function sysSigaltstack(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const ss = a.ptr(0), oss = a.ptr(1);
  const mem = t.process.memory;
  const sp = getWord(k.userContext(t).regs, Msg.rsp);
  const cur = altStackState(t, sp);
  if (ss) {
    const next = getStruct(mem, ss, SIZEOF_STACK_T, decodeStackT);
    if (!next) return -E.EFAULT;
    if (cur.ss_flags & SS_ONSTACK) return -E.EPERM;
    const mode = next.ss_flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return -E.EINVAL;
    if (mode === SS_DISABLE) t.altStack = { sp: 0, size: 0, flags: 0 };
    else {
      if (next.ss_size < MINSIGSTKSZ) return -E.ENOMEM;
      t.altStack = { sp: next.ss_sp, size: next.ss_size, flags: next.ss_flags & SS_AUTODISARM };
    }
  }
  if (oss && !putStruct(mem, oss, SIZEOF_STACK_T, encodeStackT, cur)) return -E.EFAULT;
  return 0;
}

function userInfo(t: Thread, sig: number, code: number): Siginfo {
  return { layout: "kill", si_signo: sig, si_errno: 0, si_code: code, si_pid: t.process.pid, si_uid: t.creds.uid };
}

/** Kill implements Linux syscall kill(2). */
export function sysKill(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sig = a.int(1);
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  return k.kill(t, a.int(0), userInfo(t, sig, SI_USER));
}

function threadSignal(k: KernelServices, t: Thread, tgid: number, tid: number, sig: number, info: Siginfo | null): SyscallResult {
  if (sig < 0 || sig > NSIG || tid <= 0) return -E.EINVAL;
  const target = k.threads.get(tid);
  if (!target || (tgid > 0 && target.process.pid !== tgid)) return -E.ESRCH;
  const allowed = k.mayKill(t, target.process, target, sig);
  if (allowed < 0 || sig === 0) return allowed;
  const tkill: Siginfo = { layout: "rt", si_signo: sig, si_errno: 0, si_code: SI_TKILL, si_pid: t.process.pid, si_uid: t.creds.uid, si_value: 0n };
  k.sendSignal(target.process, info ?? tkill, target);
  return 0;
}

/** Tgkill implements Linux syscall tgkill(2). */
export function sysTgkill(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.int(0) <= 0) return -E.EINVAL;
  return threadSignal(k, t, a.int(0), a.int(1), a.int(2), null);
}

/** Tkill implements Linux syscall tkill(2). */
export function sysTkill(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return threadSignal(k, t, 0, a.int(0), a.int(1), null);
}

function queuedInfo(t: Thread, sig: number, addr: number, targetPid: number): Siginfo | number {
  const raw = t.process.memory.view(addr, SIZEOF_SIGINFO, PROT_READ);
  if (!raw) return -E.EFAULT;
  const info = decodeSiginfo(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0, sig);
  // Only the kernel and kill(2) may use these codes, except towards oneself.
  if ((info.si_code >= 0 || info.si_code === SI_TKILL) && targetPid !== t.process.pid) return -E.EPERM;
  return info;
}

/** RtSigqueueinfo implements Linux syscall rt_sigqueueinfo(2). */
export function sysRtSigqueueinfo(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0), sig = a.int(1);
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const info = queuedInfo(t, sig, a.ptr(2), pid);
  if (typeof info === "number") return info;
  // A thread's id names its process too, as for kill(2).
  const p = k.processes.get(pid) ?? k.threads.get(pid)?.process;
  if (!p || !p.alive) return -E.ESRCH;
  const allowed = k.mayKill(t, p, null, sig);
  if (allowed === 0) k.sendSignal(p, info);
  return allowed;
}

/** RtTgsigqueueinfo implements Linux syscall rt_tgsigqueueinfo(2). */
export function sysRtTgsigqueueinfo(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sig = a.int(2);
  const info = queuedInfo(t, sig, a.ptr(3), a.int(0));
  if (typeof info === "number") return info;
  return threadSignal(k, t, a.int(0), a.int(1), sig, info);
}

/** RtSigpending implements Linux syscall rt_sigpending(2). */
export function sysRtSigpending(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.size(1) > SIZEOF_SIGSET) return -E.EINVAL;
  const pending = (t.pending.set | t.process.pending.set) & t.sigmask;
  return writeSigset(t, a.ptr(0), pending) ? 0 : -E.EFAULT;
}

/**
 * A sleep with a temporary mask (sigsuspend, ppoll, pselect): the mask is the given one
 * until a handler runs, and the old one comes back when the handler returns.
 */
export function withTemporaryMask(t: Thread, mask: Sigset): void {
  t.savedMask = t.sigmask;
  setMask(t, mask);
}

/** RtSigsuspend implements Linux syscall rt_sigsuspend(2). */
export function sysRtSigsuspend(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.size(1) !== SIZEOF_SIGSET) return -E.EINVAL;
  const mask = readSigset(t, a.ptr(0));
  if (mask === null) return -E.EFAULT;
  withTemporaryMask(t, mask);
  return sleepUntilSignal(t, undefined, -ERESTARTNOHAND);
}

/** Pause implements Linux syscall pause(2). */
export function sysPause(_k: KernelServices, t: Thread): SyscallResult {
  return sleepUntilSignal(t, undefined, -ERESTARTNOHAND);
}

/** RtSigtimedwait implements Linux syscall rt_sigtimedwait(2): take a pending signal of `set` synchronously. */
export function sysRtSigtimedwait(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const setAddr = a.ptr(0), infoAddr = a.ptr(1), tsAddr = a.ptr(2);
  if (a.size(3) !== SIZEOF_SIGSET) return -E.EINVAL;
  const set = readSigset(t, setAddr);
  if (set === null) return -E.EFAULT;
  const wanted = set & ~SIG_KERNEL_ONLY_MASK;
  let deadline: number | undefined;
  if (tsAddr) {
    const ts = getStruct(t.process.memory, tsAddr, SIZEOF_TIMESPEC, decodeTimespec);
    if (!ts) return -E.EFAULT;
    if (ts.tv_nsec < 0 || ts.tv_nsec >= 1e9 || ts.tv_sec < 0) return -E.EINVAL;
    deadline = performance.now() + ts.tv_sec * 1000 + ts.tv_nsec / 1e6;
  }
  const take = (): number => {
    const ready = (t.pending.set | t.process.pending.set) & wanted;
    if (ready === 0n) return AGAIN;
    let sig = 1;
    while ((ready & sigmask(sig)) === 0n) sig++;
    const info = dequeue(t, sig);
    if (infoAddr) {
      const b = new Uint8Array(SIZEOF_SIGINFO);
      encodeSiginfo(new DataView(b.buffer), 0, info);
      if (!t.process.memory.write(infoAddr, b)) return -E.EFAULT;
    }
    return sig;
  };
  // The waited-for signals are unblocked for the wait, as Linux does, so they wake it.
  const first = take();
  if (first !== AGAIN || (deadline !== undefined && deadline <= performance.now())) return first === AGAIN ? -E.EAGAIN : first;
  const saved = t.sigmask;
  t.sigmask &= ~wanted;
  const r = sleep(t, [], () => ((t.pending.set | t.process.pending.set) & wanted ? 0 : AGAIN), { deadline, onTimeout: -E.EAGAIN, interrupted: -E.EINTR });
  const finish = (n: number): number => {
    t.sigmask = saved;
    // A wanted signal may be what interrupted the wait: take it rather than fail.
    const got = take();
    return got !== AGAIN ? got : n === 0 ? -E.EAGAIN : n;
  };
  return typeof r === "number" ? finish(r) : r.then(finish);
}
