// The gateway's TCP flows. Outbound: a guest SYN that no socket of the gateway's stack
// takes (the interface's unclaimed handler) starts a host connect to the same address and
// port, and only when that succeeds does a connection of the stack answer the SYN (a child
// made from it, so the guest sees SYN-ACK); a refused or failed connect answers RST. The
// guest's retransmitted SYNs are ignored meanwhile. Inbound: a `-p` forward's accepted host
// socket opens a connection from the gateway into the guest. Either way a TcpRelay then
// moves the bytes.
//
//   syn / accept    start a flow (bounded by the gateway's room())
//   service         the driver's hook: relays marked since, finished ones released
//   delivered       waits (bounded) until every stream the guest finished reached the host
//   closeAll        every host socket destroyed, every connection reset

import { connect, type Socket } from "node:net";
import { type Interface } from "../iface/interface.ts";
import { type Endpoint } from "../socket/endpoint.ts";
import { type SocketSet } from "../socket/socket_set.ts";
import { TcpSocket, type TcpParent } from "../socket/tcp.ts";
import { type TcpOptions } from "../socket/tcp_options.ts";
import { type Ipv4Address } from "../wire/address.ts";
import { tcpResetFor, type TcpRepr } from "../wire/tcp.ts";
import { TcpRelay } from "./tcp_relay.ts";

export interface TcpFlowsOptions {
  iface: Interface;
  sockets: SocketSet;
  /** Asks the driver for a poll. */
  kick(): void;
  hostAddressFor(addr: Ipv4Address): string;
  room(): boolean;
  /** Whether the guest may open connections to this address (not the DNS server's). */
  reachable(addr: Ipv4Address): boolean;
  /** The guest's address (forwards connect to it). */
  guest: Ipv4Address;
  /** ms a host connect may take before the guest gets a RST. */
  connectTimeout: number;
  /** Options of the gateway side's connections. */
  tcp: TcpOptions;
}

export interface TcpStats {
  /** Flows that reached the relaying stage. */
  opened: number;
  /** Guest SYNs answered with RST: host connect failed, unreachable, or no room. */
  refused: number;
  /** Host connections to a forward dropped for want of room or a route to the guest. */
  forwardsDropped: number;
}

interface PendingConnect {
  host: Socket;
  syn: TcpRepr;
  src: Ipv4Address;
  dst: Ipv4Address;
}

export class TcpFlows implements TcpParent {
  readonly stats: TcpStats = { opened: 0, refused: 0, forwardsDropped: 0 };
  readonly #o: TcpFlowsOptions;
  readonly #pending = new Map<string, PendingConnect>();
  readonly #relays = new Set<TcpRelay>();
  #dirty = new Set<TcpRelay>();
  /** Set while delivered() waits: checks after each service(). */
  #onService: (() => void) | null = null;

  constructor(options: TcpFlowsOptions) {
    this.#o = options;
  }

  get size(): number { return this.#pending.size + this.#relays.size; }

  /** A SYN nobody in the stack takes: connect on the host first. Always taken (true). */
  syn(src: Ipv4Address, dst: Ipv4Address, seg: TcpRepr): boolean {
    const key = `${src}:${seg.srcPort}>${dst}:${seg.dstPort}`;
    if (this.#pending.has(key)) return true; // A retransmission while the host connects.
    if (!this.#o.reachable(dst) || !this.#o.room()) {
      this.#refuse(src, dst, seg);
      return true;
    }
    const syn = copySyn(seg);
    const host = connect({ host: this.#o.hostAddressFor(dst), port: seg.dstPort, allowHalfOpen: true, noDelay: true });
    const pending: PendingConnect = { host, syn, src, dst };
    this.#pending.set(key, pending);
    const failed = (): void => {
      this.#pending.delete(key);
      this.#refuse(src, dst, syn);
      host.destroy();
    };
    host.setTimeout(this.#o.connectTimeout, failed);
    host.once("error", failed);
    host.once("connect", () => {
      host.setTimeout(0);
      host.off("error", failed);
      this.#pending.delete(key);
      this.#connected(pending);
    });
    return true;
  }

  /** A host connection to a forward of `guestPort` (accepted paused). */
  accept(host: Socket, guestPort: number): void {
    const { iface, sockets } = this.#o;
    if (!this.#o.room()) return this.#dropForward(host);
    const conn = new TcpSocket(this.#o.tcp);
    const handle = sockets.add(conn);
    if (iface.connect(sockets, handle, { addr: this.#o.guest, port: guestPort }) !== "ok") {
      sockets.remove(handle);
      return this.#dropForward(host);
    }
    host.setNoDelay(true);
    this.#start(host, conn);
  }

  /** The driver's hook: services the relays that changed; true when any did something. */
  service(): boolean {
    if (this.#dirty.size === 0) return false;
    const batch = this.#dirty;
    this.#dirty = new Set();
    let acted = false;
    for (const relay of batch) {
      acted = relay.service() || acted;
      if (relay.finished) this.#release(relay);
    }
    this.#onService?.();
    return acted;
  }

  /**
   * Resolves once no relay is still handing a stream the guest finished to the host (so a
   * close after it loses none of it), or after `limitMs`.
   */
  delivered(limitMs: number): Promise<void> {
    const delivering = (): boolean => [...this.#relays].some((r) => r.delivering);
    if (!delivering()) return Promise.resolve();
    return new Promise((resolve) => {
      const limit = setTimeout(() => done(), limitMs);
      const done = (): void => {
        clearTimeout(limit);
        this.#onService = null;
        resolve();
      };
      this.#onService = () => {
        if (!delivering()) done();
      };
    });
  }

  closeAll(): void {
    for (const { host } of this.#pending.values()) host.destroy();
    this.#pending.clear();
    for (const relay of this.#relays) {
      relay.abort();
      this.#release(relay);
    }
  }

  // TcpParent: the children made from guest SYNs report to their relay through its waker.
  hasRoom(): boolean { return true; }
  childEstablished(): void {}
  childClosed(): void {}

  #connected({ host, syn, src, dst }: PendingConnect): void {
    const { iface, sockets } = this.#o;
    const local: Endpoint = { addr: dst, port: syn.dstPort }, remote: Endpoint = { addr: src, port: syn.srcPort };
    const conn = TcpSocket.fromSyn(iface, this.#o.tcp, { local, remote, parent: this }, syn);
    sockets.add(conn);
    this.#start(host, conn);
  }

  #start(host: Socket, conn: TcpSocket): void {
    const relay = new TcpRelay(host, conn, (r) => this.#mark(r));
    this.#relays.add(relay);
    this.stats.opened++;
    this.#mark(relay);
  }

  #mark(relay: TcpRelay): void {
    this.#dirty.add(relay);
    this.#o.kick();
  }

  #release(relay: TcpRelay): void {
    this.#relays.delete(relay);
    this.#dirty.delete(relay);
    this.#o.sockets.release(relay.conn.handle);
  }

  #refuse(src: Ipv4Address, dst: Ipv4Address, syn: TcpRepr): void {
    this.stats.refused++;
    this.#o.iface.sendTcp(dst, src, tcpResetFor(syn));
  }

  #dropForward(host: Socket): void {
    this.stats.forwardsDropped++;
    host.destroy();
  }
}

/** A SYN's Repr owning its data (the parsed one views the received frame). */
function copySyn(seg: TcpRepr): TcpRepr {
  return {
    ...seg,
    sackRanges: [...seg.sackRanges],
    timestamp: seg.timestamp === null ? null : { ...seg.timestamp },
    payload: seg.payload.slice(),
  };
}
