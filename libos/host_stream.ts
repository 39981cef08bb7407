// The guest's standard streams: host descriptors 0, 1 and 2 passed through, and the
// host terminal as the user kernel's controlling terminal.
//
//   HostInput      reads a host descriptor in the background, one read at a time and
//                  only while the guest wants data, so it never blocks the user kernel
//                  and a guest read interrupted by a signal loses nothing: the bytes
//                  wait in the buffer for the next read.
//   HostStream     FileOps over a host descriptor: reads from its HostInput (-EAGAIN
//                  until data arrives), synchronous writes. An output stream is always
//                  writable: its readiness queue (for poll and epoll) is never notified.
//   Terminal       the controlling terminal's job-control state: session and
//                  foreground process group (TIOCGPGRP/TIOCSPGRP answer from here, not
//                  from the host, whose groups are not the guest's). Line discipline
//                  requests (TCGETS, TCSETS*, TIOCGWINSZ) go to the host terminal, so raw
//                  and cooked modes and the window size are the real ones.

import { fstatSync, read, writeSync } from "node:fs";
import { isatty } from "node:tty";
import { createRequire } from "node:module";
import { errnoFromHost, statFromHost, type FsDirPage, type FsStat } from "../fs-task/mod.ts";
import { EAGAIN, EFAULT, EINVAL, ENOTDIR, ENOTTY, EPERM, EPIPE } from "../linux-abi/errno.ts";
import {
  FIONREAD, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGSID, TIOCGWINSZ, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP, TIOCSWINSZ,
} from "../linux-abi/ioctl.ts";
import { POLLIN, POLLOUT } from "../linux-abi/poll.ts";
// The kernel's struct termios (36 bytes; glibc's 60-byte one never crosses the syscall boundary).
import { SIZEOF_TERMIOS as TERMIOS_SIZE, SIZEOF_WINSIZE as WINSIZE_SIZE } from "../linux-abi/termios.ts";
import type { FileOps, IoctlAccess } from "./file.ts";
import { WaitQueue } from "./wait_queue.ts";

const READ_CHUNK = 65536;
// A host descriptor left non-blocking by someone else: look again after this long.
const EAGAIN_RETRY_MS = 5;

type HostIoctl = (fd: number, request: number, arg: Uint8Array) => number;
let hostIoctl: HostIoctl | null = null;

function ioctlFn(): HostIoctl {
  if (!hostIoctl) {
    const koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi");
    const f = koffi.load("libc.so.6").func("int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)");
    hostIoctl = (fd, request, arg) => (f(fd, request, arg) as number) < 0 ? -(koffi.errno() as number) : 0;
  }
  return hostIoctl;
}

export class HostInput {
  readonly readiness = new WaitQueue();
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #eof = false;
  #reading = false;

  constructor(readonly hostFd: number) {}

  get buffered(): number {
    return this.#buffered;
  }

  read(dst: Uint8Array): number {
    if (this.#buffered === 0) {
      if (this.#eof) {
        // End of file is one event on a terminal (Ctrl-D); a later read waits again.
        this.#eof = false;
        return 0;
      }
      this.#start();
      return -EAGAIN;
    }
    let n = 0;
    while (n < dst.length && this.#chunks.length > 0) {
      const c = this.#chunks[0]!;
      const take = Math.min(c.length, dst.length - n);
      dst.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    this.#buffered -= n;
    // An epoll watching the stream waits for the next edge without reading again: fetch
    // more now (otherwise only a reader that wants data starts a host read).
    if (this.#buffered === 0 && this.readiness.watched) this.#start();
    return n;
  }

  ready(): boolean {
    if (this.#buffered > 0 || this.#eof) return true;
    this.#start();
    return false;
  }

  #start(): void {
    if (this.#reading) return;
    this.#reading = true;
    const buf = new Uint8Array(READ_CHUNK);
    read(this.hostFd, buf, 0, buf.length, null, (err, n) => {
      this.#reading = false;
      if (err && (err as NodeJS.ErrnoException).code === "EAGAIN") {
        setTimeout(() => this.#start(), EAGAIN_RETRY_MS);
        return;
      }
      if (err || n === 0) this.#eof = true;
      else {
        this.#chunks.push(buf.subarray(0, n));
        this.#buffered += n;
      }
      this.readiness.notify();
    });
  }
}

/** Job-control state of the controlling terminal. */
export class Terminal {
  /** Session that owns the terminal, 0 before any session claims it. */
  sid = 0;
  foregroundPgrp = 0;
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
    readonly terminal: Terminal | null,
    /** The caller's session and process group, for the job-control ioctls. */
    readonly caller: () => { sid: number; pgid: number; pid: number; sessionLeader: boolean; pgrpExists: (pgid: number) => boolean },
  ) {
    this.tty = isatty(hostFd);
    this.#input = input;
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
    if (!this.tty || !this.terminal) return -ENOTTY;
    const term = this.terminal;
    const me = this.caller();
    switch (request) {
      case TIOCGPGRP:
        return putInt(io, argp, term.foregroundPgrp);
      case TIOCGSID:
        return term.sid ? putInt(io, argp, term.sid) : -ENOTTY;
      case TIOCSPGRP: {
        const b = io.read(argp, 4);
        if (!b) return -EFAULT;
        const pgrp = new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
        if (term.sid !== me.sid) return -ENOTTY;
        if (pgrp <= 0 || !me.pgrpExists(pgrp)) return pgrp <= 0 ? -EINVAL : -EPERM;
        term.foregroundPgrp = pgrp;
        return 0;
      }
      case TIOCSCTTY:
        if (!me.sessionLeader) return -EPERM;
        term.sid = me.sid;
        term.foregroundPgrp = me.pgid;
        return 0;
      case TIOCNOTTY:
        return term.sid === me.sid ? 0 : -ENOTTY;
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
    const rc = ioctlFn()(this.hostFd, request, buf);
    if (rc < 0) return rc;
    if (getter && !io.write(argp, buf)) return -EFAULT;
    return 0;
  }

  release(): void {
    // The host's descriptors outlive the guest's.
  }
}

function putInt(io: IoctlAccess, addr: number, value: number): number {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return io.write(addr, b) ? 0 : -EFAULT;
}
