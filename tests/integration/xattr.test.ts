// Extended attributes (tests/integration/fixtures/xattr) compared with native, in each fs
// mode: every xattr call and error case, and the *xattrat calls, on a host volume (a temp
// dir: the host file system's own attributes) and on the guest's /tmp (tmpfs, compared
// with a native run in a tmpfs directory under /dev/shm, or in a temp dir where the host's
// tmpfs keeps no user.* attributes: the two print the same); pipes, /proc and /dev/null;
// then what a read-only volume and the root image answer (EROFS), against the text Linux
// gives. A host file system that keeps no user.* attributes (found by a native probe)
// skips its part: there is nothing to compare with.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative, tempDirs, type RunResult } from "./_run.ts";

const XATTR = join(ROOT, "tests/integration/fixtures/xattr/xattr");
const FS_MODES = ["inproc", "ipc", "worker"] as const;
/** A tmpfs on the host where the native tmpfs run goes. */
const HOST_TMPFS = "/dev/shm";

/** Whether the file system of `dir` keeps user.* attributes, asked natively. */
function keepsUserXattrs(dir: string): boolean {
  return runNative(XATTR, [dir, "probe"]).status === 0;
}

/** What the fixture's readonly part prints for a file on a read-only file system without attributes. */
const READ_ONLY_TEXT = [
  "ro: get user.x = -1 ENODATA",
  "ro: list = 0",
  "ro: set user.x = -1 EROFS",
  "ro: set bogus.x = -1 EROFS",
  "ro: lset user.x = -1 EROFS",
  "ro: remove user.x = -1 EROFS",
  "ro: set, under the file = -1 ENOTDIR",
  "ro: fset user.x = -1 EROFS",
  "ro: fremove user.x = -1 EROFS",
  "ro: fget user.x = -1 ENODATA",
  "",
].join("\n");

describe("extended attributes on a host volume, and on pipes, /proc and /dev/null", () => {
  const fresh = tempDirs("libos-xattr-");
  const onHost = keepsUserXattrs(fresh());
  /** The parts for fresh dirs of `base`: the host volume's only if it keeps user.* attributes. */
  const parts = (base: string): string[] => [...(onHost ? [join(base, "a"), "files", join(base, "b"), "at"] : []), "-", "special"];
  const native = runNative(XATTR, parts(fresh()));
  beforeAll(() => ensureBuilt());

  it("runs natively", () => {
    expect(native.stderr).toBe("");
    expect(native.status).toBe(0);
    expect(native.stdout).toMatch(/pipe: fget user.x = -1 ENODATA/);
    if (onHost) expect(native.stdout).toMatch(/get user.a value: "hello"/);
  });

  it.each(FS_MODES)("--fs-mode %s prints what native prints", (mode) => {
    const dir = fresh();
    const got = runLibos(["--fs-mode", mode], XATTR, parts(dir), { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });
});

describe("extended attributes on the guest's /tmp (tmpfs), a read-only volume and the image", () => {
  let shm = "";
  let native: RunResult | null = null;
  const fresh = tempDirs("libos-xattr-ro-");
  const volume = fresh();
  writeFileSync(join(volume, "file"), "data\n");

  beforeAll(() => {
    ensureBuilt();
    if (keepsUserXattrs(HOST_TMPFS)) shm = mkdtempSync(join(HOST_TMPFS, "libos-xattr-"));
    const base = shm !== "" ? shm : keepsUserXattrs(volume) ? fresh() : null;
    if (base !== null) native = runNative(XATTR, [join(base, "a"), "files", join(base, "b"), "at"]);
  });
  afterAll(() => {
    if (shm !== "") rmSync(shm, { recursive: true, force: true });
  });

  it.each(FS_MODES)("--fs-mode %s: tmpfs prints what the host's tmpfs prints; changes on read-only files are EROFS", (mode) => {
    const got = runLibos(["--fs-mode", mode, "-v", `${volume}:/ro:ro`], XATTR, [
      "/tmp/a", "files", "/tmp/b", "at", "/ro/file", "readonly", "/bin/busybox", "readonly",
    ]);
    expect(got.stderr).toBe("");
    expect(got.status).toBe(0);
    const readOnlyAt = got.stdout.indexOf("ro: ");
    if (native !== null) {
      expect(native.status).toBe(0);
      expect(got.stdout.slice(0, readOnlyAt)).toBe(native.stdout);
    }
    expect(got.stdout).toMatch(/get user.a value: "hello"/);
    expect(got.stdout.slice(readOnlyAt)).toBe(READ_ONLY_TEXT + READ_ONLY_TEXT);
  });
});
