// kcmp(2): whether two processes share a kernel resource (Linux: kernel/kcmp.c). The
// answer orders the two objects as Linux orders its obfuscated pointers: 0 the same,
// 1 or 2 by an identity number each object gets when first compared. Asking takes
// ptrace's read rights over both processes (their ids, or root).

import * as E from "../../linux-abi/errno.ts";
import type { Process, Thread } from "../process.ts";
import { mayPrlimit } from "../rlimits.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

const KCMP_FILE = 0, KCMP_VM = 1, KCMP_FILES = 2, KCMP_FS = 3, KCMP_SIGHAND = 4, KCMP_IO = 5, KCMP_SYSVSEM = 6, KCMP_EPOLL_TFD = 7;

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

function identity(o: object): number {
  let id = identities.get(o);
  if (id === undefined) identities.set(o, (id = nextIdentity++));
  return id;
}

/** kcmp_ptr: 0 for the same object, else 1 or 2 by their order. */
function order(a: object, b: object): number {
  if (a === b) return 0;
  return identity(a) < identity(b) ? 1 : 2;
}

/** Kcmp implements Linux syscall kcmp(2). */
export function sysKcmp(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const type = a.uint(2);
  const p1 = processOf(k, a.int(0)), p2 = processOf(k, a.int(1));
  if (!p1 || !p2) return -E.ESRCH;
  if (!mayRead(t, p1) || !mayRead(t, p2)) return -E.EPERM;
  switch (type) {
    case KCMP_FILE: {
      // An exited process has no descriptors left.
      const f1 = p1.alive ? p1.fds.get(a.uint(3)) : null;
      const f2 = p2.alive ? p2.fds.get(a.uint(4)) : null;
      return f1 && f2 ? order(f1, f2) : -E.EBADF;
    }
    case KCMP_VM:
      return order(p1.memory, p2.memory);
    case KCMP_FILES:
      return order(p1.fds, p2.fds);
    case KCMP_FS:
      return order(p1.fs, p2.fs);
    case KCMP_SIGHAND:
      return order(p1.handlers, p2.handlers);
    case KCMP_IO:
      // No process has an I/O context of its own here: all compare as Linux's without one.
      return 0;
    case KCMP_SYSVSEM: {
      // Undo lists are never shared (no CLONE_SYSVSEM): equal only when neither has one.
      const u1 = k.ipc.sem.hasUndo(p1), u2 = k.ipc.sem.hasUndo(p2);
      return !u1 && !u2 ? 0 : order(u1 ? p1 : k.ipc, u2 ? p2 : k.ipc);
    }
    case KCMP_EPOLL_TFD:
      return -E.EOPNOTSUPP;
    default:
      return -E.EINVAL;
  }
}

/** find_task_by_vpid: a process by its pid or one of its threads' ids; null when gone. */
function processOf(k: KernelServices, pid: number): Process | null {
  return k.processes.get(pid) ?? k.threads.get(pid)?.process ?? null;
}

/** ptrace_may_access(PTRACE_MODE_READ_REALCREDS): the caller itself, its ids, or root. */
function mayRead(t: Thread, p: Process): boolean {
  return p === t.process || mayPrlimit(t.creds, p.creds);
}
