// /proc/sys: the sysctl values programs commonly read, each a line of text. Read-only
// (a write fails with EIO as for other global files); the IPC limits are the namespace's
// (linux-abi/ipc.ts), pid_max the kernel-task's.
// Linux: kernel/sysctl.c, ipc/ipc_sysctl.c, fs/file_table.c, mm/util.c.

import { randomUUID } from "node:crypto";
import { release, version } from "node:os";
import { MSGMAX, MSGMNB, MSGMNI, SEMMNI, SEMMNS, SEMMSL, SEMOPM, SHMALL, SHMMAX, SHMMNI } from "../linux-abi/ipc.ts";
import { NGROUPS_MAX } from "./creds.ts";
import { NR_OPEN } from "./rlimits.ts";
import { PIPE_MAX_SIZE } from "./pipe.ts";
import { LEASE_BREAK_SECONDS } from "./lease.ts";
import type { UtsNames } from "./uts.ts";

/** The kernel-task's largest pid plus one (kernel_task.ts allocates below it). */
export const PID_MAX = 32768;

/** Every file under /proc/sys by its path there, and how to produce its text. */
export function sysctlFiles(uts: UtsNames): ReadonlyMap<string, () => string> {
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
    ["fs/pipe-max-size", () => PIPE_MAX_SIZE],
    ["fs/lease-break-time", () => LEASE_BREAK_SECONDS],
    // permission.ts: hard links are restricted (mayLink); symlinks, FIFOs and files in sticky directories are not.
    ["fs/protected_hardlinks", () => 1],
    ["fs/protected_symlinks", () => 0],
    ["fs/protected_fifos", () => 0],
    ["fs/protected_regular", () => 0],
    ["net/core/somaxconn", () => 4096],
  ];
  return new Map(entries.map(([path, value]) => [path, () => `${value()}\n`]));
}
