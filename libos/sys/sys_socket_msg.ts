// The socket syscalls that move data: sendto, recvfrom, sendmsg, recvmsg, sendmmsg,
// recvmmsg. Linux: net/socket.c (____sys_sendmsg, ____sys_recvmsg), net/core/scm.c
// (control messages). read, write, readv and writev on a socket reach the same waits
// through sys/_io.ts.
//
// A msghdr is decoded once, every pointer checked: msg_namelen < 0 is EINVAL, more than
// UIO_MAXIOV iovecs EMSGSIZE, the iovecs as readv's, control data above OPTMEM_MAX ENOBUFS.
// Control messages sent: SCM_RIGHTS (AF_UNIX only; up to SCM_MAX_FD descriptors, each a
// new reference) and SCM_CREDENTIALS (the sender's own ids unless it is root). Received:
// the credentials first (SO_PASSCRED), then the descriptors, installed as many as fit and
// the fd table takes (MSG_CTRUNC for the rest, which are closed), as put_cmsg and
// scm_detach_fds write them.

import * as E from "../../linux-abi/errno.ts";
import { O_NONBLOCK } from "../../linux-abi/fcntl.ts";
import {
  AF_UNIX, MMSGHDR_LEN, MMSG_MAX, MSGHDR, MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_WAITFORONE, SCM_CREDENTIALS,
  SCM_MAX_FD, SCM_RIGHTS, SIZEOF_CMSGHDR, SIZEOF_MMSGHDR, SIZEOF_MSGHDR, SIZEOF_SOCKADDR_STORAGE, SIZEOF_UCRED, SOL_SOCKET,
  cmsgAlign, cmsgLen, cmsgSpace, decodeUcred, encodeUcred, type Ucred,
} from "../../linux-abi/socket.ts";
import { SIZEOF_TIMESPEC, decodeTimespec } from "../../linux-abi/time.ts";
import { UIO_MAXIOV } from "../../linux-abi/uio.ts";
import type { IoResult, OpenFile } from "../file.ts";
import { PROT_READ, PROT_WRITE, type GuestMemory } from "../memory.ts";
import type { Thread } from "../process.ts";
import { emptyReceived, type OutgoingMessage, type Received, type Socket } from "../socket.ts";
import { CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { gathered, mappedPieces, readIovecs, rwCount, scatter, totalOf, type Segment } from "./_io.ts";
import { dropRights, socketRecv, socketSend } from "./_socket_io.ts";
import { readSockaddr, socketOf, writeSockaddr } from "./sys_socket.ts";
import { getStruct } from "./_struct.ts";

/** The most control data one sendmsg takes (net.core.optmem_max's default). */
const OPTMEM_MAX = 131072;

interface Msghdr {
  name: number;
  namelen: number;
  iov: Segment[];
  control: number;
  controllen: number;
}

/** A user msghdr (copy_msghdr_from_user): its fields, the iovecs read, or -errno. */
function readMsghdr(mem: GuestMemory, addr: number): Msghdr | number {
  const raw = mem.view(addr, SIZEOF_MSGHDR, PROT_READ);
  if (!raw) return -E.EFAULT;
  const v = new DataView(raw.buffer, raw.byteOffset, SIZEOF_MSGHDR);
  const u64 = (at: number): number => v.getUint32(at, true) + v.getUint32(at + 4, true) * 4294967296;
  const name = u64(MSGHDR.name);
  const namelen = name === 0 ? 0 : v.getInt32(MSGHDR.namelen, true);
  if (namelen < 0) return -E.EINVAL;
  const iovlen = u64(MSGHDR.iovlen);
  if (iovlen > UIO_MAXIOV) return -E.EMSGSIZE;
  const iov = readIovecs(mem, u64(MSGHDR.iov), iovlen);
  if (typeof iov === "number") return iov;
  const control = u64(MSGHDR.control);
  return { name, namelen: Math.min(namelen, SIZEOF_SOCKADDR_STORAGE), iov, control, controllen: control === 0 ? 0 : u64(MSGHDR.controllen) };
}

/**
 * May the sender claim these credentials (scm_check_creds)? Its own pid (or CAP_SYS_ADMIN),
 * one of its uids (or CAP_SETUID), one of its gids (or CAP_SETGID).
 */
function credsAllowed(t: Thread, c: Ucred): boolean {
  const own = t.creds;
  const pid = c.pid === t.process.pid || capable(own, CAP_SYS_ADMIN);
  const uid = c.uid === own.uid || c.uid === own.euid || c.uid === own.suid || capable(own, CAP_SETUID);
  const gid = c.gid === own.gid || c.gid === own.egid || c.gid === own.sgid || capable(own, CAP_SETGID);
  return pid && uid && gid;
}

/** Parses the control messages of a send (__scm_send) into `msg`; 0 or -errno (files taken so far are dropped). */
function parseControl(t: Thread, s: Socket, control: Uint8Array, msg: OutgoingMessage): number {
  const v = new DataView(control.buffer, control.byteOffset, control.byteLength);
  const fail = (err: number): number => {
    for (const f of msg.rights ?? []) f.unref();
    msg.rights = null;
    return err;
  };
  for (let off = 0; off + SIZEOF_CMSGHDR <= control.length; ) {
    const len = v.getUint32(off, true) + v.getUint32(off + 4, true) * 4294967296;
    const level = v.getInt32(off + 8, true), type = v.getInt32(off + 12, true);
    if (len < SIZEOF_CMSGHDR || len > control.length - off) return fail(-E.EINVAL);
    if (level === SOL_SOCKET) {
      if (type === SCM_RIGHTS) {
        if (s.family !== AF_UNIX) return fail(-E.EINVAL);
        const n = Math.floor((len - SIZEOF_CMSGHDR) / 4);
        const rights = msg.rights ?? [];
        if (rights.length + n > SCM_MAX_FD) return fail(-E.EINVAL);
        for (let i = 0; i < n; i++) {
          const f = t.process.fds.get(v.getInt32(off + SIZEOF_CMSGHDR + i * 4, true));
          if (!f) return fail(-E.EBADF);
          rights.push(f.ref());
          msg.rights = rights;
        }
      } else if (type === SCM_CREDENTIALS) {
        if (len !== cmsgLen(SIZEOF_UCRED)) return fail(-E.EINVAL);
        const c = decodeUcred(v, off + SIZEOF_CMSGHDR);
        if (!credsAllowed(t, c)) return fail(-E.EPERM);
        msg.creds = c;
      } else {
        return fail(-E.EINVAL);
      }
    }
    off += cmsgAlign(len);
  }
  return 0;
}

/** A send of `data` to `to`, with the description's O_NONBLOCK as MSG_DONTWAIT. */
function outgoing(f: OpenFile, data: Uint8Array, to: Uint8Array | null, flags: number): OutgoingMessage {
  return { data, to, rights: null, creds: null, flags: flags | (f.flags & O_NONBLOCK ? MSG_DONTWAIT : 0) };
}

/** One sendmsg: the bytes sent or -errno. */
function sendMsg(k: KernelServices, t: Thread, f: OpenFile, s: Socket, hdrAddr: number, flags: number): IoResult {
  const mem = t.process.memory;
  const h = readMsghdr(mem, hdrAddr);
  if (typeof h === "number") return h;
  const to = h.namelen > 0 ? readSockaddr(mem, h.name, h.namelen) : null;
  if (typeof to === "number") return to;
  if (h.controllen > OPTMEM_MAX) return -E.ENOBUFS;
  const control = h.controllen > 0 ? mem.view(h.control, h.controllen, PROT_READ) : new Uint8Array(0);
  if (!control) return -E.EFAULT;
  const mapped = mappedPieces(mem, h.iov);
  if (typeof mapped === "number") return mapped;
  const msg = outgoing(f, gathered(mapped.pieces, mapped.total), to, flags);
  const bad = parseControl(t, s, control, msg);
  return bad < 0 ? bad : socketSend(k, t, f, s, msg);
}

/** The control data of a receive, as put_cmsg and scm_detach_fds lay it out. */
class ControlWriter {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  used = 0;
  truncated = false;

  constructor(space: number) {
    this.bytes = new Uint8Array(space);
    this.#view = new DataView(this.bytes.buffer);
  }

  get #left(): number {
    return this.bytes.length - this.used;
  }

  #header(at: number, len: number, type: number): void {
    this.#view.setUint32(at, len, true);
    this.#view.setUint32(at + 4, 0, true);
    this.#view.setInt32(at + 8, SOL_SOCKET, true);
    this.#view.setInt32(at + 12, type, true);
  }

  /** put_cmsg: a header and data, cut to what is left (MSG_CTRUNC). */
  put(type: number, data: Uint8Array): void {
    if (this.#left < SIZEOF_CMSGHDR) {
      this.truncated = true;
      return;
    }
    let len = cmsgLen(data.length);
    if (this.#left < len) {
      this.truncated = true;
      len = this.#left;
    }
    this.#header(this.used, len, type);
    this.bytes.set(data.subarray(0, len - SIZEOF_CMSGHDR), this.used + SIZEOF_CMSGHDR);
    this.used += Math.min(cmsgSpace(data.length), this.#left);
  }

  /** scm_detach_fds: installs as many files as fit; the descriptors made (the rest are closed). */
  putRights(t: Thread, files: OpenFile[], cloexec: boolean): number[] {
    const room = this.#left <= SIZEOF_CMSGHDR ? 0 : Math.floor((this.#left - SIZEOF_CMSGHDR) / 4);
    const fds: number[] = [];
    let i = 0;
    while (i < files.length && fds.length < room) {
      // install takes the reference, and drops it when the table is full: the rest go too.
      const fd = t.process.fds.install(files[i++]!, cloexec);
      if (fd < 0) break;
      fds.push(fd);
    }
    for (; i < files.length; i++) files[i]!.unref();
    if (fds.length > 0) {
      this.#header(this.used, cmsgLen(fds.length * 4), SCM_RIGHTS);
      fds.forEach((fd, i) => this.#view.setInt32(this.used + SIZEOF_CMSGHDR + i * 4, fd, true));
      this.used += Math.min(cmsgSpace(fds.length * 4), this.#left);
    }
    if (fds.length < files.length) this.truncated = true;
    return fds;
  }
}

/** One recvmsg: the bytes received (or a record's length with MSG_TRUNC), or -errno. */
function recvMsg(t: Thread, f: OpenFile, s: Socket, hdrAddr: number, flags: number): IoResult {
  const mem = t.process.memory;
  const h = readMsghdr(mem, hdrAddr);
  if (typeof h === "number") return h;
  const got = emptyReceived();
  const r = socketRecv(t, f, s, totalOf(h.iov), flags, scatter(mem, h.iov), got);
  const finish = (n: number): number => (n < 0 || t.dead ? n : deliverMsg(t, s, hdrAddr, h, flags, got, n));
  return typeof r === "number" ? finish(r) : r.then(finish);
}

/** Writes what came with `n` bytes into the caller's msghdr: name, control data, flags. */
function deliverMsg(t: Thread, s: Socket, hdrAddr: number, h: Msghdr, flags: number, got: Received, n: number): number {
  const mem = t.process.memory;
  if (h.name !== 0) {
    const w = writeSockaddr(mem, h.name, hdrAddr + MSGHDR.namelen, got.from ?? new Uint8Array(0));
    if (w < 0) {
      dropRights(got);
      return w;
    }
  }
  const ctl = new ControlWriter(Math.min(h.controllen, OPTMEM_MAX));
  if (got.creds && s.options.passcred) {
    const c = new Uint8Array(SIZEOF_UCRED);
    encodeUcred(new DataView(c.buffer), 0, got.creds);
    ctl.put(SCM_CREDENTIALS, c);
  }
  const fds = got.rights ? ctl.putRights(t, got.rights, (flags & MSG_CMSG_CLOEXEC) !== 0) : [];
  got.rights = null;
  const msgFlags = got.flags | (ctl.truncated ? MSG_CTRUNC : 0) | (flags & MSG_CMSG_CLOEXEC);
  const tail = new Uint8Array(16);
  const tv = new DataView(tail.buffer);
  tv.setUint32(0, ctl.used, true);
  tv.setUint32(8, msgFlags, true);
  const ok = (ctl.used === 0 || mem.write(h.control, ctl.bytes.subarray(0, ctl.used))) && mem.write(hdrAddr + MSGHDR.controllen, tail.subarray(0, 8)) &&
    mem.write(hdrAddr + MSGHDR.flags, tail.subarray(8, 12));
  if (ok) return n;
  for (const fd of fds) t.process.fds.close(fd);
  return -E.EFAULT;
}

/** Sendto implements Linux syscall sendto(2). */
export function sysSendto(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mem = t.process.memory;
  const len = rwCount(mem, a.ptr(1), a.size(2), PROT_READ);
  if (len < 0) return len;
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const to = a.ptr(4) === 0 ? null : readSockaddr(mem, a.ptr(4), a.int(5));
  if (typeof to === "number") return to;
  const data = len === 0 ? new Uint8Array(0) : mem.view(a.ptr(1), len, PROT_READ)?.slice();
  if (!data) return -E.EFAULT;
  return socketSend(k, t, sock.f, sock.s, outgoing(sock.f, data, to, a.int(3)));
}

/** Recvfrom implements Linux syscall recvfrom(2). */
export function sysRecvfrom(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mem = t.process.memory;
  // Read now: the arguments are the next syscall's once this one has waited.
  const buf = a.ptr(1), addr = a.ptr(4), lenAddr = a.ptr(5);
  const len = rwCount(mem, buf, a.size(2), PROT_WRITE);
  if (len < 0) return len;
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const got = emptyReceived();
  const r = socketRecv(t, sock.f, sock.s, len, a.int(3), (at, bytes) => mem.write(buf + at, bytes), got);
  const finish = (n: number): number => {
    dropRights(got);
    if (n < 0 || addr === 0 || t.dead) return n;
    const w = writeSockaddr(mem, addr, lenAddr, got.from ?? new Uint8Array(0));
    return w < 0 ? w : n;
  };
  return typeof r === "number" ? finish(r) : r.then(finish);
}

/** Sendmsg implements Linux syscall sendmsg(2). */
export function sysSendmsg(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  return typeof sock === "number" ? sock : sendMsg(k, t, sock.f, sock.s, a.ptr(1), a.int(2));
}

/** Recvmsg implements Linux syscall recvmsg(2). */
export function sysRecvmsg(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  return typeof sock === "number" ? sock : recvMsg(t, sock.f, sock.s, a.ptr(1), a.int(2));
}

/**
 * Runs `one(i, flags)` for messages i = 0, 1, … of a sendmmsg/recvmmsg vector, storing each
 * count in its msg_len, until `vlen`, an error or `more` says stop: the number of messages
 * done, or the first error when none was.
 */
function eachMessage(
  t: Thread, vec: number, vlen: number, flags: number, one: (hdr: number, flags: number) => IoResult,
  more: (done: number) => boolean,
): SyscallResult {
  const mem = t.process.memory;
  const step = (i: number, f: number): IoResult => {
    if (i >= vlen) return i;
    const r = one(vec + i * SIZEOF_MMSGHDR, f);
    const next = (n: number): IoResult => {
      if (n < 0) return i > 0 ? i : n;
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, n, true);
      if (t.dead) return i + 1;
      if (!mem.write(vec + i * SIZEOF_MMSGHDR + MMSGHDR_LEN, b)) return i > 0 ? i : -E.EFAULT;
      if (!more(i + 1)) return i + 1;
      return step(i + 1, f & MSG_WAITFORONE ? f | MSG_DONTWAIT : f);
    };
    return typeof r === "number" ? next(r) : r.then(next);
  };
  return step(0, flags);
}

/** Sendmmsg implements Linux syscall sendmmsg(2). */
export function sysSendmmsg(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const vlen = Math.min(a.uint(2), MMSG_MAX);
  return eachMessage(t, a.ptr(1), vlen, a.int(3), (hdr, flags) => sendMsg(k, t, sock.f, sock.s, hdr, flags), () => true);
}

/**
 * Recvmmsg implements Linux syscall recvmmsg(2). The timeout is looked at between messages
 * (as Linux does: it does not bound the wait for one), and what is left of it written back.
 */
export function sysRecvmmsg(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const sock = socketOf(t, a.int(0));
  if (typeof sock === "number") return sock;
  const mem = t.process.memory;
  const tsAddr = a.ptr(4);
  let deadline = Infinity;
  if (tsAddr !== 0) {
    const ts = getStruct(mem, tsAddr, SIZEOF_TIMESPEC, decodeTimespec);
    if (!ts) return -E.EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
    deadline = performance.now() + ts.tv_sec * 1000 + ts.tv_nsec / 1e6;
  }
  const vlen = Math.min(a.uint(2), MMSG_MAX);
  const flags = a.int(3);
  const r = eachMessage(t, a.ptr(1), vlen, flags, (hdr, f) => recvMsg(t, sock.f, sock.s, hdr, f & ~MSG_WAITFORONE), () => performance.now() < deadline);
  if (tsAddr === 0) return r;
  const writeBack = (n: number): number => {
    const leftNs = Math.max(0, Math.round((deadline - performance.now()) * 1e6));
    const b = new Uint8Array(SIZEOF_TIMESPEC);
    const v = new DataView(b.buffer);
    v.setBigInt64(0, BigInt(Math.floor(leftNs / 1e9)), true);
    v.setBigInt64(8, BigInt(leftNs % 1e9), true);
    return t.dead || mem.write(tsAddr, b) ? n : -E.EFAULT;
  };
  return typeof r === "number" ? writeBack(r) : typeof r === "object" ? r.then(writeBack) : r;
}
