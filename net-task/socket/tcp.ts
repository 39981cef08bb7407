// A TCP connection (RFC 9293) without I/O: the interface feeds it segments (process), asks
// it for segments (dispatch) and asks when it next needs attention (pollAt). Listening is
// TcpListener's (tcp_listener.ts), which creates these in SYN-RECEIVED.
//
//   app side        connect (via Interface.connect), send, recv, close, abort, readiness
//   interface side  accepts, process (RFC 9293 §3.10.7, one switch on the state), dispatch
//                   (SYN, data + FIN under the windows, ACKs, RST, timers), pollAt
//   pieces          tcp_rtt.ts (RTO), tcp_congestion.ts (NewReno), tcp_options.ts (config),
//                   ../storage (ring buffers, out-of-order assembler)
//
// Sequence space: SND.UNA ≤ SND.NXT ≤ SND.MAX (the highest sent; SND.NXT goes back to
// SND.UNA on a timeout, go-back-N). Bytes in the send buffer start at SND.UNA once the SYN
// is acked; the FIN, once queued by close(), sits right after the last byte. A SYN is
// (re)sent whenever SND.NXT = ISS in SYN-SENT or SYN-RECEIVED.

import { type Ipv4Address } from "../wire/address.ts";
import { IPV4_HEADER_LEN } from "../wire/ipv4.ts";
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax } from "../wire/seq.ts";
import { TCP_HEADER_LEN, tcpSegmentLen, type SackRange, type TcpControl, type TcpRepr } from "../wire/tcp.ts";
import { Assembler } from "../storage/assembler.ts";
import { RingBuffer } from "../storage/ring_buffer.ts";
import { type SocketContext } from "./context.ts";
import { type Endpoint, formatEndpoint } from "./endpoint.ts";
import { Readiness, SocketBase } from "./readiness.ts";
import { NewReno } from "./tcp_congestion.ts";
import { resolveTcpOptions, type ResolvedTcpOptions, type TcpOptions } from "./tcp_options.ts";
import { RttEstimator } from "./tcp_rtt.ts";

export type TcpState =
  | "CLOSED" | "SYN-SENT" | "SYN-RECEIVED" | "ESTABLISHED" | "FIN-WAIT-1" | "FIN-WAIT-2"
  | "CLOSE-WAIT" | "CLOSING" | "LAST-ACK" | "TIME-WAIT";

/** Why a connection ended badly (the IPC module maps these to errnos). */
export type TcpError = "refused" | "reset" | "timed-out";

/** A connection's numbers, for TCP_INFO (times in ms, sizes in bytes). */
export interface TcpInfo {
  state: TcpState;
  retransmits: number;
  rto: number;
  srtt: number;
  rttvar: number;
  mss: number;
  advMss: number;
  cwnd: number;
  ssthresh: number;
  unacked: number;
  sndShift: number;
  rcvShift: number;
  timestamps: boolean;
  sack: boolean;
  windowScaling: boolean;
  rcvWindow: number;
  lastRecvAt: number;
}

/** What the owner of a half-open child is told (TcpListener). */
export interface TcpParent {
  hasRoom(): boolean;
  childEstablished(child: TcpSocket): void;
  childClosed(child: TcpSocket): void;
}

const TIMESTAMP_OPTION_LEN = 12;
/** RFC 9293 §3.7.1: the MSS a peer that sends none is assumed to take. */
const DEFAULT_MSS = 536;
const MAX_WINDOW_FIELD = 0xffff;
/** RFC 5961 §7: challenge ACKs are rate limited (per socket here, per second). */
const CHALLENGE_ACKS_PER_SECOND = 10;
const NO_SACK: readonly SackRange[] = [];
const EMPTY: Uint8Array = new Uint8Array(0);

export class TcpSocket extends SocketBase {
  readonly kind = "tcp";
  readonly #opts: ResolvedTcpOptions;
  #state: TcpState = "CLOSED";
  #local: Endpoint = { addr: 0, port: 0 };
  #remote: Endpoint = { addr: 0, port: 0 };
  #parent: TcpParent | null = null;
  #error: TcpError | null = null;
  #wasConnected = false;
  #receiveClosed = false;

  readonly #tx: RingBuffer;
  readonly #rx: RingBuffer;
  /** Out-of-order data already written in #rx past its tail, as offsets from RCV.NXT. */
  readonly #ooo = new Assembler(32);

  // Send sequence variables (RFC 9293 §3.3.1).
  #iss = 0;
  #sndUna = 0;
  #sndNxt = 0;
  #sndMax = 0;
  #sndWnd = 0;
  #sndWl1 = 0;
  #sndWl2 = 0;
  #maxSndWnd = 0;
  #finQueued = false;
  // Receive sequence variables.
  #irs = 0;
  #rcvNxt = 0;
  #rxFin = false;
  /** The right edge of the window we last advertised (RCV.NXT + RCV.WND then). */
  #advertisedEdge = 0;

  // Negotiated options: our wishes until the peer's SYN says what it supports.
  #wsEnabled: boolean;
  #sndShift = 0;
  #rcvShift = 0;
  #tsEnabled: boolean;
  #tsRecent = 0;
  #tsOffset = 0;
  #sackEnabled: boolean;
  #advMss = DEFAULT_MSS;
  #mss = DEFAULT_MSS;
  /** The largest segment the peer has sent, what "a full segment" means for delayed ACKs (Linux's rcv_mss). */
  #rcvMss = DEFAULT_MSS;

