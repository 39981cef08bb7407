// The net-task's server side, transport-free: one request (method id + WireReader) → the
// NetService call → the result in a WireWriter, then the stack is polled (settle) and the
// readiness events that are due follow the result. Driven by NET_PROTOCOL; no per-method
// code. The ipc server and the worker both use it, and the data-region helpers below are
// the two ends of "the data lies in the byte area" (protocol.ts).
//
// A request that does not decode is the caller's error (an errno); a throw out of the
// service or the stack is the net-task's crash (TaskCrash): its state can no longer be
// trusted, so the server's loop ends and the kernel-task starts another net-task
// (docs/architecture.md, fault containment). The test hook (a TaskFault) crashes it so.

import { TaskCrash, type TaskFault } from "../../device-ipc/fault_hook.ts";
import { type DataDirection, type WireWriter as Writer } from "../../device-ipc/message.ts";
import { ReplyStatus, WireReader, WireWriter, decodeNetArgs, errnoOf, netMethodById, writeEvents, type NetMethodSpec } from "./protocol.ts";
import { type NetService } from "./socket_table.ts";

export class NetDispatcher {
  readonly service: NetService;
  /** Requests served so far. */
  requests = 0;

  readonly #fault: TaskFault | null;

  constructor(service: NetService, fault: TaskFault | null = null) {
    this.service = service;
    this.#fault = fault;
  }

  /**
   * Runs request `label`; the reply (result and events) is in `w`. Returns a ReplyStatus;
   * throws a TaskCrash when the service or the stack threw.
   */
  dispatch(label: number, r: WireReader, w: WireWriter): number {
    this.requests++;
    this.#fault?.check();
    const entry = netMethodById(label);
    if (entry === undefined) return ReplyStatus.BadRequest;
    const spec = entry.spec;
    let args: unknown[] | null = null;
    let value: unknown;
    try {
      args = decodeNetArgs(spec, r) as unknown[];
    } catch (err) {
      value = spec.result.error(errnoOf(err));
    }
    try {
      if (args !== null) value = (this.service[entry.name] as (...a: unknown[]) => unknown).apply(this.service, args);
      this.service.settle();
    } catch (err) {
      throw crashOf(err);
    }
    this.#encode(spec, value, w);
    writeEvents(w, (sink, max) => this.service.drainEvents(sink, max));
    return ReplyStatus.Ok;
  }

  /** Writes a result; one that cannot be encoded is its error instead. */
  #encode(spec: NetMethodSpec, value: unknown, w: WireWriter): void {
    try {
      spec.result.put(w, value as never);
    } catch (err) {
      w.nWords = 0;
      w.nBytes = 0;
      spec.result.put(w, spec.result.error(errnoOf(err)) as never);
    }
  }
}

/** A throw out of the net-task's own code, as the crash it is. */
export function crashOf(err: unknown): TaskCrash {
  if (err instanceof TaskCrash) return err;
  return new TaskCrash(err instanceof Error ? `${err.name}: ${err.message}` : String(err), { cause: err });
}

/** Where a request's data region goes in the byte area, and what to copy back after. */
export interface PlacedRegion {
  /** recv: the caller's buffer and the byte-area view the answer's bytes are in. */
  dst: Uint8Array | null;
  src: Uint8Array;
}

/**
 * Client side: puts the writer's data region (if any) into the byte area after the bytes
 * already written, cut to what fits, copying send data in. Null without a region.
 */
export function placeRegion(w: Writer, bytes: Uint8Array): PlacedRegion | null {
  const data = w.data;
  if (data === null) return null;
  const at = (w.nBytes + 7) & ~7;
  const len = Math.max(0, Math.min(data.length, bytes.length - at));
  const view = bytes.subarray(at, at + len);
  if (w.dataDir === "in") view.set(data.subarray(0, len));
  w.setRegion(0, bytes.length, at, len);
  return { dst: w.dataDir === "out" ? data : null, src: view };
}

/** After the answer: a recv's bytes (`n` of them) go to the caller's buffer. */
export function finishRegion(placed: PlacedRegion | null, n: number): void {
  if (placed?.dst && n > 0) placed.dst.set(placed.src.subarray(0, Math.min(n, placed.src.length, placed.dst.length)));
}

/** Server side: a data region must lie inside the byte area it came with; anything else is EFAULT. */
export function byteAreaResolver(bytes: Uint8Array): (ref: number, extent: number, offset: number, length: number, dir: DataDirection) => Uint8Array | null {
  return (ref, extent, offset, length) => {
    if (ref !== 0 || extent !== bytes.length || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) return null;
    if (offset < 0 || length < 0 || offset + length > bytes.length) return null;
    return bytes.subarray(offset, offset + length);
  };
}
