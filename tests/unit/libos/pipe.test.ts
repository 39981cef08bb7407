import { describe, expect, it } from "vitest";
import { EAGAIN, EFAULT, EINVAL, ENOTDIR, ENOTTY, EPIPE } from "../../../linux-abi/errno.ts";
import { O_RDONLY, O_WRONLY } from "../../../linux-abi/fcntl.ts";
import { FIONREAD } from "../../../linux-abi/ioctl.ts";
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../../linux-abi/poll.ts";
import { S_IFIFO, S_IFMT } from "../../../linux-abi/stat.ts";
import type { FsStat } from "../../../fs-task/file_system.ts";
import type { IoctlAccess } from "../../../libos/file.ts";
import { PIPE_BUF, PIPE_CAPACITY, Pipe, PipeEnd, PipeFs } from "../../../libos/pipe.ts";
import { flushMicrotasks } from "./_fake_process.ts";

const pipeFs = new PipeFs();

function ends(): { pipe: Pipe; r: PipeEnd; w: PipeEnd } {
  const pipe = pipeFs.create();
  return { pipe, r: new PipeEnd(pipe, O_RDONLY), w: new PipeEnd(pipe, O_WRONLY) };
}

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function filled(n: number, v = 0xab): Uint8Array {
  return new Uint8Array(n).fill(v);
}

/** Count the wake-ups the pipe's readiness queue sends. */
function watch(pipe: Pipe): () => number {
  let n = 0;
  pipe.readiness.add(() => void n++);
  return () => n;
}

