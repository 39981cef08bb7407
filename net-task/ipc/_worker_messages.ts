// What the net-task worker (worker.ts) and its client (worker_client.ts) say to each other
// outside the ring: the worker's start-up data and the few messages through postMessage.
// Its own module, because importing worker.ts would run it.

import { type TaskFaultSpec } from "../../device-ipc/fault_hook.ts";
import { type ExternalNetInfo } from "./devices.ts";
import { type NetConfig } from "./net_stack.ts";

export interface NetWorkerData {
  sab: SharedArrayBuffer;
  /** µs to poll the request queue before waiting. */
  spinMicros: number;
  config: NetConfig;
  /** Test hook: throw out of the serving loop at the Nth request (device-ipc/fault_hook.ts). */
  fault?: TaskFaultSpec;
}

/** Worker → client: readiness may have changed (fetch the events with a sync call). */
export const NEWS = 0;
/** Client → worker: stop the stack, close the device and end the thread. */
export const STOP = "stop";
/** Worker → client, once, when it serves: the external device's settings. */
export interface ReadyMessage {
  ready: ExternalNetInfo | null;
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  return typeof message === "object" && message !== null && "ready" in message;
}
