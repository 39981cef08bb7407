// Setting the real-time clock (tests/integration/fixtures/clock): the error cases, which
// change nothing, compared with native; setting the time, the timezone and the NTP state
// only under the LibOS (natively it would set the host's clock), against the text
// Linux's rules give (kernel/time/ntp.c with HZ 250), and a second user kernel still on
// the host's time.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

const CLOCK = join(ROOT, "tests/integration/fixtures/clock/clock");

const SET_TEXT = `clock_settime(2030-01-01) = 0
CLOCK_REALTIME is then that second
time() is that second
settimeofday(1e9 s, 60 minutes west) = 0
gettimeofday: that second, minuteswest 60 dsttime 1
read: 5 offset 0 freq 0 maxerror 16000000 esterror 16000000 status 0x40 constant 2 precision 1 tolerance 32768000 tick 10000 tai 0
set: 0 offset 0 freq 6553600 maxerror 16000000 esterror 1000 status 0x1 constant 7 precision 1 tolerance 32768000 tick 10001 tai 0
offset 20000 us under the PLL: 0 offset 20000 freq 6553600 maxerror 16000000 esterror 1000 status 0x1 constant 7 precision 1 tolerance 32768000 tick 10001 tai 0
nano, offset -1234567 ns, TAI 37: 0 offset -1234566 freq 6553600 maxerror 16000000 esterror 1000 status 0x2001 constant 10 precision 1 tolerance 32768000 tick 10001 tai 37
TAI 37: 0 offset -1234566 freq 6553600 maxerror 16000000 esterror 1000 status 0x2001 constant 10 precision 1 tolerance 32768000 tick 10001 tai 37
CLOCK_TAI - CLOCK_REALTIME = 37 s
adjtime 5000 us: 0, previous 0
adjtime read: 0, 5000
ADJ_SETOFFSET one hour: 0, moved an hour
PLL off: 0 offset 4293732 freq 6553600 maxerror 16000000 esterror 1000 status 0 constant 10 precision 1 tolerance 32768000 tick 10001 tai 37
a child sees the time set: yes
clock_settime before the monotonic clock = -1 Invalid argument
`;

describe("clock_settime, settimeofday, adjtimex, clock_adjtime", () => {
  beforeAll(() => ensureBuilt());

  it("answer the error cases as native does", () => {
    const native = runNative(CLOCK, ["checks"]);
    expect(native.status).toBe(0);
    expect(native.stdout).toMatch(/nobody: clock_settime = -1 Operation not permitted/);
    const got = runLibos([], CLOCK, ["checks"]);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
  });

  it("set the user kernel's own time and NTP state, as Linux's rules read them back", () => {
    const got = runLibos([], CLOCK, ["set"]);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(SET_TEXT);
    expect(got.status).toBe(0);
    // The next user kernel starts on the host's time: nothing reached the host clock.
    const before = String(new Date().getUTCFullYear());
    const year = runLibos([], "/bin/date", ["-u", "+%Y"]).stdout.trim();
    expect([before, String(new Date().getUTCFullYear())]).toContain(year);
  });
});
