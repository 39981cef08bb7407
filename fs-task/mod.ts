// The fs-task's public face: the FileSystem API, its back ends, and createFsTask(), which
// builds a back end from a mount description (as the system description's JSON gives it)
// and reaches it in the mode chosen at launch (fs_task.ts).

export type { FileSystem, FsDirEntry, FsDirPage, FsResult, FsStat, FsStatFs, FsTime } from "./file_system.ts";
export { DevFs } from "./devfs.ts";
export { HostFs } from "./hostfs.ts";
/** Host conversions, also used by the kernel-task for the host's standard streams. */
export { errnoFromHost, statFromHost } from "./_host.ts";
export type { HostFsOptions } from "./hostfs.ts";

/** The fs-task for a mount in a chosen mode (inproc, ipc, worker), and its IPC module. */
export { createFsTask, stopFsTask } from "./fs_task.ts";
export type { FsBackendSource, FsTaskLaunch } from "./fs_task.ts";
export { FsWorker } from "./worker_client.ts";
export { buildBackend, loadBackend } from "./backend.ts";
export type { FsTaskOptions } from "./backend.ts";
export { FrameDirectory } from "./frame_directory.ts";
export type { FrameHit, KnownFrame } from "./frame_directory.ts";
export type { FsTaskClient, FsTaskMode, FsTaskStats } from "./ipc_client.ts";
export { FsIpcServer } from "./ipc_server.ts";
export { TMPFS_MAGIC, TmpFs } from "./tmpfs.ts";
export type { MemoryQuota, TmpFsOptions } from "./tmpfs.ts";
export { untypedQuota } from "./untyped_quota.ts";
export { INITFS_MAGIC, InitFs, adoptImage, shareImage, type SharedImage } from "./initfs.ts";
export {
  addPath, defaultRootTree, emptyDir, encodeInitFs, overlayTree, treeFromHostDir, writeInitFsImage,
} from "./initfs_builder.ts";
export type {
  DefaultRootOptions, InitFsDir, InitFsFile, InitFsNode, InitFsSpecial, InitFsSymlink,
} from "./initfs_builder.ts";
export { realtimeNs } from "./_clock.ts";
export { AnonDevices } from "./_anon_dev.ts";
export { FsFault, FsTaskCrash, fsFaultFromEnv } from "./_fault_hook.ts";
export type { FsFaultSpec } from "./_fault_hook.ts";
