// tmpfs pages are charged to the user kernel's memory quota in every fs mode: in ipc mode
// through the fs-task server's Untyped capability, in inproc mode through the
// kernel-task's, in worker mode through a lease on it (fs-task/_quota_lease.ts). So with
// -m 256M a 150 MiB file fits in /tmp (more than half the quota, the old worker-mode
// limit), filling /tmp ends in ENOSPC before the quota is exceeded, and removing the files
// gives the room back.

import { describe, expect, it } from "vitest";
import { BUSYBOX, runLibos } from "./_run.ts";

const FS_MODES = ["inproc", "ipc", "worker"] as const;
// Nothing forks while /tmp is full (no memory is left for a process): dd's message goes
// to a file whose page is already charged, and is read once the room is back.
const SCRIPT = [
  "echo start > /tmp/err",
  "dd if=/dev/zero of=/tmp/f bs=1M count=150 2>/dev/null && echo 150MiB: written",
  "dd if=/dev/zero of=/tmp/g bs=1M count=400 2>>/tmp/err || echo dd: stopped",
  "rm /tmp/f /tmp/g",
  "grep -o 'No space left on device' /tmp/err",
  "dd if=/dev/zero of=/dev/shm/f bs=1M count=150 2>/dev/null && echo again: written",
].join("; ");

describe.each(FS_MODES)("tmpfs within the memory quota (--fs-mode %s)", (mode) => {
  it("holds more than half the quota, stops with ENOSPC at it, and gives room back on unlink", () => {
    const r = runLibos(["-m", "256M", "--fs-mode", mode], BUSYBOX, ["sh", "-c", SCRIPT], { timeout: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("150MiB: written\ndd: stopped\nNo space left on device\nagain: written\n");
    expect(r.status).toBe(0);
  });
});
