// What the device tasks (fs-task/, net-task/) share to be reached in their ipc and worker
// modes, and the launcher's kernel worker uses too: the message layout and codecs their
// protocols are built from (message.ts), the host's CSpace helper for ipc-mode servers and
// clients (host_cspace.ts), the shared-memory ring of worker mode (ring.ts), how a worker
// thread boots from the build or the sources (worker_boot.ts), and native views and the
// OS thread id and a thread's liveness (native_view.ts), and the test-only fault hook
// (fault_hook.ts). It knows no file system and no socket; it imports only
// the microkernel and linux-abi.

export * from "./message.ts";
export { HostCSpace } from "./host_cspace.ts";
export type { IpcHost, SlotAllocator } from "./host_cspace.ts";
export { ring } from "./ring.ts";
export { BOOT_AREA_BYTES, FROM_SOURCE, bootError, workerBoot } from "./worker_boot.ts";
export { nativeView, osThreadId, threadStart } from "./native_view.ts";
export { TaskCrash, TaskFault, taskFaultFromEnv } from "./fault_hook.ts";
export type { TaskFaultSpec } from "./fault_hook.ts";
