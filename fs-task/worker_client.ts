// Worker mode, the kernel-task's side: the fs-task runs in a worker_threads Worker (its
// own isolate and heap) and calls cross the shared ring (device-ipc/ring.ts).
//
//   FsWorker         the thread and its ring; back ends are attached to it by description
//                    (a user kernel starts one and attaches every mount's back end)
//   WorkerTransport  one attached back end: the FsTransport a proxy calls through The FileSystem API
// stays synchronous: the caller's thread waits for the answer with Atomics.wait (allowed
// on Node's main thread), after a short spin that catches fast answers without a futex
// round trip (its budget adapts to how busy the host is: device-ipc/ring.ts Waiter).
//
// A call: take a slot from the free queue, encode label, words and strings into it
// (protocol.ts), push it on the request queue, ring the worker, wait until the slot comes
// back on the response queue, decode, return the slot to the free queue.
//
// File data never enters the ring. If the Uint8Array lies in a frame the FrameDirectory
// knows with a host address (guest memory: native mmap blocks), the request names that
// address and the worker reads or writes the same memory through koffi: zero copy, and a
// 1 MiB pread is one request. Otherwise the slot's bounce block (native memory from
// allocNative, 1 MiB, grown as needed) carries it: one copy. Either way the slot's grant
// (device-ipc/ring.ts) says which block, which bytes of it and which access the worker may use for
// this call; it is written before the request goes out and cleared when the final answer
// is taken.
//
// With a `quota` (an Untyped capability's, untyped_quota.ts), the worker's `leased` tmpfs
// back ends charge a lease on it (_quota_lease.ts): before each request the lease's slack
// is made to cover the call, after the answer excess slack goes back.
//
// Blocking calls (FIFO opens, tty and FIFO reads) work too: the worker answers Pending at
// once and the call returns a Promise; the slot stays taken until the worker answers
// again and postMessage()s, which wakes this thread's event loop. A synchronous wait
// that meets such a late answer completes it on the way. With every slot taken by
// pending calls, a new call fails with -EAGAIN.
//
// A dead worker gives -EIO, never a hang. While waiting, Atomics.wait times out every
// SLICE_MS to check: the worker's own "dead" mark (its process 'exit' handler: a
// process.exit() or a crash in the worker), the Worker 'exit' event (seen only when this
// thread's event loop has turned), and on Linux whether the worker's OS thread still
// exists (/proc/self/task/<tid>, with its start time against tid reuse), which catches
// worker.terminate() and anything else that stops the thread without running its
// handlers. A worker that is alive but never answers (a wedged back end) is given up
// after requestTimeoutMs, terminated and treated as dead. After death every call, and
// every pending Promise, gives -EIO.

import { Worker } from "node:worker_threads";
import { byteStringOfHost, hostTextOf } from "../linux-abi/_byte_string.ts";
import type { FsTaskOptions } from "./backend.ts";
import type { FrameDirectory } from "./frame_directory.ts";
import type { FsTaskStats, FsTransport } from "./ipc_client.ts";
import {
  Control, ReplyStatus, WireError, WireReader, WireWriter, encodeArgs, errnoOf, type MethodEntry,
} from "./protocol.ts";
import {
  Ctl, ERROR_AT, GrantAccess, Hdr, PENDING_NOTICE, RING_BYTES, RING_SLOTS, WorkerState, controlView, grantView, leaseView, ring,
  ringQueues, setGrant, slotViews, Waiter, type RingQueues, type RingSlot,
} from "../device-ipc/ring.ts";
import { FROM_SOURCE, workerBoot } from "../device-ipc/worker_boot.ts";
import { threadStart } from "../device-ipc/native_view.ts";
import { QuotaLease } from "./_quota_lease.ts";
import type { MemoryQuota } from "./_paged_bytes.ts";
import type { FsWorkerData } from "./worker.ts";
import { EAGAIN, EIO, ENOMEM } from "./_errno.ts";
import { FsFault, type FsFaultSpec } from "./_fault_hook.ts";
import { allocNative, freeNative, type NativeBlock } from "../microkernel/platform/unicorn_ffi.ts";

