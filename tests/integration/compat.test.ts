// Linux interfaces that external test suites exercise (tests/integration/fixtures/compat),
// each fixture run natively and under the LibOS with the same arguments: the output and the
// status must be the same. The fixtures print one line per check and run their scenarios
// in children, so one launch covers a whole family.
//
//   creds   the set*id family, supplementary groups, kill permission, /proc/self/status,
//           the owner of new files (a host directory and the guest's /tmp), threads
//   ipc     System V shared memory, semaphores and message queues
//   rlimits limits inherited from the launcher and enforced (NOFILE, NPROC, AS, FSIZE with
//           SIGXFSZ, STACK), prlimit on other processes, execve's E2BIG rules
//   misc    a relative #! interpreter, futimens on an unlinked file, *at() through
//           directory descriptors (also with the host's / as the root), sched_setattr and
//           nice, /proc/sys, the CPU count and load, readlink of /proc/self/fd/N
//   futex   robust lists walked at exit, robust pthread mutexes, the PI lock protocol
//   lease   fcntl leases (taking, breaking, downgrading) and the owner commands

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/compat");

interface Case {
  name: string;
  /** Arguments; "$DIR" is a fresh host directory (the same one for both runs, and their cwd). */
  args: string[];
  /** LibOS options of each run under the LibOS (default: one run in the inproc fs mode). */
  runs?: string[][];
}

const INPROC = ["--fs-mode", "inproc"];
const WORKER = ["--fs-mode", "worker"];

const CASES: Case[] = [
  { name: "creds", args: ["$DIR"], runs: [INPROC, WORKER] },
  { name: "ipc", args: [] },
  { name: "rlimits", args: ["$DIR"], runs: [INPROC, WORKER] },
  { name: "misc", args: ["$DIR"], runs: [INPROC, [...WORKER, "--root", "/"]] },
  { name: "futex", args: [] },
  { name: "lease", args: ["$DIR"], runs: [INPROC, WORKER] },
];

describe.each(CASES)("$name", ({ name, args, runs = [INPROC] }) => {
  const fresh = tempDirs(`libos-compat-${name}-`);
  beforeAll(() => ensureBuilt());
  const prog = join(FIXTURES, name);
  const dir = fresh();
  const argv = args.map((a) => (a === "$DIR" ? dir : a));
  const native = runNative(prog, argv, { cwd: dir });

  it("runs natively", () => {
    expect(native.stderr).toBe("");
    expect(native.stdout).toMatch(/done\n$/);
    expect(native.status).toBe(0);
  });

  it.each(runs.map((r) => [r.join(" "), r] as const))("under the LibOS (%s) prints what native prints", (_, libosArgs) => {
    const got = runLibos([...libosArgs], prog, argv, { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(native.status);
  });
});
