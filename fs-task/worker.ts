// The fs-task worker's entry point: serves the ring (device-ipc/ring.ts) until the thread is
// terminated. It starts with no back end; each Attach request builds one from its
// description (one worker holds every back end of a user kernel, so mounting /, /tmp,
// /dev and a volume starts one thread, not four).
//
// Serving loop: take every queued request, dispatch it (FsDispatcher, as the ipc server
// does), answer into the same slot and ring the client's doorbell. When the queue is
// empty, poll it for spinMicros (a request that follows at once then costs well under a
// µs instead of a futex wake-up of tens of µs), then sleep in Atomics.wait. Two things need this thread's event
// loop, which a blocked Atomics.wait starves: a back end's Promise (a FIFO read) and
// node:fs callbacks. So while a call is pending the loop waits with Atomics.waitAsync, and
// otherwise it sleeps in slices of IDLE_SLICE_MS and lets the event loop turn between them.
//
// The polling budget adapts (device-ipc/ring.ts Waiter): on a busy host where both threads share a
// CPU, polling only delays the other side, and the budget drops to 0.
//
// A call that answers with a Promise is answered Pending at once; when the Promise settles
// the result goes into the slot, the slot goes on the response queue again, and a
// postMessage() tells the client's event loop to look (the client is not waiting then).
//
// Data regions name native memory by host address ([address, block length, offset,
// length]); the worker checks them against its slot's grant (device-ipc/ring.ts grantedRegion:
// the granted block, access and window; a forged address is EFAULT) and only then views
// the block through koffi (device-ipc/native_view.ts): zero copy.

import { parentPort, workerData } from "node:worker_threads";
import { byteStringOfHost, hostTextOf } from "../linux-abi/_byte_string.ts";
import { loadBackend, type FsTaskOptions } from "./backend.ts";
import { FsDispatcher } from "./ipc_server.ts";
import { FsFault, type FsFaultSpec } from "./_fault_hook.ts";
import { Control, ReplyStatus, WireReader, WireWriter, type DataDirection } from "./protocol.ts";
import {
  Ctl, GrantAccess, Hdr, PENDING_NOTICE, WorkerState, controlView, grantView, grantedRegion, leaseView, ring, ringQueues, slotViews,
  Waiter, type RingSlot,
} from "../device-ipc/ring.ts";
import { leasedQuota } from "./_quota_lease.ts";
import { nativeView, osThreadId } from "../device-ipc/native_view.ts";

/** What the client hands the worker. */
export interface FsWorkerData {
  sab: SharedArrayBuffer;
  /** µs to poll the request queue before sleeping. */
  spinMicros: number;
  /** Test hook: throw out of the serving loop at the Nth request (_fault_hook.ts). */
  fault?: FsFaultSpec;
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
const grants = grantView(data.sab);
/** What `leased` tmpfs back ends charge: the client's lease on the user kernel's quota. */
const lease = leasedQuota(leaseView(data.sab));
/** The slot whose request is being decoded: its grant is the only memory a region may name. */
let decoding = -1;
const reader = new WireReader();
const writer = new WireWriter();
const waiter = new Waiter(data.spinMicros);
/** Back ends by index; a detached one leaves a null (indices are never reused). */
const dispatchers: (FsDispatcher | null)[] = [];
let pending = 0;
/** Shared by every back end: the fs-task's Nth request, whichever back end it is for. */
const fault = data.fault ? new FsFault(data.fault) : null;

function resolveRegion(ref: number, extent: number, offset: number, length: number, dir: DataDirection): Uint8Array | null {
  const access = dir === "out" ? GrantAccess.Write : GrantAccess.Read;
  if (!grantedRegion(grants, decoding, ref, extent, offset, length, access)) return null;
  return nativeView(ref, extent).subarray(offset, offset + length);
}

function answer(slot: number, status: number, words: number): void {
  const h = slots[slot]!.header;
  h[Hdr.Status] = status;
  h[Hdr.Words] = words;
  queues.response.push(status === ReplyStatus.Pending ? slot | PENDING_NOTICE : slot);
  ring(ctl, Ctl.ClientBell);
}

function handle(slot: number): void {
  const s: RingSlot = slots[slot]!;
  const label = s.header[Hdr.Label]!;
  if (label === Control.Attach) return attach(slot);
  if (label === Control.Release) {
    for (const d of dispatchers) d?.backend.releaseBlocked?.();
    return answer(slot, ReplyStatus.Ok, 0);
  }
  const dispatcher = dispatchers[s.header[Hdr.Backend]!] ?? null;
  if (label === Control.Detach || dispatcher === null) {
    if (dispatcher !== null) {
      dispatcher.backend.releaseBlocked?.();
      dispatchers[s.header[Hdr.Backend]!] = null;
    }
    return answer(slot, label === Control.Detach ? ReplyStatus.Ok : ReplyStatus.BadRequest, 0);
  }
  const r = reader.reset(s.words, s.header[Hdr.Words]!, s.bytes, s.view, resolveRegion);
  const w = writer.reset(s.words, s.bytes, s.view);
  decoding = slot;
  const out = dispatcher.dispatch(label, r, w);
  decoding = -1;
  Atomics.add(ctl, Ctl.Requests, 1);
  if (typeof out === "number") {
    answer(slot, out, w.nWords);
    return;
  }
  later(slot, out.result, (value, late) => {
    dispatcher.encode(out.entry.spec, value, late);
    return ReplyStatus.Ok;
  });
}

/** Answers Pending now and `encode`s the settled value into the slot later. */
function later<T>(slot: number, result: Promise<T>, encode: (value: T, w: WireWriter) => number): void {
  const s = slots[slot]!;
  pending++;
  answer(slot, ReplyStatus.Pending, 0);
  void result.then((value) => {
    const late = new WireWriter().reset(s.words, s.bytes, s.view);
    const status = encode(value, late);
    pending--;
    answer(slot, status, late.nWords);
    parentPort?.postMessage(slot);
  });
}

/** Builds a back end from the description (JSON, one string) in the request. */
function attach(slot: number): void {
  const s = slots[slot]!;
  const built = (async (): Promise<FsDispatcher | Error> => {
    try {
      const text = reader.reset(s.words, s.header[Hdr.Words]!, s.bytes, s.view).str();
      return new FsDispatcher(await loadBackend(JSON.parse(hostTextOf(text)) as FsTaskOptions, lease), fault);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  })();
  later(slot, built, (d, w) => {
    if (d instanceof Error) {
      w.str(byteStringOfHost(`${d.name}: ${d.message}`));
      return ReplyStatus.BadRequest;
    }
    const mask = d.mask;
    w.word(dispatchers.length);
    w.word(mask % 2 ** 32);
    w.word(Math.floor(mask / 2 ** 32));
    dispatchers.push(d);
    return ReplyStatus.Ok;
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

function main(): void {
  Atomics.store(ctl, Ctl.Tid, osThreadId());
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

main();
