// The kernel-task: the Linux personality of one user kernel.
//
// It is a passive server on its user programs' fault endpoint. Each UnknownSyscall
// fault arrives as a message whose badge names the thread (badge = tid) and whose words
// are the register set (syscall-shim/x86_64.ts). `protected()` decodes it, runs the
// handler from the syscall table, and answers:
//   - a number: replied at once, inside the faulting thread's CPU run (fast path);
//   - a Promise: the reply is sent when it settles; the thread stays blocked;
//   - RESUME: the handler rewrote the thread's registers (exec, rt_sigreturn): resume
//     with them;
//   - NO_REPLY: the thread is gone (exit, exit_group, killed).
// Unknown numbers answer ENOSYS and are reported once on the trace.
//
// Map of this file, and of the files it ties together:
//   state           the user kernel's Linux objects (futexes, IPC, pipes, /proc…): the
//                   KernelServices the syscall handlers (sys/) see
//   dispatch        protected(), the one path every call takes; its observers (strace,
//                   counters) are syscall_observer.ts
//   faults          faulted(): a CPU fault becomes a signal (cpu_faults.ts)
//   return to user  returnToUser(): signal delivery, syscall restart, job-control stops
//                   (signal_delivery.ts)
//   processes       the process table (process_table.ts), clone (clone.ts), exec and
//                   the first processes (exec.ts), exit (exit.ts)
// The CPU side (address spaces, vCPUs, TCBs) is the user kernel's, reached through
// `Machine` (machine.ts); signal frames are in signals.ts, the syscalls in sys/.
// Imports go one way: exec → exit → signal_delivery → process_table; signal delivery
// ends a process through this object's exitProcess.

import { InetSockets } from "./inet_socket.ts";
import type { NetClient } from "../net-task/mod.ts";
import { EIO, ENOSYS } from "../linux-abi/errno.ts";
import type { Siginfo } from "../linux-abi/siginfo.ts";
import { SIGKILL, SIGPROF, SIGVTALRM } from "../linux-abi/signal.ts";
import type { Rlimit } from "../linux-abi/resource.ts";
import { SYSCALL_NR } from "../syscall-shim/x86_64.ts";
import type { FileOps } from "./file.ts";
import { Terminals } from "./terminals.ts";
import { LoopDevices } from "./loop.ts";
import type { Machine } from "./machine.ts";
import type { Process, Thread } from "./process.ts";
import type { Credentials } from "./creds.ts";
import { clone } from "./clone.ts";
import { describeSignal, faultSignal } from "./cpu_faults.ts";
import { execve, spawnPrograms, type ProgramRun } from "./exec.ts";
import { exitProcess, exitThread } from "./exit.ts";
import { ProcessTable } from "./process_table.ts";
import {
  continueInit, deliverSignals, forceSignal, hostSignal, hostStop, kernelInfo, kill, mayKill, sendSignal,
} from "./signal_delivery.ts";
import type { UserContext } from "./signals.ts";
import { SyscallArgs } from "./sys/args.ts";
import { NO_REPLY, RESUME, type KernelServices, type SyscallResult } from "./sys/context.ts";
import { SYSCALLS, nameOf } from "./sys/table.ts";
import { Futexes } from "./futex.ts";
import { PiFutexes } from "./futex_pi.ts";
import { SysvIpc } from "./ipc/sysv_ipc.ts";
import { KeyTable } from "./keys/key_table.ts";
import { MqNamespace } from "./mqueue.ts";
import { FsNotify } from "./fsnotify.ts";
import { WriteAccess } from "./write_access.ts";
import { keySysctls, procKeysText, procKeyUsersText } from "./keys/proc_keys.ts";
import type { Vfs } from "./vfs.ts";
import { FileLocks } from "./file_lock.ts";
import { Leases, leaseBreakSysctl } from "./lease.ts";
import { NamedPipes } from "./named_pipe.ts";
import { PipeFs, pipeMaxSizeSysctl } from "./pipe.ts";
import { UnixNames } from "./unix_names.ts";
import type { UnixSocketNames } from "./unix_socket.ts";
import { WatchBudget } from "./epoll.ts";
import { PageCache } from "./page_cache.ts";
import type { MountSpec } from "./mounts.ts";
import { ProcFs } from "./procfs.ts";
import type { FileSystem } from "../fs-task/file_system.ts";
import { isRestart, type WaitQueue } from "./wait_queue.ts";
import { UtsNames } from "./uts.ts";
import { WallClock } from "./wall_clock.ts";
import { StraceObserver, observeAll, type SyscallObserver } from "./syscall_observer.ts";

