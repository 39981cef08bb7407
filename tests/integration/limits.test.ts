// Boundary values at syscall entry (tests/integration/fixtures/limits), in each fs mode,
// on a host volume and on the guest's /tmp: huge and boundary lengths on the read/write
// family give Linux's answers (EFAULT for a range outside the user address space, a
// clamp to MAX_RW_COUNT, a short count where the buffer stops being mapped, EINVAL for a
// negative count), never a host exception.
//
// Lengths up to 2^32 are compared with the native run line by line. Above that, whether
// Linux's access_ok accepts buf + len depends on the host's paging mode (2^47 or 2^56 of
// user address space); the guest's is 2^47, so those lines are checked by kind.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, makeTempDir, runLibos, runNative, tempDirs } from "./_run.ts";

const HUGE_LEN = join(ROOT, "tests/integration/fixtures/limits/huge_len");
const FS_MODES = ["inproc", "ipc", "worker"] as const;

/** The length a fixture line is about: `read file(len=0x1000) = 4096` → 4096n. */
function lengthOf(line: string): bigint {
  const m = /\(len=(0x[0-9a-f]+|0)\)/.exec(line);
  return m ? BigInt(m[1]!) : 0n;
}

const isSmall = (line: string): boolean => lengthOf(line) <= 2n ** 32n;

describe("huge lengths on the read/write family", () => {
  const fresh = tempDirs("libos-limits-");
  beforeAll(() => ensureBuilt());

  const native = (() => {
    const dir = fresh();
    return runNative(HUGE_LEN, [dir], { cwd: dir });
  })();
  const nativeLines = native.stdout.split("\n");

  it("runs natively", () => {
    expect(native.status).toBe(0);
    expect(native.stdout).toMatch(/readv file\(len=0x8000000000000000\) = -1 EINVAL/);
    expect(native.stdout).toContain("done\n");
  });

  it.each(FS_MODES)("--fs-mode %s answers as Linux does", (mode) => {
    const dir = fresh();
    for (const where of [dir, "/tmp"]) {
      const got = runLibos(["--fs-mode", mode], HUGE_LEN, [where], { cwd: dir });
      expect(got.stderr).toBe("");
      expect(got.status).toBe(0);
      const lines = got.stdout.split("\n");
      expect(lines.length).toBe(nativeLines.length);
      expect(lines.filter(isSmall)).toEqual(nativeLines.filter(isSmall));
      for (const line of lines.filter((l) => !isSmall(l))) {
        // Outside the user address space, or a count with the sign bit: an error; else at
        // most what the buffer (4 KiB) or the file (16 KiB) holds.
        const r = /= (-1 (EFAULT|EINVAL)|\d+)$/.exec(line);
        expect(r, line).not.toBeNull();
        if (!r![2]) expect(Number(r![1]), line).toBeLessThanOrEqual(4 * 4096 + 10);
      }
      expect(got.stdout).toMatch(/write file\(len=0x4000000000000000\) = -1 EFAULT/);
      expect(got.stdout).toMatch(/write file\(len=0xffffffffffffffff\) = -1 EFAULT/);
      expect(got.stdout).toMatch(/writev file\(len=0x8000000000000000\) = -1 EINVAL/);
      expect(got.stdout).toMatch(/sendfile\(len=0xffffffffffffffff\) = -1 EINVAL/);
    }
  });
});

describe("mprotect on file mappings", () => {
  const MMAP_PROT = join(ROOT, "tests/integration/fixtures/limits/mmap_prot");
  const { dir, cleanup } = makeTempDir("libos-mmap-prot-");
  afterAll(cleanup);
  const native = runNative(MMAP_PROT, [dir], { cwd: dir });

  it("runs natively", () => {
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("mprotect(PROT_WRITE) on it = -1 EACCES");
  });

  it.each(FS_MODES)("--fs-mode %s prints what native prints, on a host volume and on /tmp", (mode) => {
    for (const where of [dir, "/tmp"]) {
      const got = runLibos(["--fs-mode", mode], MMAP_PROT, [where], { cwd: dir });
      expect(got.stderr).toBe("");
      expect(got.stdout).toBe(native.stdout);
      expect(got.status).toBe(0);
    }
  });
});
