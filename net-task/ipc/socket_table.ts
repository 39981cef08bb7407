// The net-task's socket table: socket id → row (_entry.ts: the stack object, the bound
// endpoint, options, shutdown bits, where connect stands), and NetService, which answers
// the NetApi (api.ts) over it. It is transport-free: the inproc client calls it directly,
// the ipc server and the worker through NetDispatcher (dispatcher.ts). Linux:
// net/ipv4/af_inet.c (inet_bind, inet_listen, __inet_stream_connect, inet_shutdown),
// net/ipv4/tcp.c, net/ipv4/udp.c, net/ipv4/ping.c.
//
// Readiness: each stack object's waker marks its row dirty, and so does every call that
// names a row; settle() (after each request, and after each poll the stack made on its own)
// computes the dirty rows' poll bits and queues an event for each that changed. The
// transport takes the events (drainEvents) and carries them to the kernel-task.
//
// Ports: a bind conflicts with a row of the same protocol on that port whose address
// overlaps (either is 0.0.0.0, or they are equal), unless both set SO_REUSEPORT, or both
// set SO_REUSEADDR and the other is not listening; a connection still finishing without an
// owner (TIME-WAIT) conflicts unless the new row set SO_REUSEADDR (inet_csk_bind_conflict).
// Port 0 picks a free one in 32768-60999 from a random start.

import * as E from "../../linux-abi/errno.ts";
import { MSG_OOB, MSG_PEEK, SHUT_RD, SHUT_RDWR } from "../../linux-abi/socket.ts";
import { IcmpSocket } from "../socket/icmp.ts";
import { EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST } from "../socket/socket_set.ts";
import { TcpSocket, type TcpError } from "../socket/tcp.ts";
import { TcpListener } from "../socket/tcp_listener.ts";
import { type TcpOptions } from "../socket/tcp_options.ts";
import { UDP_MAX_PAYLOAD, UdpSocket } from "../socket/udp.ts";
import { type Endpoint } from "../socket/endpoint.ts";
import { IPV4_BROADCAST, isMulticastIpv4 } from "../wire/address.ts";
import { NO_ADDRESS, SocketKind, type NetApi, type NetEndpoint, type NetInterfaceInfo, type NetRecv, type NetSocketRow, type NetTcpInfo, type ReadinessSink } from "./api.ts";
import { RCV_SHUTDOWN, SEND_SHUTDOWN, newRow, rowReadiness, type Row, type StackSocket } from "./_entry.ts";
import { configureTcp, getRowOption, setRowOption } from "./_options.ts";
import { interfaceInfo, socketRows, tcpInfoOf } from "./_reports.ts";
import { type NetStack } from "./net_stack.ts";

/** SOMAXCONN (net.core.somaxconn): listen's backlog at most. */
const SOMAXCONN = 4096;
/** Rows at most: a guest that opens sockets forever gets EMFILE-like ENOBUFS, not host memory. */
const MAX_ROWS = 65536;
const INADDR_LOOPBACK = 0x7f000001;

/** A TCP error as Linux's tcp_reset and the timers report it: a reset in CLOSE-WAIT is EPIPE. */
function errnoOf(e: TcpError, s: TcpSocket): number {
  if (e === "reset") return s.finReceived ? E.EPIPE : E.ECONNRESET;
  return e === "refused" ? E.ECONNREFUSED : E.ETIMEDOUT;
}

export class NetService implements NetApi {
  readonly stack: NetStack;
  readonly #rows = new Map<number, Row>();
  readonly #dirty = new Set<Row>();
  /** Rows whose stack object woke (data, room, a state change): an event even when the bits stay (an edge for EPOLLET). */
  readonly #woken = new Set<Row>();
  /** Events not yet taken: (id, mask) pairs. */
  readonly #events: number[] = [];
  #nextId = 1;

  constructor(stack: NetStack) {
    this.stack = stack;
  }

  // ---- Readiness events ------------------------------------------------------------------

  /** Polls the stack, then queues an event for each row whose readiness changed. */
  settle(): void {
    this.stack.poll();
    for (const row of this.#dirty) {
      const mask = rowReadiness(row);
      if (mask !== row.reported || this.#woken.has(row)) {
        row.reported = mask;
        this.#events.push(row.id, mask);
      }
    }
    this.#dirty.clear();
    this.#woken.clear();
  }

  get hasEvents(): boolean {
    return this.#events.length > 0;
  }

