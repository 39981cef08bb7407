// sendfile(2) and copy_file_range(2) compared with native, in each fs mode: offsets, short
// counts, host-directory and /tmp files, a host pipe, a guest pipe and a file as targets,
// and the errors. The guest's stdout is a host pipe here, so sendfile to fd 1 takes the
// host-to-host path (the host's own sendfile) for files on a host volume.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ROOT, ensureBuilt, makeTempDir, runLibos, runNative } from "./_run.ts";

const SENDFILE = join(ROOT, "tests/integration/fixtures/io/sendfile");
const FS_MODES = ["inproc", "ipc", "worker"] as const;

describe("sendfile and copy_file_range", () => {
  const { dir, cleanup } = makeTempDir("libos-io-");
  beforeAll(() => ensureBuilt());
  afterAll(cleanup);

  const native = runNative(SENDFILE, [dir], { cwd: dir });

  it("runs natively", () => {
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("copy sum");
  });

  it.each(FS_MODES)("--fs-mode %s prints what native prints", (mode) => {
    const got = runLibos(["--fs-mode", mode], SENDFILE, [dir], { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });

  it.each(FS_MODES)("busybox cat of a 5 MiB host file to a host pipe is byte-exact (--fs-mode %s)", (mode) => {
    const data = Buffer.alloc(5 * 1024 * 1024 + 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
    const file = join(dir, "big");
    writeFileSync(file, data);
    const got = runLibos(["--fs-mode", mode], BUSYBOX, ["cat", "big", "big"], { cwd: dir, encoding: "latin1" });
    expect(got.status).toBe(0);
    expect(Buffer.from(got.stdout, "latin1").equals(Buffer.concat([data, data]))).toBe(true);
    expect(readFileSync(file).equals(data)).toBe(true);
  });
});
