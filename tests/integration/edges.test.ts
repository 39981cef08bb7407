// Edge cases the Linux Test Project found (tests/integration/fixtures/edges/edges.c),
// and CPU-time accounting (cputime.c), each compared with a native run in one launch.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const EDGES = join(ROOT, "tests/integration/fixtures/edges/edges");
const CPUTIME = join(ROOT, "tests/integration/fixtures/edges/cputime");

describe("edge cases found by the Linux Test Project", () => {
  const tempDir = tempDirs("libos-edges-");
  beforeAll(() => ensureBuilt());

  it("print what they print natively", () => {
    const native = runNative(EDGES, [tempDir()]);
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("caught SIGSEGV instead of running SIGHUP's handler\n");
    const dir = tempDir();
    const got = runLibos(["-v", `${dir}:/data`], EDGES, ["/data"]);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });

  it("CPU time: interval timers, clocks and children's usage", () => {
    const native = runNative(CPUTIME, []);
    expect(native.stdout).not.toContain(": no");
    const got = runLibos([], CPUTIME, []);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });
});
