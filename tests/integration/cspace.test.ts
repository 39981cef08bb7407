// Who holds which capability in a user kernel (docs/architecture.md, "CSpaces of a user
// kernel"), read from a user kernel booted in each fs mode (_cspace_facts.mjs): the
// kernel-task works in a CNode of its own that reaches neither the root task's objects nor
// the fs-task server's TCB and CNode; its fs-task capabilities are badged endpoints it can
// only Call; a guest thread's CSpace holds only its fault endpoint; the fs-task's quota is
// an Untyped capability in the server's own CNode, the user kernel's quota; memfd_create's
// tmpfs and mount-point skeletons are fs-tasks of the chosen mode.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt } from "./_run.ts";

const FS_MODES = ["inproc", "ipc", "worker"] as const;

function facts(mode: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, [join(ROOT, "tests/integration/_cspace_facts.mjs"), mode], { encoding: "utf8", timeout: 60_000 });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

beforeAll(() => ensureBuilt());

describe.each(FS_MODES)("a user kernel's CSpaces (--fs-mode %s)", (mode) => {
  it("the kernel-task works in its own CNode, which reaches nothing of the root task's or the fs-task server's", () => {
    const f = facts(mode);
    expect(f).toMatchObject({ ktSelf: true, ktQuotaIsUserKernels: true, ktReachesForbidden: 0 });
    // A guest thread's CSpace holds its fault endpoint capability and nothing else.
    expect(f).toMatchObject({ guestThreads: 1, guestCSpaceIsNotKernelTasks: true, guestCSpaceOnlyItsFaultCap: true });
    expect(f.skeletonMounted).toBe(true);
    expect(f.skeletonMode).toBe(mode);
    expect(f.anonFilesMode).toBe(mode);
    if (mode !== "ipc") return;
    expect(f.fsServerSeparate).toBe(true);
    // /, /tmp, /dev, /dev/shm, the volume, the skeleton and memfd's tmpfs: one each.
    expect(f.clientCaps).toBe(7);
    expect(f.clientCapsBadgedCallOnly).toBe(true);
    expect(f.fsQuotaIsUserKernels).toBe(true);
    expect(f.quotaCharged).toBe(64 * 1024);
  });
});
