// Signals between processes: sending, job control, and delivery on the way back to user
// mode (Linux: kernel/signal.c).
//
//   sending         sendSignal (send_signal + complete_signal: queue on the process or a
//                   thread, wake one thread that can take it), forceSignal (a fault's
//                   signal), signalThread (SIGPIPE…), kill(2)'s targets and permission
//   job control     a stop signal stops the whole process at delivery, SIGCONT continues
//                   it at send time; notifyParent sends SIGCHLD (or clone's exit signal)
//   from the host   continueInit, hostSignal (Ctrl-C, SIGTERM to the launcher), hostStop
//                   (libos boot stopping every kernel, as docker stop)
//   delivery        deliverSignals: Linux's exit_to_user_mode, which runs the default
//                   action or stacks a handler frame (signals.ts) for each deliverable
//                   signal, and restarts or fails an interrupted syscall
//
// The functions take the kernel-task as a SignalContext; ending a process is its
// exitProcess (exit.ts), which comes back here to tell the parent.

import { EINTR, EPERM, ESRCH } from "../linux-abi/errno.ts";
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SI_KERNEL, type Siginfo } from "../linux-abi/siginfo.ts";
import {
  SA_NOCLDSTOP, SA_NODEFER, SA_RESETHAND, SA_RESTART, SIGCHLD, SIGCONT, SIGKILL, SIGSEGV, SIGSTOP, SIGTERM, SIG_DFL, SIG_IGN,
  SIG_KERNEL_ONLY_MASK, SIG_KERNEL_STOP_MASK, _NSIG, defaultAction, sigmask, type Sigaction,
} from "../linux-abi/signal.ts";
import { getWord, setWord } from "../microkernel/mod.ts";
import { Msg, SYSCALL_INSN_BYTES } from "../syscall-shim/x86_64.ts";
import { maySignal } from "./creds.ts";
import type { Machine } from "./machine.ts";
import type { Process, Thread } from "./process.ts";
import type { ProcessTable } from "./process_table.ts";
import { dequeue, getSignedReg, nextSignal, setupFrame } from "./signals.ts";
import { NO_SESSION } from "./terminal.ts";
import type { Terminals } from "./terminals.ts";
import { ERESTARTNOINTR, ERESTARTSYS, isRestart } from "./wait_queue.ts";

/** What signal sending and delivery use of the kernel-task. */
export interface SignalContext {
  readonly table: ProcessTable;
  readonly machine: Machine;
  readonly terminals: Terminals;
  /** The process ends (exit.ts): a fatal signal, or SIGKILL. */
  exitProcess(p: Process, status: number, signal: number, core?: boolean): void;
}

export const DEFAULT_ACTION: Sigaction = { sa_handler: SIG_DFL, sa_flags: 0, sa_restorer: 0, sa_mask: 0n };
const STOP_SIGNALS = Array.from({ length: 31 }, (_, i) => i + 1).filter((sig) => (sigmask(sig) & SIG_KERNEL_STOP_MASK) !== 0n);

/** The siginfo of a signal the kernel raises (SI_KERNEL). */
export function kernelInfo(sig: number): Siginfo {
  return { layout: "kill", si_signo: sig, si_errno: 0, si_code: SI_KERNEL, si_pid: 0, si_uid: 0 };
}

// ----- sending ----------------------------------------------------------------------------

/**
 * Send a signal to process `p` (or, with `thread`, to that thread): Linux's
 * send_signal and complete_signal. SIGKILL kills at once; stop and continue signals
 * act on the whole process here, at send time, as in Linux.
 */
export function sendSignal(k: SignalContext, p: Process, info: Siginfo, thread: Thread | null = null): void {
  const sig = info.si_signo;
  if (!p.alive || sig === 0) return;
  // pid 1 takes only the signals it has a handler for (pid_namespaces(7)); the kernel's
  // own init has none.
  if (p === k.table.init && (k.table.kernelInit || (p.sigactions.get(sig) ?? DEFAULT_ACTION).sa_handler === SIG_DFL)) return;
  if (sig === SIGKILL) {
    k.exitProcess(p, 0, SIGKILL);
    return;
  }
  if ((sigmask(sig) & SIG_KERNEL_STOP_MASK) !== 0n) {
    p.pending.discard(SIGCONT);
    for (const t of p.threads.values()) t.pending.discard(SIGCONT);
  } else if (sig === SIGCONT) {
    for (const s of STOP_SIGNALS) {
      p.pending.discard(s);
      for (const t of p.threads.values()) t.pending.discard(s);
    }
    if (p.stopped) continueProcess(k, p);
  }
  const main = thread ?? p.threads.get(p.pid) ?? p.threads.values().next().value ?? null;
  if (ignored(p, sig, main)) return;
  const queued = thread ? thread.pending.add(info) : p.pending.add(info);
  // signalfd readers and pollers look again (Linux's signalfd_notify: not for a merged signal).
  if (queued) p.handlers.signalfdReadiness.notify();
  // Wake one thread that can take it: the target, else the first not blocking it.
  const candidates = thread ? [thread] : [...p.threads.values()];
  for (const t of candidates) {
    if ((t.sigmask & sigmask(sig)) !== 0n) continue;
    t.work = true;
    if (t.sleeper && !t.sleeper.killableOnly) t.sleeper.interrupt();
    break;
  }
}

