// pidfd_open, poll and waitid(P_PIDFD) on a pidfd, pidfd_send_signal (through a pidfd
// and an open /proc/PID directory), pidfd_getfd and kcmp (tests/integration/fixtures/pidfd)
// compared with native, errors and the unprivileged cases included.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

const PIDFD = join(ROOT, "tests/integration/fixtures/pidfd/pidfd");

describe("pidfds and kcmp", () => {
  beforeAll(() => ensureBuilt());

  it("print what native prints", () => {
    const native = runNative(PIDFD);
    expect(native.status).toBe(0);
    expect(native.stdout).toMatch(/poll of a reaped child's pidfd = 0x11/);
    const got = runLibos([], PIDFD);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });
});
