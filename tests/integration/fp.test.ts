// Floating point as a program sees it: fixtures/fp/fp.c prints one "case value" line per
// case (exception flags per operation class in SSE and x87, results under each rounding
// mode, long double arithmetic and libm, strtod/strtof/strtold of hard decimal strings,
// printf of long doubles, the rounding mode and flags across a syscall, a thread switch,
// a fork and a signal handler). It runs once natively and once under the LibOS; every
// case must print the same, except the engine's known limits below, where the LibOS must
// print exactly the value the engine is known to give (so a change of engine shows here).
//
// The limits are Unicorn 2.1.4's (QEMU 5.0's TCG), read in its source and measured with
// this fixture (on the KVM platform the host CPU computes: every case as on Linux);
// docs/architecture.md ("Floating point") has the details:
// - SSE exception flags: SSE operations record them in the engine's softfloat status,
//   which nothing ever folds into MXCSR (stmxcsr, fxsave and the register API read the
//   MXCSR field alone), so fetestexcept never sees an SSE flag.
// - x87 exception flags: only the division helper sets one, divide-by-zero, for any zero
//   divisor (also 0/0, which is invalid on a CPU); overflow, underflow, inexact and
//   invalid are never set.
// - x87 fprem/fprem1 (musl's fmodl, remainderl, and through fmodl strtod's rounding) and
//   f2xm1, fyl2x, fpatan (expl, exp2l, logl, log2l, atan2l) compute in double precision.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, haveTool, runLibos, runNative } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/fp");
const FP = join(FIXTURES, "fp");

/** The guest runs on the host CPU (LIBOS_PLATFORM=kvm): no emulator, no limits. */
const ON_HOST_CPU = process.env.LIBOS_PLATFORM === "kvm";
const NO_SSE_FLAGS = "SSE exception flags never reach MXCSR";
const X87_FLAGS = "the x87 helpers set no flag but divide-by-zero";
const FPREM = "fprem/fprem1 compute in double precision";
const X87_TRANSCENDENTAL = "f2xm1/fyl2x/fpatan compute in double precision";

/** Case → what the LibOS prints on Unicorn 2.1.4, and why it differs from Linux. */
const ENGINE_LIMITS: Record<string, { libos: string; why: string }> = {
  "flags.sse.divbyzero": { libos: "0", why: NO_SSE_FLAGS },
  "flags.sse.invalid": { libos: "0", why: NO_SSE_FLAGS },
  "flags.sse.sqrt_neg": { libos: "0", why: NO_SSE_FLAGS },
  "flags.sse.overflow": { libos: "0", why: NO_SSE_FLAGS },
  "flags.sse.underflow": { libos: "0", why: NO_SSE_FLAGS },
  "flags.sse.inexact": { libos: "0", why: NO_SSE_FLAGS },
  "flags.x87.invalid": { libos: "0x4", why: `${X87_FLAGS} (0/0 gives divide-by-zero)` },
  "flags.x87.overflow": { libos: "0", why: X87_FLAGS },
  "flags.x87.underflow": { libos: "0", why: X87_FLAGS },
  "flags.x87.inexact": { libos: "0", why: X87_FLAGS },
  // The inexact flag of the SSE divisions before the fork is missing.
  "keep.fork.child": { libos: "1 0x4 -0x1.5555555555555p-2", why: NO_SSE_FLAGS },
  "keep.fork.parent": { libos: "1 0x4", why: NO_SSE_FLAGS },
  "round.up.strtod": { libos: "0x1.999999999999bp-4 -0x1.9999999999999p-4", why: `strtod's fmodl: ${FPREM}` },
  "round.down.strtod": { libos: "0x1.9999999999999p-4 -0x1.999999999999bp-4", why: `strtod's fmodl: ${FPREM}` },
  "str.2.2250738585072011e-308": { libos: "0x1p-1022 0x0p+0 0x1.ffffffffffffedaap-1023", why: `strtod's fmodl: ${FPREM}` },
  "str.7.038531e-26": { libos: "0x1.5c87fbp-84 0x1.5c87fcp-84 0x1.5c87fafffffffce4p-84", why: `strtof's fmodl: ${FPREM}` },
  "ld.fmodl": { libos: "0x0p+0", why: FPREM },
  "ld.remainderl": { libos: "0x0p+0", why: FPREM },
  "ld.fmodl_small": { libos: "0x1.a2b3c4d5e7p-11", why: FPREM },
  "ld.expl": { libos: "0x1.5bf0a8b145769p+1", why: X87_TRANSCENDENTAL },
  "ld.exp2l": { libos: "0x1.3b2c47bff8329p+0", why: X87_TRANSCENDENTAL },
  "ld.logl": { libos: "0x1.26bb1bbb55516p+1", why: X87_TRANSCENDENTAL },
  "ld.log2l": { libos: "0x1.a934f0979a372p+1", why: X87_TRANSCENDENTAL },
  "ld.atan2l": { libos: "0x1.2a73a661eaf06p-2", why: X87_TRANSCENDENTAL },
};

/** "case value..." lines → case → value. */
function cases(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) out.set(line.slice(0, space), line.slice(space + 1));
  }
  return out;
}

describe.skipIf(!existsSync(FP) && !haveTool("musl-gcc"))("floating point, natively and under the LibOS (fixtures/fp)", () => {
  let native: Map<string, string>;
  let libos: Map<string, string>;

  beforeAll(() => {
    ensureBuilt();
    if (!existsSync(FP)) {
      const r = spawnSync("make", ["-C", FIXTURES], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`make -C ${FIXTURES} failed: ${r.stderr}`);
    }
    const n = runNative(FP);
    const l = runLibos([], FP);
    expect(n.status).toBe(0);
    expect(l.stderr).toBe("");
    expect(l.status).toBe(0);
    native = cases(n.stdout);
    libos = cases(l.stdout);
  });

  it("prints the same cases", () => {
    expect([...libos.keys()]).toEqual([...native.keys()]);
    for (const name of Object.keys(ENGINE_LIMITS)) expect(native.has(name), name).toBe(true);
  });

  for (const group of ["init", "flags", "round", "ld", "str", "printf", "keep"]) {
    it(`${group}.*: as on Linux, or the engine's known limit`, () => {
      const names = [...native.keys()].filter((n) => n.startsWith(`${group}.`));
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const limit = ON_HOST_CPU ? undefined : ENGINE_LIMITS[name];
        if (!limit) {
          expect(libos.get(name), name).toBe(native.get(name));
          continue;
        }
        expect(native.get(name), `${name}: Linux differs from the engine`).not.toBe(limit.libos);
        expect(libos.get(name), `${name}: ${limit.why}`).toBe(limit.libos);
      }
    });
  }
});
