// `--strace` prints each syscall strace-style to stderr and leaves the guest's stdout alone.

import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, HELLO_MUSL, ensureBuilt, runLibos } from "./_run.ts";

beforeAll(() => ensureBuilt());

describe.skipIf(!existsSync(BUSYBOX))(`--strace (needs ${BUSYBOX})`, () => {
  it("busybox echo hi: the write line, the exit line, and clean stdout", () => {
    const r = runLibos(["--strace"], BUSYBOX, ["echo", "hi"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("hi\n");
    expect(r.stderr).toMatch(/^write\(1, "hi\\n", 3\) = 3$/m);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe("+++ exited with 0 +++");
  });

  it("the exit status is reported with the guest's status", () => {
    const r = runLibos(["--strace"], BUSYBOX, ["false"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe("+++ exited with 1 +++");
  });
});

describe("--strace without busybox", () => {
  it("hello-musl: stdout unchanged, stderr ends with the exit line", () => {
    const plain = runLibos(["--clear-env"], HELLO_MUSL);
    const traced = runLibos(["--clear-env", "--strace"], HELLO_MUSL);
    expect(traced.status).toBe(0);
    expect(traced.stdout).toBe(plain.stdout);
    expect(traced.stderr).toMatch(/^exit_group\(0\)/m);
    expect(traced.stderr.trimEnd().split("\n").at(-1)).toBe("+++ exited with 0 +++");
  });
});
