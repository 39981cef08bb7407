// The guest's standard streams: host descriptors 0, 1 and 2 passed through, and the
// host terminal as the user kernel's console.
//
//   HostInput      input from a host descriptor. A guest read that finds nothing starts a
//                  wait for readability on a pool thread (poll(2), nothing consumed) and
//                  sleeps on `readiness`; bytes are read from the host only by a guest read
//                  that finds them there. So input typed while no guest reads, or after a
//                  guest reader died (Ctrl-C), stays with the host terminal: it reaches the
//                  host shell once the launcher is gone, as with a native program.
//   HostStream     FileOps over a host descriptor: reads from its HostInput (-EAGAIN
//                  until data arrives), synchronous writes. On the host terminal it is
//                  the guest's /dev/console: job control is the console Terminal's
//                  (terminal.ts: the guest's sessions and groups, not the host's), and
//                  fstat shows the guest's /dev/console node, so ttyname(3) finds that
//                  name. Line discipline requests (TCGETS, TCSETS*, TIOCGWINSZ) go to
//                  the host terminal, so raw and cooked modes and the window size are
//                  the real ones.
//                  An output stream is always writable: its readiness queue (for poll
//                  and epoll) is never notified.

import { fstatSync, readSync, readlinkSync, writeSync } from "node:fs";
import { errnoFromHost, statFromHost, type FsDirPage, type FsStat } from "../fs-task/mod.ts";
import { EAGAIN, EFAULT, EINVAL, ENOTDIR, ENOTTY, EPIPE } from "../linux-abi/errno.ts";
import { FIONREAD, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGWINSZ, TIOCSWINSZ } from "../linux-abi/ioctl.ts";
import { POLLIN, POLLOUT } from "../linux-abi/poll.ts";
// The kernel's struct termios (36 bytes; glibc's 60-byte one never crosses the syscall boundary).
import { SIZEOF_TERMIOS as TERMIOS_SIZE, SIZEOF_WINSIZE as WINSIZE_SIZE } from "../linux-abi/termios.ts";
import type { FileOps, IoctlAccess } from "./file.ts";
import { ReadableWatch, readableNow } from "./_host_libc.ts";
import { hostIoctl, isHostTerminal } from "./host_terminal.ts";
import type { Thread } from "./process.ts";
import { putInt, type Terminal } from "./terminal.ts";
import { WaitQueue } from "./wait_queue.ts";

export class HostInput {
  readonly readiness = new WaitQueue();
  readonly #watch: ReadableWatch;

  constructor(readonly hostFd: number) {
    // The wake-up waits for the event loop's next turn: a signal the same keys raised
    // first (Ctrl-C, then a line) is forwarded in this turn, and so reaches the guest
    // before the line, as the host kernel delivers it before the next byte.
    this.#watch = new ReadableWatch(hostFd, () => setImmediate(() => this.readiness.notify()));
  }

  /** Bytes the host holds for a read (FIONREAD), 0 when it cannot say. */
  get buffered(): number {
    const b = new Uint8Array(4);
    return hostIoctl(this.hostFd, FIONREAD, b) < 0 ? 0 : new DataView(b.buffer).getInt32(0, true);
  }

  /** Bytes read (0: end of file, or ^D on a terminal), -EAGAIN to wait on `readiness`, or -errno. */
  read(dst: Uint8Array): number {
    if (!this.ready()) return -EAGAIN;
    try {
      return readSync(this.hostFd, dst, 0, dst.length, null);
    } catch (e) {
      // Non-blocking and taken by someone else meanwhile: wait again.
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return errnoFromHost(e);
      this.#watch.start();
      return -EAGAIN;
    }
  }

  /** Whether a read would not wait; if it would, `readiness` is notified once it would not. */
  ready(): boolean {
    if (readableNow(this.hostFd)) return true;
    this.#watch.start();
    return false;
  }

  /** The user kernel ends: a wait in progress ends too. */
  close(): void {
    this.#watch.cancel();
  }
}

