// AF_INET sockets: a proxy implementing Socket (socket.ts) over the net-task's client
// (net-task/ipc: NetClient, in whichever mode the user kernel runs it). The kernel-task
// keeps only the socket id, the SOL_SOCKET options it reports itself, and the poll bits the
// net-task last sent; every other fact (bound address, connection, queues, pending error)
// is the net-task's. Linux: net/ipv4/af_inet.c (inet_create and the inet_*_ops).
//
//   InetSockets   one per user kernel: the client, id → socket, the poll bits of every id
//                 (events can name a socket before the call that made it has returned);
//                 socket(2) waits while the net-task restarts (open answers -EAGAIN then)
//   InetSocket    one socket: decodes sockaddr_in, maps AGAIN, waits nowhere (the syscall
//                 layer waits on `readiness`, which events notify)
//
// SOCK_STREAM is TCP, SOCK_DGRAM UDP, SOCK_DGRAM with IPPROTO_ICMP a ping socket (Linux's,
// allowed to everyone here: no ping_group_range). SOCK_RAW is not served (ESOCKTNOSUPPORT).

import * as E from "../linux-abi/errno.ts";
import { CAP_NET_BIND_SERVICE } from "../linux-abi/capability.ts";
import { FIONREAD, SIOCATMARK } from "../linux-abi/ioctl.ts";
import { SIZEOF_TCP_INFO, TCP_INFO, decodeSockaddrIn, encodeSockaddrIn } from "../linux-abi/inet.ts";
import {
  AF_INET, AF_UNSPEC, IPPROTO_ICMP, IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, MSG_TRUNC, SIOCOUTQ, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_BROADCAST,
  SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, type Ucred,
} from "../linux-abi/socket.ts";
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP } from "../linux-abi/poll.ts";
import type { FsDirPage, FsStat } from "../fs-task/file_system.ts";
import { NO_ADDRESS, SocketKind, type NetClient, type NetRecv, type NetTcpInfo } from "../net-task/mod.ts";
import { capable } from "./capabilities.ts";
import type { IoctlAccess } from "./file.ts";
import { interfaceIoctl, isInterfaceIoctl } from "./inet_ioctl.ts";
import type { Thread } from "./process.ts";
import { socketStat, type OutgoingMessage, type Received, type Socket } from "./socket.ts";
import { SocketOptions } from "./socket_options.ts";
import { AGAIN, WaitQueue, sleep } from "./wait_queue.ts";

/** The largest UDP payload (65535 - IP header - UDP header). */
const UDP_MAX_PAYLOAD = 65507;
/** ip_unprivileged_port_start: lower ports need CAP_NET_BIND_SERVICE. */
const UNPRIVILEGED_PORT_START = 1024;
/** Poll bits after which a receive (accept) or a send (connect) may go on. */
const READY_IN = POLLIN | POLLERR | POLLHUP | POLLRDHUP;
const READY_OUT = POLLOUT | POLLERR | POLLHUP;
/** How often an -EAGAIN is asked again while the poll bits say ready (bounded: a datagram may not fit yet). */
const RETRIES_ON_NEWS = 4;

/** The user kernel's AF_INET sockets and its net-task. */
export class InetSockets {
  readonly net: NetClient;
  /** Woken when a restarted net-task serves (null: the net-task is not supervised). */
  readonly back: WaitQueue | null;
  readonly #nextIno: () => number;
  readonly #sockets = new Map<number, InetSocket>();
  readonly #masks = new Map<number, number>();

  constructor(net: NetClient, nextIno: () => number, back: WaitQueue | null = null) {
    this.net = net;
    this.back = back;
    this.#nextIno = nextIno;
    net.setReadinessSink((id, mask) => {
      const old = this.#masks.get(id) ?? 0;
      this.#masks.set(id, mask);
      // The key: bits that came on, or (activity without a change) the whole mask.
      this.#sockets.get(id)?.readiness.notify(mask & ~old || mask);
    });
  }

  nextIno(): number {
    return this.#nextIno();
  }

  maskOf(id: number): number {
    return this.#masks.get(id) ?? 0;
  }

  /** The socket with this id, for /proc/net (inode and owner). */
  byId(id: number): InetSocket | undefined {
    return this.#sockets.get(id);
  }

