// A short run of the syscall fuzzer (tests/fuzz/syscall_fuzz) in each fs mode (and the net
// mode of the same name; its AF_INET sockets are on the guest's loopback): 20,000 raw
// syscalls with random, boundary and structured arguments from a fixed seed, in a host
// directory mounted as the guest's working directory. The LibOS must exit with the
// fuzzer's own status, print no host exception or internal error, and the fuzzer's summary
// must show every call made. `npm run fuzz` runs the long campaign.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, makeTempDir, runLibos, runNative, tempDirs } from "./_run.ts";

const FUZZER = join(ROOT, "tests/fuzz/syscall_fuzz");
const REGRESSIONS = join(ROOT, "tests/integration/fixtures/fuzz/regressions");
const MOUNT_TREE = join(ROOT, "tests/integration/fixtures/fuzz/mount_tree");
const UNKNOWN_SYSCALLS = join(ROOT, "tests/integration/fixtures/fuzz/unknown_syscalls");
const FS_MODES = ["inproc", "ipc", "worker"] as const;
const CALLS = 20_000;
const SEED = 11;

/** Lines on the LibOS's stderr that mean the host, not the guest, failed. */
const HOST_FAILURE = /internal error|^\s+at .*(\.js|\.ts|node:)|^(Uncaught )?[A-Z][A-Za-z]*Error( \[[A-Z_]+\])?: |^Node\.js v\d/m;

describe("syscall fuzzer", () => {
  const cleanups: Array<() => void> = [];
  beforeAll(() => ensureBuilt());
  afterAll(() => cleanups.forEach((c) => c()));

  it.each(FS_MODES)(
    `${CALLS} fuzzed calls (seed ${SEED}) leave the host standing (--fs-mode and --net-mode %s)`,
    (mode) => {
      const { dir, cleanup } = makeTempDir("libos-fuzz-");
      cleanups.push(cleanup);
      // The run is bounded by its call count; the time limit only catches a hang.
      const got = runLibos(["--fs-mode", mode, "--net", "loopback", "--net-mode", mode], FUZZER, ["--seed", String(SEED), "--calls", String(CALLS)], {
        cwd: dir,
        timeout: 600_000,
      });
      const hostFailure = HOST_FAILURE.exec(got.stderr);
      expect(hostFailure?.[0] ?? null, `LibOS stderr: ${got.stderr.slice(0, 4000)}`).toBeNull();
      expect(got.status, `LibOS stderr: ${got.stderr.slice(0, 4000)}`).toBe(0);
      const summary = /^fuzz: summary seed (\d+) calls (\d+) returned (\d+) children (\d+)/m.exec(got.stdout);
      expect(summary, got.stdout.slice(-4000)).not.toBeNull();
      const [, seed, calls, returned, children] = summary!.map(Number);
      expect(seed).toBe(SEED);
      expect(calls).toBe(CALLS);
      // Calls that end their child (exit, a fatal signal, the watchdog) do not return.
      expect(returned).toBeGreaterThan(CALLS * 0.95);
      expect(children).toBeGreaterThanOrEqual(CALLS / 1000);
      expect(got.stdout).toMatch(/^fuzz: syscalls .*\bread=\d+/m);
    },
    900_000,
  );
});

// The fuzzer's findings, each reduced to a reproducer (fixtures/fuzz/regressions.c), which
// works in the directory it is given: a host directory, mounted under the LibOS.
describe("the fuzzer's findings", () => {
  const fresh = tempDirs("libos-fuzz-regressions-");
  beforeAll(() => ensureBuilt());
  const native = (() => {
    const dir = fresh();
    return runNative(REGRESSIONS, [dir], { cwd: dir });
  })();

  it("run natively", () => {
    expect(native.stderr).toBe("");
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("clone exit signal 200: reaped yes");
    expect(native.stdout).toContain("open(a fd link naming itself) = -1 Symbolic link loop");
  });

  it.each(FS_MODES)("--fs-mode %s prints what native prints and nothing on stderr", (mode) => {
    const dir = fresh();
    const got = runLibos(["--fs-mode", mode], REGRESSIONS, [dir], { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });

  // Not natively: it would bind the host's root.
  it.each(FS_MODES)("recursive binds of / onto a directory below it end with ENOSPC, not a hang (--fs-mode %s)", (mode) => {
    const got = runLibos(["--fs-mode", mode], MOUNT_TREE, [], { cwd: fresh() });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe("rbind / onto /tmp/m, again and again: No space left on device\n");
    expect(got.status).toBe(0);
  });

  it("100,000 distinct unknown syscall numbers answer ENOSYS and are reported a bounded number of times", () => {
    const got = runLibos([], UNKNOWN_SYSCALLS, [], { cwd: fresh() });
    expect(got.stdout).toBe("100000 of 100000 unknown numbers answered ENOSYS\n");
    expect(got.status).toBe(0);
    const lines = got.stderr.split("\n").filter((l) => l !== "");
    expect(lines.length).toBe(257);
    expect(lines.at(-1)).toBe("libos: more unsupported syscalls: no longer reported");
  });
});
