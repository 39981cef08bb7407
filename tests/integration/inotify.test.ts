// inotify (tests/integration/fixtures/inotify) compared with native: the events a sequence
// of changes makes in a watched directory (names, rename cookies, IN_ISDIR, IN_IGNORED),
// one-shot and mask-add watches, /proc/self/fdinfo's watch lines, FIONREAD, a short read,
// the queue's overflow and the errors. Under the LibOS on a host volume in each fs mode and
// on the guest's tmpfs.

import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { BUSYBOX, ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const INOTIFY = join(ROOT, "tests/integration/fixtures/inotify/inotify");

describe("inotify", () => {
  beforeAll(() => ensureBuilt());
  const fresh = tempDirs("libos-inotify-");
  let native = "";

  beforeAll(() => {
    const r = runNative(INOTIFY, [fresh()]);
    expect(r.status).toBe(0);
    native = r.stdout;
  });

  for (const mode of ["inproc", "ipc"]) {
    it(`reports a host volume's changes as natively (--fs-mode ${mode})`, () => {
      const got = runLibos(["--fs-mode", mode, "-v", `${fresh()}:/work/ino`], INOTIFY, ["/work/ino"]);
      expect(got.stderr).toBe("");
      expect(got.stdout).toBe(native);
    });
  }

  it("reports the guest tmpfs's changes as natively", () => {
    const got = runLibos([], BUSYBOX, ["sh", "-c", `mkdir /tmp/ino && ${INOTIFY} /tmp/ino`]);
    expect(got.stdout).toBe(native);
  });
});
