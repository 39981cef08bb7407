// A user kernel: one kernel-task, its file systems, its memory quota, its processes.
//
// Boot, inside the share the root task gave it (root_task.ts: a child Untyped and a CNode
// of its own, laid out as a root CNode): carve the user kernel's Untyped quota, an
// endpoint, and a native TCB for the kernel-task, which serves the endpoint passively.
// The kernel-task works in a CSpace of its own (kernel_task_cspace.ts): its guest frames,
// guest TCBs and fs-task client capabilities live there; the root CNode keeps the
// fs-task server's objects out of its reach.
// Each guest thread is a guest TCB whose message buffer is its vCPU's register block
// and whose fault endpoint capability is the endpoint minted with badge = tid. Guest
// memory is Frames retyped from the quota, so running out of it is ENOMEM, not a crash;
// each address space is one CPU engine, also charged to the quota.
//
// Run: the thread's run loop (run_loop.ts), shared with the other user kernels on the
// thread, picks a runnable guest TCB and hands it to its kernel's runSlice(): the
// kernel-task does its return-to-user work (signals, restarts, stops); the vCPU runs for
// the TCB's time slice. A syscall trap
// becomes deliverFault(UnknownSyscall): the kernel-task answers inside the same CPU run
// (fast path), or keeps the reply and answers when its Promise settles; meanwhile only
// that thread is blocked. Address spaces, vCPUs and TCBs that die during a run are
// freed after it (the engine may still be inside its own call).
//
// This file is the kernel-task's Machine: everything it needs from the CPU side.

import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import { isHostTerminal } from "./host_terminal.ts";
import { byteStringOfHost } from "../linux-abi/_byte_string.ts";
import { AnonDevices, FrameDirectory, FsIpcServer, FsWorker, stopFsTask, untypedQuota, type FileSystem, type FsTaskLaunch, type MemoryQuota } from "../fs-task/mod.ts";
import { SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGTSTP, SIGWINCH } from "../linux-abi/signal.ts";
import { EIO } from "../linux-abi/errno.ts";
import { AllRights, FaultLabel, KernelError, RootSlot, getWord, type Kernel, type KernelObject, setWord, type CNode, type Frame, type Reply, type Tcb, type Untyped } from "../microkernel/mod.ts";
import { Perm, type CpuEngine, type StopReason, type Vcpu } from "../microkernel/platform/cpu.ts";
import { X86_REG_ID } from "../microkernel/platform/unicorn_x86_64.ts";
import { choosePlatform, type Platform, type PlatformChoice } from "../microkernel/platform/platforms.ts";
import { TRANSLATION_BUFFER_BYTES } from "../microkernel/platform/unicorn_ffi.ts";
import { FSR_MAPPED, Msg, RESULT, SYSCALL_MESSAGE_LENGTH, SYSCALL_NR, UserExceptionMsg, VmFaultMsg, X86Vector, X86_64_REGISTER_LAYOUT } from "../syscall-shim/x86_64.ts";
import { KernelTask } from "./kernel_task.ts";
import type { Machine } from "./machine.ts";
import { initialCredentials } from "./creds.ts";
import { hostLimits } from "./rlimits.ts";
import { GuestMemory, MemoryIds, pageUp, type HostMemory, type VSpace } from "./memory.ts";
import type { Process, Thread } from "./process.ts";
import type { UserContext } from "./signals.ts";
import { NO_REPLY, RESUME } from "./sys/context.ts";
import { KernelTaskCSpace, KtSlot, Slots, rootRetype } from "./kernel_task_cspace.ts";
import { mountAll, startFileSystem, startTmpfs, type FsMode, type Layout, type MountEnv, type MountSpec } from "./mounts.ts";
import { createNetTask, type NetClient, type NetConfig, type ExternalNetInfo, type NetLaunch, type NetMode } from "../net-task/mod.ts";
import type { TaskFaultSpec } from "../device-ipc/fault_hook.ts";
import { SupervisedNet } from "./supervised_net.ts";
import { hostResolvConf, hostsText, mountEtcFiles, resolvConfText } from "./etc_files.ts";
import { Vfs } from "./vfs.ts";
import { RootTask, type KernelShare } from "./root_task.ts";
import { RunLoop, type LoopKernel } from "./run_loop.ts";
import type { FileOps } from "./file.ts";
import { IpcRecorder, KernelIpc, faultLabelName, type IpcRole } from "./ipc_recorder.ts";
import type { RunStats, TaskStats } from "./run_stats.ts";
import { SyscallCounter, countsByName } from "./syscall_observer.ts";
import { CONNECT_LABEL, methodById } from "../fs-task/protocol.ts";
import { FsFault, type FsFaultSpec } from "../fs-task/mod.ts";
import type { SupervisedFs } from "./supervised_fs.ts";

const SLICE_MS = 20;
/** Guest threads' priority unless the options say (the microkernel's 0..255). */
const DEFAULT_PRIORITY = 100;
/** The shortest run a CPU-time interval timer asks for (Linux's tick is 1-4 ms). */
const MIN_CPU_TIMER_US = 1000;
const TIMER_BACKSTOP_US = 20_000;
// Host memory the quota pays for besides guest frames, so that a fork or thread bomb runs
// out of quota, not host (measured with process.memoryUsage().rss, docs/architecture.md):
// - an address space: its engine, ~2.9 MB when opened (most of it the translation hash
//   table) and up to TRANSLATION_BUFFER_BYTES of translated code, plus the range table;
const ENGINE_BYTES = 3 * 1024 * 1024 + TRANSLATION_BUFFER_BYTES + 1024 * 1024;
// - a thread: its register block and FPU cells (a page each), its saved engine context
//   (~5.6 KB), its TCB and the kernel-task's records of it (measured ~16 KB in all);
const THREAD_BYTES = 16 * 1024;
// - a process, from fork until it is reaped: its records (process, descriptor table,
//   signal state, wait queues; a zombie keeps only its status, ~5 KB measured).
const PROCESS_BYTES = 16 * 1024;
// A fork leaves this much of the quota free besides the child's address space, for the
// copy-on-write copies parent and child make next (16 granules): without it, the fork that
// filled the quota succeeded and the parent was killed at its next stack write.
const FORK_HEADROOM_BYTES = 1024 * 1024;