describe("Pipe", () => {
  it("holds 65536 bytes; PIPE_BUF is 4096", () => {
    expect(PIPE_CAPACITY).toBe(65536);
    expect(PIPE_BUF).toBe(4096);
    const { pipe, w } = ends();
    expect(w.write(filled(100_000))).toBe(65536);
    expect(pipe.length).toBe(65536);
    expect(w.write(filled(1))).toBe(-EAGAIN);
    expect(w.write(filled(5000))).toBe(-EAGAIN);
  });

  it("reads back what was written, in order, in pieces", () => {
    const { pipe, r, w } = ends();
    expect(w.write(new Uint8Array([1, 2, 3, 4, 5]))).toBe(5);
    const a = new Uint8Array(2);
    expect(r.read(a)).toBe(2);
    expect(a).toEqual(new Uint8Array([1, 2]));
    const b = new Uint8Array(10);
    expect(r.read(b)).toBe(3);
    expect(b.subarray(0, 3)).toEqual(new Uint8Array([3, 4, 5]));
    expect(pipe.length).toBe(0);
  });

  it("keeps the data intact through many wrap-arounds of the ring", () => {
    const { pipe, r, w } = ends();
    const next = rng(0x1234567);
    const TOTAL = 1_000_000;
    const source = new Uint8Array(TOTAL);
    for (let i = 0; i < TOTAL; i++) source[i] = next() & 0xff;
    const sink = new Uint8Array(TOTAL);
    let written = 0, read = 0, wraps = 0, eagain = 0, partial = 0;
    const buf = new Uint8Array(70_000);
    while (read < TOTAL) {
      if (written < TOTAL && (next() & 1) === 0) {
        const want = Math.min(TOTAL - written, 1 + (next() % 20_000));
        const space = PIPE_CAPACITY - pipe.length;
        const n = w.write(source.subarray(written, written + want));
        if (n === -EAGAIN) {
          eagain++;
          expect(space === 0 || (want <= PIPE_BUF && space < want)).toBe(true);
        } else {
          expect(n).toBe(Math.min(want, space));
          if (n < want) partial++;
          written += n;
        }
      } else {
        const want = 1 + (next() % 30_000);
        const before = pipe.length;
        const n = r.read(buf.subarray(0, want));
        if (before === 0) {
          expect(n).toBe(-EAGAIN);
        } else {
          expect(n).toBe(Math.min(want, before));
          sink.set(buf.subarray(0, n), read);
          read += n;
        }
      }
      expect(pipe.length).toBe(written - read);
      wraps = Math.floor(written / PIPE_CAPACITY);
    }
    expect(Buffer.compare(sink, source)).toBe(0);
    expect(wraps).toBeGreaterThan(10);
    expect(eagain).toBeGreaterThan(0);
    expect(partial).toBeGreaterThan(0);
  });

  it("wraps correctly when a write and a read straddle the end of the ring", () => {
    const { r, w } = ends();
    expect(w.write(filled(60_000, 1))).toBe(60_000);
    expect(r.read(new Uint8Array(59_990))).toBe(59_990);
    // 10 bytes left at the end; 9000 more go in across the end of the ring.
    const data = new Uint8Array(9000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    expect(w.write(data)).toBe(9000);
    const out = new Uint8Array(9010);
    expect(r.read(out)).toBe(9010);
    expect(out.subarray(0, 10)).toEqual(filled(10, 1));
    expect(out.subarray(10)).toEqual(data);
  });

  it("a write of at most PIPE_BUF bytes goes in whole or not at all", () => {
    const { pipe, r, w } = ends();
    expect(w.write(filled(PIPE_CAPACITY - 100))).toBe(PIPE_CAPACITY - 100);
    expect(w.write(filled(101))).toBe(-EAGAIN);
    expect(w.write(filled(PIPE_BUF))).toBe(-EAGAIN);
    expect(pipe.length).toBe(PIPE_CAPACITY - 100);
    expect(w.write(filled(100))).toBe(100);
    expect(r.read(new Uint8Array(PIPE_BUF))).toBe(PIPE_BUF);
    expect(w.write(filled(PIPE_BUF))).toBe(PIPE_BUF);
    expect(pipe.length).toBe(PIPE_CAPACITY);
  });

  it("a write of more than PIPE_BUF bytes may be partial", () => {
    const { pipe, w } = ends();
    w.write(filled(PIPE_CAPACITY - 100));
    expect(w.write(filled(PIPE_BUF + 1))).toBe(100);
    expect(pipe.length).toBe(PIPE_CAPACITY);
  });

  it("an empty pipe reads -EAGAIN while a writer exists, then end of file after the last writer goes", () => {
    const { pipe, r, w } = ends();
    const w2 = new PipeEnd(pipe, O_WRONLY);
    expect(pipe.writers).toBe(2);
    expect(r.read(new Uint8Array(4))).toBe(-EAGAIN);
    w.write(new Uint8Array([9, 8]));
    w.release();
    w2.release();
    expect(pipe.writers).toBe(0);
    // Buffered data is still read before end of file.
    const out = new Uint8Array(4);
    expect(r.read(out)).toBe(2);
    expect(out.subarray(0, 2)).toEqual(new Uint8Array([9, 8]));
    expect(r.read(out)).toBe(0);
    expect(r.read(out)).toBe(0);
  });

  it("writing with no reader left is -EPIPE", () => {
    const { pipe, r, w } = ends();
    const r2 = new PipeEnd(pipe, O_RDONLY);
    r.release();
    expect(w.write(filled(1))).toBe(1);
    r2.release();
    expect(pipe.readers).toBe(0);
    expect(w.write(filled(1))).toBe(-EPIPE);
    expect(w.write(filled(PIPE_CAPACITY))).toBe(-EPIPE);
  });

  it("a zero-length read returns 0 and changes nothing", () => {
    const { pipe, r, w } = ends();
    expect(r.read(new Uint8Array(0))).toBe(0);
    w.write(filled(3));
    expect(r.read(new Uint8Array(0))).toBe(0);
    expect(pipe.length).toBe(3);
  });

  it("a zero-length write with readers returns 0", () => {
    const { pipe, w } = ends();
    expect(w.write(new Uint8Array(0))).toBe(0);
    w.write(filled(PIPE_CAPACITY));
    expect(w.write(new Uint8Array(0))).toBe(0);
    expect(pipe.length).toBe(PIPE_CAPACITY);
  });

  // Linux fs/pipe.c pipe_write(): "Null write succeeds." comes before the readers check,
  // so a zero-length write (writev with empty iovecs) returns 0 with no EPIPE and no SIGPIPE.
  it("a zero-length write succeeds even with no reader (Linux: null write succeeds)", () => {
    const { r, w } = ends();
    r.release();
    expect(w.write(new Uint8Array(0))).toBe(0);
  });

  it("the ends refuse the wrong direction", () => {
    const { r, w } = ends();
    expect(r.write(filled(1))).toBe(-EINVAL);
    expect(w.read(new Uint8Array(1))).toBe(-EINVAL);
    expect(r.seekable).toBe(false);
    expect(w.seekable).toBe(false);
    expect(r.readdir()).toBe(-ENOTDIR);
    expect(r.truncate()).toBe(-EINVAL);
  });

  it("both ends name and stat the same FIFO", () => {
    const { pipe, r, w } = ends();
    expect(r.path).toBe(`pipe:[${pipe.ino}]`);
    expect(w.path).toBe(r.path);
    const st = r.stat() as FsStat;
    expect(st.mode & S_IFMT).toBe(S_IFIFO);
    expect(st.ino).toBe(pipe.ino);
    expect(pipeFs.create().ino).not.toBe(pipe.ino);
    // Each user kernel's pipefs numbers its own pipes from the start.
    expect(new PipeFs().create().ino).toBe(1);
  });

  describe("poll()", () => {
    it("the read end: POLLIN with data, POLLHUP once every writer is gone", () => {
      const { r, w } = ends();
      expect(r.poll()).toBe(0);
      w.write(filled(1));
      expect(r.poll()).toBe(POLLIN);
      w.release();
      expect(r.poll()).toBe(POLLIN | POLLHUP);
      r.read(new Uint8Array(1));
      expect(r.poll()).toBe(POLLHUP);
    });

    it("the write end: POLLOUT while PIPE_BUF bytes fit, POLLERR once every reader is gone", () => {
      const { r, w } = ends();
      expect(w.poll()).toBe(POLLOUT);
      w.write(filled(PIPE_CAPACITY));
      expect(w.poll()).toBe(0);
      r.read(new Uint8Array(1));
      expect(w.poll() & POLLOUT).toBe(0);
      r.read(new Uint8Array(PIPE_BUF));
      expect(w.poll() & POLLOUT).toBe(POLLOUT);
      r.release();
      expect(w.poll() & POLLERR).toBe(POLLERR);
      expect(w.poll() & (POLLIN | POLLHUP)).toBe(0);
    });

    it("the write end of a full pipe with no reader reports POLLERR only", () => {
      const { r, w } = ends();
      w.write(filled(PIPE_CAPACITY));
      r.release();
      expect(w.poll()).toBe(POLLERR);
    });

    // Linux pipe_poll() sets EPOLLOUT only when a whole buffer slot is free (!pipe_full),
    // so a writer that polls for POLLOUT can then write PIPE_BUF bytes without EAGAIN.
    // With 65436 bytes in the pipe (16 slots used) Linux reports no POLLOUT; here POLLOUT
    // is set while a 4096-byte write still fails with EAGAIN (a poll/write busy loop).
    it("the write end reports no POLLOUT when a PIPE_BUF write would fail with EAGAIN", () => {
      const { w } = ends();
      w.write(filled(PIPE_CAPACITY - 100));
      expect(w.write(filled(PIPE_BUF))).toBe(-EAGAIN);
      expect(w.poll() & POLLOUT).toBe(0);
    });
  });

  describe("ioctl()", () => {
    function io(ok = true): IoctlAccess & { writes: [number, Uint8Array][] } {
      const writes: [number, Uint8Array][] = [];
      return {
        writes,
        read: () => null,
        write: (addr, bytes) => {
          writes.push([addr, bytes.slice()]);
          return ok;
        },
      };
    }

    it("FIONREAD stores the number of buffered bytes as an int at argp, on either end", () => {
      const { r, w } = ends();
      w.write(filled(70_000));
      r.read(new Uint8Array(1234));
      const a = io();
      expect(r.ioctl(FIONREAD, 0x1000, a)).toBe(0);
      expect(w.ioctl(FIONREAD, 0x2000, a)).toBe(0);
      expect(a.writes.map(([addr, b]) => [addr, b.length, new DataView(b.buffer).getInt32(0, true)])).toEqual([
        [0x1000, 4, PIPE_CAPACITY - 1234],
        [0x2000, 4, PIPE_CAPACITY - 1234],
      ]);
    });

    it("FIONREAD into a bad address is -EFAULT; other requests are -ENOTTY", () => {
      const { r } = ends();
      expect(r.ioctl(FIONREAD, 0, io(false))).toBe(-EFAULT);
      const a = io();
      expect(r.ioctl(0x5401 /* TCGETS */, 0x1000, a)).toBe(-ENOTTY);
      expect(a.writes).toEqual([]);
    });
  });

  describe("readiness", () => {
    it("both ends share the pipe's queue", () => {
      const { pipe, r, w } = ends();
      expect(r.readiness).toBe(pipe.readiness);
      expect(w.readiness).toBe(pipe.readiness);
    });

    it("every write and release notifies it; a read only when it makes room a writer may wait for", async () => {
      const { pipe, r, w } = ends();
      const woken = watch(pipe);
      w.write(filled(10));
      await flushMicrotasks();
      expect(woken()).toBe(1);
      r.read(new Uint8Array(4));
      await flushMicrotasks();
      expect(woken()).toBe(1);
      w.write(filled(PIPE_CAPACITY - 6 - 100));
      await flushMicrotasks();
      expect(woken()).toBe(2);
      r.read(new Uint8Array(4));
      await flushMicrotasks();
      expect(woken()).toBe(3);
      w.release();
      await flushMicrotasks();
      expect(woken()).toBe(4);
      r.release();
      await flushMicrotasks();
      expect(woken()).toBe(5);
    });

    it("keys its notifications: POLLIN for data, POLLOUT for room, 0 for an end that opens or closes", () => {
      const { pipe, r, w } = ends();
      const keys: number[] = [];
      pipe.readiness.watch((key) => {
        keys.push(key);
        return true;
      });
      w.write(filled(PIPE_CAPACITY));
      r.read(new Uint8Array(1));
      w.release();
      expect(keys).toEqual([POLLIN | POLLRDNORM, POLLOUT | POLLWRNORM, 0]);
    });

    it("a read or write that changes nothing does not notify", async () => {
      const { pipe, r, w } = ends();
      const woken = watch(pipe);
      expect(r.read(new Uint8Array(4))).toBe(-EAGAIN);
      w.write(filled(PIPE_CAPACITY));
      await flushMicrotasks();
      expect(woken()).toBe(1);
      expect(w.write(filled(1))).toBe(-EAGAIN);
      await flushMicrotasks();
      expect(woken()).toBe(1);
    });
  });
});
