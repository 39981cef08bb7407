// `--stats`: what each task of a user kernel did, as plain data (it travels from a worker
// thread in a boot summary, and feeds the boot report) and as `libos: stats:` lines.
//
//   RunStats      one user kernel: its totals, its tasks, its endpoints
//   statsLines()  the lines; each is `libos: stats: [KERNEL] WHAT: FIELDS` (no [KERNEL]
//                 under `libos run`), so another fact about the run is one more line
//
// Tasks: each guest process (CPU time, syscalls by name), the kernel-task (the syscalls
// it served and the time it spent in them, inside the guest's runs or after), the
// fs-task (the requests it served: none travel in inproc mode, where it is the
// kernel-task's own calls), the net-task (its mode, and how often it died). Endpoints: the messages through each, calls in and replies
// out (microkernel IPC, or the worker's shared ring).

import type { EndpointTraffic } from "./ipc_recorder.ts";

export interface TaskStats {
  name: string;
  kind: "program" | "kernel-task" | "fs-task" | "net-task";
  /** Guest processes: the pid. */
  pid?: number;
  cpuUs?: number;
  /** Syscalls made (a program) or served (the kernel-task), by name, most frequent first. */
  syscalls?: [string, number][];
  /** fs-task, net-task: its mode; fs-task: the requests it served. */
  mode?: string;
  requests?: number;
  /** fs-task, net-task: times it died and was started again. */
  restarts?: number;
}

export interface RunStats {
  kernel: string;
  /** Since the user kernel booted, ms. */
  elapsedMs: number;
  cpuUs: number;
  syscalls: number;
  tasks: TaskStats[];
  endpoints: EndpointTraffic[];
}

const ms = (us: number): string => `${(us / 1000).toFixed(1)} ms`;

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** A syscall mix: every name with its count. */
function mix(list: readonly [string, number][]): string {
  return list.map(([name, n]) => `${name} ${n}`).join(", ");
}

function taskLine(t: TaskStats): string {
  const total = t.syscalls?.reduce((sum, [, n]) => sum + n, 0) ?? 0;
  switch (t.kind) {
    case "program":
      return `task ${t.name} (pid ${t.pid}): cpu ${ms(t.cpuUs ?? 0)}, ${total} syscalls${total > 0 ? `: ${mix(t.syscalls!)}` : ""}`;
    case "kernel-task":
      return `task ${t.name}: ${total} syscalls served, ${ms(t.cpuUs ?? 0)} in them`;
    case "fs-task":
      return `task ${t.name}: ${t.mode} mode, ${t.mode === "inproc" ? "direct calls from the kernel-task" : `${t.requests ?? 0} requests`}${restarted(t)}`;
    case "net-task":
      return `task ${t.name}: ${t.mode} mode${restarted(t)}`;
  }
}

function restarted(t: TaskStats): string {
  return t.restarts ? `, restarted ${t.restarts} time${t.restarts === 1 ? "" : "s"}` : "";
}

export function statsLines(s: RunStats, tagged: boolean): string[] {
  const head = `libos: stats: ${tagged ? `[${s.kernel}] ` : ""}`;
  const messages = s.endpoints.reduce((sum, e) => sum + e.calls.messages + e.replies.messages, 0);
  return [
    `${head}kernel: cpu ${(s.cpuUs / 1e6).toFixed(2)} s, ${s.syscalls} syscalls, ${messages} messages in ${(s.elapsedMs / 1000).toFixed(2)} s`,
    ...s.tasks.map((t) => head + taskLine(t)),
    ...s.endpoints.map((e) => `${head}endpoint ${e.server}: ${e.calls.messages} calls (${kib(e.calls.bytes)}), ${e.replies.messages} replies (${kib(e.replies.bytes)})`),
  ];
}
