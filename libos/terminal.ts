// Job control of a terminal: what every terminal of the user kernel shares, the host
// console (host_stream.ts) and each pseudo-terminal's slave (pty.ts).
//
//   Terminal.sid / pgrp   the session the terminal controls and its foreground process
//                         group (tty->ctrl.session, tty->ctrl.pgrp)
//   Process.ctty          the terminal a process has as controlling terminal, inherited
//                         by fork, dropped by setsid (signal->tty)
//   jobIoctl()            TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID
//   acquireOnOpen()       an open without O_NOCTTY by a session leader without a terminal
//                         makes this one its controlling terminal
//   checkRead/checkChange a background process reading its terminal gets SIGTTIN; one
//                         changing it (or writing, with TOSTOP) gets SIGTTOU; with the
//                         signal ignored or blocked the read fails with EIO and the change
//                         goes through, as in Linux
//   hangup()              the terminal is gone: its session leader gets SIGHUP and SIGCONT
//                         and the session loses it
//   sessionEnded(p)       the leader of the session exits: SIGHUP to the foreground group
//
// Linux: drivers/tty/tty_jobctrl.c. Orphaned process groups are not detected: a
// background read or change always signals.

import { EFAULT, EINVAL, EIO, ENOTTY, EPERM, ESRCH } from "../linux-abi/errno.ts";
import { TIOCGPGRP, TIOCGSID, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP } from "../linux-abi/ioctl.ts";
import { SIGCONT, SIGHUP, SIGTTIN, SIGTTOU, SIG_IGN, sigmask } from "../linux-abi/signal.ts";
import type { IoctlAccess } from "./file.ts";
import type { Process, Thread } from "./process.ts";
import { ERESTARTSYS } from "./wait_queue.ts";

/** What a terminal needs from the kernel-task. */
export interface TtyKernel {
  /** The thread whose syscall is being served. */
  caller(): Thread;
  /** Living members of a process group (zombies count: their pids keep the group). */
  processGroup(pgid: number): Process[];
  /** Every process of the user kernel, for the members of a session. */
  readonly processes: ReadonlyMap<number, Process>;
  signal(p: Process, sig: number): void;
}

export const NO_SESSION = -1;

export class Terminal {
  /** The session this terminal controls, NO_SESSION when none. */
  sid = NO_SESSION;
  /** Its foreground process group. */
  pgrp = 0;

  constructor(
    protected readonly kernel: TtyKernel,
    /** Its device number (/proc/PID/stat's tty_nr). */
    readonly rdev: number,
  ) {}

  /** Send `sig` to the foreground process group (a key typed, a window change). */
  signalForeground(sig: number): void {
    if (this.sid === NO_SESSION) return;
    for (const p of this.kernel.processGroup(this.pgrp)) this.kernel.signal(p, sig);
  }

  /** Linux's tty_open_proc_set_tty: the caller's open of this terminal without O_NOCTTY. */
  acquireOnOpen(noctty: boolean): void {
    const p = this.kernel.caller().process;
    if (noctty || p.sid !== p.pid || p.ctty !== null || this.sid !== NO_SESSION) return;
    this.#attach(p);
  }

