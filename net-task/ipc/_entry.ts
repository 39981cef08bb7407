// One row of the socket table (socket_table.ts): what the net-task keeps per socket id
// besides the stack object, and its readiness as Linux's tcp_poll/udp_poll report it.
//
// Lifecycle of a TCP row: fresh (no stack object: socket() and bind() only record), then
// either a TcpListener (listen) or a TcpSocket (connect, or accept from a listener's row);
// the last close hands the stack object to the set, which lets a connection finish on its
// own (FIN, TIME-WAIT), and the row goes. UDP and ping rows get their stack object when
// they are bound (bind, or automatically at connect or the first send).

import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP } from "../../linux-abi/poll.ts";
import { IcmpSocket } from "../socket/icmp.ts";
import { Readiness } from "../socket/readiness.ts";
import { TcpSocket } from "../socket/tcp.ts";
import { TcpListener } from "../socket/tcp_listener.ts";
import { UdpSocket } from "../socket/udp.ts";
import { type Endpoint } from "../socket/endpoint.ts";
import { SocketKind } from "./api.ts";

export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;

/** The options a row keeps (setsockopt), handed to the stack object when it is made. */
export interface RowOptions {
  reuseAddr: boolean;
  reusePort: boolean;
  broadcast: boolean;
  keepAlive: boolean;
  /** SO_LINGER: seconds, or -1 when off. */
  linger: number;
  rcvbuf: number;
  sndbuf: number;
  noDelay: boolean;
  maxseg: number;
  keepIdle: number;
  keepIntvl: number;
  keepCnt: number;
  ttl: number;
  tos: number;
}

export function defaultRowOptions(): RowOptions {
  return {
    reuseAddr: false, reusePort: false, broadcast: false, keepAlive: false, linger: -1, rcvbuf: 0, sndbuf: 0, noDelay: false,
    maxseg: 0, keepIdle: 7200, keepIntvl: 75, keepCnt: 9, ttl: 0, tos: 0,
  };
}

export type StackSocket = TcpSocket | TcpListener | UdpSocket | IcmpSocket;

/** Linux's sock->state for connect(2): where this row's connect stands. */
export type ConnectState = "unconnected" | "connecting" | "connected";

export interface Row {
  readonly id: number;
  readonly kind: number;
  stack: StackSocket | null;
  /** The bound (or automatically chosen) local endpoint; port 0 while unbound. */
  local: Endpoint;
  /** A datagram socket's default destination (connect). */
  peer: Endpoint | null;
  connect: ConnectState;
  /** shutdown(2) bits, RCV_SHUTDOWN and SEND_SHUTDOWN. */
  shut: number;
  /** The readiness last reported (-1: never). */
  reported: number;
  options: RowOptions;
  /** Options only kept and reported (level << 16 | name → value). */
  kept: Map<number, number>;
}

export function newRow(id: number, kind: number): Row {
  return { id, kind, stack: null, local: { addr: 0, port: 0 }, peer: null, connect: "unconnected", shut: 0, reported: -1, options: defaultRowOptions(), kept: new Map() };
}

const SENT_FIN = new Set(["FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "LAST-ACK", "TIME-WAIT", "CLOSED"]);

/** The row's poll bits now. */
export function rowReadiness(row: Row): number {
  const s = row.stack;
  if (row.kind !== SocketKind.Tcp) {
    let mask = s === null ? POLLOUT : 0;
    if (s instanceof UdpSocket || s instanceof IcmpSocket) {
      const r = s.readiness();
      if (r & Readiness.Readable) mask |= POLLIN;
      if (r & Readiness.Writable) mask |= POLLOUT;
    }
    if (row.shut & RCV_SHUTDOWN) mask |= POLLIN | POLLRDHUP;
    if (row.shut === SHUTDOWN_MASK) mask |= POLLHUP;
    return mask;
  }
  if (s === null) return POLLOUT | POLLHUP;
  if (s instanceof TcpListener) return s.readiness() & Readiness.Acceptable ? POLLIN : 0;
  if (!(s instanceof TcpSocket)) return 0;
  // tcp_poll. A connection that ended (reset, refused, closed) has both directions shut.
  const r = s.readiness();
  const state = s.state;
  const shut = row.shut | (r & Readiness.ReadHup ? RCV_SHUTDOWN : 0) | (SENT_FIN.has(state) ? SEND_SHUTDOWN : 0) |
    (state === "CLOSED" ? SHUTDOWN_MASK : 0);
  let mask = 0;
  if (shut === SHUTDOWN_MASK || state === "CLOSED") mask |= POLLHUP;
  if (shut & RCV_SHUTDOWN) mask |= POLLIN | POLLRDHUP;
  if (state !== "SYN-SENT" && state !== "SYN-RECEIVED") {
    if (r & Readiness.Readable) mask |= POLLIN;
    if (shut & SEND_SHUTDOWN || r & Readiness.Writable) mask |= POLLOUT;
  }
  if (r & Readiness.Error) mask |= POLLERR;
  return mask;
}
