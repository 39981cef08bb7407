// A user kernel's console under `libos boot`, when it is not the host terminal: the
// guest's descriptors 1 and 2 are write ends of pipes (pipe.ts, so a guest that writes
// faster than the host takes blocks as on a full pipe), and a drain on the host side
// moves what arrives to where the description says:
//
//   prefixed   whole lines, each as `[name] line` on the host's stdout or stderr (a last
//              line without a newline when the kernel ends), so several kernels' output
//              interleaves by line and stays readable
//   file       the bytes as they are, into a host file
//
// The drain wakes on the pipe's readiness queue (a waker, as a sleeping reader would) and
// reads until the pipe is empty; finish() takes what is left once the kernel has ended.

import { writeSync } from "node:fs";
import { O_RDONLY } from "../linux-abi/fcntl.ts";
import { PipeEnd, type Pipe } from "./pipe.ts";
import { AGAIN } from "./wait_queue.ts";

const NEWLINE = 0x0a;
const CHUNK = 16 * 1024;

/** All of `bytes` to host descriptor `fd`, waiting out a non-blocking descriptor's EAGAIN. */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return;
    }
  }
}

/** Where drained bytes go. */
export interface ConsoleSink {
  write(bytes: Uint8Array): void;
  /** The kernel has ended: a partial line goes out too. */
  end(): void;
}

/** Lines prefixed `[name] ` to host descriptor `fd`. */
export class PrefixedLines implements ConsoleSink {
  readonly #fd: number;
  readonly #prefix: Uint8Array;
  #partial: Uint8Array = new Uint8Array(0);

  constructor(fd: number, name: string) {
    this.#fd = fd;
    this.#prefix = new TextEncoder().encode(`[${name}] `);
  }

  write(bytes: Uint8Array): void {
    let start = 0;
    for (let nl = bytes.indexOf(NEWLINE); nl >= 0; nl = bytes.indexOf(NEWLINE, start)) {
      this.#line(bytes.subarray(start, nl + 1));
      start = nl + 1;
    }
    if (start < bytes.length) this.#partial = concat(this.#partial, bytes.subarray(start));
  }

  end(): void {
    if (this.#partial.length > 0) this.#line(new Uint8Array([NEWLINE]));
  }

  #line(rest: Uint8Array): void {
    writeAllSync(this.#fd, concat(this.#prefix, concat(this.#partial, rest)));
    this.#partial = new Uint8Array(0);
  }
}

/** The bytes as they are, to host descriptor `fd` (a file the description names). */
export class RawBytes implements ConsoleSink {
  constructor(readonly fd: number) {}

  write(bytes: Uint8Array): void {
    writeAllSync(this.fd, bytes);
  }

  end(): void {}
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export class ConsoleDrain {
  readonly #reader: PipeEnd;
  readonly #sink: ConsoleSink;
  readonly #buffer = new Uint8Array(CHUNK);
  readonly #waker = (): void => this.#drain();
  #ended = false;

  /** Drains `pipe` (the drain holds its read end) into `sink`. */
  constructor(pipe: Pipe, sink: ConsoleSink) {
    this.#reader = new PipeEnd(pipe, O_RDONLY);
    this.#sink = sink;
    pipe.readiness.add(this.#waker);
  }

  /** The kernel has ended: what is in the pipe goes out, then the partial line. */
  finish(): void {
    if (this.#ended) return;
    this.#drain();
    this.#ended = true;
    this.#reader.pipe.readiness.delete(this.#waker);
    this.#reader.release();
    this.#sink.end();
  }

  #drain(): void {
    if (this.#ended) return;
    for (;;) {
      const n = this.#reader.read(this.#buffer);
      if (n === AGAIN || n <= 0) return;
      this.#sink.write(this.#buffer.subarray(0, n));
    }
  }
}
