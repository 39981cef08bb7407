// Congestion control: slow start and congestion avoidance (RFC 5681), fast retransmit on
// the third duplicate ACK and NewReno fast recovery with partial ACKs (RFC 6582), an
// initial window of 10 segments (RFC 6928, as Linux) and a loss window of one segment
// after a timeout. The socket asks what to do; this class only keeps the numbers.

import { seqGe, seqGt } from "../wire/seq.ts";

export type AckAction = "none" | "retransmit";

export class NewReno {
  #mss: number;
  #cwnd: number;
  #ssthresh = Infinity;
  #dupAcks = 0;
  #inRecovery = false;
  /** RFC 6582's "recover": the highest sequence number sent when recovery began. */
  #recover = 0;

  constructor(mss: number) {
    this.#mss = mss;
    this.#cwnd = 10 * mss;
  }

  get window(): number { return this.#cwnd; }
  get ssthresh(): number { return this.#ssthresh; }
  get inRecovery(): boolean { return this.#inRecovery; }

  /** The segment size changed (negotiated MSS): restart from the initial window. */
  setMss(mss: number, sndMax: number): void {
    this.#mss = mss;
    this.#cwnd = 10 * mss;
    this.#recover = sndMax;
  }

  /** New data acked (`acked` bytes up to `ack`); says whether to retransmit the next hole. */
  onNewAck(ack: number, acked: number, flight: number): AckAction {
    this.#dupAcks = 0;
    if (this.#inRecovery) {
      if (seqGe(ack, this.#recover)) {
        // Full acknowledgment (RFC 6582 §3.2 step 3): deflate to ssthresh and leave recovery.
        this.#cwnd = Math.min(this.#ssthresh, Math.max(flight, this.#mss) + this.#mss);
        this.#inRecovery = false;
        return "none";
      }
      // Partial acknowledgment (step 4): retransmit the first unacked segment, deflate by the
      // amount acked, add back one segment.
      this.#cwnd = Math.max(this.#mss, this.#cwnd - acked + this.#mss);
      return "retransmit";
    }
    if (this.#cwnd < this.#ssthresh) this.#cwnd += Math.min(acked, this.#mss);
    else this.#cwnd += Math.max(1, Math.floor((this.#mss * this.#mss) / this.#cwnd));
    return "none";
  }

  /** A duplicate ACK while `flight` bytes are outstanding; "retransmit" on the third. */
  onDupAck(ack: number, flight: number, sndMax: number): AckAction {
    this.#dupAcks++;
    if (this.#inRecovery) {
      this.#cwnd += this.#mss; // Inflate: each dup ACK means a segment left the network.
      return "none";
    }
    // RFC 6582 §3.2 step 1: only when the ACK covers more than "recover" (no false recovery).
    if (this.#dupAcks === 3 && seqGt(ack, this.#recover)) {
      this.#ssthresh = Math.max(Math.floor(flight / 2), 2 * this.#mss);
      this.#cwnd = this.#ssthresh + 3 * this.#mss;
      this.#recover = sndMax;
      this.#inRecovery = true;
      return "retransmit";
    }
    return "none";
  }

  /** The retransmission timer expired (RFC 5681 §3.1 eq. 4, RFC 6582 §3.2 step 5). */
  onTimeout(flight: number, sndMax: number): void {
    this.#ssthresh = Math.max(Math.floor(flight / 2), 2 * this.#mss);
    this.#cwnd = this.#mss;
    this.#dupAcks = 0;
    this.#inRecovery = false;
    this.#recover = sndMax;
  }
}
