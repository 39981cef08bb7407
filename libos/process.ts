// Processes and threads as the kernel-task keeps them.
//
//   Process      a thread group: pid, parent and children, process group and session,
//                address space (GuestMemory), and the parts clone() may share with
//                another process: descriptor table (CLONE_FILES), cwd, root and umask
//                (FsContext, CLONE_FS), signal dispositions (SignalHandlers,
//                CLONE_SIGHAND). Lives on as a zombie until its parent reaps it.
//   Thread       tid, its process, the per-thread Linux state (signal mask, pending
//                signals, alternate stack, clear_child_tid, robust list) and the one
//                sleep it may be in.
//   SigPending   pending signals: a bit per signal and the queued siginfo records
//                (a standard signal is pending once; real-time signals queue).
//
// A thread's identity reaches the kernel-task as the badge on its fault endpoint
// capability: badge = tid, so a syscall message names its thread without a lookup table
// in the microkernel.

import type { Terminal } from "./terminal.ts";
import type { Rlimit } from "../linux-abi/resource.ts";
import type { Credentials } from "./creds.ts";
import type { Siginfo } from "../linux-abi/siginfo.ts";
import { SIGRTMIN, type Sigaction, type Sigset } from "../linux-abi/signal.ts";
import type { FdTable } from "./file.ts";
import type { GuestMemory } from "./memory.ts";
import type { IntervalTimer } from "./timers.ts";
import type { Sleeper } from "./wait_queue.ts";
import { WaitQueue } from "./wait_queue.ts";
import type { Key } from "./keys/key.ts";
import type { Inode } from "./write_access.ts";
import { newAnchors, type KeyAnchors } from "./keys/key_table.ts";


const bit = (sig: number): bigint => 1n << BigInt(sig - 1);
// Real-time signals queue up to this many, as RLIMIT_SIGPENDING bounds them in Linux.
const RT_QUEUE_LIMIT = 1024;

export class SigPending {
  set: Sigset = 0n;
  readonly #queue: Siginfo[] = [];

  /** Queue a signal; a standard signal already pending is merged (false). */
  add(info: Siginfo): boolean {
    const b = bit(info.si_signo);
    if (info.si_signo < SIGRTMIN && (this.set & b) !== 0n) return false;
    if (this.#queue.length >= RT_QUEUE_LIMIT && info.si_signo >= SIGRTMIN) return false;
    this.set |= b;
    this.#queue.push(info);
    return true;
  }

  /** Remove and return the oldest record of `sig`. */
  take(sig: number): Siginfo | null {
    const i = this.#queue.findIndex((q) => q.si_signo === sig);
    if (i < 0) return null;
    const [info] = this.#queue.splice(i, 1);
    if (!this.#queue.some((q) => q.si_signo === sig)) this.set &= ~bit(sig);
    return info!;
  }

  /** Drop every record of `sig` (the disposition became "ignore", SIGCONT flushes stops). */
  discard(sig: number): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i]!.si_signo === sig) this.#queue.splice(i, 1);
    this.set &= ~bit(sig);
  }
}

export class SignalHandlers {
  readonly actions = new Map<number, Sigaction>();
  /** Notified when a signal is queued for a process using these handlers: signalfds wait here (Linux's signalfd_wqh). */
  readonly signalfdReadiness = new WaitQueue();

  copy(): SignalHandlers {
    const c = new SignalHandlers();
    for (const [sig, a] of this.actions) c.actions.set(sig, { ...a });
    return c;
  }
}

export class FsContext {
  constructor(
    public cwd: string,
    public umask = 0o022,
    /** The root directory (chroot): canonical, "/" unless changed. */
    public root = "/",
  ) {}

  copy(): FsContext {
    return new FsContext(this.cwd, this.umask, this.root);
  }
}

/** A reaped process is out of the table; only a pidfd still refers to it. */
export type ProcessState = "running" | "zombie" | "reaped";

/** An interval timer on the process's CPU time: armed while expiresUs > 0 (a cpuUs value). */
export interface CpuTimer {
  expiresUs: number;
  intervalUs: number;
}

/** The key of the ITIMER_REAL timer among a process's timers (POSIX timer ids are ≥ 0). */
export const ITIMER_REAL_ID = -1;

