// Wild jumps: a call through NULL, to a non-canonical address, into the virtual TLB's trap
// range (2^48 + an address), the kernel half, an unmapped page, a page without execute
// permission, and hlt. Each is a SIGSEGV to that process with Linux's si_code and si_addr,
// never a hang or a host error. fixtures/jumps/jumps (static musl, committed prebuilt) forks
// a child per case and prints what wait() and a SIGSEGV handler saw; it runs natively and
// under the LibOS, and the outputs must match.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

const JUMPS = join(ROOT, "tests/integration/fixtures/jumps/jumps");

describe("wild jumps end in SIGSEGV, as on Linux", () => {
  beforeAll(() => ensureBuilt());

  it("every case, each in a forked child: the same wait statuses and siginfo as natively", () => {
    const native = runNative(JUMPS);
    expect(native.status).toBe(0);
    const libos = runLibos([], JUMPS);
    expect(libos.error).toBeUndefined();
    expect(libos.stderr).toBe("");
    expect(libos.stdout).toBe(native.stdout);
    expect(libos.status).toBe(0);
    expect(libos.stdout).toContain("null-call with a handler: signal 11 SEGV_MAPERR si_addr=0\n");
    expect(libos.stdout).toContain("non-canonical with a handler: signal 11 SI_KERNEL si_addr=0\n");
    expect(libos.stdout).toContain("trap-range with a handler: signal 11 SI_KERNEL si_addr=0\n");
    expect(libos.stdout).toContain("non-executable-page with a handler: signal 11 SEGV_ACCERR si_addr=the page\n");
    expect(libos.stdout.match(/: killed by signal 11\n/g)).toHaveLength(10);
  });

  it("a call through NULL in the first process: exit status 139, as the shell reports natively", () => {
    expect(runNative(JUMPS, ["null-call"]).status).toBe(139);
    const libos = runLibos([], JUMPS, ["null-call"]);
    expect(libos.error).toBeUndefined();
    expect(libos.status).toBe(139);
    expect(libos.stdout).toBe("");
  });
});
