// createNetTask(): a user kernel's net-task, reached in the mode chosen at launch.
//
//   inproc   the NetService itself, called directly (one heap)
//   ipc      the NetService behind a passive server TCB on a microkernel endpoint of the
//            caller's kernel (ipc_server.ts); the caller gets a proxy (ipc_client.ts)
//   worker   the stack in a worker_threads Worker, built there from the configuration
//            (worker.ts); the caller gets a proxy over the shared ring (worker_client.ts)
//
// Every mode gives the same results: the same service answers, through the same table.
// `fault` (a test hook, device-ipc/fault_hook.ts) makes the net-task crash at its Nth
// request, as NetClient's death watch then hears.

import { TaskFault, type TaskFaultSpec } from "../../device-ipc/fault_hook.ts";
import { type IpcHost } from "../../device-ipc/host_cspace.ts";
import { NetIpcTransport } from "./ipc_client.ts";
import { NetIpcServer } from "./ipc_server.ts";
import { NetStack, type NetConfig } from "./net_stack.ts";
import { NetService } from "./socket_table.ts";
import { InprocTransport, createNetProxy, type NetClient } from "./transport.ts";
import { NetWorkerTransport, type NetWorkerOptions } from "./worker_client.ts";

export type NetLaunch = (
  | { mode: "inproc" }
  | ({ mode: "ipc" } & IpcHost)
  | ({ mode: "worker" } & NetWorkerOptions)
) & { fault?: TaskFaultSpec };

/**
 * Starts a net-task: builds its devices (which may bind host ports or open a TAP)
 * and serves it. Rejects with TypeError or SyntaxError for a device that cannot be built
 * from its description, with the host's error when opening it failed (in every mode), and
 * RangeError when ipc mode finds no memory for its objects. NetClient.stop() closes it.
 */
export async function createNetTask(config: NetConfig, launch: NetLaunch): Promise<NetClient> {
  const fault = launch.fault ? new TaskFault(launch.fault, "net-task") : null;
  switch (launch.mode) {
    case "inproc": {
      const stack = await NetStack.start(config);
      return createNetProxy(new InprocTransport(new NetService(stack), fault), stack.external);
    }
    case "ipc": {
      const stack = await NetStack.start(config);
      let server: NetIpcServer;
      let crashed: (err: unknown) => void = () => {};
      try {
        server = new NetIpcServer(new NetService(stack), { ...launch, onCrash: (err) => crashed(err), ...(fault ? { faultHook: fault } : {}) });
      } catch (err) {
        await stack.stop();
        throw err;
      }
      let transport: NetIpcTransport;
      try {
        transport = new NetIpcTransport({ ...launch, endpointCptr: server.mintClientCap() });
      } catch (err) {
        await server.stop();
        throw err;
      }
      const stop = transport.stop.bind(transport);
      transport.stop = async () => {
        await stop();
        await server.stop();
      };
      transport.kill = async () => {
        await stop();
        await server.stop({ linger: false });
      };
      crashed = (err) => transport.onDeath?.(err);
      return createNetProxy(transport, stack.external);
    }
    case "worker": {
      if (config.devices.some((d) => typeof d.device === "function")) throw new TypeError("Cannot start a worker net-task with a device factory: name the device by kind");
      const { transport, external } = await NetWorkerTransport.start(config, launch);
      return createNetProxy(transport, external);
    }
  }
}