/**
 * What /proc/self/fd/N shows for the launcher's descriptor `fd`: the host's own name when it
 * is one a guest may see (a pipe, socket or anonymous inode as "pipe:[ino]"…, a device under
 * /dev), else `fallback` (a host file's path is not the guest's to know).
 */
export function hostStreamName(fd: number, fallback: string): string {
  try {
    const name = readlinkSync(`/proc/self/fd/${fd}`);
    return /^(pipe|socket|anon_inode):/.test(name) || name.startsWith("/dev/") ? name : fallback;
  } catch {
    return fallback;
  }
}

export class HostStream implements FileOps {
  readonly seekable = false;
  readonly tty: boolean;
  readonly #input: HostInput | null;
  readonly #outputReadiness = new WaitQueue();

  constructor(
    readonly hostFd: number,
    readonly path: string,
    input: HostInput | null,
    /** The console's job control, when the descriptor is the host terminal. */
    readonly console: Terminal | null,
    /** The thread whose syscall is served (terminal requests check it). */
    readonly caller: () => Thread,
    /** What fstat shows of the console: the guest's /dev/console node. */
    readonly node: () => FsStat | number,
  ) {
    this.tty = console !== null && isHostTerminal(hostFd);
    this.#input = input;
  }

  /** A background process of the console's session reading it is stopped (SIGTTIN) first. */
  jobControl(t: Thread, write: boolean): number {
    return this.tty && !write ? this.console!.checkRead(t) : 0;
  }

  get readiness(): WaitQueue {
    return this.#input?.readiness ?? this.#outputReadiness;
  }

  read(dst: Uint8Array, _offset: number): number {
    return this.#input ? this.#input.read(dst) : -EINVAL;
  }

  write(src: Uint8Array, _offset: number): number {
    let done = 0;
    while (done < src.length) {
      try {
        done += writeSync(this.hostFd, src, done, src.length - done);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") continue;
        if (code === "EPIPE") return done > 0 ? done : -EPIPE;
        return done > 0 ? done : errnoFromHost(e);
      }
    }
    return done;
  }

  poll(): number {
    return (this.#input?.ready() ? POLLIN : 0) | POLLOUT;
  }

  stat(): FsStat | number {
    if (this.tty) {
      const st = this.node();
      if (typeof st !== "number") return st;
    }
    try {
      return statFromHost(fstatSync(this.hostFd, { bigint: true }));
    } catch (e) {
      return errnoFromHost(e);
    }
  }

  readdir(): FsDirPage | number {
    return -ENOTDIR;
  }

  truncate(): number {
    return -EINVAL;
  }

  ioctl(request: number, argp: number, io: IoctlAccess): number {
    if (request === FIONREAD && this.#input) return putInt(io, argp, this.#input.buffered);
    if (!this.tty) return -ENOTTY;
    const job = this.console!.jobIoctl(request, argp, io);
    if (job !== null) return job;
    if (request === TCSETS || request === TCSETSW || request === TCSETSF) {
      const change = this.console!.checkChange(this.caller());
      if (change < 0) return change;
    }
    return this.#hostIoctl(request, argp, io);
  }

  #hostIoctl(request: number, argp: number, io: IoctlAccess): number {
    const size = request === TCGETS || request === TCSETS || request === TCSETSW || request === TCSETSF ? TERMIOS_SIZE
      : request === TIOCGWINSZ || request === TIOCSWINSZ ? WINSIZE_SIZE : -1;
    if (size < 0) return -EINVAL;
    const getter = request === TCGETS || request === TIOCGWINSZ;
    const buf = new Uint8Array(size);
    if (!getter) {
      const src = io.read(argp, size);
      if (!src) return -EFAULT;
      buf.set(src);
    }
    const rc = hostIoctl(this.hostFd, request, buf);
    if (rc < 0) return rc;
    if (getter && !io.write(argp, buf)) return -EFAULT;
    return 0;
  }

  release(): void {
    // The host's descriptors outlive the guest's.
  }
}
