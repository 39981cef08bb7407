import { describe, expect, it } from "vitest";
import { EPIPE } from "../../../linux-abi/errno.ts";
import { O_RDONLY, O_WRONLY } from "../../../linux-abi/fcntl.ts";
import { RingEmptier, RingFeeder, newByteRing } from "../../../libos/byte_ring.ts";
import { PipeEnd, PipeFs } from "../../../libos/pipe.ts";
import { AGAIN } from "../../../libos/wait_queue.ts";

const pipes = new PipeFs();

/** A writer's pipe fed into a ring, emptied into a reader's pipe (both sides on this thread). */
function channel(): { w: PipeEnd; r: PipeEnd; feeder: RingFeeder; emptier: RingEmptier } {
  const sab = newByteRing();
  const source = pipes.create(), sink = pipes.create();
  const w = new PipeEnd(source, O_WRONLY), r = new PipeEnd(sink, O_RDONLY);
  return { w, r, feeder: new RingFeeder(sab, source), emptier: new RingEmptier(sab, sink) };
}

/** Everything the reader gets until end of file, waiting on its pipe's readiness. */
async function readAll(r: PipeEnd): Promise<number[]> {
  const out: number[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = r.read(buf);
    if (n === 0) return out;
    if (n === AGAIN) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          r.readiness.delete(wake);
          resolve();
        };
        r.readiness.add(wake);
      });
      continue;
    }
    out.push(...buf.subarray(0, n));
  }
}

describe("byte ring between two pipes", () => {
  it("carries bytes past the ring's size in order, then end of file once the writer closes", async () => {
    const { w, r, feeder, emptier } = channel();
    const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
    const reading = readAll(r);
    let sent = 0;
    while (sent < bytes.length) {
      const n = w.write(bytes.subarray(sent, sent + 10_000));
      if (n > 0) sent += n;
      else await new Promise((resolve) => setImmediate(resolve));
    }
    w.release();
    const got = await reading;
    expect(got.length).toBe(bytes.length);
    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
    await Promise.all([feeder.done, emptier.done]);
  });

  it("a reader that closes makes the writer's pipe report EPIPE", async () => {
    const { w, r, feeder, emptier } = channel();
    expect(w.write(new Uint8Array([1, 2, 3]))).toBe(3);
    r.release();
    await Promise.all([feeder.done, emptier.done]);
    expect(w.write(new Uint8Array([4]))).toBe(-EPIPE);
  });
});
