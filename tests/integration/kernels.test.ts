// User kernels side by side in one host process (docs/architecture.md §5): numbering of
// their own, `libos boot` with its consoles, pipes and summaries, fair turns on one thread,
// threads of their own, fault containment, and their networks: links (in memory on one
// thread, frame rings across threads, in every net mode), a switch, segments kept apart.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { KernelSummary } from "../../libos/boot_kernel.ts";
import { BUSYBOX, CLI, ROOT, RUN_TIMEOUT_MS, ensureBuilt, makeTempDir } from "./_run.ts";

/** The lines tagged `name ` (or `[name] ` with `brackets`), without the tag. */
function linesOf(out: string, name: string, brackets = false): string[] {
  const tag = brackets ? `[${name}] ` : `${name} `;
  return out.split("\n").filter((l) => l.startsWith(tag)).map((l) => l.slice(tag.length));
}

/** `libos boot` on a description (after `options`); its summaries read back from --summary. */
function boot(description: string, ...options: string[]): { stdout: string; stderr: string; status: number | null; summaries: KernelSummary[] } {
  const { dir, cleanup } = makeTempDir("kernels-");
  const summary = join(dir, "summary.json");
  try {
    const r = spawnSync(process.execPath, [CLI, "boot", "--summary", summary, ...options, description], { encoding: "utf8", timeout: 4 * RUN_TIMEOUT_MS });
    let summaries: KernelSummary[] = [];
    try {
      summaries = JSON.parse(readFileSync(summary, "utf8")) as KernelSummary[];
    } catch {
      // No summary: the assertions on status say why.
    }
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, summaries };
  } finally {
    cleanup();
  }
}

function fixture(name: string, ...args: string[]): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  const script = join(ROOT, "tests/integration/fixtures/kernels", name);
  return spawnSync(process.execPath, [script, join(ROOT, "dist"), ...args], { encoding: "utf8", timeout: 2 * RUN_TIMEOUT_MS });
}

