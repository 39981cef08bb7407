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
// Map of this file:
//   dispatch        protected() (its observers: syscall_observer.ts), faulted()
//   return to user  returnToUser(): signal delivery, syscall restart, job-control stops
//   signals         sending (kill, tgkill, faults, SIGCHLD) and job control
//   processes       the process table, spawn of init, clone, execve, exit, wait
// The CPU side (address spaces, vCPUs, TCBs) is the user kernel's, reached through
// `Machine`; signal frames are in signals.ts, the syscalls in sys/.

import { InetSockets } from "./inet_socket.ts";
import type { NetClient } from "../net-task/mod.ts";
import { EAGAIN, EFAULT, EINTR, EIO, ENOMEM, ENOSYS, EPERM, ESRCH } from "../linux-abi/errno.ts";
import {
  BUS_ADRALN, BUS_ADRERR, CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, FPE_INTDIV, ILL_ILLOPN, SEGV_ACCERR,
  SEGV_MAPERR, SI_KERNEL, TRAP_BRKPT, type Siginfo,
} from "../linux-abi/siginfo.ts";
import {
  SA_NOCLDSTOP, SA_NOCLDWAIT, SA_NODEFER, SA_RESETHAND, SA_RESTART, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGILL, SIGKILL,
  SIGSEGV, SIGSTOP, SIGTRAP, SIGVTALRM, SIGPROF, SIG_DFL, SIG_IGN, SIG_KERNEL_ONLY_MASK, SIG_KERNEL_STOP_MASK, defaultAction, sigmask,
  _NSIG, signalName, type Sigaction,
} from "../linux-abi/signal.ts";
import { CLONE_FILES, CLONE_FS, CLONE_PARENT, CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_VM, CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID } from "../linux-abi/sched.ts";
import { AT_FDCWD, O_RDONLY, O_WRONLY } from "../linux-abi/fcntl.ts";
import { FSR_MAPPED, Msg, SYSCALL_INSN_BYTES, SYSCALL_NR, UserExceptionMsg, VmFaultMsg, X86Vector } from "../syscall-shim/x86_64.ts";
import { ElfError } from "./elf.ts";
import { closeProgram, findProgram, type ExecAccess } from "./find_program.ts";
import { MAY_EXEC, permission } from "./permission.ts";
import { lookupAt } from "./sys/_path.ts";
import { FdTable, type FileOps } from "./file.ts";
import { NO_SESSION } from "./terminal.ts";
import { Terminals } from "./terminals.ts";
import { LoopDevices } from "./loop.ts";
import { OpenFile } from "./file.ts";
import { loadElf } from "./loader.ts";
import { GuestMemory, MemoryIds, type VSpace } from "./memory.ts";
import { FsContext, ITIMER_REAL_ID, Process, SignalHandlers, Thread } from "./process.ts";
import { maySignal, type Credentials } from "./creds.ts";
import { capable, execCreds } from "./capabilities.ts";
import { CAP_SYS_ADMIN, CAP_SYS_RESOURCE } from "../linux-abi/capability.ts";
import { NR_OPEN, softLimit } from "./rlimits.ts";
import { PID_MAX } from "./procfs_sys.ts";
import { RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_STACK, type Rlimit } from "../linux-abi/resource.ts";
import { getWord, setWord } from "../microkernel/mod.ts";
import { dequeue, getSignedReg, nextSignal, setupFrame, type UserContext } from "./signals.ts";
import { SyscallArgs } from "./sys/args.ts";
import { NO_REPLY, RESUME, type KernelServices, type SyscallResult } from "./sys/context.ts";
import { SYSCALLS, nameOf } from "./sys/table.ts";
import { Futexes } from "./futex.ts";
import { PiFutexes } from "./futex_pi.ts";
import { exitRobustList } from "./futex_robust.ts";
import { SysvIpc } from "./ipc/sysv_ipc.ts";
import { KeyTable } from "./keys/key_table.ts";
import { MqNamespace } from "./mqueue.ts";
import { FsNotify } from "./fsnotify.ts";
import { WriteAccess, type Inode } from "./write_access.ts";
import { keySysctls, procKeysText, procKeyUsersText } from "./keys/proc_keys.ts";
import { joinPath, type Vfs } from "./vfs.ts";
import { FileLocks } from "./file_lock.ts";
import { Leases, leaseBreakSysctl } from "./lease.ts";
import { NamedPipes } from "./named_pipe.ts";
import { PipeFs, pipeMaxSizeSysctl } from "./pipe.ts";
import { UnixNames } from "./unix_names.ts";
import type { UnixSocketNames } from "./unix_socket.ts";
import { WatchBudget } from "./epoll.ts";
import { POLLHUP, POLLIN } from "../linux-abi/poll.ts";
import { PageCache } from "./page_cache.ts";
import type { MountSpec } from "./mounts.ts";
import { ProcFs } from "./procfs.ts";
import type { FileSystem } from "../fs-task/file_system.ts";
import { ERESTARTNOHAND, ERESTARTSYS, WaitQueue, sleep, AGAIN } from "./wait_queue.ts";
import { UtsNames } from "./uts.ts";
import { WallClock } from "./wall_clock.ts";
import { StraceObserver, observeAll, type SyscallObserver } from "./syscall_observer.ts";

