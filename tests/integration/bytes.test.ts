// Lossless values, in each fs mode: file names that are not UTF-8 reach the host disk and
// tmpfs as their own bytes (fixtures/bytes/names), and 64-bit offsets and lengths at and
// beyond 2^53 give what Linux gives (fixtures/bytes/offsets, mmap's too), compared with native runs.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/bytes");
const FS_MODES = ["inproc", "ipc", "worker"] as const;

describe("file names are bytes", () => {
  const program = join(FIXTURES, "names");
  const fresh = tempDirs("libos-names-");
  beforeAll(() => ensureBuilt());

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

describe("64-bit offsets and lengths", () => {
  const program = join(FIXTURES, "offsets");
  const fresh = tempDirs("libos-offsets-");
  beforeAll(() => ensureBuilt());

  const native = runNative(program, [fresh()]);
  // The LibOS's files end a page short of 2^53; a native file system that allows more
  // (tmpfs, xfs: 2^63 - 1) answers differently from 2^53 - 1 on, ext4 (16 TiB) the same.
  const comparable = native.stdout.includes("pwrite64 offset(2^53-1) = -1 EFBIG");

  it("runs natively", () => {
    expect(native.stderr).toBe("");
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("pread64 offset(2^63-1) = -1 EINVAL");
  });

  /** One LibOS run per mode, on a host volume then on tmpfs: the two halves of its output. */
  const runs = new Map<string, { volume: string; tmpfs: string }>();
  const libos = (mode: string): { volume: string; tmpfs: string } => {
    let r = runs.get(mode);
    if (r === undefined) {
      const got = runLibos(["--fs-mode", mode, "-v", `${fresh()}:/vol`], program, ["/vol", "/tmp"], { cwd: fresh() });
      expect(got.stderr).toBe("");
      expect(got.status).toBe(0);
      const half = got.stdout.length / 2;
      r = { volume: got.stdout.slice(0, half), tmpfs: got.stdout.slice(half) };
      runs.set(mode, r);
    }
    return r;
  };

  it.each(FS_MODES)("--fs-mode %s: Linux's errnos at the edges, the same on a host volume and on tmpfs", (mode) => {
    const { volume, tmpfs } = libos(mode);
    expect(tmpfs).toBe(volume);
    for (const line of [
      "pwrite64 offset(2^62) = -1 EFBIG  [size 10, offset 3]",
      "pwritev offset(2^53) = -1 EFBIG  [size 10, offset 3]",
      "preadv offset(-1) = -1 EINVAL  [size 10, offset 3]",
      "pread64 offset(2^63-1) = -1 EINVAL  [size 10, offset 3]",
      "lseek SEEK_SET(2^53+1) = -1 EINVAL  [size 10, offset 3]",
      "ftruncate length(2^62) = -1 EFBIG  [size 10, offset 3]",
      "fallocate length(2^63-1) = -1 EFBIG  [size 10, offset 3]",
      "sendfile offset(2^62) = -1 EOVERFLOW  [size 10, offset 3]",
      "copy_file_range in offset(2^62) = 0  [size 10, offset 3]",
      "copy_file_range length(-1) = -1 EOVERFLOW  [size 10, offset 3]",
      "mmap offset(2^62) = 0  [size 10, offset 3]",
      "mmap offset(2^63-4096) = -1 EOVERFLOW  [size 10, offset 3]",
    ]) expect(volume).toContain(line);
  });

  it.skipIf(!comparable).each(FS_MODES)("--fs-mode %s prints what native prints", (mode) => {
    const { volume, tmpfs } = libos(mode);
    expect(volume).toBe(native.stdout);
    expect(tmpfs).toBe(native.stdout);
  });
});
