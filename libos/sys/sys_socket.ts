// The socket syscalls that make, name, connect and configure sockets: socket, socketpair,
// bind, listen, accept, accept4, connect, getsockname, getpeername, shutdown, setsockopt,
// getsockopt. Linux: net/socket.c. Data moves in sys_socket_msg.ts; what the calls act on
// is a Socket (libos/socket.ts) of the family's making.
//
// Families: AF_UNIX (libos/unix_socket.ts), AF_INET (libos/inet_socket.ts, the net-task's;
// EAFNOSUPPORT without one, --net none). AF_INET6 answers EAFNOSUPPORT, as a kernel without
// IPv6 does.

import * as E from "../../linux-abi/errno.ts";
import { O_NONBLOCK, O_RDWR } from "../../linux-abi/fcntl.ts";
import {
  AF_INET, AF_MAX, AF_UNIX, SIZEOF_SOCKADDR_STORAGE, SOCK_CLOEXEC, SOCK_MAX, SOCK_NONBLOCK, SOCK_TYPE_MASK, SOL_SOCKET, SO_LINGER,
  SO_RCVTIMEO, SO_SNDTIMEO,
} from "../../linux-abi/socket.ts";
import { OpenFile } from "../file.ts";
import type { GuestMemory } from "../memory.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { Socket } from "../socket.ts";
import { getSocketOption, setSocketOption } from "../socket_options.ts";
import { createInetSocket } from "../inet_socket.ts";
import { createUnixSocket, unixPair } from "../unix_socket.ts";
import { AGAIN } from "../wait_queue.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { socketWait } from "./_socket_io.ts";

/** The socket open as `fd`, with its description; or -EBADF, -ENOTSOCK. */
export function socketOf(t: Thread, fd: number): { f: OpenFile; s: Socket } | number {
  const f = t.process.fds.get(fd);
  if (!f) return -E.EBADF;
  return f.ops.socket ? { f, s: f.ops.socket } : -E.ENOTSOCK;
}

/** An address argument (move_addr_to_kernel): its bytes, null for none (length 0), or -errno. */
export function readSockaddr(mem: GuestMemory, addr: number, len: number): Uint8Array | null | number {
  if (len < 0 || len > SIZEOF_SOCKADDR_STORAGE) return -E.EINVAL;
  if (len === 0) return null;
  const v = mem.view(addr, len, PROT_READ);
  return v ? v.slice() : -E.EFAULT;
}

/**
 * An address result (move_addr_to_user): at most *lenAddr bytes of `value` to `addr`, and its
 * whole length to *lenAddr. EINVAL for a negative length, EFAULT for bad pointers.
 */
export function writeSockaddr(mem: GuestMemory, addr: number, lenAddr: number, value: Uint8Array): number {
  const len = mem.u32(lenAddr);
  if (len === null) return -E.EFAULT;
  if ((len | 0) < 0) return -E.EINVAL;
  const n = Math.min(len, value.length);
  if (n > 0 && !mem.write(addr, value.subarray(0, n))) return -E.EFAULT;
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value.length, true);
  return mem.write(lenAddr, b) ? 0 : -E.EFAULT;
}

/** The type argument's SOCK_NONBLOCK and SOCK_CLOEXEC, or -EINVAL for other bits. */
function typeFlags(type: number): number {
  const flags = type & ~SOCK_TYPE_MASK;
  return flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK) ? -E.EINVAL : flags;
}

/** __sock_create's checks, then the family's socket. */
function newSocket(k: KernelServices, t: Thread, family: number, type: number, protocol: number, pair: true): [Socket, Socket] | number;
function newSocket(k: KernelServices, t: Thread, family: number, type: number, protocol: number, pair: false): Socket | number | Promise<Socket | number>;
function newSocket(k: KernelServices, t: Thread, family: number, type: number, protocol: number, pair: boolean): Socket | [Socket, Socket] | number | Promise<Socket | number> {
  if (family < 0 || family >= AF_MAX) return -E.EAFNOSUPPORT;
  if (type < 0 || type >= SOCK_MAX) return -E.EINVAL;
  if (family === AF_INET && k.inetSockets !== null) {
    // inet has no socketpair (sock_no_socketpair).
    return pair ? -E.EOPNOTSUPP : createInetSocket(k.inetSockets, t, type, protocol);
  }
  if (family !== AF_UNIX) return -E.EAFNOSUPPORT;
  return pair ? unixPair(k.unixSockets, t, type, protocol) : createUnixSocket(k.unixSockets, t, type, protocol);
}

function install(t: Thread, s: Socket, flags: number): number {
  return t.process.fds.install(new OpenFile(s, O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0)), (flags & SOCK_CLOEXEC) !== 0);
}

/** Socket implements Linux syscall socket(2). */
export function sysSocket(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = typeFlags(a.int(1));
  if (flags < 0) return flags;
  const s = newSocket(k, t, a.int(0), a.int(1) & SOCK_TYPE_MASK, a.int(2), false);
  // A promise while the net-task restarts (inet_socket.ts).
  const done = (made: Socket | number): number => (typeof made === "number" ? made : install(t, made, flags));
  return s instanceof Promise ? s.then(done) : done(s);
}