  add(s: InetSocket): void {
    this.#sockets.set(s.id, s);
  }

  /** After the net-task closed the id: no event can name it any more. */
  remove(id: number): void {
    this.#sockets.delete(id);
    this.#masks.delete(id);
  }
}

/**
 * socket(AF_INET, type, protocol) (inet_create): the socket or -errno; while the net-task
 * restarts, a promise of them (the call sleeps until a new instance serves).
 */
export function createInetSocket(sockets: InetSockets, t: Thread, type: number, protocol: number): InetSocket | number | Promise<InetSocket | number> {
  const made = inetSocket(sockets, t, type, protocol);
  if (made !== -E.EAGAIN || sockets.back === null) return made;
  let socket: InetSocket | null = null;
  const retry = (): number => {
    const r = inetSocket(sockets, t, type, protocol);
    if (typeof r === "number") return r;
    socket = r;
    return 0;
  };
  const r = sleep(t, [sockets.back], retry);
  const settle = (n: number): InetSocket | number => (n < 0 ? n : socket!);
  return typeof r === "number" ? settle(r) : r.then(settle);
}

function inetSocket(sockets: InetSockets, t: Thread, type: number, protocol: number): InetSocket | number {
  let kind: number;
  if (type === SOCK_STREAM && (protocol === IPPROTO_IP || protocol === IPPROTO_TCP)) kind = SocketKind.Tcp;
  else if (type === SOCK_DGRAM && (protocol === IPPROTO_IP || protocol === IPPROTO_UDP)) kind = SocketKind.Udp;
  else if (type === SOCK_DGRAM && protocol === IPPROTO_ICMP) kind = SocketKind.Icmp;
  else if (type === SOCK_STREAM || type === SOCK_DGRAM) return -E.EPROTONOSUPPORT;
  else return -E.ESOCKTNOSUPPORT;
  const id = sockets.net.open(kind);
  if (id < 0) return id;
  const real = kind === SocketKind.Tcp ? IPPROTO_TCP : kind === SocketKind.Udp ? IPPROTO_UDP : IPPROTO_ICMP;
  return new InetSocket(sockets, id, type, real, { uid: t.process.creds.euid, gid: t.process.creds.egid, pid: t.process.pid });
}

export class InetSocket implements Socket {
  readonly family = AF_INET;
  readonly seekable = false;
  readonly options = new SocketOptions();
  readonly readiness = new WaitQueue();
  readonly ino: number;
  readonly path: string;
  #listening = false;
  #released = false;
  /** The receive in progress (its Received record) and whether it moved bytes yet. */
  #receiving: Received | null = null;
  #received = 0;
  readonly #createdNs = BigInt(Date.now()) * 1_000_000n;

  constructor(
    readonly sockets: InetSockets,
    /** The net-task's socket id. */
    readonly id: number,
    readonly type: number,
    readonly protocol: number,
    /** Who made it (fstat's owner, /proc/net's uid). */
    readonly owner: Ucred,
  ) {
    this.ino = sockets.nextIno();
    this.path = `socket:[${this.ino}]`;
    sockets.add(this);
  }

