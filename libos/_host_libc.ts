// The few host libc calls Node does not offer, bound once through koffi: terminal ioctls,
// job control of the launcher itself, _exit, and a readiness wait on a host descriptor
// that consumes nothing (poll(2) on a pool thread, ended early through a pipe).

import { koffi as loadKoffi } from "../microkernel/platform/koffi.ts";

const POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
const SIZEOF_POLLFD = 8;

interface Bindings {
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  getpgrp(): number;
  getpid(): number;
  kill(pid: number, sig: number): number;
  sigaction(sig: number, act: Uint8Array | null, old: Uint8Array | null): number;
  exit(status: number): void;
  poll: ((fds: Uint8Array, n: number, timeout: number) => number) & {
    async(fds: Uint8Array, n: number, timeout: number, done: (err: unknown, r: number) => void): void;
  };
  pipe(fds: Int32Array): number;
  write(fd: number, buf: Uint8Array, n: number): number;
  close(fd: number): number;
  errno(): number;
}

let bound: Bindings | null = null;

export function libc(): Bindings {
  if (bound) return bound;
  const koffi = loadKoffi();
  const lib = koffi.load("libc.so.6");
  bound = {
    ioctl: lib.func("int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)") as Bindings["ioctl"],
    getpgrp: lib.func("int getpgrp(void)") as Bindings["getpgrp"],
    getpid: lib.func("int getpid(void)") as Bindings["getpid"],
    kill: lib.func("int kill(int pid, int sig)") as Bindings["kill"],
    sigaction: lib.func("int sigaction(int sig, const uint8_t *act, _Out_ uint8_t *old)") as Bindings["sigaction"],
    exit: lib.func("void _exit(int status)") as Bindings["exit"],
    poll: lib.func("int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)") as Bindings["poll"],
    pipe: lib.func("int pipe(_Out_ int *fds)") as Bindings["pipe"],
    write: lib.func("long write(int fd, const uint8_t *buf, unsigned long n)") as Bindings["write"],
    close: lib.func("int close(int fd)") as Bindings["close"],
    errno: () => koffi.errno() as number,
  };
  return bound;
}

function pollfds(fds: number[]): Uint8Array {
  const b = new Uint8Array(fds.length * SIZEOF_POLLFD);
  const v = new DataView(b.buffer);
  fds.forEach((fd, i) => {
    v.setInt32(i * SIZEOF_POLLFD, fd, true);
    v.setInt16(i * SIZEOF_POLLFD + 4, POLLIN, true);
  });
  return b;
}

/** Whether a read of host descriptor `fd` would not wait now (data, end of file, or an error to report). */
export function readableNow(fd: number): boolean {
  const b = pollfds([fd]);
  if (libc().poll(b, 1, 0) <= 0) return false;
  return (new DataView(b.buffer).getInt16(6, true) & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) !== 0;
}

/**
 * Waits on a pool thread until host descriptor `fd` is readable, then calls `ready`;
 * nothing is read, so input nobody asks for stays with the host. cancel() ends the wait
 * early (without calling `ready`).
 */
export class ReadableWatch {
  readonly #pipe = new Int32Array([-1, -1]);
  // The pollfd array poll(2) writes its results into from the pool thread: held here until
  // the call returns, or the collector could free it under the call (heap corruption).
  #fds: Uint8Array | null = null;
  #waiting = false;
  #cancelled = false;

  constructor(readonly fd: number, readonly ready: () => void) {}

  start(): void {
    if (this.#waiting || this.#cancelled) return;
    const c = libc();
    // Without a pipe there is no early end: the wait still ends when the descriptor is readable.
    if (this.#pipe[0] === -1 && c.pipe(this.#pipe) < 0) this.#pipe.fill(-1);
    const fds = pollfds(this.#pipe[0] === -1 ? [this.fd] : [this.fd, this.#pipe[0]!]);
    this.#fds = fds;
    this.#waiting = true;
    c.poll.async(fds, fds.length / SIZEOF_POLLFD, -1, () => {
      this.#fds = null;
      this.#waiting = false;
      if (this.#cancelled) this.#closePipe();
      else this.ready();
    });
  }

  /** No more waits; a wait in progress ends now (the pipe closes once it has). */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    if (!this.#waiting) this.#closePipe();
    else if (this.#pipe[1] !== -1) libc().write(this.#pipe[1]!, new Uint8Array(1), 1);
  }

  #closePipe(): void {
    for (const fd of this.#pipe) if (fd !== -1) libc().close(fd);
    this.#pipe.fill(-1);
  }
}
