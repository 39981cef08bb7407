// Back ends from a serialisable description: the mount entries of the system description,
// and what the fs-task worker receives (a worker cannot be handed an object, only data).
// A `dev` in a description is the st_dev the kernel-task chose from its user kernel's
// anonymous devices (_anon_dev.ts).
//
// To add a back end (tmpfs.ts, initfs.ts): add its description to FsTaskOptions and one
// case to buildBackend(); every mode then has it. A back end that lives outside this
// folder can be named by module URL ({ type: "module" }) and is built where it runs.

import type { FileSystem } from "./file_system.ts";
import { DevFs } from "./devfs.ts";
import { HostFs } from "./hostfs.ts";
import { InitFs } from "./initfs.ts";
import { TmpFs, type MemoryQuota, type TmpFsLimits } from "./tmpfs.ts";
import { byteBudget } from "./_paged_bytes.ts";

export { byteBudget };

export type FsTaskOptions =
  | { type: "hostfs"; root: string; readOnly?: boolean }
  | { type: "devfs" }
  /**
   * Its pages are limited to `sizeBytes` (tmpfs's size=); pass a factory to charge a quota
   * instead. `leased` (worker mode): the pages are charged to the lease the worker's client
   * gives it on the user kernel's quota (_quota_lease.ts) instead.
   */
  | ({ type: "tmpfs"; sizeBytes: number; dev: number } & TmpFsLimits)
  | ({ type: "tmpfs"; leased: true; dev: number } & TmpFsLimits)
  /** The read-only image file at `image` (scripts/build-initfs.mjs makes it). */
  | { type: "initfs"; image: string; dev: number }
  /**
   * `export` (default "default") of the ES module at `url`, called with `options`, returns
   * the FileSystem. Built asynchronously, so only worker mode takes it; inproc and ipc take
   * a factory function instead.
   */
  | { type: "module"; url: string; export?: string; options?: unknown };

/**
 * The back end for a description; `lease` is the quota a `leased` tmpfs charges (the
 * worker's). Throws TypeError for a bad hostfs root or a module.
 */
export function buildBackend(options: FsTaskOptions, lease: MemoryQuota | null = null): FileSystem {
  switch (options.type) {
    case "hostfs":
      return new HostFs({ root: options.root, readOnly: options.readOnly ?? false });
    case "devfs":
      return new DevFs();
    case "tmpfs":
      // The description's limits (size=, nr_inodes=, mode=, uid=, gid=) go to the back end as they are.
      return new TmpFs({ ...options, quota: "leased" in options ? (lease ?? byteBudget(0)) : byteBudget(options.sizeBytes) });
    case "initfs":
      return InitFs.fromFile(options.image, options.dev);
    case "module":
      throw new TypeError(`Cannot build back end from ${options.url}: module back ends run in worker mode only`);
  }
}

/** buildBackend() plus module back ends (the worker's way). */
export async function loadBackend(options: FsTaskOptions, lease: MemoryQuota | null = null): Promise<FileSystem> {
  if (options.type !== "module") return buildBackend(options, lease);
  const mod = (await import(options.url)) as Record<string, unknown>;
  const factory = mod[options.export ?? "default"];
  if (typeof factory !== "function") throw new TypeError(`Cannot build back end: ${options.url} has no function ${options.export ?? "default"}`);
  return (await factory(options.options)) as FileSystem;
}