export interface KernelTaskOptions {
  vfs: Vfs;
  hostname: string;
  /** strace-format lines go here when set. */
  trace: ((line: string) => void) | null;
  /** Watches every syscall besides the trace (--stats). */
  observer?: SyscallObserver | null;
  machine: Machine;
  /** Internal errors print their stack. */
  debug?: boolean;
  /** The host terminal's descriptor, the guest's /dev/console; null when there is none. */
  consoleFd: number | null;
  /** Descriptors 0, 1, 2 of the first process instead of the host's. */
  streams?: readonly (FileOps | null)[];
}

/** Epoll entries a user kernel may hold, a bound on the host memory they take (Linux's max_user_watches: 4% of RAM). */
const MAX_EPOLL_WATCHES = 1 << 16;

/** How many distinct unsupported syscall numbers are reported on stderr. */
const MAX_REPORTED_MISSING = 256;

export class KernelTask implements KernelServices {
  readonly vfs: Vfs;
  readonly uts: UtsNames;
  readonly wallClock = new WallClock();
  readonly bootTimeMs = performance.now();
  readonly futexes = new Futexes();
  readonly piFutexes = new PiFutexes();
  readonly ipc = new SysvIpc();
  readonly keys = new KeyTable();
  readonly mqueues = new MqNamespace();
  readonly fsnotify: FsNotify;
  readonly writeAccess = new WriteAccess();
  readonly locks = new FileLocks();
  readonly leases = new Leases();
  readonly pipeFs = new PipeFs();
  readonly namedPipes = new NamedPipes(this.pipeFs);
  readonly unixSockets: UnixSocketNames;
  /** AF_INET's sockets, once the user kernel has started its net-task (attachNet). */
  inetSockets: InetSockets | null = null;
  readonly epollWatches = new WatchBudget(MAX_EPOLL_WATCHES);
  readonly pageCache = new PageCache();
  /** /proc: the facts are the kernel-task's. */
  readonly procfs: ProcFs;
  /** The host console, the pseudo-terminals and the devices that open them. */
  readonly terminals: Terminals;
  /** Loop block devices: asked inside syscalls, so the thread served is the caller. */
  readonly loopDevices = new LoopDevices(() => this.#current!);
  readonly machine: Machine;
  /** Threads and processes by id, init and the main program (process_table.ts). */
  readonly table: ProcessTable;
  readonly threads: ReadonlyMap<number, Thread>;
  readonly processes: ReadonlyMap<number, Process>;
  readonly #args = new SyscallArgs();
  readonly #trace: ((line: string) => void) | null;
  /** Watches every call (strace, counters); null: none. */
  readonly #observer: SyscallObserver | null;
  readonly #debug: boolean;
  readonly #reported = new Set<number>();
  #current: Thread | null = null;

  constructor(opts: KernelTaskOptions) {
    this.vfs = opts.vfs;
    this.unixSockets = new UnixNames(opts.vfs);
    this.uts = new UtsNames(opts.hostname);
    this.fsnotify = new FsNotify(this.vfs);
    this.machine = opts.machine;
    this.table = new ProcessTable(this.machine, this.keys);
    this.threads = this.table.threads;
    this.processes = this.table.processes;
    this.#trace = opts.trace;
    const strace = opts.trace === null ? null : new StraceObserver(opts.trace, {
      multiThreaded: () => this.threads.size > 1,
      context: (t) => this.machine.context(t),
    });
    this.#observer = observeAll([strace, opts.observer ?? null]);
    this.#debug = opts.debug ?? false;
    this.procfs = new ProcFs({
      current: () => this.#current,
      processes: this.processes,
      bootTimeMs: this.bootTimeMs,
      uts: this.uts,
      memoryQuota: () => this.machine.memoryQuota(),
      mounts: () => [...this.vfs.mounts].reverse().map((m) => ({ source: m.source, at: m.at, type: m.type, options: m.readOnly ? "ro" : "rw" })),
      net: () => this.inetSockets,
      sysctls: [
        ...keySysctls(this.keys), ...this.mqueues.sysctls(), ...this.fsnotify.sysctls(),
        pipeMaxSizeSysctl(this.pipeFs), leaseBreakSysctl(this.leases),
      ],
      files: new Map([
        ["keys", (reader) => procKeysText(this.keys, reader)],
        ["key-users", () => procKeyUsersText(this.keys)],
      ]),
    });
    this.terminals = new Terminals({
      // Terminals are asked inside syscalls: the thread served is the caller.
      caller: () => this.#current!,
      processGroup: (pgid) => this.processGroup(pgid),
      processes: this.processes,
      signal: (p, sig) => sendSignal(this, p, kernelInfo(sig)),
    }, {
      consoleFd: opts.consoleFd,
      ...(opts.streams ? { streams: opts.streams } : {}),
      consoleNode: () => this.vfs.call("/dev/console", (fs, inner) => fs.stat(inner, true)),
    });
  }

  /** The user kernel's net-task serves AF_INET from now on; `back` wakes when a restarted one serves (supervised_net.ts). */
  attachNet(net: NetClient, back: WaitQueue | null = null): void {
    this.inetSockets = new InetSockets(net, () => this.unixSockets.nextIno(), back);
  }

  // ----- dispatch ---------------------------------------------------------------------

  /**
   * The protected() entry: one UnknownSyscall fault from thread `badge`. The one dispatch
   * path: an observer (strace, counters) watches it and changes nothing.
   */
  protected(badge: number, words: Uint32Array): SyscallResult {
    const t = this.threads.get(badge);
    if (!t) return NO_REPLY;
    this.#current = t;
    // Linux reads the number as an int (do_syscall_x64): the high 32 bits of RAX do not count.
    const nr = words[SYSCALL_NR * 2]!;
    this.#args.words = words;
    const watch = this.#observer === null ? null : this.#observer.enter(t, nr, words);
    let result: SyscallResult;
    try {
      result = this.#dispatch(t, nr);
    } catch (err) {
      watch?.done(NO_REPLY);
      return this.#internalError(t, nameOf(nr), err);
    }
    if (t.dead) {
      watch?.done(NO_REPLY);
      return NO_REPLY;
    }
    if (typeof result === "number" || result === NO_REPLY || result === RESUME) {
      watch?.done(result);
      if (typeof result === "number" && isRestart(result)) this.#noteRestart(t, nr);
      return result;
    }
    watch?.waiting();
    return result.then(
      (r) => {
        watch?.done(r);
        if (isRestart(r)) this.#noteRestart(t, nr);
        return r;
      },
      (err: unknown) => {
        watch?.done(NO_REPLY);
        this.#internalError(t, nameOf(nr), err);
        return -EIO;
      },
    );
  }

  /** The handler of call `nr`, or ENOSYS (reported once) for a number the table lacks. */
  #dispatch(t: Thread, nr: number): SyscallResult {
    const entry = SYSCALLS[nr];
    if (entry) return entry.handler(this, t, this.#args);
    this.#reportMissing(nr);
    return -ENOSYS;
  }

  /**
   * A handler threw: a bug in the LibOS, not the guest's doing. Only the process that
   * made the call ends (SIGKILL, as Linux kills a task after an oops); the host process,
   * the other processes and the other user kernels go on. One line, the stack with --debug.
   */
  #internalError(t: Thread, what: string, err: unknown): typeof NO_REPLY {
    const p = t.process;
    const detail = err instanceof Error ? (this.#debug ? (err.stack ?? err.message) : err.message) : String(err);
    process.stderr.write(`libos: internal error in ${what}: ${detail} (process ${p.pid} killed)\n`);
    try {
      this.exitProcess(p, 0, SIGKILL);
    } catch (again) {
      // Tearing the process down failed too: it is gone from the scheduler either way.
      process.stderr.write(`libos: internal error while killing process ${p.pid}: ${again instanceof Error ? again.message : String(again)}\n`);
      for (const th of p.threads.values()) th.dead = true;
    }
    return NO_REPLY;
  }

  /** The call ended with a restart result: returnToUser restarts it or makes it fail with EINTR. */
  #noteRestart(t: Thread, nr: number): void {
    t.syscallNr = nr;
    t.work = true;
  }

