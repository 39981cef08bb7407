// File leases (Linux: fs/locks.c, generic_setlease and __break_lease), among the opens of
// this user kernel. The syscall side is fcntl F_SETLEASE/F_GETLEASE (sys/sys_lease.ts).
//
//   a lease      held by an open file description on a regular file: F_RDLCK (no one may
//                open the file for writing) or F_WRLCK (no one may open it at all). Taking
//                one needs the file's owner as fs uid (or CAP_LEASE), and no conflicting
//                open: a read lease no open for writing (the holder's own included), a
//                write lease no open but the holder's (EAGAIN).
//   a break      an open that conflicts sends the holder its signal (SIGIO, or F_SETSIG's)
//                and waits until the holder gives the lease up or downgrades it (F_RDLCK
//                when the opener only reads), or LEASE_BREAK_SECONDS pass, after which the
//                lease goes. F_GETLEASE shows the type the break asks for. An O_NONBLOCK
//                open answers EWOULDBLOCK at once, the break going on.
// The last close of the holding description ends its lease. Opens that reach the files
// from outside the user kernel (the host, another user kernel) are not seen.

import { EAGAIN } from "../linux-abi/errno.ts";
import { F_RDLCK, F_UNLCK, F_WRLCK } from "../linux-abi/fcntl.ts";
import type { OpenFile } from "./file.ts";
import type { Thread } from "./process.ts";
import { AGAIN, WaitQueue, sleep } from "./wait_queue.ts";
import { intSysctl, type Sysctl } from "./procfs_sys.ts";

/** /proc/sys/fs/lease-break-time's default. */
export const LEASE_BREAK_SECONDS = 45;

interface Lease {
  readonly holder: OpenFile;
  type: number;
  /** Set while a break is under way: the type the breaker needs (F_RDLCK or F_UNLCK). */
  breakTo: number | null;
  /** When an unanswered break takes the lease away (performance.now() time). */
  deadline: number;
}

/** /proc/sys/fs/lease-break-time. */
export const leaseBreakSysctl = (leases: Leases): Sysctl =>
  intSysctl("fs/lease-break-time", () => leases.breakSeconds, (n) => (leases.breakSeconds = n));

export class Leases {
  /** /proc/sys/fs/lease-break-time (root-tunable). */
  breakSeconds = LEASE_BREAK_SECONDS;
  readonly #byFile = new Map<string, Lease[]>();
  /** Notified whenever a lease goes or changes: breakers look again. */
  readonly #changed = new WaitQueue();

  /** Whether any lease exists (opens skip the check otherwise). */
  get active(): boolean {
    return this.#byFile.size > 0;
  }

  /** F_GETLEASE: the description's lease type, or what a break under way asks for. */
  typeOf(key: string, f: OpenFile): number {
    const l = this.#byFile.get(key)?.find((x) => x.holder === f);
    return l ? (l.breakTo ?? l.type) : F_UNLCK;
  }

  /**
   * F_SETLEASE after the caller's checks (regular file, owner): `opens` counts the other
   * descriptions open on the file, for reading and for writing; `holderWrites` whether
   * the holder itself is open for writing.
   */
  set(key: string, f: OpenFile, type: number, opens: { readers: number; writers: number }, holderWrites: boolean): number {
    const list = this.#byFile.get(key) ?? [];
    const mine = list.find((x) => x.holder === f);
    if (type === F_UNLCK) {
      if (!mine) return -EAGAIN;
      this.#remove(key, mine);
      return 0;
    }
    if (type === F_RDLCK && (opens.writers > 0 || holderWrites)) return -EAGAIN;
    if (type === F_WRLCK && (opens.writers > 0 || opens.readers > 0)) return -EAGAIN;
    if (mine) {
      // A break under way stays pending until the holder gives what it asks for
      // (lease_clear_pending: a downgrade answers a downgrade).
      mine.type = type;
      if (type === F_RDLCK && mine.breakTo === F_RDLCK) mine.breakTo = null;
      this.#changed.notify();
      return 0;
    }
    list.push({ holder: f, type, breakTo: null, deadline: 0 });
    this.#byFile.set(key, list);
    return 0;
  }

  /**
   * An open of the file `key` (for writing or not) by `t`: 0 when no lease conflicts,
   * else the break starts (`notify` signals each holder once) and the open waits, or
   * answers EWOULDBLOCK when `nonblock`.
   */
  breakFor(t: Thread, key: string, write: boolean, nonblock: boolean, notify: (holder: OpenFile) => void): number | Promise<number> {
    const conflicts = (): Lease[] => (this.#byFile.get(key) ?? []).filter((l) => l.type === F_WRLCK || write);
    const first = conflicts();
    if (first.length === 0) return 0;
    const now = performance.now();
    for (const l of first) {
      if (l.breakTo !== null) continue;
      l.breakTo = write ? F_UNLCK : F_RDLCK;
      l.deadline = now + this.breakSeconds * 1000;
      notify(l.holder);
    }
    if (nonblock) return -EAGAIN;
    const retry = (): number => {
      const left = conflicts();
      for (const l of left) if (performance.now() >= l.deadline) this.#remove(key, l);
      return conflicts().length === 0 ? 0 : AGAIN;
    };
    // Woken by a change, or by the earliest break's time running out (the leases past their
    // time go, and the open looks again).
    const wait = (): number | Promise<number> => {
      const left = conflicts();
      if (left.length === 0) return 0;
      const deadline = Math.min(...left.map((l) => l.deadline));
      const r = sleep(t, [this.#changed], retry, { deadline, onTimeout: AGAIN });
      return typeof r === "number" ? (r === AGAIN ? wait() : r) : r.then((x) => (x === AGAIN ? wait() : x));
    };
    return wait();
  }

  /** The last reference to a description went: its leases go. */
  released(f: OpenFile): void {
    for (const [key, list] of [...this.#byFile]) for (const l of list) if (l.holder === f) this.#remove(key, l);
  }

  #remove(key: string, l: Lease): void {
    const list = this.#byFile.get(key);
    if (!list) return;
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#byFile.delete(key);
    this.#changed.notify();
  }
}