  get #net(): NetClient {
    return this.sockets.net;
  }

  get socket(): Socket {
    return this;
  }

  get listening(): boolean {
    return this.#listening;
  }

  get isStream(): boolean {
    return this.type === SOCK_STREAM;
  }

  get pipeSignals(): boolean {
    return this.type === SOCK_STREAM;
  }

  // ----- names and connections ------------------------------------------------------------

  bind(t: Thread, addr: Uint8Array): number {
    const a = decodeSockaddrIn(addr);
    if (a === null) return -E.EINVAL;
    // inet_bind: AF_UNSPEC passes for INADDR_ANY only (old programs).
    if (a.family !== AF_INET && !(a.family === AF_UNSPEC && a.addr === 0)) return -E.EAFNOSUPPORT;
    if (a.port !== 0 && a.port < UNPRIVILEGED_PORT_START && !capable(t.process.creds, CAP_NET_BIND_SERVICE)) return -E.EACCES;
    return this.#net.bind(this.id, a.addr, a.port);
  }

  listen(_t: Thread, backlog: number): number {
    if (this.type !== SOCK_STREAM) return -E.EOPNOTSUPP;
    const r = this.#net.listen(this.id, backlog);
    if (r === 0) this.#listening = true;
    return r;
  }

  accept(t: Thread): Socket | number {
    if (this.type !== SOCK_STREAM) return -E.EOPNOTSUPP;
    if (!this.#listening) return -E.EINVAL;
    const id = this.#asking(READY_IN, () => this.#net.accept(this.id));
    if (id < 0) return id;
    const s = new InetSocket(this.sockets, id, this.type, this.protocol, { uid: t.process.creds.euid, gid: t.process.creds.egid, pid: t.process.pid });
    // sk_clone_lock: the new socket starts with the listener's settings.
    s.options.cloneFrom(this.options);
    return s;
  }

  connect(_t: Thread, addr: Uint8Array, nonblocking: boolean): number {
    if (addr.length >= 2 && (addr[0]! | (addr[1]! << 8)) === AF_UNSPEC) return this.#net.connect(this.id, NO_ADDRESS, 0);
    const a = decodeSockaddrIn(addr);
    if (a === null) return -E.EINVAL;
    if (a.family !== AF_INET) return -E.EAFNOSUPPORT;
    const ask = (): number => {
      const r = this.#net.connect(this.id, a.addr, a.port);
      return r === -E.EALREADY && !nonblocking ? -E.EAGAIN : r;
    };
    const r = this.#asking(READY_OUT, ask);
    if (r === -E.EINPROGRESS || r === -E.EALREADY || r === -E.EAGAIN) return nonblocking ? r : AGAIN;
    return r;
  }

  shutdown(how: number): number {
    return this.#net.shutdown(this.id, how);
  }

  localAddress(): Uint8Array {
    const n = this.#net.name(this.id, false);
    return typeof n === "number" ? encodeSockaddrIn(0, 0) : encodeSockaddrIn(n.addr, n.port);
  }

  peerAddress(): Uint8Array | number {
    const n = this.#net.name(this.id, true);
    return typeof n === "number" ? n : encodeSockaddrIn(n.addr, n.port);
  }

  peerCredentials(): Ucred | null {
    return null;
  }

  takeError(): number {
    return Math.max(0, this.#net.takeError(this.id));
  }

  // ----- data ---------------------------------------------------------------------------------

  send(_t: Thread, msg: OutgoingMessage, offset: number): number {
    const data = offset === 0 ? msg.data : msg.data.subarray(offset);
    let addr = NO_ADDRESS, port = 0;
    if (this.type !== SOCK_STREAM) {
      if (data.length > UDP_MAX_PAYLOAD) return -E.EMSGSIZE;
      if (msg.to !== null) {
        const a = decodeSockaddrIn(msg.to);
        if (a === null) return -E.EINVAL;
        if (a.family !== AF_INET && a.family !== AF_UNSPEC) return -E.EAFNOSUPPORT;
        addr = a.addr;
        port = a.port;
      }
    }
    const r = this.#asking(READY_OUT, () => this.#net.send(this.id, data, msg.flags, addr, port));
    return r === -E.EAGAIN ? AGAIN : r;
  }

  recv(dst: Uint8Array, flags: number, skip: number, got: Received): number {
    let found: NetRecv | null = null;
    // The syscall layer calls again within one receive after bytes moved (same `got`).
    const more = this.#receiving === got && this.#received > 0;
    const r = this.#asking(READY_IN, () => {
      const v = this.#net.recv(this.id, dst, flags, skip, more);
      if (typeof v === "number") return v;
      found = v;
      return v.n;
    });
    this.#receiving = got;
    this.#received = r > 0 ? r : 0;
    if (r === -E.EAGAIN) return AGAIN;
    return found === null ? r : this.#datagram(found, got);
  }

  /**
   * Asks the net-task; an -EAGAIN stands only if the poll bits that came with the answer
   * do not say the socket became ready for `want` meanwhile (the net-task polls its stack
   * after answering: on loopback, a send's own ACKs can free room before the reply). Without
   * this, the caller would sleep on a change that already happened and wait for ever.
   */
  #asking(want: number, ask: () => number): number {
    let r = ask();
    for (let i = 0; i < RETRIES_ON_NEWS && r === -E.EAGAIN && (this.sockets.maskOf(this.id) & want) !== 0; i++) r = ask();
    return r;
  }

  #datagram(r: NetRecv, got: Received): number {
    got.from = encodeSockaddrIn(r.addr, r.port);
    got.full = r.full;
    if (r.n < r.full) got.flags |= MSG_TRUNC;
    return r.n;
  }

  // ----- options ------------------------------------------------------------------------------

  /** A SOL_SOCKET option the kernel-task stored that the net-task acts on too. */
  socketOptionSet(name: number): void {
    const o = this.options;
    let v: number;
    switch (name) {
      case SO_REUSEADDR: case SO_REUSEPORT: case SO_BROADCAST: case SO_KEEPALIVE: v = o.flag(name); break;
      case SO_RCVBUF: v = o.rcvbuf; break;
      case SO_SNDBUF: v = o.sndbuf; break;
      case SO_LINGER: v = o.linger.on !== 0 ? Math.max(0, o.linger.seconds) : -1; break;
      default: return;
    }
    this.#net.setOption(this.id, SOL_SOCKET, name, v);
  }

  getProtocolOption(level: number, name: number): Uint8Array | number {
    if (level === IPPROTO_TCP && name === TCP_INFO) {
      const info = this.#net.tcpInfo(this.id);
      return typeof info === "number" ? info : encodeTcpInfo(info);
    }
    const v = this.#net.getOption(this.id, level, name);
    if (v < 0) return v;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return b;
  }

  setProtocolOption(level: number, name: number, value: Uint8Array): number {
    if (value.length < 4) return -E.EINVAL;
    return this.#net.setOption(this.id, level, name, new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true));
  }

  // ----- the file side ------------------------------------------------------------------------

  poll(): number {
    return this.sockets.maskOf(this.id);
  }

  /** read(2) and write(2) reach recv and send through the socket layer. */
  read(): number {
    return -E.EINVAL;
  }

  write(): number {
    return -E.EINVAL;
  }

  stat(): FsStat {
    return socketStat(this.ino, this.owner, this.#createdNs);
  }

  readdir(): FsDirPage | number {
    return -E.ENOTDIR;
  }

  truncate(): number {
    return -E.EINVAL;
  }

  /** FIONREAD (SIOCINQ), SIOCOUTQ, SIOCATMARK, and the SIOCGIF* calls ifconfig makes. */
  ioctl(request: number, argp: number, io: IoctlAccess): number {
    if (isInterfaceIoctl(request)) return interfaceIoctl(this.#net, request, argp, io);
    let v: number;
    if (request === SIOCATMARK && this.type === SOCK_STREAM) {
      // tcp_ioctl: at the urgent mark; no urgent data is ever queued here, so never (UDP: ENOTTY).
      v = 0;
    } else if (request === FIONREAD || request === SIOCOUTQ) {
      v = this.#net.queued(this.id, request === SIOCOUTQ);
      if (v < 0) return v;
    } else {
      return -E.ENOTTY;
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return io.write(argp, b) ? 0 : -E.EFAULT;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#net.close(this.id);
    this.sockets.remove(this.id);
  }
}

/** struct tcp_info's first SIZEOF_TCP_INFO bytes. */
function encodeTcpInfo(i: NetTcpInfo): Uint8Array {
  const b = new Uint8Array(SIZEOF_TCP_INFO);
  const v = new DataView(b.buffer);
  v.setUint8(0, i.state);
  v.setUint8(2, i.retransmits);
  v.setUint8(5, i.options);
  v.setUint8(6, (i.sndWscale & 0xf) | ((i.rcvWscale & 0xf) << 4));
  const u32 = (at: number, x: number): void => v.setUint32(at, Math.max(0, Math.min(0xffffffff, Math.round(x))), true);
  u32(8, i.rtoUs);
  u32(16, i.sndMss);
  u32(20, i.rcvMss);
  u32(24, i.unacked);
  u32(52, i.lastDataRecvMs);
  u32(68, i.rttUs);
  u32(72, i.rttvarUs);
  u32(76, i.sndSsthresh);
  u32(80, i.sndCwnd);
  u32(84, i.advmss);
  u32(96, i.rcvSpace);
  return b;
}