  /**
   * A VMFault or UserException from thread `badge`: a copy-on-write fault is resolved
   * and the thread resumes; anything else raises the signal Linux would
   * (arch/x86/mm/fault.c, arch/x86/kernel/traps.c), delivered on the way back to user mode.
   */
  faulted(badge: number, kind: "VMFault" | "UserException", words: Uint32Array): typeof RESUME | typeof NO_REPLY {
    const t = this.threads.get(badge);
    if (!t) return NO_REPLY;
    try {
      return this.#faulted(t, kind, words);
    } catch (err) {
      return this.#internalError(t, kind, err);
    }
  }

  #faulted(t: Thread, kind: "VMFault" | "UserException", words: Uint32Array): typeof RESUME | typeof NO_REPLY {
    const info = faultSignal(t.process.memory, kind, words);
    if (info === "resolved") return RESUME;
    if (info === "oom") {
      process.stderr.write(`libos: out of memory: killing process ${t.process.pid} (copy on write failed)\n`);
      this.exitProcess(t.process, 0, SIGKILL);
      return NO_REPLY;
    }
    if (this.#trace) this.#trace(`--- ${describeSignal(info)} ---`);
    forceSignal(t, info);
    return RESUME;
  }

  #reportMissing(nr: number): void {
    if (this.#reported.has(nr) || this.#reported.size > MAX_REPORTED_MISSING) return;
    this.#reported.add(nr);
    // A guest can try every number: the report (and the set) stop at a bound.
    if (this.#reported.size > MAX_REPORTED_MISSING) process.stderr.write("libos: more unsupported syscalls: no longer reported\n");
    else process.stderr.write(`libos: unsupported syscall ${nameOf(nr)} (${nr}): returning ENOSYS\n`);
  }

  // ----- return to user mode ----------------------------------------------------------

  /** Whether `t` has work before it may run (the run loop's cheap test). */
  hasWork(t: Thread): boolean {
    return t.work || t.dead;
  }

  /**
   * Linux's exit_to_user_mode (signal_delivery.ts): deliver every deliverable signal,
   * restart an interrupted syscall, stop for job control. False: the thread must not run
   * (dead, killed, or stopped).
   */
  returnToUser(t: Thread): boolean {
    try {
      return deliverSignals(this, t);
    } catch (err) {
      this.#internalError(t, "signal delivery", err);
      return false;
    }
  }

  /**
   * `us` of CPU time the thread's engine run took: counted to the thread, and the process's
   * ITIMER_VIRTUAL and ITIMER_PROF (which expire on that time) send SIGVTALRM and SIGPROF.
   */
  chargeCpu(t: Thread, us: number): void {
    const p = t.process;
    // A thread that ended in the run (exit, exit_group, exec) has left its time to the process.
    if (p.threads.get(t.tid) === t) t.cpuUs += us;
    else p.endedThreadsCpuUs += us;
    const [virtual, prof] = p.cpuTimers;
    if (virtual.expiresUs === 0 && prof.expiresUs === 0) return;
    const now = p.cpuUs;
    for (const [timer, sig] of [[virtual, SIGVTALRM], [prof, SIGPROF]] as const) {
      if (timer.expiresUs === 0 || now < timer.expiresUs) continue;
      timer.expiresUs = timer.intervalUs > 0 ? Math.max(now, timer.expiresUs) + timer.intervalUs : 0;
      this.sendSignal(p, kernelInfo(sig));
    }
  }

  // ----- signals (signal_delivery.ts) ---------------------------------------------------

  sendSignal(p: Process, info: Siginfo, thread: Thread | null = null): void {
    sendSignal(this, p, info, thread);
  }

  signalThread(t: Thread, sig: number): void {
    sendSignal(this, t.process, kernelInfo(sig), t);
  }

  forceSignal(t: Thread, info: Siginfo): void {
    forceSignal(t, info);
  }

  kill(sender: Thread, pid: number, info: Siginfo): number {
    return kill(this, sender, pid, info);
  }

  mayKill(sender: Thread, p: Process, thread: Thread | null, sig: number): number {
    return mayKill(sender, p, thread, sig);
  }

  continueInit(): void {
    continueInit(this);
  }

  hostSignal(sig: number, toForeground: boolean): void {
    hostSignal(this, sig, toForeground);
  }

  hostStop(kill: boolean): void {
    hostStop(this, kill);
  }

  // ----- processes (process_table.ts, clone.ts, exec.ts, exit.ts) ----------------------

  spawnPrograms(programs: { path: string; argv: string[] }[], run: ProgramRun, kernelInit: boolean): Process[] {
    return spawnPrograms(this, programs, run, kernelInit);
  }

  clone(t: Thread, flags: number, stack: number, parentTid: number, childTid: number, tls: number, exitSignal: number): SyscallResult {
    return clone(this, t, flags, { stack, parentTid, childTid, tls, exitSignal });
  }

  execve(t: Thread, path: string, given: string, argv: string[], envp: string[]): SyscallResult {
    return execve(this, t, path, given, argv, envp);
  }

  exitThread(t: Thread, status: number): void {
    exitThread(this, t, status);
  }

  exitProcess(p: Process, status: number, signal: number, core = false): void {
    exitProcess(this, p, status, signal, core);
  }

  reap(c: Process): void {
    this.table.reap(c);
  }

  processGroup(pgid: number): Process[] {
    return this.table.processGroup(pgid);
  }

  setpgid(t: Thread, pid: number, pgid: number): number {
    return this.table.setpgid(t, pid, pgid);
  }

  setsid(t: Thread): number {
    return this.table.setsid(t);
  }

  // ----- the CPU side (machine.ts) --------------------------------------------------------

  get anonFiles(): FileSystem {
    return this.machine.anonFiles;
  }

  startFileSystem(spec: MountSpec): FileSystem {
    return this.machine.startFileSystem(spec);
  }

  /** The thread whose syscall is being served (for objects that need the caller). */
  get current(): Thread | null {
    return this.#current;
  }

  setTlsBase(t: Thread, base: number): void {
    this.machine.setTlsBase(t, base);
  }

  memoryQuota(): { total: number; free: number } {
    return this.machine.memoryQuota();
  }

  userContext(t: Thread): UserContext {
    return this.machine.context(t);
  }
}
