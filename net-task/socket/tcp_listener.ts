// A listening TCP socket (RFC 9293's LISTEN state) with Linux's two queues: the SYN queue of
// half-open children (SYN-RECEIVED) and the accept queue of established ones waiting for
// accept(). A SYN is dropped, not refused, when either queue is full (Linux without SYN
// cookies); a child's final ACK is dropped while the accept queue is full (tcp_check_req).
//
//   app side        listen, accept, close, readiness
//   interface side  accepts, process (returns a new child for the interface to add to the set)
//   children        hasRoom, childEstablished, childClosed (TcpParent)

import { type Ipv4Address } from "../wire/address.ts";
import { type TcpRepr } from "../wire/tcp.ts";
import { type SocketContext } from "./context.ts";
import { type Endpoint } from "./endpoint.ts";
import { Readiness, SocketBase } from "./readiness.ts";
import { TcpSocket, type TcpParent } from "./tcp.ts";
import { type TcpOptions } from "./tcp_options.ts";

export interface TcpListenerOptions extends TcpOptions {
  /** listen()'s backlog: established connections waiting for accept (Linux allows backlog + 1). */
  backlog?: number;
  /** Half-open connections kept at once (Linux: bounded by the backlog without SYN cookies). */
  synBacklog?: number;
}

export class TcpListener extends SocketBase implements TcpParent {
  readonly kind = "tcp-listener";
  #local: Endpoint = { addr: 0, port: 0 };
  #listening = false;
  #backlog: number;
  #synBacklog: number;
  readonly #childOptions: TcpOptions;
  readonly #synQueue = new Set<TcpSocket>();
  #acceptQueue: TcpSocket[] = [];
  /** SYNs dropped because a queue was full (Linux's ListenOverflows / ListenDrops). */
  overflows = 0;

  constructor(options: TcpListenerOptions = {}) {
    super();
    const { backlog, synBacklog, ...childOptions } = options;
    this.#backlog = backlog ?? 128;
    this.#synBacklog = synBacklog ?? this.#backlog;
    this.#childOptions = childOptions;
  }

  get local(): Endpoint { return this.#local; }
  get isListening(): boolean { return this.#listening; }
  get pendingAccepts(): number { return this.#acceptQueue.length; }
  get halfOpen(): number { return this.#synQueue.size; }
  get isClosed(): boolean { return !this.#listening; }

  /** Starts listening on a local endpoint (addr 0: any). A second call only changes the backlog. */
  listen(local: Endpoint, backlog?: number): void {
    this.#local = { ...local };
    this.#listening = true;
    if (backlog !== undefined) {
      this.#backlog = Math.max(0, backlog);
      this.#synBacklog = Math.max(this.#synBacklog, this.#backlog);
    }
  }

  /** The oldest established connection, now the caller's; null when none waits. */
  accept(): TcpSocket | null {
    const child = this.#acceptQueue.shift() ?? null;
    if (child !== null) {
      child.detachParent();
      child.orphaned = false;
    }
    return child;
  }

  /** Stops listening; every child not yet accepted is reset (as Linux's inet_csk_listen_stop). */
  close(): void {
    this.#listening = false;
    for (const child of [...this.#synQueue, ...this.#acceptQueue]) {
      child.detachParent();
      child.abort();
    }
    this.#synQueue.clear();
    this.#acceptQueue = [];
    this.wake();
  }

  readiness(): number {
    return this.#acceptQueue.length > 0 ? Readiness.Acceptable | Readiness.Readable : 0;
  }

  pollAt(): number {
    return Infinity;
  }

  /** A listener sends nothing of its own (its children do; RSTs go out from process). */
  dispatch(): boolean {
    return false;
  }

  accepts(dst: Ipv4Address, seg: TcpRepr): boolean {
    return this.#listening && this.#local.port === seg.dstPort && (this.#local.addr === 0 || this.#local.addr === dst);
  }

  /** LISTEN's arm of RFC 9293 §3.10.7.2. Returns a new child in SYN-RECEIVED, or null. */
  process(cx: SocketContext, src: Ipv4Address, dst: Ipv4Address, seg: TcpRepr): TcpSocket | null {
    // "First, check for a RST: an incoming RST should be ignored."
    if (seg.control === "rst") return null;
    // "Second, check for an ACK: any acknowledgment is bad ... <SEQ=SEG.ACK><CTL=RST>".
    if (seg.ack !== null) {
      cx.sendTcp(dst, src, {
        srcPort: seg.dstPort, dstPort: seg.srcPort, control: "rst", seq: seg.ack, ack: null, window: 0,
        windowScale: null, mss: null, sackPermitted: false, sackRanges: [], timestamp: null, payload: seg.payload.subarray(0, 0),
      });
      return null;
    }
    if (seg.control !== "syn") return null;
    if (this.#acceptQueue.length > this.#backlog || this.#synQueue.size >= this.#synBacklog) {
      this.overflows++;
      return null;
    }
    const child = TcpSocket.fromSyn(cx, this.#childOptions, {
      local: { addr: dst, port: seg.dstPort }, remote: { addr: src, port: seg.srcPort }, parent: this,
    }, seg);
    child.orphaned = true;
    this.#synQueue.add(child);
    return child;
  }

  hasRoom(): boolean {
    return this.#acceptQueue.length <= this.#backlog;
  }

  childEstablished(child: TcpSocket): void {
    if (!this.#synQueue.delete(child)) return;
    this.#acceptQueue.push(child);
    this.wake();
  }

  childClosed(child: TcpSocket): void {
    this.#synQueue.delete(child);
    // A connection reset before accept() stays queued, as Linux: accept returns it and the
    // first read reports the reset.
  }
}
