// User kernels side by side in one host process (docs/architecture.md §5).

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, RUN_TIMEOUT_MS, ensureBuilt } from "./_run.ts";

/** The lines tagged `name `, without the tag. */
function linesOf(out: string, name: string): string[] {
  return out.split("\n").filter((l) => l.startsWith(name + " ")).map((l) => l.slice(name.length + 1));
}

describe("two user kernels in one host process", () => {
  beforeAll(() => ensureBuilt());

  it("number their pids, devices, inodes and ptys as each would alone", () => {
    const script = join(ROOT, "tests/integration/fixtures/kernels/numbering.mjs");
    const r = spawnSync(process.execPath, [script, join(ROOT, "dist")], { encoding: "utf8", timeout: RUN_TIMEOUT_MS });
    expect(r.status, r.stderr).toBe(0);
    const alone = linesOf(r.stdout, "alone");
    expect(alone.map((l) => l.split(" ")[0])).toEqual(["pid", "child", "tmp", "mount", "pipe", "fifo", "pts", "root"]);
    expect(linesOf(r.stdout, "a")).toEqual(alone);
    expect(linesOf(r.stdout, "b")).toEqual(alone);
  });
});
