// The kernel-task: the Linux personality of one user kernel.
//
// It is a passive server on its user programs' fault endpoint. Each UnknownSyscall
// fault arrives as a message whose badge names the thread (badge = tid) and whose words
// are the register set (syscall-shim/x86_64.ts). `protected()` decodes it, runs the
// handler from the syscall table, and answers:
//   - a number: replied at once, inside the faulting thread's CPU run (fast path);
//   - a Promise: the reply is sent when it settles; the thread stays blocked;
//   - NO_REPLY: the thread is gone (exit, exit_group, killed).
// Unknown numbers answer ENOSYS and are reported once on the trace.

import { ENOSYS } from "../linux-abi/errno.ts";
import { FSR_MAPPED, SYSCALL_NR, UserExceptionMsg, VmFaultMsg, X86Vector } from "../syscall-shim/x86_64.ts";
import type { Process, Thread } from "./process.ts";
import { SyscallArgs } from "./sys/args.ts";
import { NO_REPLY, type KernelServices, type SyscallResult } from "./sys/context.ts";
import { SYSCALLS, nameOf } from "./sys/table.ts";
import type { Vfs } from "./vfs.ts";
import { formatSyscallEntry, formatSyscallExit, type GuestMemoryReader } from "./strace.ts";

export interface KernelTaskHooks {
  /** Ends a process: the user kernel stops its threads and notes the status. */
  exitProcess(p: Process, status: number, signal: number): void;
  exitThread(t: Thread, status: number): void;
  setTlsBase(t: Thread, base: number): void;
  memoryQuota(): { total: number; free: number };
}

export interface KernelTaskOptions {
  vfs: Vfs;
  hostname: string;
  /** strace-format lines go here when set. */
  trace: ((line: string) => void) | null;
  hooks: KernelTaskHooks;
}

export class KernelTask implements KernelServices {
  readonly vfs: Vfs;
  readonly hostname: string;
  readonly bootTimeMs = Date.now();
  readonly threads = new Map<number, Thread>();
  readonly #args = new SyscallArgs();
  readonly #hooks: KernelTaskHooks;
  readonly #trace: ((line: string) => void) | null;
  readonly #reported = new Set<number>();

  constructor(opts: KernelTaskOptions) {
    this.vfs = opts.vfs;
    this.hostname = opts.hostname;
    this.#hooks = opts.hooks;
    this.#trace = opts.trace;
  }

  /** The protected() entry: one UnknownSyscall fault from thread `badge`. */
  protected(badge: number, words: Uint32Array): SyscallResult {
    const t = this.threads.get(badge);
    if (!t) return -ENOSYS;
    const nr = words[SYSCALL_NR * 2]!;
    const entry = words[SYSCALL_NR * 2 + 1] === 0 ? SYSCALLS[nr] : undefined;
    const args = this.#args;
    args.words = words;
    if (this.#trace) return this.#traced(t, nr, words);
    if (entry) return entry.handler(this, t, args);
    this.#reportMissing(nr);
    return -ENOSYS;
  }

  /**
   * A VMFault or UserException from thread `badge`: the signal Linux would raise
   * (arch/x86/mm/fault.c, arch/x86/kernel/traps.c). Until handlers run (signals work),
   * every such signal takes its default action: the process dies by it.
   */
  faulted(badge: number, kind: "VMFault" | "UserException", words: Uint32Array): void {
    const t = this.threads.get(badge);
    if (!t) return;
    const sig = kind === "VMFault" ? SIGSEGV : signalForVector(words[UserExceptionMsg.NUMBER * 2]!);
    if (this.#trace) {
      const addr = kind === "VMFault" ? words[VmFaultMsg.ADDR * 2]! + words[VmFaultMsg.ADDR * 2 + 1]! * 4294967296 : 0;
      const code = kind === "VMFault" ? ((words[VmFaultMsg.FSR * 2]! & FSR_MAPPED) !== 0 ? "SEGV_ACCERR" : "SEGV_MAPERR") : "";
      this.#trace(`--- ${SIGNAL_NAMES[sig]} {si_signo=${SIGNAL_NAMES[sig]}${code ? `, si_code=${code}, si_addr=0x${addr.toString(16)}` : ""}} ---`);
    }
    this.#hooks.exitProcess(t.process, 0, sig);
  }

  #reportMissing(nr: number): void {
    if (this.#reported.has(nr)) return;
    this.#reported.add(nr);
    process.stderr.write(`libos: unsupported syscall ${nameOf(nr)} (${nr}): returning ENOSYS\n`);
  }

  #traced(t: Thread, nr: number, words: Uint32Array): SyscallResult {
    const trace = this.#trace!;
    const argv = new Array<number>(6);
    // Signed 64-bit, so AT_FDCWD and -1 stay exact for the printer.
    for (let i = 0; i < 6; i++) argv[i] = words[(1 + i) * 2]! + (words[(1 + i) * 2 + 1]! | 0) * 4294967296;
    const mem: GuestMemoryReader = {
      readBytes: (addr, len) => t.process.memory.view(addr, len, 0)?.slice() ?? null,
      readCString: (addr, max) => t.process.memory.readCString(addr, max),
    };
    const prefix = t.process.threads.size > 1 ? `[pid ${t.tid}] ` : "";
    const head = prefix + formatSyscallEntry(nr, argv, mem);
    const entry = SYSCALLS[nr];
    let result: SyscallResult;
    if (entry) result = entry.handler(this, t, this.#args);
    else {
      this.#reportMissing(nr);
      result = -ENOSYS;
    }
    if (result === NO_REPLY) {
      trace(head + formatSyscallExit(nr, argv, Number.NaN, mem));
      return result;
    }
    if (typeof result === "number") {
      trace(head + formatSyscallExit(nr, argv, result, mem));
      return result;
    }
    return result.then((r) => {
      trace(head + formatSyscallExit(nr, argv, r, mem));
      return r;
    });
  }

  exitProcess(p: Process, status: number, signal: number): void {
    this.#hooks.exitProcess(p, status, signal);
  }

  exitThread(t: Thread, status: number): void {
    this.#hooks.exitThread(t, status);
  }

  setTlsBase(t: Thread, base: number): void {
    this.#hooks.setTlsBase(t, base);
  }

  memoryQuota(): { total: number; free: number } {
    return this.#hooks.memoryQuota();
  }
}

const SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11;
const SIGNAL_NAMES: Readonly<Record<number, string>> = { 4: "SIGILL", 5: "SIGTRAP", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV" };

function signalForVector(vector: number): number {
  switch (vector) {
    case X86Vector.DivideError:
      return SIGFPE;
    case X86Vector.Breakpoint:
      return SIGTRAP;
    case X86Vector.InvalidOpcode:
      return SIGILL;
    case X86Vector.AlignmentCheck:
      return SIGBUS;
    default:
      return SIGSEGV;
  }
}
