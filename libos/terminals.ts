// The terminals of a user kernel and the character devices that reach them, found by
// device number when a node is opened, as Linux finds a tty driver:
//
//   5,0    /dev/tty       the caller's controlling terminal (ENXIO without one)
//   5,1    /dev/console   the host terminal (ENXIO when the launcher has none)
//   5,2    /dev/ptmx      a new pseudo-terminal pair: its master (pty.ts)
//   136,N  /dev/pts/N     that pair's slave (EIO while locked); an open without O_NOCTTY
//                         by a session leader without a terminal makes it the controlling one
//                         (TIOCGPTPEER on the master opens it too, without its name)
//
// Every other device number is the file system's (or another driver's: loop.ts). The file
// the caller gets is a DeviceFile (device_file.ts): the terminal's operations, with the
// node it opened for fstat and its name for /proc/PID/fd.

import { fstatSync } from "node:fs";
import type { FsStat } from "../fs-task/file_system.ts";
import { EINVAL, EIO, ENOSPC, ENOTTY, ENXIO } from "../linux-abi/errno.ts";
import { O_ACCMODE, O_CLOEXEC, O_NOCTTY, O_NONBLOCK } from "../linux-abi/fcntl.ts";
import { DevPtsFs } from "./devpts.ts";
import { DeviceFile } from "./device_file.ts";
import { OpenFile, type FileOps } from "./file.ts";
import { HostInput, HostStream, hostStreamName } from "./host_stream.ts";
import type { Process, Thread } from "./process.ts";
import { PTY_SLAVE_MAJOR, Pty, PtyMaster, PtySlave, PtyTable, makedev } from "./pty.ts";
import { Terminal, type TtyKernel } from "./terminal.ts";

const TTY = makedev(5, 0);
const CONSOLE = makedev(5, 1);
const PTMX = makedev(5, 2);

export interface TerminalsOptions {
  /** The host terminal's descriptor (one of 0, 1, 2), or null when the launcher has none. */
  consoleFd: number | null;
  /** fstat of the guest's /dev/console node. */
  consoleNode: () => FsStat | number;
  /** The first process's descriptors 0, 1, 2 where they are not the host's (null: the host's), for a system description's consoles and pipes. */
  streams?: readonly (FileOps | null)[];
}

export class Terminals {
  readonly ptys: PtyTable;
  readonly devpts: DevPtsFs;
  /** Job control of the host terminal; null without one. */
  readonly console: Terminal | null;
  readonly #consoleFd: number | null;
  readonly #consoleNode: () => FsStat | number;
  readonly #streams: readonly (FileOps | null)[];
  /** Host fd 0, read for the guest; the console's input too when fd 0 is the terminal. */
  readonly #stdin = new HostInput(0);
  readonly #consoleInput: HostInput | null;

  constructor(readonly kernel: TtyKernel, opts: TerminalsOptions) {
    this.ptys = new PtyTable(kernel);
    this.devpts = new DevPtsFs(this.ptys);
    this.#consoleFd = opts.consoleFd;
    this.#consoleNode = opts.consoleNode;
    this.#streams = opts.streams ?? [];
    this.console = opts.consoleFd === null ? null : new Terminal(kernel, CONSOLE);
    this.#consoleInput = opts.consoleFd === null ? null : opts.consoleFd === 0 ? this.#stdin : new HostInput(opts.consoleFd);
  }

