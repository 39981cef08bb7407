// POSIX message queues (tests/integration/fixtures/mqueue) compared with native: the
// fixture prints each call's result (priorities, timeouts, non-blocking use, a
// notification by signal, a blocked receiver in a child, unlink while open), and the
// /proc/sys/fs/mqueue limits under the LibOS.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

const MQUEUE = join(ROOT, "tests/integration/fixtures/mqueue/mqueue");

describe("POSIX message queues", () => {
  beforeAll(() => ensureBuilt());

  it("behave as natively", () => {
    const native = runNative(MQUEUE);
    const got = runLibos([], MQUEUE);
    expect(native.status).toBe(0);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });

  it("take their limits from /proc/sys/fs/mqueue, which root may change", () => {
    const script = [
      "cd /proc/sys/fs/mqueue && cat queues_max msg_max msgsize_max msg_default msgsize_default",
      "echo 0 > msg_max || echo refused",
      "echo 20 > msg_max && cat msg_max",
    ].join("; ");
    const got = runLibos([], BUSYBOX, ["sh", "-c", script]);
    expect(got.stdout).toBe("256\n10\n8192\n10\n8192\nrefused\n20\n");
  });
});
