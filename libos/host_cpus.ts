// What the guest learns about the host's processors: how many there are (sched_getaffinity,
// /proc/cpuinfo, /proc/stat), the load average and the time they spent (/proc/loadavg,
// /proc/stat), so nproc, top and a thread pool sized to the machine see the host. The
// user kernel's threads run on one host thread; these are the host's figures.

import { availableParallelism, cpus, loadavg } from "node:os";

/** Processors the guest is told about: the host's, at most 1024 (a 128-byte mask). */
export function cpuCount(): number {
  return Math.max(1, Math.min(1024, availableParallelism()));
}

/** "0" or "0-N" (a cpulist, as /proc/PID/status Cpus_allowed_list writes it). */
export function cpuList(): string {
  const n = cpuCount();
  return n === 1 ? "0" : `0-${n - 1}`;
}

/** The affinity mask of every CPU, as /proc/PID/status Cpus_allowed writes it (hex, 32-bit groups). */
export function cpuMaskHex(): string {
  const n = cpuCount();
  const words: string[] = [];
  for (let bit = 0; bit < n; bit += 32) words.unshift((2 ** Math.min(32, n - bit) - 1).toString(16));
  return words.map((w, i) => (i === 0 ? w : w.padStart(8, "0"))).join(",");
}

/** 1, 5 and 15 minute load averages of the host. */
export const hostLoad = (): number[] => loadavg();

/** Per-CPU times in USER_HZ ticks (1/100 s): user, nice, system, idle, irq. */
export function cpuTicks(): { user: number; nice: number; sys: number; idle: number; irq: number }[] {
  const tick = (ms: number): number => Math.floor(ms / 10);
  return cpus().slice(0, cpuCount()).map(({ times: t }) => ({ user: tick(t.user), nice: tick(t.nice), sys: tick(t.sys), idle: tick(t.idle), irq: tick(t.irq) }));
}
