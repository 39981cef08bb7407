// POSIX message queue calls: mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify,
// mq_getsetattr (Linux: ipc/mqueue.c). Arguments are checked in Linux's order (the
// timeout before the descriptor, the priority before the descriptor, the size before the
// message); the queues are libos/mqueue.ts's.
//
// A send or receive that has to wait sleeps on the queue until there is room or a message,
// the absolute CLOCK_REALTIME timeout (ETIMEDOUT) or a signal (restarted under SA_RESTART,
// else EINTR). mq_notify takes SIGEV_NONE and SIGEV_SIGNAL; SIGEV_THREAD needs a netlink
// socket to carry the C library's cookie, and this kernel has no AF_NETLINK: glibc's
// mq_notify then fails with ENOSYS before calling, and a direct call finds no netlink
// socket at the descriptor it names (EBADF, ENOTSOCK or EINVAL as Linux's
// netlink_getsockbyfilp).

import * as E from "../../linux-abi/errno.ts";
import { O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from "../../linux-abi/fcntl.ts";
import { MQ_PRIO_MAX, NOTIFY_COOKIE_LEN, SIZEOF_MQ_ATTR, decodeMqAttr, encodeMqAttr } from "../../linux-abi/mqueue.ts";
import { POLLIN, POLLOUT } from "../../linux-abi/poll.ts";
import { RLIMIT_MSGQUEUE } from "../../linux-abi/resource.ts";
import { SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIZEOF_SIGEVENT, decodeSigevent } from "../../linux-abi/siginfo.ts";
import { SIZEOF_TIMESPEC, decodeTimespec } from "../../linux-abi/time.ts";
import type { OpenFile } from "../file.ts";
import { PROT_READ } from "../memory.ts";
import { MqFile, MqNamespace, notifyArrival } from "../mqueue.ts";
import type { Thread } from "../process.ts";
import { softLimit } from "../rlimits.ts";
import { AGAIN, sleep, type WaitQueue } from "../wait_queue.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getString, getStruct, putStruct } from "./_struct.ts";

const PATH_MAX = 4096;
const NSIG = 64;

/** getname: the name as the C library passed it (without its "/"): EFAULT, ENAMETOOLONG, or ENOENT when empty. */
function getname(t: Thread, addr: number): string | number {
  const name = getString(t.process.memory, addr, PATH_MAX, -E.ENAMETOOLONG);
  return name === "" ? -E.ENOENT : name;
}

/** The queue behind descriptor `fd` (EBADF for any other file) and the access it was opened for. */
function queueFile(t: Thread, fd: number): { f: OpenFile; mq: MqFile } | number {
  const f = t.process.fds.getOpen(fd);
  return f && f.ops instanceof MqFile ? { f, mq: f.ops } : -E.EBADF;
}

const readable = (f: OpenFile): boolean => (f.flags & O_ACCMODE) === O_RDONLY || (f.flags & O_ACCMODE) === O_RDWR;
const writable = (f: OpenFile): boolean => (f.flags & O_ACCMODE) === O_WRONLY || (f.flags & O_ACCMODE) === O_RDWR;

/**
 * prepare_timeout: the absolute CLOCK_REALTIME timeout at `addr` as a performance.now()
 * deadline (undefined: none), or -EFAULT / -EINVAL.
 */
function deadlineOf(k: KernelServices, t: Thread, addr: number): { at: number | undefined } | number {
  if (!addr) return { at: undefined };
  const ts = getStruct(t.process.memory, addr, SIZEOF_TIMESPEC, decodeTimespec);
  if (!ts) return -E.EFAULT;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
  return { at: performance.now() + (ts.tv_sec * 1000 + ts.tv_nsec / 1e6 - Number(k.wallClock.nowNs()) / 1e6) };
}

/** `step` now, or (unless O_NONBLOCK: EAGAIN) each time the queue changes until it is done. */
function waitFor(t: Thread, f: OpenFile, q: WaitQueue, step: () => number, deadline: number | undefined): number | Promise<number> {
  if (!(f.flags & O_NONBLOCK)) return sleep(t, [q], step, { deadline });
  const r = step();
  return r === AGAIN ? -E.EAGAIN : r;
}

/** MqOpen implements Linux syscall mq_open(2). */
export function sysMqOpen(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const oflag = a.int(1);
  let attr: { maxmsg: number; msgsize: number } | null = null;
  if (a.ptr(3)) {
    const got = getStruct(t.process.memory, a.ptr(3), SIZEOF_MQ_ATTR, decodeMqAttr);
    if (!got) return -E.EFAULT;
    attr = { maxmsg: got.mq_maxmsg, msgsize: got.mq_msgsize };
  }
  const name = getname(t, a.ptr(0));
  if (typeof name === "number") return name;
  const fds = t.process.fds;
  if (!fds.hasRoom()) return -E.EMFILE;
  const bad = MqNamespace.checkName(name);
  if (bad < 0) return bad;
  const file = k.mqueues.open(t, name, oflag, a.uint(2) & 0xffff, attr, softLimit(t.process, RLIMIT_MSGQUEUE));
  return typeof file === "number" ? file : fds.install(file, true);
}

/** MqUnlink implements Linux syscall mq_unlink(2). */
export function sysMqUnlink(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const name = getname(t, a.ptr(0));
  if (typeof name === "number") return name;
  const bad = MqNamespace.checkName(name);
  return bad < 0 ? bad : k.mqueues.unlink(t.creds, name);
}

/** MqTimedsend implements Linux syscall mq_timedsend(2). */
export function sysMqTimedsend(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const timeout = deadlineOf(k, t, a.ptr(4));
  if (typeof timeout === "number") return timeout;
  if (a.uint(3) >= MQ_PRIO_MAX) return -E.EINVAL;
  const prio = a.uint(3);
  const found = queueFile(t, a.int(0));
  if (typeof found === "number") return found;
  const { f, mq } = found;
  if (!writable(f)) return -E.EBADF;
  const q = mq.queue;
  const len = a.size(2);
  if (len > q.msgsize) return -E.EMSGSIZE;
  const view = len ? t.process.memory.view(a.ptr(1), len, PROT_READ) : new Uint8Array(0);
  if (!view) return -E.EFAULT;
  const reserved = k.mqueues.reserve(len);
  if (reserved < 0) return reserved;
  const data = view.slice();
  const put = (): number => {
    if (q.full) return AGAIN;
    q.insert({ prio, data });
    notifyArrival(q, t, (p, info) => k.sendSignal(p, info));
    q.readiness.notify(POLLIN);
    return 0;
  };
  const r = waitFor(t, f, q.readiness, put, timeout.at);
  const undo = (x: number): number => {
    if (x < 0) k.mqueues.release(len);
    return x;
  };
  return typeof r === "number" ? undo(r) : r.then(undo);
}

/** MqTimedreceive implements Linux syscall mq_timedreceive(2): the oldest message of the highest priority. */
export function sysMqTimedreceive(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const timeout = deadlineOf(k, t, a.ptr(4));
  if (typeof timeout === "number") return timeout;
  const found = queueFile(t, a.int(0));
  if (typeof found === "number") return found;
  const { f, mq } = found;
  if (!readable(f)) return -E.EBADF;
  const q = mq.queue;
  if (a.size(2) < q.msgsize) return -E.EMSGSIZE;
  const mem = t.process.memory;
  // The arguments are read now: `a` is the kernel-task's, reused by the next call.
  const bufAddr = a.ptr(1);
  const prioAddr = a.ptr(3);
  const take = (): number => {
    const m = q.take();
    if (!m) return AGAIN;
    k.mqueues.release(m.data.length);
    q.readiness.notify(POLLOUT);
    const prio = new Uint8Array(4);
    new DataView(prio.buffer).setUint32(0, m.prio, true);
    if ((prioAddr && !mem.write(prioAddr, prio)) || (m.data.length && !mem.write(bufAddr, m.data))) return -E.EFAULT;
    return m.data.length;
  };
  q.receiversWaiting++;
  const r = waitFor(t, f, q.readiness, take, timeout.at);
  const done = (x: number): number => {
    q.receiversWaiting--;
    return x;
  };
  return typeof r === "number" ? done(r) : r.then(done);
}

/** MqNotify implements Linux syscall mq_notify(2). */
export function sysMqNotify(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mem = t.process.memory;
  let ev = null;
  if (a.ptr(1)) {
    ev = getStruct(mem, a.ptr(1), SIZEOF_SIGEVENT, decodeSigevent);
    if (!ev) return -E.EFAULT;
    const how = ev.sigev_notify;
    if (how !== SIGEV_NONE && how !== SIGEV_SIGNAL && how !== SIGEV_THREAD) return -E.EINVAL;
    if (how === SIGEV_SIGNAL && (ev.sigev_signo < 0 || ev.sigev_signo > NSIG)) return -E.EINVAL;
    if (how === SIGEV_THREAD) {
      if (!mem.view(Number(BigInt.asUintN(64, ev.sigev_value)), NOTIFY_COOKIE_LEN, PROT_READ)) return -E.EFAULT;
      const sock = t.process.fds.get(ev.sigev_signo);
      if (!sock) return -E.EBADF;
      return sock.ops.socket ? -E.EINVAL : -E.ENOTSOCK;
    }
  }
  const found = queueFile(t, a.int(0));
  if (typeof found === "number") return found;
  const q = found.mq.queue;
  if (!ev) {
    if (q.notification?.owner === t.process) q.notification = null;
    return 0;
  }
  if (q.notification) return -E.EBUSY;
  q.notification = { owner: t.process, notify: ev.sigev_notify, signo: ev.sigev_signo, value: ev.sigev_value, via: found.mq };
  return 0;
}

/** MqGetsetattr implements Linux syscall mq_getsetattr(2): only O_NONBLOCK changes. */
export function sysMqGetsetattr(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mem = t.process.memory;
  let flags: number | null = null;
  if (a.ptr(1)) {
    const next = getStruct(mem, a.ptr(1), SIZEOF_MQ_ATTR, decodeMqAttr);
    if (!next) return -E.EFAULT;
    if (next.mq_flags & ~O_NONBLOCK) return -E.EINVAL;
    flags = next.mq_flags;
  }
  const found = queueFile(t, a.int(0));
  if (typeof found === "number") return found;
  const { f, mq } = found;
  const q = mq.queue;
  const old = { mq_flags: f.flags & O_NONBLOCK, mq_maxmsg: q.maxmsg, mq_msgsize: q.msgsize, mq_curmsgs: q.messages.length };
  if (flags !== null) f.flags = (f.flags & ~O_NONBLOCK) | flags;
  if (a.ptr(2) && !putStruct(mem, a.ptr(2), SIZEOF_MQ_ATTR, encodeMqAttr, old)) return -E.EFAULT;
  return 0;
}
