// ETXTBSY (tests/integration/fixtures/txtbsy) compared with native: a running program
// opened for writing or truncated, and a file open for writing executed.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const TXTBSY = join(ROOT, "tests/integration/fixtures/txtbsy/txtbsy");

describe("ETXTBSY", () => {
  beforeAll(() => ensureBuilt());
  const fresh = tempDirs("libos-txtbsy-");

  it("keeps running programs and files open for writing apart as natively", () => {
    const native = runNative(TXTBSY, [fresh()]);
    const got = runLibos(["-v", `${fresh()}:/work/tx`], TXTBSY, ["/work/tx"]);
    expect(native.status).toBe(0);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
  });
});
