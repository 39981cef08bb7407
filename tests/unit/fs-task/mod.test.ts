// createFsTask(): builds a back end from a mount description.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DevFs, HostFs, createFsTask } from "../../../fs-task/mod.ts";
import { EROFS } from "../../../fs-task/_errno.ts";

describe("createFsTask()", () => {
  it("builds a HostFs that honours readOnly", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fstask-"));
    try {
      const task = createFsTask({ type: "hostfs", root, readOnly: true });
      expect(task).toBeInstanceOf(HostFs);
      expect(task.mkdir("/x", 0o755)).toBe(-EROFS);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("builds a DevFs", () => {
    const task = createFsTask({ type: "devfs" });
    expect(task).toBeInstanceOf(DevFs);
    expect(task.stat("/null", true)).toMatchObject({ rdev: 259 });
  });
});
