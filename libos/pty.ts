// Pseudo-terminals (Linux: drivers/tty/pty.c, fs/devpts/inode.c), kernel-task objects
// like pipes.
//
//   Pty         one pair: a master side (the program that plays the terminal: script,
//               ssh, tmux) and a slave side (/dev/pts/N, what the programs run "on the
//               terminal" read and write), with one line discipline, termios, window size
//               and job-control state between them (the master's terminal requests act
//               on the slave, as in Linux)
//   PtyMaster   an open of /dev/ptmx: writes are the slave's input, reads its output
//   PtySlave    an open of /dev/pts/N
//   PtyTable    the indices; devpts.ts shows the pairs whose master is open
//
// Lifecycle: opening /dev/ptmx makes a pair, locked (the slave cannot be opened until
// TIOCSPTLCK unlocks it, as unlockpt(3) does). Closing the master hangs the slave up: its
// session leader gets SIGHUP and SIGCONT, slave reads see end of file and writes EIO, and
// /dev/pts/N is gone. Once a slave has been opened, the last slave close makes master
// reads fail with EIO (and poll say POLLHUP) when nothing is left to read. The index is
// free again when both sides are closed.

import { EAGAIN, EFAULT, EINVAL, EIO, ENOTDIR, ENOTTY, EPERM } from "../linux-abi/errno.ts";
import {
  FIONREAD, TCFLSH, TCGETS, TCSBRK, TCSBRKP, TCSETS, TCSETSF, TCSETSW, TCXONC, TIOCEXCL, TIOCGETD, TIOCGEXCL,
  TIOCGPTLCK, TIOCGPTN, TIOCGWINSZ, TIOCNXCL, TIOCOUTQ, TIOCSETD, TIOCSIG, TIOCSPGRP, TIOCSPTLCK, TIOCSTI, TIOCSWINSZ,
} from "../linux-abi/ioctl.ts";
import { POLLERR, POLLHUP, POLLIN, POLLOUT } from "../linux-abi/poll.ts";
import { SIGINT, SIGQUIT, SIGTSTP, SIGWINCH } from "../linux-abi/signal.ts";
import { S_IFCHR } from "../linux-abi/stat.ts";
import {
  CREAD, CS8, CSIZE, PARENB, SIZEOF_TERMIOS, SIZEOF_WINSIZE, TCIFLUSH, TCIOFF, TCIOFLUSH, TCION, TCOFLUSH, TCOOFF, TCOON, TOSTOP,
  decodeTermios, decodeWinsize, encodeTermios, encodeWinsize, type Winsize,
} from "../linux-abi/termios.ts";
import type { FsDirPage, FsStat } from "../fs-task/file_system.ts";
import type { FileOps, IoctlAccess } from "./file.ts";
import { LineDiscipline } from "./line_discipline.ts";
import type { Thread } from "./process.ts";
import { Terminal, putInt, type TtyKernel } from "./terminal.ts";
import { WaitQueue } from "./wait_queue.ts";

export const PTY_SLAVE_MAJOR = 136;
/** How many indices exist (Linux's default /proc/sys/kernel/pty/max is 4096). */
export const PTY_MAX = 4096;
/** Slave output the master's readers may leave unread before slave writes wait (a tty's buffer memory). */
const MASTER_BACKLOG = 65536;

/** What TIOCSIG may send: the signals a key sends. */
const KEY_SIGNALS = new Set([SIGINT, SIGQUIT, SIGTSTP]);