export interface UserKernelOptions {
  /** Bytes of memory the user kernel may use for guest frames. */
  memoryQuota: number;
  /** The mounts and the working directory (mounts.ts guestLayout). */
  layout: Layout;
  /** How the fs-tasks run. */
  fsMode: FsMode;
  /** The net-task: its configuration and mode; null or absent for none (AF_INET is EAFNOSUPPORT). */
  net?: { config: NetConfig; mode: NetMode } | null;
  /** The CPU platform guest code runs on (platforms.ts); default unicorn. */
  platform?: PlatformChoice;
  strace: boolean;
  /** Internal errors print their stack. */
  debug?: boolean;
  /** Where strace lines go (default: stderr). */
  traceSink?: (line: string) => void;
  /**
   * The host terminal's descriptor, the guest's /dev/console; null for none. Default: the
   * first of fds 0, 1, 2 that is a terminal.
   */
  consoleFd?: number | null;
  /**
   * The first program stopped with signal `sig` (Ctrl-Z): the launcher stops too, as the
   * program would have natively (continueInit() when it is continued). Called outside the
   * kernel-task's work.
   */
  onInitStopped?: (sig: number) => void;
  /**
   * The root task and run loop of this thread, shared with other user kernels; default:
   * a root task and a run loop of its own (the case of one user kernel).
   */
  host?: KernelHost;
  /** Priority of its guest threads against other kernels' on the thread (default 100). */
  priority?: number;
  /** Host Ctrl-C, Ctrl-Z, SIGTERM and window changes reach its programs (default true). */
  hostSignals?: boolean;
  /** Descriptors 0, 1, 2 of the first process where not the host's (null: the host's). */
  streams?: readonly (FileOps | null)[];
  /** Test hook: runs before each syscall the kernel-task serves; a throw there is a kernel-task crash. */
  beforeSyscall?: (nr: number) => void;
  /** Its name among the kernels of a boot: task names in traces start with `name/`. */
  name?: string;
  /** `--trace-ipc`: one line per message goes here (ipc_recorder.ts). */
  traceIpc?: (line: string) => void;
  /** `--stats`: count what each task does, for runStats(). */
  stats?: boolean;
  /** Test hook: its fs-task fails at its Nth request (fs-task/_fault_hook.ts), once. */
  fsFault?: FsFaultSpec;
  /** Test hook: its net-task fails at its Nth request (device-ipc/fault_hook.ts), once. */
  netFault?: TaskFaultSpec;
}

/** The root task and run loop of one host thread. */
export interface KernelHost {
  root: RootTask;
  loop: RunLoop;
}

export interface ExitInfo {
  status: number;
  signal: number;
  /** Set when the user kernel itself failed (its kernel-task threw): why. */
  failure?: string;
}

/** What a user kernel used, for `libos boot`'s summary. */
export interface KernelStats {
  /** Guest CPU time, µs (the syscalls served inside a run included). */
  cpuUs: number;
  syscalls: number;
  /** The most of its memory quota in use at once, bytes. */
  peakBytes: number;
  /** Requests its quota could not meet (a guest then saw ENOMEM, EAGAIN or SIGKILL). */
  quotaRefusals: number;
  /** CPU runs, syscalls answered inside a run, guest faults (`--stats`). */
  runs: number;
  fastSyscalls: number;
  faults: number;
  /** Times its fs-task died and was started again. */
  fsRestarts: number;
  /** Times its net-task died (and was started again). */
  netRestarts: number;
}

/** Guest memory as Frame objects the kernel-task retypes from its quota into its own CNode. */
class FrameVSpace implements VSpace {
  readonly #frames = new Map<number, number>();

  constructor(
    readonly cspace: KernelTaskCSpace,
    readonly engine: CpuEngine,
    readonly directory: FrameDirectory,
    readonly refused: () => void,
  ) {}

  allocate(size: number): HostMemory | null {
    const slot = this.cspace.retype("Frame", pageUp(size));
    if (slot < 0) {
      this.refused();
      return null;
    }
    const frame = this.cspace.objectAt(slot) as Frame;
    this.#frames.set(frame.hostAddress, slot);
    this.directory.add({ bytes: frame.memory.bytes, hostAddress: frame.hostAddress, cptr: slot });
    return frame.memory;
  }

  release(mem: HostMemory): void {
    const slot = this.#frames.get(mem.hostAddress);
    if (slot === undefined) return;
    this.#frames.delete(mem.hostAddress);
    this.directory.delete(mem.bytes);
    this.cspace.delete(slot);
  }

  map(vaddr: number, hostAddress: number, size: number, prot: number): boolean {
    return this.engine.map(vaddr, hostAddress, size, prot) === 0;
  }

  unmap(vaddr: number, size: number): void {
    this.engine.unmap(vaddr, size);
  }

  protect(vaddr: number, size: number, prot: number): void {
    this.engine.protect(vaddr, size, prot);
  }
}

/**
 * The launcher's supplementary groups, as the guest starts with them. Node's getgroups adds
 * the effective gid, which Linux's list need not hold: /proc tells the list as it is.
 */
function hostGroups(): number[] {
  try {
    const line = /^Groups:(.*)$/m.exec(readFileSync("/proc/self/status", "latin1"));
    if (line) return line[1]!.trim().split(/\s+/).filter((g) => g !== "").map(Number);
  } catch {
    // Not Linux: fall through.
  }
  return process.getgroups?.() ?? [];
}

// Room for the microkernel's own objects besides the guest memory quota.
const KERNEL_OBJECT_BYTES = 16 * 1024 * 1024;

/** The share of the root task's memory a user kernel with `memoryQuota` boots in. */
export function shareBytes(memoryQuota: number): number {
  return memoryQuota + KERNEL_OBJECT_BYTES;
}

/** A root task and a run loop for one user kernel of `bytes` (`libos run`). */
function ownHost(bytes: number): KernelHost {
  const root = RootTask.for([bytes]);
  return { root, loop: new RunLoop(root.kernel) };
}

/** CPU time (µs) until the process's first CPU-time interval timer expires; Infinity if none is armed. */
function cpuTimerDueUs(p: Process): number {
  let due = Infinity;
  for (const timer of p.cpuTimers) if (timer.expiresUs > 0) due = Math.min(due, timer.expiresUs);
  return due === Infinity ? due : due - p.cpuUs;
}

/** Wall time (µs) until the process's first armed real-time timer expires; Infinity if none is armed. */
function realTimerDueUs(t: Thread): number {
  let due = Infinity;
  for (const timer of t.process.timers.values()) if (timer.armed) due = Math.min(due, timer.remainingMs() * 1000);
  return due;
}

