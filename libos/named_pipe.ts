// Named pipes: FIFOs on the file systems that only store them (Linux: fs/pipe.c, fifo_open).
//
// On Linux a FIFO's inode only names a pipe; the data is the kernel's. So here: the file
// system walks the path, checks and opens the node, and the kernel-task's registry gives
// the FIFO its pipe (libos/pipe.ts), one per inode, made at the first open and dropped at
// the last close (whatever it still held is lost, as on Linux). The end keeps the file
// system's handle, so fstat reports the FIFO's own inode (dev, ino, owner, times).
//
// Opening waits for the other side as fifo(7) says:
//   O_RDONLY   until a writer opens; with O_NONBLOCK at once
//   O_WRONLY   until a reader opens; with O_NONBLOCK and no reader: ENXIO
//   O_RDWR     never
// A waiting open is an end already (two opens waiting for each other meet), and it waits
// for the other side to open, not to stay open: a writer that came and went ends a
// reader's wait, which then reads end of file. Signals interrupt the wait (-ERESTARTSYS).

import type { FileSystem, FsStat } from "../fs-task/file_system.ts";
import { ENXIO } from "../linux-abi/errno.ts";
import { O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY } from "../linux-abi/fcntl.ts";
import { PipeEnd, type Pipe, type PipeFs } from "./pipe.ts";
import type { Thread } from "./process.ts";
import type { MountInfo } from "./vfs.ts";
import { AGAIN, sleep } from "./wait_queue.ts";

/**
 * Whether the kernel-task carries the data of FIFOs on this mount. Not for a host
 * directory: a host FIFO's pipe is the host kernel's (host processes may hold its other
 * end), and hostfs opens it as a host stream. The other file systems only store FIFO
 * nodes (tmpfs, initfs) or have none (devfs, proc).
 */
export function kernelServesFifos(mount: MountInfo): boolean {
  return mount.type !== "hostfs";
}

/** A FIFO end: the pipe for data, the file system's handle for the inode. */
export class NamedPipeEnd extends PipeEnd {
  constructor(
    pipe: Pipe,
    access: number,
    path: string,
    readonly fs: FileSystem,
    readonly handle: number,
    /** Called after the end is gone: the registry drops an unused pipe. */
    readonly onRelease: () => void,
  ) {
    super(pipe, access, path);
  }

  override stat(): FsStat | number {
    return this.fs.fstat(this.handle);
  }

  override release(): void {
    super.release();
    this.fs.close(this.handle);
    this.onRelease();
  }
}

export type FifoOpen = NamedPipeEnd | number;

/** The pipes of the open FIFOs of one user kernel. */
export class NamedPipes {
  // By file system, then inode number: the back end is what names the inode (a bind
  // mount shows one file system at two places).
  readonly #pipes = new Map<FileSystem, Map<number, Pipe>>();
  readonly #pipeFs: PipeFs;

  constructor(pipeFs: PipeFs) {
    this.#pipeFs = pipeFs;
  }

  /** How many FIFOs have a pipe now (each has an end open). */
  get size(): number {
    let n = 0;
    for (const inodes of this.#pipes.values()) n += inodes.size;
    return n;
  }

  /**
   * An end of the FIFO that `fs` has open as `handle` (inode `ino`, opened by `path` with
   * open(2) `flags`), once fifo(7) lets the open finish. Takes the handle: it is closed
   * when the end goes, or now if the open fails.
   */
  open(t: Thread, fs: FileSystem, handle: number, ino: number, path: string, flags: number): FifoOpen | Promise<FifoOpen> {
    const access = flags & O_ACCMODE;
    const nonblocking = (flags & O_NONBLOCK) !== 0;
    const existing = this.#pipes.get(fs)?.get(ino);
    if (access === O_WRONLY && nonblocking && !(existing && existing.readers > 0)) {
      fs.close(handle);
      return -ENXIO;
    }
    const pipe = existing ?? this.#add(fs, ino);
    const end = new NamedPipeEnd(pipe, access, path, fs, handle, () => this.#dropIfUnused(fs, ino, pipe));
    if (access === O_RDONLY && pipe.writers === 0) {
      if (!nonblocking) return waitForPartner(t, end, () => pipe.writerOpens);
      end.hangUpOnlyAfterNextWriter();
    }
    if (access === O_WRONLY && pipe.readers === 0) return waitForPartner(t, end, () => pipe.readerOpens);
    return end;
  }

  #add(fs: FileSystem, ino: number): Pipe {
    let inodes = this.#pipes.get(fs);
    if (!inodes) this.#pipes.set(fs, (inodes = new Map()));
    const pipe = this.#pipeFs.create();
    inodes.set(ino, pipe);
    return pipe;
  }

  #dropIfUnused(fs: FileSystem, ino: number, pipe: Pipe): void {
    if (pipe.readers > 0 || pipe.writers > 0) return;
    const inodes = this.#pipes.get(fs)!;
    inodes.delete(ino);
    if (inodes.size === 0) this.#pipes.delete(fs);
  }
}

/** Sleeps until `opens` (the other side's open count) moves; an interrupted wait gives the end up. */
function waitForPartner(t: Thread, end: NamedPipeEnd, opens: () => number): FifoOpen | Promise<FifoOpen> {
  const seen = opens();
  const done = (r: number): FifoOpen => {
    if (r >= 0) return end;
    end.release();
    return r;
  };
  const r = sleep(t, [end.pipe.readiness], () => (opens() === seen ? AGAIN : 0));
  return typeof r === "number" ? done(r) : r.then(done);
}