export class Process {
  state: ProcessState = "running";
  /** Exit code (0-255) or the signal that killed it (killedBy > 0). */
  exitCode = 0;
  killedBy = 0;
  coreDumped = false;
  parent: Process | null;
  readonly children = new Set<Process>();
  readonly threads = new Map<number, Thread>();
  /** Process-directed pending signals (kill), shared by its threads. */
  readonly pending = new SigPending();
  /** A parent waits here for its children's state changes (wait4, waitid). */
  readonly childEvents = new WaitQueue();
  /** Notified when the process exits and when it is reaped (a pidfd's readiness). */
  readonly exitEvents = new WaitQueue();
  /** Stopped by a stop signal (job control); `stopReport` is set until a waiter sees it. */
  stopped = false;
  stopReport = 0;
  continuedReport = false;
  /** PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented here, not to init. */
  childSubreaper = false;
  /** exit_group in progress: threads die as they next reach the kernel-task. */
  exiting = false;
  /** vfork: the parent waits here until this process execs or exits. */
  vforkDone: WaitQueue | null = null;
  /** Signal the parent gets when this process exits (SIGCHLD, or clone's CSIGNAL). */
  exitSignal: number;
  pgid: number;
  sid: number;
  /** The controlling terminal (terminal.ts): inherited by fork, dropped by setsid. */
  ctty: Terminal | null = null;
  readonly startTimeMs = performance.now();
  /** Guest path of the executable's interpreter (ld.so), null for a static program (/proc/PID/maps). */
  interpreter: string | null = null;
  /** Environment as exec gave it (/proc/PID/environ). */
  envp: string[] = [];
  /** personality(2)'s execution domain and flags (PER_LINUX, 0, unless set); kept across exec and fork. */
  personality = 0;
  /** MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED was called (its address space's state on Linux: exec clears it). */
  membarrierPrivate = false;
  /** Resource limits set with setrlimit/prlimit (the others are the defaults). */
  rlimits = new Map<number, Rlimit>();
  /** alarm/setitimer(ITIMER_REAL) and timer_create timers, by id (ITIMER_REAL_ID for the first). */
  readonly timers = new Map<number, IntervalTimer>();
  /** CPU time (µs) of the threads that have ended, and of the children waited for with theirs (times' cutime). */
  endedThreadsCpuUs = 0;
  childrenCpuUs = 0;
  /** setitimer's ITIMER_VIRTUAL and ITIMER_PROF, which count the process's CPU time. */
  readonly cpuTimers: [CpuTimer, CpuTimer] = [{ expiresUs: 0, intervalUs: 0 }, { expiresUs: 0, intervalUs: 0 }];
  /** The program it runs, which no descriptor may open for writing meanwhile (write_access.ts). */
  exeInode: Inode | null = null;
  /** The process keyring (keys/key_table.ts), shared by its threads, dropped by fork and exec. */
  processKeyring: Key | null = null;

  constructor(
    readonly pid: number,
    parent: Process | null,
    public memory: GuestMemory,
    public fds: FdTable,
    public fs: FsContext,
    public handlers: SignalHandlers,
    /** The leader thread's credentials (creds.ts), kept when it is gone. */
    public creds: Credentials,
    /** Guest path of the executable (readlink /proc/self/exe). */
    public exe: string,
    public argv: string[],
    exitSignal: number,
  ) {
    this.parent = parent;
    // The first process's group and session are outside the user kernel, as for init
    // in a Linux pid namespace: both read as 0.
    this.pgid = parent?.pgid ?? 0;
    this.sid = parent?.sid ?? 0;
    this.exitSignal = exitSignal;
  }

  get alive(): boolean {
    return this.state === "running";
  }

  /** CPU time used so far (µs): its threads', ended ones included. */
  get cpuUs(): number {
    let us = this.endedThreadsCpuUs;
    for (const t of this.threads.values()) us += t.cpuUs;
    return us;
  }

  get ppid(): number {
    return this.parent?.pid ?? 0;
  }

  /** The exit status as wait(2) encodes it. */
  get waitStatus(): number {
    return this.killedBy ? this.killedBy | (this.coreDumped ? 0x80 : 0) : (this.exitCode & 0xff) << 8;
  }

  get cwd(): string {
    return this.fs.cwd;
  }

  set cwd(path: string) {
    this.fs.cwd = path;
  }

  get umask(): number {
    return this.fs.umask;
  }

  set umask(mask: number) {
    this.fs.umask = mask;
  }

  get sigactions(): Map<number, Sigaction> {
    return this.handlers.actions;
  }
}

/** sched_setattr's view of a thread: policy, nice and real-time priority (sys_sched.ts). */
export interface SchedSettings {
  policy: number;
  nice: number;
  priority: number;
}

export class Thread {
  clearChildTid = 0;
  sched: SchedSettings = { policy: 0, nice: 0, priority: 0 };
  robustList = 0;
  sigmask: Sigset = 0n;
  readonly pending = new SigPending();
  name = "";
  altStack = { sp: 0, size: 0, flags: 0 };
  /** The blocking sleep the thread is in, if any (signals interrupt it). */
  sleeper: Sleeper | null = null;
  /** The mask to restore after a handler that sigsuspend/pselect ran with a temporary one. */
  savedMask: Sigset | null = null;
  /** Number of the syscall in progress (for restarts). */
  syscallNr = -1;
  /** Work for the return to user mode: a signal may be deliverable or a restart due. */
  work = false;
  /** The thread runs no more (exit, exec of another thread, kill). */
  dead = false;
  /** CPU time (µs) its guest code and its syscalls have used: the time of its engine runs. */
  cpuUs = 0;

  /** This thread's credentials; set through commitCreds. */
  creds: Credentials;
  /** The keyrings its credentials hold (Linux keeps them in struct cred). */
  keyrings: KeyAnchors = newAnchors();

  constructor(
    readonly tid: number,
    readonly process: Process,
    creds: Credentials = process.creds,
  ) {
    this.creds = creds;
  }

  /** Linux's commit_creds: the thread's new credentials (the process's too for its leader). */
  commitCreds(next: Credentials): void {
    this.creds = next;
    if (this.tid === this.process.pid) this.process.creds = next;
  }

  /** Signals pending for this thread that its mask lets through. */
  deliverable(): Sigset {
    return (this.pending.set | this.process.pending.set) & ~this.sigmask;
  }

  signalPending(): boolean {
    return this.deliverable() !== 0n || this.process.exiting;
  }
}
