// The launcher's readiness check (scripts/readiness.cjs): the build is due when the stamp
// or the bundle is missing, or when any TypeScript source under the built folders, at any
// depth, is newer than the stamp; other files there do not count.

import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../integration/_run.ts";

const { staleParts } = createRequire(import.meta.url)(join(ROOT, "scripts/readiness.cjs")) as { staleParts: (root: string) => string[] };

const root = mkdtempSync(join(tmpdir(), "libos-readiness-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes `path` under the root with mtime `seconds` (since the epoch). */
function file(path: string, seconds: number): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, "");
  utimesSync(full, seconds, seconds);
}

describe("the readiness check", () => {
  it("finds the build due exactly when a source at any depth is newer than its stamp", () => {
    expect(staleParts(root)).toContain("build");
    file("libos/sys/deep/old.ts", 1000);
    file("net-task/x.ts", 1000);
    file("dist/bundle.js", 2000);
    file("dist/.build-stamp", 2000);
    expect(staleParts(root)).not.toContain("build");
    file("libos/sys/notes.md", 3000);
    expect(staleParts(root)).not.toContain("build");
    file("libos/sys/deep/new.ts", 3000);
    expect(staleParts(root)).toContain("build");
    file("dist/.build-stamp", 4000);
    expect(staleParts(root)).not.toContain("build");
    rmSync(join(root, "dist/bundle.js"));
    expect(staleParts(root)).toContain("build");
  });
});
