// createNetTask(): a user kernel's net-task, reached in the mode chosen at launch.
//
//   inproc   the NetService itself, called directly (one heap)
//   ipc      the NetService behind a passive server TCB on a microkernel endpoint of the
//            caller's kernel (ipc_server.ts); the caller gets a proxy (ipc_client.ts)
//   worker   the stack in a worker_threads Worker, built there from the configuration
//            (worker.ts); the caller gets a proxy over the shared ring (worker_client.ts)
//
// Every mode gives the same results: the same service answers, through the same table.

import { type IpcHost } from "../../fs-task/_ipc_host.ts";
import { NetIpcTransport } from "./ipc_client.ts";
import { NetIpcServer } from "./ipc_server.ts";
import { NetStack, type NetConfig } from "./net_stack.ts";
import { NetService } from "./socket_table.ts";
import { InprocTransport, createNetProxy, type NetClient } from "./transport.ts";
import { NetWorkerTransport, type NetWorkerOptions } from "./worker_client.ts";

export type NetLaunch =
  | { mode: "inproc" }
  | ({ mode: "ipc" } & IpcHost)
  | ({ mode: "worker" } & NetWorkerOptions);

/**
 * Starts a net-task. Throws TypeError when the external device cannot be built (in every
 * mode), RangeError when ipc mode finds no memory for its objects.
 */
export function createNetTask(config: NetConfig, launch: NetLaunch): NetClient {
  switch (launch.mode) {
    case "inproc":
      return createNetProxy(new InprocTransport(new NetService(new NetStack(config))));
    case "ipc": {
      const server = new NetIpcServer(new NetService(new NetStack(config)), launch);
      let transport: NetIpcTransport;
      try {
        transport = new NetIpcTransport({ ...launch, endpointCptr: server.mintClientCap() });
      } catch (err) {
        server.stop();
        throw err;
      }
      const stop = transport.stop.bind(transport);
      transport.stop = async () => {
        await stop();
        server.stop();
      };
      return createNetProxy(transport);
    }
    case "worker":
      if (typeof config.external?.device === "function") throw new TypeError("Cannot start a worker net-task with a device factory: name the device by kind");
      return createNetProxy(new NetWorkerTransport(config, launch));
  }
}
