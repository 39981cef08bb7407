// Differential tests for busybox utilities that change files: the same sequence of
// commands runs natively in one fresh directory and under the LibOS in another, and the
// per-command exit statuses and the final state (listing, stat fields) must match.

import { existsSync } from "node:fs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ensureBuilt, makeTempDir, runLibos, runNative, type RunResult } from "./_run.ts";

type Runner = (program: string, args: string[], opts: { cwd: string }) => RunResult;
const native: Runner = (p, args, opts) => runNative(p, args, opts);
const libos: Runner = (p, args, opts) => runLibos([], p, args, opts);

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** Runs each command in a fresh dir; returns the exit statuses and the stdout of `inspect`. */
function replay(run: Runner, commands: string[][], inspect: string[][]): { statuses: number[]; state: string } {
  const { dir, cleanup } = makeTempDir("libos-updates-");
  cleanups.push(cleanup);
  const statuses = commands.map((args) => run(BUSYBOX, args, { cwd: dir }).status);
  const state = inspect.map((args) => run(BUSYBOX, args, { cwd: dir }).stdout).join("");
  return { statuses, state };
}

describe.skipIf(!existsSync(BUSYBOX))("busybox file updates", () => {
  beforeAll(() => ensureBuilt());

  const sequences: Array<{ label: string; commands: string[][]; inspect: string[][] }> = [
    {
      label: "touch creates files and sets times from -d and -r",
      commands: [["touch", "new"], ["touch", "-d", "2020-01-02 03:04:05", "dated"], ["touch", "-r", "dated", "new"], ["touch", "-c", "absent"]],
      inspect: [["stat", "-c", "%n %s %Y %F", "new", "dated"], ["ls", "-1"]],
    },
    {
      label: "mkdir, chmod, ln -s, rm and rmdir",
      commands: [["mkdir", "-p", "a/b/c"], ["chmod", "750", "a"], ["touch", "a/f"], ["ln", "-s", "f", "a/l"], ["rm", "a/f"], ["rmdir", "a/b/c"], ["rmdir", "a"]],
      inspect: [["ls", "-R", "a"], ["stat", "-c", "%n %a %F %h", "a", "a/b", "a/l"], ["readlink", "a/l"]],
    },
    {
      label: "mv and cp -p keep content and times",
      commands: [["sh", "-c", "echo data > src"], ["touch", "-d", "2001-09-09 01:46:40", "src"], ["cp", "-p", "src", "copy"], ["mv", "src", "moved"], ["mv", "no-such", "x"]],
      inspect: [["stat", "-c", "%n %s %Y %a", "copy", "moved"], ["cat", "copy", "moved"], ["ls", "-1"]],
    },
  ];

  it.each(sequences)("$label matches native", ({ commands, inspect }) => {
    const want = replay(native, commands, inspect);
    const got = replay(libos, commands, inspect);
    expect(got.statuses).toEqual(want.statuses);
    expect(got.state).toEqual(want.state);
  });
});
