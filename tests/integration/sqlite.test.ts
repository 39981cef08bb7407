// samples/sqlite/sqlite-demo (SQLite, glibc, static) builds a 10,000-row database on a host
// volume under the LibOS, with the rollback journal and fcntl record locks, in each
// fs-task mode: its stdout matches a native run's, and the file it wrote passes SQLite's
// own integrity check when opened natively. In WAL mode (--wal) a second process reads and
// writes through its own connection, meeting the first in the -shm file mapping.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, makeTempDir, runLibos, runNative, tempDirs } from "./_run.ts";

const sampleDir = join(ROOT, "samples/sqlite");
const SQLITE_DEMO = join(sampleDir, "sqlite-demo");
const HAVE_DEMO = existsSync(SQLITE_DEMO);
const TIMEOUT_MS = 120_000;

const title = HAVE_DEMO
  ? "sqlite sample (samples/sqlite/sqlite-demo)"
  : "sqlite sample (skipped: samples/sqlite/sqlite-demo is missing; build it with make -C samples/sqlite)";

describe.skipIf(!HAVE_DEMO)(title, () => {
  beforeAll(() => ensureBuilt());

  let native = "";
  beforeAll(() => {
    const { dir, cleanup } = makeTempDir("libos-sqlite-native-");
    try {
      const r = runNative(SQLITE_DEMO, [join(dir, "test.db")], { timeout: TIMEOUT_MS });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("count after:\n  8572|");
      expect(r.stdout).toContain("journal left behind: no\n");
      native = r.stdout;
    } finally {
      cleanup();
    }
  });

  it.each(["inproc", "ipc", "worker"])("fs-mode %s: same stdout as natively, and the database checks ok natively", (mode) => {
    const { dir: tmpDir, cleanup } = makeTempDir(`libos-sqlite-${mode}-`);
    try {
      const modeArgs = mode === "inproc" ? [] : ["--fs-mode", mode];
      const libos = runLibos([...modeArgs, "-v", `${sampleDir}:/samples:ro`, "-v", `${tmpDir}:/data`], "/samples/sqlite-demo", ["/data/test.db"], {
        timeout: TIMEOUT_MS,
      });
      expect(libos.error).toBeUndefined();
      expect({ stdout: libos.stdout, status: libos.status }, libos.stderr).toEqual({ stdout: native, status: 0 });
      expect(existsSync(join(tmpDir, "test.db-journal"))).toBe(false);

      const check = runNative(SQLITE_DEMO, ["--check", join(tmpDir, "test.db")], { timeout: TIMEOUT_MS });
      expect({ stdout: check.stdout, status: check.status }).toEqual({ stdout: "ok\nrows:\n  8572\n", status: 0 });
    } finally {
      cleanup();
    }
  }, 3 * TIMEOUT_MS);
});

// WAL mode: the writer and a second process's connection meet in DBFILE-shm, a MAP_SHARED
// mapping of a file; on a host volume (each fs mode) and on the guest's tmpfs.
describe.skipIf(!HAVE_DEMO)(title.replace("sqlite sample", "sqlite sample in WAL mode"), () => {
  const tempDir = tempDirs("libos-sqlite-wal-");
  beforeAll(() => ensureBuilt());

  let native = "";
  beforeAll(() => {
    const r = runNative(SQLITE_DEMO, ["--wal", join(tempDir(), "wal.db")], { timeout: TIMEOUT_MS });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("journal mode:\n  wal\nreader: 1000\n");
    expect(r.stdout).toContain("reader: inserted row 10001\n");
    native = r.stdout;
  });

  it.each(["inproc", "ipc", "worker"])("fs-mode %s: the same output, and the database checks ok natively", (mode) => {
    const dir = tempDir();
    const libos = runLibos(["--fs-mode", mode, "-v", `${sampleDir}:/samples:ro`, "-v", `${dir}:/data`], "/samples/sqlite-demo", ["--wal", "/data/wal.db"], {
      timeout: TIMEOUT_MS,
    });
    expect({ stdout: libos.stdout, status: libos.status }, libos.stderr).toEqual({ stdout: native, status: 0 });
    const check = runNative(SQLITE_DEMO, ["--check", join(dir, "wal.db")], { timeout: TIMEOUT_MS });
    expect({ stdout: check.stdout, status: check.status }).toEqual({ stdout: "ok\nrows:\n  10001\n", status: 0 });
  }, 2 * TIMEOUT_MS);

  it("on the guest's tmpfs", () => {
    const script = "/samples/sqlite-demo --wal /tmp/wal.db && /samples/sqlite-demo --check /tmp/wal.db";
    const libos = runLibos(["--isolate", "-v", `${sampleDir}:/samples:ro`], "/bin/sh", ["-c", script], { timeout: TIMEOUT_MS });
    expect({ stdout: libos.stdout, status: libos.status }, libos.stderr).toEqual({ stdout: native + "ok\nrows:\n  10001\n", status: 0 });
  }, 2 * TIMEOUT_MS);
});
