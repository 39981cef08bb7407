// The readiness family: the C fixtures in fixtures/readiness/ (static musl binaries,
// committed prebuilt; `make -C tests/integration/fixtures/readiness` rebuilds them) test
// epoll (level, edge, oneshot, nesting, keys, fork, errors), epoll and signals, eventfd,
// timerfd and signalfd. Each prints only structural facts (counts of timer expirations only
// against lower bounds), ends with "ok", and runs once natively and once under the LibOS in
// a fresh temp dir; stdout and exit status must match.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, haveTool, runLibos, runNative, tempDirs } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/readiness");

const fixtures = [
  { name: "epoll", what: "epoll LT/ET/ONESHOT over pipes and eventfds, keys, round robin, nesting, fork, errors" },
  { name: "epoll_signal", what: "epoll_wait/epoll_pwait/epoll_pwait2 and signals: masks, EINTR without restart" },
  { name: "eventfd", what: "eventfd counter and semaphore reads, overflow, blocked reader and writer" },
  { name: "timerfd", what: "timerfd one-shot, periodic and absolute timers, gettime, one EPOLLET edge until read" },
  { name: "signalfd", what: "signalfd records from kill, sigqueue, tgkill, SIGCHLD; mask update; epoll" },
];

const missing = (): string[] => fixtures.filter((f) => !existsSync(join(FIXTURES, f.name))).map((f) => f.name);

describe.skipIf(missing().length > 0 && !haveTool("musl-gcc"))(
  "readiness fixtures (prebuilt in fixtures/readiness, or musl-gcc to build them)",
  () => {
    const fresh = tempDirs("libos-readiness-");
    beforeAll(() => {
      ensureBuilt();
      if (missing().length > 0) {
        const r = spawnSync("make", ["-C", FIXTURES], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`make -C ${FIXTURES} failed: ${r.stderr}`);
      }
    });

    it.each(fixtures.map((f) => [f.name, f] as const))("%s matches native", (_name, { name }) => {
      const program = join(FIXTURES, name);
      const native = runNative(program, [], { cwd: fresh(), timeout: 60_000 });
      expect(native.error).toBeUndefined();
      expect(native.status).toBe(0);
      expect(native.stdout).toMatch(/\nok\n$/);

      const libos = runLibos([], program, [], { cwd: fresh(), timeout: 60_000 });
      expect(libos.error).toBeUndefined();
      expect(libos.stderr).toBe("");
      expect({ stdout: libos.stdout, status: libos.status }).toEqual({ stdout: native.stdout, status: native.status });
    }, 180_000);

    it("covers every program the Makefile builds", () => {
      const makefile = readFileSync(join(FIXTURES, "Makefile"), "utf8");
      const progs = /^PROGS = (.*)$/m.exec(makefile)?.[1]?.trim().split(/\s+/) ?? [];
      expect(progs.sort()).toEqual(fixtures.map((f) => f.name).sort());
    });
  },
);