export interface WorkerClientOptions {
  /** Frames whose views travel by host address (the kernel-task's guest memory). */
  frames?: FrameDirectory;
  /** A request not answered by a live worker after this is given up (default 30 s). */
  requestTimeoutMs?: number;
  /** How long the worker may take to start (default 30 s). */
  startTimeoutMs?: number;
  /** µs to poll for an answer (and, in the worker, for the next request) before sleeping (default 100). */
  spinMicros?: number;
  /** First bounce block size per slot (default 1 MiB). */
  bounceBytes?: number;
  /** The quota `leased` tmpfs back ends in the worker charge, through a lease (_quota_lease.ts). */
  quota?: MemoryQuota;
  /** Told once the worker is found dead (crashed, killed or stopped); every call is then -EIO. */
  onDead?: () => void;
  /** Test hook: the fs-task fails at its Nth request (_fault_hook.ts). */
  fault?: FsFaultSpec;
}

/** Liveness checks while waiting. */
const SLICE_MS = 50;
/** How long stop() waits for the worker to finish terminating. */
const STOP_GRACE_MS = 1000;
const PAGE = 4096;

interface BounceOut {
  dst: Uint8Array;
  src: Uint8Array;
}

interface Pending {
  entry: MethodEntry;
  out: BounceOut | null;
  resolve: (value: unknown) => void;
}

/** One fs-task worker thread and its ring, serving any number of back ends. */
export class FsWorker {
  /** The fs-task's thread (for supervision; terminating it makes every call -EIO). */
  readonly worker: Worker;
  readonly #ctl: Int32Array;
  readonly #queues: RingQueues;
  readonly #slots: RingSlot[];
  readonly #grants: Float64Array;
  readonly #lease: QuotaLease | null;
  readonly #bounces: (NativeBlock | null)[] = new Array<NativeBlock | null>(RING_SLOTS).fill(null);
  readonly #pending = new Map<number, Pending>();
  readonly #frames: FrameDirectory | null;
  readonly #timeoutMs: number;
  readonly #spinMicros: number;
  readonly #waiter: Waiter;
  readonly #bounceBytes: number;
  readonly #writer = new WireWriter();
  readonly #reader = new WireReader();
  #tid = 0;
  #tidStart = "";
  #dead = false;
  #exited = false;
  #bounced = 0;
  readonly #kill: FsFault | null;
  readonly #onDead: (() => void) | null;
  /** Hears of each request put on the ring and each final answer taken (traces, counters). */
  observer: ((reply: boolean, method: string, bytes: number) => void) | null = null;

