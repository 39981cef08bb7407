// Interval timers of a process: alarm/setitimer(ITIMER_REAL) and POSIX timers.
//
// A timer is a host timeout; on expiry it calls `fire` (the kernel-task sends the
// signal) and re-arms itself when it has an interval. Times are milliseconds on the
// monotonic clock (performance.now()). Overruns count expiries that came while the
// previous signal was still pending, as timer_getoverrun(2) reports them.

/**
 * The longest delay a host timeout takes (Node's limit, about 24.8 days); a longer one
 * fires at once with a warning. Longer waits sleep in steps of it and check the time.
 */
export const MAX_HOST_DELAY_MS = 2 ** 31 - 1;

export class IntervalTimer {
  #handle: NodeJS.Timeout | null = null;
  #expires = 0;
  #intervalMs = 0;
  overrun = 0;

  constructor(readonly fire: (timer: IntervalTimer) => void) {}

  get armed(): boolean {
    return this.#handle !== null;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Milliseconds until the next expiry, 0 when disarmed. */
  remainingMs(): number {
    return this.#handle ? Math.max(0, this.#expires - performance.now()) : 0;
  }

  /** Arm for `valueMs` from now (0 disarms), then every `intervalMs` if non-zero. */
  arm(valueMs: number, intervalMs: number): void {
    this.disarm();
    this.#intervalMs = intervalMs;
    if (valueMs <= 0) return;
    this.#schedule(performance.now() + valueMs);
  }

  disarm(): void {
    if (this.#handle) clearTimeout(this.#handle);
    this.#handle = null;
  }

  #schedule(at: number): void {
    this.#expires = at;
    this.#handle = setTimeout(() => {
      // Host timers may fire a little early, and a long delay is cut into steps:
      // never expire before the time.
      if (performance.now() < this.#expires) return this.#schedule(this.#expires);
      this.#handle = null;
      if (this.#intervalMs > 0) {
        // Expiries missed while the host was busy count as overruns.
        let next = this.#expires + this.#intervalMs;
        const now = performance.now();
        while (next <= now) {
          next += this.#intervalMs;
          this.overrun++;
        }
        this.#schedule(next);
      }
      this.fire(this);
    }, Math.min(MAX_HOST_DELAY_MS, Math.max(0, at - performance.now())));
  }
}
