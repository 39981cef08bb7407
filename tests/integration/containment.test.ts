// A bug in the LibOS ends only the guest process whose syscall met it: the host process,
// the other processes of that user kernel and the other user kernels go on. The fixture
// (fixtures/containment/two_kernels.mjs) runs two user kernels in one host process, one
// with a file system whose back end throws. An fs-task that dies (the test-only fault
// hook, LIBOS_TEST_FS_FAULT) fails its calls in flight with EIO and is started again by
// its kernel-task, in every fs mode; other kernels see nothing.

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { KernelSummary } from "../../libos/boot_kernel.ts";
import { CLI, ROOT, RUN_TIMEOUT_MS, ensureBuilt, makeTempDir, runLibos } from "./_run.ts";

const FSFAULT = join(ROOT, "tests/integration/fixtures/containment/fsfault");
const FAULT_AT = 300;

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
