// Test helpers: run a FileSystem suite in every fs-task mode.
//
//   describe.each(FS_MODES)("HostFs in %s mode", (mode) => {
//     const { mount } = fsModes(mode);
//     beforeEach(() => { fsys = mount({ type: "hostfs", root }); });
//     ...
//   });
//
// mount() builds the back end through createFsTask() in that mode (ipc: a fresh
// microkernel per mount) and stops it after the test; mountShared() stops it after the
// suite (for a file system made while the suite is collected).

import { afterAll, afterEach } from "vitest";
import { createFsTask, stopFsTask, type FsTaskLaunch } from "../../../fs-task/fs_task.ts";
import type { FsTaskOptions } from "../../../fs-task/backend.ts";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import { Kernel } from "../../../microkernel/kernel.ts";

export const FS_MODES = ["inproc", "ipc", "worker"] as const;
export type FsMode = (typeof FS_MODES)[number];

/** A launch description for `mode`; ipc mode gets its own microkernel. */
export function launchFor(mode: FsMode): FsTaskLaunch {
  switch (mode) {
    case "inproc":
      return { mode };
    case "ipc":
      return { mode, kernel: new Kernel({ untypedBytes: 256 << 20, rootCnodeRadix: 12 }) };
    case "worker":
      return { mode };
  }
}

export function fsModes(mode: FsMode): {
  mount(options: FsTaskOptions): FileSystem;
  mountShared(options: FsTaskOptions): FileSystem;
} {
  const perTest: FileSystem[] = [];
  const shared: FileSystem[] = [];
  afterEach(async () => {
    await Promise.all(perTest.splice(0).map(stopFsTask));
  });
  afterAll(async () => {
    await Promise.all(shared.splice(0).map(stopFsTask));
  });
  const make = (list: FileSystem[], options: FsTaskOptions): FileSystem => {
    const task = createFsTask(options, launchFor(mode));
    list.push(task);
    return task;
  };
  return {
    mount: (options) => make(perTest, options),
    mountShared: (options) => make(shared, options),
  };
}
