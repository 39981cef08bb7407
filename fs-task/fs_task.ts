// createFsTask(): the fs-task for one mount, reached in the mode chosen at launch.
//
//   inproc   the back end object itself (direct calls, one heap)
//   ipc      the back end behind a passive server TCB on a microkernel endpoint of the
//            caller's kernel (ipc_server.ts; one server can hold several back ends); the
//            caller gets a proxy (ipc_client.ts)
//   worker   the back end in a worker_threads Worker, built there from its description
//            (one worker can hold several back ends); the caller gets a proxy over the
//            shared ring (worker_client.ts)
//
// Every mode gives the same results; the proxies add stop() and stats().

import type { FileSystem } from "./file_system.ts";
import { faultyBackend, type FsFault } from "./_fault_hook.ts";
import { buildBackend, type FsTaskOptions } from "./backend.ts";
import type { FrameDirectory } from "./frame_directory.ts";
import { IpcTransport, createFsProxy, type FsTaskClient, type FsTransport } from "./ipc_client.ts";
import { FsIpcServer } from "./ipc_server.ts";
import type { IpcHost } from "../device-ipc/host_cspace.ts";
import { WorkerTransport, type FsWorker, type WorkerClientOptions } from "./worker_client.ts";

export type FsTaskLaunch =
  /** `fault`: test hook, the Nth call throws (_fault_hook.ts). */
  | { mode: "inproc"; fault?: FsFault }
  /**
   * `server`: the server to attach to (a user kernel's one); without it each mount starts
   * its own. The IpcHost is the client's CSpace; `clientCnode` names that CSpace's CNode
   * in the server owner's CSpace, where the client's badged endpoint capability is minted
   * (default: the client shares the server owner's CNode).
   */
  | ({ mode: "ipc"; server?: FsIpcServer; frames?: FrameDirectory; bounceBytes?: number; clientCnode?: number } & IpcHost)
  /** `host`: the worker to attach to (a user kernel's one); without it each mount starts its own. */
  | ({ mode: "worker"; host?: FsWorker } & WorkerClientOptions);

/** A back end description, or (inproc and ipc) a function that builds the back end. */
export type FsBackendSource = FsTaskOptions | (() => FileSystem);

/**
 * The file system for one mount. Throws TypeError when the back end cannot be built (a
 * hostfs root that is not a directory), in every mode; RangeError when ipc mode finds no
 * memory for its objects.
 */
export function createFsTask(backend: FsBackendSource, launch?: { mode: "inproc" }): FileSystem;
export function createFsTask(backend: FsBackendSource, launch: FsTaskLaunch): FileSystem | FsTaskClient;
export function createFsTask(backend: FsBackendSource, launch: FsTaskLaunch = { mode: "inproc" }): FileSystem | FsTaskClient {
  const build = (): FileSystem => (typeof backend === "function" ? backend() : buildBackend(backend));
  switch (launch.mode) {
    case "inproc":
      return launch.fault ? faultyBackend(build(), launch.fault) : build();
    case "ipc": {
      const owned = launch.server === undefined;
      const server = launch.server ?? new FsIpcServer(launch);
      const index = server.attach(build());
      let transport: IpcTransport;
      try {
        const into = launch.clientCnode === undefined || launch.slots === undefined ? undefined : { cnodeCptr: launch.clientCnode, slots: launch.slots };
        transport = new IpcTransport({ ...launch, endpointCptr: server.mintClientCap(index, into), requests: () => server.requests });
      } catch (err) {
        if (owned) server.stop();
        else server.detach(index);
        throw err;
      }
      const both: FsTransport = {
        mode: "ipc",
        invoke: (entry, args) => transport.invoke(entry, args),
        stats: () => transport.stats(),
        async stop() {
          await transport.stop();
          if (owned) server.stop();
          else server.detach(index);
        },
      };
      return createFsProxy(both, transport.mask);
    }
    case "worker": {
      if (typeof backend === "function") throw new TypeError("Cannot start a worker fs-task from a function: pass a back end description");
      const transport = new WorkerTransport(backend, launch);
      return createFsProxy(transport, transport.mask);
    }
  }
}

/** Stops an fs-task made by createFsTask(): its waiting calls end (releaseBlocked). */
export async function stopFsTask(fs: FileSystem): Promise<void> {
  fs.releaseBlocked?.();
  const stop = (fs as Partial<FsTaskClient>).stop;
  if (typeof stop === "function") await stop.call(fs);
}
