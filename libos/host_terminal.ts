// The launcher's side of the host terminal: what a native program gets from the host
// kernel for free, done by hand because the launcher stands between the guest and the
// terminal.
//
//   hostIoctl(fd, req, buf)  ioctl(2) on a host descriptor (the guest's terminal requests
//                            on the host console pass through here)
//   isHostTerminal(fd)       isatty(3): whether TCGETS works on it (node:tty's isatty
//                            loads node:net, ~7 ms of a hello's start-up)
//   HostTerminal             the first of host fds 0, 1, 2 that is a terminal. open() saves
//                            its modes; restore() puts them back, on every way out of the
//                            launcher (cli.ts). suspend(sig) is job control: the guest's
//                            program stopped, so the launcher gives the terminal back in
//                            the state it found it and stops itself with the same signal,
//                            as the program would have natively; once resumed in the
//                            foreground it puts the guest's modes back.
//   exitNow(status)          the "exit" listeners, then _exit(2): a host read of the
//                            terminal a guest started may be blocked in a libuv pool
//                            thread, and exit(3) would wait for it (so for the user's
//                            next line, which it would then swallow).
//
// Linux: drivers/tty/tty_jobctrl.c is what the host shell relies on; the launcher mirrors
// a native process's stop (do_signal_stop) with kill(getpid(), sig) under SIG_DFL.

import { TCGETS, TCSETSW, TIOCGPGRP } from "../linux-abi/ioctl.ts";
import { SIGSTOP } from "../linux-abi/signal.ts";
import { SIZEOF_TERMIOS } from "../linux-abi/termios.ts";
import { libc as host } from "./_host_libc.ts";

// glibc's struct sigaction on x86-64 (handler, 128-byte mask, flags, restorer): kept as
// bytes, only zeroed (SIG_DFL) or saved and put back.
const SIZEOF_HOST_SIGACTION = 152;

/** ioctl(2) on a host descriptor: 0 or -errno. */
export function hostIoctl(fd: number, request: number, arg: Uint8Array): number {
  const c = host();
  return c.ioctl(fd, request, arg) < 0 ? -c.errno() : 0;
}

const probeModes = new Uint8Array(SIZEOF_TERMIOS);

/** Whether host descriptor `fd` is a terminal, as isatty(3) finds out: TCGETS works on it. */
export function isHostTerminal(fd: number): boolean {
  return hostIoctl(fd, TCGETS, probeModes) === 0;
}

/**
 * End the launcher at once with `status` (output is written synchronously, so nothing is
 * lost). The process's "exit" listeners run first, as under process.exit (the launcher
 * saves its start-up code cache there: scripts/bundle-loader.cjs).
 */
export function exitNow(status: number): never {
  process.emit("exit", status);
  host().exit(status);
  throw new Error("_exit returned");
}

export class HostTerminal {
  readonly #saved: Uint8Array;

  private constructor(readonly fd: number, saved: Uint8Array) {
    this.#saved = saved;
  }

  /** The host terminal among fds 0, 1, 2 with its modes saved; null when none is a terminal. */
  static open(): HostTerminal | null {
    const fd = [0, 1, 2].find(isHostTerminal);
    if (fd === undefined) return null;
    const modes = new Uint8Array(SIZEOF_TERMIOS);
    return hostIoctl(fd, TCGETS, modes) < 0 ? null : new HostTerminal(fd, modes);
  }

  /**
   * The modes the launcher found, back on the terminal. Only when they changed: a launcher
   * in the background that set nothing must not get SIGTTOU (and stop) on its way out.
   */
  restore(): void {
    const now = new Uint8Array(SIZEOF_TERMIOS);
    if (hostIoctl(this.fd, TCGETS, now) === 0 && now.every((b, i) => b === this.#saved[i])) return;
    hostIoctl(this.fd, TCSETSW, this.#saved.slice());
  }

  /**
   * The guest's program stopped with `sig`: restore the terminal and stop the launcher
   * with `sig` under its default action. Returns once the launcher is continued, with the
   * guest's modes back when it is continued in the foreground (`fg`, not `bg`).
   */
  suspend(sig: number): void {
    const guest = new Uint8Array(SIZEOF_TERMIOS);
    const haveGuest = hostIoctl(this.fd, TCGETS, guest) === 0;
    this.restore();
    stopSelf(sig);
    if (haveGuest && this.#foreground()) hostIoctl(this.fd, TCSETSW, guest);
  }

  #foreground(): boolean {
    const pgrp = new Uint8Array(4);
    if (hostIoctl(this.fd, TIOCGPGRP, pgrp) < 0) return false;
    return new DataView(pgrp.buffer).getInt32(0, true) === host().getpgrp();
  }
}

/**
 * Stop this process with `sig` as its default action would (the shell then reports the
 * signal a native program stopped with); returns after SIGCONT. The handler libuv keeps
 * for `sig` is set aside meanwhile and put back as it was.
 */
export function stopSelf(sig: number): void {
  const c = host();
  if (sig === SIGSTOP) {
    c.kill(c.getpid(), sig);
    return;
  }
  const old = new Uint8Array(SIZEOF_HOST_SIGACTION);
  if (c.sigaction(sig, new Uint8Array(SIZEOF_HOST_SIGACTION), old) < 0) {
    c.kill(c.getpid(), SIGSTOP);
    return;
  }
  // A stop signal sent to oneself stops the process before kill() returns.
  c.kill(c.getpid(), sig);
  c.sigaction(sig, old, null);
}
