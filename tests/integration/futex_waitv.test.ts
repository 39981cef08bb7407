// futex_waitv(2) (tests/integration/fixtures/futex_waitv) compared with native: the index
// of the word that woke the waiter (private and shared), the value check, absolute
// timeouts on both clocks, and every argument error.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

const WAITV = join(ROOT, "tests/integration/fixtures/futex_waitv/waitv");

describe("futex_waitv", () => {
  beforeAll(() => ensureBuilt());

  it("prints what native prints", () => {
    const native = runNative(WAITV);
    expect(native.status).toBe(0);
    expect(native.stdout).toMatch(/woken by word 2 = 2/);
    const got = runLibos([], WAITV);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });
});
