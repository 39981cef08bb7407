// The net-task's server side, transport-free: one request (method id + WireReader) → the
// NetService call → the result in a WireWriter, then the stack is polled (settle) and the
// readiness events that are due follow the result. Driven by NET_PROTOCOL; no per-method
// code. The ipc server and the worker both use it, and the data-region helpers below are
// the two ends of "the data lies in the byte area" (protocol.ts).

import { type DataDirection, type WireWriter as Writer } from "../../device-ipc/message.ts";
import { ReplyStatus, WireReader, WireWriter, decodeNetArgs, errnoOf, netMethodById, writeEvents, type NetMethodSpec } from "./protocol.ts";
import { type NetService } from "./socket_table.ts";

export class NetDispatcher {
  readonly service: NetService;
  /** Requests served so far. */
  requests = 0;

  constructor(service: NetService) {
    this.service = service;
  }

  /** Runs request `label`; the reply (result and events) is in `w`. Returns a ReplyStatus. */
  dispatch(label: number, r: WireReader, w: WireWriter): number {
    this.requests++;
    const entry = netMethodById(label);
    if (entry === undefined) return ReplyStatus.BadRequest;
    const spec = entry.spec;
    let value: unknown;
    try {
      const args = decodeNetArgs(spec, r);
      const method = this.service[entry.name] as (...a: unknown[]) => unknown;
      value = method.apply(this.service, args);
    } catch (err) {
      value = spec.result.error(errnoOf(err));
    }
    this.service.settle();
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
