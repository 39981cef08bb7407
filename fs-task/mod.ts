// The fs-task's public face: the FileSystem API, its back ends, and createFsTask(), which
// builds a back end from a mount description (as the system description's JSON gives it).

import type { FileSystem } from "./file_system.ts";
import { DevFs } from "./devfs.ts";
import type { DevTty } from "./devfs.ts";
import { HostFs } from "./hostfs.ts";

export type { FileSystem, FsDirEntry, FsDirPage, FsResult, FsStat, FsStatFs, FsTime } from "./file_system.ts";
export { DevFs } from "./devfs.ts";
export type { DevFsOptions, DevTty } from "./devfs.ts";
export { HostFs } from "./hostfs.ts";
/** Host conversions, also used by the kernel-task for the host's standard streams. */
export { errnoFromHost, statFromHost } from "./_host.ts";
export type { HostFsOptions } from "./hostfs.ts";

export type FsTaskOptions =
  | { type: "hostfs"; root: string; readOnly?: boolean }
  | { type: "devfs"; tty?: DevTty | null };

/** A file system for one mount. Throws TypeError if a hostfs root is not a directory. */
export function createFsTask(options: FsTaskOptions): FileSystem {
  switch (options.type) {
    case "hostfs":
      return new HostFs({ root: options.root, readOnly: options.readOnly ?? false });
    case "devfs":
      return new DevFs(options.tty === undefined ? {} : { tty: options.tty });
  }
}