/** An fs-task request's label: its method (or the connect that opens a channel). */
function fsLabelName(label: number): string {
  return label === CONNECT_LABEL ? "connect" : (methodById(label)?.name ?? `label ${label}`);
}

/** A process as traces and stats name it: its program's file name (as /proc/PID/comm). */
function programName(p: Process): string {
  return p.exe.slice(p.exe.lastIndexOf("/") + 1) || "?";
}

/** One address space: its engine (ENGINE_BYTES of the quota), and how many processes use it. */
interface Space {
  engine: CpuEngine;
  vspace: FrameVSpace;
  users: number;
}

interface GuestThread {
  thread: Thread;
  tcb: Tcb;
  tcbSlot: number;
  faultSlot: number;
  engine: CpuEngine;
  vcpu: Vcpu;
  /** The kernel-task rewrote the registers: the next run must load the whole block. */
  regsEdited: boolean;
  /** CLONE_SETTLS for a thread not yet run (its engine may be busy with another). */
  pendingTls: number | null;
  parked: boolean;
  dead: boolean;
}

export class UserKernel implements Machine, LoopKernel {
  readonly vfs = new Vfs();
  /** Guest frames by host memory, so fs-task reads and writes grant them (ipc, worker). */
  readonly frames = new FrameDirectory();
  /** The fs-task every mount's back end runs in, started with the first mount: ipc mode's server, worker mode's thread. */
  #fsIpcServer: FsIpcServer | null = null;
  #fsWorker: FsWorker | null = null;
  /** Mounts whose fs-task the kernel-task restarts when it dies (supervised_fs.ts). */
  readonly #supervised: SupervisedFs[] = [];
  /** The fault hook, for the fs-task's first instance only (inproc: shared by its back ends). */
  #fsFault: FsFaultSpec | null;
  #inprocFault: FsFault | null;
  #stopping = false;
  /** Deaths of the fs-task's server or worker; a mount started before the last one starts again. */
  #fsEpoch = 0;
  readonly anonFiles: FileSystem;
  #fileSystems: FileSystem[] = [];
  #net: SupervisedNet | null = null;
  readonly kernelTask: KernelTask;
  readonly #opts: UserKernelOptions;
  readonly kernel: Kernel;
  /** What the root task gave it; its CNode is this user kernel's root CNode. */
  readonly share: KernelShare;
  readonly #host: KernelHost;
  readonly #loop: RunLoop;
  readonly #priority: number;
  readonly stats: KernelStats = { cpuUs: 0, syscalls: 0, peakBytes: 0, quotaRefusals: 0, runs: 0, fastSyscalls: 0, faults: 0, fsRestarts: 0, netRestarts: 0 };
  /** The root task's CNode slots. */
  readonly #slots = new Slots();
  readonly #untypedSlot: number;
  /** The kernel-task's own CSpace. */
  readonly #kt: KernelTaskCSpace;
  readonly #guests = new Map<number, GuestThread>();
  readonly #byTcb = new Map<Tcb, GuestThread>();
  readonly #spaces = new Map<GuestMemory, Space>();
  /** This user kernel's st_dev numbers for tmpfs and initfs mounts. */
  readonly #devices = new AnonDevices();
  /** Names of its address spaces and shared blocks (futex keys). */
  readonly #memoryIds = new MemoryIds();
  /** Frees that wait until no engine call is in progress. */
  readonly #deferred: (() => void)[] = [];
  #exit: ExitInfo | null = null;
  /** The first program; its exit ends the user kernel. */
  readonly platform: Platform;
  /** performance.now() when the current run's budget ends. */
  #runEnds = 0;
  /** Its messages (with --trace-ipc or --stats). */
  readonly #ipc: KernelIpc | null;
  /** Syscalls by process (with --stats). */
  readonly #counter: SyscallCounter | null;
  /** Objects registered with the thread's IPC recorder. */
  readonly #observed: KernelObject[] = [];
  /** Time the kernel-task spent in syscalls (with --stats), µs. */
  #serveUs = 0;
  readonly #bootMs = performance.now();

  /**
   * A user kernel ready to spawn: its file systems mounted, its net-task started (its
   * external device built, which may bind host ports or open a TAP) and the guest's
   * /etc/resolv.conf and /etc/hosts in place (etc_files.ts). Rejects with what a mount or
   * the net-task failed with; what had started is stopped first.
   */
  static async create(opts: UserKernelOptions): Promise<UserKernel> {
    const uk = new UserKernel(opts);
    try {
      await uk.#startNet();
    } catch (error) {
      await uk.shutdown();
      throw error;
    }
    return uk;
  }