  /** The first process's descriptors 0, 1, 2: the host's, the terminal among them as /dev/console (or the streams given). */
  hostStreams(): FileOps[] {
    const caller = (): Thread => this.kernel.caller();
    return [0, 1, 2].map((fd) => {
      const given = this.#streams[fd];
      if (given) return given;
      const onConsole = this.#consoleFd !== null && (fd === this.#consoleFd || isSameTerminal(fd, this.#consoleFd));
      const path = onConsole ? "/dev/console" : hostStreamName(fd, ["/dev/stdin", "/dev/stdout", "/dev/stderr"][fd]!);
      return new HostStream(fd, path, fd === 0 ? this.#stdin : null, onConsole ? this.console : null, caller, this.#consoleNode);
    });
  }

  /** The host terminal becomes the controlling terminal of `p`'s session (the first process). */
  attachConsole(p: Process): void {
    if (!this.console) return;
    this.console.sid = p.sid;
    this.console.pgrp = p.pgid;
    p.ctty = this.console;
  }

  /**
   * Open of character device `rdev` through node `node` (as `path`): the terminal, an
   * errno, or null when the device is the file system's.
   */
  open(t: Thread, rdev: number, flags: number, path: string, node: FileOps): FileOps | number | null {
    const caller = (): Thread => this.kernel.caller();
    let ops: FileOps | number;
    if (rdev === TTY) ops = this.#controlling(t);
    else if (rdev === CONSOLE) ops = this.#openConsole();
    else if (rdev === PTMX) {
      const pty = this.ptys.create(t.process.creds);
      ops = pty ? new PtyMaster(pty, caller) : -ENOSPC;
    } else if (majorOf(rdev) === PTY_SLAVE_MAJOR) {
      const pty = this.ptys.shown(minorOf(rdev));
      if (!pty) return -EIO;
      if (pty.locked) return -EIO;
      ops = new PtySlave(pty, caller);
      pty.acquireOnOpen((flags & O_NOCTTY) !== 0);
    } else return null;
    return typeof ops === "number" ? ops : new DeviceFile(ops, node, path);
  }

  /** TIOCGPTPEER on `f`: its pty's slave opened as open(2) with `flags` would, as a new descriptor. */
  openPeer(t: Thread, f: OpenFile, flags: number): number {
    const ops = f.ops instanceof DeviceFile ? f.ops.device : f.ops;
    if (!(ops instanceof PtyMaster)) return -ENOTTY;
    if (flags & ~(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) return -EINVAL;
    if (ops.pty.locked) return -EIO;
    const slave = new PtySlave(ops.pty, () => this.kernel.caller());
    ops.pty.acquireOnOpen((flags & O_NOCTTY) !== 0);
    return t.process.fds.install(new OpenFile(slave, flags & (O_ACCMODE | O_NONBLOCK)), (flags & O_CLOEXEC) !== 0);
  }

  /** /dev/tty: another open of the caller's controlling terminal. */
  #controlling(t: Thread): FileOps | number {
    const ctty = t.process.ctty;
    if (ctty === null) return -ENXIO;
    if (ctty === this.console) return this.#openConsole();
    return ctty instanceof Pty && ctty.masterOpen ? new PtySlave(ctty, () => this.kernel.caller()) : -EIO;
  }

  #openConsole(): FileOps | number {
    if (this.#consoleFd === null) return -ENXIO;
    return new HostStream(this.#consoleFd, "/dev/console", this.#consoleInput, this.console, () => this.kernel.caller(), this.#consoleNode);
  }

  /** The user kernel ends: no wait for host input may outlive it. */
  close(): void {
    this.#stdin.close();
    this.#consoleInput?.close();
  }

  /** Process `p` is exiting: a session leader's terminal hangs up its foreground group (disassociate_ctty). */
  processExiting(p: Process): void {
    if (p.sid === p.pid && p.ctty !== null) p.ctty.sessionEnded(p, true);
    p.ctty = null;
  }
}

function majorOf(rdev: number): number {
  return (rdev >>> 8) & 0xfff;
}

function minorOf(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
}

/** Whether host fd `fd` is the same terminal as `consoleFd` (the same character device). */
function isSameTerminal(fd: number, consoleFd: number): boolean {
  const a = hostRdev(fd);
  return a !== null && a === hostRdev(consoleFd);
}

function hostRdev(fd: number): bigint | null {
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.isCharacterDevice() ? st.rdev : null;
  } catch {
    return null;
  }
}
