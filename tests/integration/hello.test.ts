// The hello samples under the LibOS print exactly what they print natively.

import { beforeAll, describe, expect, it } from "vitest";
import { HELLO_GLIBC, HELLO_MUSL, ensureBuilt, makeTempDir, runLibos, runNative } from "./_run.ts";

beforeAll(() => ensureBuilt());

const samples = [
  { libc: "musl", path: HELLO_MUSL },
  { libc: "glibc", path: HELLO_GLIBC },
] as const;

describe.each(samples)("hello-$libc", ({ libc, path }) => {
  it("prints the same stdout as natively with the same argv and env, exit 0", () => {
    const { dir, cleanup } = makeTempDir("libos-hello-");
    try {
      const args = ["one", "two words", "", "ünïcødé"];
      const env = { GREETING: "hi there", EMPTY: "", LANG: "C" };
      const native = runNative(path, args, { cwd: dir, env });
      expect(native.status).toBe(0);
      const libos = runLibos(
        ["--clear-env", ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`])],
        path,
        args,
        { cwd: dir },
      );
      expect(libos.stdout).toBe(native.stdout);
      expect(libos.status).toBe(0);
      expect(libos.stdout).toContain(`Hello from ${libc}!\n`);
      expect(libos.stdout).toContain("pi = 3.141593\n");
    } finally {
      cleanup();
    }
  });

  it("without arguments or environment: argc 1, envc 0", () => {
    const native = runNative(path, [], { env: {} });
    const libos = runLibos(["--clear-env"], path);
    expect(libos.stdout).toBe(native.stdout);
    expect(libos.stdout).toContain("argc = 1\n");
    expect(libos.stdout).toContain("envc = 0\n");
    expect(libos.status).toBe(0);
  });

  it("an -e K=V variable is visible to the guest", () => {
    const libos = runLibos(["--clear-env", "-e", "LIBOS_TEST_VAR=42=x"], path);
    expect(libos.status).toBe(0);
    expect(libos.stdout).toContain("envc = 1\nenv: LIBOS_TEST_VAR=42=x\n");
  });

  it("-e adds to the inherited environment when --clear-env is not given", () => {
    const libos = runLibos(["-e", "LIBOS_TEST_VAR=added"], path, [], {
      env: { INHERITED_VAR: "from-host" },
    });
    expect(libos.status).toBe(0);
    expect(libos.stdout).toContain("env: INHERITED_VAR=from-host\n");
    expect(libos.stdout).toContain("env: LIBOS_TEST_VAR=added\n");
  });
});

describe("the environment of an isolated guest", () => {
  const env = { ...process.env, LIBOS_TEST_SECRET: "host-only" };
  const run = (args: string[]): string[] => {
    const got = runLibos(["--isolate", ...args], "/bin/busybox", ["env"], { env, cwd: "/" });
    expect(got.status, got.stderr).toBe(0);
    return got.stdout.split("\n").filter((l) => l !== "");
  };

  it("is its own: PATH, HOME and the terminal type, nothing else of the host", () => {
    const names = run([]).map((l) => l.slice(0, l.indexOf("=")));
    expect(names.filter((n) => n !== "TERM")).toEqual(["PATH", "HOME"]);
  });

  it("-e NAME passes one host variable, --host-env all of them", () => {
    expect(run(["-e", "LIBOS_TEST_SECRET"])).toContain("LIBOS_TEST_SECRET=host-only");
    expect(run(["--host-env"])).toContain("LIBOS_TEST_SECRET=host-only");
    expect(run(["--host-env", "--clear-env", "-e", "A=1"])).toEqual(["A=1"]);
  });
});