  #attach(p: Process): void {
    this.sid = p.sid;
    this.pgrp = p.pgid;
    p.ctty = this;
  }

  /**
   * The job-control requests, the same on every terminal; null for any other request.
   * `viaMaster`: asked on a pty master, which answers for its slave without being a
   * controlling terminal itself.
   */
  jobIoctl(request: number, argp: number, io: IoctlAccess, viaMaster = false): number | null {
    const t = this.kernel.caller();
    const p = t.process;
    switch (request) {
      case TIOCGPGRP:
        if (!viaMaster && p.ctty !== this) return -ENOTTY;
        return putInt(io, argp, this.sid === NO_SESSION ? 0 : this.pgrp);
      case TIOCGSID:
        if (!viaMaster && p.ctty !== this) return -ENOTTY;
        return this.sid === NO_SESSION ? -ENOTTY : putInt(io, argp, this.sid);
      case TIOCSPGRP: {
        const changed = this.checkChange(t);
        if (changed < 0) return changed;
        const b = io.read(argp, 4);
        if (!b) return -EFAULT;
        const pgrp = new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
        if (p.ctty !== this || this.sid !== p.sid) return -ENOTTY;
        if (pgrp < 0) return -EINVAL;
        const members = this.kernel.processGroup(pgrp);
        if (members.length === 0) return -ESRCH;
        if (!members.some((q) => q.sid === p.sid)) return -EPERM;
        this.pgrp = pgrp;
        return 0;
      }
      case TIOCSCTTY:
        return this.#setCtty(p, argp);
      case TIOCNOTTY:
        if (p.ctty !== this) return -ENOTTY;
        if (p.sid === p.pid) this.sessionEnded(p, false);
        else p.ctty = null;
        return 0;
    }
    return null;
  }

  /** Linux's tiocsctty: `steal` (the argument 1) takes a terminal another session holds, as root. */
  #setCtty(p: Process, steal: number): number {
    if (p.sid === p.pid && p.ctty === this) return 0;
    if (p.sid !== p.pid || p.ctty !== null) return -EPERM;
    if (this.sid !== NO_SESSION) {
      if (steal !== 1 || p.creds.uid !== 0) return -EPERM;
      this.#clearSession();
    }
    this.#attach(p);
    return 0;
  }

  /** Linux's __tty_check_change for thread `t`: 0 to go on, or the error of a background caller. */
  checkChange(t: Thread): number {
    return this.#background(t, SIGTTOU, 0);
  }

  /** Linux's n_tty job_control for a read by `t`: 0 to go on, or the error of a background reader. */
  checkRead(t: Thread): number {
    return this.#background(t, SIGTTIN, -EIO);
  }

  /** A caller outside the foreground group: signal its group, or `whenIgnored` if it would not stop. */
  #background(t: Thread, sig: number, whenIgnored: number): number {
    const p = t.process;
    if (p.ctty !== this || this.sid === NO_SESSION || p.pgid === this.pgrp) return 0;
    const ignored = (t.sigmask & sigmask(sig)) !== 0n || p.sigactions.get(sig)?.sa_handler === SIG_IGN;
    if (ignored) return whenIgnored;
    for (const q of this.kernel.processGroup(p.pgid)) this.kernel.signal(q, sig);
    return -ERESTARTSYS;
  }

  /**
   * Linux's disassociate_ctty: the session leader `p` exits (`onExit`) or gives the
   * terminal up (TIOCNOTTY). The foreground group gets SIGHUP (and SIGCONT when not
   * exiting); the session's processes lose the terminal.
   */
  sessionEnded(p: Process, onExit: boolean): void {
    if (p.ctty !== this || this.sid !== p.sid) return;
    const fg = this.kernel.processGroup(this.pgrp);
    for (const q of fg) this.kernel.signal(q, SIGHUP);
    if (!onExit) for (const q of fg) this.kernel.signal(q, SIGCONT);
    this.#clearSession();
  }

  /** Linux's tty_signal_session_leader on a hangup: SIGHUP and SIGCONT to the leader; the session loses the terminal. */
  hangup(): void {
    if (this.sid === NO_SESSION) return;
    const leader = this.kernel.processes.get(this.sid);
    if (leader?.alive && leader.ctty === this) {
      this.kernel.signal(leader, SIGHUP);
      this.kernel.signal(leader, SIGCONT);
    }
    this.#clearSession();
  }

  #clearSession(): void {
    for (const q of this.kernel.processes.values()) if (q.ctty === this) q.ctty = null;
    this.sid = NO_SESSION;
    this.pgrp = 0;
  }
}

export function putInt(io: IoctlAccess, addr: number, value: number): number {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return io.write(addr, b) ? 0 : -EFAULT;
}
