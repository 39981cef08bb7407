// unshare and setns (Linux: kernel/fork.c ksys_unshare, kernel/nsproxy.c). A user kernel
// is one set of namespaces: it has no second mount, UTS, IPC, network, PID, user, cgroup
// or time namespace to give a process. unshare answers as a kernel built without them:
// EPERM first for a caller without CAP_SYS_ADMIN (the check Linux makes before it builds
// any), then EINVAL; a user namespace needs no capability, so it is EINVAL at once.
// What a process does have alone or shared — its descriptor table (CLONE_FILES) and its
// cwd, root and umask (CLONE_FS) — unshare copies; CLONE_SYSVSEM is a no-op (undo lists
// are per process already), and CLONE_THREAD, CLONE_SIGHAND and CLONE_VM succeed only
// when there is nothing to unshare, as Linux's "pretend it works" rule says.
// setns finds no namespace file (there is no /proc/PID/ns) and no pidfd namespace to
// join: EINVAL, or EBADF for no descriptor.

import * as E from "../../linux-abi/errno.ts";
import { CAP_SYS_ADMIN } from "../../linux-abi/capability.ts";
import {
  CLONE_FILES, CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME,
  CLONE_NEWUSER, CLONE_NEWUTS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
} from "../../linux-abi/sched.ts";
import { capable } from "../capabilities.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

const NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWTIME;
const UNSHARE_FLAGS = NAMESPACES | CLONE_THREAD | CLONE_FS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM;

/** Unshare implements Linux syscall unshare(2). */
export function sysUnshare(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  let flags = a.int(0);
  if (flags & ~UNSHARE_FLAGS) return -E.EINVAL;
  const p = t.process;
  const sharedWith = (same: (q: typeof p) => boolean): boolean => [...k.processes.values()].some((q) => q !== p && q.alive && same(q));
  if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) && p.threads.size > 1) return -E.EINVAL;
  if (flags & (CLONE_SIGHAND | CLONE_VM) && sharedWith((q) => q.handlers === p.handlers)) return -E.EINVAL;
  if (flags & CLONE_VM && sharedWith((q) => q.memory === p.memory)) return -E.EINVAL;
  if (flags & CLONE_NEWUSER) return -E.EINVAL;
  if (flags & NAMESPACES) return capable(t.creds, CAP_SYS_ADMIN) ? -E.EINVAL : -E.EPERM;
  if (flags & CLONE_NEWNS) flags |= CLONE_FS;
  if (flags & CLONE_FS) p.fs = p.fs.copy();
  if (flags & CLONE_FILES && p.fds.shared) p.fds = p.fds.unshare();
  return 0;
}

/** Setns implements Linux syscall setns(2): no descriptor names a namespace here. */
export function sysSetns(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return t.process.fds.get(a.int(0)) ? -E.EINVAL : -E.EBADF;
}
