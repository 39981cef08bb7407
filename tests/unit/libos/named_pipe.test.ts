import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
// The named-pipe registry over a real TmpFs: which FIFO opens wait and for what, which
// fail, one pipe per inode, fstat from the file system, and the pipe's end with its last close.
import { beforeEach, describe, expect, it } from "vitest";
import type { FsStat } from "../../../fs-task/file_system.ts";
import { TmpFs } from "../../../fs-task/tmpfs.ts";
import { EAGAIN, EBADF, ENXIO } from "../../../linux-abi/errno.ts";
import { O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from "../../../linux-abi/fcntl.ts";
import { POLLHUP, POLLIN, POLLOUT } from "../../../linux-abi/poll.ts";
import { S_IFIFO, S_IFMT } from "../../../linux-abi/stat.ts";
import { PipeFs } from "../../../libos/pipe.ts";
import { NamedPipeEnd, NamedPipes, kernelServesFifos, type FifoOpen } from "../../../libos/named_pipe.ts";
import type { Thread } from "../../../libos/process.ts";
import { ERESTARTSYS } from "../../../libos/wait_queue.ts";
import { flushMicrotasks, makeThread, track } from "./_fake_process.ts";

const devs = new AnonDevices();

const unlimited = { charge: () => true, release: () => {} };

let fs: TmpFs;
let pipes: NamedPipes;

beforeEach(() => {
  fs = new TmpFs({ dev: devs.next(), quota: unlimited });
  pipes = new NamedPipes(new PipeFs());
  expect(fs.mknod!("/f", S_IFIFO | 0o644, 0)).toBe(0);
});

/** open(2) of a FIFO as the kernel-task does it: the fs opens the node, the registry the end. */
function openFifo(flags: number, t: Thread = makeThread(), path = "/f", on: TmpFs = fs): FifoOpen | Promise<FifoOpen> {
  const handle = on.open(path, flags, 0);
  const st = on.fstat(handle) as FsStat;
  return pipes.open(t, on, handle, st.ino, path, flags);
}

/** An open that must finish at once. */
function end(flags: number, path = "/f", on: TmpFs = fs): NamedPipeEnd {
  const r = openFifo(flags, makeThread(), path, on);
  if (!(r instanceof NamedPipeEnd)) throw new Error(`open did not finish at once: ${String(r)}`);
  return r;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function readText(e: NamedPipeEnd, max = 64): string | number {
  const buf = new Uint8Array(max);
  const n = e.read(buf);
  return n < 0 ? n : new TextDecoder().decode(buf.subarray(0, n));
}

describe("kernelServesFifos", () => {
  it("serves every mount's FIFOs but a host directory's", () => {
    expect(kernelServesFifos({ source: "tmpfs", type: "tmpfs", readOnly: false })).toBe(true);
    expect(kernelServesFifos({ source: "initfs", type: "initfs", readOnly: true })).toBe(true);
    expect(kernelServesFifos({ source: "/home/me", type: "hostfs", readOnly: false })).toBe(false);
  });
});

describe("NamedPipes", () => {
  it("O_RDONLY|O_NONBLOCK opens with no writer, reads end of file, and hangs up only after a writer came", () => {
    const r = end(O_RDONLY | O_NONBLOCK);
    expect(readText(r)).toBe("");
    expect(r.poll()).toBe(0);
    const w = end(O_WRONLY | O_NONBLOCK);
    expect(w.write(text("abc"))).toBe(3);
    expect(r.poll()).toBe(POLLIN);
    w.release();
    expect(r.poll()).toBe(POLLIN | POLLHUP);
    expect(readText(r)).toBe("abc");
    expect(readText(r)).toBe("");
    expect(r.poll()).toBe(POLLHUP);
  });

  it("a blocking reader that opened while a writer was there hangs up when it goes", () => {
    const w = end(O_RDWR);
    const r = end(O_RDONLY);
    expect(r.poll()).toBe(0);
    w.release();
    expect(r.poll()).toBe(POLLHUP);
  });

  it("O_WRONLY|O_NONBLOCK with no reader is ENXIO and closes the handle", () => {
    const handle = fs.open("/f", O_WRONLY | O_NONBLOCK, 0);
    expect(pipes.open(makeThread(), fs, handle, (fs.fstat(handle) as FsStat).ino, "/f", O_WRONLY | O_NONBLOCK)).toBe(-ENXIO);
    expect(fs.close(handle)).toBe(-EBADF);
    expect(pipes.size).toBe(0);
  });

  it("a blocking reader waits until a writer opens", async () => {
    const opening = openFifo(O_RDONLY);
    expect(opening).toBeInstanceOf(Promise);
    const reader = track(opening as Promise<FifoOpen>);
    await flushMicrotasks();
    expect(reader.settled).toBe(false);
    const w = end(O_WRONLY);
    await flushMicrotasks();
    expect(reader.value).toBeInstanceOf(NamedPipeEnd);
    expect(w.write(text("hello"))).toBe(5);
    expect(readText(reader.value as NamedPipeEnd)).toBe("hello");
  });

  it("a writer that came and went still ends a reader's wait, which then reads end of file", async () => {
    const reader = track(openFifo(O_RDONLY) as Promise<FifoOpen>);
    const w = end(O_WRONLY);
    w.release();
    await flushMicrotasks();
    const r = reader.value as NamedPipeEnd;
    expect(r).toBeInstanceOf(NamedPipeEnd);
    expect(readText(r)).toBe("");
    expect(r.poll()).toBe(POLLHUP);
  });

  it("a blocking writer waits until a reader opens; a waiting open counts as an end already", async () => {
    const writer = track(openFifo(O_WRONLY) as Promise<FifoOpen>);
    await flushMicrotasks();
    expect(writer.settled).toBe(false);
    // The waiting writer is a writer: a blocking reader does not wait, and both opens finish.
    const r = end(O_RDONLY);
    await flushMicrotasks();
    expect(writer.value).toBeInstanceOf(NamedPipeEnd);
    expect((writer.value as NamedPipeEnd).write(text("x"))).toBe(1);
    expect(readText(r)).toBe("x");
  });

  it("O_RDWR never waits and reads back what it wrote, in order", () => {
    const rw = end(O_RDWR);
    expect(rw.poll()).toBe(POLLOUT);
    expect(rw.write(text("one"))).toBe(3);
    expect(rw.write(text("two"))).toBe(3);
    expect(rw.poll()).toBe(POLLIN | POLLOUT);
    expect(readText(rw)).toBe("onetwo");
    expect(readText(rw)).toBe(-EAGAIN);
  });

  it("a signal ends the wait with -ERESTARTSYS and gives the end and the handle up", async () => {
    const t = makeThread();
    const handle = fs.open("/f", O_WRONLY, 0);
    const writer = track(pipes.open(t, fs, handle, (fs.fstat(handle) as FsStat).ino, "/f", O_WRONLY) as Promise<FifoOpen>);
    expect(pipes.size).toBe(1);
    t.sleeper!.interrupt();
    await flushMicrotasks();
    expect(writer.value).toBe(-ERESTARTSYS);
    expect(fs.close(handle)).toBe(-EBADF);
    expect(pipes.size).toBe(0);
    // Nobody is left waiting to read: a non-blocking writer fails.
    expect(openFifo(O_WRONLY | O_NONBLOCK)).toBe(-ENXIO);
  });

  it("fstat is the FIFO's inode on its file system; the path is the one opened", () => {
    const r = end(O_RDWR);
    const st = r.stat() as FsStat;
    const onFs = fs.stat("/f", true) as FsStat;
    expect(st.mode & S_IFMT).toBe(S_IFIFO);
    expect(st.mode & 0o7777).toBe(0o644);
    expect([st.dev, st.ino]).toEqual([onFs.dev, onFs.ino]);
    expect(r.path).toBe("/f");
  });

  it("one pipe per inode: a hard link shares it, another FIFO or file system does not", () => {
    expect(fs.link("/f", "/g")).toBe(0);
    expect(fs.mknod!("/other", S_IFIFO | 0o644, 0)).toBe(0);
    const otherFs = new TmpFs({ dev: devs.next(), quota: unlimited });
    expect(otherFs.mknod!("/f", S_IFIFO | 0o644, 0)).toBe(0);
    const w = end(O_RDWR, "/f");
    w.write(text("shared"));
    expect(readText(end(O_RDWR, "/g"))).toBe("shared");
    expect(readText(end(O_RDWR, "/other"))).toBe(-EAGAIN);
    const elsewhere = end(O_RDWR, "/f", otherFs);
    expect((elsewhere.stat() as FsStat).ino).toBe((w.stat() as FsStat).ino);
    expect(readText(elsewhere)).toBe(-EAGAIN);
    expect(pipes.size).toBe(3);
  });

  it("the last close drops the pipe and what it held, and closes the file system's handles", () => {
    const a = end(O_RDWR);
    const b = end(O_RDONLY | O_NONBLOCK);
    a.write(text("lost"));
    a.release();
    expect(pipes.size).toBe(1);
    b.release();
    expect(pipes.size).toBe(0);
    expect(fs.close(a.handle)).toBe(-EBADF);
    expect(fs.close(b.handle)).toBe(-EBADF);
    expect(readText(end(O_RDWR))).toBe(-EAGAIN);
  });
});
