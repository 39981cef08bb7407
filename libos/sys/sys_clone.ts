// Process lifetime: clone, clone3, fork, vfork, execve, execveat, wait4, waitid.
// Linux: kernel/fork.c, fs/exec.c, kernel/exit.c. The work is the kernel-task's
// (clone.ts, exec.ts, exit.ts, process_table.ts reap); these handlers decode arguments
// and encode results.

import * as E from "../../linux-abi/errno.ts";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_NONBLOCK } from "../../linux-abi/fcntl.ts";
import { CLONE_ARGS_SIZE_VER0, CLONE_VFORK, CLONE_VM, CSIGNAL, decodeCloneArgs } from "../../linux-abi/sched.ts";
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIZEOF_SIGINFO, encodeSiginfo } from "../../linux-abi/siginfo.ts";
import { SIGCHLD, SIGCONT, _NSIG as NSIG } from "../../linux-abi/signal.ts";
import { P_ALL, P_PGID, P_PID, P_PIDFD, WCONTINUED, WEXITED, WNOHANG, WNOWAIT, WSTOPPED, WUNTRACED, __WALL, __WCLONE, __WNOTHREAD } from "../../linux-abi/wait.ts";
import { SIZEOF_RUSAGE, encodeRusage } from "../../linux-abi/resource.ts";
import { PROT_READ } from "../memory.ts";
import { pidfdProcess } from "../pidfd.ts";
import type { Process, Thread } from "../process.ts";
import { AGAIN, sleep } from "../wait_queue.ts";
import type { SyscallArgs } from "./args.ts";
import { NO_REPLY, type KernelServices, type SyscallResult } from "./context.ts";
import { lookupAt, readPath } from "./_path.ts";
import { S_IFLNK, S_IFMT } from "../../linux-abi/stat.ts";
import { putStruct } from "./_struct.ts";
import { rusage } from "./sys_time.ts";
import { softLimit } from "../rlimits.ts";
import { RLIMIT_STACK } from "../../linux-abi/resource.ts";

const ARGV_MAX = 0x7fffffff;

/** Clone implements Linux syscall clone(2) (x86-64 order: flags, stack, ptid, ctid, tls). */
export function sysClone(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.ptr(0);
  return k.clone(t, flags, a.ptr(1), a.ptr(2), a.ptr(3), a.ptr(4), flags & CSIGNAL);
}

/** Clone3 implements Linux syscall clone3(2). */
export function sysClone3(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const addr = a.ptr(0), size = a.size(1);
  if (size < CLONE_ARGS_SIZE_VER0 || size > 4096) return -E.EINVAL;
  const raw = t.process.memory.view(addr, size, PROT_READ);
  if (!raw) return -E.EFAULT;
  const args = decodeCloneArgs(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0, size);
  if (args.exit_signal > NSIG || (args.stack === 0 && args.stack_size !== 0)) return -E.EINVAL;
  if (args.set_tid !== 0 || args.cgroup !== 0) return -E.EINVAL;
  const stackTop = args.stack ? args.stack + args.stack_size : 0;
  return k.clone(t, args.flags, stackTop, args.parent_tid, args.child_tid, args.tls, args.exit_signal);
}

/** Fork implements Linux syscall fork(2). */
export const sysFork = (k: KernelServices, t: Thread): SyscallResult => k.clone(t, 0, 0, 0, 0, 0, SIGCHLD);

/** Vfork implements Linux syscall vfork(2): the parent waits until the child execs or exits. */
export const sysVfork = (k: KernelServices, t: Thread): SyscallResult => k.clone(t, CLONE_VM | CLONE_VFORK, 0, 0, 0, 0, SIGCHLD);

/** Linux's MAX_ARG_STRLEN: one argument or environment string, its NUL included. */
const MAX_ARG_STRLEN = 32 * 4096;
/** _STK_LIM / 4 * 3 and ARG_MAX: the bounds of the room execve gives the strings (bprm_stack_limits). */
const ARG_ROOM_MAX = 6 * 1024 * 1024;
const ARG_ROOM_MIN = 32 * 4096;

/** A NULL-terminated array of string pointers (argv, envp). */
function readStrings(t: Thread, addr: number): string[] | number {
  const out: string[] = [];
  if (addr === 0) return out;
  const mem = t.process.memory;
  for (let i = 0; i < ARGV_MAX; i++) {
    const p = mem.u64(addr + i * 8);
    if (p === null) return -E.EFAULT;
    if (p === 0) return out;
    const s = mem.readCString(p, MAX_ARG_STRLEN);
    // No NUL in MAX_ARG_STRLEN readable bytes: too long; a fault before: EFAULT.
    if (s === null) return mem.covers(p, MAX_ARG_STRLEN, PROT_READ) ? -E.E2BIG : -E.EFAULT;
    out.push(s);
  }
  return -E.E2BIG;
}

