// IPv4 sockets and interfaces: uapi linux/in.h (sockaddr_in, IP_* options), linux/tcp.h
// (TCP_* options, struct tcp_info), net/tcp_states.h, linux/if.h and linux/sockios.h
// (struct ifreq, struct ifconf, SIOCGIF*), linux/if_arp.h (ARPHRD_*).

import { AF_INET } from "./socket.ts";

export const SIZEOF_SOCKADDR_IN = 16;
export const INADDR_ANY = 0;
export const INADDR_LOOPBACK = 0x7f000001;
export const INADDR_BROADCAST = 0xffffffff;

/** A sockaddr_in's port and address (host order), or null when `b` is shorter than one. */
export function decodeSockaddrIn(b: Uint8Array): { family: number; port: number; addr: number } | null {
  if (b.length < SIZEOF_SOCKADDR_IN) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { family: v.getUint16(0, true), port: v.getUint16(2, false), addr: v.getUint32(4, false) };
}

export function encodeSockaddrIn(addr: number, port: number): Uint8Array {
  const b = new Uint8Array(SIZEOF_SOCKADDR_IN);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  v.setUint32(4, addr >>> 0, false);
  return b;
}

// IPPROTO_IP options.
export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_HDRINCL = 3;
export const IP_OPTIONS = 4;
export const IP_PKTINFO = 8;
export const IP_MTU_DISCOVER = 10;
export const IP_RECVERR = 11;
export const IP_RECVTTL = 12;
export const IP_RECVTOS = 13;
export const IP_MTU = 14;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
/** net.ipv4.ip_default_ttl. */
export const IP_DEFAULT_TTL = 64;

// IPPROTO_TCP options.
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_SYNCNT = 7;
export const TCP_LINGER2 = 8;
export const TCP_DEFER_ACCEPT = 9;
export const TCP_WINDOW_CLAMP = 10;
export const TCP_INFO = 11;
export const TCP_QUICKACK = 12;
export const TCP_CONGESTION = 13;
export const TCP_USER_TIMEOUT = 18;
/** TCP_KEEPIDLE and TCP_KEEPINTVL at most (MAX_TCP_KEEPIDLE), TCP_KEEPCNT at most (MAX_TCP_KEEPCNT). */
export const MAX_TCP_KEEPIDLE = 32767;
export const MAX_TCP_KEEPCNT = 127;

// net/tcp_states.h, as /proc/net/tcp and tcp_info print them.
export const TcpStateNumber = {
  ESTABLISHED: 1, "SYN-SENT": 2, "SYN-RECEIVED": 3, "FIN-WAIT-1": 4, "FIN-WAIT-2": 5, "TIME-WAIT": 6, CLOSED: 7,
  "CLOSE-WAIT": 8, "LAST-ACK": 9, LISTEN: 10, CLOSING: 11,
} as const;

// struct tcp_info: the fields up to tcpi_total_retrans (104 bytes).
export const SIZEOF_TCP_INFO = 104;
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;

// linux/sockios.h
export const SIOCGIFNAME = 0x8910;
export const SIOCGIFCONF = 0x8912;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCSIFFLAGS = 0x8914;
export const SIOCGIFADDR = 0x8915;
export const SIOCGIFDSTADDR = 0x8917;
export const SIOCGIFBRDADDR = 0x8919;
export const SIOCGIFNETMASK = 0x891b;
export const SIOCGIFMETRIC = 0x891d;
export const SIOCGIFMTU = 0x8921;
export const SIOCGIFHWADDR = 0x8927;
export const SIOCGIFINDEX = 0x8933;
export const SIOCGIFTXQLEN = 0x8942;
export const SIOCGIFMAP = 0x8970;

// linux/if.h
export const IFNAMSIZ = 16;
export const SIZEOF_IFREQ = 40;
/** struct ifconf: int ifc_len, then (8-aligned) the buffer pointer. */
export const SIZEOF_IFCONF = 16;
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_MULTICAST = 0x1000;

// linux/if_arp.h
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
