// Resource limits (Linux: kernel/sys.c do_prlimit, and where each limit is enforced).
//
// The first process starts with the launcher's own limits (read from the host's
// /proc/self/limits), so a guest sees what the same program run natively would; a fork
// copies its parent's. What each limit does here:
//   RLIMIT_NOFILE  the descriptor table's size (EMFILE at the soft limit); the hard limit
//                  may not pass NR_OPEN
//   RLIMIT_NPROC   clone/fork answer EAGAIN once the caller's real uid has that many tasks
//                  (uid 0, CAP_SYS_RESOURCE and CAP_SYS_ADMIN are exempt)
//   RLIMIT_AS      mmap, mremap and brk answer ENOMEM past it
//   RLIMIT_FSIZE   a write past it is cut short, one at it is EFBIG with SIGXFSZ, as is a
//                  truncate that grows a file past it
//   RLIMIT_STACK   the initial stack's size (at most STACK_SIZE: it does not grow) and the
//                  room execve gives arguments
//   RLIMIT_CORE    its soft limit reads 0: no core file is ever written
// The others are kept and reported.

import { readFileSync } from "node:fs";
import { EPERM } from "../linux-abi/errno.ts";
import {
  RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE,
  RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK, RLIM_INFINITY,
  RLIM_NLIMITS, type Rlimit,
} from "../linux-abi/resource.ts";
import { CAP_SYS_RESOURCE } from "../linux-abi/capability.ts";
import { capable } from "./capabilities.ts";
import type { Credentials } from "./creds.ts";
import type { Process } from "./process.ts";

/** Linux's fs.nr_open default: no descriptor table grows past it. */
export const NR_OPEN = 1024 * 1024;

const INF = RLIM_INFINITY;
/** When the host's limits cannot be read: a Linux login's usual ones. */
const DEFAULTS: ReadonlyMap<number, Rlimit> = new Map([
  [RLIMIT_STACK, { rlim_cur: 8 * 1024 * 1024, rlim_max: INF }],
  [RLIMIT_CORE, { rlim_cur: 0, rlim_max: INF }],
  [RLIMIT_NPROC, { rlim_cur: 4096, rlim_max: 4096 }],
  [RLIMIT_NOFILE, { rlim_cur: 1024, rlim_max: 4096 }],
  [RLIMIT_MEMLOCK, { rlim_cur: 8 * 1024 * 1024, rlim_max: 8 * 1024 * 1024 }],
  [RLIMIT_SIGPENDING, { rlim_cur: 4096, rlim_max: 4096 }],
  [RLIMIT_MSGQUEUE, { rlim_cur: 819200, rlim_max: 819200 }],
  [RLIMIT_NICE, { rlim_cur: 0, rlim_max: 0 }],
  [RLIMIT_RTPRIO, { rlim_cur: 0, rlim_max: 0 }],
]);
const UNLIMITED: Rlimit = { rlim_cur: INF, rlim_max: INF };

// The rows of /proc/self/limits, in RLIMIT_* order.
const HOST_ROWS: readonly [string, number][] = [
  ["Max cpu time", RLIMIT_CPU], ["Max file size", RLIMIT_FSIZE], ["Max data size", RLIMIT_DATA], ["Max stack size", RLIMIT_STACK],
  ["Max core file size", RLIMIT_CORE], ["Max resident set", RLIMIT_RSS], ["Max processes", RLIMIT_NPROC],
  ["Max open files", RLIMIT_NOFILE], ["Max locked memory", RLIMIT_MEMLOCK], ["Max address space", RLIMIT_AS],
  ["Max file locks", RLIMIT_LOCKS], ["Max pending signals", RLIMIT_SIGPENDING], ["Max msgqueue size", RLIMIT_MSGQUEUE],
  ["Max nice priority", RLIMIT_NICE], ["Max realtime priority", RLIMIT_RTPRIO], ["Max realtime timeout", RLIMIT_RTTIME],
];

/** The launcher's limits (the defaults where the host does not say), the soft core limit 0. */
export function hostLimits(): Map<number, Rlimit> {
  const limits = new Map<number, Rlimit>();
  let text = "";
  try {
    text = readFileSync("/proc/self/limits", "latin1");
  } catch {
    // Not Linux: the defaults.
  }
  const value = (s: string): number => (s === "unlimited" ? INF : Number(s));
  for (const [name, res] of HOST_ROWS) {
    const m = new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, "m").exec(text);
    const lim = m ? { rlim_cur: value(m[1]!), rlim_max: value(m[2]!) } : DEFAULTS.get(res);
    if (lim && !Number.isNaN(lim.rlim_cur) && !Number.isNaN(lim.rlim_max)) limits.set(res, lim);
  }
  const core = limits.get(RLIMIT_CORE);
  if (core) limits.set(RLIMIT_CORE, { ...core, rlim_cur: 0 });
  return limits;
}

export function limitOf(p: Process, res: number): Rlimit | null {
  return p.rlimits.get(res) ?? DEFAULTS.get(res) ?? (res >= 0 && res < RLIM_NLIMITS ? UNLIMITED : null);
}

/** The soft limit as a number (Infinity for RLIM_INFINITY). */
export function softLimit(p: Process, res: number): number {
  const cur = limitOf(p, res)?.rlim_cur ?? INF;
  return cur >= INF ? Infinity : cur;
}

/** do_prlimit's rules: soft ≤ hard; raising the hard limit needs CAP_SYS_RESOURCE. */
export function setLimit(p: Process, res: number, next: Rlimit, c: Credentials): number {
  const cur = limitOf(p, res)!;
  if (next.rlim_cur > next.rlim_max) return -22; // EINVAL
  if (next.rlim_max > cur.rlim_max && !capable(c, CAP_SYS_RESOURCE)) return -EPERM;
  if (res === RLIMIT_NOFILE && next.rlim_max > NR_OPEN) return -EPERM;
  p.rlimits.set(res, next);
  if (res === RLIMIT_NOFILE) p.fds.limit = Math.min(next.rlim_cur, NR_OPEN);
  return 0;
}

/**
 * check_prlimit_permission: another process's limits are for a caller whose real ids are
 * all of the target's real, effective and saved ones, or for CAP_SYS_RESOURCE.
 */
export function mayPrlimit(c: Credentials, target: Credentials): boolean {
  if (capable(c, CAP_SYS_RESOURCE)) return true;
  return c.uid === target.uid && c.uid === target.euid && c.uid === target.suid && c.gid === target.gid && c.gid === target.egid && c.gid === target.sgid;
}

/** may_expand_vm: `grow` more bytes of mappings keep the process within RLIMIT_AS. */
export function addressSpaceAllows(p: Process, grow: number): boolean {
  const limit = softLimit(p, RLIMIT_AS);
  if (limit === Infinity) return true;
  let total = grow;
  for (const v of p.memory.vmas) total += v.end - v.start;
  return total <= limit;
}

/**
 * generic_write_check_limits and inode_newsize_ok for RLIMIT_FSIZE: how many of `count`
 * bytes at `pos` of a regular file may be written; -1 when none (the caller sends SIGXFSZ
 * and answers EFBIG).
 */
export function fileSizeAllows(p: Process, pos: number, count: number): number {
  const limit = softLimit(p, RLIMIT_FSIZE);
  if (limit === Infinity) return count;
  return pos >= limit ? -1 : Math.min(count, limit - pos);
}