/** Socketpair implements Linux syscall socketpair(2). */
export function sysSocketpair(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = typeFlags(a.int(1));
  if (flags < 0) return flags;
  const pair = newSocket(k, t, a.int(0), a.int(1) & SOCK_TYPE_MASK, a.int(2), true);
  if (typeof pair === "number") return pair;
  const fds = t.process.fds;
  const fd0 = install(t, pair[0], flags);
  if (fd0 < 0) {
    pair[1].release();
    return fd0;
  }
  const fd1 = install(t, pair[1], flags);
  if (fd1 < 0) {
    fds.close(fd0);
    return fd1;
  }
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setInt32(0, fd0, true);
  v.setInt32(4, fd1, true);
  if (t.process.memory.write(a.ptr(3), b)) return 0;
  fds.close(fd0);
  fds.close(fd1);
  return -E.EFAULT;
}

/** Bind implements Linux syscall bind(2). */
export function sysBind(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const addr = readSockaddr(t.process.memory, a.ptr(1), a.int(2));
  if (typeof addr === "number") return addr;
  return sock.s.bind(t, addr ?? new Uint8Array(0));
}

/** Listen implements Linux syscall listen(2). */
export function sysListen(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  return typeof sock === "number" ? sock : sock.s.listen(t, a.int(1));
}

/** Connect implements Linux syscall connect(2). */
export function sysConnect(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const addr = readSockaddr(t.process.memory, a.ptr(1), a.int(2)) ?? new Uint8Array(0);
  if (typeof addr === "number") return addr;
  const { f, s } = sock;
  const nonblocking = (f.flags & O_NONBLOCK) !== 0;
  const r = s.connect(t, addr, nonblocking);
  if (r !== AGAIN || nonblocking) return r;
  return socketWait(t, s, s.options.sndtimeoUs, () => s.connect(t, addr, false));
}

function doAccept(t: Thread, a: SyscallArgs, flags: number): SyscallResult {
  if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return -E.EINVAL;
  // Read now: the arguments are the next syscall's once this one has waited.
  const addr = a.ptr(1), lenAddr = a.ptr(2);
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const { f, s } = sock;
  let accepted: Socket | null = null;
  const attempt = (): number => {
    const r = s.accept(t);
    if (typeof r === "number") return r;
    accepted = r;
    return 0;
  };
  const finish = (r: number): number => {
    const ns = accepted as Socket | null;
    if (r < 0 || ns === null) return r;
    if (t.dead) {
      ns.release();
      return r;
    }
    // The peer's address first: a bad pointer closes the new connection (no descriptor is made).
    if (addr !== 0) {
      const peer = ns.peerAddress();
      const w = writeSockaddr(t.process.memory, addr, lenAddr, typeof peer === "number" ? new Uint8Array(0) : peer);
      if (w < 0) {
        ns.release();
        return w;
      }
    }
    return install(t, ns, flags);
  };
  const first = attempt();
  if (first !== AGAIN) return finish(first);
  if (f.flags & O_NONBLOCK) return -E.EAGAIN;
  const r = socketWait(t, s, s.options.rcvtimeoUs, attempt);
  return typeof r === "number" ? finish(r) : r.then(finish);
}

/** Accept implements Linux syscall accept(2). */
export const sysAccept = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => doAccept(t, a, 0);

/** Accept4 implements Linux syscall accept4(2). */
export const sysAccept4 = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => doAccept(t, a, a.int(3));

/** Getsockname implements Linux syscall getsockname(2). */
export function sysGetsockname(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  return typeof sock === "number" ? sock : writeSockaddr(t.process.memory, a.ptr(1), a.ptr(2), sock.s.localAddress());
}

/** Getpeername implements Linux syscall getpeername(2). */
export function sysGetpeername(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const peer = sock.s.peerAddress();
  return typeof peer === "number" ? peer : writeSockaddr(t.process.memory, a.ptr(1), a.ptr(2), peer);
}

/** Shutdown implements Linux syscall shutdown(2). */
export function sysShutdown(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  return typeof sock === "number" ? sock : sock.s.shutdown(a.int(1));
}

/** How many bytes of optval an option reads (Linux copies only what the option needs). */
function optionSize(level: number, name: number, optlen: number): number {
  if (level !== SOL_SOCKET) return Math.min(optlen, 256);
  return Math.min(optlen, name === SO_RCVTIMEO || name === SO_SNDTIMEO ? 16 : name === SO_LINGER ? 8 : 4);
}

/** Setsockopt implements Linux syscall setsockopt(2). */
export function sysSetsockopt(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const level = a.int(1), name = a.int(2), optlen = a.int(4);
  if (optlen < 0) return -E.EINVAL;
  const raw = t.process.memory.view(a.ptr(3), optionSize(level, name, optlen), PROT_READ);
  if (!raw) return -E.EFAULT;
  const value = raw.slice();
  if (level !== SOL_SOCKET) return sock.s.setProtocolOption(level, name, value);
  const r = setSocketOption(sock.s, name, value);
  if (r === 0) sock.s.socketOptionSet?.(name);
  return r;
}

/** Getsockopt implements Linux syscall getsockopt(2). */
export function sysGetsockopt(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const mem = t.process.memory;
  const level = a.int(1), name = a.int(2), lenAddr = a.ptr(4);
  const len = mem.u32(lenAddr);
  if (len === null) return -E.EFAULT;
  if ((len | 0) < 0) return -E.EINVAL;
  const value = level === SOL_SOCKET ? getSocketOption(sock.s, name) : sock.s.getProtocolOption(level, name);
  if (typeof value === "number") return value;
  const n = Math.min(len, value.length);
  if (n > 0 && !mem.write(a.ptr(3), value.subarray(0, n))) return -E.EFAULT;
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return mem.write(lenAddr, b) ? 0 : -E.EFAULT;
}