/** What the kernel-task needs from the CPU side of its user kernel. */
export interface Machine {
  /** An empty address space (a new engine); null when the quota is exhausted. */
  newSpace(): GuestMemory | null;
  /** A copy-on-write copy (fork). */
  forkSpace(m: GuestMemory): GuestMemory | null;
  /** A process's records from fork until it is reaped, charged to the quota; false when it is full. */
  reserveProcess(): boolean;
  releaseProcess(): void;
  /** One more process uses `m` (vfork, CLONE_VM). */
  shareSpace(m: GuestMemory): void;
  /** One process fewer uses `m`; the last one frees it once no CPU run is using it. */
  releaseSpace(m: GuestMemory): void;
  /**
   * A runnable thread in t.process.memory: registers copied from `from` (whole state,
   * FPU included) or zero, then `edit`ed; `tls` sets the FS base. False: no memory.
   */
  startThread(t: Thread, from: Thread | null, tls: number | null, edit: (regs: Uint32Array) => void): boolean;
  /** exec: the thread moves to t.process.memory (already loaded) with fresh registers. */
  execThread(t: Thread, entry: number, sp: number): void;
  /** The thread never runs again. */
  stopThread(t: Thread): void;
  /** Job control: keep a runnable thread off the CPU until unpark. */
  park(t: Thread): void;
  unpark(t: Thread): void;
  context(t: Thread): UserContext;
  setTlsBase(t: Thread, base: number): void;
  memoryQuota(): { total: number; free: number };
  /** The init process exited: the user kernel ends with its status. */
  initExited(p: Process): void;
  /** The init process stopped with signal `sig` (job control): the user kernel's host may stop too. */
  initStopped(sig: number): void;
  /** A file system for mount(2), started as the user kernel starts its own (mode, quota). Throws TypeError. */
  startFileSystem(spec: MountSpec): FileSystem;
  /** A memory file system for files without a name (memfd_create), charged to the quota. */
  readonly anonFiles: FileSystem;
  /** AT_HWCAP of the CPU platform the guests run on. */
  readonly hwcap: number;
}

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

const DEFAULT_ACTION: Sigaction = { sa_handler: SIG_DFL, sa_flags: 0, sa_restorer: 0, sa_mask: 0n };
const STOP_SIGNALS = Array.from({ length: 31 }, (_, i) => i + 1).filter((sig) => (sigmask(sig) & SIG_KERNEL_STOP_MASK) !== 0n);
const ERESTARTNOINTR = 513;
const ERESTART_RESTARTBLOCK = 516;
/** PATH when the environment has none (Linux's execvp default, as busybox has it). */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// init's address space: it runs no code, so it has no memory to map.
const NO_MEMORY: VSpace = { allocate: () => null, release() {}, map: () => false, unmap() {}, protect() {} };

/** Epoll entries a user kernel may hold, a bound on the host memory they take (Linux's max_user_watches: 4% of RAM). */
const MAX_EPOLL_WATCHES = 1 << 16;

/** How many distinct unsupported syscall numbers are reported on stderr. */
const MAX_REPORTED_MISSING = 256;

export class KernelTask implements KernelServices {
  readonly vfs: Vfs;
  readonly uts: UtsNames;
  readonly wallClock = new WallClock();
  readonly bootTimeMs = performance.now();
  readonly threads = new Map<number, Thread>();
  readonly processes = new Map<number, Process>();
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
  readonly #args = new SyscallArgs();
  readonly #trace: ((line: string) => void) | null;
  /** Watches every call (strace, counters); null: none. */
  readonly #observer: SyscallObserver | null;
  readonly #debug: boolean;
  readonly #reported = new Set<number>();
  #nextPid = 1;
  #current: Thread | null = null;
  /** pid 1: the user kernel's own init, which adopts orphans and reaps them (as docker --init). */
  #init: Process | null = null;
  /** The program the user kernel was started with; its exit ends the user kernel. */
  #main: Process | null = null;
  /** The address space of processes without one: init, zombies. */
  readonly #noMemory = new GuestMemory(NO_MEMORY, new MemoryIds());

