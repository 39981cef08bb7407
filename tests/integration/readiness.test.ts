// The readiness family: the C fixtures in fixtures/readiness/ (static musl binaries,
// committed prebuilt; `make -C tests/integration/fixtures/readiness` rebuilds them) test
// epoll (level, edge, oneshot, nesting, keys, fork, errors), epoll and signals, eventfd,
// timerfd and signalfd. Each prints only structural facts (counts of timer expirations only
// against lower bounds), ends with "ok", and runs once natively and once under the LibOS in
// a fresh temp dir; stdout and exit status must match. Then the host's python3 (under
// --sysroot /), whose selectors module and subprocess.communicate use epoll.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, haveTool, runLibos, runNative, tempDirs } from "./_run.ts";

const PYTHON = "/usr/bin/python3";
const PYTHON_EPOLL = `
import os, selectors, subprocess
s = selectors.DefaultSelector()
print(type(s).__name__)
r, w = os.pipe()
s.register(r, selectors.EVENT_READ, "pipe")
print(s.select(0))
os.write(w, b"x")
print([(k.data, e) for k, e in s.select(0)])
os.close(w)
print([(k.data, e) for k, e in s.select(5)], os.read(r, 10), os.read(r, 10))
p = subprocess.Popen(["/bin/sh", "-c", "cat; echo done >&2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out, err = p.communicate(b"x" * 200000, timeout=60)
print(len(out), err, p.returncode)
`;

const FIXTURES = join(ROOT, "tests/integration/fixtures/readiness");

/** What epoll_stdio reads from its stdin pipe: more than one host read's worth, varied bytes. */
const STDIN = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 10)) & 0xff));

const fixtures: { name: string; what: string; input?: boolean }[] = [
  { name: "epoll", what: "epoll LT/ET/ONESHOT over pipes and eventfds, keys, round robin, nesting, fork, errors" },
  { name: "epoll_signal", what: "epoll_wait/epoll_pwait/epoll_pwait2 and signals: masks, EINTR without restart" },
  { name: "epoll_stdio", what: "epoll over the host's stdout and stdin pipes: stdin read edge-triggered to its end", input: true },
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

    it.each(fixtures.map((f) => [f.name, f] as const))("%s matches native", (_name, { name, input }) => {
      const program = join(FIXTURES, name);
      const stdin = input ? { input: STDIN } : {};
      const native = runNative(program, [], { cwd: fresh(), timeout: 60_000, ...stdin });
      expect(native.error).toBeUndefined();
      expect(native.status).toBe(0);
      expect(native.stdout).toMatch(/\nok\n$/);

      const libos = runLibos([], program, [], { cwd: fresh(), timeout: 60_000, ...stdin });
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

describe("python3's epoll users (the host's python3 under --sysroot /)", () => {
  const fresh = tempDirs("libos-readiness-py-");
  beforeAll(() => ensureBuilt());

  it("EpollSelector and subprocess.communicate print what they print natively", (ctx) => {
    ctx.skip(!existsSync(PYTHON), `${PYTHON} is missing`);
    const native = runNative(PYTHON, ["-c", PYTHON_EPOLL], { cwd: fresh() });
    expect(native.stdout).toContain("EpollSelector\n");
    const got = runLibos(["--sysroot", "/"], PYTHON, ["-c", PYTHON_EPOLL], { cwd: fresh(), timeout: 120_000 });
    expect(got.stderr).toBe("");
    expect({ stdout: got.stdout, status: got.status }).toEqual({ stdout: native.stdout, status: native.status });
  }, 180_000);
});
