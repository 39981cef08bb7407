// The fs-task worker's entry point: builds the back end from its description, then serves
// the ring (_ring.ts) until the thread is terminated.
//
// Serving loop: take every queued request, dispatch it (FsDispatcher, as the ipc server
// does), answer into the same slot and ring the client's doorbell. When the queue is
// empty, poll it for spinMicros (a request that follows at once then costs well under a
// µs instead of a futex wake-up of tens of µs), then sleep in Atomics.wait. Two things need this thread's event
// loop, which a blocked Atomics.wait starves: a back end's Promise (a FIFO read) and
// node:fs callbacks. So while a call is pending the loop waits with Atomics.waitAsync, and
// otherwise it sleeps in slices of IDLE_SLICE_MS and lets the event loop turn between them.
//
// The polling budget adapts (_ring.ts Waiter): on a busy host where both threads share a
// CPU, polling only delays the other side, and the budget drops to 0.
//
// A call that answers with a Promise is answered Pending at once; when the Promise settles
// the result goes into the slot, the slot goes on the response queue again, and a
// postMessage() tells the client's event loop to look (the client is not waiting then).
//
// Data regions name native memory by host address ([address, block length, offset,
// length]); the worker views it through koffi (_native_view.ts): zero copy.

import { parentPort, workerData } from "node:worker_threads";
import { loadBackend, type FsTaskOptions } from "./backend.ts";
import { FsDispatcher } from "./ipc_server.ts";
import { ReplyStatus, WireReader, WireWriter, type DataDirection } from "./protocol.ts";
import { Ctl, ERROR_AT, ERROR_BYTES, Hdr, WorkerState, controlView, ring, ringQueues, slotViews, Waiter, type RingSlot } from "./_ring.ts";
import { nativeView, osThreadId } from "./_native_view.ts";

/** What the client hands the worker. */
export interface FsWorkerData {
  sab: SharedArrayBuffer;
  backend: FsTaskOptions;
  /** µs to poll the request queue before sleeping. */
  spinMicros: number;
}

const IDLE_SLICE_MS = 100;

/** Atomics.waitAsync (Node 16+; not in the ES2022 library typings). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: true; value: Promise<string> } | { async: false; value: string };
}).waitAsync;

const data = workerData as FsWorkerData;
const ctl = controlView(data.sab);
const queues = ringQueues(ctl);
const slots = slotViews(data.sab);
const reader = new WireReader();
const writer = new WireWriter();
const waiter = new Waiter(data.spinMicros);
let dispatcher: FsDispatcher;
let pending = 0;

function resolveRegion(ref: number, extent: number, offset: number, length: number, _dir: DataDirection): Uint8Array | null {
  if (ref <= 0 || extent <= 0 || offset < 0 || length < 0 || offset + length > extent) return null;
  return nativeView(ref, extent).subarray(offset, offset + length);
}

function answer(slot: number, status: number, words: number): void {
  const h = slots[slot]!.header;
  h[Hdr.Status] = status;
  h[Hdr.Words] = words;
  queues.response.push(slot);
  ring(ctl, Ctl.ClientBell);
}

function handle(slot: number): void {
  const s: RingSlot = slots[slot]!;
  const r = reader.reset(s.words, s.header[Hdr.Words]!, s.bytes, s.view, resolveRegion);
  const w = writer.reset(s.words, s.bytes, s.view);
  const out = dispatcher.dispatch(s.header[Hdr.Label]!, r, w);
  Atomics.add(ctl, Ctl.Requests, 1);
  if (typeof out === "number") {
    answer(slot, out, w.nWords);
    return;
  }
  pending++;
  answer(slot, ReplyStatus.Pending, 0);
  void out.result.then((value) => {
    const late = new WireWriter().reset(s.words, s.bytes, s.view);
    dispatcher.encode(out.entry.spec, value, late);
    pending--;
    answer(slot, ReplyStatus.Ok, late.nWords);
    parentPort?.postMessage(slot);
  });
}

function serve(): void {
  for (;;) {
    let slot: number;
    while ((slot = queues.request.pop()) >= 0) handle(slot);
    if (pending > 0) {
      const seen = Atomics.load(ctl, Ctl.ServerBell);
      if (!queues.request.empty) continue;
      const wait = waitAsync(ctl, Ctl.ServerBell, seen);
      if (wait.async) void wait.value.then(serve);
      else setImmediate(serve);
      return;
    }
    if (!waiter.wait(queues.request, ctl, Ctl.ServerBell, IDLE_SLICE_MS)) {
      setImmediate(serve);
      return;
    }
  }
}

function fail(err: unknown): void {
  const text = new TextEncoder().encode(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  const n = Math.min(text.length, ERROR_BYTES);
  new Uint8Array(data.sab, ERROR_AT, ERROR_BYTES).set(text.subarray(0, n));
  Atomics.store(ctl, Ctl.ErrorLength, n);
  Atomics.store(ctl, Ctl.State, WorkerState.Failed);
  ring(ctl, Ctl.ClientBell);
}

async function main(): Promise<void> {
  Atomics.store(ctl, Ctl.Tid, osThreadId());
  try {
    dispatcher = new FsDispatcher(await loadBackend(data.backend));
  } catch (err) {
    fail(err);
    return;
  }
  const mask = dispatcher.mask;
  Atomics.store(ctl, Ctl.MaskLo, mask % 2 ** 32);
  Atomics.store(ctl, Ctl.MaskHi, Math.floor(mask / 2 ** 32));
  process.on("exit", () => {
    Atomics.store(ctl, Ctl.State, WorkerState.Dead);
    ring(ctl, Ctl.ClientBell);
  });
  // A pending Atomics.waitAsync does not keep a thread's event loop alive; this does.
  setInterval(() => {}, 2 ** 30);
  Atomics.store(ctl, Ctl.State, WorkerState.Ready);
  ring(ctl, Ctl.ClientBell);
  serve();
}

await main();
