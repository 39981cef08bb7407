// Loop block devices and tmpfs mounts as LTP's library uses them (fixtures/loop/loop.c):
// a file attached to a device found with LOOP_CTL_GET_FREE, read and written through
// /dev/loopN, its status, sizes and flags, detaching at the last close, and the error
// cases (ENXIO unbound, EBUSY bound, EFAULT for bad pointers); then tmpfs mounted with
// source "ltp-tmpfs" and size=32M, its statfs, filling it to ENOSPC, and the loop device
// itself mounted as tmpfs. Natively this needs root and loop devices: where the host has
// them the LibOS is compared with a native run, else with what Linux 6.18 printed
// (fixtures/loop/*.expected). The backing file is on a host volume, and on the guest's
// own tmpfs; the device part runs in every fs mode.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/loop");
const LOOP = join(FIXTURES, "loop");
const NATIVE = existsSync("/dev/loop-control") && process.getuid?.() === 0;

/** What Linux prints for `args` (after the directory): a native run, or the recorded text. */
function expected(fresh: () => string, args: string[], recorded: string): string {
  if (!NATIVE) return readFileSync(join(FIXTURES, recorded), "utf8");
  const native = runNative(LOOP, [fresh(), ...args]);
  expect(native.stderr).toBe("");
  expect(native.status).toBe(0);
  return native.stdout;
}

describe("loop devices", () => {
  const fresh = tempDirs("libos-loop-");
  let linux = "";
  beforeAll(() => {
    ensureBuilt();
    linux = expected(fresh, [], "loop.expected");
  });

  it("Linux's answers are the ones the fixture checks", () => {
    expect(linux).toMatch(/^unbound: LOOP_GET_STATUS = -1 ENXIO$/m);
    expect(linux).toMatch(/^LOOP_SET_FD again = -1 EBUSY$/m);
    expect(linux).toMatch(/^file at 8190 = 9 "00hello22"$/m);
    expect(linux).toMatch(/^LOOP_CLR_FD after that = -1 ENXIO$/m);
  });

  it.each(["inproc", "ipc", "worker"])("--fs-mode %s answers as Linux, the file on a host volume", (mode) => {
    const dir = fresh();
    const got = runLibos(["--fs-mode", mode], LOOP, [dir], { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(linux);
    expect(got.status).toBe(0);
  });

  it("answers as Linux with the file on the guest's tmpfs", () => {
    const got = runLibos([], LOOP, ["/tmp"]);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(linux);
    expect(got.status).toBe(0);
  });
});

describe("tmpfs mounted as LTP mounts it", () => {
  const fresh = tempDirs("libos-loop-mount-");
  let linux = "";
  beforeAll(() => {
    ensureBuilt();
    linux = expected(fresh, ["mount"], "mount.expected");
  });

  it.each(["inproc", "worker"])("--fs-mode %s: size=, statfs, ENOSPC, options and umount as Linux", (mode) => {
    const dir = fresh();
    const got = runLibos(["--fs-mode", mode], LOOP, [dir, "mount"], { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(linux);
    expect(got.status).toBe(0);
  });
});