  constructor(opts: KernelTaskOptions) {
    this.vfs = opts.vfs;
    this.unixSockets = new UnixNames(opts.vfs);
    this.uts = new UtsNames(opts.hostname);
    this.fsnotify = new FsNotify(this.vfs);
    this.machine = opts.machine;
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
      signal: (p, sig) => this.sendSignal(p, kernelInfo(sig)),
    }, {
      consoleFd: opts.consoleFd,
      ...(opts.streams ? { streams: opts.streams } : {}),
      consoleNode: () => this.vfs.call("/dev/console", (fs, inner) => fs.stat(inner, true)),
    });
  }

  /** The user kernel's net-task serves AF_INET from now on. */
  attachNet(net: NetClient): void {
    this.inetSockets = new InetSockets(net, () => this.unixSockets.nextIno());
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
      if (typeof result === "number" && result <= -ERESTARTSYS && result >= -ERESTART_RESTARTBLOCK) this.#noteRestart(t, nr);
      return result;
    }
    watch?.waiting();
    return result.then(
      (r) => {
        watch?.done(r);
        if (r <= -ERESTARTSYS && r >= -ERESTART_RESTARTBLOCK) this.#noteRestart(t, nr);
        return r;
      },
      (err: unknown) => {
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
    const mem = t.process.memory;
    let info: Siginfo;
    if (kind === "VMFault") {
      const addr = words[VmFaultMsg.ADDR * 2]! + words[VmFaultMsg.ADDR * 2 + 1]! * 4294967296;
      const fsr = words[VmFaultMsg.FSR * 2]!;
      const write = (fsr & 2) !== 0;
      if (write && mem.resolveWriteFault(addr)) return RESUME;
      if (write && mem.isCopyOnWrite(addr)) {
        process.stderr.write(`libos: out of memory: killing process ${t.process.pid} (copy on write failed)\n`);
        this.exitProcess(t.process, 0, SIGKILL);
        return NO_REPLY;
      }
      if (mem.isPastEndOfFile(addr)) {
        info = { layout: "fault", si_signo: SIGBUS, si_errno: 0, si_code: BUS_ADRERR, si_addr: BigInt(addr) };
      } else {
        const code = (fsr & FSR_MAPPED) !== 0 ? SEGV_ACCERR : SEGV_MAPERR;
        info = { layout: "fault", si_signo: SIGSEGV, si_errno: 0, si_code: code, si_addr: BigInt(addr) };
      }
    } else {
      const ip = words[UserExceptionMsg.IP * 2]! + words[UserExceptionMsg.IP * 2 + 1]! * 4294967296;
      info = faultInfo(words[UserExceptionMsg.NUMBER * 2]!, ip);
    }
    if (this.#trace) this.#trace(`--- ${describeSignal(info)} ---`);
    this.forceSignal(t, info);
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
   * Linux's exit_to_user_mode: deliver every deliverable signal (stacking handler frames
   * as Linux does), restart an interrupted syscall, stop for job control. False: the
   * thread must not run (dead, killed, or stopped).
   */
  returnToUser(t: Thread): boolean {
    try {
      return this.#returnToUser(t);
    } catch (err) {
      this.#internalError(t, "signal delivery", err);
      return false;
    }
  }

  #returnToUser(t: Thread): boolean {
    const p = t.process;
    if (t.dead) return false;
    if (p.stopped) {
      this.machine.park(t);
      return false;
    }
    t.work = false;
    const ctx = this.machine.context(t);
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
          this.#stopProcess(p, sig);
          t.syscallNr = restartNr;
          t.work = true;
          this.machine.park(t);
          return false;
        }
        this.exitProcess(p, 0, sig, def === "core");
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
        this.forceSignal(t, kernelInfo(SIGSEGV));
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

  // ----- signals ------------------------------------------------------------------------

  /** A signal the kernel raises for `t` itself (SIGPIPE, SIGSYS…). */
  signalThread(t: Thread, sig: number): void {
    this.sendSignal(t.process, kernelInfo(sig), t);
  }

  /** A fault's signal: it cannot stay blocked or ignored (Linux's force_sig_info). */
  forceSignal(t: Thread, info: Siginfo): void {
    const sig = info.si_signo;
    const action = t.process.sigactions.get(sig);
    if ((t.sigmask & sigmask(sig)) !== 0n || action?.sa_handler === SIG_IGN) {
      t.sigmask &= ~sigmask(sig);
      if (action?.sa_handler === SIG_IGN) t.process.sigactions.set(sig, DEFAULT_ACTION);
    }
    t.pending.add(info);
    t.work = true;
  }

  /** Whether `sig` would be thrown away on arrival (Linux's sig_ignored). */
  #ignored(p: Process, sig: number, blockedBy: Thread | null): boolean {
    if (blockedBy && (blockedBy.sigmask & sigmask(sig)) !== 0n) return false;
    const action = p.sigactions.get(sig) ?? DEFAULT_ACTION;
    if (action.sa_handler === SIG_IGN) return sig !== SIGKILL && sig !== SIGSTOP;
    return action.sa_handler === SIG_DFL && defaultAction(sig) === "ign";
  }

  /**
   * Send a signal to process `p` (or, with `thread`, to that thread): Linux's
   * send_signal and complete_signal. SIGKILL kills at once; stop and continue signals
   * act on the whole process here, at send time, as in Linux.
   */
  sendSignal(p: Process, info: Siginfo, thread: Thread | null = null): void {
    const sig = info.si_signo;
    // init has no threads and no handlers: like Linux's init, it takes no signals.
    if (!p.alive || sig === 0 || p === this.#init) return;
    if (sig === SIGKILL) {
      this.exitProcess(p, 0, SIGKILL);
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
      if (p.stopped) this.#continueProcess(p);
    }
    const main = thread ?? p.threads.get(p.pid) ?? p.threads.values().next().value ?? null;
    if (this.#ignored(p, sig, main)) return;
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

  #stopProcess(p: Process, sig: number): void {
    if (p.stopped) return;
    p.stopped = true;
    p.stopReport = sig;
    p.continuedReport = false;
    for (const t of p.threads.values()) t.work = true;
    this.#notifyParent(p, CLD_STOPPED, sig);
    if (p === this.#main) this.machine.initStopped(sig);
  }

  #continueProcess(p: Process): void {
    p.stopped = false;
    p.stopReport = 0;
    p.continuedReport = true;
    for (const t of p.threads.values()) {
      t.work = true;
      this.machine.unpark(t);
    }
    this.#notifyParent(p, CLD_CONTINUED, SIGCONT);
  }

  /** SIGCHLD (or clone's exit signal) and a wake-up for the parent's waiters. */
  #notifyParent(p: Process, code: number, status: number): void {
    const parent = p.parent;
    if (!parent) return;
    const act = parent.sigactions.get(SIGCHLD);
    const quiet = (code === CLD_STOPPED || code === CLD_CONTINUED) && act !== undefined && (act.sa_flags & SA_NOCLDSTOP) !== 0;
    const sig = code === CLD_EXITED || code === CLD_KILLED || code === CLD_DUMPED ? p.exitSignal : SIGCHLD;
    // clone's CSIGNAL byte goes up to 255: as Linux's do_notify_parent(), a number that
    // is not a signal sends nothing, and the parent still reaps the child.
    if (!quiet && sig > 0 && sig <= _NSIG) {
      this.sendSignal(parent, {
        layout: "chld", si_signo: sig, si_errno: 0, si_code: code, si_pid: p.pid, si_uid: p.creds.uid, si_status: status,
        si_utime: 0, si_stime: 0,
      });
    }
    parent.childEvents.notify();
  }

  /**
   * kill(2)'s targets: pid > 0 one process, 0 the caller's group, -1 everyone, < -1 a group.
   * As Linux: a group answers EPERM only when no member may be signalled; -1 skips those.
   */
  kill(sender: Thread, pid: number, info: Siginfo): number {
    // A thread's id names its process too (Linux's find_vpid finds any task).
    const byId = pid > 0 ? (this.processes.get(pid) ?? this.threads.get(pid)?.process) : undefined;
    // A zombie is still there until reaped: kill succeeds and the signal goes nowhere, as on Linux.
    const targets = pid > 0 ? [byId].filter((p): p is Process => p !== undefined)
      : pid === -1 ? [...this.processes.values()].filter((p) => p.alive && p !== this.#init && p !== sender.process)
      : this.processGroup(pid === 0 ? sender.process.pgid : -pid);
    if (targets.length === 0) return -ESRCH;
    let sent = false;
    for (const p of targets) {
      if (this.mayKill(sender, p, null, info.si_signo) < 0) continue;
      sent = true;
      if (info.si_signo !== 0 && p.alive) this.sendSignal(p, info);
    }
    return sent || pid === -1 ? 0 : -EPERM;
  }

  /** Linux's check_kill_permission: the sender's ids against the target's (creds.ts), or SIGCONT within a session. */
  mayKill(sender: Thread, p: Process, thread: Thread | null, sig: number): number {
    if (p === sender.process || maySignal(sender.creds, thread?.creds ?? p.creds)) return 0;
    return sig === SIGCONT && p.sid === sender.process.sid ? 0 : -EPERM;
  }

  /** Members of a process group; zombies count, as their pids keep the group alive. */
  processGroup(pgid: number): Process[] {
    return [...this.processes.values()].filter((p) => p.pgid === pgid && p !== this.#init);
  }

  /** The host continued the user kernel after the init process stopped: SIGCONT to its group and the console's foreground. */
  continueInit(): void {
    const main = this.#main;
    if (!main?.alive) return;
    const groups = new Set([main.pgid]);
    const console = this.terminals.console;
    if (console && console.sid !== NO_SESSION) groups.add(console.pgrp);
    for (const g of groups) for (const p of this.processGroup(g)) this.sendSignal(p, kernelInfo(SIGCONT));
  }

  /** A signal from the host (Ctrl-C on the terminal, SIGTERM to the launcher). */
  hostSignal(sig: number, toForeground: boolean): void {
    const main = this.#main;
    if (!main) return;
    if (!toForeground) return this.sendSignal(main, kernelInfo(sig));
    const console = this.terminals.console;
    const pgid = console && console.sid !== NO_SESSION ? console.pgrp : main.pgid;
    for (const p of this.processGroup(pgid)) this.sendSignal(p, kernelInfo(sig));
  }

  // ----- processes ------------------------------------------------------------------------

  #allocPid(): number {
    for (let i = 0; i < PID_MAX; i++) {
      const pid = this.#nextPid;
      this.#nextPid = pid >= PID_MAX ? 2 : pid + 1;
      if (!this.threads.has(pid) && !this.processes.has(pid)) return pid;
    }
    return -1;
  }

  /**
   * Boot the process tree: pid 1, the user kernel's init (a process of the kernel-task
   * with no threads: it adopts orphans and reaps them), and the program as pid 2 with
   * the host's standard streams and cwd. Throws on a program that cannot run.
   */
  spawnInit(path: string, argv: string[], envp: string[], cwd: string, creds: Credentials, rlimits: Map<number, Rlimit>): Process {
    const guestPath = path.includes("/") ? joinPath(cwd, path) : this.#searchPath(path, envp);
    const access: ExecAccess = { lookup: (p) => joinPath(cwd, p), mayExec: (st) => permission(creds, st, MAY_EXEC) };
    const image = findProgram(this.vfs, guestPath, path, argv, access);
    if (image instanceof ElfError) throw image;
    const init = new Process(this.#allocPid(), null, this.#noMemory, new FdTable(), new FsContext("/"), new SignalHandlers(), creds, "/sbin/init", ["init"], 0);
    this.processes.set(init.pid, init);
    this.#init = init;
    const memory = this.machine.reserveProcess() ? this.machine.newSpace() : null;
    if (!memory) {
      closeProgram(image);
      throw new ElfError("out of memory: the memory quota is too small", ENOMEM);
    }
    const fds = new FdTable();
    this.terminals.hostStreams().forEach((ops, fd) => fds.install(new OpenFile(ops, fd === 0 ? O_RDONLY : O_WRONLY), false));
    const pid = this.#allocPid();
    const p = new Process(pid, init, memory, fds, new FsContext(cwd), new SignalHandlers(), creds, image.exe, image.argv, SIGCHLD);
    p.interpreter = image.interpreter?.exe ?? null;
    p.rlimits = rlimits;
    fds.limit = Math.min(softLimit(p, RLIMIT_NOFILE), NR_OPEN);
    init.children.add(p);
    this.machine.shareSpace(memory);
    p.envp = envp;
    this.terminals.attachConsole(p);
    let loaded;
    try {
      loaded = loadElf(memory, image.elf, image.file, { argv: image.argv, envp, execfn: path, creds, interpreter: image.interpreter, stackSize: softLimit(p, RLIMIT_STACK), hwcap: this.machine.hwcap });
    } finally {
      closeProgram(image);
    }
    if (this.writeAccess.deny(image.file.inode) === 0) p.exeInode = image.file.inode;
    const t = new Thread(pid, p);
    t.name = baseName(image.exe);
    this.#register(t);
    this.processes.set(pid, p);
    this.#main = p;
    if (!this.machine.startThread(t, null, null, (regs) => {
      setWord(regs, Msg.rip, loaded.entry);
      setWord(regs, Msg.rsp, loaded.stackPointer);
      setWord(regs, Msg.rflags, 0x202);
    })) throw new ElfError("out of memory: the memory quota is too small", ENOMEM);
    return p;
  }

  #register(t: Thread): void {
    t.process.threads.set(t.tid, t);
    this.threads.set(t.tid, t);
  }

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

  /** clone(2)/clone3(2)/fork/vfork. Returns the child's tid, or a Promise for vfork. */
  clone(t: Thread, flags: number, stack: number, parentTid: number, childTid: number, tls: number, exitSignal: number): SyscallResult {
    const p = t.process;
    if (flags & CLONE_THREAD && (flags & (CLONE_SIGHAND | CLONE_VM)) !== (CLONE_SIGHAND | CLONE_VM)) return -22;
    if (flags & CLONE_SIGHAND && !(flags & CLONE_VM)) return -22;
    if (this.#overProcessLimit(t)) return -EAGAIN;
    const tid = this.#allocPid();
    if (tid < 0) return -EAGAIN;
    const settls = flags & CLONE_SETTLS ? tls : null;
    const edit = (regs: Uint32Array): void => {
      setWord(regs, Msg.rax, 0);
      if (stack) setWord(regs, Msg.rsp, stack);
    };
    if (flags & CLONE_THREAD) {
      const child = new Thread(tid, p, t.creds);
      child.sigmask = t.sigmask;
      child.sched = { ...t.sched };
      child.name = t.name;
      if (flags & CLONE_CHILD_CLEARTID) child.clearChildTid = childTid;
      if (flags & CLONE_PARENT_SETTID && !p.memory.write(parentTid, u32(tid))) return -14;
      if (flags & CLONE_CHILD_SETTID && !p.memory.write(childTid, u32(tid))) return -14;
      this.keys.cloned(t, child, true);
      this.#register(child);
      if (!this.machine.startThread(child, t, settls, edit)) {
        this.#unregister(child);
        return -EAGAIN;
      }
      return tid;
    }
    // Linux's copy_process: EAGAIN when no more tasks fit (threads-max, here the quota),
    // ENOMEM when the memory does not.
    if (flags & CLONE_PARENT_SETTID && !p.memory.write(parentTid, u32(tid))) return -EFAULT;
    if (!this.machine.reserveProcess()) return -EAGAIN;
    let memory: GuestMemory | null;
    if (flags & CLONE_VM) {
      memory = p.memory;
    } else {
      memory = this.machine.forkSpace(p.memory);
      if (!memory) {
        this.machine.releaseProcess();
        return -ENOMEM;
      }
      this.ipc.shm.spaceChanged(p.pid, memory, "forked");
    }
    this.machine.shareSpace(memory);
    // CLONE_PARENT: a sibling, which tells the shared parent of its end as the caller would
    // (Linux: copy_process takes the caller's own exit_signal, not clone's argument).
    const parent = flags & CLONE_PARENT ? p.parent : p;
    const fds = flags & CLONE_FILES ? p.fds.share() : p.fds.clone();
    const child = new Process(
      tid, parent, memory, fds, flags & CLONE_FS ? p.fs : p.fs.copy(),
      flags & CLONE_SIGHAND ? p.handlers : p.handlers.copy(), t.creds, p.exe, p.argv,
      flags & CLONE_PARENT ? p.exitSignal : exitSignal,
    );
    child.pgid = p.pgid;
    child.sid = p.sid;
    child.ctty = p.ctty;
    child.envp = p.envp;
    child.rlimits = new Map(p.rlimits);
    child.membarrierPrivate = p.membarrierPrivate;
    child.personality = p.personality;
    child.interpreter = p.interpreter;
    const ct = new Thread(tid, child);
    ct.sigmask = t.sigmask;
    ct.sched = { ...t.sched };
    ct.altStack = { ...t.altStack };
    ct.name = t.name;
    if (flags & CLONE_CHILD_CLEARTID) ct.clearChildTid = childTid;
    if (flags & CLONE_CHILD_SETTID) memory.write(childTid, u32(tid));
    this.keys.cloned(t, ct, false);
    if (p.exeInode && this.writeAccess.deny(p.exeInode) === 0) child.exeInode = p.exeInode;
    this.processes.set(tid, child);
    parent?.children.add(child);
    this.#register(ct);
    if (!this.machine.startThread(ct, t, settls, edit)) {
      this.#unregister(ct);
      this.#runs(child, null);
      this.processes.delete(tid);
      parent?.children.delete(child);
      this.machine.releaseSpace(memory);
      this.machine.releaseProcess();
      return -ENOMEM;
    }
    if (!(flags & CLONE_VFORK)) return tid;
    child.vforkDone = new WaitQueue();
    const done = child.vforkDone;
    return sleep(t, [done], () => (child.vforkDone === null ? tid : AGAIN), { killableOnly: true });
  }

  /** RLIMIT_NPROC: the caller's real uid has that many tasks (threads count); root, CAP_SYS_RESOURCE and CAP_SYS_ADMIN are exempt. */
  #overProcessLimit(t: Thread): boolean {
    const c = t.creds;
    if (c.uid === 0 || capable(c, CAP_SYS_RESOURCE) || capable(c, CAP_SYS_ADMIN)) return false;
    const limit = softLimit(t.process, RLIMIT_NPROC);
    if (limit === Infinity) return false;
    let n = 0;
    for (const other of this.threads.values()) if (other.creds.uid === c.uid) n++;
    return n >= limit;
  }

  #unregister(t: Thread): void {
    this.keys.threadGone(t);
    t.process.threads.delete(t.tid);
    t.process.endedThreadsCpuUs += t.cpuUs;
    this.threads.delete(t.tid);
  }

  /** The vfork parent may go on: the child has exec'd or exited. */
  #releaseVfork(p: Process): void {
    const q = p.vforkDone;
    if (!q) return;
    p.vforkDone = null;
    q.notify();
  }

  /**
   * execve(2): find the program through the guest's file system (following `#!`), load
   * it into a new address space, then — past the point of no return — replace the
   * process image: other threads die, close-on-exec descriptors close, handled signals
   * return to their default action.
   */
  execve(t: Thread, path: string, given: string, argv: string[], envp: string[]): SyscallResult {
    const p = t.process;
    const access: ExecAccess = {
      lookup: (name) => {
        const lk = lookupAt(this, t, AT_FDCWD, name, "follow");
        return typeof lk === "number" ? lk : lk.path;
      },
      mayExec: (st) => permission(t.creds, st, MAY_EXEC),
    };
    const image = findProgram(this.vfs, path, given, argv, access);
    if (image instanceof ElfError) return -image.errno;
    // No descriptor may have the program open for writing (ETXTBSY), nor open it so while it runs.
    const busy = this.writeAccess.deny(image.file.inode);
    if (busy < 0) {
      closeProgram(image);
      return busy;
    }
    // A set-user-ID or set-group-ID program's ids, and the capability sets the program starts with.
    const creds = execCreds(t.creds, image.file.owner);
    const memory = this.machine.newSpace();
    if (!memory) {
      closeProgram(image);
      this.writeAccess.allow(image.file.inode);
      return -ENOMEM;
    }
    let loaded;
    try {
      loaded = loadElf(memory, image.elf, image.file, { argv: image.argv, envp, execfn: given, creds, interpreter: image.interpreter, stackSize: softLimit(p, RLIMIT_STACK), hwcap: this.machine.hwcap });
    } catch (e) {
      memory.release();
      this.machine.shareSpace(memory);
      this.machine.releaseSpace(memory);
      this.writeAccess.allow(image.file.inode);
      if (e instanceof ElfError) return -e.errno;
      throw e;
    } finally {
      closeProgram(image);
    }
    // Point of no return.
    for (const other of [...p.threads.values()]) {
      if (other === t) continue;
      this.#releaseFutexes(other);
      this.#killThread(other);
    }
    this.#releaseFutexes(t);
    const old = p.memory;
    p.memory = memory;
    this.machine.shareSpace(memory);
    this.machine.execThread(t, loaded.entry, loaded.stackPointer);
    this.#releaseSpace(p, old);
    if (p.fds.shared) p.fds = p.fds.unshare();
    for (const [id, timer] of p.timers) {
      if (id === ITIMER_REAL_ID) continue;
      timer.disarm();
      p.timers.delete(id);
    }
    p.fds.closeOnExec();
    p.handlers = p.handlers.copy();
    for (const [sig, a] of p.sigactions) if (a.sa_handler !== SIG_IGN) p.sigactions.set(sig, DEFAULT_ACTION);
    t.altStack = { sp: 0, size: 0, flags: 0 };
    t.clearChildTid = 0;
    t.robustList = 0;
    p.membarrierPrivate = false;
    this.keys.execed(t);
    this.#runs(p, image.file.inode);
    t.commitCreds(creds);
    p.creds = creds;
    p.exe = image.exe;
    p.interpreter = image.interpreter?.exe ?? null;
    p.argv = image.argv;
    p.envp = envp;
    t.name = baseName(image.exe);
    this.#releaseVfork(p);
    return RESUME;
  }

  /** `p` now runs `exe` (its denial of writers already taken), or nothing: the old program's denial goes. */
  #runs(p: Process, exe: Inode | null): void {
    if (p.exeInode) this.writeAccess.allow(p.exeInode);
    p.exeInode = exe;
  }

  /** A command name found on the guest's PATH (as execvp and `docker run` look it up). */
  #searchPath(name: string, envp: string[]): string {
    const path = envp.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
    for (const dir of path.split(":")) {
      const candidate = joinPath(dir === "" ? "." : dir, name);
      const st = this.vfs.call(candidate, (fs, inner) => fs.stat(inner, true));
      if (typeof st !== "number" && (st.mode & 0o170000) === 0o100000 && st.mode & 0o111) return candidate;
    }
    return name;
  }

  #killThread(t: Thread): void {
    if (t.dead) return;
    t.dead = true;
    t.sleeper?.end(-EINTR);
    this.futexes.cancel(t);
    this.machine.stopThread(t);
    this.#unregister(t);
  }

  /** exit(2): one thread ends; the last one ends the process. */
  exitThread(t: Thread, status: number): void {
    const p = t.process;
    if (p.threads.size <= 1) return this.exitProcess(p, status, 0);
    this.#releaseFutexes(t);
    this.#clearChildTid(t);
    this.#killThread(t);
  }

  /** A thread ends or execs: its robust list is walked and its PI locks pass on (futex_exit_release). */
  #releaseFutexes(t: Thread): void {
    exitRobustList(t, t.process.memory, this.futexes);
    this.piFutexes.ownerGone(t);
  }

  /** CLONE_CHILD_CLEARTID: zero the word and wake one futex waiter (pthread_join). */
  #clearChildTid(t: Thread): void {
    if (t.clearChildTid === 0) return;
    if (t.process.memory.write(t.clearChildTid, u32(0))) this.futexes.wake(t.process.memory, t.clearChildTid, 1, 0xffffffff);
  }

  /** The process ends: exit_group, a fatal signal, or the quota's OOM kill. */
  exitProcess(p: Process, status: number, signal: number, core = false): void {
    if (!p.alive) return;
    for (const t of [...p.threads.values()]) {
      this.#releaseFutexes(t);
      this.#clearChildTid(t);
      this.#killThread(t);
    }
    p.fds.closeAll();
    this.terminals.processExiting(p);
    this.locks.processExited(p.pid);
    this.ipc.sem.processExited(p);
    this.keys.processGone(p);
    this.#runs(p, null);
    for (const timer of p.timers.values()) timer.disarm();
    p.timers.clear();
    // A zombie keeps only its status: its address space goes now (engine, frames), and
    // its cmdline and environ read empty, as in Linux.
    this.#releaseSpace(p, p.memory);
    p.memory = this.#noMemory;
    p.argv = [];
    p.envp = [];
    p.state = "zombie";
    p.exitCode = status & 0xff;
    p.killedBy = signal;
    p.coreDumped = core;
    p.exitEvents.notify(POLLIN);
    p.stopped = false;
    this.#releaseVfork(p);
    const heir = this.#reaperFor(p);
    for (const c of [...p.children]) {
      c.parent = heir;
      heir.children.add(c);
      if (c.state !== "zombie") continue;
      if (heir === this.#init) this.reap(c);
      else heir.childEvents.notify();
    }
    p.children.clear();
    if (p === this.#main) {
      for (const q of [...this.processes.values()]) if (q !== p) this.exitProcess(q, 0, SIGKILL);
      this.machine.initExited(p);
      return;
    }
    const parent = p.parent;
    if (!parent) return;
    if (parent === this.#init) {
      this.reap(p);
      return;
    }
    const act = parent.sigactions.get(SIGCHLD);
    if (p.exitSignal === SIGCHLD && act && (act.sa_handler === SIG_IGN || act.sa_flags & SA_NOCLDWAIT)) {
      this.reap(p);
      parent.childEvents.notify();
      return;
    }
    const code = signal ? (core ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
    this.#notifyParent(p, code, signal || status & 0xff);
  }

  /** `p` stops using `mem` (exit, exec); System V segments see a detach unless another process still uses it (vfork). */
  #releaseSpace(p: Process, mem: GuestMemory): void {
    let shared = false;
    for (const q of this.processes.values()) if (q !== p && q.alive && q.memory === mem) shared = true;
    if (!shared) this.ipc.shm.spaceChanged(p.pid, mem, "released");
    this.machine.releaseSpace(mem);
  }

  /** Who adopts the children of `p`: the nearest living subreaper above it, else init. */
  #reaperFor(p: Process): Process {
    for (let a = p.parent; a; a = a.parent) if (a.alive && a.childSubreaper) return a;
    return this.#init!;
  }

  /** A waited-for zombie leaves the process table. */
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

  reap(c: Process): void {
    if (c.parent) c.parent.childrenCpuUs += c.cpuUs + c.childrenCpuUs;
    c.parent?.children.delete(c);
    if (this.processes.get(c.pid) !== c) return;
    this.processes.delete(c.pid);
    c.state = "reaped";
    c.exitEvents.notify(POLLIN | POLLHUP);
    this.machine.releaseProcess();
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

  /** setpgid(2)'s checks need the caller's session; Linux: kernel/sys.c. */
  setpgid(t: Thread, pid: number, pgid: number): number {
    const caller = t.process;
    const p = pid === 0 ? caller : this.processes.get(pid);
    if (!p || !p.alive) return -ESRCH;
    if (p !== caller && p.parent !== caller) return -ESRCH;
    if (pgid < 0) return -22;
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
}

/**
 * A syscall interrupted by a signal: rewind it to run again, or make it fail with EINTR.
 * `handlerFlags` is the sa_flags of the handler about to run, null when none runs.
 */
function applyRestart(regs: Uint32Array, nr: number, handlerFlags: number | null): void {
  const r = getSignedReg(regs, Msg.rax);
  if (r > -ERESTARTSYS || r < -ERESTART_RESTARTBLOCK) return;
  const restart = handlerFlags === null || r === -ERESTARTNOINTR || (r === -ERESTARTSYS && (handlerFlags & SA_RESTART) !== 0);
  if (restart) {
    setWord(regs, Msg.rax, nr);
    setWord(regs, Msg.rip, getWord(regs, Msg.rip) - SYSCALL_INSN_BYTES);
  } else {
    setWord(regs, Msg.rax, -EINTR);
  }
}

function kernelInfo(sig: number): Siginfo {
  return { layout: "kill", si_signo: sig, si_errno: 0, si_code: SI_KERNEL, si_pid: 0, si_uid: 0 };
}

/** The signal and si_code of a CPU exception (arch/x86/kernel/traps.c). */
function faultInfo(vector: number, ip: number): Siginfo {
  const fault = (si_signo: number, si_code: number, addr: number): Siginfo => ({ layout: "fault", si_signo, si_errno: 0, si_code, si_addr: BigInt(addr) });
  switch (vector) {
    case X86Vector.DivideError:
      return fault(SIGFPE, FPE_INTDIV, ip);
    case X86Vector.Breakpoint:
      return fault(SIGTRAP, TRAP_BRKPT, 0);
    case X86Vector.InvalidOpcode:
      return fault(SIGILL, ILL_ILLOPN, ip);
    case X86Vector.AlignmentCheck:
      return fault(SIGBUS, BUS_ADRALN, 0);
    default:
      return { layout: "kill", si_signo: SIGSEGV, si_errno: 0, si_code: SI_KERNEL, si_pid: 0, si_uid: 0 };
  }
}

function describeSignal(info: Siginfo): string {
  const name = signalName(info.si_signo) ?? `SIG${info.si_signo}`;
  if (info.layout !== "fault") return `${name} {si_signo=${name}, si_code=${info.si_code === SI_KERNEL ? "SI_KERNEL" : info.si_code}}`;
  const codes: Record<number, Record<number, string>> = {
    [SIGSEGV]: { [SEGV_MAPERR]: "SEGV_MAPERR", [SEGV_ACCERR]: "SEGV_ACCERR" },
    [SIGFPE]: { [FPE_INTDIV]: "FPE_INTDIV" },
    [SIGILL]: { [ILL_ILLOPN]: "ILL_ILLOPN" },
    [SIGTRAP]: { [TRAP_BRKPT]: "TRAP_BRKPT" },
    [SIGBUS]: { [BUS_ADRALN]: "BUS_ADRALN", [BUS_ADRERR]: "BUS_ADRERR" },
  };
  const code = codes[info.si_signo]?.[info.si_code] ?? String(info.si_code);
  return `${name} {si_signo=${name}, si_code=${code}, si_addr=0x${info.si_addr.toString(16)}}`;
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1).slice(0, 15);
}

