// epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2.
// Linux: fs/eventpoll.c (do_epoll_ctl, do_epoll_wait, do_epoll_pwait). The instance
// itself is libos/epoll.ts.
//
// epoll_wait sleeps on the epoll's own queue, which its entries' notifications wake, and
// scans again on each wake-up. A signal ends the wait with EINTR, never a restart (even
// under SA_RESTART, as signal(7) lists epoll_wait); a timeout with 0 events.

import * as E from "../../linux-abi/errno.ts";
import { O_RDWR } from "../../linux-abi/fcntl.ts";
import {
  EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLWAKEUP, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL,
  EPOLL_CTL_MOD, SIZEOF_EPOLL_EVENT, decodeEpollEvent, encodeEpollEvent,
} from "../../linux-abi/poll.ts";
import { EventPoll, type EventSink } from "../epoll.ts";
import { OpenFile } from "../file.ts";
import { PROT_READ, accessOk } from "../memory.ts";
import type { Thread } from "../process.ts";
import { AGAIN, sleep } from "../wait_queue.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { applySigmask, deadlineAfter, restoreMask, timespecDeadline } from "./sys_poll.ts";

/** INT_MAX / sizeof(struct epoll_event): more events than that is EINVAL. */
const EP_MAX_EVENTS = Math.floor(0x7fffffff / SIZEOF_EPOLL_EVENT);
/** What an EPOLLEXCLUSIVE entry may ask for besides. */
const EPOLLEXCLUSIVE_OK_BITS = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

function createEpoll(k: KernelServices, t: Thread, flags: number): number {
  if (flags & ~EPOLL_CLOEXEC) return -E.EINVAL;
  return t.process.fds.install(new OpenFile(new EventPoll(k.epollWatches), O_RDWR), (flags & EPOLL_CLOEXEC) !== 0);
}

/** EpollCreate implements Linux syscall epoll_create(2): the size is only checked. */
export function sysEpollCreate(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return a.int(0) <= 0 ? -E.EINVAL : createEpoll(k, t, 0);
}

/** EpollCreate1 implements Linux syscall epoll_create1(2). */
export function sysEpollCreate1(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return createEpoll(k, t, a.int(0));
}

/** EpollCtl implements Linux syscall epoll_ctl(2). */
export function sysEpollCtl(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const op = a.int(1), fd = a.int(2);
  let events = 0;
  let data = 0n;
  if (op !== EPOLL_CTL_DEL) {
    const raw = t.process.memory.view(a.ptr(3), SIZEOF_EPOLL_EVENT, PROT_READ);
    if (!raw) return -E.EFAULT;
    ({ events, data } = decodeEpollEvent(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0));
  }
  const epf = t.process.fds.get(a.int(0));
  const target = t.process.fds.get(fd);
  if (!epf || !target) return -E.EBADF;
  // Files that cannot be polled (regular files, directories) cannot be watched.
  if (!target.ops.readiness) return -E.EPERM;
  const ep = epf.ops;
  if (epf === target || !(ep instanceof EventPoll)) return -E.EINVAL;
  if (op !== EPOLL_CTL_DEL && events & EPOLLEXCLUSIVE) {
    if (op === EPOLL_CTL_MOD) return -E.EINVAL;
    if (op === EPOLL_CTL_ADD && (target.ops instanceof EventPoll || events & ~EPOLLEXCLUSIVE_OK_BITS)) return -E.EINVAL;
  }
  const item = ep.find(target, fd);
  switch (op) {
    case EPOLL_CTL_ADD:
      return ep.add(t, target, fd, events, data);
    case EPOLL_CTL_DEL:
      if (!item) return -E.ENOENT;
      ep.remove(item);
      return 0;
    case EPOLL_CTL_MOD:
      if (!item) return -E.ENOENT;
      // An exclusive entry cannot be modified.
      if (item.events & EPOLLEXCLUSIVE) return -E.EINVAL;
      ep.modify(t, item, events, data);
      return 0;
  }
  return -E.EINVAL;
}

/** do_epoll_wait: the checks, then a scan, then (if nothing and time is left) a sleep. */
function epollWait(t: Thread, epfd: number, addr: number, maxevents: number, deadline: number | undefined): SyscallResult {
  if (maxevents <= 0 || maxevents > EP_MAX_EVENTS) return -E.EINVAL;
  if (!accessOk(addr, maxevents * SIZEOF_EPOLL_EVENT)) return -E.EFAULT;
  const f = t.process.fds.get(epfd);
  if (!f) return -E.EBADF;
  const ep = f.ops;
  if (!(ep instanceof EventPoll)) return -E.EINVAL;
  const mem = t.process.memory;
  const record = new Uint8Array(SIZEOF_EPOLL_EVENT);
  const view = new DataView(record.buffer);
  const sink: EventSink = (n, events, data) => {
    encodeEpollEvent(view, 0, { events, data });
    return mem.write(addr + n * SIZEOF_EPOLL_EVENT, record);
  };
  // A timeout of 0 scans once: no sleep, so no EINTR either.
  if (deadline !== undefined && deadline <= performance.now()) return ep.collect(t, maxevents, sink);
  const attempt = (): number => {
    const n = ep.collect(t, maxevents, sink);
    return n === 0 ? AGAIN : n;
  };
  return sleep(t, [ep.readiness], attempt, { deadline, onTimeout: 0, interrupted: -E.EINTR });
}

/** The temporary mask of epoll_pwait/epoll_pwait2 around the wait. */
function withSigmask(t: Thread, setAddr: number, setSize: number, wait: () => SyscallResult): SyscallResult {
  const m = applySigmask(t, setAddr, setSize);
  if (m < 0) return m;
  return restoreMask(t, wait(), -E.EINTR);
}

/** EpollWait implements Linux syscall epoll_wait(2). */
export function sysEpollWait(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return epollWait(t, a.int(0), a.ptr(1), a.int(2), deadlineAfter(a.int(3)));
}

/** EpollPwait implements Linux syscall epoll_pwait(2). */
export function sysEpollPwait(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return withSigmask(t, a.ptr(4), a.size(5), () => epollWait(t, a.int(0), a.ptr(1), a.int(2), deadlineAfter(a.int(3))));
}

/** EpollPwait2 implements Linux syscall epoll_pwait2(2): the timeout is a timespec (NULL: none). */
export function sysEpollPwait2(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const deadline = timespecDeadline(t, a.ptr(3));
  if (Array.isArray(deadline)) return deadline[0]!;
  return withSigmask(t, a.ptr(4), a.size(5), () => epollWait(t, a.int(0), a.ptr(1), a.int(2), deadline));
}
