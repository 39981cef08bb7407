// A bug in the LibOS ends only the guest process whose syscall met it: the host process,
// the other processes of that user kernel and the other user kernels go on. The fixture
// (fixtures/containment/two_kernels.mjs) runs two user kernels in one host process, one
// with a file system whose back end throws.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, RUN_TIMEOUT_MS, ensureBuilt } from "./_run.ts";

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
