// Signals and process control: the C fixtures in fixtures/signals/ (static musl binaries,
// committed prebuilt; `make -C tests/integration/fixtures/signals` rebuilds them) each test
// one behaviour and print only deterministic facts, ending with "ok" and exit status 0 when
// every check held natively. Each runs natively and under the LibOS in a fresh temp dir (some
// write files to the cwd) with the same small environment; stdout and exit status must match.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, haveTool, makeTempDir, runLibos, runNative } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/signals");

interface Fixture {
  name: string;
  /** What the fixture checks (shown in the test name). */
  what: string;
  /** Per-run time limit in ms (the emulated runs are slower). */
  timeout?: number;
}

const fixtures: Fixture[] = [
  { name: "order", what: "pending signals are delivered lowest standard first, RT in queue order" },
  { name: "eintr", what: "read() interrupted by SIGALRM: EINTR without SA_RESTART, restarted with it" },
  { name: "segv_ro", what: "SIGSEGV siginfo: SEGV_ACCERR / SEGV_MAPERR and the exact si_addr" },
  { name: "longjmp", what: "siglongjmp out of a handler 1000 times restores the signal mask" },
  { name: "altstack", what: "sigaltstack + SA_ONSTACK, stack overflow caught on the alternate stack" },
  { name: "sigflags", what: "SA_RESETHAND, SA_NODEFER, SA_SIGINFO, sigsuspend, sigpending, sigtimedwait, kill(0), SIGCHLD" },
  { name: "fpu", what: "FPU/SSE state and rounding mode survive a floating-point signal handler" },
  { name: "forkbomb", what: "fork until it fails, then SIGKILL and reap every child", timeout: 180_000 },
  { name: "wait", what: "wait4/waitpid/waitid, W* macros, reaping order, orphan re-parenting" },
  { name: "execve", what: "execve argv/envp, close-on-exec, #! scripts, errors, signal state across exec" },
];

const ENV: Record<string, string> = { PATH: "/usr/bin:/bin", LANG: "C" };
const LIBOS_ENV_ARGS = ["--clear-env", ...Object.entries(ENV).flatMap(([k, v]) => ["-e", `${k}=${v}`])];

const missing = (): string[] => fixtures.filter((f) => !existsSync(join(FIXTURES, f.name))).map((f) => f.name);

describe.skipIf(missing().length > 0 && !haveTool("musl-gcc"))(
  "signal and process fixtures (prebuilt in fixtures/signals, or musl-gcc to build them)",
  () => {
    beforeAll(() => {
      ensureBuilt();
      if (missing().length > 0) {
        const r = spawnSync("make", ["-C", FIXTURES], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`make -C ${FIXTURES} failed: ${r.stderr}`);
      }
    });

    const cleanups: Array<() => void> = [];
    afterAll(() => cleanups.forEach((c) => c()));

    it.each(fixtures.map((f) => [f.name, f] as const))("%s matches native", (_name, { name, timeout }) => {
      const program = join(FIXTURES, name);
      const limit = timeout ?? 60_000;
      const nativeDir = makeTempDir(`libos-sig-${name}-`);
      const libosDir = makeTempDir(`libos-sig-${name}-`);
      cleanups.push(nativeDir.cleanup, libosDir.cleanup);

      const native = runNative(program, [], { cwd: nativeDir.dir, env: ENV, timeout: limit });
      expect(native.error).toBeUndefined();
      expect(native.status).toBe(0);
      expect(native.stdout).toMatch(/\nok\n$|^ok\n$/);

      const libos = runLibos(LIBOS_ENV_ARGS, program, [], { cwd: libosDir.dir, timeout: limit });
      expect(libos.error).toBeUndefined();
      expect({ stdout: libos.stdout, status: libos.status }).toEqual({ stdout: native.stdout, status: native.status });
    }, 240_000);

    it("covers every program the Makefile builds", () => {
      const makefile = readFileSync(join(FIXTURES, "Makefile"), "utf8");
      const progs = /^PROGS = (.*)$/m.exec(makefile)?.[1]?.trim().split(/\s+/) ?? [];
      expect(progs.sort()).toEqual(fixtures.map((f) => f.name).sort());
    });
  },
);
