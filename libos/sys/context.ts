// What a syscall handler may use besides its thread: the kernel-task's services.
// Handlers return a result (≥ 0 or -errno), a Promise of one when the call has to wait
// (the thread stays blocked; nothing else does), or NO_REPLY when the thread is gone.

import type { Process, Thread } from "../process.ts";
import type { Vfs } from "../vfs.ts";
import type { SyscallArgs } from "./args.ts";

export const NO_REPLY = Symbol("no reply");
export type SyscallResult = number | Promise<number> | typeof NO_REPLY;
export type SyscallHandler = (k: KernelServices, t: Thread, a: SyscallArgs) => SyscallResult;

export interface KernelServices {
  readonly vfs: Vfs;
  readonly hostname: string;
  /** Milliseconds since the user kernel booted (uptime, times, sysinfo). */
  readonly bootTimeMs: number;
  /** Ends the whole process: status is the exit code, or `signal` when killed. */
  exitProcess(p: Process, status: number, signal: number): void;
  exitThread(t: Thread, status: number): void;
  /** TCB SetTLSBase: FS base on x86-64. */
  setTlsBase(t: Thread, base: number): void;
  /** Total and free bytes of the user kernel's memory quota. */
  memoryQuota(): { total: number; free: number };
}
