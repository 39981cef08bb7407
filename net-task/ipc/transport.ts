// What the kernel-task holds of a net-task: a NetClient (the NetApi plus the readiness
// sink, the death watch, stop and kill), built from NET_PROTOCOL over a transport: one
// generic function per method, in every mode. The inproc transport is here; ipc_client.ts
// and worker_client.ts are the others.
//
// Death: a net-task whose own code threw (inproc: out of a call or the stack's timer;
// ipc: out of its server's handler; worker: its thread ended or was terminated) is dead.
// Its transport answers -EIO from then on (the call in flight included) and tells the
// death watch once, synchronously, before that call returns; the owner then kill()s it
// (no linger: its state is not to be trusted) and starts another (libos/supervised_net.ts).

import { type TaskFault } from "../../device-ipc/fault_hook.ts";
import { EIO } from "../../linux-abi/errno.ts";
import { type NetApi, type NetRecv, type ReadinessSink } from "./api.ts";
import { type ExternalNetInfo } from "./devices.ts";
import { netMethodEntries, type NetMethodEntry } from "./protocol.ts";
import { type NetService } from "./socket_table.ts";

export type NetMode = "inproc" | "ipc" | "worker";

export interface NetTransport {
  readonly mode: NetMode;
  /** Where readiness events go (set by the kernel-task). */
  sink: ReadinessSink | null;
  /** Told once when the net-task dies (never for a stop). */
  onDeath: ((err: unknown) => void) | null;
  /** Runs a call: its result; never throws. */
  invoke(entry: NetMethodEntry, args: readonly unknown[]): unknown;
  stop(): Promise<void>;
  /** Ends it at once, without lingering (after its death). */
  kill(): Promise<void>;
}

export interface NetClient extends NetApi {
  readonly mode: NetMode;
  /** The external device's guest settings (address, gateway, DNS) and forwards; null with lo only. */
  readonly external: ExternalNetInfo | null;
  /** Readiness events of every socket go to `sink` from now on. */
  setReadinessSink(sink: ReadinessSink | null): void;
  /** `watch` hears (once) when the net-task dies; every call is -EIO from then on. */
  setDeathWatch(watch: ((err: unknown) => void) | null): void;
  /** Stops the net-task and closes its devices; later calls fail with -EIO. */
  stop(): Promise<void>;
  /** Ends a dead net-task: closes its devices at once, without lingering. */
  kill(): Promise<void>;
}

export function createNetProxy(transport: NetTransport, external: ExternalNetInfo | null): NetClient {
  const proxy: Record<string, unknown> = {
    mode: transport.mode,
    external,
    setReadinessSink: (sink: ReadinessSink | null) => {
      transport.sink = sink;
    },
    setDeathWatch: (watch: ((err: unknown) => void) | null) => {
      transport.onDeath = watch;
    },
    stop: () => transport.stop(),
    kill: () => transport.kill(),
  };
  for (const entry of netMethodEntries()) proxy[entry.name] = (...args: unknown[]) => transport.invoke(entry, args);
  return proxy as unknown as NetClient;
}

/** How many data bytes a result says moved (recv's count), for copying them out of a byte area. */
export function dataCount(value: unknown): number {
  if (typeof value === "number") return value;
  return typeof value === "object" && value !== null && "n" in value ? (value as NetRecv).n : 0;
}

/** inproc: direct calls on the service, which settles and hands over its events after each. */
export class InprocTransport implements NetTransport {
  readonly mode = "inproc";
  sink: ReadinessSink | null = null;
  onDeath: ((err: unknown) => void) | null = null;
  readonly #service: NetService;
  readonly #fault: TaskFault | null;
  #stopped = false;

  constructor(service: NetService, fault: TaskFault | null = null) {
    this.#service = service;
    this.#fault = fault;
    service.stack.onNews = () => this.#deliver();
    service.stack.onFailure = (err) => this.#died(err);
  }

  invoke(entry: NetMethodEntry, args: readonly unknown[]): unknown {
    if (this.#stopped) return entry.spec.result.error(EIO);
    let value: unknown;
    try {
      this.#fault?.check();
      value = (this.#service[entry.name] as (...a: unknown[]) => unknown).apply(this.#service, args as unknown[]);
      this.#deliver();
    } catch (err) {
      this.#died(err);
      return entry.spec.result.error(EIO);
    }
    return value;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#service.stack.stop();
  }

  async kill(): Promise<void> {
    this.#stopped = true;
    await this.#service.stack.stop({ linger: false });
  }

  #deliver(): void {
    this.#service.settle();
    this.#service.drainEvents((id, mask) => this.sink?.(id, mask));
  }

  /** Its code threw: it answers nothing more, and its owner hears of it. */
  #died(err: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.onDeath?.(err);
  }
}
