// Host facts for the linux-abi tests: the installed uapi headers and a C compiler.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether gcc runs on this host; the comparisons with C skip (and say so) without it. */
export const HAVE_GCC = spawnSync("gcc", ["--version"]).status === 0;

/** Whether musl-gcc (musl's gcc wrapper) runs on this host. */
export const HAVE_MUSL_GCC = spawnSync("musl-gcc", ["--version"]).status === 0;

/** Compile and run a C program with the host gcc (or `compiler`); returns its standard output. */
export function runC(source: string, compiler = "gcc"): string {
  const dir = mkdtempSync(join(tmpdir(), "linux-abi-"));
  try {
    writeFileSync(join(dir, "t.c"), source);
    execFileSync(compiler, ["-w", "-o", join(dir, "t"), join(dir, "t.c")]);
    return execFileSync(join(dir, "t"), { encoding: "utf8" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines of "name value" as a map. */
export function parsePairs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp > 0) out.set(line.slice(0, sp), line.slice(sp + 1));
  }
  return out;
}

/** The first of `paths` that exists, read as text; null if none does. */
export function readHeader(...paths: string[]): string | null {
  for (const p of paths) if (existsSync(p)) return readFileSync(p, "utf8");
  return null;
}

/** The test name, with the reason when it is skipped. */
export function named(name: string, runs: boolean, why: string): string {
  return runs ? name : `${name} (skipped: ${why})`;
}
