// timerfd objects (Linux: fs/timerfd.c): a timer whose expirations are read as a count.
//
// As on Linux, the timer stops at each expiry (ticks + 1, readable, one notification:
// one EPOLLET edge however long nobody reads) and a periodic timer is moved forward
// when it is read or queried: the periods that passed meanwhile are counted then, and it
// runs again from the next one. Times are milliseconds on the monotonic clock
// (performance.now()); the syscall layer turns a clock's absolute times into delays.
// The host timeout is an IntervalTimer (timers.ts) armed for one expiry at a time.

import { EAGAIN, EINVAL } from "../linux-abi/errno.ts";
import { POLLIN } from "../linux-abi/poll.ts";
import { AnonInodeFile } from "./anon_inode.ts";
import { IntervalTimer } from "./timers.ts";
import { WaitQueue } from "./wait_queue.ts";

export class TimerFd extends AnonInodeFile {
  readonly readiness = new WaitQueue();
  /** Expirations not read yet. */
  #ticks = 0;
  /** The timer expired and has not been moved forward since. */
  #expired = false;
  /** performance.now() of the next expiry, or of the last one while `#expired`. */
  #expiresAt = 0;
  #intervalMs = 0;
  readonly #timer = new IntervalTimer(() => this.#fire());

  constructor(
    /** CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME. */
    readonly clock: number,
  ) {
    super("timerfd");
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /**
   * timerfd_settime: first expiry in `valueMs` (≤ 0: it has passed, the timer expires now),
   * or disarmed with null; then every `intervalMs` if not 0. Unread expirations are dropped.
   */
  set(valueMs: number | null, intervalMs: number): void {
    this.#timer.disarm();
    this.#ticks = 0;
    this.#expired = false;
    this.#intervalMs = intervalMs;
    if (valueMs === null) return;
    this.#expiresAt = performance.now() + valueMs;
    if (valueMs > 0) this.#timer.arm(valueMs, 0);
    else this.#fire();
  }

  /** Milliseconds to the next expiry (0: disarmed, or a one-shot timer that expired). */
  remainingMs(): number {
    this.#forward();
    return this.#timer.armed ? Math.max(0, this.#expiresAt - performance.now()) : 0;
  }

  override read(dst: Uint8Array): number {
    if (dst.length < 8) return -EINVAL;
    if (this.#ticks === 0) return -EAGAIN;
    this.#forward();
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, BigInt(this.#ticks), true);
    this.#ticks = 0;
    return 8;
  }

  poll(): number {
    return this.#ticks > 0 ? POLLIN : 0;
  }

  override release(): void {
    this.#timer.disarm();
  }

  #fire(): void {
    this.#expired = true;
    this.#ticks++;
    this.readiness.notify(POLLIN);
  }

  /** An expired periodic timer: count the periods that passed since and run from the next one. */
  #forward(): void {
    if (!this.#expired || this.#intervalMs === 0) return;
    this.#expired = false;
    const now = performance.now();
    const periods = Math.floor((now - this.#expiresAt) / this.#intervalMs) + 1;
    this.#expiresAt += periods * this.#intervalMs;
    this.#ticks += periods - 1;
    this.#timer.arm(this.#expiresAt - now, 0);
  }
}
