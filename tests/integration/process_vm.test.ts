// process_vm_readv(2) and process_vm_writev(2) (tests/integration/fixtures/process_vm)
// compared with native: scattered iovecs, a read cut at an unmapped page, a write into
// the child, and the errors.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

const PROCESS_VM = join(ROOT, "tests/integration/fixtures/process_vm/process_vm");

describe("process_vm_readv and process_vm_writev", () => {
  beforeAll(() => ensureBuilt());

  it("move bytes between processes as natively", () => {
    const native = runNative(PROCESS_VM);
    const got = runLibos([], PROCESS_VM);
    expect(native.status).toBe(0);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });
});