/** Whether `sig` would be thrown away on arrival (Linux's sig_ignored). */
function ignored(p: Process, sig: number, blockedBy: Thread | null): boolean {
  if (blockedBy && (blockedBy.sigmask & sigmask(sig)) !== 0n) return false;
  const action = p.sigactions.get(sig) ?? DEFAULT_ACTION;
  if (action.sa_handler === SIG_IGN) return sig !== SIGKILL && sig !== SIGSTOP;
  return action.sa_handler === SIG_DFL && defaultAction(sig) === "ign";
}

/** A fault's signal: it cannot stay blocked or ignored (Linux's force_sig_info). */
export function forceSignal(t: Thread, info: Siginfo): void {
  const sig = info.si_signo;
  const action = t.process.sigactions.get(sig);
  if ((t.sigmask & sigmask(sig)) !== 0n || action?.sa_handler === SIG_IGN) {
    t.sigmask &= ~sigmask(sig);
    if (action?.sa_handler === SIG_IGN) t.process.sigactions.set(sig, DEFAULT_ACTION);
  }
  t.pending.add(info);
  t.work = true;
}

/**
 * kill(2)'s targets: pid > 0 one process, 0 the caller's group, -1 everyone, < -1 a group.
 * As Linux: a group answers EPERM only when no member may be signalled; -1 skips those.
 */
export function kill(k: SignalContext, sender: Thread, pid: number, info: Siginfo): number {
  const { processes, threads } = k.table;
  // A thread's id names its process too (Linux's find_vpid finds any task).
  const byId = pid > 0 ? (processes.get(pid) ?? threads.get(pid)?.process) : undefined;
  // A zombie is still there until reaped: kill succeeds and the signal goes nowhere, as on Linux.
  const targets = pid > 0 ? [byId].filter((p): p is Process => p !== undefined)
    : pid === -1 ? [...processes.values()].filter((p) => p.alive && p !== k.table.init && p !== sender.process)
    : k.table.processGroup(pid === 0 ? sender.process.pgid : -pid);
  if (targets.length === 0) return -ESRCH;
  let sent = false;
  for (const p of targets) {
    if (mayKill(sender, p, null, info.si_signo) < 0) continue;
    sent = true;
    if (info.si_signo !== 0 && p.alive) sendSignal(k, p, info);
  }
  return sent || pid === -1 ? 0 : -EPERM;
}

/** Linux's check_kill_permission: the sender's ids against the target's (creds.ts), or SIGCONT within a session. */
export function mayKill(sender: Thread, p: Process, thread: Thread | null, sig: number): number {
  if (p === sender.process || maySignal(sender.creds, thread?.creds ?? p.creds)) return 0;
  return sig === SIGCONT && p.sid === sender.process.sid ? 0 : -EPERM;
}

// ----- job control and the parent --------------------------------------------------------

function stopProcess(k: SignalContext, p: Process, sig: number): void {
  if (p.stopped) return;
  p.stopped = true;
  p.stopReport = sig;
  p.continuedReport = false;
  for (const t of p.threads.values()) t.work = true;
  notifyParent(k, p, CLD_STOPPED, sig);
  if (p === k.table.main) k.machine.initStopped(sig);
}

function continueProcess(k: SignalContext, p: Process): void {
  p.stopped = false;
  p.stopReport = 0;
  p.continuedReport = true;
  for (const t of p.threads.values()) {
    t.work = true;
    k.machine.unpark(t);
  }
  notifyParent(k, p, CLD_CONTINUED, SIGCONT);
}

/** SIGCHLD (or clone's exit signal) and a wake-up for the parent's waiters. */
export function notifyParent(k: SignalContext, p: Process, code: number, status: number): void {
  const parent = p.parent;
  if (!parent) return;
  const act = parent.sigactions.get(SIGCHLD);
  const quiet = (code === CLD_STOPPED || code === CLD_CONTINUED) && act !== undefined && (act.sa_flags & SA_NOCLDSTOP) !== 0;
  const sig = code === CLD_EXITED || code === CLD_KILLED || code === CLD_DUMPED ? p.exitSignal : SIGCHLD;
  // clone's CSIGNAL byte goes up to 255: as Linux's do_notify_parent(), a number that
  // is not a signal sends nothing, and the parent still reaps the child.
  if (!quiet && sig > 0 && sig <= _NSIG) {
    sendSignal(k, parent, {
      layout: "chld", si_signo: sig, si_errno: 0, si_code: code, si_pid: p.pid, si_uid: p.creds.uid, si_status: status,
      si_utime: 0, si_stime: 0,
    });
  }
  parent.childEvents.notify();
}

// ----- from the host -----------------------------------------------------------------------

