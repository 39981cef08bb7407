// Sleeping inside the kernel-task: wait queues and a thread's one blocking sleep.
//
//   WaitQueue  owned by whatever threads wait for (a pipe's data, a child's exit, a
//              futex word, a tty's input); notify() asks every sleeper to look again.
//              It may carry a key, the poll bits of what changed (0: anything).
//   watchers   callbacks a notification runs at once, with its key (Linux's wait
//              queue entries with a wake function, as epoll's ep_poll_callback): they
//              only record the event, so an epoll_wait answered in the fast path right
//              after a write already sees it.
//   sleep()    a blocking syscall: `retry` runs now and after each notification; the
//              first result other than AGAIN answers the syscall. A signal interrupts
//              the sleep, a deadline ends it, and a thread that dies cancels it. A
//              sleep that ends for any of those reasons has left every queue, so a
//              later wake-up never consumes data for a thread that stopped waiting.
//
// As in Linux (wait_event_interruptible), the retry is the whole truth: a wake-up is
// only a hint to look again.

import { EAGAIN, ETIMEDOUT } from "../linux-abi/errno.ts";
import type { Thread } from "./process.ts";
import { MAX_HOST_DELAY_MS } from "./timers.ts";

/** What `retry` returns while the thread must keep waiting. */
export const AGAIN = -EAGAIN;

/** Internal result: interrupted by a signal; restart the syscall unless a handler without SA_RESTART runs (Linux's ERESTARTSYS). */
export const ERESTARTSYS = 512;
/** Internal result: interrupted; always restart, handler or not (Linux's ERESTARTNOINTR). */
export const ERESTARTNOINTR = 513;
/** Internal result: interrupted; restart only when no handler runs (pause, sigsuspend, nanosleep). */
export const ERESTARTNOHAND = 514;
/** The last of the internal restart results (Linux's ERESTART_RESTARTBLOCK). */
export const ERESTART_RESTARTBLOCK = 516;

/** Whether a handler's result is one of the internal restart results above (never the guest's to see). */
export function isRestart(r: number): boolean {
  return r <= -ERESTARTSYS && r >= -ERESTART_RESTARTBLOCK;
}

export type Waker = () => void;

/**
 * Run by notify() at once with its key; it records the event and touches nothing that
 * could notify back. The result counts for an exclusive watcher only: true if the event
 * woke someone (EPOLLEXCLUSIVE: the first such watcher ends the walk).
 */
export type Watcher = (key: number) => boolean;

