// samples/threads/threads (musl, static, -pthread: mutex counter, condition-variable
// producer/consumer, barrier, __thread TLS, join values, a detached thread) prints the same
// deterministic stdout and exits with the same status under the LibOS as natively.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, makeTempDir, runLibos, runNative } from "./_run.ts";

const THREADS = join(ROOT, "samples/threads/threads");

describe.skipIf(!existsSync(THREADS))("threads sample (samples/threads/threads)", () => {
  beforeAll(() => ensureBuilt());

  it("prints the same stdout as natively, exit 0", () => {
    const { dir, cleanup } = makeTempDir("libos-threads-");
    try {
      const env = { LANG: "C" };
      const native = runNative(THREADS, [], { cwd: dir, env, timeout: 60_000 });
      expect(native.error).toBeUndefined();
      expect(native.status).toBe(0);
      expect(native.stdout).toContain("counter = 160000 (expected 160000)\n");
      expect(native.stdout.endsWith("\nok\n")).toBe(true);
      const libos = runLibos(["--clear-env", "-e", "LANG=C"], THREADS, [], { cwd: dir, timeout: 60_000 });
      expect(libos.error).toBeUndefined();
      expect({ stdout: libos.stdout, status: libos.status }).toEqual({ stdout: native.stdout, status: native.status });
    } finally {
      cleanup();
    }
  }, 120_000);
});
