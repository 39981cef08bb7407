// Pseudo-terminals inside the guest, differential: the same static programs natively and
// under the LibOS, outputs compared.
//   pty_drive  a parent plays the terminal for a shell-like child (set-up, locking, the
//              controlling terminal, echo and line editing, ^C, window size, VMIN/VTIME,
//              hangup; fixtures/pty/pty_drive.c says what each line checks)
//   ptyrun     a minimal script(1) running busybox sh on a new pty (busybox's own script
//              applet is not in the Debian build): tty, stty, the node of the terminal
// The pty's number depends on what else the host has open: it is masked.

import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { BUSYBOX, ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/pty");
const PTY_DRIVE = join(FIXTURES, "pty_drive");
const PTYRUN = join(FIXTURES, "ptyrun");

const masked = (s: string): string => s.replace(/\/dev\/pts\/\d+/g, "/dev/pts/N");

describe("pseudo-terminals (differential)", () => {
  beforeAll(() => ensureBuilt());

  it("pty_drive: a parent driving a session on a pty sees what it sees natively", () => {
    const native = runNative(PTY_DRIVE);
    const libos = runLibos([], PTY_DRIVE);
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("child: SIGHUP=1 read after hangup=0 write=-1 errno=EIO");
    expect(libos.stderr).toBe("");
    expect(libos.stdout).toBe(native.stdout);
    expect(libos.status).toBe(native.status);
  });

  it("ptyrun: busybox sh on a pty (fs-task in a worker) names its terminal and reports its modes as natively", () => {
    const script = [
      "echo hi", "tty", "stty -a", "stty size", "test -c $(tty) && echo char device",
      "stat -c '%t %a' $(tty)", "[ -t 0 ] && echo stdin is a tty", "echo done > /dev/tty", "exit 3",
    ].join("; ");
    const native = runNative(PTYRUN, [BUSYBOX, "sh", "-c", script]);
    const libos = runLibos(["--fs-mode", "worker"], PTYRUN, [BUSYBOX, "sh", "-c", script]);
    expect(native.status).toBe(3);
    expect(masked(native.stdout)).toContain("hi\r\n/dev/pts/N\r\n");
    expect(masked(libos.stdout)).toBe(masked(native.stdout));
    expect(libos.status).toBe(3);
  });

  it("without a terminal, tty says so as natively", () => {
    const native = runNative(BUSYBOX, ["sh", "-c", "tty; echo status=$?"]);
    const libos = runLibos([], BUSYBOX, ["sh", "-c", "tty; echo status=$?"]);
    expect(native.stdout).toBe("not a tty\nstatus=1\n");
    expect(libos.stdout).toBe(native.stdout);
  });
});