// Wake-ups run after the code that caused them (as a Linux wake-up only makes a sleeper
// runnable): a reader's read notifying a writer whose retry notifies the reader again must
// not re-enter the reader's retry. Each queue schedules its own pass, at most one at a
// time, so no pass is shared between user kernels in one host thread.
export class WaitQueue {
  readonly #wakers = new Set<Waker>();
  #passScheduled = false;
  readonly #pass = (): void => {
    this.#passScheduled = false;
    this.wakeAll();
  };
  #watchers: Set<Watcher> | null = null;
  #exclusive: Set<Watcher> | null = null;

  /** Run `w` on every notification (exclusive: only until one exclusive watcher wakes someone). */
  watch(w: Watcher, exclusive = false): void {
    if (exclusive) (this.#exclusive ??= new Set()).add(w);
    else (this.#watchers ??= new Set()).add(w);
  }

  unwatch(w: Watcher): void {
    this.#watchers?.delete(w);
    this.#exclusive?.delete(w);
  }

  /** Whether some epoll watches the queue. */
  get watched(): boolean {
    return (this.#watchers?.size ?? 0) + (this.#exclusive?.size ?? 0) > 0;
  }

  add(w: Waker): void {
    this.#wakers.add(w);
  }

  delete(w: Waker): void {
    this.#wakers.delete(w);
  }

  get size(): number {
    return this.#wakers.size;
  }

  /**
   * Ask every sleeper to look again, once the current work is done; watchers run now.
   * `key`: the poll bits of what changed (POLLIN for new data, POLLOUT for new room),
   * 0 when it may be anything.
   */
  notify(key = 0): void {
    if (this.#watchers) for (const w of this.#watchers) w(key);
    if (this.#exclusive) for (const w of this.#exclusive) if (w(key)) break;
    if (this.#wakers.size === 0 || this.#passScheduled) return;
    this.#passScheduled = true;
    queueMicrotask(this.#pass);
  }

  wakeAll(): void {
    for (const w of this.#wakers) w();
  }
}

export interface SleepOptions {
  /** performance.now() time at which the sleep ends with `onTimeout`. */
  deadline?: number;
  onTimeout?: number;
  /** At the deadline `retry` has one more look, and its answer (unless AGAIN) is the result: poll and select report their sets then. */
  lastLook?: boolean;
  /** Result when a signal interrupts (default -ERESTARTSYS). */
  interrupted?: number;
  /** Only SIGKILL ends the sleep (vfork's wait for the child). */
  killableOnly?: boolean;
}

/** How a signal or a death reaches a sleeping thread. */
export interface Sleeper {
  readonly killableOnly: boolean;
  /** End the sleep with the interrupted result. */
  interrupt(): void;
  /** End the sleep with `result` (a dying thread: nobody reads it). */
  end(result: number): void;
}

export function sleep(t: Thread, queues: readonly WaitQueue[], retry: () => number, opts: SleepOptions = {}): number | Promise<number> {
  const first = retry();
  if (first !== AGAIN) return first;
  const interrupted = opts.interrupted ?? -ERESTARTSYS;
  if (!opts.killableOnly && t.signalPending()) return interrupted;
  if (opts.deadline !== undefined && opts.deadline <= performance.now()) return opts.onTimeout ?? -ETIMEDOUT;
  return new Promise<number>((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    const finish = (r: number, err?: unknown): void => {
      if (done) return;
      done = true;
      for (const q of queues) q.delete(wake);
      if (timer) clearTimeout(timer);
      if (t.sleeper === sleeper) t.sleeper = null;
      if (err === undefined) resolve(r);
      else reject(err);
    };
    // A retry that throws (a kernel-task bug) rejects the sleep: the syscall's caller
    // reports it and ends the process; it must not escape into the wake-up pass.
    const wake = (): void => {
      let r: number;
      try {
        r = retry();
      } catch (err) {
        finish(0, err ?? new Error("retry threw"));
        return;
      }
      if (r !== AGAIN) finish(r);
    };
    const sleeper: Sleeper = { killableOnly: opts.killableOnly ?? false, interrupt: () => finish(interrupted), end: finish };
    for (const q of queues) q.add(wake);
    if (opts.deadline !== undefined) {
      const deadline = opts.deadline;
      // Host timers may fire a little early, and a long delay is cut into steps; a sleep
      // never ends before its deadline.
      const expire = (): void => {
        const left = deadline - performance.now();
        if (left > 0) timer = setTimeout(expire, Math.min(MAX_HOST_DELAY_MS, Math.max(1, left)));
        else if (opts.lastLook) {
          wake();
          finish(opts.onTimeout ?? -ETIMEDOUT);
        } else finish(opts.onTimeout ?? -ETIMEDOUT);
      };
      timer = setTimeout(expire, Math.min(MAX_HOST_DELAY_MS, Math.max(0, deadline - performance.now())));
    }
    t.sleeper = sleeper;
  });
}

/**
 * Waits for `pending`, a call another task answers when a third party acts (an fs-task's
 * FIFO open waiting for the other end), as an interruptible sleep: a signal ends the wait
 * with ERESTARTSYS, and a result that comes after that goes to `undo` (the call was done
 * for nobody: close what it opened).
 */
export function sleepOnCall(t: Thread, pending: Promise<number>, undo: (late: number) => void): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (r: number): boolean => {
      if (done) return false;
      done = true;
      if (t.sleeper === sleeper) t.sleeper = null;
      resolve(r);
      return true;
    };
    const sleeper: Sleeper = { killableOnly: false, interrupt: () => finish(-ERESTARTSYS), end: finish };
    t.sleeper = sleeper;
    pending.then(
      (r) => {
        if (!finish(r)) undo(r);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        if (t.sleeper === sleeper) t.sleeper = null;
        reject(err);
      },
    );
    if (t.signalPending()) sleeper.interrupt();
  });
}

/** A sleep that only a signal or the deadline ends (pause, nanosleep, sigsuspend). */
export function sleepUntilSignal(t: Thread, deadline: number | undefined, interrupted: number, onTimeout = 0): number | Promise<number> {
  return sleep(t, [], () => AGAIN, { deadline, onTimeout, interrupted });
}
