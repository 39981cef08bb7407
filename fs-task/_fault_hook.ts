// The fs-task's test-only fault hook (device-ipc/fault_hook.ts): an FsFault makes a user
// kernel's fs-task fail at its Nth request the way a crashed task does (inproc: out of
// the back end's call, through faultyBackend).

import type { FileSystem } from "./file_system.ts";
import { TaskCrash, TaskFault, taskFaultFromEnv, type TaskFaultSpec } from "../device-ipc/fault_hook.ts";

export type FsFaultSpec = TaskFaultSpec;

/** LIBOS_TEST_FS_FAULT's value (device-ipc/fault_hook.ts taskFaultFromEnv). */
export function fsFaultFromEnv(value: string | undefined): { kernel: string | null; spec: FsFaultSpec } | null {
  return taskFaultFromEnv("LIBOS_TEST_FS_FAULT", value);
}

/** What the fs-task threw when its fault hook fired. */
export { TaskCrash as FsTaskCrash };

/** Counts the fs-task's requests; check() throws at the Nth. */
export class FsFault extends TaskFault {
  constructor(spec: FsFaultSpec) {
    super(spec, "fs-task");
  }
}

/** Inproc mode: `fs` with every method counted, the Nth throwing. */
export function faultyBackend(fs: FileSystem, fault: FsFault): FileSystem {
  const wrapped: Record<string, unknown> = {};
  const source = fs as unknown as Record<string, unknown>;
  for (let o: object | null = fs; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const method = source[name];
      if (name === "constructor" || name in wrapped || typeof method !== "function") continue;
      wrapped[name] = (...args: unknown[]): unknown => {
        if (name !== "releaseBlocked") fault.check();
        return (method as (...a: unknown[]) => unknown).apply(fs, args);
      };
    }
  }
  return wrapped as unknown as FileSystem;
}