  /** Hands up to `max` events to `sink`; true when more are left. */
  drainEvents(sink: ReadinessSink, max = Infinity): boolean {
    const n = Math.min(this.#events.length, 2 * max);
    for (let i = 0; i < n; i += 2) sink(this.#events[i]!, this.#events[i + 1]!);
    this.#events.splice(0, n);
    return this.#events.length > 0;
  }

  /** A row by id (marked dirty: the caller may change its readiness), or null. */
  #row(id: number): Row | null {
    const row = this.#rows.get(id) ?? null;
    if (row !== null) this.#dirty.add(row);
    return row;
  }

  #attach(row: Row, s: StackSocket): void {
    row.stack = s;
    if (s.handle < 0) this.stack.sockets.add(s);
    s.setWaker(() => {
      this.#dirty.add(row);
      this.#woken.add(row);
    });
  }

  // ---- Lifecycle ---------------------------------------------------------------------------

  open(kind: number): number {
    if (kind !== SocketKind.Tcp && kind !== SocketKind.Udp && kind !== SocketKind.Icmp) return -E.EPROTONOSUPPORT;
    if (this.#rows.size >= MAX_ROWS) return -E.ENOBUFS;
    const row = newRow(this.#nextId++, kind);
    this.#rows.set(row.id, row);
    this.#dirty.add(row);
    return row.id;
  }

  close(id: number): number {
    const row = this.#rows.get(id);
    if (row === undefined) return -E.EBADF;
    this.#rows.delete(id);
    this.#dirty.delete(row);
    this.#woken.delete(row);
    const s = row.stack;
    if (s === null) return 0;
    if (s instanceof TcpSocket) {
      // Unread data or SO_LINGER of 0 s: a reset, as tcp_close sends one.
      if (s.recvQueue > 0 || row.options.linger === 0) s.abort();
      else {
        s.close();
        s.closeReceive();
      }
      this.stack.sockets.release(s.handle);
    } else {
      s.close();
      this.stack.sockets.remove(s.handle);
    }
    return 0;
  }

  // ---- Names and ports ------------------------------------------------------------------------

  bind(id: number, addr: number, port: number): number {
    const row = this.#row(id);
    if (row === null) return -E.EBADF;
    if (row.local.port !== 0 || row.stack instanceof TcpSocket || row.stack instanceof TcpListener) return -E.EINVAL;
    // inet_bind: an address must be one of ours (or any, or a broadcast for datagrams).
    if (addr !== 0 && !this.stack.router.isLocal(addr) && !(row.kind !== SocketKind.Tcp && (addr === IPV4_BROADCAST || isMulticastIpv4(addr)))) {
      return -E.EADDRNOTAVAIL;
    }
    return this.#bindTo(row, addr, port);
  }

  /** Takes `port` (0: a free one) at `addr` for the row, or -EADDRINUSE. */
  #bindTo(row: Row, addr: number, port: number): number {
    if (port === 0) {
      const free = this.#freePort(row);
      if (free === null) return -E.EADDRINUSE;
      port = free;
    } else if (this.#conflicts(row, addr, port)) {
      return -E.EADDRINUSE;
    }
    row.local = { addr, port };
    if (row.kind === SocketKind.Udp) {
      const u = row.stack instanceof UdpSocket ? row.stack : new UdpSocket();
      u.bind(row.local);
      this.#attach(row, u);
    } else if (row.kind === SocketKind.Icmp) {
      const p = row.stack instanceof IcmpSocket ? row.stack : new IcmpSocket();
      p.bind(port);
      this.#attach(row, p);
    }
    return 0;
  }

  #conflicts(row: Row, addr: number, port: number): boolean {
    const o = row.options;
    const overlaps = (a: number): boolean => a === 0 || addr === 0 || a === addr;
    for (const other of this.#rows.values()) {
      if (other === row || other.kind !== row.kind || other.local.port !== port || !overlaps(other.local.addr)) continue;
      if (o.reusePort && other.options.reusePort) continue;
      if (o.reuseAddr && other.options.reuseAddr && !(other.stack instanceof TcpListener)) continue;
      return true;
    }
    if (row.kind !== SocketKind.Tcp || o.reuseAddr) return false;
    // Connections finishing on their own (no row names them any more).
    for (const s of this.stack.sockets.values()) {
      if (s instanceof TcpSocket && s.orphaned && !s.isClosed && s.local.port === port && overlaps(s.local.addr)) return true;
    }
    return false;
  }

