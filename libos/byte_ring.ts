// A byte pipe between user kernels on different host threads: a single-producer
// single-consumer ring of bytes in one SharedArrayBuffer, with doorbells as the fs-task's
// worker ring has them (fs-task/_ring.ts: a counter bumped and notified after each move,
// a waiter that sleeps only while the counter is unchanged, so no wake-up is lost).
//
// Each kernel sees an ordinary pipe (pipe.ts) on its own thread; a pump moves bytes
// between that pipe and the ring, so guests block, poll and get EOF or EPIPE exactly as
// on a local pipe:
//
//   RingFeeder   the writer's thread: local pipe → ring. At the local pipe's end of file
//                (every writer closed: the kernel's processes ended) it marks the ring
//                closed once the ring has taken everything.
//   RingEmptier  the reader's thread: ring → local pipe, holding that pipe's write end
//                until the ring is closed and empty (then the reader sees end of file).
//                When the local pipe has no reader left it marks the ring's reader gone,
//                and the feeder drops its end: the writer gets EPIPE as from a local pipe.
//
// Waiting never blocks a thread: Atomics.waitAsync on a doorbell, or a waker on the local
// pipe's readiness queue.

import { ring } from "../device-ipc/mod.ts";
import { O_RDONLY, O_WRONLY } from "../linux-abi/fcntl.ts";
import { EPIPE } from "../linux-abi/errno.ts";
import { PipeEnd, type Pipe } from "./pipe.ts";
import { AGAIN } from "./wait_queue.ts";

/** Atomics.waitAsync (Node 16 and later; the ES2022 library does not declare it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

const Ctl = { Head: 0, Tail: 1, Closed: 2, ReaderGone: 3, DataBell: 4, RoomBell: 5 } as const;
const CONTROL_BYTES = 32;
const RING_BYTES = 64 * 1024;

/** A fresh ring, to hand to both threads. */
export function newByteRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + RING_BYTES);
}

/** Bytes that went through the ring so far (modulo 2^32: its tail counter). */
export function ringBytesMoved(sab: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(sab, 0, CONTROL_BYTES / 4), Ctl.Tail) >>> 0;
}

class RingView {
  readonly ctl: Int32Array;
  readonly data: Uint8Array;

  constructor(sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.data = new Uint8Array(sab, CONTROL_BYTES, RING_BYTES);
  }

  get used(): number {
    return (Atomics.load(this.ctl, Ctl.Tail) - Atomics.load(this.ctl, Ctl.Head)) | 0;
  }

  flag(which: number): boolean {
    return Atomics.load(this.ctl, which) !== 0;
  }

  set(which: number): void {
    Atomics.store(this.ctl, which, 1);
    ring(this.ctl, Ctl.DataBell);
    ring(this.ctl, Ctl.RoomBell);
  }

  /** Resolves once `bell` moves past `seen` (at once if it already has). */
  async waitBell(bell: number, seen: number): Promise<void> {
    const w = waitAsync(this.ctl, bell, seen);
    if (w.async) await w.value;
  }
}

/** Moves the bytes written into `pipe` on this thread into the ring. */
export class RingFeeder {
  readonly done: Promise<void>;
  readonly #ring: RingView;
  readonly #reader: PipeEnd;
  #kick: (() => void) | null = null;

  constructor(sab: SharedArrayBuffer, pipe: Pipe) {
    this.#ring = new RingView(sab);
    this.#reader = new PipeEnd(pipe, O_RDONLY);
    const waker = (): void => this.#kick?.();
    pipe.readiness.add(waker);
    this.done = this.#pump().finally(() => {
      pipe.readiness.delete(waker);
      this.#reader.release();
    });
  }

  async #pump(): Promise<void> {
    const r = this.#ring, ctl = r.ctl;
    for (;;) {
      if (r.flag(Ctl.ReaderGone)) return;
      const roomSeen = Atomics.load(ctl, Ctl.RoomBell);
      const room = RING_BYTES - r.used;
      if (room > 0) {
        const tail = Atomics.load(ctl, Ctl.Tail);
        const at = tail & (RING_BYTES - 1);
        const n = this.#reader.read(r.data.subarray(at, at + Math.min(room, RING_BYTES - at)));
        if (n === 0) return r.set(Ctl.Closed);
        if (n > 0) {
          Atomics.store(ctl, Ctl.Tail, (tail + n) | 0);
          ring(ctl, Ctl.DataBell);
          continue;
        }
        if (n !== AGAIN) return r.set(Ctl.Closed);
        // Nothing to move: wait for the guest to write or close, or the reader to go.
        const kicked = new Promise<void>((resolve) => (this.#kick = resolve));
        await Promise.race([kicked, r.waitBell(Ctl.RoomBell, roomSeen)]);
        this.#kick = null;
        continue;
      }
      await r.waitBell(Ctl.RoomBell, roomSeen);
    }
  }
}

/** Moves the ring's bytes into `pipe` on this thread, whose guests read them. */
export class RingEmptier {
  readonly done: Promise<void>;
  readonly #ring: RingView;
  readonly #writer: PipeEnd;
  #kick: (() => void) | null = null;

  constructor(sab: SharedArrayBuffer, pipe: Pipe) {
    this.#ring = new RingView(sab);
    this.#writer = new PipeEnd(pipe, O_WRONLY);
    const waker = (): void => this.#kick?.();
    pipe.readiness.add(waker);
    this.done = this.#pump().finally(() => {
      pipe.readiness.delete(waker);
      this.#writer.release();
    });
  }

  async #pump(): Promise<void> {
    const r = this.#ring, ctl = r.ctl, pipe = this.#writer.pipe;
    for (;;) {
      if (pipe.readers === 0) return r.set(Ctl.ReaderGone);
      const dataSeen = Atomics.load(ctl, Ctl.DataBell);
      const used = r.used;
      if (used === 0 && r.flag(Ctl.Closed)) return;
      const head = Atomics.load(ctl, Ctl.Head);
      const at = head & (RING_BYTES - 1);
      const n = Math.min(used, RING_BYTES - at, pipe.capacity - pipe.length);
      if (n > 0) {
        const wrote = this.#writer.write(r.data.subarray(at, at + n));
        if (wrote === -EPIPE) return r.set(Ctl.ReaderGone);
        if (wrote > 0) {
          Atomics.store(ctl, Ctl.Head, (head + wrote) | 0);
          ring(ctl, Ctl.RoomBell);
          continue;
        }
      }
      // Wait for the guest to read or close (the local pipe's readiness), and for the
      // writer's next bytes when the ring is empty.
      const kicked = new Promise<void>((resolve) => (this.#kick = resolve));
      await (used === 0 ? Promise.race([kicked, r.waitBell(Ctl.DataBell, dataSeen)]) : kicked);
      this.#kick = null;
    }
  }
}
