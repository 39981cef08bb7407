// The memory quota holds against many processes and threads (tests/integration/fixtures/
// quota/quota.c, a static musl program): a fork bomb of children that stay alive ends in
// fork failing with EAGAIN or ENOMEM and the LibOS exits cleanly; children that exit at
// once are zombies that cost almost nothing, so 10,000 of them fit the default quota and a
// small quota stops them with EAGAIN; 5,000 threads are created and joined.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, HELLO_MUSL, ROOT, ensureBuilt } from "./_run.ts";

const QUOTA = join(ROOT, "tests/integration/fixtures/quota/quota");
const GNU_TIME = "/usr/bin/time";
// A bound on a run that has gone wrong, not a timing assertion: a slow shared machine must
// not fail these tests.
const RUN_LIMIT_MS = 600_000;

interface Run {
  stdout: string;
  stderr: string;
  status: number | null;
  /** The host process's peak RSS in KiB, when GNU time is there to measure it. */
  peakKb: number | null;
}

/** `libos run --clear-env args...` from the project directory. */
function run(args: string[]): Run {
  const time = existsSync(GNU_TIME) ? [GNU_TIME, "-f", "libos-peak-rss %M"] : [];
  const [command, ...rest] = [...time, process.execPath, CLI, "run", "--clear-env", ...args];
  const r = spawnSync(command!, rest, { cwd: ROOT, encoding: "utf8", timeout: RUN_LIMIT_MS });
  expect(r.error).toBeUndefined();
  const peak = /libos-peak-rss (\d+)\n/.exec(r.stderr);
  return { stdout: r.stdout, stderr: r.stderr.replace(/libos-peak-rss \d+\n/, ""), status: r.status, peakKb: peak ? Number(peak[1]) : null };
}

/** How many forks succeeded, from the fixture's report; the report's shape is checked too. */
function forked(stdout: string, mode: string, errnos: RegExp, killed: boolean): number {
  const m = new RegExp(`^${mode}: fork failed with (\\w+)\\nforked (\\d+)\\n${killed ? "killed all\\n" : ""}$`).exec(stdout);
  expect(m, stdout).not.toBeNull();
  expect(m![1]).toMatch(errnos);
  return Number(m![2]);
}

describe.skipIf(!existsSync(QUOTA))("memory quota against many processes and threads", () => {
  beforeAll(() => ensureBuilt());

  it("a fork bomb of 10,000 live children under --memory 128M ends in EAGAIN or ENOMEM, and the LibOS exits cleanly", () => {
    const r = run(["--memory", "128M", QUOTA, "forkbomb", "10000"]);
    const n = forked(r.stdout, "forkbomb", /^(EAGAIN|ENOMEM)$/, true);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(10000);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, RUN_LIMIT_MS);

  it("10,000 children that exit at once and are never reaped all fit the default quota, and grow the host process by far less", () => {
    const zombies = run([QUOTA, "zombies", "10000"]);
    expect(zombies.stdout).toBe("zombies: all 10000 forked\nforked 10000\n");
    expect(zombies.status).toBe(0);
    // They held ~4 GB once (~400 KB each); now ~90 MB over a hello run. Measured when GNU time is there.
    if (zombies.peakKb !== null) expect(zombies.peakKb - run([HELLO_MUSL]).peakKb!).toBeLessThan(512 * 1024);
  }, RUN_LIMIT_MS);

  it("unreaped zombies under --memory 96M: the fork past the quota fails with EAGAIN", () => {
    const r = run(["--memory", "96M", QUOTA, "zombies", "10000"]);
    const n = forked(r.stdout, "zombies", /^EAGAIN$/, false);
    expect(n).toBeGreaterThan(100);
    expect(n).toBeLessThan(10000);
    expect(r.status).toBe(0);
  }, RUN_LIMIT_MS);

  it("5,000 threads block together, then are joined; then 5,000 more exit and are joined one by one", () => {
    const r = run([QUOTA, "threads", "5000"]);
    expect(r.stdout).toBe("threads: 5000 blocked, 5000 joined, sum ok\nthreads: 5000 exited, 5000 joined\n");
    expect(r.status).toBe(0);
  }, RUN_LIMIT_MS);
});
