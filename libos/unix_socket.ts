// AF_UNIX sockets between the processes of one user kernel: SOCK_STREAM, SOCK_DGRAM and
// SOCK_SEQPACKET. Linux: net/unix/af_unix.c. Names are unix_names.ts; blocking, timeouts and
// signals are the syscall layer's (socket.ts says how the two meet).
//
// Lifecycle of a connection-oriented socket:
//   unconnected   after socket(); bind names it
//   listening     after listen(): connect() makes the server's end at once (an "embryo",
//                 connected to the client), queues it here, and returns; accept() takes it.
//                 A queue longer than the backlog makes connect wait (EAGAIN if non-blocking).
//   connected     each end holds the other as `peer`; socketpair() starts here
//   released      the last close: the peer is shut down both ways (ECONNRESET for it if data
//                 sent to this end was never read), queued embryos are released, and every
//                 message still queued is dropped with the descriptors it carried.
// A datagram socket is unconnected or has a default destination (connect); the receiver
// of a datagram must be unconnected or connected to the sender (EPERM).
//
// Data. A send puts messages in the receiver's queue: one per datagram or seqpacket record,
// one per chunk of a stream (at most half the send buffer). Each message is charged to its
// sender (`inflight`, Linux's sk_wmem_alloc) until read: a sender with its send buffer full
// waits, and poll reports it writable while the charge is at most a quarter of the buffer.
// A message carries the sender's address, credentials (SO_PASSCRED) and SCM_RIGHTS files;
// a stream read never goes past a message that carried files, nor glues data of writers
// with other credentials when SO_PASSCRED is on.
//
// In-flight descriptors are references on open files held by the queued message. A socket
// whose own descriptor sits in its own queue (or a cycle of such) is never released: Linux
// collects those cycles (unix_gc); this kernel-task does not, and they live as long as the
// user kernel.

import * as E from "../linux-abi/errno.ts";
import { FIONREAD } from "../linux-abi/ioctl.ts";
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP } from "../linux-abi/poll.ts";
import {
  AF_UNIX, MSG_OOB, MSG_PEEK, MSG_TRUNC, SHUT_RD, SHUT_RDWR, SHUT_WR, SIOCOUTQ, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM,
  SOMAXCONN, type Ucred,
} from "../linux-abi/socket.ts";
import type { FsDirPage, FsStat } from "../fs-task/file_system.ts";
import type { IoctlAccess, OpenFile } from "./file.ts";
import type { Thread } from "./process.ts";
import { socketStat, type OutgoingMessage, type Received, type Socket } from "./socket.ts";
import { SocketOptions } from "./socket_options.ts";
import { UNNAMED, parseUnixAddress, unixAddress, type UnixBinding, type UnixNames } from "./unix_names.ts";
import { AGAIN, WaitQueue } from "./wait_queue.ts";

const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;
const SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN;
/** What each queued message costs its sender beyond its bytes (an sk_buff's overhead). */
const MESSAGE_OVERHEAD = 512;
/** Datagrams an unconnected receiver queues from others (net.unix.max_dgram_qlen). */
const MAX_DGRAM_QLEN = 10;

type State = "unconnected" | "listening" | "connected";

interface Message {
  readonly data: Uint8Array;
  /** Bytes of a stream chunk already read. */
  offset: number;
  readonly sender: UnixSocket;
  /** The sender's address when it sent, or null if it had none. */
  readonly from: Uint8Array | null;
  rights: OpenFile[] | null;
  readonly creds: Ucred;
  readonly charge: number;
}

export type UnixSocketNames = UnixNames<UnixSocket>;

/** The credentials a thread acts with (SO_PEERCRED, SCM_CREDENTIALS). */
export function credentialsOf(t: Thread): Ucred {
  return { pid: t.process.pid, uid: t.process.creds.uid, gid: t.process.creds.gid };
}

function sameCreds(a: Ucred, b: Ucred): boolean {
  return a.pid === b.pid && a.uid === b.uid && a.gid === b.gid;
}

/** socket(AF_UNIX, type, protocol): the socket or -errno (unix_create). */
export function createUnixSocket(names: UnixSocketNames, t: Thread, type: number, protocol: number): UnixSocket | number {
  if (protocol !== 0 && protocol !== AF_UNIX) return -E.EPROTONOSUPPORT;
  // BSD's AF_UNIX SOCK_RAW is a datagram socket, as Linux makes it.
  if (type === SOCK_RAW) type = SOCK_DGRAM;
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_SEQPACKET) return -E.ESOCKTNOSUPPORT;
  return new UnixSocket(names, type, credentialsOf(t));
}