  #freePort(row: Row): number | null {
    const span = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    const start = this.stack.router.random() % span;
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_PORT_FIRST + ((start + i) % span);
      if (!this.#conflicts(row, 0, port)) return port;
    }
    return null;
  }

  name(id: number, peer: boolean): NetEndpoint | number {
    const row = this.#rows.get(id);
    if (row === undefined) return -E.EBADF;
    const s = row.stack;
    if (peer) {
      if (s instanceof TcpSocket) return row.connect === "connected" || (s.state !== "CLOSED" && s.state !== "SYN-SENT") ? { ...s.remote } : -E.ENOTCONN;
      return row.peer !== null && row.kind !== SocketKind.Tcp ? { ...row.peer } : -E.ENOTCONN;
    }
    if (s instanceof TcpSocket && s.local.port !== 0) return { ...s.local };
    return { ...row.local };
  }

  // ---- Connections (TCP) -------------------------------------------------------------------

  listen(id: number, backlog: number): number {
    const row = this.#row(id);
    if (row === null) return -E.EBADF;
    if (row.kind !== SocketKind.Tcp) return -E.EOPNOTSUPP;
    const b = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
    if (row.stack instanceof TcpListener) {
      row.stack.listen(row.local, b);
      return 0;
    }
    if (row.stack !== null) return -E.EINVAL;
    if (row.local.port === 0) {
      const r = this.#bindTo(row, 0, 0);
      if (r < 0) return r;
    } else if (this.#listenerConflicts(row)) {
      return -E.EADDRINUSE;
    }
    const listener = new TcpListener({ ...this.#tcpOptions(row), backlog: b });
    this.#attach(row, listener);
    listener.listen(row.local, b);
    return 0;
  }

  /** inet_csk_get_port at listen: SO_REUSEADDR lets two bind, not both listen. */
  #listenerConflicts(row: Row): boolean {
    for (const other of this.#rows.values()) {
      if (other === row || other.kind !== SocketKind.Tcp || other.local.port !== row.local.port) continue;
      const overlap = other.local.addr === 0 || row.local.addr === 0 || other.local.addr === row.local.addr;
      if (overlap && other.stack instanceof TcpListener && !(row.options.reusePort && other.options.reusePort)) return true;
    }
    return false;
  }

  accept(id: number): number {
    const row = this.#row(id);
    if (row === null) return -E.EBADF;
    const listener = row.stack;
    if (!(listener instanceof TcpListener) || !listener.isListening) return row.kind === SocketKind.Tcp ? -E.EINVAL : -E.EOPNOTSUPP;
    if (this.#rows.size >= MAX_ROWS) return -E.ENFILE;
    const child = listener.accept();
    if (child === null) return -E.EAGAIN;
    const made = newRow(this.#nextId++, SocketKind.Tcp);
    made.options = { ...row.options };
    made.local = { ...child.local };
    made.connect = "connected";
    this.#rows.set(made.id, made);
    this.#attach(made, child);
    configureTcp(made, child);
    this.#dirty.add(made);
    return made.id;
  }

  connect(id: number, addr: number, port: number): number {
    const row = this.#row(id);
    if (row === null) return -E.EBADF;
    if (row.kind !== SocketKind.Tcp) return this.#connectDatagram(row, addr, port);
    const s = row.stack;
    if (addr === NO_ADDRESS) {
      // AF_UNSPEC: tcp_disconnect.
      if (s instanceof TcpSocket) {
        s.abort();
        this.stack.sockets.release(s.handle);
        row.stack = null;
      }
      row.connect = "unconnected";
      return 0;
    }
    if (s instanceof TcpListener) return -E.EISCONN;
    if (row.connect === "connected") return -E.EISCONN;
    if (row.connect === "connecting" && s instanceof TcpSocket) {
      if (s.state === "SYN-SENT" || s.state === "SYN-RECEIVED") return -E.EALREADY;
      if (s.state === "CLOSED") {
        row.connect = "unconnected";
        const err = s.takeError();
        return err !== null ? -errnoOf(err, s) : -E.ECONNABORTED;
      }
      row.connect = "connected";
      return 0;
    }
    return this.#startConnect(row, addr === 0 ? INADDR_LOOPBACK : addr, port);
  }

  #startConnect(row: Row, addr: number, port: number): number {
    if (addr === IPV4_BROADCAST || isMulticastIpv4(addr)) return -E.ENETUNREACH;
    const router = this.stack.router;
    if (router.sourceAddressFor(addr) === null) return -E.ENETUNREACH;
    if (row.local.port === 0) {
      const r = this.#bindTo(row, 0, 0);
      if (r < 0) return r;
    }
    if (port === 0) return -E.ECONNREFUSED;
    const old = row.stack;
    if (old instanceof TcpSocket) this.stack.sockets.release(old.handle);
    const s = new TcpSocket(this.#tcpOptions(row));
    this.#attach(row, s);
    const r = router.connect(this.stack.sockets, s.handle, { addr, port }, row.local);
    if (r !== "ok") return r === "no-route" ? -E.ENETUNREACH : r === "no-port" ? -E.EADDRNOTAVAIL : -E.EINVAL;
    row.connect = "connecting";
    return -E.EINPROGRESS;
  }

  #tcpOptions(row: Row): TcpOptions {
    const o = row.options;
    const options: TcpOptions = {
      noDelay: o.noDelay, keepAlive: o.keepAlive, keepAliveIdle: o.keepIdle * 1000, keepAliveInterval: o.keepIntvl * 1000,
      keepAliveCount: o.keepCnt, mss: o.maxseg > 0 ? o.maxseg : null,
    };
    if (o.rcvbuf > 0) options.rxBufferSize = o.rcvbuf;
    if (o.sndbuf > 0) options.txBufferSize = o.sndbuf;
    return options;
  }

  /** A datagram socket's default destination (ip4_datagram_connect); NO_ADDRESS removes it. */
  #connectDatagram(row: Row, addr: number, port: number): number {
    if (addr === NO_ADDRESS) {
      row.peer = null;
      if (row.stack instanceof UdpSocket) row.stack.connect(null);
      return 0;
    }
    const to = addr === 0 ? INADDR_LOOPBACK : addr;
    if (to === IPV4_BROADCAST && !row.options.broadcast) return -E.EACCES;
    const src = this.stack.router.sourceAddressFor(to);
    if (src === null) return -E.ENETUNREACH;
    if (row.local.port === 0) {
      const r = this.#bindTo(row, 0, 0);
      if (r < 0) return r;
    }
    // The source address is fixed now, as Linux fixes inet_saddr at connect.
    if (row.local.addr === 0 && !isMulticastIpv4(to) && to !== IPV4_BROADCAST) row.local = { addr: src, port: row.local.port };
    row.peer = { addr: to, port };
    if (row.stack instanceof UdpSocket) {
      row.stack.bind(row.local);
      row.stack.connect(row.peer);
    }
    return 0;
  }

  shutdown(id: number, how: number): number {
    const row = this.#row(id);
    if (row === null) return -E.EBADF;
    if (how < SHUT_RD || how > SHUT_RDWR) return -E.EINVAL;
    const bits = how + 1;
    const s = row.stack;
    if (s instanceof TcpListener) {
      // inet_shutdown on a listener: SHUT_RD stops it (tcp_disconnect).
      if (bits & RCV_SHUTDOWN) {
        s.close();
        this.stack.sockets.remove(s.handle);
        row.stack = null;
      }
      return 0;
    }
    const connected = s instanceof TcpSocket ? s.state !== "CLOSED" : row.peer !== null;
    row.shut |= bits;
    if (s instanceof TcpSocket) {
      if (s.state === "SYN-SENT") {
        s.abort();
        row.connect = "unconnected";
      } else if (bits & SEND_SHUTDOWN) {
        s.close();
      }
    }
    return connected ? 0 : -E.ENOTCONN;
  }

  // ---- Data ---------------------------------------------------------------------------------

  send(id: number, data: Uint8Array, flags: number, addr: number, port: number): number {
    const row = this.#row(id);
    if (row === null) return -E.EBADF;
    if (flags & MSG_OOB) return -E.EOPNOTSUPP;
    if (row.kind !== SocketKind.Tcp) return this.#sendDatagram(row, data, addr, port);
    const s = row.stack;
    if (!(s instanceof TcpSocket)) return -E.EPIPE;
    if (row.shut & SEND_SHUTDOWN) return -E.EPIPE;
    const r = s.send(data);
    if (typeof r === "number") return r;
    switch (r) {
      case "again": return -E.EAGAIN;
      case "closed": case "not-connected": return -E.EPIPE;
      default: return -errnoOf(r, s);
    }
  }

  #sendDatagram(row: Row, data: Uint8Array, addr: number, port: number): number {
    if (row.shut & SEND_SHUTDOWN) return -E.EPIPE;
    let to: Endpoint;
    if (addr !== NO_ADDRESS) to = { addr: addr === 0 ? INADDR_LOOPBACK : addr, port };
    else if (row.peer !== null) to = row.peer;
    else return -E.EDESTADDRREQ;
    if (row.kind === SocketKind.Udp) {
      if (to.port === 0) return -E.EINVAL;
      if (data.length > UDP_MAX_PAYLOAD) return -E.EMSGSIZE;
    }
    if (to.addr === IPV4_BROADCAST && !row.options.broadcast) return -E.EACCES;
    if (this.stack.router.sourceAddressFor(to.addr) === null) return -E.ENETUNREACH;
    if (row.local.port === 0) {
      const r = this.#bindTo(row, 0, 0);
      if (r < 0) return r;
    }
    const s = row.stack;
    const r = s instanceof UdpSocket ? s.sendTo(data, to) : s instanceof IcmpSocket ? s.sendTo(data, to.addr) : "unbound";
    if (typeof r === "number") return r;
    switch (r) {
      case "full": return -E.EAGAIN;
      case "too-big": return -E.EMSGSIZE;
      default: return -E.EINVAL;
    }
  }

  recv(id: number, into: Uint8Array, flags: number, skip: number, more: boolean): NetRecv | number {
    const row = this.#row(id);
    if (row === null) return -E.EBADF;
    const peek = (flags & MSG_PEEK) !== 0;
    const s = row.stack;
    if (row.kind !== SocketKind.Tcp) {
      if (flags & MSG_OOB) return -E.EOPNOTSUPP;
      const got = s instanceof UdpSocket || s instanceof IcmpSocket ? s.recvFrom(into, peek) : null;
      if (got === null) return row.shut & RCV_SHUTDOWN ? 0 : -E.EAGAIN;
      return { n: got.copied, full: got.size, addr: got.from.addr, port: got.from.port };
    }
    if (flags & MSG_OOB) return -E.EINVAL;
    if (!(s instanceof TcpSocket)) return row.shut & RCV_SHUTDOWN ? 0 : -E.ENOTCONN;
    if (more && s.error !== null && s.recvQueue <= skip) return -E.EAGAIN;
    const r = s.recv(into, peek, skip);
    if (typeof r === "number") return r;
    if (r === "again") return row.shut & RCV_SHUTDOWN ? 0 : -E.EAGAIN;
    if (r === "not-connected") return row.shut & RCV_SHUTDOWN ? 0 : -E.ENOTCONN;
    return -errnoOf(r, s);
  }

  queued(id: number, out: boolean): number {
    const row = this.#rows.get(id);
    if (row === undefined) return -E.EBADF;
    const s = row.stack;
    if (s instanceof TcpListener) return -E.EINVAL;
    if (s instanceof TcpSocket) return out ? s.sendQueue : s.recvQueue;
    if (s instanceof UdpSocket) return out ? s.sendQueue : (s.peekSize() ?? 0);
    if (s instanceof IcmpSocket) return out ? s.sendQueue : (s.peekSize() ?? 0);
    return 0;
  }

  // ---- Options ------------------------------------------------------------------------------

  setOption(id: number, level: number, name: number, value: number): number {
    const row = this.#row(id);
    return row === null ? -E.EBADF : setRowOption(row, level, name, value);
  }

  getOption(id: number, level: number, name: number): number {
    const row = this.#rows.get(id);
    if (row === undefined) return -E.EBADF;
    const s = row.stack;
    const peer = s instanceof TcpSocket && s.state !== "CLOSED" ? s.remote.addr : row.peer?.addr ?? null;
    return getRowOption(row, level, name, peer === null ? 0 : this.stack.router.mtuFor(peer));
  }

  takeError(id: number): number {
    const row = this.#row(id);
    if (row === null) return -E.EBADF;
    const s = row.stack;
    const err = s instanceof TcpSocket ? s.takeError() : null;
    return err === null || !(s instanceof TcpSocket) ? 0 : errnoOf(err, s);
  }

  tcpInfo(id: number): NetTcpInfo | number {
    const row = this.#rows.get(id);
    if (row === undefined) return -E.EBADF;
    if (row.kind !== SocketKind.Tcp) return -E.ENOPROTOOPT;
    return tcpInfoOf(row.stack, this.stack.router.now);
  }

  // ---- Reports ------------------------------------------------------------------------------

  interfaces(): NetInterfaceInfo[] {
    return interfaceInfo(this.stack.router);
  }

  sockets(kind: number): NetSocketRow[] {
    return socketRows(this.#rows.values(), this.stack.sockets, kind);
  }

  sync(): number {
    return 0;
  }
}
