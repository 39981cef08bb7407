// Linux: include/linux/socket.h (AF_*, MSG_*), include/linux/net.h (SOCK_*),
// include/uapi/asm-generic/socket.h (SOL_SOCKET, SO_*), include/uapi/linux/in.h and
// include/uapi/linux/in6.h (IPPROTO_*). Only the constants; net-task owns the wire formats.

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_LOCAL = AF_UNIX;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;
export const SOCK_DCCP = 6;
export const SOCK_PACKET = 10;
/** The type bits of socket(2)'s type argument; the rest are SOCK_NONBLOCK and SOCK_CLOEXEC. */
export const SOCK_TYPE_MASK = 0xf;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

// Option levels: SOL_SOCKET, or the protocol number (include/linux/socket.h).
export const SOL_IP = 0;
export const SOL_SOCKET = 1;
export const SOL_TCP = 6;
export const SOL_UDP = 17;
export const SOL_IPV6 = 41;
export const SOL_RAW = 255;
export const SO_DEBUG = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_DONTROUTE = 5;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_OOBINLINE = 10;
export const SO_PRIORITY = 12;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_PASSCRED = 16;
export const SO_PEERCRED = 17;
export const SO_RCVLOWAT = 18;
export const SO_SNDLOWAT = 19;
export const SO_RCVTIMEO_OLD = 20;
export const SO_SNDTIMEO_OLD = 21;
export const SO_ACCEPTCONN = 30;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;

export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_RAW = 255;

export const MSG_OOB = 1;
export const MSG_PEEK = 2;
export const MSG_DONTROUTE = 4;
export const MSG_CTRUNC = 8;
export const MSG_PROBE = 0x10;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100;
export const MSG_FIN = 0x200;
export const MSG_SYN = 0x400;
export const MSG_CONFIRM = 0x800;
export const MSG_RST = 0x1000;
export const MSG_ERRQUEUE = 0x2000;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;
export const MSG_WAITFORONE = 0x10000;
export const MSG_CMSG_CLOEXEC = 0x40000000;
