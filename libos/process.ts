// Processes and threads as the kernel-task keeps them.
//
//   Process  pid, parent, address space (GuestMemory), descriptor table, cwd, umask,
//            credentials, signal dispositions, exit status. Owned by the kernel-task.
//   Thread   tid, its process, the microkernel TCB that runs it, and the per-thread
//            Linux state (clear_child_tid, signal mask, robust list head).
//
// A thread's identity reaches the kernel-task as the badge on its fault endpoint
// capability: badge = tid, so a syscall message names its thread without a lookup table
// in the microkernel.

import type { Sigaction } from "../linux-abi/signal.ts";
import type { FdTable } from "./file.ts";
import type { GuestMemory } from "./memory.ts";

export interface Credentials {
  uid: number;
  gid: number;
}

export class Process {
  exitStatus: number | null = null;
  /** Signal that killed it, if any (wait status and the CLI's 128+N). */
  killedBy = 0;
  umask = 0o022;
  readonly threads = new Map<number, Thread>();
  readonly sigactions = new Map<number, Sigaction>();
  readonly onExit: Array<(p: Process) => void> = [];

  constructor(
    readonly pid: number,
    public ppid: number,
    readonly memory: GuestMemory,
    readonly fds: FdTable,
    public cwd: string,
    readonly creds: Credentials,
    /** Guest path of the executable (readlink /proc/self/exe). */
    public exe: string,
    public argv: string[],
  ) {}

  get alive(): boolean {
    return this.exitStatus === null;
  }
}

export class Thread {
  clearChildTid = 0;
  robustList = 0;
  sigmask = 0n;
  name = "";
  altStack = { sp: 0, size: 0 };

  constructor(
    readonly tid: number,
    readonly process: Process,
  ) {}
}
