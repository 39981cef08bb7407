// The process table of one user kernel: which threads and processes exist, under which ids.
//
//   ids        allocPid: tids and pids share one space below PID_MAX, handed out in turn
//              and never one still in use (a zombie keeps its pid until reaped)
//   threads    register/unregister: a thread enters the table and its process, and leaves
//   init, programs  pid 1: the user kernel's own init (adopts orphans and reaps them) or
//              its one program; the programs it was started with (when the last has
//              exited, the user kernel ends)
//   groups     processGroup, setpgid, setsid (Linux: kernel/sys.c)
//   reaping    reaperFor: who adopts a dead process's children; reap: a zombie leaves
//   limits     overProcessLimit: RLIMIT_NPROC
//
// Processes are made by clone.ts and exec.ts (spawnInit) and end in exit.ts; wait(2) is
// in sys/sys_clone.ts.

import { EINVAL, EPERM, ESRCH } from "../linux-abi/errno.ts";
import { CAP_SYS_ADMIN, CAP_SYS_RESOURCE } from "../linux-abi/capability.ts";
import { RLIMIT_NPROC } from "../linux-abi/resource.ts";
import { POLLHUP, POLLIN } from "../linux-abi/poll.ts";
import { capable } from "./capabilities.ts";
import type { KeyTable } from "./keys/key_table.ts";
import type { Machine } from "./machine.ts";
import { GuestMemory, MemoryIds, type VSpace } from "./memory.ts";
import type { Process, Thread } from "./process.ts";
import { PID_MAX } from "./procfs_sys.ts";
import { softLimit } from "./rlimits.ts";

// init's address space: it runs no code, so it has no memory to map.
const NO_MEMORY: VSpace = { allocate: () => null, release() {}, map: () => false, unmap() {}, protect() {} };

export class ProcessTable {
  readonly threads = new Map<number, Thread>();
  readonly processes = new Map<number, Process>();
  /** pid 1: the user kernel's own init (as docker --init) or its one program (as docker run). */
  init: Process | null = null;
  /** pid 1 is the user kernel's own init: it runs no code, takes no signals, and reaps what it adopts. */
  kernelInit = true;
  /** The first program: it has the console, and the host's job control acts on it. */
  main: Process | null = null;
  /** The programs the user kernel started with that have not exited; the last one's exit ends it. */
  readonly programs = new Set<Process>();
  /** How the user kernel ends: the first program that failed, else the last to exit. */
  outcome = { status: 0, signal: 0 };
  /** The address space of processes without one: init, zombies. */
  readonly noMemory = new GuestMemory(NO_MEMORY, new MemoryIds());
  readonly #machine: Pick<Machine, "releaseProcess">;
  readonly #keys: Pick<KeyTable, "threadGone">;
  #nextPid = 1;

  constructor(machine: Pick<Machine, "releaseProcess">, keys: Pick<KeyTable, "threadGone">) {
    this.#machine = machine;
    this.#keys = keys;
  }

  /** A free id for a thread or process; -1 when every one is taken. */
  allocPid(): number {
    for (let i = 0; i < PID_MAX; i++) {
      const pid = this.#nextPid;
      this.#nextPid = pid >= PID_MAX ? 2 : pid + 1;
      if (!this.threads.has(pid) && !this.processes.has(pid)) return pid;
    }
    return -1;
  }

  register(t: Thread): void {
    t.process.threads.set(t.tid, t);
    this.threads.set(t.tid, t);
  }

  /** `t` leaves the table and its process, leaving its CPU time to the process. */
  unregister(t: Thread): void {
    this.#keys.threadGone(t);
    t.process.threads.delete(t.tid);
    t.process.endedThreadsCpuUs += t.cpuUs;
    this.threads.delete(t.tid);
  }

  /** Members of a process group; zombies count, as their pids keep the group alive. */
  processGroup(pgid: number): Process[] {
    return [...this.processes.values()].filter((p) => p.pgid === pgid && !(p === this.init && this.kernelInit));
  }

  /** Who adopts the children of `p`: the nearest living subreaper above it, else init (the dying init too). */
  reaperFor(p: Process): Process {
    for (let a = p.parent; a; a = a.parent) if (a.alive && a.childSubreaper) return a;
    return this.init!;
  }

  /** A waited-for zombie leaves the process table; its parent keeps its CPU time. */
  reap(c: Process): void {
    if (c.parent) c.parent.childrenCpuUs += c.cpuUs + c.childrenCpuUs;
    c.parent?.children.delete(c);
    if (this.processes.get(c.pid) !== c) return;
    this.processes.delete(c.pid);
    c.state = "reaped";
    c.exitEvents.notify(POLLIN | POLLHUP);
    this.#machine.releaseProcess();
  }

  /** setpgid(2)'s checks need the caller's session; Linux: kernel/sys.c. */
  setpgid(t: Thread, pid: number, pgid: number): number {
    const caller = t.process;
    const p = pid === 0 ? caller : this.processes.get(pid);
    if (!p || !p.alive) return -ESRCH;
    if (p !== caller && p.parent !== caller) return -ESRCH;
    if (pgid < 0) return -EINVAL;
    const target = pgid === 0 ? p.pid : pgid;
    if (p.sid === p.pid) return -EPERM;
    if (p.sid !== caller.sid) return -EPERM;
    if (target !== p.pid && !this.processGroup(target).some((q) => q.sid === caller.sid)) return -EPERM;
    p.pgid = target;
    return 0;
  }

  setsid(t: Thread): number {
    const p = t.process;
    if (this.processGroup(p.pid).length > 0 && p.pgid !== p.pid) return -EPERM;
    if (p.pgid === p.pid) return -EPERM;
    p.sid = p.pid;
    p.pgid = p.pid;
    p.ctty = null;
    return p.pid;
  }

  /** RLIMIT_NPROC: the caller's real uid has that many tasks (threads count); root, CAP_SYS_RESOURCE and CAP_SYS_ADMIN are exempt. */
  overProcessLimit(t: Thread): boolean {
    const c = t.creds;
    if (c.uid === 0 || capable(c, CAP_SYS_RESOURCE) || capable(c, CAP_SYS_ADMIN)) return false;
    const limit = softLimit(t.process, RLIMIT_NPROC);
    if (limit === Infinity) return false;
    let n = 0;
    for (const other of this.threads.values()) if (other.creds.uid === c.uid) n++;
    return n >= limit;
  }
}
