// The retransmission timeout of RFC 6298: SRTT and RTTVAR from RTT samples, RTO = SRTT +
// max(G, 4·RTTVAR) bounded below (Linux: 200 ms, not the RFC's 1 s) and above (120 s),
// doubled on every expiry (§5.5) and recomputed from the estimate when new data is acked.

export interface RtoOptions {
  initialRto?: number;
  minRto?: number;
  maxRto?: number;
}

/** The clock granularity G in ms. */
const GRANULARITY = 1;

export class RttEstimator {
  readonly #min: number;
  readonly #max: number;
  #srtt: number | null = null;
  #rttvar = 0;
  #base: number;
  #backoff = 0;

  constructor(options: RtoOptions = {}) {
    this.#min = options.minRto ?? 200;
    this.#max = options.maxRto ?? 120_000;
    this.#base = options.initialRto ?? 1000;
  }

  get srtt(): number | null { return this.#srtt; }
  get rttvar(): number { return this.#rttvar; }
  /** The current RTO in ms, backoff included. */
  get rto(): number { return Math.min(this.#max, this.#base * 2 ** this.#backoff); }

  /** Takes an RTT measurement (§2.2, §2.3); ends any backoff. */
  sample(rtt: number): void {
    rtt = Math.max(0, rtt);
    if (this.#srtt === null) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    this.#base = Math.min(this.#max, Math.max(this.#min, this.#srtt + Math.max(GRANULARITY, 4 * this.#rttvar)));
    this.#backoff = 0;
  }

  /** The timer expired: double the RTO (§5.5). */
  backoff(): void {
    if (this.rto < this.#max) this.#backoff++;
  }

  /** New data was acknowledged: the RTO comes from the estimate again. */
  resetBackoff(): void {
    this.#backoff = 0;
  }
}
