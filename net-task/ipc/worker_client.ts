// Worker mode, the kernel-task's side: the net-task runs in a worker_threads Worker
// (worker.ts) built from a NetConfig (JSON: a device is named by kind, not passed as a
// function), and calls cross the shared ring (device-ipc/ring.ts). The NetApi stays
// synchronous: the caller waits for the answer with the ring's adaptive Waiter (a short
// spin, then Atomics.wait). Net calls never go Pending: an operation that would wait
// answers -EAGAIN and the kernel-task waits for a readiness event instead.
//
// Data (send's bytes, recv's destination) goes through the slot's byte area (64 KiB; a
// larger send or recv moves a part, which both allow). Events come with every answer; a
// message from the worker (timer or device news) queues a `sync` call.
//
// A dead worker gives -EIO, never a hang: waits time out every SLICE_MS to look at the
// worker's exit mark, its thread in /proc (a terminated thread leaves no mark) and the
// 'exit' event; one that answers nothing for requestTimeoutMs is terminated. A death
// that was not a stop (the thread threw, or was killed) goes to onDeath, once.
// The test hook's throw fires in the worker; its kill is this side terminating the thread.
//
// Start (async: the worker builds its device, which may bind host ports) ends with the
// worker's { ready } message, or its exit with the error its boot script left in the ring.
// Stop asks the worker to close its device and end; terminate() only if it does not.

import { Worker } from "node:worker_threads";
import { EAGAIN, EIO } from "../../linux-abi/errno.ts";
import {
  Ctl, ERROR_AT, Hdr, RING_BYTES, RING_SLOTS, WorkerState, Waiter, controlView, ring, ringQueues, slotViews, type RingQueues, type RingSlot,
} from "../../device-ipc/ring.ts";
import { TaskFault, type TaskFaultSpec } from "../../device-ipc/fault_hook.ts";
import { threadStart } from "../../device-ipc/native_view.ts";
import { workerBoot } from "../../device-ipc/worker_boot.ts";
import { type ReadinessSink } from "./api.ts";
import { finishRegion, placeRegion } from "./dispatcher.ts";
import { type ExternalNetInfo } from "./devices.ts";
import { LINGER_MS, type NetConfig } from "./net_stack.ts";
import { NET_PROTOCOL, ReplyStatus, WireReader, WireWriter, encodeNetArgs, errnoOf, readEvents, type NetMethodEntry } from "./protocol.ts";
import { dataCount, type NetTransport } from "./transport.ts";
import { NEWS, STOP, isReadyMessage, type NetWorkerData } from "./_worker_messages.ts";

export interface NetWorkerOptions {
  /** µs to poll for an answer (and, in the worker, for the next request) before sleeping (default 50). */
  spinMicros?: number;
  /** A request not answered by a live worker after this is given up (default 30 s). */
  requestTimeoutMs?: number;
  startTimeoutMs?: number;
  /** Test hook: the net-task fails at its Nth request (device-ipc/fault_hook.ts). */
  fault?: TaskFaultSpec;
}

const SLICE_MS = 50;
/** How long a stopping worker may take (lingering, closing its device) before it is terminated. */
const STOP_TIMEOUT_MS = LINGER_MS + 5000;
const SYNC: NetMethodEntry = { name: "sync", spec: NET_PROTOCOL.sync as NetMethodEntry["spec"] };

export class NetWorkerTransport implements NetTransport {
  readonly mode = "worker";
  sink: ReadinessSink | null = null;
  onDeath: ((err: unknown) => void) | null = null;
  readonly worker: Worker;
  readonly #ctl: Int32Array;
  readonly #queues: RingQueues;
  readonly #slots: RingSlot[];
  readonly #waiter: Waiter;
  readonly #timeoutMs: number;
  readonly #writer = new WireWriter();
  readonly #reader = new WireReader();
  readonly #sab: SharedArrayBuffer;
  #dead = false;
  #exited = false;
  /** stop() or kill() began: the thread's end is no death. */
  #stopping = false;
  #syncQueued = false;
  readonly #kill: TaskFault | null;
  /** The worker's OS thread and its start time, for liveness (0 until it serves, or without /proc). */
  #tid = 0;
  #tidStart = "";

  /**
   * Starts the worker and waits until it serves; rejects with what building the stack
   * threw (TypeError or SyntaxError for a bad device, the host's error opening it).
   */
  static async start(config: NetConfig, options: NetWorkerOptions = {}): Promise<{ transport: NetWorkerTransport; external: ExternalNetInfo | null }> {
    const transport = new NetWorkerTransport(config, options);
    const external = await transport.#ready(options.startTimeoutMs ?? 30_000);
    return { transport, external };
  }

