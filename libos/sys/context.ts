// What a syscall handler may use besides its thread: the kernel-task's services.
// Handlers return a result (≥ 0 or -errno), a Promise of one when the call has to wait
// (the thread stays blocked; nothing else does), RESUME when they rewrote the thread's
// registers (exec, rt_sigreturn), or NO_REPLY when the thread is gone.

import type { Siginfo } from "../../linux-abi/siginfo.ts";
import type { WatchBudget } from "../epoll.ts";
import type { FileOps } from "../file.ts";
import type { FileLocks } from "../file_lock.ts";
import type { Leases } from "../lease.ts";
import type { NamedPipes } from "../named_pipe.ts";
import type { PipeFs } from "../pipe.ts";
import type { PageCache } from "../page_cache.ts";
import type { ProcFs } from "../procfs.ts";
import type { MountSpec } from "../mounts.ts";
import type { FileSystem } from "../../fs-task/file_system.ts";
import type { Futexes } from "../futex.ts";
import type { Terminals } from "../terminals.ts";
import type { LoopDevices } from "../loop.ts";
import type { PiFutexes } from "../futex_pi.ts";
import type { SysvIpc } from "../ipc/sysv_ipc.ts";
import type { KeyTable } from "../keys/key_table.ts";
import type { MqNamespace } from "../mqueue.ts";
import type { FsNotify } from "../fsnotify.ts";
import type { WriteAccess } from "../write_access.ts";
import type { Process, Thread } from "../process.ts";
import type { UserContext } from "../signals.ts";
import type { InetSockets } from "../inet_socket.ts";
import type { UnixSocketNames } from "../unix_socket.ts";
import type { UtsNames } from "../uts.ts";
import type { WallClock } from "../wall_clock.ts";
import type { Vfs } from "../vfs.ts";
import type { SyscallArgs } from "./args.ts";

export const NO_REPLY = Symbol("no reply");
export const RESUME = Symbol("resume with the rewritten registers");
export type SyscallResult = number | Promise<number> | typeof NO_REPLY | typeof RESUME;
export type SyscallHandler = (k: KernelServices, t: Thread, a: SyscallArgs) => SyscallResult;

export interface KernelServices {
  readonly vfs: Vfs;
  /** CLOCK_REALTIME as this user kernel keeps it, and adjtimex's state (wall_clock.ts). */
  readonly wallClock: WallClock;
  /** The host and domain names (uts.ts). */
  readonly uts: UtsNames;
  /** performance.now() when the user kernel booted (uptime, times, sysinfo, /proc). */
  readonly bootTimeMs: number;
  /** /proc, for reopening /proc/PID/fd/N. */
  readonly procfs: ProcFs;
  /** Where memfd_create's files live: a tmpfs no path reaches. */
  readonly anonFiles: FileSystem;
  /** A file system for mount(2), started in the user kernel's fs mode. Throws TypeError. */
  startFileSystem(spec: MountSpec): FileSystem;
  readonly processes: ReadonlyMap<number, Process>;
  readonly threads: ReadonlyMap<number, Thread>;
  readonly futexes: Futexes;
  readonly piFutexes: PiFutexes;
  /** The System V IPC namespace (libos/ipc/). */
  readonly ipc: SysvIpc;
  /** The key retention service's keys and quotas (libos/keys/). */
  readonly keys: KeyTable;
  /** The POSIX message queues (mqueue.ts). */
  readonly mqueues: MqNamespace;
  /** inotify's watches and the hooks file changes report to (fsnotify.ts). */
  readonly fsnotify: FsNotify;
  /** Files open for writing and programs running, for ETXTBSY (write_access.ts). */
  readonly writeAccess: WriteAccess;
  /** Advisory record, OFD and flock locks (sys_lock.ts). */
  readonly locks: FileLocks;
  /** The pages of files mapped MAP_SHARED (page_cache.ts). */
  readonly pageCache: PageCache;
  /** File leases (lease.ts). */
  readonly leases: Leases;
  /** The pipes behind FIFOs on file systems that only store them (named_pipe.ts). */
  readonly namedPipes: NamedPipes;
  /** Where pipe(2)'s pipes get their inode numbers. */
  readonly pipeFs: PipeFs;
  /** The names AF_UNIX sockets are bound to (unix_names.ts). */
  readonly unixSockets: UnixSocketNames;
  /** The AF_INET sockets and the net-task behind them; null without one (--net none). */
  readonly inetSockets: InetSockets | null;
  /** The console, the pseudo-terminals, and the character devices that open them. */
  readonly terminals: Terminals;
  /** The loop block devices and /dev/loop-control (loop.ts). */
  readonly loopDevices: LoopDevices;
  /** The user kernel's epoll entries and their bound. */
  readonly epollWatches: WatchBudget;
  /** The thread whose syscall is being served (for objects that answer for the caller: signalfd). */
  readonly current: Thread | null;
  /** Ends the whole process: status is the exit code, or `signal` when killed. */
  exitProcess(p: Process, status: number, signal: number): void;
  exitThread(t: Thread, status: number): void;
  /** TCB SetTLSBase: FS base on x86-64. */
  setTlsBase(t: Thread, base: number): void;
  /** Total and free bytes of the user kernel's memory quota. */
  memoryQuota(): { total: number; free: number };
  /** The registers and FPU state of a thread blocked in the kernel-task. */
  userContext(t: Thread): UserContext;
  clone(t: Thread, flags: number, stack: number, parentTid: number, childTid: number, tls: number, exitSignal: number): SyscallResult;
  /** `path` resolved; `given` as the caller wrote it (a #! script's argument). */
  execve(t: Thread, path: string, given: string, argv: string[], envp: string[]): SyscallResult;
  reap(child: Process): void;
  /** A signal to a process (or one of its threads). */
  sendSignal(p: Process, info: Siginfo, thread?: Thread | null): void;
  /** A signal the kernel raises for the thread itself (SIGPIPE). */
  signalThread(t: Thread, sig: number): void;
  forceSignal(t: Thread, info: Siginfo): void;
  kill(sender: Thread, pid: number, info: Siginfo): number;
  /** 0 when `sender` may signal `p` (or its `thread`), else -EPERM. */
  mayKill(sender: Thread, p: Process, thread: Thread | null, sig: number): number;
  processGroup(pgid: number): Process[];
  setpgid(t: Thread, pid: number, pgid: number): number;
  setsid(t: Thread): number;
}
