// Sockets: what every family's socket object offers the syscall layer (sys/sys_socket.ts,
// sys/sys_socket_msg.ts, sys/_socket_io.ts). Linux: include/linux/net.h (struct proto_ops).
//
// A socket is a FileOps (read, write, poll, fstat, fcntl and close reach it as any file)
// plus the operations below, which take decoded arguments: an address is the sockaddr's
// bytes as the caller gave them, data is already out of guest memory. As pipes do, a socket
// never blocks inside: an operation that would wait answers AGAIN, and the socket promises
// to notify its `readiness` queue whenever a retry may succeed (data came, room was freed, a
// connection arrived or was accepted, the peer went away). The syscall layer does the
// waiting once for every family: O_NONBLOCK and MSG_DONTWAIT, SO_RCVTIMEO and SO_SNDTIMEO
// (EAGAIN at the deadline), signals (restart unless a timeout is set, as sock_intr_errno),
// partial counts, MSG_WAITALL, SIGPIPE.
//
// Families: AF_UNIX is the kernel-task's own (unix_socket.ts). AF_INET is the net-task's:
// a proxy object implementing this interface over its IPC module, which keeps the
// per-socket state (inet_socket.ts, docs/architecture.md). AF_INET6 answers EAFNOSUPPORT,
// as a kernel built without IPv6 does, and so does AF_INET when the user kernel has no
// net-task (--net none).

import type { Ucred } from "../linux-abi/socket.ts";
import type { FsStat } from "../fs-task/file_system.ts";
import { S_IFSOCK } from "../linux-abi/stat.ts";
import type { FileOps, OpenFile } from "./file.ts";
import type { Thread } from "./process.ts";
import type { SocketOptions } from "./socket_options.ts";
import type { WaitQueue } from "./wait_queue.ts";

/** One sendmsg(2) (or write, sendto) as a socket receives it. */
export interface OutgoingMessage {
  data: Uint8Array;
  /** The destination address as given (sendto, msg_name), or null. */
  to: Uint8Array | null;
  /** SCM_RIGHTS: open files, one reference each. A socket that keeps them sets this to null; the caller drops what is left. */
  rights: OpenFile[] | null;
  /** SCM_CREDENTIALS as the sender gave them (already checked), or null: its own. */
  creds: Ucred | null;
  /** MSG_* flags of the call. */
  flags: number;
}

/** What a receive found besides bytes; one record gathers what the calls of one recvmsg find. */
export interface Received {
  /** The sender's address (recvfrom, msg_name); null: none to report (msg_namelen 0). */
  from: Uint8Array | null;
  /** Descriptors that came with the data: open files with a reference each, for the receiver. */
  rights: OpenFile[] | null;
  /** The sender's credentials, reported when the receiver set SO_PASSCRED. */
  creds: Ucred | null;
  /** msg_flags bits found (MSG_TRUNC). */
  flags: number;
  /** A record's whole length (recv with MSG_TRUNC returns it). */
  full: number;
  /** A stream read must end here (what was read carried descriptors, or the next bytes are another writer's). */
  stop: boolean;
}

export function emptyReceived(): Received {
  return { from: null, rights: null, creds: null, flags: 0, full: 0, stop: false };
}

export interface Socket extends FileOps {
  readonly socket: Socket;
  readonly family: number;
  /** SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET. */
  readonly type: number;
  readonly protocol: number;
  readonly options: SocketOptions;
  readonly readiness: WaitQueue;
  /** listen(2) was called (SO_ACCEPTCONN). */
  readonly listening: boolean;
  /** EPIPE from send raises SIGPIPE (unless MSG_NOSIGNAL). */
  readonly pipeSignals: boolean;
  /** SOCK_STREAM semantics: a receive gathers several sends, a send may be taken in parts. */
  readonly isStream: boolean;

  bind(t: Thread, addr: Uint8Array): number;
  listen(t: Thread, backlog: number): number;
  /** A connected socket from the queue, AGAIN when none is there yet, or -errno. */
  accept(t: Thread): Socket | number;
  /** 0 when connected, AGAIN to wait (`nonblocking`: the family's own answer instead), or -errno. */
  connect(t: Thread, addr: Uint8Array, nonblocking: boolean): number;
  /**
   * Sends `msg.data` from `offset`: the bytes taken (a record: all of them), AGAIN when
   * there is no room now, or -errno. Called at least once per message, also for 0 bytes.
   */
  send(t: Thread, msg: OutgoingMessage, offset: number): number;
  /**
   * Receives into `dst`: bytes copied, 0 at end of file, AGAIN when nothing is there, or
   * -errno; `skip` bytes already peeked in this call are passed over (MSG_PEEK). A record
   * socket moves one record per call.
   */
  recv(dst: Uint8Array, flags: number, skip: number, got: Received): number;
  shutdown(how: number): number;
  /** getsockname(2): the address's bytes. */
  localAddress(): Uint8Array;
  /** getpeername(2): the peer's address, or -ENOTCONN. */
  peerAddress(): Uint8Array | number;
  /** SO_PEERCRED: the peer's credentials when it connected, or null. */
  peerCredentials(): Ucred | null;
  /** SO_ERROR: the pending error (a positive errno or 0), cleared. */
  takeError(): number;
  /** Optional: a SOL_SOCKET option was set (the options already hold it); the family acts on it too. */
  socketOptionSet?(name: number): void;
  /** Options at levels other than SOL_SOCKET: a value, or -errno. */
  getProtocolOption(level: number, name: number): Uint8Array | number;
  setProtocolOption(level: number, name: number, value: Uint8Array): number;
}

/** st_dev of every socket (sockfs's anonymous device). */
const SOCKFS_DEV = 9;

/** fstat(2) of a socket of any family: a sockfs inode owned by its creator. */
export function socketStat(ino: number, owner: { uid: number; gid: number }, createdNs: bigint): FsStat {
  return {
    dev: SOCKFS_DEV, ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: owner.uid, gid: owner.gid, rdev: 0,
    size: 0, blksize: 4096, blocks: 0, atimeNs: createdNs, mtimeNs: createdNs, ctimeNs: createdNs,
  };
}