  private constructor(opts: UserKernelOptions) {
    this.#opts = opts;
    this.platform = choosePlatform(opts.platform ?? "unicorn");
    const sink = opts.traceSink ?? ((line: string) => process.stderr.write(line + "\n"));
    const consoleFd = opts.consoleFd !== undefined ? opts.consoleFd : ([0, 1, 2].find(isHostTerminal) ?? null);
    this.#fsFault = opts.fsFault ?? null;
    this.#inprocFault = opts.fsFault && opts.fsMode === "inproc" ? new FsFault(opts.fsFault) : null;
    this.#counter = opts.stats ? new SyscallCounter() : null;
    this.#ipc = opts.stats || opts.traceIpc ? new KernelIpc(opts.name ? `${opts.name}/` : "", opts.traceIpc ?? null) : null;
    this.kernelTask = new KernelTask({
      vfs: this.vfs, hostname: byteStringOfHost(hostname()), trace: opts.strace ? sink : null, machine: this, debug: opts.debug ?? false,
      consoleFd, observer: this.#counter, ...(opts.streams ? { streams: opts.streams } : {}),
    });
    const bytes = shareBytes(opts.memoryQuota);
    const host = opts.host ?? ownHost(bytes);
    this.share = host.root.share(bytes);
    this.#host = host;
    this.#loop = host.loop;
    this.#priority = opts.priority ?? DEFAULT_PRIORITY;
    this.kernel = this.share.kernel;
    const k = this.kernel, root = this.share.authority;
    this.#untypedSlot = this.#retype("Untyped", opts.memoryQuota);
    const endpointSlot = this.#retype("Endpoint", 0);
    this.#kt = new KernelTaskCSpace(this.share, this.#slots, this.#untypedSlot, endpointSlot);
    const env = this.#mountEnv();
    this.#fileSystems = mountAll(this.vfs, opts.layout, env);
    this.anonFiles = startTmpfs(env);
    this.#fileSystems.push(this.anonFiles);
    const serverSlot = this.#retype("Tcb", 0);
    const server = this.#objectAt(serverSlot) as Tcb;
    k.tcbConfigure(root, serverSlot, { cspaceRootCptr: this.#kt.cnodeInRoot, priority: 200 });
    k.tcbResume(root, serverSlot);
    const served = k.serve(server, KtSlot.Endpoint, {
      protected: (tcb, badge, reply) => this.#serveSyscall(tcb, badge, reply),
      // The kernel-task's own code threw outside any syscall handler's guard: the user kernel ends.
      failed: (err) => this.fail(err),
    });
    if (served.error !== KernelError.Ok) throw new Error(`Cannot start the kernel-task: microkernel error ${served.error}`);
    if (this.#ipc !== null) {
      server.debugName = `${this.#ipc.prefix}kernel-task`;
      const role: IpcRole = { ipc: this.#ipc, server: "kernel-task", client: "guest", labelName: faultLabelName };
      this.#observe(this.#objectAt(endpointSlot) as KernelObject, role);
      this.#observe(server, role);
    }
  }

  /** The guest's external network (its settings, the port forwards as bound); null with lo only or none. */
  get network(): ExternalNetInfo | null {
    return this.#net?.external ?? null;
  }

  /** The net-task (when the options name one), then /etc's files that depend on it. */
  async #startNet(): Promise<void> {
    const net = this.#opts.net;
    if (net) {
      const start = (fault?: TaskFaultSpec): Promise<NetClient> => {
        const launch: NetLaunch = net.mode === "ipc" ? { mode: net.mode, ...this.#kt.ipcHost() } : { mode: net.mode };
        return createNetTask(net.config, fault ? { ...launch, fault } : launch);
      };
      let first: NetClient;
      try {
        first = await start(this.#opts.netFault);
      } catch (error) {
        throw new Error(`Cannot start the network: ${(error as Error).message}`);
      }
      this.#net = new SupervisedNet(first, () => start(), {
        died: (err) => this.#netDied(err),
        notStarted: (err) => this.#say(`the net-task could not be started again (${messageOf(err)}): AF_INET sockets fail with ENETDOWN`),
      });
      this.kernelTask.attachNet(this.#net, this.#net.back);
    }
    const external = this.#net?.external ?? null;
    const files = new Map([
      ["resolv.conf", resolvConfText(external, hostResolvConf())],
      ["hosts", hostsText(hostname(), external)],
    ]);
    const fs = startTmpfs(this.#mountEnv());
    this.#fileSystems.push(fs);
    const mounted = await mountEtcFiles(this.vfs, fs, files, this.#opts.layout.mounts[0]?.type !== "initfs");
    if (mounted < 0) throw new Error(`Cannot make /etc/resolv.conf and /etc/hosts (errno ${-mounted})`);
  }

  /** The root task's objects, from the root Untyped into the root CNode. */
  #retype(kind: "Untyped" | "Endpoint" | "Tcb", size: number): number {
    return rootRetype(this.share, this.#slots, kind, size);
  }

  #objectAt(slot: number): unknown {
    return this.share.cnode.capAt(slot)!.object;
  }

  // ----- the kernel-task's entry ------------------------------------------------------

  /** The kernel-task's protected() entry: answer now, later, or never (the thread is gone). */
  #serveSyscall(server: Tcb, badge: number, reply: Reply | null): void {
    const words = server.buffer;
    const label = server.info.label;
    if (label === FaultLabel.VMFault || label === FaultLabel.UserException) {
      const r = this.kernelTask.faulted(badge, label === FaultLabel.VMFault ? "VMFault" : "UserException", words);
      if (r === RESUME && reply) this.kernel.replyWith(reply, 0, 0);
      return;
    }
    this.stats.syscalls++;
    this.#opts.beforeSyscall?.(getWord(words, SYSCALL_NR));
    const started = this.#counter === null ? 0 : performance.now();
    const result = this.kernelTask.protected(badge, words);
    if (this.#counter !== null) this.#serveUs += (performance.now() - started) * 1000;
    if (result === NO_REPLY || reply === null) return;
    if (result === RESUME) {
      const g = this.#guests.get(badge);
      if (g) g.regsEdited = true;
      this.kernel.replyWith(reply, 0, 0);
      return;
    }
    if (typeof result === "number") {
      setWord(words, RESULT, result);
      this.kernel.replyWith(reply, 0, 1);
      return;
    }
    result.then(
      (r) => this.#answerLater(server, reply, r),
      (e: unknown) => {
        process.stderr.write(`libos: kernel-task error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        this.#answerLater(server, reply, -EIO);
      },
    );
  }

  #answerLater(server: Tcb, reply: Reply, r: number): void {
    setWord(server.buffer, RESULT, r);
    this.kernel.replyWith(reply, 0, 1);
    this.#loop.wake();
  }

  // ----- Machine: address spaces ------------------------------------------------------

  /** The engine's own memory is held outside any object: reserved, not retyped into a Frame. */
  #newVSpace(): { engine: CpuEngine; vspace: FrameVSpace } | null {
    if (!this.#reserve(ENGINE_BYTES)) return null;
    const engine = this.platform.newEngine();
    return { engine, vspace: new FrameVSpace(this.#kt, engine, this.frames, () => this.stats.quotaRefusals++) };
  }

  #disposeVSpace(s: { engine: CpuEngine }): void {
    s.engine.dispose();
    this.#untyped().release(ENGINE_BYTES);
  }

  /** Quota for host memory held outside any object (an engine, a thread's records). */
  #reserve(bytes: number): boolean {
    if (this.#untyped().reserve(bytes)) return true;
    this.stats.quotaRefusals++;
    return false;
  }

  #untyped(): Untyped {
    return this.#objectAt(this.#untypedSlot) as Untyped;
  }

  newSpace(): GuestMemory | null {
    const s = this.#newVSpace();
    if (!s) return null;
    const memory = new GuestMemory(s.vspace, this.#memoryIds);
    this.#spaces.set(memory, { ...s, users: 0 });
    return memory;
  }

  forkSpace(parent: GuestMemory): GuestMemory | null {
    const s = this.#newVSpace();
    if (!s) return null;
    const memory = parent.fork(s.vspace);
    if (!memory) {
      this.#disposeVSpace(s);
      return null;
    }
    this.#spaces.set(memory, { ...s, users: 0 });
    return memory;
  }

  reserveProcess(): boolean {
    const untyped = this.#untyped();
    if (untyped.freeBytes >= PROCESS_BYTES + ENGINE_BYTES + FORK_HEADROOM_BYTES && untyped.reserve(PROCESS_BYTES)) return true;
    this.stats.quotaRefusals++;
    return false;
  }

  releaseProcess(): void {
    this.#untyped().release(PROCESS_BYTES);
  }

  shareSpace(m: GuestMemory): void {
    this.#spaces.get(m)!.users++;
  }

  releaseSpace(m: GuestMemory): void {
    const s = this.#spaces.get(m);
    if (!s || --s.users > 0) return;
    this.#spaces.delete(m);
    this.#later(() => {
      m.release();
      this.#disposeVSpace(s);
    });
  }

  #later(fn: () => void): void {
    this.#deferred.push(fn);
  }

  // ----- Machine: threads ---------------------------------------------------------------

  startThread(t: Thread, from: Thread | null, tls: number | null, edit: (regs: Uint32Array) => void): boolean {
    const space = this.#spaces.get(t.process.memory)!;
    const parent = from ? this.#guests.get(from.tid) : undefined;
    const g = this.#newGuest(t, space.engine, () => {
      const vcpu = space.engine.createVcpu(X86_64_REGISTER_LAYOUT, parent?.vcpu);
      edit(vcpu.regs);
      return vcpu;
    });
    if (g) g.pendingTls = tls;
    return g !== null;
  }

  /** The thread's share of the quota, then its vCPU (`newVcpu`) and a guest TCB over it; null, holding nothing, when the quota is full. */
  #newGuest(t: Thread, engine: CpuEngine, newVcpu: () => Vcpu): GuestThread | null {
    const untyped = this.#untyped();
    if (!this.#reserve(THREAD_BYTES)) return null;
    const vcpu = newVcpu();
    const g = this.#startTcb(t, engine, vcpu);
    if (g) return g;
    engine.releaseVcpu(vcpu);
    untyped.release(THREAD_BYTES);
    return null;
  }

  /** A guest TCB over the vCPU, retyped from the quota, faulting to the kernel-task with badge = tid. */
  #startTcb(t: Thread, engine: CpuEngine, vcpu: Vcpu): GuestThread | null {
    const k = this.kernel, kt = this.#kt;
    const tcbSlot = kt.retype("Tcb", 0, { threadKind: "guest", buffer: vcpu.regs });
    if (tcbSlot < 0) return null;
    const faultSlot = kt.mintFaultCap(t.tid);
    k.tcbConfigure(kt.authority, tcbSlot, { cspaceRootCptr: KtSlot.Guests, faultEndpointCptr: faultSlot, priority: this.#priority, timeSliceMs: SLICE_MS });
    const tcb = kt.objectAt(tcbSlot) as Tcb;
    tcb.vcpu = vcpu;
    if (this.#ipc?.tracing) tcb.debugName = `${this.#ipc.prefix}${programName(t.process)}[${t.tid}]`;
    this.#loop.adopt(tcb, this);
    const g: GuestThread = { thread: t, tcb, tcbSlot, faultSlot, engine, vcpu, regsEdited: true, pendingTls: null, parked: false, dead: false };
    this.#guests.set(t.tid, g);
    this.#byTcb.set(tcb, g);
    k.tcbResume(kt.authority, tcbSlot);
    return g;
  }

  /** The thread's TCB and vCPU go; deleting the TCB cancels any reply it waits for. */
  #retire(g: GuestThread): void {
    this.kernel.tcbSuspend(this.#kt.authority, g.tcbSlot);
    this.#byTcb.delete(g.tcb);
    this.#loop.forget(g.tcb);
    const { tcbSlot, faultSlot, engine, vcpu } = g;
    this.#later(() => {
      this.#kt.delete(tcbSlot);
      this.#kt.deleteFaultCap(faultSlot);
      engine.releaseVcpu(vcpu);
      this.#untyped().release(THREAD_BYTES);
    });
  }

  execThread(t: Thread, entry: number, sp: number): void {
    const old = this.#guests.get(t.tid)!;
    this.#retire(old);
    const space = this.#spaces.get(t.process.memory)!;
    const started = this.#newGuest(t, space.engine, () => {
      const vcpu = space.engine.createVcpu(X86_64_REGISTER_LAYOUT);
      setWord(vcpu.regs, Msg.rip, entry);
      setWord(vcpu.regs, Msg.rsp, sp);
      setWord(vcpu.regs, Msg.rflags, 0x202);
      return vcpu;
    });
    if (!started) {
      // The quota cannot hold one thread: the process cannot go on.
      this.kernelTask.exitProcess(t.process, 0, 9);
    }
  }

  stopThread(t: Thread): void {
    const g = this.#guests.get(t.tid);
    if (!g || g.dead) return;
    g.dead = true;
    this.#guests.delete(t.tid);
    this.#retire(g);
  }

  park(t: Thread): void {
    const g = this.#guests.get(t.tid);
    if (!g || g.parked) return;
    g.parked = true;
    this.kernel.tcbSuspend(this.#kt.authority, g.tcbSlot);
  }

  unpark(t: Thread): void {
    const g = this.#guests.get(t.tid);
    if (!g || !g.parked) return;
    g.parked = false;
    this.kernel.tcbResume(this.#kt.authority, g.tcbSlot);
    this.#loop.wake();
  }

  context(t: Thread): UserContext {
    const g = this.#guests.get(t.tid)!;
    g.vcpu.readRest();
    return {
      regs: g.vcpu.regs,
      readFp: (out) => g.vcpu.readFpState(out),
      writeFp: (src) => g.vcpu.writeFpState(src),
    };
  }

  setTlsBase(t: Thread, base: number): void {
    this.#guests.get(t.tid)!.vcpu.writeExtra(X86_REG_ID.fs_base!, BigInt(base));
  }

  memoryQuota(): { total: number; free: number } {
    return { total: this.#opts.memoryQuota, free: this.#untyped().freeBytes };
  }

  get hwcap(): number {
    return this.platform.hwcap;
  }

  /**
   * How fs-tasks start in this user kernel: the mode, and the Untyped capability tmpfs
   * pages are charged to (ipc: the fs-task server's own; inproc: the kernel-task's, whose
   * back ends these are; worker: the kernel-task's, through a lease to the worker's thread,
   * which cannot reach an Untyped).
   */
  #mountEnv(): MountEnv {
    const mode = this.#opts.fsMode;
    let quota: MemoryQuota = untypedQuota(this.#kt.authority.cspaceRoot as CNode, KtSlot.Untyped);
    let launch: FsTaskLaunch = this.#inprocFault ? { mode: "inproc", fault: this.#inprocFault } : { mode: "inproc" };
    if (mode === "ipc") {
      const server = this.#fsServer();
      quota = server.quota ?? quota;
      launch = { mode, ...this.#kt.ipcHost(), frames: this.frames, server };
    } else if (mode === "worker") {
      launch = { mode, host: (this.#fsWorker ??= this.#startFsWorker(quota)), frames: this.frames };
    }
    return {
      mode, launch, quota, proc: () => this.kernelTask.procfs, devpts: () => this.kernelTask.terminals.devpts, devices: this.#devices,
      supervise: {
        current: () => this.#mountEnv(), epoch: () => this.#fsEpoch, watch: (fs) => this.#supervised.push(fs), died: (err) => this.#fsReport(err),
      },
    };
  }

  /** One line per death of the fs-task (it is started again at once). */
  #fsReport(err: unknown): void {
    this.stats.fsRestarts++;
    this.#say(`the fs-task died (${messageOf(err)}): its calls in flight failed with EIO; started again`);
  }

  /** One line per death of the net-task (supervised_net.ts starts another). */
  #netDied(err: unknown): void {
    this.stats.netRestarts++;
    this.#say(`the net-task died (${messageOf(err)}): its calls in flight failed, its sockets report ECONNRESET; started again`);
    this.#loop.wake();
  }

  /** A line on stderr about this user kernel. */
  #say(text: string): void {
    process.stderr.write(`libos: ${this.#opts.name ? `[${this.#opts.name}] ` : ""}${text}\n`);
  }

  /** The fault hook's spec for a new fs-task instance: the first one only. */
  #takeFault(): FsFaultSpec | undefined {
    const f = this.#fsFault ?? undefined;
    this.#fsFault = null;
    return f;
  }

  /**
   * The fs-task (ipc: its server; worker: its thread) died. Its calls in flight have
   * failed with -EIO; once no engine call is in progress, a new one starts and every
   * mount moves to it (handles of the dead one stay -EIO). An inproc back end that throws
   * restarts alone, in its SupervisedFs.
   */
  #fsDied(err: unknown): void {
    if (this.#stopping) return;
    if (this.#opts.fsMode === "ipc") this.#fsIpcServer = null;
    else this.#fsWorker = null;
    this.#fsEpoch++;
    this.#fsReport(err);
    // Each mount moves at its next call; those nobody calls move here, which also ends the
    // calls still waiting on the dead instance.
    this.#later(() => {
      if (!this.#stopping) for (const fs of this.#supervised) fs.catchUp();
    });
    this.#loop.wake();
  }

  /** The fs-task's worker thread; its ring's messages are counted (and traced) as an endpoint's. */
  #startFsWorker(quota: MemoryQuota): FsWorker {
    const fault = this.#takeFault();
    const worker: FsWorker = new FsWorker({
      frames: this.frames, quota, ...(fault ? { fault } : {}),
      onDead: () => {
        if (this.#fsWorker === worker) this.#fsDied(new Error("its worker thread ended"));
      },
    });
    const ipc = this.#ipc;
    if (ipc !== null) {
      const kt = `${ipc.prefix}kernel-task`, fs = `${ipc.prefix}fs-task`;
      worker.observer = (reply, method, bytes) => {
        ipc.count("fs-task", reply, bytes);
        if (ipc.tracing) ipc.trace(reply ? fs : kt, reply ? kt : fs, reply ? "reply" : method, bytes);
      };
    }
    return worker;
  }

  /** What each task did so far (--stats); null unless the options asked for it. */
  runStats(): RunStats | null {
    if (this.#counter === null || this.#ipc === null) return null;
    const programs: TaskStats[] = [...this.#counter.byProcess].map(([p, counts]) => ({
      name: programName(p), kind: "program", pid: p.pid, cpuUs: Math.round(p.cpuUs), syscalls: countsByName(counts),
    }));
    const served = new Map<string, number>();
    for (const t of programs) for (const [name, n] of t.syscalls!) served.set(name, (served.get(name) ?? 0) + n);
    const fsMode = this.#opts.fsMode;
    // Its endpoint's calls (the microkernel's, or the worker's ring): still there after shutdown.
    const requests = this.#ipc.endpoints.get("fs-task")?.calls.messages ?? 0;
    return {
      kernel: this.#opts.name ?? "", elapsedMs: Math.round(performance.now() - this.#bootMs), cpuUs: Math.round(this.stats.cpuUs),
      syscalls: this.stats.syscalls,
      tasks: [
        ...programs,
        { name: "kernel-task", kind: "kernel-task", cpuUs: Math.round(this.#serveUs), syscalls: [...served].sort((a, b) => b[1] - a[1]) },
        { name: "fs-task", kind: "fs-task", mode: fsMode, requests, restarts: this.stats.fsRestarts },
        ...(this.#opts.net ? [{ name: "net-task", kind: "net-task" as const, mode: this.#opts.net.mode, restarts: this.stats.netRestarts }] : []),
      ],
      endpoints: [...this.#ipc.endpoints.values()].map((e) => structuredClone(e)),
    };
  }

  startFileSystem(spec: MountSpec): FileSystem {
    const fs = startFileSystem(spec, this.#mountEnv());
    this.#fileSystems.push(fs);
    return fs;
  }

  /**
   * After shutdown(): the user kernel gives its share back to the root task (root_task.ts
   * reclaim), so a later kernel on this thread can use the memory. Engines of processes
   * never reaped are disposed first; nothing of the kernel may run after this.
   */
  release(): void {
    this.flushDeferred();
    if (this.#observed.length > 0) for (const obj of this.#observed.splice(0)) IpcRecorder.of(this.kernel).unregister(obj);
    for (const s of this.#spaces.values()) s.engine.dispose();
    this.#spaces.clear();
    this.platform.release();
    this.#host.root.reclaim(this.share);
  }

  /** Stops the fs-tasks and the net-task (worker threads, IPC servers); the platform closes its idle VMs. */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    // Processes still running when init ended: their stores to shared file mappings reach the files.
    this.kernelTask.pageCache.syncAll();
    this.kernelTask.terminals.close();
    await Promise.all(this.#fileSystems.splice(0).map(stopFsTask));
    await this.#net?.stop();
    this.#net = null;
    await this.#fsWorker?.stop();
    this.#fsWorker = null;
    this.#fsIpcServer?.stop();
    this.#fsIpcServer = null;
    this.platform.release();
  }

  /**
   * The fs-task server (ipc mode): its objects from the quota, in the root CNode, and a
   * copy of the kernel-task's quota capability moved into its own CNode. Made with the
   * first mount, before the kernel-task has carved anything (an Untyped capability with
   * children cannot be copied).
   */
  #fsServer(): FsIpcServer {
    if (this.#fsIpcServer !== null) return this.#fsIpcServer;
    if (this.#fsEpoch > 0) return this.#observedFsServer(this.#restartedFsServer());
    const quotaSlot = this.#slots.take();
    const copied = this.kernel.cnodeCopy(this.share.authority, RootSlot.CNode, quotaSlot, this.#kt.cnodeInRoot, KtSlot.Untyped, AllRights);
    if (copied.error !== KernelError.Ok) throw new RangeError(`Cannot give the fs-task its quota: microkernel error ${copied.error}`);
    const fault = this.#takeFault();
    const server = new FsIpcServer({
      kernel: this.kernel, authority: this.share.authority, slots: this.#slots, untypedCptr: this.#untypedSlot, quotaCptr: quotaSlot,
      onCrash: (err) => this.#fsDied(err), ...(fault ? { fault: new FsFault(fault) } : {}),
    });
    this.#slots.give(quotaSlot);
    return this.#observedFsServer(server);
  }

  /** `obj`'s messages are counted (and traced) as `role`'s, until release(). */
  #observe(obj: KernelObject, role: IpcRole): void {
    IpcRecorder.of(this.kernel).register(obj, role);
    this.#observed.push(obj);
  }

  /** The server, its endpoint and thread known to the IPC recorder (with --trace-ipc or --stats). */
  #observedFsServer(server: FsIpcServer): FsIpcServer {
    if (this.#ipc !== null) {
      server.thread.debugName = `${this.#ipc.prefix}fs-task`;
      const role: IpcRole = { ipc: this.#ipc, server: "fs-task", client: "kernel-task", labelName: fsLabelName };
      this.#observe(server.endpoint, role);
      this.#observe(server.thread, role);
    }
    return (this.#fsIpcServer = server);
  }

  /**
   * A new fs-task server after the first died: its tmpfs pages are charged to the
   * kernel-task's quota capability (which has children by now, so it cannot be copied
   * again).
   */
  #restartedFsServer(): FsIpcServer {
    const fault = this.#takeFault();
    return new FsIpcServer({
      kernel: this.kernel, authority: this.share.authority, slots: this.#slots, untypedCptr: this.#untypedSlot,
      onCrash: (err) => this.#fsDied(err), ...(fault ? { fault: new FsFault(fault) } : {}),
    });
  }

  initExited(outcome: { status: number; signal: number }): void {
    this.#exit ??= { ...outcome };
    this.#loop.wake();
  }

  initStopped(sig: number): void {
    const onStop = this.#opts.onInitStopped;
    if (!onStop) return;
    this.#deferred.push(() => onStop(sig));
    this.#loop.wake();
  }

  /** The host stops the user kernel (signal_delivery.ts hostStop): SIGTERM to its programs, or with `kill` SIGKILL. */
  stop(kill: boolean): void {
    if (this.#exit !== null) return;
    this.kernelTask.hostStop(kill);
    this.#loop.wake();
  }

  /** The host continues the user kernel after onInitStopped: the first program and the console's foreground group go on. */
  continueInit(): void {
    this.kernelTask.continueInit();
    this.#loop.wake();
  }

  // ----- running --------------------------------------------------------------------------

  /**
   * Start the programs (each an argv whose first word is the guest path or a command on
   * PATH). With `kernelInit` pid 1 is the user kernel's own init and the programs run
   * beneath it (as `docker run --init`); without, the one program is pid 1 (as `docker
   * run`). The arguments are host text, given to the guest as their UTF-8 bytes. Throws
   * ElfError/Error on bad input.
   */
  spawn(programs: string[][], envp: string[], kernelInit = true): Process[] {
    const gid = process.getgid?.() ?? 0;
    const creds = initialCredentials(process.getuid?.() ?? 0, gid, hostGroups());
    const bytes = (list: string[]): string[] => list.map(byteStringOfHost);
    const run = { envp: bytes(envp), cwd: this.#opts.layout.cwd, creds, rlimits: hostLimits() };
    return this.kernelTask.spawnPrograms(programs.map((argv) => ({ path: byteStringOfHost(argv[0]!), argv: bytes(argv) })), run, kernelInit);
  }

  /** Runs (with the other user kernels of the thread) until the first process exits, or the kernel fails; resolves with its status. */
  async run(): Promise<ExitInfo> {
    const host = this.#opts.hostSignals === false ? null : this.#forwardHostSignals();
    try {
      await this.#loop.run(this);
      return this.#exit!;
    } finally {
      host?.();
    }
  }

  // ----- LoopKernel ------------------------------------------------------------------------

  get ended(): boolean {
    return this.#exit !== null;
  }

  flushDeferred(): void {
    while (this.#deferred.length > 0) this.#deferred.shift()!();
  }

  /** The kernel-task threw outside any guest's syscall: this user kernel ends, its threads with it. */
  fail(reason: unknown): void {
    const message = reason instanceof Error ? reason.message : String(reason);
    if (this.#opts.debug) process.stderr.write(`libos: kernel-task error: ${reason instanceof Error ? (reason.stack ?? message) : message}\n`);
    this.#exit ??= { status: 0, signal: 0, failure: `kernel-task error: ${message}` };
    // Its processes end as at any end of the kernel (descriptors closed: a pipe they fed
    // sees end of file); if the kernel-task cannot even do that, their threads stop.
    try {
      for (const p of [...this.kernelTask.table.programs]) this.kernelTask.exitProcess(p, 0, SIGKILL);
    } catch {
      for (const g of [...this.#guests.values()]) this.stopThread(g.thread);
    }
    this.#loop.wake();
  }

  runSlice(tcb: Tcb, alone: boolean): void {
    const g = this.#byTcb.get(tcb);
    if (!g || g.dead) return;
    const t = g.thread;
    if (this.kernelTask.hasWork(t) && !this.kernelTask.returnToUser(t)) return;
    if (g.dead || g.parked || this.#exit) return;
    if (g.pendingTls !== null) {
      g.vcpu.writeExtra(X86_REG_ID.fs_base!, BigInt(g.pendingTls));
      g.pendingTls = null;
    }
    g.regsEdited = false;
    // The TCB's slice (longer when no other thread waits), cut short when a timer is due,
    // so its signal comes on time: a CPU-time interval timer (ITIMER_VIRTUAL, ITIMER_PROF)
    // or a real-time one (alarm, ITIMER_REAL, timer_create).
    const slice = tcb.timeSliceMs * 1000;
    const realDue = realTimerDueUs(t);
    const timerDue = Math.min(cpuTimerDueUs(t.process), realDue);
    const budget = Math.min(alone ? slice * 5 : slice, Math.max(MIN_CPU_TIMER_US, timerDue));
    // Code that makes no syscalls is stopped by the engine's timer, which is not exact
    // (the engine may replay an instruction): only as often as fairness needs, and
    // soon after the budget when an interval timer waits to signal the process.
    const backstop = budget + (realDue < Infinity || budget < slice ? TIMER_BACKSTOP_US : budget * 9);
    const started = performance.now();
    this.#runEnds = started + budget / 1000;
    const stop = g.engine.run(g.vcpu, budget, () => this.#onSyscall(g, tcb), backstop);
    this.stats.runs++;
    // Guest code and the syscalls served inside the run: all counted as user time.
    const us = (performance.now() - started) * 1000;
    this.kernelTask.chargeCpu(t, us);
    this.stats.cpuUs += us;
    const used = this.#opts.memoryQuota - this.#untyped().freeBytes;
    if (used > this.stats.peakBytes) this.stats.peakBytes = used;
    this.#afterStop(g, tcb, stop);
  }

  /** Ctrl-C, Ctrl-\, Ctrl-Z and window changes go to the terminal's foreground group; SIGTERM and SIGHUP to the program. */
  #forwardHostSignals(): () => void {
    const handlers: [NodeJS.Signals, number, boolean][] = [
      ["SIGINT", SIGINT, true], ["SIGQUIT", SIGQUIT, true], ["SIGTSTP", SIGTSTP, true], ["SIGWINCH", SIGWINCH, true],
      ["SIGTERM", SIGTERM, false], ["SIGHUP", SIGHUP, false],
    ];
    const installed = handlers.map(([name, sig, fg]) => {
      const fn = (): void => {
        this.kernelTask.hostSignal(sig, fg);
        this.#loop.wake();
      };
      process.on(name, fn);
      return () => process.off(name, fn);
    });
    return () => installed.forEach((off) => off());
  }

  /** The syscall trap: deliver the fault; resume at once if the answer is already here. */
  #onSyscall(g: GuestThread, tcb: Tcb): boolean {
    const r = this.kernel.deliverFault(tcb, "UnknownSyscall", SYSCALL_MESSAGE_LENGTH);
    if (g.dead || g.tcb !== tcb || r.status !== "completed") return false;
    // Registers rewritten, or signals to deliver: stop, and let the next run load the block.
    if (g.regsEdited || this.kernelTask.hasWork(g.thread)) return false;
    // A timer armed now, due before the run's budget ends: a new run, with a budget to match.
    if (performance.now() + realTimerDueUs(g.thread) / 1000 < this.#runEnds) return false;
    g.vcpu.writeOne(RESULT);
    this.stats.fastSyscalls++;
    return true;
  }

  #afterStop(g: GuestThread, tcb: Tcb, stop: StopReason): void {
    if (g.dead || g.tcb !== tcb || tcb.state !== "Running") return;
    switch (stop.kind) {
      case "preempted":
      case "syscall":
        // A syscall answered inside the run leaves the thread Running but off the queue.
        if (!tcb.inRunQueue) this.kernel.scheduler.enqueue(tcb);
        return;
      case "memory":
      case "interrupt":
      case "invalid":
        this.stats.faults++;
        return this.#deliverException(g, stop);
      case "error":
        process.stderr.write(`libos: CPU engine error: ${stop.message}\n`);
        return this.#deliverException(g, stop);
    }
  }

  /**
   * A CPU fault becomes a VMFault or UserException message to the kernel-task. The
   * register block doubles as the message buffer, so the words the message overwrites
   * are put back once the (synchronous) delivery is done.
   */
  #deliverException(g: GuestThread, stop: StopReason): void {
    const regs = g.vcpu.regs;
    const saved = regs.slice(0, UserExceptionMsg.LENGTH * 2);
    const ip = getWord(regs, Msg.rip), sp = getWord(regs, Msg.rsp), flags = getWord(regs, Msg.rflags);
    let kind: "VMFault" | "UserException";
    let length: number;
    if (stop.kind === "memory") {
      setWord(regs, VmFaultMsg.IP, ip);
      setWord(regs, VmFaultMsg.ADDR, stop.address);
      setWord(regs, VmFaultMsg.PREFETCH, stop.access === Perm.Exec ? 1 : 0);
      setWord(regs, VmFaultMsg.FSR, stop.access | (stop.mapped ? FSR_MAPPED : 0));
      kind = "VMFault";
      length = VmFaultMsg.LENGTH;
    } else {
      const vector = stop.kind === "interrupt" ? stop.address : stop.kind === "invalid" ? X86Vector.InvalidOpcode : X86Vector.GeneralProtection;
      setWord(regs, UserExceptionMsg.IP, ip);
      setWord(regs, UserExceptionMsg.SP, sp);
      setWord(regs, UserExceptionMsg.FLAGS, flags);
      setWord(regs, UserExceptionMsg.NUMBER, vector);
      setWord(regs, UserExceptionMsg.CODE, 0);
      kind = "UserException";
      length = UserExceptionMsg.LENGTH;
    }
    const tcb = g.tcb;
    this.kernel.deliverFault(tcb, kind, length);
    if (g.dead) return;
    regs.set(saved);
    if (tcb.state === "Running" && !tcb.inRunQueue) this.kernel.scheduler.enqueue(tcb);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