/**
 * bprm_stack_limits and copy_strings: the strings (the file name's too) and the pointers to
 * them must fit in a quarter of RLIMIT_STACK, at most 6 MiB, at least 128 KiB.
 */
function argsFit(t: Thread, given: string, argv: string[], envp: string[]): boolean {
  const room = Math.max(Math.min(ARG_ROOM_MAX, softLimit(t.process, RLIMIT_STACK) / 4), ARG_ROOM_MIN);
  const pointers = (Math.max(argv.length, 1) + envp.length) * 8;
  let strings = given.length + 1;
  for (const s of argv) strings += s.length + 1;
  for (const s of envp) strings += s.length + 1;
  return pointers < room && strings <= room - pointers;
}

function doExecve(k: KernelServices, t: Thread, given: string, path: string | number, argvAddr: number, envpAddr: number): SyscallResult {
  if (typeof path === "number") return path;
  const argv = readStrings(t, argvAddr);
  if (typeof argv === "number") return argv;
  const envp = readStrings(t, envpAddr);
  if (typeof envp === "number") return envp;
  if (!argsFit(t, given, argv, envp)) return -E.E2BIG;
  return k.execve(t, path, given, argv, envp);
}

/**
 * The program (dirfd, path) names, looked up as the caller (_path.ts). With
 * AT_SYMLINK_NOFOLLOW a last symlink is not followed: ELOOP.
 */
function programAt(k: KernelServices, t: Thread, dirfd: number, path: string, flags: number): string | number {
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  const lk = lookupAt(k, t, dirfd, path, follow ? "follow" : "nofollow", { allowEmpty: (flags & AT_EMPTY_PATH) !== 0 });
  if (typeof lk === "number" || follow) return typeof lk === "number" ? lk : lk.path;
  const st = lk.found?.st ?? k.vfs.call(lk.path, (fs, inner) => fs.stat(inner, false));
  if (st === null) return -E.ENOENT;
  if (typeof st === "number") return st;
  return (st.mode & S_IFMT) === S_IFLNK ? -E.ELOOP : lk.path;
}

/** Execve implements Linux syscall execve(2). */
export function sysExecve(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const p = readPath(t, a.ptr(0));
  if (typeof p === "number") return p;
  return doExecve(k, t, p, programAt(k, t, AT_FDCWD, p, 0), a.ptr(1), a.ptr(2));
}

/** Execveat implements Linux syscall execveat(2). */
export function sysExecveat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(4);
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -E.EINVAL;
  const p = readPath(t, a.ptr(1));
  if (typeof p === "number") return p;
  return doExecve(k, t, p, programAt(k, t, a.int(0), p, flags), a.ptr(2), a.ptr(3));
}

/** Exit implements Linux syscall exit(2): ends the calling thread. */
export function sysExit(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  k.exitThread(t, a.int(0) & 0xff);
  return NO_REPLY;
}

/** ExitGroup implements Linux syscall exit_group(2). */
export function sysExitGroup(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  k.exitProcess(t.process, a.int(0) & 0xff, 0);
  return NO_REPLY;
}

type Which = { kind: "any" } | { kind: "pid"; id: number } | { kind: "pgid"; id: number };

interface ChildEvent {
  child: Process;
  code: number;
  /** Exit code or signal, as waitid's si_status. */
  status: number;
  /** wait4's status word. */
  wstatus: number;
}

/**
 * The first child matching `which` with something to report, under `options`; consumes
 * the report unless WNOWAIT. AGAIN: matching children exist but none has news; ECHILD: none.
 */
