// MAP_SHARED file mappings (tests/integration/fixtures/mmap/shared_file.c) compared with a
// native run: on a host volume, on the guest's tmpfs /tmp and on /dev/shm, in each fs
// mode; and the memory locking calls (lock.c). The fixture's last stores are made just before exit, without msync or munmap:
// the file on the host must hold them afterwards.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, fsModesUnderTest, runLibos, runNative, tempDirs } from "./_run.ts";

const SHARED_FILE = join(ROOT, "tests/integration/fixtures/mmap/shared_file");
const LOCK = join(ROOT, "tests/integration/fixtures/mmap/lock");
const FS_MODES = fsModesUnderTest();

describe("MAP_SHARED file mappings", () => {
  const tempDir = tempDirs("libos-mmap-");
  beforeAll(() => ensureBuilt());

  let native = "";
  beforeAll(() => {
    const r = runNative(SHARED_FILE, [tempDir()]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("page past the end: -1 (SIGBUS BUS_ADRERR)");
    native = r.stdout;
  });

  it.each(FS_MODES)("on a host volume (--fs-mode %s): the same output, and stores made before exit reach the file", (mode) => {
    const dir = tempDir();
    const got = runLibos(["--fs-mode", mode, "-v", `${dir}:/data`], SHARED_FILE, ["/data"]);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native);
    expect(got.status).toBe(0);
    expect(readFileSync(join(dir, "persist"), "latin1").slice(0, 24)).toBe("stored just before exit\n");
  });

  it.each(FS_MODES)("on tmpfs and /dev/shm (--fs-mode %s)", (mode) => {
    const script = `${SHARED_FILE} /tmp && ${SHARED_FILE} /dev/shm && head -c 24 /tmp/persist /dev/shm/persist`;
    const got = runLibos(["--fs-mode", mode, "--isolate", "-v", `${ROOT}:${ROOT}:ro`], "/bin/sh", ["-c", script]);
    expect(got.stderr).toBe("");
    const persisted = "==> /tmp/persist <==\nstored just before exit\n\n==> /dev/shm/persist <==\nstored just before exit\n";
    expect(got.stdout).toBe(native + native + persisted);
    expect(got.status).toBe(0);
  });
});

describe("mlock, mlockall and mincore", () => {
  beforeAll(() => ensureBuilt());

  it("accept and refuse what Linux does", () => {
    const native = runNative(LOCK, []);
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("mincore = 0, vec 1 1 1 9\n");
    const got = runLibos([], LOCK, []);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });
});
