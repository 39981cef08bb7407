// Observers of the kernel-task's one syscall dispatch (kernel_task.ts protected()): they
// watch a call go in and come out, and change nothing about it.
//
//   SyscallObserver    enter(t, nr, words) at entry, before the handler; what it returns
//                      (a SyscallWatch, or null) hears how the call ends
//   StraceObserver     strace-format lines (--strace): the entry, then the result, or
//                      "<unfinished ...>" and "<... resumed>" around a call that waits
//   SyscallCounter     calls by number per process, for --stats and the boot report
//   observeAll(list)   several observers as one
//
// The handler always runs on the same path with or without an observer: nothing an
// observer does can change a guest's result (a throw in one is a LibOS bug like any
// other and ends the calling process, as a handler's would).

import { Msg } from "../syscall-shim/x86_64.ts";
import type { Process, Thread } from "./process.ts";
import { getSignedReg, type UserContext } from "./signals.ts";
import { argValues, formatSyscallEntry, formatSyscallExit, type GuestMemoryReader } from "./strace.ts";
import { NO_REPLY, RESUME } from "./sys/context.ts";
import { nameOf } from "./sys/table.ts";

/** How a call ended: its result, RESUME (registers rewritten), or NO_REPLY (the thread is gone). */
export type SyscallEnd = number | typeof RESUME | typeof NO_REPLY;

export interface SyscallWatch {
  /** The call waits: done() comes when it settles. */
  waiting(): void;
  done(end: SyscallEnd): void;
}

export interface SyscallObserver {
  /** Thread `t` makes call `nr` with the argument words of its fault message. */
  enter(t: Thread, nr: number, words: Uint32Array): SyscallWatch | null;
}

/** Several observers as one (null for none). */
export function observeAll(list: readonly (SyscallObserver | null)[]): SyscallObserver | null {
  const present = list.filter((o): o is SyscallObserver => o !== null);
  if (present.length <= 1) return present[0] ?? null;
  return {
    enter(t, nr, words) {
      const watches = present.map((o) => o.enter(t, nr, words)).filter((w): w is SyscallWatch => w !== null);
      if (watches.length === 0) return null;
      return {
        waiting: () => watches.forEach((w) => w.waiting()),
        done: (end) => watches.forEach((w) => w.done(end)),
      };
    },
  };
}

/** What the strace printer needs from the kernel-task. */
export interface StraceHost {
  /** More than one thread exists: lines carry "[pid N] ". */
  multiThreaded(): boolean;
  /** A thread's registers (for the result of a call that rewrote them). */
  context(t: Thread): UserContext;
}

export class StraceObserver implements SyscallObserver {
  readonly #sink: (line: string) => void;
  readonly #host: StraceHost;

  constructor(sink: (line: string) => void, host: StraceHost) {
    this.#sink = sink;
    this.#host = host;
  }

  enter(t: Thread, nr: number, words: Uint32Array): SyscallWatch {
    const argv = argValues(nr, words);
    const memory = t.process.memory;
    const mem: GuestMemoryReader = {
      readBytes: (addr, len) => memory.view(addr, len, 0)?.slice() ?? null,
      readCString: (addr, max) => memory.readCString(addr, max),
    };
    const prefix = this.#host.multiThreaded() ? `[pid ${t.tid}] ` : "";
    const head = prefix + formatSyscallEntry(nr, argv, mem);
    const sink = this.#sink, host = this.#host;
    let waited = false;
    return {
      waiting() {
        waited = true;
        sink(head + " <unfinished ...>");
      },
      done(end) {
        const shown = typeof end === "number" ? end : end === RESUME && !t.dead ? getSignedReg(host.context(t).regs, Msg.rax) : Number.NaN;
        sink((waited ? `${prefix}<... ${nameOf(nr)} resumed>` : head) + formatSyscallExit(nr, argv, shown, mem));
      },
    };
  }
}

/** Calls by syscall number, per process (a process's counts outlive it, for the summary). */
export class SyscallCounter implements SyscallObserver {
  readonly byProcess = new Map<Process, Uint32Array>();

  enter(t: Thread, nr: number): null {
    let counts = this.byProcess.get(t.process);
    if (counts === undefined) this.byProcess.set(t.process, (counts = new Uint32Array(COUNTED_NUMBERS)));
    counts[nr < COUNTED_NUMBERS ? nr : COUNTED_NUMBERS - 1]!++;
    return null;
  }
}

/** Numbers counted one by one; every larger number is counted in the last cell. */
const COUNTED_NUMBERS = 512;

/** The non-zero counts of `counts` by syscall name, most frequent first. */
export function countsByName(counts: Uint32Array): [string, number][] {
  const out: [string, number][] = [];
  counts.forEach((n, nr) => {
    if (n > 0) out.push([nr === COUNTED_NUMBERS - 1 ? "other" : nameOf(nr), n]);
  });
  return out.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}
