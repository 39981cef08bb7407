import { describe, expect, it } from "vitest";
import { initialCredentials } from "../../../libos/creds.ts";
import { ProcessTable } from "../../../libos/process_table.ts";
import { Thread, type Process } from "../../../libos/process.ts";
import { EPERM, ESRCH } from "../../../linux-abi/errno.ts";
import { RLIMIT_NPROC } from "../../../linux-abi/resource.ts";
import { makeProcess, makeThread } from "./_fake_process.ts";

/** A table whose released process records are counted. */
function table(): { table: ProcessTable; released: () => number } {
  let released = 0;
  const t = new ProcessTable({ releaseProcess: () => void released++ }, { threadGone() {} });
  return { table: t, released: () => released };
}

/** `p` (and its first thread) in the table. */
function enter(tbl: ProcessTable, p: Process): Process {
  tbl.processes.set(p.pid, p);
  const t = p.threads.get(p.pid) ?? makeThread(p);
  tbl.register(t);
  return p;
}

describe("ProcessTable", () => {
  it("allocPid() hands out ids in turn and skips ones a thread or process still holds", () => {
    const { table: tbl } = table();
    expect(tbl.allocPid()).toBe(1);
    const p = makeProcess();
    tbl.processes.set(2, p);
    expect(tbl.allocPid()).toBe(3);
  });

  it("unregister() moves a thread's CPU time to its process", () => {
    const { table: tbl } = table();
    const p = enter(tbl, makeProcess());
    const t = p.threads.get(p.pid)!;
    t.cpuUs = 42;
    tbl.unregister(t);
    expect(tbl.threads.has(t.tid)).toBe(false);
    expect(p.threads.size).toBe(0);
    expect(p.endedThreadsCpuUs).toBe(42);
  });

  it("reap() removes a zombie, gives its CPU time (and its children's) to the parent and releases its record", () => {
    const { table: tbl, released } = table();
    const parent = enter(tbl, makeProcess());
    const child = enter(tbl, makeProcess(undefined, parent));
    parent.children.add(child);
    child.endedThreadsCpuUs = 5;
    child.childrenCpuUs = 7;
    child.threads.clear();
    child.state = "zombie";
    tbl.reap(child);
    expect(tbl.processes.has(child.pid)).toBe(false);
    expect(child.state).toBe("reaped");
    expect(parent.children.has(child)).toBe(false);
    expect(parent.childrenCpuUs).toBe(12);
    expect(released()).toBe(1);
  });

  it("reaperFor(): the nearest living subreaper above, else init", () => {
    const { table: tbl } = table();
    const init = enter(tbl, makeProcess());
    tbl.init = init;
    const top = makeProcess(undefined, init);
    const mid = makeProcess(undefined, top);
    const leaf = makeProcess(undefined, mid);
    expect(tbl.reaperFor(leaf)).toBe(init);
    top.childSubreaper = true;
    expect(tbl.reaperFor(leaf)).toBe(top);
    mid.childSubreaper = true;
    mid.state = "zombie";
    expect(tbl.reaperFor(leaf)).toBe(top);
  });

  it("setsid() makes a session of one group; its leader can no longer setpgid, and a group leader cannot setsid", () => {
    const { table: tbl } = table();
    const p = enter(tbl, makeProcess());
    const t = p.threads.get(p.pid)!;
    expect(tbl.setsid(t)).toBe(p.pid);
    expect([p.sid, p.pgid, p.ctty]).toEqual([p.pid, p.pid, null]);
    expect(tbl.setsid(t)).toBe(-EPERM);
    expect(tbl.setpgid(t, 0, 0)).toBe(-EPERM);
    expect(tbl.processGroup(p.pid)).toEqual([p]);
  });

  it("setpgid() moves the caller or its child within the session, and no one else", () => {
    const { table: tbl } = table();
    const parent = enter(tbl, makeProcess());
    const child = enter(tbl, makeProcess(undefined, parent));
    const stranger = enter(tbl, makeProcess());
    const t = parent.threads.get(parent.pid)!;
    expect(tbl.setpgid(t, child.pid, 0)).toBe(0);
    expect(child.pgid).toBe(child.pid);
    expect(tbl.setpgid(t, 0, child.pid)).toBe(0);
    expect(parent.pgid).toBe(child.pid);
    expect(tbl.setpgid(t, stranger.pid, 0)).toBe(-ESRCH);
    expect(tbl.setpgid(t, 99999, 0)).toBe(-ESRCH);
    expect(tbl.setpgid(t, 0, 77777)).toBe(-EPERM);
  });

  it("overProcessLimit(): RLIMIT_NPROC counts the real uid's threads; root is exempt", () => {
    const { table: tbl } = table();
    const p = enter(tbl, makeProcess());
    p.rlimits.set(RLIMIT_NPROC, { rlim_cur: 2, rlim_max: 2 });
    const user = initialCredentials(1000, 1000, []);
    const t = new Thread(p.pid + 100, p, user);
    tbl.register(t);
    expect(tbl.overProcessLimit(t)).toBe(false);
    tbl.register(new Thread(p.pid + 101, p, user));
    expect(tbl.overProcessLimit(t)).toBe(true);
    expect(tbl.overProcessLimit(p.threads.get(p.pid)!)).toBe(false);
  });
});