describe("user kernels side by side", () => {
  beforeAll(() => ensureBuilt());

  it("number their pids, devices, inodes and ptys as each would alone", () => {
    const r = fixture("numbering.mjs");
    expect(r.status, r.stderr).toBe(0);
    const alone = linesOf(r.stdout, "alone");
    expect(alone.map((l) => l.split(" ")[0])).toEqual(["pid", "child", "tmp", "mount", "pipe", "fifo", "pts", "root"]);
    expect(linesOf(r.stdout, "a")).toEqual(alone);
    expect(linesOf(r.stdout, "b")).toEqual(alone);
  });

  it("give their share back when they end: one root task with room for one kernel runs three in turn, each fs mode", () => {
    const r = fixture("reclaim.mjs");
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(1, -1)).toEqual(["inproc 20000", "ipc 20000", "worker 20000"]);
    const free = (line: string): number => Number(/^free (?:before|after) (\d+)$/.exec(line)?.[1]);
    expect(free(lines.at(-1)!)).toBe(free(lines[0]!));
    expect(free(lines[0]!)).toBeGreaterThan(0);
  });

  it("boot pipeline.json: a byte pipe from a kernel on the main thread to one on a worker thread", () => {
    const r = boot(join(ROOT, "samples/systems/pipeline.json"));
    expect(r.status, r.stderr).toBe(0);
    let lines = "";
    for (let i = 1; i <= 100000; i++) lines += `${i}\n`;
    expect(linesOf(r.stdout, "consumer", true)).toEqual(["lines 100000", `${createHash("md5").update(lines).digest("hex")}  -`]);
    expect(linesOf(r.stderr, "producer", true)).toEqual(["compressed"]);
    expect(r.summaries.map((s) => [s.name, s.thread, s.status, s.failure])).toEqual([["producer", "main", 0, null], ["consumer", "worker", 0, null]]);
    expect(r.summaries[0]!.hostThread).not.toBe(r.summaries[1]!.hostThread);
    for (const s of r.summaries) expect(s.syscalls > 0 && s.cpuUs > 0 && s.peakBytes > 0, s.name).toBe(true);
    expect(r.stderr).toMatch(/^libos: \[consumer\] exited with 0; cpu \d+\.\d\d s, peak memory \d+\.\d MiB, \d+ syscalls$/m);
  });

  it("boot --fs-mode worker runs every kernel's file systems in worker mode, with the same output", () => {
    const r = boot(join(ROOT, "samples/systems/pipeline.json"), "--fs-mode", "worker", "--stats");
    expect(r.status, r.stderr).toBe(0);
    expect(linesOf(r.stdout, "consumer", true)[0]).toBe("lines 100000");
    const fsModes = r.summaries.map((s) => s.stats?.tasks.find((t) => t.kind === "fs-task")?.mode);
    expect(fsModes).toEqual(["worker", "worker"]);
  });

  it("boot quota.json: the hog gets ENOMEM, the server beside it answers as alone", () => {
    const r = boot(join(ROOT, "samples/systems/quota.json"));
    expect(r.status, r.stderr).toBe(0);
    const hog = linesOf(r.stdout, "hog", true);
    expect(hog.at(-1)).toMatch(/^no \d+M: dd: out of memory$/);
    expect(hog.slice(0, -1)).toEqual(["got 4M", "got 8M", "got 16M"].slice(0, hog.length - 1));
    let five = "";
    for (let i = 1; i <= 5000; i++) five += `${i}\n`;
    const sum = `${createHash("md5").update(five).digest("hex")}  -`;
    expect(linesOf(r.stdout, "server", true)).toEqual([sum, sum, sum, sum, sum]);
    const [hogSummary, server] = r.summaries;
    expect(hogSummary!.quotaRefusals).toBeGreaterThan(0);
    expect(server!.quotaRefusals).toBe(0);
    expect(r.stderr).toMatch(/^libos: \[hog\] exited with 0; .*, memory quota exhausted \d+ times?$/m);
  });

  it("two busy kernels on one thread take turns: each prints progress before either finishes", () => {
    const r = boot(join(ROOT, "tests/integration/fixtures/kernels/busy.json"));
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout.split("\n").filter((l) => l !== "");
    const finished = events.findIndex((l) => l.endsWith(" finished"));
    expect(finished).toBeGreaterThan(0);
    const before = events.slice(0, finished);
    expect(before.some((l) => l.startsWith("[one] progress"))).toBe(true);
    expect(before.some((l) => l.startsWith("[two] progress"))).toBe(true);
    for (const name of ["one", "two"]) expect(linesOf(r.stdout, name, true).at(-1)).toBe("finished");
  });

  it("kernels placed on workers run on host threads of their own", () => {
    const { dir, cleanup } = makeTempDir("kernels-");
    const description = JSON.parse(readFileSync(join(ROOT, "tests/integration/fixtures/kernels/busy.json"), "utf8")) as { kernels: { thread: string }[] };
    for (const k of description.kernels) k.thread = "worker";
    const file = join(dir, "busy-workers.json");
    writeFileSync(file, JSON.stringify(description));
    const started = performance.now();
    const r = boot(file);
    cleanup();
    expect(r.status, r.stderr).toBe(0);
    for (const name of ["one", "two"]) expect(linesOf(r.stdout, name, true).at(-1)).toBe("finished");
    const threads = r.summaries.map((s) => s.hostThread);
    expect(new Set([...threads, process.pid]).size).toBe(3);
    // For the record (no timed assert): wall time against the CPU time of each.
    process.stdout.write(`two busy kernels on workers: ${Math.round(performance.now() - started)} ms wall, cpu ${r.summaries.map((s) => Math.round(s.cpuUs / 1000)).join(" + ")} ms\n`);
  });

  it("a kernel whose kernel-task throws ends alone; its pipe's reader sees end of file, the others finish", () => {
    const r = fixture("crash.mjs");
    expect(r.status, r.stderr).toBe(0);
    const summaries = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as KernelSummary[];
    const byName = new Map(summaries.map((s) => [s.name, s]));
    expect(byName.get("crashy")).toMatchObject({ failure: "kernel-task error: injected fault", syscalls: 300 });
    expect(byName.get("reader")).toMatchObject({ failure: null, status: 0 });
    expect(linesOf(r.stdout, "reader", true)).toEqual([expect.stringMatching(/^read \d+ lines, then end of file$/)]);
    expect(byName.get("hog")).toMatchObject({ failure: null, status: 1 });
    expect(byName.get("hog")!.quotaRefusals).toBeGreaterThan(0);
    expect(linesOf(r.stderr, "hog", true)).toEqual(["dd: out of memory"]);
    expect(byName.get("steady")).toMatchObject({ failure: null, status: 0 });
    expect(linesOf(r.stdout, "steady", true).at(-1)).toBe("steady done");
  });

  it("a kernel's one program is pid 1, as in a Linux pid namespace: signals without a handler pass it by, orphans come to it", () => {
    const script = [
      'echo "pid $$ ppid $PPID"',
      "kill -TERM $$; kill -KILL $$",
      'echo "pid 1 took neither TERM nor KILL without a handler"',
      "trap 'echo \"USR1 reached its handler\"' USR1",
      "kill -USR1 $$",
      // The orphan waits on a FIFO until its parent has been looked at.
      "mkfifo $OUT/fifo",
      'sh -c "cat $OUT/fifo > /dev/null & echo \\$! > $OUT/orphan"',
      'echo "the orphan\'s parent: $(grep PPid /proc/$(cat $OUT/orphan)/status | tr -d \'\\t\')"',
      "echo go > $OUT/fifo",
    ].join("\n");
    const expected = [
      "pid 1 ppid 0", "pid 1 took neither TERM nor KILL without a handler", "USR1 reached its handler", "the orphan's parent: PPid:1",
    ];
    const { dir, cleanup } = makeTempDir("pid1-");
    try {
      const description = join(dir, "pid1.json");
      writeFileSync(description, JSON.stringify({
        kernels: [{ name: "solo", env: { PATH: "/bin", OUT: "/tmp" }, program: { argv: ["/bin/sh", "-c", script] } }],
      }));
      const r = boot(description);
      expect(r.status, r.stderr).toBe(0);
      expect(linesOf(r.stdout, "solo", true)).toEqual(expected);
      // Linux in a pid namespace of its own prints the same, where the host lets us make one.
      const native = spawnSync("unshare", ["--fork", "--pid", "--mount-proc", BUSYBOX, "sh", "-c", script], {
        encoding: "utf8", env: { PATH: "/bin", OUT: dir }, timeout: RUN_TIMEOUT_MS,
      });
      if (native.status === 0) expect(native.stdout.trim().split("\n")).toEqual(expected);
    } finally {
      cleanup();
    }
  });

  it("boot services.json: programs side by side under the kernel's init share its console, /tmp and loopback", () => {
    const r = boot(join(ROOT, "samples/systems/services.json"));
    expect(r.status, r.stderr).toBe(0);
    expect(linesOf(r.stdout, "app", true).sort()).toEqual(["client is pid 3 under init", "served by a sibling", "server is pid 2"]);
    expect(r.summaries.map((s) => [s.name, s.status, s.failure])).toEqual([["app", 0, null]]);
  });

  it("a kernel of several programs ends when the last has exited, with the first failure's status, its daemons killed", () => {
    const { dir, cleanup } = makeTempDir("programs-");
    try {
      const description = join(dir, "programs.json");
      const sh = (script: string): object => ({ argv: ["/bin/sh", "-c", script] });
      writeFileSync(description, JSON.stringify({
        kernels: [{
          name: "k",
          programs: [sh("sleep 1000 & echo daemon left running; exit 0"), sh("sleep 0.2; echo failing; exit 3"), sh("sleep 0.4; echo last")],
        }],
      }));
      const r = boot(description);
      // libos boot exits 1 when a kernel did not end with 0.
      expect(r.status, r.stderr).toBe(1);
      expect(linesOf(r.stdout, "k", true)).toEqual(["daemon left running", "failing", "last"]);
      expect(r.summaries.map((s) => [s.name, s.status, s.signal, s.failure])).toEqual([["k", 3, 0, null]]);
    } finally {
      cleanup();
    }
  });
  it("Ctrl-C stops the boot as docker stop does: SIGTERM to each kernel's programs (pid 1 only with a handler), SIGKILL at the next", async () => {
    const { dir, cleanup } = makeTempDir("stop-");
    try {
      const description = join(dir, "stop.json");
      const sh = (script: string): object => ({ argv: ["/bin/sh", "-c", script] });
      writeFileSync(description, JSON.stringify({
        kernels: [
          { name: "handles", program: sh("trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.1; done") },
          { name: "ignores", thread: "worker", program: sh("echo ready; exec sleep 1000") },
          { name: "under-init", init: true, program: sh("echo ready; exec sleep 1000") },
        ],
      }));
      const child = spawn(process.execPath, [CLI, "boot", "--summary", join(dir, "summary.json"), description], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "", err = "";
      const seen = (pattern: RegExp, of: () => string): Promise<void> => new Promise((resolve) => {
        const check = (): void => void (pattern.test(of()) && resolve());
        child.stdout.on("data", check);
        child.stderr.on("data", check);
        check();
      });
      child.stdout.on("data", (b: Buffer) => (out += b));
      child.stderr.on("data", (b: Buffer) => (err += b));
      const status = new Promise<number | null>((resolve) => child.on("exit", resolve));
      await seen(/(?:^\[\S+\] ready\n[^]*){3}/m, () => out);
      child.kill("SIGINT");
      await seen(/^\[handles\] got TERM$/m, () => out);
      await seen(/stopping every kernel/, () => err);
      child.kill("SIGINT");
      expect(await status, err).toBe(130);
      const summaries = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as KernelSummary[];
      expect(summaries.map((s) => [s.name, s.status, s.signal])).toEqual([["handles", 3, 0], ["ignores", 0, 9], ["under-init", 0, 15]]);
    } finally {
      cleanup();
    }
  }, 4 * RUN_TIMEOUT_MS);
});