function findChildEvent(k: KernelServices, parent: Process, which: Which, options: number): ChildEvent | number {
  let any = false;
  for (const c of parent.children) {
    if (which.kind === "pid" && c.pid !== which.id) continue;
    if (which.kind === "pgid" && c.pgid !== which.id) continue;
    // __WCLONE selects children that report with a signal other than SIGCHLD.
    if (!(options & __WALL) && (c.exitSignal !== SIGCHLD) !== ((options & __WCLONE) !== 0)) continue;
    any = true;
    if (c.state === "zombie" && options & WEXITED) {
      const code = c.killedBy ? (c.coreDumped ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
      const ev = { child: c, code, status: c.killedBy || c.exitCode, wstatus: c.waitStatus };
      if (!(options & WNOWAIT)) k.reap(c);
      return ev;
    }
    if (c.stopReport && options & WSTOPPED) {
      const ev = { child: c, code: CLD_STOPPED, status: c.stopReport, wstatus: (c.stopReport << 8) | 0x7f };
      if (!(options & WNOWAIT)) c.stopReport = 0;
      return ev;
    }
    if (c.continuedReport && options & WCONTINUED) {
      if (!(options & WNOWAIT)) c.continuedReport = false;
      return { child: c, code: CLD_CONTINUED, status: SIGCONT, wstatus: 0xffff };
    }
  }
  return any ? AGAIN : -E.ECHILD;
}

function waitFor(k: KernelServices, t: Thread, which: Which, options: number, report: (ev: ChildEvent) => number): number | Promise<number> {
  const p = t.process;
  const attempt = (): number => {
    const ev = findChildEvent(k, p, which, options);
    if (typeof ev !== "number") return report(ev);
    return ev === AGAIN && options & WNOHANG ? 0 : ev;
  };
  return sleep(t, [p.childEvents], attempt);
}

/** Wait4 implements Linux syscall wait4(2). */
export function sysWait4(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const pid = a.int(0), statusAddr = a.ptr(1), options = a.int(2), rusageAddr = a.ptr(3);
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) return -E.EINVAL;
  // -INT_MIN names no process group (Linux checks it before negating).
  if (pid === -0x80000000) return -E.ESRCH;
  const which: Which = pid === -1 ? { kind: "any" } : pid > 0 ? { kind: "pid", id: pid } : { kind: "pgid", id: pid === 0 ? t.process.pgid : -pid };
  return waitFor(k, t, which, options | WEXITED, (ev) => {
    const mem = t.process.memory;
    if (statusAddr) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, ev.wstatus, true);
      if (!mem.write(statusAddr, b)) return -E.EFAULT;
    }
    if (rusageAddr && !putStruct(mem, rusageAddr, SIZEOF_RUSAGE, encodeRusage, rusage(ev.child.cpuUs + ev.child.childrenCpuUs, 0, 0))) return -E.EFAULT;
    return ev.child.pid;
  });
}

/** Waitid implements Linux syscall waitid(2). */
export function sysWaitid(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const idtype = a.int(0), id = a.int(1), infoAddr = a.ptr(2), options = a.int(3);
  if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) return -E.EINVAL;
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) return -E.EINVAL;
  let which: Which | null = idtype === P_ALL ? { kind: "any" } : idtype === P_PID ? { kind: "pid", id }
    : idtype === P_PGID ? { kind: "pgid", id: id === 0 ? t.process.pgid : id } : null;
  // P_PIDFD: the pidfd's process; a pidfd opened O_NONBLOCK makes the wait WNOHANG, and
  // then nothing to report is EAGAIN.
  let pidfdNonblock = false;
  if (idtype === P_PIDFD) {
    if (id < 0) return -E.EINVAL;
    const f = t.process.fds.getOpen(id);
    const p = f ? pidfdProcess(f) : null;
    if (!f || !p) return -E.EBADF;
    which = { kind: "pid", id: p.pid };
    pidfdNonblock = (f.flags & O_NONBLOCK) !== 0 && !(options & WNOHANG);
  }
  if (!which) return -E.EINVAL;
  const mem = t.process.memory;
  const r = waitFor(k, t, which, pidfdNonblock ? options | WNOHANG : options, (ev) => {
    if (infoAddr) {
      const b = new Uint8Array(SIZEOF_SIGINFO);
      encodeSiginfo(new DataView(b.buffer), 0, {
        layout: "chld", si_signo: SIGCHLD, si_errno: 0, si_code: ev.code, si_pid: ev.child.pid, si_uid: ev.child.creds.uid,
        si_status: ev.status, si_utime: 0, si_stime: 0,
      });
      if (!mem.write(infoAddr, b)) return -E.EFAULT;
    }
    // The child's pid tells a report from "nothing yet" (0); waitid answers 0 for both.
    return ev.child.pid;
  });
  // WNOHANG with nothing to report: the siginfo's si_pid reads 0.
  if (r === 0 && infoAddr && (options & WNOHANG || pidfdNonblock)) mem.write(infoAddr, new Uint8Array(SIZEOF_SIGINFO));
  if (r === 0 && pidfdNonblock) return -E.EAGAIN;
  return typeof r === "number" ? Math.min(r, 0) : r.then((n) => Math.min(n, 0));
}