/** socketpair(AF_UNIX, …): two connected sockets. */
export function unixPair(names: UnixSocketNames, t: Thread, type: number, protocol: number): [UnixSocket, UnixSocket] | number {
  const a = createUnixSocket(names, t, type, protocol);
  if (typeof a === "number") return a;
  const b = new UnixSocket(names, a.type, a.owner);
  a.pairWith(b, a.owner);
  b.pairWith(a, a.owner);
  return [a, b];
}

export class UnixSocket implements Socket {
  readonly family = AF_UNIX;
  readonly protocol = 0;
  readonly seekable = false;
  readonly options = new SocketOptions();
  readonly readiness = new WaitQueue();
  readonly ino: number;
  /** Stream or seqpacket: connect, listen and accept apply, and a peer's close is an end of file. */
  readonly #connectionOriented: boolean;
  readonly path: string;
  #state: State = "unconnected";
  /** Set once bound (or, for an accepted socket, its listener's). */
  #name: Uint8Array | null = null;
  #binding: UnixBinding | null = null;
  #peer: UnixSocket | null = null;
  #peerCreds: Ucred | null = null;
  /** Credentials at listen(), which clients get as SO_PEERCRED. */
  #listenCreds: Ucred | null = null;
  #queue: Message[] = [];
  /** Listening: connected server ends not yet accepted, and how many may wait. */
  #pending: UnixSocket[] = [];
  #backlog = 0;
  #shutdown = 0;
  #error = 0;
  /** Bytes (with overhead) of this socket's messages not yet read. */
  #inflight = 0;
  /** Sockets waiting for room in this one's queue or backlog: they look again when it moves. */
  #blocked = new Set<UnixSocket>();
  #released = false;
  readonly #createdNs = BigInt(Date.now()) * 1_000_000n;

  constructor(
    readonly names: UnixSocketNames,
    readonly type: number,
    /** Who made it: the owner fstat reports. */
    readonly owner: Ucred,
  ) {
    this.ino = names.nextIno();
    this.#connectionOriented = type !== SOCK_DGRAM;
    this.path = `socket:[${this.ino}]`;
  }

  get socket(): Socket {
    return this;
  }

  get listening(): boolean {
    return this.#state === "listening";
  }

  get isStream(): boolean {
    return this.type === SOCK_STREAM;
  }

  get pipeSignals(): boolean {
    return this.type === SOCK_STREAM;
  }


  /** socketpair: connected to `peer`, both with the creator's credentials. */
  pairWith(peer: UnixSocket, creds: Ucred): void {
    this.#state = "connected";
    this.#peer = peer;
    this.#peerCreds = creds;
  }

  // ----- names ------------------------------------------------------------------------