  /** Starts the worker and waits until it is ready to serve. */
  constructor(options: WorkerClientOptions = {}) {
    this.#frames = options.frames ?? null;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#spinMicros = options.spinMicros ?? 100;
    this.#waiter = new Waiter(this.#spinMicros);
    this.#bounceBytes = options.bounceBytes ?? 1 << 20;
    const sab = new SharedArrayBuffer(RING_BYTES);
    this.#ctl = controlView(sab);
    this.#queues = ringQueues(this.#ctl);
    this.#slots = slotViews(sab);
    this.#grants = grantView(sab);
    this.#lease = options.quota === undefined ? null : new QuotaLease(leaseView(sab), options.quota);
    for (let i = 0; i < RING_SLOTS; i++) this.#queues.free.push(i);
    const { url, boot } = workerBoot(new URL(FROM_SOURCE ? "./worker.ts" : "./worker.js", import.meta.url));
    this.#onDead = options.onDead ?? null;
    const fault = options.fault;
    // A thrown fault fires in the worker; a kill is this side terminating the thread.
    this.#kill = fault?.how === "kill" ? new FsFault(fault) : null;
    const workerData: FsWorkerData & { boot: unknown } = { sab, spinMicros: this.#spinMicros, boot, ...(fault?.how === "throw" ? { fault } : {}) };
    this.worker = new Worker(url, { workerData });
    this.worker.on("error", () => {}); // reported through the ring or the exit below
    this.worker.on("exit", () => {
      this.#exited = true;
      this.#die();
      this.#freeBounces();
      this.#lease?.returnAll();
    });
    this.worker.on("message", () => this.#drain(-1));
    this.worker.unref();
    this.#start(sab, options.startTimeoutMs ?? 30_000);
  }

  /**
   * Builds a back end in the worker: its index and method mask. Throws what building threw
   * (TypeError for a bad description), or Error when the worker is gone.
   */
  attach(backend: FsTaskOptions): { index: number; mask: number } {
    const slot = this.#control(Control.Attach, -1, (w) => w.str(byteStringOfHost(JSON.stringify(backend))));
    const s = this.#slots[slot]!;
    const r = this.#reader.reset(s.words, s.header[Hdr.Words]!, s.bytes, s.view);
    const status = s.header[Hdr.Status];
    if (status !== ReplyStatus.Ok) {
      const text = status === ReplyStatus.BadRequest ? hostTextOf(r.str()) : "no answer";
      this.#queues.free.push(slot);
      if (text.startsWith("TypeError: ")) throw new TypeError(text.slice(11));
      throw new Error(`Cannot start the fs-task back end: ${text}`);
    }
    const index = r.word();
    const mask = r.word() + r.word() * 2 ** 32;
    this.#queues.free.push(slot);
    return { index, mask };
  }

  /**
   * Drops back end `index`; its later calls fail with -EIO. Calls never take the last free
   * slot, so a control request finds one; should none be free, the back end stays in the
   * worker until the worker stops (nobody calls it any more), and nothing is thrown.
   */
  detach(index: number): void {
    if (this.#dead || this.#queues.free.empty) return;
    this.#queues.free.push(this.#control(Control.Detach, index, () => {}));
  }

  /** Sends a control request and waits through Pending for the final answer (its slot). */
  #control(label: number, index: number, put: (w: WireWriter) => void): number {
    const slot = this.#dead ? -1 : this.#queues.free.pop();
    if (slot < 0) throw new Error(this.#dead ? "Cannot reach the fs-task worker: it is gone" : "Cannot reach the fs-task worker: every slot is taken");
    const s = this.#slots[slot]!;
    const w = this.#writer.reset(s.words, s.bytes, s.view);
    put(w);
    s.header[Hdr.Label] = label;
    s.header[Hdr.Words] = w.nWords;
    s.header[Hdr.Backend] = index;
    this.#queues.request.push(slot);
    ring(this.#ctl, Ctl.ServerBell);
    let entry: number;
    do {
      entry = this.#waitFor(slot);
      if (entry < 0) throw new Error("Cannot reach the fs-task worker: it is gone");
    } while ((entry & PENDING_NOTICE) !== 0);
    return slot;
  }

  /** Runs `entry` on back end `index` (WorkerTransport.invoke). */
  call(index: number, entry: MethodEntry, args: readonly unknown[]): unknown {
    const spec = entry.spec;
    if (this.#dead) return spec.result.error(EIO);
    // The last free slot is kept for control requests: calls that wait (FIFO opens and
    // reads) may hold all the others, and Release must still reach the worker to end them.
    if (this.#queues.free.size <= 1) return spec.result.error(EAGAIN);
    const slot = this.#queues.free.pop();
    const s = this.#slots[slot]!;
    const w = this.#writer.reset(s.words, s.bytes, s.view);
    let out: BounceOut | null = null;
    try {
      encodeArgs(spec, args, w);
      if (w.data !== null) {
        const data = w.data;
        const hit = this.#frames?.find(data) ?? null;
        const access = w.dataDir === "out" ? GrantAccess.Write : GrantAccess.Read;
        if (hit !== null && hit.frame.hostAddress > 0) {
          const { hostAddress, bytes } = hit.frame;
          w.setRegion(hostAddress, bytes.length, hit.offset, data.length);
          setGrant(this.#grants, slot, hostAddress, bytes.length, hit.offset, hit.offset + data.length, access);
        } else {
          const bounce = this.#bounce(slot, data.length);
          const len = Math.min(data.length, bounce.bytes.length);
          if (w.dataDir === "in") bounce.bytes.set(data.subarray(0, len));
          else out = { dst: data, src: bounce.bytes };
          w.setRegion(bounce.address, bounce.bytes.length, 0, len);
          setGrant(this.#grants, slot, bounce.address, bounce.bytes.length, 0, len, access);
          this.#bounced++;
        }
      }
    } catch (err) {
      this.#queues.free.push(slot);
      return spec.result.error(errnoOf(err));
    }
    s.header[Hdr.Label] = spec.id;
    s.header[Hdr.Words] = w.nWords;
    s.header[Hdr.Backend] = index;
    // What the call may charge a tmpfs: a pwrite's length, a fallocate's.
    this.#lease?.ensure(w.data !== null ? w.data.length : entry.name === "fallocate" ? (args[3] as number) : 0);
    this.#queues.request.push(slot);
    ring(this.#ctl, Ctl.ServerBell);
    this.observer?.(false, entry.name, w.nWords * 8);
    if (this.#kill?.next()) void this.worker.terminate();
    const answer = this.#waitFor(slot);
    if (answer < 0) return spec.result.error(EIO);
    if ((answer & PENDING_NOTICE) !== 0) {
      this.worker.ref();
      return new Promise((resolve) => this.#pending.set(slot, { entry, out, resolve }));
    }
    const value = this.#finish(slot, entry, out);
    this.#queues.free.push(slot);
    return value;
  }

  stats(): FsTaskStats {
    return { requests: Atomics.load(this.#ctl, Ctl.Requests), bounced: this.#bounced };
  }

  /**
   * Ends the back ends' waiting calls (Control.Release: a FIFO open blocked in the thread
   * pool would keep the process from exiting), then terminates the worker; pending calls
   * resolve to -EIO. Node finishes a termination only when the worker's in-flight host
   * I/O ends, so stop() waits at most STOP_GRACE_MS; the
   * bounce blocks are freed on the 'exit' event, not before, since a blocked read may
   * still land in one.
   */
  async stop(): Promise<void> {
    if (!this.#dead) {
      try {
        this.#queues.free.push(this.#control(Control.Release, -1, () => {}));
      } catch {
        // Gone or every slot taken: terminate regardless.
      }
    }
    this.#die();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_GRACE_MS);
    });
    await Promise.race([this.worker.terminate(), grace]);
    clearTimeout(timer);
  }

  /** Waits for the worker to be ready, or throws why it is not. */
  #start(sab: SharedArrayBuffer, timeoutMs: number): void {
    const deadline = Date.now() + timeoutMs;
    let state: number;
    while ((state = Atomics.load(this.#ctl, Ctl.State)) === WorkerState.Starting) {
      if (Date.now() > deadline) {
        void this.worker.terminate();
        this.#dead = true;
        throw new Error(`Cannot start the fs-task worker: not ready after ${timeoutMs} ms`);
      }
      Atomics.wait(this.#ctl, Ctl.ClientBell, Atomics.load(this.#ctl, Ctl.ClientBell), SLICE_MS);
    }
    if (state !== WorkerState.Ready) {
      this.#dead = true;
      void this.worker.terminate();
      const n = Atomics.load(this.#ctl, Ctl.ErrorLength);
      const text = new TextDecoder().decode(new Uint8Array(sab, ERROR_AT, n).slice());
      if (text.startsWith("TypeError: ")) throw new TypeError(text.slice(11));
      throw new Error(`Cannot start the fs-task worker: ${text}`);
    }
    const tid = Atomics.load(this.#ctl, Ctl.Tid);
    const start = threadStart(tid);
    // No /proc (or no gettid): liveness rests on the exit mark, the event and the timeout.
    if (start !== null) [this.#tid, this.#tidStart] = [tid, start];
  }

  /** Waits for `target`'s next answer: its response entry, or -1 once the worker is found dead. */
  #waitFor(target: number): number {
    const since = Date.now();
    const response = this.#queues.response;
    for (;;) {
      const entry = this.#drain(target);
      if (entry >= 0) return entry;
      if (this.#dead) return -1;
      if (!this.#waiter.wait(response, this.#ctl, Ctl.ClientBell, SLICE_MS) && !this.#alive(since)) {
        this.#die();
        return -1;
      }
    }
  }

  /**
   * Takes answers off the response queue up to `target`'s: its entry, or -1. Final answers
   * of other slots complete their pending calls; no other slot can have a Pending notice
   * queued, since a call takes its own notice before it returns.
   */
  #drain(target: number): number {
    let entry: number;
    while ((entry = this.#queues.response.pop()) >= 0) {
      // Stop at the target: a later entry may be the same slot's final answer, which
      // must wait until its Pending is registered.
      if ((entry & ~PENDING_NOTICE) === target) return entry;
      if ((entry & PENDING_NOTICE) === 0) this.#complete(entry);
    }
    if (Atomics.load(this.#ctl, Ctl.State) === WorkerState.Dead) this.#die();
    return -1;
  }

  /** A pending call's final answer. */
  #complete(slot: number): void {
    const p = this.#pending.get(slot);
    if (p === undefined) return;
    this.#pending.delete(slot);
    const value = this.#finish(slot, p.entry, p.out);
    this.#queues.free.push(slot);
    if (this.#pending.size === 0) this.worker.unref();
    p.resolve(value);
  }

  /** Decodes a final answer; the slot's grant is revoked first. */
  #finish(slot: number, entry: MethodEntry, out: BounceOut | null): unknown {
    setGrant(this.#grants, slot, 0, 0, 0, 0, GrantAccess.None);
    this.#lease?.trim();
    const s = this.#slots[slot]!;
    const spec = entry.spec;
    this.observer?.(true, entry.name, s.header[Hdr.Words]! * 8);
    if (s.header[Hdr.Status] !== ReplyStatus.Ok) return spec.result.error(EIO);
    let value: unknown;
    try {
      value = spec.result.get(this.#reader.reset(s.words, s.header[Hdr.Words]!, s.bytes, s.view));
    } catch (err) {
      return spec.result.error(errnoOf(err));
    }
    if (out !== null && typeof value === "number" && value > 0) out.dst.set(out.src.subarray(0, Math.min(value, out.dst.length)));
    return value;
  }

  /** Is the worker still there? (See the file comment.) */
  #alive(since: number): boolean {
    if (this.#exited || Atomics.load(this.#ctl, Ctl.State) === WorkerState.Dead) return false;
    if (this.#tid > 0 && threadStart(this.#tid) !== this.#tidStart) return false;
    if (Date.now() - since > this.#timeoutMs) {
      void this.worker.terminate();
      return false;
    }
    return true;
  }

  #die(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#onDead?.();
    Atomics.store(this.#ctl, Ctl.State, WorkerState.Dead);
    for (const [slot, p] of this.#pending) {
      this.#pending.delete(slot);
      p.resolve(p.entry.spec.result.error(EIO));
    }
    this.worker.unref();
  }

  /** The slot's bounce block, grown to `len` when possible. */
  #bounce(slot: number, len: number): NativeBlock {
    const old = this.#bounces[slot] ?? null;
    if (old !== null && old.bytes.length >= len) return old;
    let block: NativeBlock;
    try {
      block = allocNative(Math.max(this.#bounceBytes, Math.ceil(len / PAGE) * PAGE));
    } catch {
      if (old !== null) return old;
      throw new WireError("Cannot bounce data: no host memory", ENOMEM);
    }
    if (old !== null) freeNative(old);
    this.#bounces[slot] = block;
    return block;
  }

  /** Only once the worker thread is gone: it may still be writing into them. */
  #freeBounces(): void {
    for (let i = 0; i < RING_SLOTS; i++) {
      const b = this.#bounces[i];
      if (b !== null && b !== undefined) freeNative(b);
      this.#bounces[i] = null;
    }
  }
}

/** One back end in an FsWorker: its own worker unless `options.host` names a shared one. */
export class WorkerTransport implements FsTransport {
  readonly mode = "worker";
  /** Bit mask of the back end's methods. */
  readonly mask: number;
  readonly host: FsWorker;
  readonly #index: number;
  readonly #ownsHost: boolean;
  #detached = false;

  /** Throws what building the back end threw. */
  constructor(backend: FsTaskOptions, options: WorkerClientOptions & { host?: FsWorker } = {}) {
    this.#ownsHost = options.host === undefined;
    this.host = options.host ?? new FsWorker(options);
    try {
      ({ index: this.#index, mask: this.mask } = this.host.attach(backend));
    } catch (err) {
      if (this.#ownsHost) void this.host.stop();
      throw err;
    }
  }

  get worker(): Worker {
    return this.host.worker;
  }

  invoke(entry: MethodEntry, args: readonly unknown[]): unknown {
    return this.#detached ? entry.spec.result.error(EIO) : this.host.call(this.#index, entry, args);
  }

  stats(): FsTaskStats {
    return this.host.stats();
  }

  /** Detaches the back end; stops the worker too when it is this transport's own. */
  async stop(): Promise<void> {
    if (this.#detached) return;
    this.#detached = true;
    if (this.#ownsHost) await this.host.stop();
    else this.host.detach(this.#index);
  }
}
