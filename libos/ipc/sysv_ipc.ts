// One user kernel's System V IPC namespace: its shared memory segments, semaphore sets
// and message queues. It lives on the kernel-task (no module state), so user kernels side
// by side share nothing, as separate IPC namespaces.

import { MessageQueues } from "./msg.ts";
import { Semaphores } from "./sem.ts";
import { SharedMemory } from "./shm.ts";

export class SysvIpc {
  readonly shm = new SharedMemory();
  readonly sem = new Semaphores();
  readonly msg = new MessageQueues();
}
