// Process file descriptors (Linux: kernel/pid.c, kernel/fork.c's pidfd_fops): a file
// that names a process, whatever pid it had, for pidfd_send_signal, pidfd_getfd and
// waitid(P_PIDFD). It is an anonymous-inode file ("anon_inode:[pidfd]"); reading or
// writing it is EINVAL. poll reports POLLIN once the process has exited (a zombie) and
// POLLIN | POLLHUP once it has been reaped; the process's `exitEvents` queue is the
// file's readiness, notified at both moments.
//
// As on Linux, an open /proc/PID directory names its process too (pidfdProcess).

import { POLLHUP, POLLIN } from "../linux-abi/poll.ts";
import { AnonInodeFile } from "./anon_inode.ts";
import type { OpenFile } from "./file.ts";
import type { Process, Thread } from "./process.ts";
import { ProcFs } from "./procfs.ts";
import { FsFile } from "./vfs.ts";
import type { WaitQueue } from "./wait_queue.ts";

export class PidFd extends AnonInodeFile {
  constructor(
    readonly process: Process,
    /** PIDFD_THREAD: the thread the pidfd names, rather than its thread group. */
    readonly thread: Thread | null,
  ) {
    super("pidfd");
  }

  get readiness(): WaitQueue {
    return this.process.exitEvents;
  }

  poll(): number {
    const state = this.process.state;
    return state === "reaped" ? POLLIN | POLLHUP : state === "zombie" ? POLLIN : 0;
  }
}

/** The process a pidfd (or an open /proc/PID directory) names; null for any other file. */
export function pidfdProcess(f: OpenFile): Process | null {
  if (f.ops instanceof PidFd) return f.ops.process;
  if (f.ops instanceof FsFile && f.ops.fs instanceof ProcFs) return f.ops.fs.processOf(f.ops.handle);
  return null;
}
