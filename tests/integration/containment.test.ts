// A bug in the LibOS ends only the guest process whose syscall met it: the host process,
// the other processes of that user kernel and the other user kernels go on. The fixture
// (fixtures/containment/two_kernels.mjs) runs two user kernels in one host process, one
// with a file system whose back end throws. An fs-task that dies (the test-only fault
// hook, LIBOS_TEST_FS_FAULT) fails its calls in flight with EIO and is started again by
// its kernel-task, in every fs mode; other kernels see nothing. So does a net-task that dies
// (LIBOS_TEST_NET_FAULT): its sockets report ECONNRESET, new ones work (libos/supervised_net.ts).

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { KernelSummary } from "../../libos/boot_kernel.ts";
import { CLI, ROOT, RUN_TIMEOUT_MS, ensureBuilt, makeTempDir, runLibos } from "./_run.ts";

const FSFAULT = join(ROOT, "tests/integration/fixtures/containment/fsfault");
const FAULT_AT = 300;
const NETFAULT = join(ROOT, "tests/integration/fixtures/containment/netfault");
/** Inside netfault's ping-pong (its set-up takes a few dozen requests). */
const NET_FAULT_AT = 200;
/** What netfault prints when its net-task died in the ping-pong (musl's strerror texts). */
const NETFAULT_OUT = [
  "idle poll: IN ERR HUP",
  "ping-pong: Connection reset by peer",
  "idle read: Connection reset by peer",
  "idle read again: 0",
  "idle write: Connection reset by peer",
  "idle write again: Broken pipe",
  "udp SO_ERROR: Connection reset by peer",
  "udp recv: 0",
  "listener poll: IN ERR HUP",
  "accept: Connection aborted",
  "accept again: Invalid argument",
  "new connection: hello over the new net-task",
];

