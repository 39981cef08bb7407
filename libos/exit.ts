// How threads and processes end (Linux: kernel/exit.c).
//
//   exitThread      exit(2): one thread ends; the last one ends the process
//   exitProcess     exit_group, a fatal signal, the quota's OOM kill: every thread ends,
//                   the process's resources go, it becomes a zombie, its children go to a
//                   reaper, its parent hears (or reaps it at once: the kernel's init,
//                   SIGCHLD ignored); the last of the user kernel's programs takes
//                   everything with it
//   killThread      a thread leaves the CPU and the table (also exec's other threads)
//   releaseFutexes  robust list and PI locks of a thread that ends or execs
//   clearChildTid   CLONE_CHILD_CLEARTID: pthread_join's wake-up
//   releaseSpace    a process stops using an address space (exit, exec)
//   releaseVfork    the vfork parent may go on (exec or exit)
//   setExe          which program file a process runs, for ETXTBSY
//
// Lifecycle of a process: clone.ts (or exec.ts spawnInit) makes it alive; here it becomes
// a zombie; process_table.ts reap() removes it when its parent waits (sys/sys_clone.ts).

import { EINTR } from "../linux-abi/errno.ts";
import { CLD_DUMPED, CLD_EXITED, CLD_KILLED } from "../linux-abi/siginfo.ts";
import { SA_NOCLDWAIT, SIGCHLD, SIGKILL, SIG_IGN } from "../linux-abi/signal.ts";
import { POLLIN } from "../linux-abi/poll.ts";
import { exitRobustList } from "./futex_robust.ts";
import type { GuestMemory } from "./memory.ts";
import type { Process, Thread } from "./process.ts";
import { notifyParent, type SignalContext } from "./signal_delivery.ts";
import type { KernelServices } from "./sys/context.ts";
import type { Inode } from "./write_access.ts";

/** What ending threads and processes uses of the kernel-task. */
export interface ExitContext extends SignalContext, Pick<KernelServices, "futexes" | "piFutexes" | "keys" | "writeAccess" | "locks" | "ipc"> {}

/** exit(2): one thread ends; the last one ends the process. */
export function exitThread(k: ExitContext, t: Thread, status: number): void {
  const p = t.process;
  if (p.threads.size <= 1) return exitProcess(k, p, status, 0);
  releaseFutexes(k, t);
  clearChildTid(k, t);
  killThread(k, t);
}

/** The process ends: exit_group, a fatal signal, or the quota's OOM kill. */
export function exitProcess(k: ExitContext, p: Process, status: number, signal: number, core = false): void {
  if (!p.alive) return;
  for (const t of [...p.threads.values()]) {
    releaseFutexes(k, t);
    clearChildTid(k, t);
    killThread(k, t);
  }
  p.fds.closeAll();
  k.terminals.processExiting(p);
  k.locks.processExited(p.pid);
  k.ipc.sem.processExited(p);
  k.keys.processGone(p);
  setExe(k, p, null);
  for (const timer of p.timers.values()) timer.disarm();
  p.timers.clear();
  // A zombie keeps only its status: its address space goes now (engine, frames), and
  // its cmdline and environ read empty, as in Linux.
  releaseSpace(k, p, p.memory);
  p.memory = k.table.noMemory;
  p.argv = [];
  p.envp = [];
  p.state = "zombie";
  p.exitCode = status & 0xff;
  p.killedBy = signal;
  p.coreDumped = core;
  p.exitEvents.notify(POLLIN);
  p.stopped = false;
  releaseVfork(p);
  const table = k.table;
  const heir = table.reaperFor(p);
  for (const c of [...p.children]) {
    c.parent = heir;
    heir.children.add(c);
    c.exitSignal = SIGCHLD;
    // A zombie that changes parents is reported to the new one (Linux's reparent_leader).
    if (c.state === "zombie" && heir.alive) parentHears(k, c);
  }
  p.children.clear();
  if (table.programs.delete(p)) {
    const failed = table.outcome.status !== 0 || table.outcome.signal !== 0;
    if (!failed) table.outcome = { status: p.exitCode, signal: p.killedBy };
    if (table.programs.size === 0) {
      for (const q of [...table.processes.values()]) if (q !== p) exitProcess(k, q, 0, SIGKILL);
      k.machine.initExited(table.outcome);
      return;
    }
  }
  parentHears(k, p);
}

/** Zombie `p`'s parent hears of it, or reaps it at once (the kernel's init; SIGCHLD ignored). */
function parentHears(k: ExitContext, p: Process): void {
  const parent = p.parent;
  if (!parent) return;
  if (parent === k.table.init && k.table.kernelInit) {
    k.table.reap(p);
    return;
  }
  const act = parent.sigactions.get(SIGCHLD);
  if (p.exitSignal === SIGCHLD && act && (act.sa_handler === SIG_IGN || act.sa_flags & SA_NOCLDWAIT)) {
    k.table.reap(p);
    parent.childEvents.notify();
    return;
  }
  const code = p.killedBy ? (p.coreDumped ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
  notifyParent(k, p, code, p.killedBy || p.exitCode);
}

/** The thread never runs again and leaves the table; a sleep it was in ends. */
export function killThread(k: ExitContext, t: Thread): void {
  if (t.dead) return;
  t.dead = true;
  t.sleeper?.end(-EINTR);
  k.futexes.cancel(t);
  k.machine.stopThread(t);
  k.table.unregister(t);
}

/** A thread ends or execs: its robust list is walked and its PI locks pass on (futex_exit_release). */
export function releaseFutexes(k: ExitContext, t: Thread): void {
  exitRobustList(t, t.process.memory, k.futexes);
  k.piFutexes.ownerGone(t);
}

/** CLONE_CHILD_CLEARTID: zero the word and wake one futex waiter (pthread_join). */
function clearChildTid(k: ExitContext, t: Thread): void {
  if (t.clearChildTid === 0) return;
  if (t.process.memory.write(t.clearChildTid, u32Bytes(0))) k.futexes.wake(t.process.memory, t.clearChildTid, 1, 0xffffffff);
}

/** `p` stops using `mem` (exit, exec); System V segments see a detach unless another process still uses it (vfork). */
export function releaseSpace(k: ExitContext, p: Process, mem: GuestMemory): void {
  let shared = false;
  for (const q of k.table.processes.values()) if (q !== p && q.alive && q.memory === mem) shared = true;
  if (!shared) k.ipc.shm.spaceChanged(p.pid, mem, "released");
  k.machine.releaseSpace(mem);
}

/** The vfork parent may go on: the child has exec'd or exited. */
export function releaseVfork(p: Process): void {
  const q = p.vforkDone;
  if (!q) return;
  p.vforkDone = null;
  q.notify();
}

/** `p` now runs `exe` (its denial of writers already taken), or nothing: the old program's denial goes. */
export function setExe(k: ExitContext, p: Process, exe: Inode | null): void {
  if (p.exeInode) k.writeAccess.allow(p.exeInode);
  p.exeInode = exe;
}

/** A 32-bit word for guest memory, little-endian (a tid). */
export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
