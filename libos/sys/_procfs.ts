// The few /proc links a static libc consults before procfs proper exists:
// /proc/self/exe (glibc's static start-up reads it) and /proc/self/fd/N.

import type { Thread } from "../process.ts";

export function procReadlink(t: Thread, path: string): string | null {
  const m = /^\/proc\/(self|\d+)\/(exe|cwd|fd\/(\d+))$/.exec(path);
  if (!m) return null;
  const p = t.process;
  if (m[1] !== "self" && Number(m[1]) !== p.pid) return null;
  if (m[2] === "exe") return p.exe;
  if (m[2] === "cwd") return p.cwd;
  const f = p.fds.get(Number(m[3]));
  return f ? f.ops.path : null;
}
