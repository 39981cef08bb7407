// Dynamically linked programs, differential: the host's own programs and a C program built
// here (fixtures/dynamic/dynamic.c, with gcc against glibc and with musl-gcc, both dynamic:
// a committed binary would depend on the host's libc) run natively and under the LibOS with
// --sysroot / (the host's interpreter, libraries and /usr), and must print the same and end
// the same. One busybox sh launch covers several programs, the execve of a dynamic program
// by another and a `#!` script whose interpreter is dynamic. A case is skipped when the
// host lacks its compiler or program. Then the errors a user meets without a sysroot.

import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ROOT, ensureBuilt, haveTool, runLibos, runNative, tempDirs } from "./_run.ts";

const SOURCE = join(ROOT, "tests/integration/fixtures/dynamic/dynamic.c");
const SYSROOT = ["--sysroot", "/"];
const ENV = { ...process.env, DYNAMIC_TEST: "set" };
const PYTHON = "/usr/bin/python3";
const PERL = "/usr/bin/perl";
const GIT = "/usr/bin/git";
const MUSL_LOADER = "/lib/ld-musl-x86_64.so.1";

/** `cc` building SOURCE into `out`, dynamic; null (with the reason in `why`) when it cannot. */
function build(cc: string, out: string, why: string[]): string | null {
  if (!haveTool(cc)) {
    why.push(`${cc} is missing`);
    return null;
  }
  const r = spawnSync(cc, ["-O2", "-pthread", "-o", out, SOURCE, "-ldl"], { encoding: "utf8" });
  if (r.status !== 0) {
    why.push(`${cc} failed: ${r.stderr}`);
    return null;
  }
  return out;
}

describe("dynamically linked programs under --sysroot /", () => {
  const fresh = tempDirs("libos-dynamic-");
  let dir = "";
  let glibc: string | null = null;
  let musl: string | null = null;
  const why: string[] = [];

  beforeAll(() => {
    ensureBuilt();
    dir = fresh();
    glibc = build("gcc", join(dir, "dynamic-glibc"), why);
    musl = existsSync(MUSL_LOADER) ? build("musl-gcc", join(dir, "dynamic-musl"), why) : (why.push(`${MUSL_LOADER} is missing`), null);
  });

  it.for(["inproc", "ipc", "worker"])("the glibc C program run directly (--fs-mode %s): printf, malloc, dlopen, threads, as natively", (mode, ctx) => {
    ctx.skip(glibc === null, why.join("; "));
    const native = runNative("./dynamic-glibc", ["libm.so.6", "two words"], { cwd: dir, env: ENV });
    expect(native.status).toBe(3);
    expect(native.stdout).toContain("dlopen libm.so.6: cos(0.5) = 0.877583\nthreads: 4 joined");
    const got = runLibos([...SYSROOT, "--fs-mode", mode], "./dynamic-glibc", ["libm.so.6", "two words"], { cwd: dir, env: ENV });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(3);
  });

  it("from busybox sh: glibc and musl programs, one exec'ing the other, a #! script run by python3, python3, perl and git", (ctx) => {
    const lines: string[] = [];
    if (glibc) lines.push("./dynamic-glibc libm.so.6 one; echo \"status $?\"");
    if (musl) lines.push("./dynamic-musl libc.so two; echo \"status $?\"");
    if (glibc && musl) lines.push("./dynamic-glibc exec ./dynamic-musl libc.so three; echo \"status $?\"");
    if (existsSync(PYTHON)) {
      writeFileSync(join(dir, "script.py"), `#!${PYTHON}\nimport sys\nprint("script", sys.argv[1:])\n`, { mode: 0o755 });
      lines.push("./script.py a 'b c'; echo \"status $?\"", `${PYTHON} -c 'import json; print(json.dumps({"sum": sum(range(10))}))'`);
    }
    if (existsSync(PERL)) lines.push(`${PERL} -Mstrict -MList::Util=sum -e 'print "perl ", sum(1..10), "\\n"'`);
    if (existsSync(GIT)) lines.push(`${GIT} --version`);
    ctx.skip(lines.length < 2, `too little on this host: ${why.join("; ")}`);
    const script = lines.join("\n");
    const native = runNative(BUSYBOX, ["sh", "-c", script], { cwd: dir, env: ENV });
    expect(native.stderr).toBe("");
    const got = runLibos(SYSROOT, BUSYBOX, ["sh", "-c", script], { cwd: dir, env: ENV, timeout: 120_000 });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(native.status);
    if (glibc && musl) expect(got.stdout).toContain("argc 3: [libc.so] [three]\n");
  });

  it("python3 run directly: the same output as natively", (ctx) => {
    ctx.skip(!existsSync(PYTHON), `${PYTHON} is missing`);
    const args = ["-c", "import sys; print(1 + 1, sys.argv)", "x"];
    const native = runNative(PYTHON, args, { cwd: dir });
    const got = runLibos(SYSROOT, PYTHON, args, { cwd: dir, timeout: 120_000 });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });

  it("without --sysroot: one line saying the interpreter is not in the guest and what to do, status 127", (ctx) => {
    ctx.skip(glibc === null, why.join("; "));
    const got = runLibos([], "./dynamic-glibc", [], { cwd: dir });
    expect(got.stdout).toBe("");
    expect(got.stderr).toBe("libos: ./dynamic-glibc: dynamically linked, and its interpreter /lib64/ld-linux-x86-64.so.2 is not in the guest: "
      + "pass --sysroot / (the host's libraries) or build the program with -static\n");
    expect(got.status).toBe(127);
  });

  it("a host program, or a script's interpreter, that the guest does not have: one line pointing at -v, --sysroot and --root, status 127", (ctx) => {
    ctx.skip(!existsSync(PYTHON), `${PYTHON} is missing`);
    const got = runLibos([], PYTHON, ["-c", "pass"], { cwd: dir });
    expect(got.stdout).toBe("");
    expect(got.stderr).toBe(`libos: ${PYTHON}: no such file or directory in the guest; the host has it: `
      + "pass -v DIR:DIR for its directory, --sysroot / for the host's /usr, or --root /\n");
    expect(got.status).toBe(127);
    writeFileSync(join(dir, "hosted.py"), `#!${PYTHON}\n`, { mode: 0o755 });
    const script = runLibos([], "./hosted.py", [], { cwd: dir });
    expect(script.stderr).toBe(`libos: ./hosted.py: bad #! interpreter ${PYTHON}: no such file or directory (in the guest); the host has it: `
      + "pass -v DIR:DIR for its directory, --sysroot / for the host's /usr, or --root /\n");
    expect(script.status).toBe(127);
  });
});