describe("networks of user kernels", () => {
  beforeAll(() => ensureBuilt());

  /** What web-and-client.json prints when it works, kernel by kernel. */
  function expectPageFetched(r: ReturnType<typeof boot>, what: string): void {
    expect(r.status, `${what}: ${r.stderr}`).toBe(0);
    expect(linesOf(r.stdout, "web", true), what).toEqual(["pid 1, /tmp holds: www", "served"]);
    expect(linesOf(r.stdout, "client", true), what).toEqual(["pid 1, /tmp holds: ", "hello from kernel web"]);
    expect(r.summaries.map((s) => [s.name, s.status, s.failure]), what).toEqual([["web", 0, null], ["client", 0, null]]);
  }

  it("boot web-and-client.json: client prints the page web's httpd serves over the link, each kernel alone", () => {
    expectPageFetched(boot(join(ROOT, "samples/systems/web-and-client.json")), "one thread, inproc");
  });

  it("the link works across host threads and in every net mode (a frame ring in shared memory)", () => {
    const { dir, cleanup } = makeTempDir("kernels-");
    try {
      const description = JSON.parse(readFileSync(join(ROOT, "samples/systems/web-and-client.json"), "utf8")) as {
        kernels: { thread?: string; net: { mode: string } }[];
      };
      // web on the main thread with an ipc net-task, client on a worker thread with an inproc one.
      description.kernels[0]!.net.mode = "ipc";
      description.kernels[1]!.thread = "worker";
      const file = join(dir, "web-and-worker-client.json");
      writeFileSync(file, JSON.stringify(description));
      const mixed = boot(file);
      expectPageFetched(mixed, "client on a worker thread, web's net-task in ipc mode");
      expect(mixed.summaries.map((s) => s.thread)).toEqual(["main", "worker"]);
      expectPageFetched(boot(join(ROOT, "samples/systems/web-and-client.json"), "--net-mode", "worker"), "--net-mode worker");
      expectPageFetched(boot(join(ROOT, "samples/systems/web-and-client.json"), "--net-mode", "ipc"), "--net-mode ipc");
    } finally {
      cleanup();
    }
  });

  it("boot switched-lan.json: a learning switch joins three kernels, each client gets the answer for its address", () => {
    const r = boot(join(ROOT, "samples/systems/switched-lan.json"));
    expect(r.status, r.stderr).toBe(0);
    expect(linesOf(r.stdout, "web", true)).toEqual(["served 2"]);
    expect(linesOf(r.stdout, "alice", true)).toEqual(["hello 10.0.1.2, from kernel web"]);
    expect(linesOf(r.stdout, "bob", true)).toEqual(["hello 10.0.1.3, from kernel web"]);
    expect(r.summaries.map((s) => [s.name, s.thread, s.status])).toEqual([["web", "main", 0], ["alice", "main", 0], ["bob", "worker", 0]]);
  });

  it("segments stay apart in one subnet: a connect to an address on another segment times out; the guest sees its interfaces", () => {
    const r = boot(join(ROOT, "tests/integration/fixtures/kernels/net-isolation.json"));
    expect(r.status, r.stderr).toBe(0);
    // nc's own timeout (-w 2) ends the connect: the ARP requests never reached inside.
    expect(linesOf(r.stderr, "prober", true)).toEqual(["nc: timed out", "inside: nc exit 1"]);
    expect(linesOf(r.stdout, "other", true)).toEqual(["hello other"]);
    const inside = linesOf(r.stderr, "inside", true);
    expect(inside).toHaveLength(1);
    expect(inside[0]!.trim().split(/\s+/).slice(0, 3)).toEqual(["eth0:", "0", "0"]);
    const peer = linesOf(r.stdout, "peer", true).join("\n");
    expect(peer).toMatch(/^eth0 +Link encap:Ethernet +HWaddr 0A:00:00:00:00:02/m);
    expect(peer).toMatch(/inet addr:10\.0\.0\.2 +Bcast:10\.0\.0\.255 +Mask:255\.255\.255\.0/);
    expect(peer).toMatch(/MTU:9000/);
    expect(peer).toMatch(/^lo +Link encap:Local Loopback/m);
    expect(peer).toMatch(/^ +eth0: +\d+ +\d+/m);
  });
});

