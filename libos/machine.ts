// What the kernel-task needs from the CPU side of its user kernel (user_kernel.ts
// implements it): address spaces, the threads that run in them, the memory quota, and
// the user kernel's own start and end. The kernel-task's files reach the CPU only here.

import type { FileSystem } from "../fs-task/file_system.ts";
import type { GuestMemory } from "./memory.ts";
import type { MountSpec } from "./mounts.ts";
import type { Process, Thread } from "./process.ts";
import type { UserContext } from "./signals.ts";

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
  /** The last of the user kernel's programs exited: it ends with this status (ProcessTable.outcome). */
  initExited(outcome: { status: number; signal: number }): void;
  /** The init process stopped with signal `sig` (job control): the user kernel's host may stop too. */
  initStopped(sig: number): void;
  /** A file system for mount(2), started as the user kernel starts its own (mode, quota). Throws TypeError. */
  startFileSystem(spec: MountSpec): FileSystem;
  /** A memory file system for files without a name (memfd_create), charged to the quota. */
  readonly anonFiles: FileSystem;
  /** AT_HWCAP of the CPU platform the guests run on. */
  readonly hwcap: number;
}