export class Pty extends Terminal {
  readonly readiness = new WaitQueue();
  readonly ldisc: LineDiscipline;
  /** TIOCSPTLCK: a locked slave cannot be opened (EIO). */
  locked = true;
  masterOpen = true;
  /** Open slave descriptions; `slaveOpened` once there was one (Linux's TTY_OTHER_CLOSED then applies). */
  slaves = 0;
  slaveOpened = false;
  exclusive = false;
  winsize: Winsize = { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
  /** The /dev/pts/N node's owner and permissions (chown and chmod change them). */
  uid: number;
  gid: number;
  perm = 0o600;
  readonly createdNs = BigInt(Date.now()) * 1_000_000n;
  readonly #toMaster: Uint8Array[] = [];
  #backlog = 0;

  constructor(kernel: TtyKernel, readonly index: number, owner: { uid: number; gid: number }, readonly table: PtyTable) {
    super(kernel, makedev(PTY_SLAVE_MAJOR, index));
    this.uid = owner.uid;
    this.gid = owner.gid;
    this.ldisc = new LineDiscipline({
      emit: (bytes) => {
        this.#toMaster.push(bytes);
        this.#backlog += bytes.length;
        this.readiness.notify();
      },
      outputRoom: () => Math.max(0, MASTER_BACKLOG - this.#backlog),
      signal: (sig) => this.signalForeground(sig),
      changed: () => this.readiness.notify(),
    });
  }

  get path(): string {
    return `/dev/pts/${this.index}`;
  }

  /** The /dev/pts/N node, for devpts and fstat of the slave. */
  stat(): FsStat {
    const t = this.createdNs;
    return {
      dev: DEVPTS_DEV, ino: this.index + 3, mode: S_IFCHR | this.perm, nlink: 1, uid: this.uid, gid: this.gid,
      rdev: makedev(PTY_SLAVE_MAJOR, this.index), size: 0, blksize: 1024, blocks: 0, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }

  /** Slave output waiting for the master's readers. */
  get backlog(): number {
    return this.#backlog;
  }

  readMaster(dst: Uint8Array): number {
    if (this.#backlog === 0) return this.slaveOpened && this.slaves === 0 ? -EIO : -EAGAIN;
    let n = 0;
    while (n < dst.length && this.#toMaster.length > 0) {
      const c = this.#toMaster[0]!;
      const take = Math.min(c.length, dst.length - n);
      dst.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.#toMaster.shift();
      else this.#toMaster[0] = c.subarray(take);
    }
    this.#backlog -= n;
    this.readiness.notify();
    return n;
  }

  flushToMaster(): void {
    this.#toMaster.length = 0;
    this.#backlog = 0;
    this.readiness.notify();
  }

  /** The requests master and slave answer alike (Linux's tty_mode_ioctl and n_tty_ioctl on the slave's tty). */
  ttyIoctl(t: Thread, request: number, argp: number, io: IoctlAccess, viaMaster: boolean): number {
    const job = this.jobIoctl(request, argp, io, viaMaster);
    if (job !== null) return job;
    switch (request) {
      case TCGETS: {
        const b = new Uint8Array(SIZEOF_TERMIOS);
        encodeTermios(new DataView(b.buffer), 0, this.ldisc.termios);
        return io.write(argp, b) ? 0 : -EFAULT;
      }
      case TCSETS:
      case TCSETSW:
      case TCSETSF: {
        const change = this.checkChange(t);
        if (change < 0) return change;
        const b = io.read(argp, SIZEOF_TERMIOS);
        if (!b) return -EFAULT;
        const termios = decodeTermios(new DataView(b.buffer, b.byteOffset, b.byteLength), 0);
        // A pty is always 8 bits without parity (pty_set_termios).
        termios.c_cflag = (termios.c_cflag & ~(CSIZE | PARENB)) | CS8 | CREAD;
        if (request === TCSETSF) this.ldisc.flushInput();
        this.ldisc.setTermios(termios);
        return 0;
      }
      case TIOCGWINSZ: {
        const b = new Uint8Array(SIZEOF_WINSIZE);
        encodeWinsize(new DataView(b.buffer), 0, this.winsize);
        return io.write(argp, b) ? 0 : -EFAULT;
      }
      case TIOCSWINSZ: {
        const b = io.read(argp, SIZEOF_WINSIZE);
        if (!b) return -EFAULT;
        const ws = decodeWinsize(new DataView(b.buffer, b.byteOffset, b.byteLength), 0);
        const w = this.winsize;
        if (ws.ws_row === w.ws_row && ws.ws_col === w.ws_col && ws.ws_xpixel === w.ws_xpixel && ws.ws_ypixel === w.ws_ypixel) return 0;
        this.winsize = ws;
        this.signalForeground(SIGWINCH);
        return 0;
      }
      case TCFLSH: {
        const change = this.checkChange(t);
        if (change < 0) return change;
        // The input of the side asked: the slave's typed input, or the master's unread output.
        if (argp !== TCIFLUSH && argp !== TCIOFLUSH && argp !== TCOFLUSH) return -EINVAL;
        if (argp !== TCOFLUSH) {
          if (viaMaster) this.flushToMaster();
          else this.ldisc.flushInput();
        }
        return 0;
      }
      case TCXONC: {
        const change = this.checkChange(t);
        if (change < 0) return change;
        if (argp === TCOOFF || argp === TCOON) this.ldisc.stopped = argp === TCOOFF;
        else if (argp !== TCIOFF && argp !== TCION) return -EINVAL;
        this.readiness.notify();
        return 0;
      }
      case TCSBRK:
      case TCSBRKP:
        return 0;
      case TIOCOUTQ:
        return putInt(io, argp, 0);
      case TIOCSTI: {
        const p = t.process;
        if (p.ctty !== this && p.creds.uid !== 0) return -EPERM;
        const b = io.read(argp, 1);
        if (!b) return -EFAULT;
        this.ldisc.receive(b.slice());
        return 0;
      }
      case TIOCEXCL:
      case TIOCNXCL:
        this.exclusive = request === TIOCEXCL;
        return 0;
      case TIOCGEXCL:
        return putInt(io, argp, this.exclusive ? 1 : 0);
      case TIOCGETD:
        return putInt(io, argp, 0);
      case TIOCSETD: {
        const b = io.read(argp, 4);
        if (!b) return -EFAULT;
        return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true) === 0 ? 0 : -EINVAL;
      }
    }
    return -ENOTTY;
  }
}

/** st_dev of devpts (0:24, a number below the anonymous ones fs-task hands out). */
export const DEVPTS_DEV = 24;

/** Linux's new_encode_dev. */
export function makedev(major: number, minor: number): number {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

/** The pairs of one user kernel, by index. */
export class PtyTable {
  readonly #pairs = new Map<number, Pty>();

  constructor(readonly kernel: TtyKernel) {}

  /** A new pair at the lowest free index (Linux's ida), or null when all PTY_MAX are taken. */
  create(owner: { uid: number; gid: number }): Pty | null {
    for (let i = 0; i < PTY_MAX; i++) {
      if (this.#pairs.has(i)) continue;
      const pty = new Pty(this.kernel, i, owner, this);
      this.#pairs.set(i, pty);
      return pty;
    }
    return null;
  }

  /** A pair devpts shows: its master is open. */
  shown(index: number): Pty | undefined {
    const pty = this.#pairs.get(index);
    return pty?.masterOpen ? pty : undefined;
  }

  /** Indices devpts lists, in order. */
  listed(): number[] {
    return [...this.#pairs.values()].filter((p) => p.masterOpen).map((p) => p.index).sort((a, b) => a - b);
  }

  /** Both sides closed: the index is free. */
  release(pty: Pty): void {
    if (!pty.masterOpen && pty.slaves === 0 && this.#pairs.get(pty.index) === pty) {
      pty.ldisc.close();
      this.#pairs.delete(pty.index);
    }
  }
}

/** Shared by both sides: a pty end is a character device, not a directory or a file with a size. */
abstract class PtyEnd implements FileOps {
  readonly seekable = false;

  constructor(readonly pty: Pty, readonly path: string) {}

  get readiness(): WaitQueue {
    return this.pty.readiness;
  }

  abstract read(dst: Uint8Array, offset: number): number;
  abstract write(src: Uint8Array, offset: number): number;
  abstract poll(): number;
  abstract ioctl(request: number, argp: number, io: IoctlAccess): number;
  abstract release(): void;

  stat(): FsStat | number {
    return this.pty.stat();
  }

  readdir(): FsDirPage | number {
    return -ENOTDIR;
  }

  truncate(): number {
    return -EINVAL;
  }
}

/** /dev/ptmx opened: the terminal's far end. */
export class PtyMaster extends PtyEnd {
  constructor(pty: Pty, readonly caller: () => Thread) {
    super(pty, "/dev/ptmx");
  }

  read(dst: Uint8Array): number {
    return dst.length === 0 ? 0 : this.pty.readMaster(dst);
  }

  write(src: Uint8Array): number {
    return this.pty.ldisc.receive(src);
  }

  poll(): number {
    const p = this.pty;
    let bits = 0;
    if (p.backlog > 0) bits |= POLLIN;
    if (p.slaveOpened && p.slaves === 0) bits |= POLLHUP;
    if (p.ldisc.acceptsInput) bits |= POLLOUT;
    return bits;
  }

  ioctl(request: number, argp: number, io: IoctlAccess): number {
    const p = this.pty;
    switch (request) {
      case TIOCGPTN:
        return putInt(io, argp, p.index);
      case TIOCSPTLCK: {
        const b = io.read(argp, 4);
        if (!b) return -EFAULT;
        p.locked = new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true) !== 0;
        return 0;
      }
      case TIOCGPTLCK:
        return putInt(io, argp, p.locked ? 1 : 0);
      case TIOCSIG:
        // pty_signal: only the signals a key could send, with the input flushed as a key would.
        if (!KEY_SIGNALS.has(argp)) return -EINVAL;
        p.ldisc.flushInput();
        p.signalForeground(argp);
        return 0;
      case FIONREAD:
        return putInt(io, argp, p.backlog);
    }
    return p.ttyIoctl(this.caller(), request, argp, io, true);
  }

  release(): void {
    const p = this.pty;
    p.masterOpen = false;
    p.hangup();
    p.readiness.notify();
    p.table.release(p);
  }
}

/** /dev/pts/N opened (also /dev/tty naming it): the terminal programs run on. */
export class PtySlave extends PtyEnd {
  constructor(pty: Pty, readonly caller: () => Thread) {
    super(pty, pty.path);
    pty.slaves++;
    pty.slaveOpened = true;
    pty.readiness.notify();
  }

  /** Background reads and (with TOSTOP) writes stop the caller's group first. */
  jobControl(t: Thread, write: boolean): number {
    if (!this.pty.masterOpen) return 0;
    if (!write) return this.pty.checkRead(t);
    return this.pty.ldisc.lflag & TOSTOP ? this.pty.checkChange(t) : 0;
  }

  read(dst: Uint8Array): number {
    // Hung up: end of file (hung_up_tty_read).
    return this.pty.masterOpen ? this.pty.ldisc.read(dst) : 0;
  }

  write(src: Uint8Array): number {
    return this.pty.masterOpen ? this.pty.ldisc.write(src) : -EIO;
  }

  readTimeout(): number {
    return this.pty.ldisc.readTimeout();
  }

  poll(): number {
    const p = this.pty;
    if (!p.masterOpen) return POLLIN | POLLOUT | POLLERR | POLLHUP;
    let bits = p.ldisc.readable() ? POLLIN : 0;
    if (!p.ldisc.stopped && p.backlog < MASTER_BACKLOG) bits |= POLLOUT;
    return bits;
  }

  ioctl(request: number, argp: number, io: IoctlAccess): number {
    const p = this.pty;
    if (!p.masterOpen) return request === TIOCSPGRP ? -ENOTTY : -EIO;
    if (request === FIONREAD) return putInt(io, argp, p.ldisc.available);
    return p.ttyIoctl(this.caller(), request, argp, io, false);
  }

  release(): void {
    const p = this.pty;
    p.slaves--;
    p.readiness.notify();
    p.table.release(p);
  }
}
