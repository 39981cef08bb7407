// pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2). Linux: kernel/pid.c,
// kernel/signal.c. The pidfd itself is libos/pidfd.ts; waitid(P_PIDFD) is sys_clone.ts's.

import * as E from "../../linux-abi/errno.ts";
import { O_EXCL, O_NONBLOCK, O_RDWR } from "../../linux-abi/fcntl.ts";
import { SIZEOF_SIGINFO, SI_TKILL, SI_USER, decodeSiginfo, type Siginfo } from "../../linux-abi/siginfo.ts";
import { _NSIG as NSIG } from "../../linux-abi/signal.ts";
import { OpenFile } from "../file.ts";
import { PROT_READ } from "../memory.ts";
import { PidFd, pidfdProcess } from "../pidfd.ts";
import type { Process, Thread } from "../process.ts";
import { mayPrlimit } from "../rlimits.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

const PIDFD_NONBLOCK = O_NONBLOCK;
const PIDFD_THREAD = O_EXCL;
// pidfd_send_signal's scopes: at most one.
const PIDFD_SIGNAL_THREAD = 1, PIDFD_SIGNAL_THREAD_GROUP = 2, PIDFD_SIGNAL_PROCESS_GROUP = 4;
const SIGNAL_SCOPES = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;

/** PidfdOpen implements Linux syscall pidfd_open(2): always close-on-exec. */
export function sysPidfdOpen(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0), flags = a.uint(1);
  if (flags & ~(PIDFD_NONBLOCK | PIDFD_THREAD)) return -E.EINVAL;
  if (pid <= 0) return -E.EINVAL;
  const byThread = (flags & PIDFD_THREAD) !== 0;
  const p = k.processes.get(pid);
  const thread = k.threads.get(pid) ?? null;
  if (!p) {
    // A thread's id names no thread group: a pidfd only with PIDFD_THREAD.
    if (!thread) return -E.ESRCH;
    return byThread ? install(t, new PidFd(thread.process, thread), flags) : -E.EINVAL;
  }
  return install(t, new PidFd(p, byThread ? thread : null), flags);
}

function install(t: Thread, pidfd: PidFd, flags: number): number {
  return t.process.fds.install(new OpenFile(pidfd, O_RDWR | (flags & (PIDFD_NONBLOCK | PIDFD_THREAD))), true);
}

/** The process the descriptor names: -EBADF for no descriptor or one that is not a pidfd. */
function processOf(t: Thread, fd: number): Process | number {
  const f = t.process.fds.getOpen(fd);
  return (f && pidfdProcess(f)) ?? -E.EBADF;
}

/**
 * PidfdSendSignal implements Linux syscall pidfd_send_signal(2): kill(2) through a pidfd
 * (or an open /proc/PID directory), with rt_sigqueueinfo's siginfo when one is given.
 */
export function sysPidfdSendSignal(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sig = a.int(1), infoAddr = a.ptr(2), flags = a.uint(3);
  if (flags & ~SIGNAL_SCOPES) return -E.EINVAL;
  if ((flags & (flags - 1)) !== 0) return -E.EINVAL;
  const f = t.process.fds.getOpen(a.int(0));
  const p = f ? pidfdProcess(f) : null;
  if (!f || !p) return -E.EBADF;
  const threadScope = flags === 0 ? (f.flags & PIDFD_THREAD) !== 0 : flags === PIDFD_SIGNAL_THREAD;
  const named = f.ops instanceof PidFd ? f.ops.thread : null;
  let info: Siginfo;
  if (infoAddr) {
    const raw = t.process.memory.view(infoAddr, SIZEOF_SIGINFO, PROT_READ);
    if (!raw) return -E.EFAULT;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (view.getInt32(0, true) !== sig) return -E.EINVAL;
    info = decodeSiginfo(view, 0);
    // Only the kernel and kill(2) may use these codes, except towards oneself.
    if ((p !== t.process || threadScope) && (info.si_code >= 0 || info.si_code === SI_TKILL)) return -E.EPERM;
  } else {
    info = { layout: "kill", si_signo: sig, si_errno: 0, si_code: SI_USER, si_pid: t.process.pid, si_uid: t.creds.uid };
  }
  if (p.state === "reaped") return -E.ESRCH;
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  if (flags === PIDFD_SIGNAL_PROCESS_GROUP) return k.kill(t, -p.pgid, info);
  const target = threadScope ? named ?? p.threads.values().next().value ?? null : null;
  if (threadScope && (!target || target.dead)) return -E.ESRCH;
  const allowed = k.mayKill(t, p, target, sig);
  if (allowed < 0 || sig === 0 || !p.alive) return allowed;
  k.sendSignal(p, info, target);
  return 0;
}

/**
 * PidfdGetfd implements Linux syscall pidfd_getfd(2): a duplicate of another process's
 * descriptor, close-on-exec, for a caller with ptrace's rights over it (its ids, or root).
 */
export function sysPidfdGetfd(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (a.uint(2) !== 0) return -E.EINVAL;
  const p = processOf(t, a.int(0));
  if (typeof p === "number") return p;
  if (p.state === "reaped") return -E.ESRCH;
  if (p !== t.process && !mayPrlimit(t.creds, p.creds)) return -E.EPERM;
  // An exited process has closed its descriptors.
  if (!p.alive) return -E.ESRCH;
  const f = p.fds.get(a.int(1));
  if (!f) return -E.EBADF;
  return t.process.fds.install(f.ref(), true);
}
