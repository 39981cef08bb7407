// The net-task worker's entry point (worker mode): the stack in its own thread, serving the
// shared ring (device-ipc/ring.ts: the same slots, queues and doorbells as the fs-task's
// worker) with a NetDispatcher.
//
// Unlike the fs-task's worker, this thread's event loop must keep turning: the stack's
// one timer (RTO, delayed ACK, TIME-WAIT, …) and its devices' wakers run on it. So the
// serving loop never sleeps in Atomics.wait: after draining the request queue it polls it
// for a few µs (a request that follows at once is served without a wake-up), then waits
// with Atomics.waitAsync, which lets timers fire in between. An idle stack has no timer and
// no request: the thread sleeps.
//
// When a timer or a device moved something and readiness changed, the worker
// postMessage()s the client (NEWS), which then sends a `sync` request; every answer carries
// the events that are due, so one message per burst is enough (a flag until the next request).
//
// Start and stop: the module builds its stack (and the external device, async) before it
// says Ready, then posts the device's guest settings ({ ready }); a device that cannot be
// built rejects the module's evaluation, which the boot script reports through the ring's
// error area. On STOP from the client it stops the stack, which closes the device (a TAP's
// descriptor is not the thread's to drop), and ends the thread.
//
// A crash (dispatcher.ts: the service or the stack threw, or the test hook fired) marks
// the ring Dead and goes on out of the serving loop, which ends the thread; so does a
// throw out of a timer's poll. The client then answers -EIO and reports the death.

import { parentPort, workerData } from "node:worker_threads";
import { TaskCrash, TaskFault } from "../../device-ipc/fault_hook.ts";
import { Ctl, Hdr, WorkerState, controlView, ring, ringQueues, slotViews, spinFor } from "../../device-ipc/ring.ts";
import { osThreadId } from "../../device-ipc/native_view.ts";
import { byteAreaResolver, NetDispatcher } from "./dispatcher.ts";
import { NEWS, STOP, type NetWorkerData, type ReadyMessage } from "./_worker_messages.ts";
import { NetStack } from "./net_stack.ts";
import { ReplyStatus, WireReader, WireWriter } from "./protocol.ts";
import { NetService } from "./socket_table.ts";

/** Atomics.waitAsync (Node 16+; not in the ES2022 library typings). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: true; value: Promise<string> } | { async: false; value: string };
}).waitAsync;

const data = workerData as NetWorkerData;
const ctl = controlView(data.sab);
const queues = ringQueues(ctl);
const slots = slotViews(data.sab);
const resolvers = slots.map((s) => byteAreaResolver(s.bytes));
const reader = new WireReader();
const writer = new WireWriter();
const service = new NetService(await NetStack.start(data.config));
const dispatcher = new NetDispatcher(service, data.fault ? new TaskFault(data.fault, "net-task") : null);
let newsPosted = false;

service.stack.onNews = () => {
  service.settle();
  if (!service.hasEvents || newsPosted) return;
  newsPosted = true;
  parentPort?.postMessage(NEWS);
};

function handle(slot: number): void {
  const s = slots[slot]!;
  const r = reader.reset(s.words, s.header[Hdr.Words]!, s.bytes, s.view, resolvers[slot]!);
  const w = writer.reset(s.words, s.bytes, s.view);
  let status: number;
  try {
    status = dispatcher.dispatch(s.header[Hdr.Label]!, r, w);
  } catch (err) {
    if (err instanceof TaskCrash) {
      Atomics.store(ctl, Ctl.State, WorkerState.Dead);
      ring(ctl, Ctl.ClientBell);
      throw err;
    }
    status = ReplyStatus.BadRequest; // a bug here, not the guest's doing
    w.nWords = 0;
  }
  newsPosted = false;
  Atomics.add(ctl, Ctl.Requests, 1);
  s.header[Hdr.Status] = status;
  s.header[Hdr.Words] = w.nWords;
  queues.response.push(slot);
  ring(ctl, Ctl.ClientBell);
}

function serve(): void {
  for (;;) {
    let slot: number;
    while ((slot = queues.request.pop()) >= 0) handle(slot);
    if (spinFor(queues.request, data.spinMicros)) continue;
    const seen = Atomics.load(ctl, Ctl.ServerBell);
    if (!queues.request.empty) continue;
    const wait = waitAsync(ctl, Ctl.ServerBell, seen);
    if (wait.async) void wait.value.then(serve);
    else setImmediate(serve);
    return;
  }
}

function main(): void {
  Atomics.store(ctl, Ctl.Tid, osThreadId());
  process.on("exit", () => {
    Atomics.store(ctl, Ctl.State, WorkerState.Dead);
    ring(ctl, Ctl.ClientBell);
  });
  parentPort?.on("message", (message: unknown) => {
    if (message === STOP) void service.stack.stop().finally(() => process.exit(0));
  });
  // A pending Atomics.waitAsync does not keep a thread's event loop alive; this does.
  setInterval(() => {}, 2 ** 30);
  Atomics.store(ctl, Ctl.State, WorkerState.Ready);
  parentPort?.postMessage({ ready: service.stack.external } satisfies ReadyMessage);
  ring(ctl, Ctl.ClientBell);
  serve();
}

main();
