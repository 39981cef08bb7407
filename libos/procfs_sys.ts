// /proc/sys: the sysctl values programs commonly read, each a line of text. Read-only
// (a write fails with EIO as for other global files) but for the tunables the user
// kernel's services register (intSysctl: keys, message queues, inotify, pipe-max-size,
// lease-break-time), which root may write (mode 0644); the IPC limits are the
// namespace's (linux-abi/ipc.ts), pid_max the kernel-task's.
// Linux: kernel/sysctl.c, ipc/ipc_sysctl.c, fs/file_table.c, mm/util.c.

import { randomUUID } from "node:crypto";
import { release, version } from "node:os";
import { MSGMAX, MSGMNB, MSGMNI, SEMMNI, SEMMNS, SEMMSL, SEMOPM, SHMALL, SHMMAX, SHMMNI } from "../linux-abi/ipc.ts";
import { NGROUPS_MAX } from "./creds.ts";
import { NR_OPEN } from "./rlimits.ts";
import type { UtsNames } from "./uts.ts";
import { EINVAL } from "../linux-abi/errno.ts";

/** A sysctl a service owns: its text, and for a tunable, how a write sets it (0 or -errno). */
export interface Sysctl {
  readonly path: string;
  text(): string;
  write?(value: string): number;
}

/**
 * A tunable integer (proc_dointvec_minmax): a write of one decimal number within
 * [min, max], surrounded by blanks, sets it; anything else is EINVAL.
 */
export function intSysctl(path: string, get: () => number, set: (n: number) => void, min = 0, max = 0x7fffffff): Sysctl {
  return {
    path,
    text: () => `${get()}\n`,
    write(value) {
      const m = /^\s*(-?\d+)\s*$/.exec(value);
      const n = m ? Number(m[1]) : NaN;
      if (!(n >= min && n <= max)) return -EINVAL;
      set(n);
      return 0;
    },
  };
}

/** The kernel-task's largest pid plus one (process_table.ts allocates below it). */
export const PID_MAX = 32768;

/** Every file under /proc/sys by its path there: the fixed ones and the services' `tunables`. */
export function sysctlFiles(uts: UtsNames, tunables: readonly Sysctl[]): ReadonlyMap<string, Sysctl> {
  const bootId = randomUUID();
  const entries: [string, () => string | number | bigint][] = [
    ["kernel/hostname", () => uts.hostname],
    ["kernel/domainname", () => uts.domainname],
    ["kernel/osrelease", release],
    ["kernel/ostype", () => "Linux"],
    ["kernel/version", version],
    ["kernel/pid_max", () => PID_MAX],
    ["kernel/threads-max", () => PID_MAX],
    ["kernel/ngroups_max", () => NGROUPS_MAX],
    ["kernel/cap_last_cap", () => 40],
    // No module, no forced load, nothing that taints: 0.
    ["kernel/tainted", () => 0],
    ["kernel/core_pattern", () => "core"],
    ["kernel/printk", () => "4\t4\t1\t7"],
    ["kernel/random/boot_id", () => bootId],
    ["kernel/random/uuid", randomUUID],
    ["kernel/random/entropy_avail", () => 256],
    ["kernel/random/poolsize", () => 256],
    ["kernel/shmmax", () => SHMMAX],
    ["kernel/shmall", () => SHMALL],
    ["kernel/shmmni", () => SHMMNI],
    ["kernel/sem", () => `${SEMMSL}\t${SEMMNS}\t${SEMOPM}\t${SEMMNI}`],
    ["kernel/msgmax", () => MSGMAX],
    ["kernel/msgmnb", () => MSGMNB],
    ["kernel/msgmni", () => MSGMNI],
    ["kernel/yama/ptrace_scope", () => 1],
    ["vm/overcommit_memory", () => 0],
    ["vm/overcommit_ratio", () => 50],
    ["vm/max_map_count", () => 65530],
    ["vm/swappiness", () => 60],
    ["fs/nr_open", () => NR_OPEN],
    ["fs/file-max", () => "9223372036854775807"],
    // permission.ts: hard links are restricted (mayLink); symlinks, FIFOs and files in sticky directories are not.
    ["fs/protected_hardlinks", () => 1],
    ["fs/protected_symlinks", () => 0],
    ["fs/protected_fifos", () => 0],
    ["fs/protected_regular", () => 0],
    ["net/core/somaxconn", () => 4096],
  ];
  const files = new Map<string, Sysctl>(entries.map(([path, value]) => [path, { path, text: () => `${value()}\n` }]));
  for (const t of tunables) files.set(t.path, t);
  return files;
}
