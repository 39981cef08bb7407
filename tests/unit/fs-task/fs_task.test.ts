// createFsTask(): one back end description, three ways to reach it.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFsTask, stopFsTask } from "../../../fs-task/fs_task.ts";
import { DevFs } from "../../../fs-task/devfs.ts";
import type { FsTaskClient } from "../../../fs-task/ipc_client.ts";
import { EIO } from "../../../fs-task/_errno.ts";
import { O_RDONLY } from "../../../fs-task/_flags.ts";
import { FS_MODES, launchFor } from "./_modes.ts";

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "fstask-modes-"));
  fs.writeFileSync(path.join(root, "f"), "contents");
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe.each(FS_MODES)("createFsTask() in %s mode", (mode) => {
  it("reads a host file", async () => {
    const task = createFsTask({ type: "hostfs", root, readOnly: true }, launchFor(mode));
    const h = task.open("/f", O_RDONLY, 0) as number;
    const buf = new Uint8Array(16);
    expect(task.pread(h, buf, 0)).toBe(8);
    expect(new TextDecoder().decode(buf.subarray(0, 8))).toBe("contents");
    await stopFsTask(task);
  });

  it("gives -EIO after stopFsTask() (inproc: nothing to stop)", async () => {
    const task = createFsTask({ type: "devfs" }, launchFor(mode));
    await stopFsTask(task);
    expect(task.stat("/null", true)).toEqual(mode === "inproc" ? expect.objectContaining({ rdev: 259 }) : -EIO);
  });
});

describe("createFsTask()", () => {
  it("returns the back end itself in inproc mode and a proxy otherwise", async () => {
    expect(createFsTask({ type: "devfs" })).toBeInstanceOf(DevFs);
    const proxy = createFsTask({ type: "devfs" }, launchFor("ipc")) as FsTaskClient;
    expect(proxy).not.toBeInstanceOf(DevFs);
    expect(proxy.mode).toBe("ipc");
    await proxy.stop();
  });

  it("takes a factory function in inproc and ipc mode, not in worker mode", async () => {
    const ipc = createFsTask(() => new DevFs(), launchFor("ipc"));
    expect(ipc.stat("/zero", true)).toMatchObject({ rdev: 261 });
    await stopFsTask(ipc);
    expect(() => createFsTask(() => new DevFs(), { mode: "worker" })).toThrow(TypeError);
  });
});
