// splice(2), tee(2) and vmsplice(2) (tests/integration/fixtures/splice) compared with
// native: files on a host volume and on the guest's /tmp (tmpfs), pipes, /dev/zero and
// /dev/null, a socket pair, the caller's memory, and the error cases.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const SPLICE = join(ROOT, "tests/integration/fixtures/splice/splice");

describe("splice, tee and vmsplice", () => {
  const fresh = tempDirs("libos-splice-");
  const native = runNative(SPLICE, [fresh()]);
  beforeAll(() => ensureBuilt());

  it("runs natively", () => {
    expect(native.stderr).toBe("");
    expect(native.status).toBe(0);
    expect(native.stdout).toMatch(/tee 3 = 3, copy "tee", left "tee me"/);
  });

  it("prints what native prints, on a host volume", () => {
    const dir = fresh();
    const got = runLibos([], SPLICE, [dir], { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });

  it("prints what native prints, on the guest's tmpfs, with the file system in a worker", () => {
    const got = runLibos(["--fs-mode", "worker"], SPLICE, ["/tmp"]);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });
});