  bind(t: Thread, addr: Uint8Array): number {
    // The family alone asks for a name of the kernel's choosing (a bound socket keeps its own).
    if (addr.length === 2 && addr[0] === AF_UNIX && addr[1] === 0) return this.#autobind();
    const name = parseUnixAddress(addr);
    if (typeof name === "number") return name;
    if (this.#name) return -E.EINVAL;
    const b = this.names.bind(t, name, this);
    if (typeof b === "number") return b;
    this.#binding = b;
    this.#name = unixAddress(name);
    return 0;
  }

  #autobind(): number {
    if (this.#name) return 0;
    const b = this.names.autobind(this);
    if (typeof b === "number") return b;
    this.#binding = b.binding;
    this.#name = unixAddress(b.name);
    return 0;
  }

  localAddress(): Uint8Array {
    return this.#name ?? UNNAMED;
  }

  peerAddress(): Uint8Array | number {
    const p = this.#peer;
    return p ? (p.#name ?? UNNAMED) : -E.ENOTCONN;
  }

  peerCredentials(): Ucred | null {
    return this.#peerCreds;
  }

  takeError(): number {
    const e = this.#error;
    this.#error = 0;
    return e;
  }

  // ----- connections ------------------------------------------------------------------

  listen(t: Thread, backlog: number): number {
    if (!this.#connectionOriented) return -E.EOPNOTSUPP;
    if (!this.#name || this.#state === "connected") return -E.EINVAL;
    // Compared unsigned, as Linux does: a negative backlog is the largest.
    const b = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
    if (b > this.#backlog) this.#wakeBlocked();
    this.#backlog = b;
    this.#state = "listening";
    this.#listenCreds = credentialsOf(t);
    return 0;
  }

  accept(_t: Thread): Socket | number {
    if (!this.#connectionOriented) return -E.EOPNOTSUPP;
    if (this.#state !== "listening") return -E.EINVAL;
    const s = this.#pending.shift();
    if (!s) return AGAIN;
    this.#wakeBlocked();
    s.options.inheritFrom(this.options);
    return s;
  }

  connect(t: Thread, addr: Uint8Array, nonblocking: boolean): number {
    if (!this.#connectionOriented) return this.#connectDatagram(t, addr);
    const name = parseUnixAddress(addr);
    if (typeof name === "number") return name;
    if (this.options.passcred && !this.#name) {
      const r = this.#autobind();
      if (r < 0) return r;
    }
    // In unix_stream_connect's order: the listener first, then this socket's own state.
    const server = this.names.lookup(t, name, this.type);
    if (typeof server === "number") return server;
    if (server.#state !== "listening" || server.#shutdown & RCV_SHUTDOWN) return -E.ECONNREFUSED;
    if (server.#pending.length > server.#backlog) {
      if (nonblocking) return -E.EAGAIN;
      server.#blocked.add(this);
      return AGAIN;
    }
    if (this.#state === "connected") return -E.EISCONN;
    if (this.#state === "listening") return -E.EINVAL;
    const embryo = new UnixSocket(this.names, this.type, server.owner);
    embryo.#state = "connected";
    embryo.#peer = this;
    embryo.#peerCreds = credentialsOf(t);
    embryo.#name = server.#name;
    this.#state = "connected";
    this.#peer = embryo;
    this.#peerCreds = server.#listenCreds;
    server.#pending.push(embryo);
    server.readiness.notify();
    this.readiness.notify();
    return 0;
  }

  /** A datagram socket's default destination (AF_UNSPEC: none). */
  #connectDatagram(t: Thread, addr: Uint8Array): number {
    if (addr.length < 2) return -E.EINVAL;
    if ((addr[0]! | (addr[1]! << 8)) === 0) {
      this.#peer = null;
      this.#state = "unconnected";
      return 0;
    }
    const name = parseUnixAddress(addr);
    if (typeof name === "number") return name;
    if (this.options.passcred && !this.#name) {
      const r = this.#autobind();
      if (r < 0) return r;
    }
    const other = this.names.lookup(t, name, this.type);
    if (typeof other === "number") return other;
    if (!other.#acceptsFrom(this)) return -E.EPERM;
    this.#peer = other;
    this.#state = "connected";
    this.readiness.notify();
    return 0;
  }

  /** unix_may_send: a datagram goes to a socket that is unconnected or connected to its sender. */
  #acceptsFrom(sender: UnixSocket): boolean {
    return this.#peer === null || this.#peer === sender;
  }

  shutdown(how: number): number {
    if (how < SHUT_RD || how > SHUT_RDWR) return -E.EINVAL;
    const mode = (how + 1) & SHUTDOWN_MASK;
    this.#shutdown |= mode;
    this.readiness.notify();
    const p = this.#peer;
    if (p && this.#connectionOriented) {
      p.#shutdown |= (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) | (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);
      p.readiness.notify();
    }
    return 0;
  }

  // ----- sending ----------------------------------------------------------------------

  send(t: Thread, msg: OutgoingMessage, offset: number): number {
    if (msg.flags & MSG_OOB) return -E.EOPNOTSUPP;
    return this.type === SOCK_STREAM ? this.#sendStream(t, msg, offset) : this.#sendRecord(t, msg);
  }

  #sendStream(t: Thread, msg: OutgoingMessage, offset: number): number {
    if (msg.to) return this.#state === "connected" ? -E.EISCONN : -E.EOPNOTSUPP;
    const peer = this.#peer;
    if (!peer) return -E.ENOTCONN;
    if (this.#shutdown & SEND_SHUTDOWN || peer.#released || peer.#shutdown & RCV_SHUTDOWN) return -E.EPIPE;
    const left = msg.data.length - offset;
    if (left === 0) return 0;
    if (this.#inflight >= this.options.sndbuf) return AGAIN;
    const n = Math.min(left, (this.options.sndbuf >> 1) - 64);
    this.#deliver(t, peer, msg, msg.data.subarray(offset, offset + n));
    return n;
  }

  /** A datagram or a seqpacket record: all of it or nothing. */
  #sendRecord(t: Thread, msg: OutgoingMessage): number {
    const seqpacket = this.type === SOCK_SEQPACKET;
    if (seqpacket) {
      const err = this.takeError();
      if (err) return -err;
      if (this.#state !== "connected") return -E.ENOTCONN;
    }
    const to = seqpacket ? null : msg.to;
    const name = to ? parseUnixAddress(to) : null;
    if (typeof name === "number") return name;
    if (!name && !this.#peer) return -E.ENOTCONN;
    if (this.options.passcred && !this.#name) {
      const r = this.#autobind();
      if (r < 0) return r;
    }
    if (msg.data.length > this.options.sndbuf - 32) return -E.EMSGSIZE;
    if (this.#inflight >= this.options.sndbuf) return AGAIN;
    const other = name ? this.names.lookup(t, name, this.type) : this.#peer!;
    if (typeof other === "number") return other;
    if (!seqpacket && !other.#acceptsFrom(this)) return -E.EPERM;
    if (other.#released) {
      if (seqpacket) return -E.EPIPE;
      if (other === this.#peer) {
        this.#peer = null;
        this.#state = "unconnected";
      }
      return -E.ECONNREFUSED;
    }
    if (other.#shutdown & RCV_SHUTDOWN) return -E.EPIPE;
    if (!seqpacket && other.#peer !== this && other.#queue.length > MAX_DGRAM_QLEN) {
      other.#blocked.add(this);
      return AGAIN;
    }
    this.#deliver(t, other, msg, msg.data);
    return msg.data.length;
  }

  /** Queues `data` at `to`, with the message's files (taken from `msg`) and credentials. */
  #deliver(t: Thread, to: UnixSocket, msg: OutgoingMessage, data: Uint8Array): void {
    const charge = data.length + MESSAGE_OVERHEAD;
    this.#inflight += charge;
    to.#queue.push({ data, offset: 0, sender: this, from: this.#name, rights: msg.rights, creds: msg.creds ?? credentialsOf(t), charge });
    msg.rights = null;
    to.readiness.notify();
  }

  // ----- receiving --------------------------------------------------------------------

  recv(dst: Uint8Array, flags: number, skip: number, got: Received): number {
    if (flags & MSG_OOB) return -E.EOPNOTSUPP;
    if (this.type === SOCK_STREAM) {
      if (this.#state !== "connected") return -E.EINVAL;
      return this.#recvStream(dst, flags, skip, got);
    }
    if (this.type === SOCK_SEQPACKET && this.#state !== "connected") return -E.ENOTCONN;
    return this.#recvRecord(dst, flags, got);
  }

  /** Nothing queued: the pending error, 0 at end of file, else AGAIN. */
  #nothingQueued(): number {
    const err = this.takeError();
    if (err) return -err;
    return this.#shutdown & RCV_SHUTDOWN ? 0 : AGAIN;
  }

  #recvStream(dst: Uint8Array, flags: number, skip: number, got: Received): number {
    const peek = (flags & MSG_PEEK) !== 0;
    let copied = 0;
    let i = 0;
    // A peek goes on after what this call peeked already.
    for (; i < this.#queue.length && skip > 0; i++) {
      const m = this.#queue[i]!;
      const len = m.data.length - m.offset;
      if (skip < len) break;
      skip -= len;
    }
    if (i >= this.#queue.length) return this.#nothingQueued();
    while (i < this.#queue.length && copied < dst.length) {
      const m = this.#queue[i]!;
      if (this.options.passcred) {
        if (got.creds === null) got.creds = m.creds;
        else if (!sameCreds(got.creds, m.creds)) {
          got.stop = true;
          break;
        }
      }
      got.from ??= m.from;
      const start = m.offset + skip;
      const n = Math.min(dst.length - copied, m.data.length - start);
      dst.set(m.data.subarray(start, start + n), copied);
      copied += n;
      skip = 0;
      const carried = m.rights !== null;
      if (carried) this.#takeRights(m, peek, got);
      if (peek) i++;
      else {
        m.offset += n;
        if (m.offset < m.data.length) break;
        this.#dequeue();
      }
      if (carried) {
        got.stop = true;
        break;
      }
    }
    return copied;
  }

  #recvRecord(dst: Uint8Array, flags: number, got: Received): number {
    const m = this.#queue[0];
    if (!m) return this.#nothingQueued();
    const n = Math.min(dst.length, m.data.length);
    dst.set(m.data.subarray(0, n));
    got.full = m.data.length;
    if (n < m.data.length) got.flags |= MSG_TRUNC;
    got.from = m.from;
    if (this.options.passcred) got.creds = m.creds;
    const peek = (flags & MSG_PEEK) !== 0;
    if (m.rights) this.#takeRights(m, peek, got);
    if (!peek) this.#dequeue();
    return n;
  }

  /** The message's files go to the receiver; a peek gives new references and leaves them. */
  #takeRights(m: Message, peek: boolean, got: Received): void {
    const files = peek ? m.rights!.map((f) => f.ref()) : m.rights!;
    if (!peek) m.rights = null;
    got.rights = got.rights ? got.rights.concat(files) : files;
  }

  /** The first message is read: its sender's charge goes, and whoever waited for room looks again. */
  #dequeue(): void {
    const m = this.#queue.shift()!;
    m.sender.#uncharge(m.charge);
    this.#wakeBlocked();
  }

  #uncharge(charge: number): void {
    this.#inflight -= charge;
    this.readiness.notify();
  }

  #wakeBlocked(): void {
    for (const s of this.#blocked) s.readiness.notify();
    this.#blocked.clear();
    this.readiness.notify();
  }

  // ----- the file side ----------------------------------------------------------------

  /** Readiness as unix_poll (streams) and unix_dgram_poll (datagrams, seqpacket) report it. */
  poll(): number {
    let m = 0;
    if (this.#error) m |= POLLERR;
    if (this.#shutdown === SHUTDOWN_MASK) m |= POLLHUP;
    if (this.#shutdown & RCV_SHUTDOWN) m |= POLLRDHUP | POLLIN;
    if ((this.#state === "listening" ? this.#pending.length : this.#queue.length) > 0) m |= POLLIN;
    if (this.#connectionOriented && this.#state === "unconnected") m |= POLLHUP;
    if (this.#state !== "listening" && this.#inflight * 4 <= this.options.sndbuf) {
      const p = this.#peer;
      const full = this.type === SOCK_DGRAM && p !== null && p.#peer !== this && p.#queue.length > MAX_DGRAM_QLEN;
      if (!full) m |= POLLOUT;
    }
    return m;
  }

  /** read(2) and write(2) reach recv and send through the socket layer; other readers (sendfile's input) are refused. */
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

  /** FIONREAD (SIOCINQ): queued bytes of a stream, the next record's length; SIOCOUTQ: bytes in flight. */
  ioctl(request: number, argp: number, io: IoctlAccess): number {
    let v: number;
    if (request === FIONREAD) {
      if (this.#state === "listening") return -E.EINVAL;
      v = this.type === SOCK_DGRAM ? (this.#queue[0]?.data.length ?? 0) : this.#queue.reduce((n, m) => n + m.data.length - m.offset, 0);
    } else if (request === SIOCOUTQ) {
      v = this.#inflight;
    } else {
      return -E.ENOTTY;
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return io.write(argp, b) ? 0 : -E.EFAULT;
  }

  getProtocolOption(): Uint8Array | number {
    return -E.EOPNOTSUPP;
  }

  setProtocolOption(): number {
    return -E.EOPNOTSUPP;
  }

  /** The last close (unix_release_sock); `embryo`: a connection never accepted. */
  release(embryo = false): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#binding) this.names.unbind(this.#binding, this);
    this.#shutdown = SHUTDOWN_MASK;
    const peer = this.#peer;
    this.#peer = null;
    if (peer && this.#connectionOriented) {
      peer.#shutdown = SHUTDOWN_MASK;
      if (this.#queue.length > 0 || embryo) peer.#error = E.ECONNRESET;
      peer.readiness.notify();
    }
    for (const s of this.#pending.splice(0)) s.release(true);
    for (const m of this.#queue.splice(0)) {
      m.sender.#uncharge(m.charge);
      for (const f of m.rights ?? []) f.unref();
    }
    this.#wakeBlocked();
  }
}