/** The host continued the user kernel after the init process stopped: SIGCONT to its group and the console's foreground. */
export function continueInit(k: SignalContext): void {
  const main = k.table.main;
  if (!main?.alive) return;
  const groups = new Set([main.pgid]);
  const console = k.terminals.console;
  if (console && console.sid !== NO_SESSION) groups.add(console.pgrp);
  for (const g of groups) for (const p of k.table.processGroup(g)) sendSignal(k, p, kernelInfo(SIGCONT));
}

/** A signal from the host (Ctrl-C on the terminal, SIGTERM to the launcher). */
export function hostSignal(k: SignalContext, sig: number, toForeground: boolean): void {
  const main = k.table.main;
  if (!main) return;
  if (!toForeground) return sendSignal(k, main, kernelInfo(sig));
  const console = k.terminals.console;
  const pgid = console && console.sid !== NO_SESSION ? console.pgrp : main.pgid;
  for (const p of k.table.processGroup(pgid)) sendSignal(k, p, kernelInfo(sig));
}

/**
 * The host stops the user kernel, as `docker stop` does a container: SIGTERM to each of
 * its programs (docker's to the main process, which tini passes on to its child; pid 1
 * takes it only with a handler, as from a parent pid namespace), or with `kill` SIGKILL,
 * which ends the kernel and everything in it.
 */
export function hostStop(k: SignalContext, kill: boolean): void {
  for (const p of [...k.table.programs]) {
    if (kill) k.exitProcess(p, 0, SIGKILL);
    else sendSignal(k, p, kernelInfo(SIGTERM));
  }
}

// ----- delivery ------------------------------------------------------------------------------

/**
 * Linux's exit_to_user_mode: deliver every deliverable signal (stacking handler frames
 * as Linux does), restart an interrupted syscall, stop for job control. False: the
 * thread must not run (dead, killed, or stopped).
 */
export function deliverSignals(k: SignalContext, t: Thread): boolean {
  const p = t.process;
  if (t.dead) return false;
  if (p.stopped) {
    k.machine.park(t);
    return false;
  }
  t.work = false;
  const ctx = k.machine.context(t);
  const regs = ctx.regs;
  let restartNr = t.syscallNr;
  t.syscallNr = -1;
  let handled = false;
  for (;;) {
    const sig = nextSignal(t);
    if (sig === 0) break;
    const info = dequeue(t, sig);
    const action = p.sigactions.get(sig) ?? DEFAULT_ACTION;
    if (action.sa_handler === SIG_IGN && sig !== SIGKILL && sig !== SIGSTOP) continue;
    if (action.sa_handler === SIG_DFL || sig === SIGKILL || sig === SIGSTOP) {
      const def = defaultAction(sig);
      if (def === "ign" || def === "cont") continue;
      if (def === "stop") {
        stopProcess(k, p, sig);
        t.syscallNr = restartNr;
        t.work = true;
        k.machine.park(t);
        return false;
      }
      k.exitProcess(p, 0, sig, def === "core");
      return false;
    }
    if (restartNr >= 0) {
      applyRestart(regs, restartNr, action.sa_flags);
      restartNr = -1;
    }
    const saved = t.savedMask;
    const oldMask = saved ?? t.sigmask;
    t.savedMask = null;
    if (!setupFrame(t, ctx, info, action, oldMask)) {
      // Linux's force_sigsegv: the frame cannot be written, so a SIGSEGV comes instead,
      // which a handler on another stack may still catch; a SIGSEGV's own failure kills.
      t.savedMask = saved;
      if (sig === SIGSEGV) p.sigactions.set(SIGSEGV, DEFAULT_ACTION);
      forceSignal(t, kernelInfo(SIGSEGV));
      continue;
    }
    t.sigmask = (t.sigmask | action.sa_mask | ((action.sa_flags & SA_NODEFER) !== 0 ? 0n : sigmask(sig))) & ~SIG_KERNEL_ONLY_MASK;
    // SA_RESETHAND resets the handler only: the flags and mask stay, as Linux keeps them.
    if (action.sa_flags & SA_RESETHAND) p.sigactions.set(sig, { ...action, sa_handler: SIG_DFL });
    handled = true;
  }
  if (restartNr >= 0) applyRestart(regs, restartNr, null);
  if (!handled && t.savedMask !== null) {
    t.sigmask = t.savedMask;
    t.savedMask = null;
  }
  return true;
}

/**
 * A syscall interrupted by a signal: rewind it to run again, or make it fail with EINTR.
 * `handlerFlags` is the sa_flags of the handler about to run, null when none runs.
 */
function applyRestart(regs: Uint32Array, nr: number, handlerFlags: number | null): void {
  const r = getSignedReg(regs, Msg.rax);
  if (!isRestart(r)) return;
  const restart = handlerFlags === null || r === -ERESTARTNOINTR || (r === -ERESTARTSYS && (handlerFlags & SA_RESTART) !== 0);
  if (restart) {
    setWord(regs, Msg.rax, nr);
    setWord(regs, Msg.rip, getWord(regs, Msg.rip) - SYSCALL_INSN_BYTES);
  } else {
    setWord(regs, Msg.rax, -EINTR);
  }
}