  private constructor(config: NetConfig, options: NetWorkerOptions) {
    const spinMicros = options.spinMicros ?? 50;
    this.#waiter = new Waiter(spinMicros);
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    const sab = (this.#sab = new SharedArrayBuffer(RING_BYTES));
    this.#ctl = controlView(sab);
    this.#queues = ringQueues(this.#ctl);
    this.#slots = slotViews(sab);
    for (let i = 0; i < RING_SLOTS; i++) this.#queues.free.push(i);
    const entry = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
    const { url, boot } = workerBoot(entry);
    const fault = options.fault;
    this.#kill = fault?.how === "kill" ? new TaskFault(fault, "net-task") : null;
    const workerData: NetWorkerData & { boot: unknown } = { sab, spinMicros, config, boot, ...(fault?.how === "throw" ? { fault } : {}) };
    this.worker = new Worker(url, { workerData });
    this.worker.on("error", () => {});
    this.worker.on("exit", () => {
      this.#exited = true;
      this.#die(new Error("its worker thread ended"));
    });
    this.worker.on("message", (message: unknown) => {
      if (message === NEWS) this.#queueSync();
    });
  }

  invoke(entry: NetMethodEntry, args: readonly unknown[]): unknown {
    const spec = entry.spec;
    if (this.#dead) return spec.result.error(EIO);
    const slot = this.#queues.free.pop();
    if (slot < 0) return spec.result.error(EAGAIN);
    const s = this.#slots[slot]!;
    const w = this.#writer.reset(s.words, s.bytes, s.view);
    let placed;
    try {
      encodeNetArgs(spec, args, w);
      placed = placeRegion(w, s.bytes);
    } catch (err) {
      this.#queues.free.push(slot);
      return spec.result.error(errnoOf(err));
    }
    s.header[Hdr.Label] = spec.id;
    s.header[Hdr.Words] = w.nWords;
    this.#queues.request.push(slot);
    ring(this.#ctl, Ctl.ServerBell);
    if (this.#kill?.next()) void this.worker.terminate();
    if (!this.#waitFor(slot)) return spec.result.error(EIO);
    let value: unknown;
    let more = false;
    try {
      if (s.header[Hdr.Status] !== ReplyStatus.Ok) return spec.result.error(EIO);
      const r = this.#reader.reset(s.words, s.header[Hdr.Words]!, s.bytes, s.view);
      value = spec.result.get(r);
      finishRegion(placed, dataCount(value));
      more = readEvents(r, (id, mask) => this.sink?.(id, mask));
    } catch (err) {
      value = spec.result.error(errnoOf(err));
    } finally {
      this.#queues.free.push(slot);
    }
    if (more) this.#queueSync();
    return value;
  }

  /** Asks the worker to close its device and end; terminates it if it has not after STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#dead = true;
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.ref();
    this.worker.postMessage(STOP);
    const timer = setTimeout(() => void this.worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Ends the thread now (it died: nothing of it is worth waiting for). */
  async kill(): Promise<void> {
    this.#stopping = true;
    this.#dead = true;
    if (!this.#exited) await this.worker.terminate();
  }

  /** The worker died (not stopped): every call is -EIO from now on; onDeath hears of it once. */
  #die(err: Error): void {
    const first = !this.#dead;
    this.#dead = true;
    if (!first || this.#stopping) return;
    this.onDeath?.(err);
  }

  #queueSync(): void {
    if (this.#syncQueued || this.#dead) return;
    this.#syncQueued = true;
    queueMicrotask(() => {
      this.#syncQueued = false;
      this.invoke(SYNC, []);
    });
  }

  /** Waits for the worker's { ready } message; rejects with why it will not come. */
  #ready(timeoutMs: number): Promise<ExternalNetInfo | null> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.worker.off("message", onMessage);
        this.worker.off("exit", onExit);
      };
      const onMessage = (message: unknown): void => {
        if (!isReadyMessage(message)) return;
        done();
        // Serving: the worker no longer keeps the launcher alive (stop() takes it back).
        this.worker.unref();
        const tid = Atomics.load(this.#ctl, Ctl.Tid);
        const start = threadStart(tid);
        if (start !== null) [this.#tid, this.#tidStart] = [tid, start];
        resolve(message.ready);
      };
      const onExit = (): void => {
        done();
        reject(this.#startError());
      };
      const timer = setTimeout(() => {
        done();
        this.#dead = true;
        void this.worker.terminate();
        reject(new Error(`Cannot start the net-task worker: not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      this.worker.on("message", onMessage);
      this.worker.on("exit", onExit);
    });
  }

  /** The error a worker that ended before it served left in the ring, as the class it was thrown as. */
  #startError(): Error {
    const n = Atomics.load(this.#ctl, Ctl.ErrorLength);
    const text = new TextDecoder().decode(new Uint8Array(this.#sab, ERROR_AT, n).slice());
    const first = /^(TypeError|SyntaxError|RangeError|Error): (.*)/.exec(text);
    if (first === null) return new Error(`Cannot start the net-task worker: ${text || "it ended"}`);
    const Class = { TypeError, SyntaxError, RangeError, Error }[first[1] as "Error"];
    return new Class(first[2]);
  }

  /** Waits for `slot`'s answer; false once the worker is found dead (or gave none in time). */
  #waitFor(slot: number): boolean {
    const since = Date.now();
    for (;;) {
      const got = this.#queues.response.pop();
      if (got >= 0) {
        if (got === slot) return true;
        continue;
      }
      if (this.#dead) return false;
      if (Atomics.load(this.#ctl, Ctl.State) === WorkerState.Dead) {
        this.#die(new Error("its worker thread ended"));
        return false;
      }
      if (this.#waiter.wait(this.#queues.response, this.#ctl, Ctl.ClientBell, SLICE_MS)) continue;
      if (this.#tid > 0 && threadStart(this.#tid) !== this.#tidStart) {
        this.#die(new Error("its worker thread ended"));
        return false;
      }
      if (Date.now() - since > this.#timeoutMs) {
        this.#die(new Error(`it answered nothing for ${this.#timeoutMs} ms`));
        void this.worker.terminate();
        return false;
      }
    }
  }
}
