// Errors a user can meet: files that are not runnable x86-64 static programs give one
// clear `libos:` line and a non-zero exit; guest faults and bad syscalls behave as on Linux.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, HELLO_MUSL, ROOT, ensureBuilt, haveTool, makeTempDir, runLibos, runNative } from "./_run.ts";

function stderrLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.length > 0);
}

function expectOneLibosLine(stderr: string): string {
  const lines = stderrLines(stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^libos: /);
  return lines[0]!;
}

describe("programs the LibOS cannot run", () => {
  let dir = "";
  let cleanup = (): void => {};

  beforeAll(() => {
    ensureBuilt();
    const tmp = makeTempDir("libos-errors-");
    dir = tmp.dir;
    cleanup = tmp.cleanup;
    writeFileSync(join(dir, "script.txt"), "echo this is not an ELF file\n", { mode: 0o755 });
    writeFileSync(join(dir, "truncated"), readFileSync(HELLO_MUSL).subarray(0, 100), { mode: 0o755 });
    const arm = join(dir, "hello-aarch64");
    if (haveTool("aarch64-linux-gnu-gcc")) {
      const r = spawnSync("aarch64-linux-gnu-gcc", ["-static", "-o", arm, join(ROOT, "samples/hello/hello.c")], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`aarch64-linux-gnu-gcc failed: ${r.stderr}`);
    } else {
      // Same file with e_machine (offset 18, little-endian u16) set to EM_AARCH64 = 183.
      copyFileSync(HELLO_MUSL, arm);
      const b = readFileSync(arm);
      b.writeUInt16LE(183, 18);
      writeFileSync(arm, b, { mode: 0o755 });
    }
    mkdirSync(join(dir, "a-directory"));
  });
  afterAll(() => cleanup());

  it("a text file: non-zero exit, one `libos:` line", () => {
    const r = runLibos([], "script.txt", [], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expectOneLibosLine(r.stderr);
  });

  it("a truncated ELF (first 100 bytes of hello-musl): non-zero exit, one `libos:` line", () => {
    const r = runLibos([], "truncated", [], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expectOneLibosLine(r.stderr);
  });

  it("an aarch64 ELF: non-zero exit, one line naming the architecture", () => {
    const r = runLibos([], "hello-aarch64", [], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(expectOneLibosLine(r.stderr)).toMatch(/aarch64|arm64|architecture/i);
  });

  it("a missing program: non-zero exit, one line naming it", () => {
    const r = runLibos([], "does-not-exist", [], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    const line = expectOneLibosLine(r.stderr);
    expect(line).toContain("does-not-exist");
    expect(line).toMatch(/no such file|not found/i);
  });

  it("a directory as PROGRAM: status 126 and one line saying so, as a shell", () => {
    const r = runLibos([], "./a-directory", [], { cwd: dir });
    expect(r.status).toBe(126);
    expect(r.stdout).toBe("");
    expect(expectOneLibosLine(r.stderr)).toBe("libos: ./a-directory: is a directory");
  });

  it("a signal that ends the program run directly: one line naming it (none for SIGPIPE, nor for a child), status 128+N", () => {
    const term = runLibos([], BUSYBOX, ["sh", "-c", "sh -c 'kill -TERM $$'; echo \"child $?\"; kill -TERM $$"], { cwd: dir });
    expect(term.stdout).toBe("child 143\n");
    // The first line is the guest shell's own report on its child.
    expect(term.stderr).toBe(`Terminated\nlibos: ${BUSYBOX}: killed by signal 15 (Terminated)\n`);
    expect(term.status).toBe(143);
    const pipe = runLibos([], BUSYBOX, ["sh", "-c", "kill -PIPE $$"], { cwd: dir });
    expect(pipe.stderr).toBe("");
    expect(pipe.status).toBe(141);
  });

  it("no PROGRAM at all: usage error, non-zero exit", () => {
    const r = runLibos([], "", [], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^libos: /);
  });
});

describe("the KVM platform where the KVM device does not open (LIBOS_KVM_DEVICE points elsewhere)", () => {
  beforeAll(() => ensureBuilt());
  const env = (device: string): NodeJS.ProcessEnv => ({ ...process.env, LIBOS_KVM_DEVICE: device });

  it("--platform kvm: non-zero exit, one line saying why, nothing run", () => {
    for (const [device, why] of [["/nonexistent/kvm", /\/nonexistent\/kvm does not open \(no such file\)/], ["/dev/null", /\/dev\/null does not answer as KVM API version 12/]] as const) {
      const r = runLibos(["--platform", "kvm"], HELLO_MUSL, [], { env: env(device) });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(expectOneLibosLine(r.stderr)).toMatch(why);
    }
  });

  it("--platform auto runs on Unicorn and --stats says so", () => {
    const r = runLibos(["--platform", "auto", "--stats"], HELLO_MUSL, [], { env: env("/nonexistent/kvm") });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Hello from musl!\n");
    expect(r.stderr).toMatch(/^libos: stats: platform unicorn, /m);
  });
});

describe.skipIf(!haveTool("musl-gcc"))("guest faults and bad syscalls (needs musl-gcc to build fixtures/faults.c)", () => {
  let faults = "";
  let cleanup = (): void => {};

  beforeAll(() => {
    ensureBuilt();
    const tmp = makeTempDir("libos-faults-");
    cleanup = tmp.cleanup;
    faults = join(tmp.dir, "faults");
    const r = spawnSync("musl-gcc", ["-static", "-O0", "-o", faults, join(ROOT, "tests/integration/fixtures/faults.c")], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`musl-gcc failed: ${r.stderr}`);
  });
  afterAll(() => cleanup());

  it("write()/read() with a bad pointer fail with EFAULT (14), as natively", () => {
    const native = runNative(faults, ["efault"]);
    const libos = runLibos([], "./faults", ["efault"], { cwd: dirname(faults) });
    expect(native.stdout).toBe("write returned -1 errno 14\nread returned -1 errno 14\n");
    expect(libos.stdout).toBe(native.stdout);
    expect(libos.status).toBe(0);
  });

  it("an unknown syscall (999) gives ENOSYS (38) and the guest keeps running", () => {
    const native = runNative(faults, ["enosys"]);
    const libos = runLibos([], "./faults", ["enosys"], { cwd: dirname(faults) });
    expect(native.stdout).toContain("syscall(999) returned -1 errno 38\n");
    expect(libos.stdout).toBe(native.stdout);
    expect(libos.status).toBe(0);
  });

  it.each([
    ["NULL dereference", "segv", 139, "Segmentation fault"],
    ["division by zero", "fpe", 136, "Floating point exception"],
    ["abort()", "abort", 134, "Aborted"],
  ] as const)("%s: exit status %i (128+signal) as the shell reports natively, and one line naming the signal", (_name, mode, status, what) => {
    const native = runNative(faults, [mode]);
    expect(native.status).toBe(status);
    const libos = runLibos([], "./faults", [mode], { cwd: dirname(faults) });
    expect(libos.error).toBeUndefined();
    expect(libos.status).toBe(status);
    expect(libos.stdout).toBe(native.stdout);
    expect(libos.stderr).toBe(`libos: ./faults: killed by signal ${status - 128} (${what})\n`);
  });
});