  // Timers (absolute ms, Infinity when stopped) and what they count.
  #rtxAt = Infinity;
  #persistAt = Infinity;
  #persistBackoff = 0;
  #ackAt = Infinity;
  #keepAt = Infinity;
  #keepProbes = 0;
  #timeWaitAt = Infinity;
  #retries = 0;
  #lastRecvAt = 0;
  #ackNow = false;
  #rstNow = false;
  #segsUnacked = 0;
  #challengeSecond = -1;
  #challengeCount = 0;

  readonly #rtt: RttEstimator;
  readonly #cc: NewReno;
  /** The sequence number whose ACK ends the RTT measurement in progress (Karn: new data only). */
  #rttSeq: number | null = null;
  #rttStart = 0;

  constructor(options: TcpOptions = {}) {
    super();
    this.#opts = resolveTcpOptions(options);
    this.#tx = new RingBuffer(this.#opts.txBufferSize);
    this.#rx = new RingBuffer(this.#opts.rxBufferSize);
    this.#wsEnabled = this.#opts.windowScaling;
    this.#tsEnabled = this.#opts.timestamps;
    this.#sackEnabled = this.#opts.sack;
    this.#rtt = new RttEstimator(this.#opts);
    this.#cc = new NewReno(DEFAULT_MSS);
  }

  // ---- What the application sees -------------------------------------------------------

