// What the kernel-task holds of a net-task: a NetClient (the NetApi plus the readiness
// sink and stop), built from NET_PROTOCOL over a transport: one generic function per
// method, in every mode. The inproc transport is here; ipc_client.ts and worker_client.ts
// are the others.

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
  /** Runs a call: its result; never throws. */
  invoke(entry: NetMethodEntry, args: readonly unknown[]): unknown;
  stop(): Promise<void>;
}

export interface NetClient extends NetApi {
  readonly mode: NetMode;
  /** The external device's guest settings (address, gateway, DNS) and forwards; null with lo only. */
  readonly external: ExternalNetInfo | null;
  /** Readiness events of every socket go to `sink` from now on. */
  setReadinessSink(sink: ReadinessSink | null): void;
  /** Stops the net-task and closes its devices; later calls fail with -EIO. */
  stop(): Promise<void>;
}

export function createNetProxy(transport: NetTransport, external: ExternalNetInfo | null): NetClient {
  const proxy: Record<string, unknown> = {
    mode: transport.mode,
    external,
    setReadinessSink: (sink: ReadinessSink | null) => {
      transport.sink = sink;
    },
    stop: () => transport.stop(),
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
  readonly #service: NetService;
  #stopped = false;

  constructor(service: NetService) {
    this.#service = service;
    service.stack.onNews = () => this.#deliver();
  }

  invoke(entry: NetMethodEntry, args: readonly unknown[]): unknown {
    if (this.#stopped) return entry.spec.result.error(EIO);
    const method = this.#service[entry.name] as (...a: unknown[]) => unknown;
    let value: unknown;
    try {
      value = method.apply(this.#service, args as unknown[]);
    } catch {
      value = entry.spec.result.error(EIO);
    }
    this.#deliver();
    return value;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#service.stack.stop();
  }

  #deliver(): void {
    this.#service.settle();
    this.#service.drainEvents((id, mask) => this.sink?.(id, mask));
  }
}
