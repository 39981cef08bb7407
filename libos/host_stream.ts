// The guest's standard streams: host descriptors 0, 1 and 2 passed through.
//
// Writes are synchronous (the host fd may be a pipe left non-blocking by someone else,
// so EAGAIN is retried). Reads wait in libuv's thread pool, so a guest blocked on stdin
// blocks only its own thread. Terminal ioctls (TCGETS/TCSETS*, TIOCGWINSZ, TIOCGPGRP)
// go to the host terminal through libc's ioctl, so a guest sees the real terminal.

import { fstatSync, read, writeSync } from "node:fs";
import { isatty } from "node:tty";
import { createRequire } from "node:module";
import { errnoFromHost, statFromHost, type FsDirPage, type FsStat } from "../fs-task/mod.ts";
import { EFAULT, EINVAL, ENOTDIR, ENOTTY, EPIPE } from "../linux-abi/errno.ts";
import { TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGWINSZ, TIOCSPGRP, TIOCSWINSZ } from "../linux-abi/ioctl.ts";
// The kernel's struct termios (36 bytes; glibc's 60-byte one never crosses the syscall boundary).
import { SIZEOF_TERMIOS as TERMIOS_SIZE, SIZEOF_WINSIZE as WINSIZE_SIZE } from "../linux-abi/termios.ts";
import type { FileOps, IoctlAccess, IoResult } from "./file.ts";


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

export class HostStream implements FileOps {
  readonly seekable = false;
  readonly tty: boolean;

  constructor(
    readonly hostFd: number,
    readonly path: string,
  ) {
    this.tty = isatty(hostFd);
  }

  read(dst: Uint8Array, _offset: number): IoResult {
    return new Promise((resolve) => {
      read(this.hostFd, dst, 0, dst.length, null, (err, n) => resolve(err ? errnoFromHost(err) : n));
    });
  }

  write(src: Uint8Array, _offset: number): IoResult {
    let done = 0;
    while (done < src.length) {
      try {
        done += writeSync(this.hostFd, src, done, src.length - done);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") continue;
        if (code === "EPIPE") return -EPIPE;
        return done > 0 ? done : errnoFromHost(e);
      }
    }
    return done;
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
    if (!this.tty) return -ENOTTY;
    const size = request === TCGETS || request === TCSETS || request === TCSETSW || request === TCSETSF ? TERMIOS_SIZE
      : request === TIOCGWINSZ || request === TIOCSWINSZ ? WINSIZE_SIZE
      : request === TIOCGPGRP || request === TIOCSPGRP ? 4 : -1;
    if (size < 0) return -EINVAL;
    const getter = request === TCGETS || request === TIOCGWINSZ || request === TIOCGPGRP;
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
