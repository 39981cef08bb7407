// The net-task's API: what the kernel-task asks of it, one call per socket operation, in
// numbers and bytes only, so that one table (protocol.ts NET_PROTOCOL) carries it over
// every transport. The net-task owns every socket's state (socket_table.ts); the
// kernel-task holds socket ids and relays (libos/inet_socket.ts).
//
// Conventions: results are ≥ 0 or a negated Linux errno; -EAGAIN means "would wait" (the
// kernel-task waits for a readiness event and asks again; the net-task never blocks).
// Addresses are IPv4 numbers (u32), ports numbers; option levels and names are Linux's.
// Readiness travels as Linux poll bits (POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP)
// in events: (socket id, mask) whenever a socket's mask changes (the transport carries
// them after each answer, and on its own when a timer or a device moved something).

/** socket(2)'s type and protocol, as the net-task knows them. */
export const SocketKind = {
  /** SOCK_STREAM, IPPROTO_TCP. */
  Tcp: 1,
  /** SOCK_DGRAM, IPPROTO_UDP. */
  Udp: 2,
  /** SOCK_DGRAM, IPPROTO_ICMP: a ping socket. */
  Icmp: 3,
} as const;

/** No address: recv's `from` when none, send's destination when the socket's peer is meant. */
export const NO_ADDRESS = -1;

export interface NetEndpoint {
  addr: number;
  port: number;
}

/** What one recv found: bytes copied, the datagram's whole size (MSG_TRUNC), the sender. */
export interface NetRecv {
  n: number;
  full: number;
  addr: number;
  port: number;
}

/** One interface, as SIOCGIF* and /proc/net/dev, /proc/net/route report it. */
export interface NetInterfaceInfo {
  name: string;
  index: number;
  /** IFF_* bits. */
  flags: number;
  addr: number;
  prefixLen: number;
  /** 48-bit MAC; 0 for lo. */
  mac: number;
  mtu: number;
  /** ARPHRD_LOOPBACK (772) or ARPHRD_ETHER (1). */
  hwType: number;
  gateway: number;
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxErrors: number;
  rxDropped: number;
  txDropped: number;
}

/** One socket, as /proc/net/tcp and /proc/net/udp list it. */
export interface NetSocketRow {
  id: number;
  /** Linux's TCP state number (TCP_ESTABLISHED = 1 … TCP_LISTEN = 10); UDP: 7 or 1. */
  state: number;
  localAddr: number;
  localPort: number;
  remoteAddr: number;
  remotePort: number;
  txQueue: number;
  rxQueue: number;
}

/** TCP_INFO's fields this stack has (times in µs, as struct tcp_info). */
export interface NetTcpInfo {
  state: number;
  retransmits: number;
  options: number;
  sndWscale: number;
  rcvWscale: number;
  rtoUs: number;
  sndMss: number;
  rcvMss: number;
  unacked: number;
  rttUs: number;
  rttvarUs: number;
  sndSsthresh: number;
  sndCwnd: number;
  advmss: number;
  rcvSpace: number;
  lastDataRecvMs: number;
}

/** Where readiness events go: the socket id and its poll bits now. */
export type ReadinessSink = (id: number, mask: number) => void;

export interface NetApi {
  /** socket(2): a new socket of `kind` (SocketKind): its id, or -errno. */
  open(kind: number): number;
  /** The last close (after SO_LINGER of 0 s a connection is reset instead of closed). */
  close(id: number): number;
  bind(id: number, addr: number, port: number): number;
  listen(id: number, backlog: number): number;
  /** A connection from the queue: the new socket's id, -EAGAIN, or -errno. */
  accept(id: number): number;
  /**
   * connect(2) as Linux's state machine answers it: 0, -EINPROGRESS (started), -EALREADY
   * (still going), -EISCONN, or the error it ended with. addr NO_ADDRESS: AF_UNSPEC.
   */
  connect(id: number, addr: number, port: number): number;
  /** Sends from `data`: bytes taken, -EAGAIN, or -errno. addr NO_ADDRESS: to the peer. */
  send(id: number, data: Uint8Array, flags: number, addr: number, port: number): number;
  /**
   * Receives into `into`, `skip` bytes in when peeking (MSG_PEEK): what came, or -errno.
   * `more`: the call continues a receive that already moved bytes, so a pending error
   * stays for the next call (tcp_recvmsg reports it only when it copied nothing).
   */
  recv(id: number, into: Uint8Array, flags: number, skip: number, more: boolean): NetRecv | number;
  shutdown(id: number, how: number): number;
  /** setsockopt with an int value (SO_LINGER: the seconds, or -1 for off): 0 or -errno. */
  setOption(id: number, level: number, name: number, value: number): number;
  /** getsockopt of an int option: its value (≥ 0), or -errno. */
  getOption(id: number, level: number, name: number): number;
  /** SO_ERROR: the pending error (a positive errno) or 0, cleared. */
  takeError(id: number): number;
  /** getsockname (peer false) or getpeername (peer true). */
  name(id: number, peer: boolean): NetEndpoint | number;
  /** FIONREAD (out false) or SIOCOUTQ (out true). */
  queued(id: number, out: boolean): number;
  tcpInfo(id: number): NetTcpInfo | number;
  interfaces(): NetInterfaceInfo[];
  /** Sockets of `kind` (SocketKind), for /proc/net. */
  sockets(kind: number): NetSocketRow[];
  /** Nothing but the events that are due (a transport asks after the net-task signalled). */
  sync(): number;
}
