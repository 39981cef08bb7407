// `--strace` prints each syscall strace-style to stderr and leaves the guest's stdout alone,
// and the guest's results too: it observes the kernel-task's one dispatch path.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, HELLO_MUSL, ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

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

describe("--strace watches the one dispatch path", () => {
  const highbits = join(ROOT, "tests/integration/fixtures/strace/highbits");

  it("garbage in the high half of 32-bit arguments and of RAX: the same results as natively, traced or not", () => {
    const native = runNative(highbits);
    const plain = runLibos([], highbits);
    const traced = runLibos(["--strace"], highbits);
    expect(native.status).toBe(0);
    expect(plain.stdout).toBe(native.stdout);
    expect(traced.stdout).toBe(native.stdout);
    expect([plain.status, traced.status]).toEqual([0, 0]);
    // The printer reads a C int from the low half, as strace does.
    expect(traced.stderr).toMatch(/^close\(99\) = -1 EBADF \(Bad file descriptor\)$/m);
    expect(traced.stderr).toMatch(/^kill\(\d+, 0\) = 0$/m);
    expect(traced.stderr).toMatch(/^dup3\(3, 13, O_CLOEXEC\) = 13$/m);
    expect(traced.stderr).toMatch(/^clock_gettime\(CLOCK_MONOTONIC, \{tv_sec=\d+, tv_nsec=\d+\}\) = 0$/m);
  });
});