  get state(): TcpState { return this.#state; }
  get local(): Endpoint { return this.#local; }
  get remote(): Endpoint { return this.#remote; }
  get error(): TcpError | null { return this.#error; }
  /** The peer's FIN came (a reset after it is a broken pipe, not a reset: Linux's EPIPE in CLOSE-WAIT). */
  get finReceived(): boolean { return this.#rxFin; }
  /** Bytes waiting to be read (FIONREAD). */
  get recvQueue(): number { return this.#rx.length; }
  /** Bytes not yet acknowledged (TIOCOUTQ). */
  get sendQueue(): number { return this.#tx.length; }
  get sendBufferFree(): number { return this.#tx.free; }
  /** The segment size in use (TCP_MAXSEG once connected). */
  get mss(): number { return this.#mss; }
  get rto(): number { return this.#rtt.rto; }
  get congestionWindow(): number { return this.#cc.window; }
  /** A socket left to finish on its own (closed by its owner, or a child nobody accepted). */
  get isClosed(): boolean { return this.#state === "CLOSED" && !this.#rstNow; }

  set noDelay(on: boolean) { this.#opts.noDelay = on; }
  get noDelay(): boolean { return this.#opts.noDelay; }
  set keepAlive(on: boolean) {
    this.#opts.keepAlive = on;
    this.#armKeepAlive();
  }

  /** Changes settings that may change on a live socket (setsockopt): Nagle, keep-alive, MSS bound. */
  configure(change: Pick<TcpOptions, "noDelay" | "keepAlive" | "keepAliveIdle" | "keepAliveInterval" | "keepAliveCount" | "mss">): void {
    Object.assign(this.#opts, change);
    this.#armKeepAlive();
  }

  /** The settings in force (a copy). */
  get settings(): Readonly<ResolvedTcpOptions> { return { ...this.#opts }; }

  /** What TCP_INFO reports. */
  info(): TcpInfo {
    return {
      state: this.#state, retransmits: this.#retries, rto: this.#rtt.rto, srtt: this.#rtt.srtt ?? 0, rttvar: this.#rtt.rttvar,
      mss: this.#mss, advMss: this.#advMss, cwnd: this.#cc.window, ssthresh: this.#cc.ssthresh,
      unacked: seqDiff(this.#sndNxt, this.#sndUna), sndShift: this.#sndShift, rcvShift: this.#rcvShift,
      timestamps: this.#tsEnabled, sack: this.#sackEnabled, windowScaling: this.#wsEnabled,
      rcvWindow: this.#rx.free, lastRecvAt: this.#lastRecvAt,
    };
  }

  /** Active open (Interface.connect picks the local endpoint and the ISN). */
  connect(remote: Endpoint, local: Endpoint, iss: number): "ok" | "invalid" {
    if (this.#state !== "CLOSED" || remote.port === 0 || local.port === 0 || local.addr === 0) return "invalid";
    this.#reset();
    this.#local = { ...local };
    this.#remote = { ...remote };
    this.#iss = this.#sndUna = this.#sndNxt = this.#sndMax = iss;
    this.#setState("SYN-SENT");
    return "ok";
  }

  /** Queues bytes to send; returns how many fit, "again" when none did. */
  send(data: Uint8Array): number | "again" | "closed" | "not-connected" | TcpError {
    const error = this.#takeError();
    if (error !== null) return error;
    switch (this.#state) {
      case "SYN-SENT": case "SYN-RECEIVED": return "again";
      case "ESTABLISHED": case "CLOSE-WAIT":
        if (this.#finQueued) return "closed";
        if (data.length === 0) return 0;
        return this.#tx.enqueue(data) || "again";
      case "CLOSED": return this.#wasConnected ? "closed" : "not-connected";
      default: return "closed";
    }
  }

  /**
   * Copies received bytes out; 0 at the end of the stream, "again" when none are waiting yet.
   * `peek` (MSG_PEEK) leaves them queued and starts `skip` bytes in.
   */
  recv(into: Uint8Array, peek = false, skip = 0): number | "again" | "not-connected" | TcpError {
    if (this.#rx.length > skip && into.length > 0) {
      if (peek) return this.#rx.copyOut(skip, into);
      const n = this.#rx.dequeue(into);
      this.#maybeWindowUpdate();
      // As tcp_cleanup_rbuf: a read that empties the buffer sends the ACK being delayed now
      // (a sender whose Nagle holds its next short segment waits for it).
      if (this.#rx.length === 0 && this.#ackAt !== Infinity) this.#ackNow = true;
      return n;
    }
    const error = this.#takeError();
    if (error !== null) return error;
    if (this.#rxFin || (this.#state === "CLOSED" && this.#wasConnected)) return 0;
    if (this.#state === "CLOSED") return "not-connected";
    return "again";
  }

  /** The pending error, cleared (SO_ERROR); send and recv report it once too. */
  takeError(): TcpError | null {
    return this.#takeError();
  }

  /** Graceful close of the sending side: a FIN follows the queued data (shutdown(SHUT_WR)). */
  close(): void {
    switch (this.#state) {
      case "SYN-SENT": this.#setState("CLOSED"); break;
      case "SYN-RECEIVED": this.abort(); break;
      case "ESTABLISHED": this.#finQueued = true; this.#setState("FIN-WAIT-1"); break;
      case "CLOSE-WAIT": this.#finQueued = true; this.#setState("LAST-ACK"); break;
      default:
    }
  }

  /** The owner closed the socket (close(2), not shutdown): it reads nothing more. */
  closeReceive(): void {
    this.#receiveClosed = true;
  }

  /** Drops the connection with a RST (SO_LINGER 0, or a listener closing unaccepted children). */
  abort(): void {
    const synchronized = this.#state !== "CLOSED" && this.#state !== "SYN-SENT" && this.#state !== "TIME-WAIT";
    this.#setState("CLOSED");
    this.#rstNow = synchronized;
  }

  readiness(): number {
    let mask = 0;
    const closed = this.#state === "CLOSED";
    if (this.#rx.length > 0 || this.#rxFin || this.#error !== null || (closed && this.#wasConnected)) mask |= Readiness.Readable;
    if ((this.#state === "ESTABLISHED" || this.#state === "CLOSE-WAIT") && !this.#finQueued && this.#tx.free > 0) {
      mask |= Readiness.Writable;
    }
    if (this.#rxFin) mask |= Readiness.ReadHup;
    if (closed || (this.#rxFin && this.#finQueued)) mask |= Readiness.Hup;
    if (this.#error !== null) mask |= Readiness.Error;
    return mask;
  }

  // ---- What the interface sees ------------------------------------------------------------

  /** Whether a segment from src:srcPort to dst:dstPort belongs to this connection. */
  accepts(src: Ipv4Address, dst: Ipv4Address, seg: TcpRepr): boolean {
    return this.#state !== "CLOSED" && this.#local.port === seg.dstPort && this.#remote.port === seg.srcPort
      && this.#local.addr === dst && this.#remote.addr === src;
  }

  /** A child for a SYN a listener accepted: SYN-RECEIVED, options negotiated, SYN-ACK due. */
  static fromSyn(cx: SocketContext, options: TcpOptions, ends: { local: Endpoint; remote: Endpoint; parent: TcpParent }, syn: TcpRepr): TcpSocket {
    const child = new TcpSocket(options);
    child.#local = { ...ends.local };
    child.#remote = { ...ends.remote };
    child.#parent = ends.parent;
    child.#iss = child.#sndUna = child.#sndNxt = child.#sndMax = cx.isn(ends.local.addr, ends.local.port, ends.remote.addr, ends.remote.port);
    child.#advMss = child.#localMss(cx);
    child.#acceptSyn(cx, syn);
    child.#setState("SYN-RECEIVED");
    return child;
  }

  process(cx: SocketContext, seg: TcpRepr): void {
    this.#lastRecvAt = cx.now;
    this.#keepProbes = 0;
    this.#armKeepAlive();
    switch (this.#state) {
      case "CLOSED":
        return;
      case "SYN-SENT":
        return this.#processSynSent(cx, seg);
      default:
        return this.#processSynchronized(cx, seg);
    }
  }

  pollAt(): number {
    if (this.#rstNow) return 0;
    if (this.#state === "CLOSED") return Infinity;
    if (this.#ackNow || this.#synDue() || this.#nextSegment() !== null || this.#persistUnarmed()) return 0;
    return Math.min(this.#rtxAt, this.#persistAt, this.#ackAt, this.#keepAt, this.#timeWaitAt);
  }

  /** Runs due timers and sends what the windows allow; true when a segment went out. */
  dispatch(cx: SocketContext): boolean {
    const now = cx.now;
    if (this.#rstNow) {
      this.#rstNow = false;
      return cx.sendTcp(this.#local.addr, this.#remote.addr, this.#repr("rst", this.#sndNxt, this.#rcvNxt));
    }
    if (this.#state === "CLOSED") return false;
    if (this.#timeWaitAt <= now) {
      this.#setState("CLOSED");
      return false;
    }
    if (this.#rtxAt <= now) this.#retransmitTimeout();
    if (this.#ackAt <= now) this.#ackNow = true;
    let sent = this.#keepAt <= now && this.#keepAliveTimer(cx);
    // A timer may have ended the connection (retries exhausted, keep-alive unanswered).
    if ((this.#state as TcpState) === "CLOSED") return this.#rstNow ? this.dispatch(cx) : sent;

    if (this.#synDue()) return this.#sendSyn(cx);
    sent = this.#sendData(cx) || sent;
    if (this.#persistAt <= now) sent = this.#sendProbe(cx, "persist") || sent;
    if (this.#ackNow && this.#emit(cx, "none", this.#sndNxt, EMPTY)) sent = true;
    this.#armPersist(now);
    return sent;
  }

  // ---- Receiving (RFC 9293 §3.10.7) ---------------------------------------------------------

  #processSynSent(cx: SocketContext, seg: TcpRepr): void {
    // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)".
    if (seg.ack !== null && (seqLe(seg.ack, this.#iss) || seqGt(seg.ack, this.#sndMax))) {
      if (seg.control !== "rst") this.#sendReset(cx, seg.ack, null);
      return;
    }
    if (seg.control === "rst") {
      // "If the ACK was acceptable, then signal to the user 'error: connection reset'".
      if (seg.ack !== null) this.#fail("refused");
      return;
    }
    if (seg.control !== "syn") return;
    this.#advMss = this.#localMss(cx);
    this.#acceptSyn(cx, seg);
    if (seg.ack !== null) {
      // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to ESTABLISHED".
      this.#ackAdvance(cx, seg.ack);
      this.#setWindow(seg.seq, seg.ack, seg.window);
      this.#setState("ESTABLISHED");
      this.#ackNow = true;
    } else {
      // Simultaneous open: "enter SYN-RECEIVED, form a SYN,ACK segment" with our ISS again.
      this.#sndNxt = this.#iss;
      this.#rtxAt = Infinity;
      this.#setWindow(seg.seq, this.#sndUna, seg.window);
      this.#setState("SYN-RECEIVED");
    }
  }

  /** Takes the peer's ISN and options from its SYN. */
  #acceptSyn(cx: SocketContext, syn: TcpRepr): void {
    this.#irs = syn.seq;
    this.#rcvNxt = seqAdd(syn.seq, 1);
    this.#wsEnabled &&= syn.windowScale !== null;
    this.#sndShift = this.#wsEnabled ? syn.windowScale! : 0;
    this.#rcvShift = this.#wsEnabled ? this.#ourWindowShift() : 0;
    this.#sackEnabled &&= syn.sackPermitted;
    this.#tsEnabled &&= syn.timestamp !== null;
    if (this.#tsEnabled) {
      this.#tsRecent = syn.timestamp!.tsval;
      if (this.#tsOffset === 0) this.#tsOffset = cx.random();
    }
    const peerMss = syn.mss ?? DEFAULT_MSS;
    this.#mss = Math.max(64, Math.min(peerMss, this.#advMss) - (this.#tsEnabled ? TIMESTAMP_OPTION_LEN : 0));
    this.#cc.setMss(this.#mss, this.#sndMax);
  }

  #processSynchronized(cx: SocketContext, seg: TcpRepr): void {
    const segLen = tcpSegmentLen(seg);
    // RFC 7323 §5.3 (PAWS): a segment with an older timestamp is an old duplicate.
    if (this.#tsEnabled && seg.timestamp !== null && seg.control !== "rst" && seqLt(seg.timestamp.tsval, this.#tsRecent)) {
      this.#ackNow = true;
      return;
    }
    // First, check the sequence number.
    if (!this.#acceptable(seg.seq, segLen)) {
      if (seg.control === "rst") return;
      if (this.#state === "SYN-RECEIVED" && seg.control === "syn" && seg.seq === this.#irs) {
        this.#sndNxt = this.#iss; // A retransmitted SYN: send the SYN-ACK again.
        return;
      }
      if (this.#state === "TIME-WAIT" && seg.control === "fin") this.#timeWaitAt = cx.now + this.#opts.timeWait;
      this.#ackNow = true;
      return;
    }
    // Second, check the RST bit (RFC 5961 §3.2: only an exact match resets, else challenge).
    if (seg.control === "rst") {
      if (seg.seq !== this.#rcvNxt) return this.#challengeAck(cx);
      switch (this.#state) {
        case "SYN-RECEIVED":
          // Passive open: forget the half-open connection; active (simultaneous) open: refused.
          return this.#parent !== null ? this.#setState("CLOSED") : this.#fail("refused");
        case "ESTABLISHED": case "FIN-WAIT-1": case "FIN-WAIT-2": case "CLOSE-WAIT":
          return this.#fail("reset");
        default: // CLOSING, LAST-ACK, TIME-WAIT: "enter the CLOSED state".
          return this.#setState("CLOSED");
      }
    }
    // Fourth, a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2).
    if (seg.control === "syn") return this.#challengeAck(cx);
    // Fifth, the ACK field: "if the ACK bit is off, drop the segment".
    if (seg.ack === null) return;
    const ack = seg.ack;
    if (this.#state === "SYN-RECEIVED") {
      if (!(seqLt(this.#sndUna, ack) && seqLe(ack, this.#sndMax))) {
        this.#sendReset(cx, ack, null); // "<SEQ=SEG.ACK><CTL=RST>"
        return;
      }
      // Linux drops the handshake's last ACK while the accept queue is full; the peer retries.
      if (this.#parent !== null && !this.#parent.hasRoom()) return;
      this.#ackAdvance(cx, ack);
      this.#setWindow(seg.seq, ack, seg.window << this.#sndShift);
      this.#setState("ESTABLISHED");
    }
    // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT].
    if (seqGt(ack, this.#sndMax) || seqLt(ack, seqAdd(this.#sndUna, -Math.max(this.#maxSndWnd, 1)))) {
      this.#ackNow = true;
      return;
    }
    this.#processAck(cx, seg, ack);
    if (this.#state === "CLOSED") return;
    // RFC 7323 §4.3: remember the timestamp of the segment that carries the next byte.
    if (this.#tsEnabled && seg.timestamp !== null && seqLe(seg.seq, this.#rcvNxt)) this.#tsRecent = seg.timestamp.tsval;
    // Seventh, the segment text (only while the peer may still send). New data for an
    // owner that closed (not just shut down writing) is answered with a RST, as Linux does
    // (TCPAbortOnData): nobody will read it.
    if (seg.payload.length > 0) {
      if (this.#receiveClosed && seqGt(seqAdd(seg.seq, seg.payload.length), this.#rcvNxt)) return this.abort();
      if (this.#state === "ESTABLISHED" || this.#state === "FIN-WAIT-1" || this.#state === "FIN-WAIT-2") {
        this.#processData(cx, seg);
      }
    }
    // Eighth, the FIN bit, taken only once every byte before it has arrived.
    if (seg.control === "fin" && seqAdd(seg.seq, seg.payload.length) === this.#rcvNxt) this.#processFin(cx);
  }

  /** RFC 9293 §3.10.7.4's acceptability test, with the window we can still take. */
  #acceptable(seq: number, len: number): boolean {
    const wnd = this.#rx.free;
    const end = seqAdd(this.#rcvNxt, wnd);
    if (len === 0) return wnd === 0 ? seq === this.#rcvNxt : seqInWindow(seq, this.#rcvNxt, end);
    // A zero window takes no data, but the ACK and window of an in-sequence segment still count.
    if (wnd === 0) return seq === this.#rcvNxt;
    return seqInWindow(seq, this.#rcvNxt, end) || seqInWindow(seqAdd(seq, len - 1), this.#rcvNxt, end);
  }

  #processAck(cx: SocketContext, seg: TcpRepr, ack: number): void {
    const window = seg.window << this.#sndShift;
    const finSent = this.#finQueued && seqGt(this.#sndMax, this.#txEnd());
    if (seqGt(ack, this.#sndUna)) {
      const acked = seqDiff(ack, this.#sndUna);
      const finAcked = finSent && seqGt(ack, this.#txEnd());
      this.#tx.discard(acked - (finAcked ? 1 : 0));
      this.#sndUna = ack;
      if (seqLt(this.#sndNxt, ack)) this.#sndNxt = ack;
      this.#sampleRtt(cx, ack);
      this.#retries = 0;
      this.#rtt.resetBackoff();
      this.#rtxAt = this.#sndUna === this.#sndMax ? Infinity : cx.now + this.#rtt.rto;
      if (this.#cc.onNewAck(ack, acked, this.#flight()) === "retransmit") this.#retransmitFirst(cx);
      this.wake();
      if (finAcked) this.#ourFinAcked(cx);
    } else if (ack === this.#sndUna && seg.payload.length === 0 && seg.control === "none"
      && window === this.#sndWnd && this.#sndMax !== this.#sndUna) {
      // RFC 5681 §2's duplicate ACK.
      if (this.#cc.onDupAck(ack, this.#flight(), this.#sndMax) === "retransmit") this.#retransmitFirst(cx);
    }
    if (this.#state !== "CLOSED") this.#updateWindow(seg, window);
  }

  /** RFC 9293 §3.10.7.4: take the window from the newest segment (SND.WL1/SND.WL2). */
  #updateWindow(seg: TcpRepr, window: number): void {
    const ack = seg.ack ?? this.#sndUna;
    if (seqLt(this.#sndWl1, seg.seq) || (this.#sndWl1 === seg.seq && seqLe(this.#sndWl2, ack))) {
      this.#setWindow(seg.seq, ack, window);
    }
  }

  #setWindow(seq: number, ack: number, window: number): void {
    const grew = window > this.#sndWnd;
    this.#sndWnd = window;
    this.#sndWl1 = seq;
    this.#sndWl2 = ack;
    this.#maxSndWnd = Math.max(this.#maxSndWnd, window);
    if (window > 0) {
      this.#persistAt = Infinity;
      this.#persistBackoff = 0;
    }
    if (grew) this.wake();
  }

  #ourFinAcked(cx: SocketContext): void {
    switch (this.#state) {
      case "FIN-WAIT-1": this.#setState("FIN-WAIT-2"); break;
      case "CLOSING": this.#enterTimeWait(cx); break;
      case "LAST-ACK": this.#setState("CLOSED"); break;
      default:
    }
  }

  #processData(cx: SocketContext, seg: TcpRepr): void {
    let offset = seqDiff(seg.seq, this.#rcvNxt);
    let payload = seg.payload;
    if (offset < 0) {
      payload = payload.subarray(-offset);
      offset = 0;
    }
    const room = this.#rx.free - offset;
    if (room <= 0) {
      this.#ackNow = true;
      return;
    }
    if (payload.length > room) payload = payload.subarray(0, room);
    if (offset > 0) {
      // Out of order: write it ahead, remember where, and ACK at once (RFC 5681 §4.2).
      const n = this.#rx.writeAt(offset, payload);
      this.#ooo.add(offset, n);
      this.#ackNow = true;
      return;
    }
    const n = this.#rx.enqueue(payload);
    this.#ooo.shift(n);
    const filled = this.#ooo.takeFront();
    this.#rx.commit(filled);
    this.#rcvNxt = seqAdd(this.#rcvNxt, n + filled);
    this.wake();
    // Delayed ACK (RFC 9293 §3.8.6.3): at least every second full segment, else within the
    // delay; "full" is the largest the peer sends (tcp_measure_rcv_mss), not our MSS.
    if (n >= this.#rcvMss) this.#rcvMss = Math.min(n, Math.max(this.#advMss, DEFAULT_MSS));
    this.#segsUnacked += n >= this.#rcvMss ? 1 : 0;
    if (filled > 0 || this.#segsUnacked >= 2 || this.#opts.delayedAck === 0) this.#ackNow = true;
    else if (this.#ackAt === Infinity) this.#ackAt = cx.now + this.#opts.delayedAck;
  }

  #processFin(cx: SocketContext): void {
    this.#rcvNxt = seqAdd(this.#rcvNxt, 1);
    this.#rxFin = true;
    this.#ackNow = true;
    this.wake();
    switch (this.#state) {
      case "SYN-RECEIVED": case "ESTABLISHED": this.#setState("CLOSE-WAIT"); break;
      case "FIN-WAIT-1":
        if (this.#sndUna === this.#sndMax) this.#enterTimeWait(cx);
        else this.#setState("CLOSING");
        break;
      case "FIN-WAIT-2": this.#enterTimeWait(cx); break;
      case "TIME-WAIT": this.#timeWaitAt = cx.now + this.#opts.timeWait; break;
      default: // CLOSE-WAIT, CLOSING, LAST-ACK: "remain in the state".
    }
  }

  #challengeAck(cx: SocketContext): void {
    const second = Math.floor(cx.now / 1000);
    if (second !== this.#challengeSecond) {
      this.#challengeSecond = second;
      this.#challengeCount = 0;
    }
    if (this.#challengeCount++ < CHALLENGE_ACKS_PER_SECOND) this.#ackNow = true;
  }

  /**
   * One timed segment at a time, never a retransmitted one (Karn). Timestamp echoes are not
   * used: after lost ACKs the peer echoes an old TSval (RFC 7323 §4.3), which inflates SRTT.
   */
  #sampleRtt(cx: SocketContext, ack: number): void {
    if (this.#rttSeq !== null && seqGe(ack, this.#rttSeq)) {
      this.#rtt.sample(cx.now - this.#rttStart);
      this.#rttSeq = null;
    }
  }

  /** Moves SND.UNA past our SYN. */
  #ackAdvance(cx: SocketContext, ack: number): void {
    this.#sndUna = ack;
    if (seqLt(this.#sndNxt, ack)) this.#sndNxt = ack;
    this.#retries = 0;
    if (this.#rttSeq !== null && seqGe(ack, this.#rttSeq)) this.#rtt.sample(cx.now - this.#rttStart);
    this.#rttSeq = null;
    this.#rtt.resetBackoff();
    this.#rtxAt = Infinity;
  }

  // ---- Sending ----------------------------------------------------------------------------

  #synDue(): boolean {
    return (this.#state === "SYN-SENT" || this.#state === "SYN-RECEIVED") && this.#sndNxt === this.#iss;
  }

  #sendSyn(cx: SocketContext): boolean {
    if (this.#state === "SYN-SENT") {
      this.#advMss = this.#localMss(cx);
      if (this.#tsEnabled && this.#tsOffset === 0) this.#tsOffset = cx.random();
    }
    if (!this.#emit(cx, "syn", this.#iss, EMPTY)) return false;
    if (this.#retries === 0 && this.#rttSeq === null) {
      this.#rttSeq = seqAdd(this.#iss, 1);
      this.#rttStart = cx.now;
    }
    this.#sndNxt = seqAdd(this.#iss, 1);
    this.#sndMax = seqMax(this.#sndMax, this.#sndNxt);
    if (this.#rtxAt === Infinity) this.#rtxAt = cx.now + this.#rtt.rto;
    return true;
  }

  /** The seq after the last byte in the send buffer (where a FIN goes). */
  #txEnd(): number {
    return seqAdd(this.#sndUna, this.#tx.length);
  }

  #flight(): number {
    return seqDiff(this.#sndMax, this.#sndUna);
  }

  /** The next segment the windows, Nagle and SWS avoidance allow now, or null. */
  #nextSegment(): { len: number; fin: boolean } | null {
    switch (this.#state) {
      case "ESTABLISHED": case "CLOSE-WAIT": case "FIN-WAIT-1": case "CLOSING": case "LAST-ACK": break;
      default: return null;
    }
    const unsent = seqDiff(this.#txEnd(), this.#sndNxt);
    if (unsent < 0) return null; // The FIN is out.
    const usable = Math.min(this.#sndWnd, this.#cc.window);
    const room = seqDiff(seqAdd(this.#sndUna, usable), this.#sndNxt);
    const offset = seqDiff(this.#sndNxt, this.#sndUna);
    const size = this.#segmentRoom();
    const len = Math.max(0, Math.min(unsent, room, size, this.#tx.length - offset));
    const fin = this.#finQueued && len === unsent;
    if (len === 0 && !fin) return null;
    // Nagle (RFC 9293 §3.7.4) holds a short segment while data is in flight; without it,
    // a window-limited short segment still waits (sender-side SWS avoidance).
    if (len < size && !fin && this.#sndNxt !== this.#sndUna && (!this.#opts.noDelay || len < unsent)) return null;
    return { len, fin };
  }

  /** Payload bytes per segment: the MSS less the SACK blocks we are about to carry. */
  #segmentRoom(): number {
    if (!this.#sackEnabled || this.#ooo.isEmpty) return this.#mss;
    const blocks = Math.min(this.#ooo.ranges.length, this.#tsEnabled ? 3 : 4);
    return this.#mss - 4 - 8 * blocks;
  }

  #sendData(cx: SocketContext): boolean {
    let sent = false;
    for (let next = this.#nextSegment(); next !== null; next = this.#nextSegment()) {
      const payload = this.#txBytes(seqDiff(this.#sndNxt, this.#sndUna), next.len);
      if (!this.#emit(cx, next.fin ? "fin" : "none", this.#sndNxt, payload)) break;
      if (this.#rttSeq === null && seqGe(this.#sndNxt, this.#sndMax) && next.len > 0) {
        this.#rttSeq = seqAdd(this.#sndNxt, next.len);
        this.#rttStart = cx.now;
      }
      this.#sndNxt = seqAdd(this.#sndNxt, next.len + (next.fin ? 1 : 0));
      this.#sndMax = seqMax(this.#sndMax, this.#sndNxt);
      if (this.#rtxAt === Infinity) this.#rtxAt = cx.now + this.#rtt.rto;
      sent = true;
      if (next.fin) break;
    }
    return sent;
  }

  /**
   * `len` bytes of the send buffer from `offset`: a view, or a copy where the ring wraps, so
   * that the wrap never cuts a segment short (a short segment would wait for Nagle).
   */
  #txBytes(offset: number, len: number): Uint8Array {
    const view = this.#tx.peek(offset, len);
    if (view.length === len) return view;
    const copy = new Uint8Array(len);
    this.#tx.copyOut(offset, copy);
    return copy;
  }

  /** Resends the first unacknowledged segment (fast retransmit, NewReno partial ACK). */
  #retransmitFirst(cx: SocketContext): void {
    const dataInFlight = Math.min(this.#tx.length, this.#flight());
    const payload = this.#txBytes(0, Math.min(this.#segmentRoom(), dataInFlight));
    const fin = this.#finQueued && payload.length === this.#tx.length && seqGt(this.#sndMax, this.#txEnd());
    if (payload.length === 0 && !fin) return;
    this.#rttSeq = null; // Karn: no sample from a retransmitted range.
    if (this.#emit(cx, fin ? "fin" : "none", this.#sndUna, payload)) this.#rtxAt = cx.now + this.#rtt.rto;
  }

  /** RFC 6298 §5.4-5.7: back off, shrink cwnd, and go back to SND.UNA; give up after the retries. */
  #retransmitTimeout(): void {
    this.#rtxAt = Infinity;
    const synState = this.#state === "SYN-SENT" || this.#state === "SYN-RECEIVED";
    if (++this.#retries > (synState ? this.#opts.synRetries : this.#opts.dataRetries)) {
      if (this.#parent !== null && synState) this.#setState("CLOSED");
      else this.#fail("timed-out");
      return;
    }
    this.#rtt.backoff();
    this.#cc.onTimeout(this.#flight(), this.#sndMax);
    this.#sndNxt = this.#sndUna;
    this.#rttSeq = null;
  }

  /** A zero-window probe or a keep-alive probe: an old sequence number the peer must ACK. */
  #sendProbe(cx: SocketContext, kind: "persist" | "keepalive"): boolean {
    const sent = this.#emit(cx, "none", seqAdd(this.#sndUna, -1), EMPTY);
    if (kind === "persist") {
      this.#persistBackoff++;
      this.#persistAt = cx.now + Math.min(this.#opts.maxRto, this.#rtt.rto * 2 ** this.#persistBackoff);
    } else {
      this.#keepProbes++;
      this.#keepAt = cx.now + this.#opts.keepAliveInterval;
    }
    return sent;
  }

  /** Whether the peer's zero window holds back data while nothing is in flight to draw an ACK. */
  #windowBlocked(): boolean {
    return this.#sndWnd === 0 && this.#sndNxt === this.#sndMax && seqDiff(this.#txEnd(), this.#sndNxt) > 0
      && this.#rtxAt === Infinity && this.#nextSegment() === null;
  }

  #persistUnarmed(): boolean {
    return this.#persistAt === Infinity && this.#windowBlocked();
  }

  /** Starts the persist timer when the window blocks us, stops it when not. */
  #armPersist(now: number): void {
    if (!this.#windowBlocked()) this.#persistAt = Infinity;
    else if (this.#persistAt === Infinity) this.#persistAt = now + this.#rtt.rto;
  }

  #armKeepAlive(): void {
    const on = this.#opts.keepAlive && (this.#state === "ESTABLISHED" || this.#state === "CLOSE-WAIT");
    this.#keepAt = on ? this.#lastRecvAt + this.#opts.keepAliveIdle + this.#keepProbes * this.#opts.keepAliveInterval : Infinity;
  }

  /** Sends a keep-alive probe when the line is idle; aborts with a RST (as Linux) once all went unanswered. */
  #keepAliveTimer(cx: SocketContext): boolean {
    if (this.#flight() > 0 || this.#tx.length > 0) {
      this.#keepAt = cx.now + this.#opts.keepAliveInterval; // Retransmissions test the peer already.
      return false;
    }
    if (this.#keepProbes >= this.#opts.keepAliveCount) {
      this.#fail("timed-out");
      this.#rstNow = true;
      return false;
    }
    return this.#sendProbe(cx, "keepalive");
  }

  #sendReset(cx: SocketContext, seq: number, ack: number | null): void {
    cx.sendTcp(this.#local.addr, this.#remote.addr, this.#repr("rst", seq, ack));
  }

  /** Sends one segment carrying our current ACK and window; on success the ACK is no longer owed. */
  #emit(cx: SocketContext, control: TcpControl, seq: number, payload: Uint8Array): boolean {
    const ack = this.#state === "SYN-SENT" ? null : this.#rcvNxt;
    const repr = this.#repr(control, seq, ack, payload, cx.now);
    if (!cx.sendTcp(this.#local.addr, this.#remote.addr, repr)) return false;
    this.#advertisedEdge = seqAdd(this.#rcvNxt, repr.window << (control === "syn" ? 0 : this.#rcvShift));
    this.#ackNow = false;
    this.#ackAt = Infinity;
    this.#segsUnacked = 0;
    return true;
  }

  #repr(control: TcpControl, seq: number, ack: number | null, payload = EMPTY, now = 0): TcpRepr {
    const syn = control === "syn";
    const rst = control === "rst";
    const free = this.#rx.free;
    const window = syn ? Math.min(free, MAX_WINDOW_FIELD) : Math.min(free >>> this.#rcvShift, MAX_WINDOW_FIELD);
    return {
      srcPort: this.#local.port,
      dstPort: this.#remote.port,
      control,
      seq,
      ack,
      window: rst ? 0 : window,
      windowScale: syn && this.#wsEnabled ? this.#ourWindowShift() : null,
      mss: syn ? this.#advMss : null,
      sackPermitted: syn && this.#sackEnabled,
      sackRanges: !syn && !rst && this.#sackEnabled && !this.#ooo.isEmpty ? this.#sackBlocks() : NO_SACK,
      timestamp: this.#tsEnabled && !rst ? { tsval: this.#tsNow(now), tsecr: this.#tsRecent } : null,
      payload,
    };
  }

  /** SACK blocks for the out-of-order data we hold (RFC 2018 §4), as sequence ranges. */
  #sackBlocks(): SackRange[] {
    return this.#ooo.ranges.map(([s, e]) => [seqAdd(this.#rcvNxt, s), seqAdd(this.#rcvNxt, e)] as const);
  }

  #tsNow(now: number): number {
    return (Math.floor(now) + this.#tsOffset) >>> 0;
  }

  /** The window scale that lets our whole receive buffer be advertised (RFC 7323 §2.3). */
  #ourWindowShift(): number {
    let shift = 0;
    while (shift < 14 && this.#rx.capacity >>> shift > MAX_WINDOW_FIELD) shift++;
    return shift;
  }

  #localMss(cx: SocketContext): number {
    const mtuMss = cx.mtuFor(this.#remote.addr) - IPV4_HEADER_LEN - TCP_HEADER_LEN;
    return Math.max(64, Math.min(mtuMss, this.#opts.mss ?? mtuMss, 0xffff));
  }

  /** After the application read: advertise the window again if it grew enough (RFC 9293 §3.8.6.2.2). */
  #maybeWindowUpdate(): void {
    if (this.#state === "CLOSED" || this.#state === "SYN-SENT") return;
    // As Linux's tcp_cleanup_rbuf: once what the peer may still send has fallen to half the
    // buffer, announce a window at least twice that (and at least a segment) at once.
    const clamp = Math.min(this.#rx.capacity, MAX_WINDOW_FIELD << this.#rcvShift);
    const window = Math.min(clamp, (this.#rx.free >>> this.#rcvShift) << this.#rcvShift);
    const remaining = Math.max(0, seqDiff(this.#advertisedEdge, this.#rcvNxt));
    if (remaining * 2 <= clamp && window >= Math.max(2 * remaining, this.#mss)) this.#ackNow = true;
  }

  // ---- State --------------------------------------------------------------------------------

  #enterTimeWait(cx: SocketContext): void {
    this.#setState("TIME-WAIT");
    this.#timeWaitAt = cx.now + this.#opts.timeWait;
  }

  #fail(error: TcpError): void {
    this.#error = error;
    this.#setState("CLOSED");
  }

  #takeError(): TcpError | null {
    const error = this.#error;
    this.#error = null;
    return error;
  }

  /** One place for every transition: stops timers that no longer apply, traces, wakes. */
  #setState(next: TcpState): void {
    const prev = this.#state;
    if (prev === next) return;
    this.#state = next;
    this.#opts.trace?.(`tcp ${formatEndpoint(this.#local)} -> ${formatEndpoint(this.#remote)}: ${prev} -> ${next}`);
    if (next === "ESTABLISHED") {
      this.#wasConnected = true;
      this.#parent?.childEstablished(this);
    }
    if (next === "TIME-WAIT" || next === "CLOSED") {
      this.#rtxAt = this.#persistAt = this.#ackAt = this.#keepAt = Infinity;
      if (next === "CLOSED") {
        this.#timeWaitAt = Infinity;
        this.#ackNow = false;
        const parent = this.#parent;
        this.#parent = null;
        parent?.childClosed(this);
      }
    }
    this.#armKeepAlive();
    this.wake();
  }

  /** Forgets a previous connection's state before a new active open. */
  #reset(): void {
    this.#tx.discard(this.#tx.length);
    this.#rx.discard(this.#rx.length);
    this.#ooo.clear();
    this.#finQueued = this.#rxFin = this.#ackNow = this.#rstNow = false;
    this.#error = null;
    this.#sndWnd = this.#maxSndWnd = this.#retries = 0;
    this.#wsEnabled = this.#opts.windowScaling;
    this.#tsEnabled = this.#opts.timestamps;
    this.#sackEnabled = this.#opts.sack;
  }

  /** Detaches a child from its listener once accepted. */
  detachParent(): void {
    this.#parent = null;
  }
}