describe("an exception in a syscall handler", () => {
  beforeAll(() => ensureBuilt());

  it("kills the calling process with one report line; its parent and another user kernel finish", () => {
    const script = join(ROOT, "tests/integration/fixtures/containment/two_kernels.mjs");
    const r = spawnSync(process.execPath, [script, join(ROOT, "dist")], { encoding: "utf8", timeout: RUN_TIMEOUT_MS });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    expect(lines).toContain("faulty: child status 137");
    expect(lines).toContain("faulty: still here");
    expect(lines).toContain("counter: 2000");
    expect(lines.at(-1)).toBe("exits: faulty 0/0 counter 0/0");
    const reports = r.stderr.split("\n").filter((l) => l.startsWith("libos:"));
    expect(reports).toEqual(["libos: internal error in openat: Cannot fstat: the back end broke (process 3 killed)"]);
    // No stack unless asked for (--debug).
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("an fs-task that dies", () => {
  beforeAll(() => ensureBuilt());

  const cases = [["inproc", "throw"], ["ipc", "throw"], ["worker", "throw"], ["worker", "kill"]] as const;
  for (const [mode, how] of cases) {
    it(`fs ${mode}, ${how === "throw" ? "its loop throws" : "its worker is killed"}: the call in flight and the old descriptor get EIO, a new open works`, () => {
      const { dir, cleanup } = makeTempDir("fsfault-");
      try {
        writeFileSync(join(dir, "file"), "the file's bytes\n");
        const r = runLibos(["--fs-mode", mode, "--stats", "-v", `${dir}:/data`], FSFAULT, ["/data/file"], {
          env: { ...process.env, LIBOS_TEST_FS_FAULT: `${how}:${FAULT_AT}` },
        });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe("stat loop: I/O error\nread of the old descriptor: I/O error\nnew open reads: the file's bytes\n");
        expect(r.stderr.split("\n").filter((l) => l.includes("the fs-task died"))).toHaveLength(1);
        expect(r.stderr).toMatch(/^libos: stats: task fs-task: .*, restarted 1 time$/m);
      } finally {
        cleanup();
      }
    });
  }

  it("under libos boot, the other kernels see nothing (the same output as without the fault)", () => {
    const { dir, cleanup } = makeTempDir("fsfault-");
    try {
      writeFileSync(join(dir, "file"), "the file's bytes\n");
      const sum = "i=0; while [ $i -lt 20 ]; do cat /etc/passwd; i=$((i+1)); done | md5sum; ls /etc | wc -l";
      const description = join(dir, "system.json");
      writeFileSync(description, JSON.stringify({
        kernels: [
          { name: "victim", memory: "64M", fs: { mode: "worker" }, volumes: [{ host: dir, guest: "/data" }, { host: dirname(FSFAULT), guest: "/fixtures" }],
            program: { argv: ["/fixtures/fsfault", "/data/file"] } },
          { name: "bystander", memory: "64M", fs: { mode: "worker" }, program: { argv: ["/bin/sh", "-c", sum] } },
          { name: "neighbour", memory: "64M", fs: { mode: "ipc" }, program: { argv: ["/bin/sh", "-c", sum] } },
        ],
      }));
      const boot = (fault: string): { stdout: string; stderr: string; summaries: KernelSummary[] } => {
        const summary = join(dir, `summary-${fault === "" ? "plain" : "fault"}.json`);
        const r = spawnSync(process.execPath, [CLI, "boot", "--summary", summary, description], {
          encoding: "utf8", timeout: 4 * RUN_TIMEOUT_MS, env: { ...process.env, LIBOS_TEST_FS_FAULT: fault },
        });
        expect(r.status, r.stderr).toBe(0);
        return { stdout: r.stdout, stderr: r.stderr, summaries: JSON.parse(readFileSync(summary, "utf8")) as KernelSummary[] };
      };
      const faulted = boot(`victim:throw:${FAULT_AT}`);
      const plain = boot("");
      const of = (out: string, name: string): string[] => out.split("\n").filter((l) => l.startsWith(`[${name}] `));
      expect(of(faulted.stdout, "victim")).toEqual([
        "[victim] stat loop: I/O error", "[victim] read of the old descriptor: I/O error", "[victim] new open reads: the file's bytes",
      ]);
      for (const name of ["bystander", "neighbour"]) {
        expect(of(faulted.stdout, name)).toEqual(of(plain.stdout, name));
        expect(of(plain.stdout, name)).toHaveLength(2);
      }
      expect(faulted.summaries.map((s) => [s.name, s.status, s.fsRestarts])).toEqual([["victim", 0, 1], ["bystander", 0, 0], ["neighbour", 0, 0]]);
      expect(faulted.stderr).toMatch(/^libos: \[victim\] the fs-task died \(its worker thread ended\): its calls in flight failed with EIO; started again$/m);
      expect(faulted.stderr).toMatch(/^libos: \[victim\] exited with 0; .*, fs-task restarted 1 time$/m);
    } finally {
      cleanup();
    }
  });
});

describe("a net-task that dies", () => {
  beforeAll(() => ensureBuilt());

  const cases = [["inproc", "throw"], ["ipc", "throw"], ["worker", "throw"], ["worker", "kill"]] as const;
  for (const [mode, how] of cases) {
    it(`net ${mode}, ${how === "throw" ? "its loop throws" : "its worker is killed"}: the call in flight, an idle connection, UDP and the listener report the reset, a poller wakes, a new connection works`, () => {
      const r = runLibos(["--net", "loopback", "--net-mode", mode, "--stats"], NETFAULT, [], {
        env: { ...process.env, LIBOS_TEST_NET_FAULT: `${how}:${NET_FAULT_AT}` },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.split("\n").filter((l) => l !== "")).toEqual(NETFAULT_OUT);
      expect(r.stderr.split("\n").filter((l) => l.includes("the net-task died"))).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^libos: stats: task net-task: ${mode} mode, restarted 1 time$`, "m"));
    });
  }

  it("under libos boot, the other kernels' traffic (their loopback, a link between two of them) is unaffected", () => {
    const { dir, cleanup } = makeTempDir("netfault-");
    try {
      const fixtures = { host: dirname(NETFAULT), guest: "/fixtures" };
      const net = (mode: string, address: string): object => ({ mode, interfaces: [{ name: "eth0", address }] });
      const description = join(dir, "system.json");
      writeFileSync(description, JSON.stringify({
        kernels: [
          // Its link to "peer" is re-attached to the new net-task (nothing is sent over it).
          { name: "victim", memory: "64M", net: net("worker", "10.0.1.1/24"), volumes: [fixtures], program: { argv: ["/fixtures/netfault"] } },
          { name: "peer", memory: "64M", net: net("inproc", "10.0.1.2/24"), program: { argv: ["/bin/true"] } },
          { name: "bystander", memory: "64M", net: { mode: "ipc", interfaces: [] }, volumes: [fixtures], program: { argv: ["/fixtures/netfault", "300"] } },
          { name: "server", memory: "64M", net: net("ipc", "10.0.2.1/24"), program: { argv: ["/bin/sh", "-c", "echo over the link | nc -l -p 7000"] } },
          { name: "client", memory: "64M", net: net("worker", "10.0.2.2/24"),
            program: { argv: ["/bin/sh", "-c", "for try in $(seq 100); do nc 10.0.2.1 7000 </dev/null && exit 0; sleep 0.1; done; exit 1"] } },
        ],
        links: [{ ends: ["victim.eth0", "peer.eth0"] }, { ends: ["server.eth0", "client.eth0"] }],
      }));
      const summary = join(dir, "summary.json");
      const r = spawnSync(process.execPath, [CLI, "boot", "--summary", summary, description], {
        encoding: "utf8", timeout: 4 * RUN_TIMEOUT_MS, env: { ...process.env, LIBOS_TEST_NET_FAULT: `victim:throw:${NET_FAULT_AT}` },
      });
      expect(r.status, r.stderr).toBe(0);
      const of = (name: string): string[] => r.stdout.split("\n").filter((l) => l.startsWith(`[${name}] `)).map((l) => l.slice(name.length + 3));
      expect(of("victim")).toEqual(NETFAULT_OUT);
      expect(of("bystander")).toEqual(["ping-pong: all rounds"]);
      expect(of("client")).toEqual(["over the link"]);
      const summaries = JSON.parse(readFileSync(summary, "utf8")) as KernelSummary[];
      expect(summaries.map((s) => [s.name, s.status, s.netRestarts])).toEqual([
        ["victim", 0, 1], ["peer", 0, 0], ["bystander", 0, 0], ["server", 0, 0], ["client", 0, 0],
      ]);
      expect(r.stderr).toMatch(/^libos: \[victim\] the net-task died \(its worker thread ended\): .*; started again$/m);
      expect(r.stderr).toMatch(/^libos: \[victim\] exited with 0; .*, net-task restarted 1 time$/m);
    } finally {
      cleanup();
    }
  });
});
