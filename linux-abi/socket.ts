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

/** The families socket(2) numbers: AF_MAX (include/linux/socket.h). */
export const AF_MAX = 46;
/** socket(2) types stop below SOCK_MAX (include/linux/net.h). */
export const SOCK_MAX = SOCK_PACKET + 1;
/** listen(2)'s backlog is clamped to net.core.somaxconn (its default). */
export const SOMAXCONN = 4096;

// Control messages (include/linux/socket.h, include/net/scm.h).
export const SCM_RIGHTS = 1;
export const SCM_CREDENTIALS = 2;
/** The most descriptors one SCM_RIGHTS message carries. */
export const SCM_MAX_FD = 253;

/** struct sockaddr_storage: the most bytes an address argument may have. */
export const SIZEOF_SOCKADDR_STORAGE = 128;
/** sa_family_t: the leading field of every address. */
export const SIZEOF_SA_FAMILY = 2;

// struct sockaddr_un (include/uapi/linux/un.h).
export const UNIX_PATH_MAX = 108;
export const SIZEOF_SOCKADDR_UN = SIZEOF_SA_FAMILY + UNIX_PATH_MAX;

// struct msghdr on x86-64 (include/linux/socket.h, user layout).
export const MSGHDR = { name: 0, namelen: 8, iov: 16, iovlen: 24, control: 32, controllen: 40, flags: 48 } as const;
export const SIZEOF_MSGHDR = 56;
/** struct mmsghdr: a msghdr and the length received or sent. */
export const SIZEOF_MMSGHDR = 64;
export const MMSGHDR_LEN = 56;
/** The most messages one sendmmsg/recvmmsg moves (UIO_MAXIOV). */
export const MMSG_MAX = 1024;

// struct cmsghdr: size_t cmsg_len, int cmsg_level, int cmsg_type, then data aligned to size_t.
export const SIZEOF_CMSGHDR = 16;
export function cmsgAlign(len: number): number {
  return (len + 7) & ~7;
}
export function cmsgSpace(dataLen: number): number {
  return SIZEOF_CMSGHDR + cmsgAlign(dataLen);
}
export function cmsgLen(dataLen: number): number {
  return SIZEOF_CMSGHDR + dataLen;
}

/** struct ucred: pid, uid, gid (SO_PEERCRED, SCM_CREDENTIALS). */
export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}
export const SIZEOF_UCRED = 12;

export function encodeUcred(view: DataView, offset: number, c: Ucred): void {
  view.setInt32(offset, c.pid, true);
  view.setUint32(offset + 4, c.uid >>> 0, true);
  view.setUint32(offset + 8, c.gid >>> 0, true);
}

export function decodeUcred(view: DataView, offset: number): Ucred {
  return { pid: view.getInt32(offset, true), uid: view.getUint32(offset + 4, true), gid: view.getUint32(offset + 8, true) };
}

export const SO_RCVTIMEO = SO_RCVTIMEO_OLD;
export const SO_SNDTIMEO = SO_SNDTIMEO_OLD;
export const SO_PEEK_OFF = 42;
export const SO_RCVBUFFORCE = 33;
export const SO_SNDBUFFORCE = 32;

// Linux's defaults for the net.core buffer sysctls and the bounds sock_setsockopt applies.
export const WMEM_DEFAULT = 212992;
export const RMEM_DEFAULT = 212992;
export const WMEM_MAX = 212992;
export const RMEM_MAX = 212992;
export const SOCK_MIN_SNDBUF = 4608;
export const SOCK_MIN_RCVBUF = 2304;

// ioctl requests on sockets (include/uapi/linux/sockios.h).
export const SIOCINQ = 0x541b;
export const SIOCOUTQ = 0x5411;
