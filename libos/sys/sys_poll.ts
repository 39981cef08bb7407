// Waiting for descriptors: poll, ppoll, select, pselect6. Linux: fs/select.c.
//
// One readiness machinery for every kind of file: FileOps.poll() says what is ready now
// and FileOps.readiness is the queue notified when that may change. A poll that finds
// nothing ready sleeps on the queues of all its files at once (interruptibly, with the
// timeout as deadline) and looks again on each notification. Epoll (sys_epoll.ts) uses
// the same two members and the helpers exported here; sockets will too.

import * as E from "../../linux-abi/errno.ts";
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI } from "../../linux-abi/poll.ts";
import { SIZEOF_SIGSET } from "../../linux-abi/signal.ts";
import { SIZEOF_TIMESPEC, SIZEOF_TIMEVAL, decodeTimespec, decodeTimeval } from "../../linux-abi/time.ts";
import type { OpenFile } from "../file.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import { AGAIN, ERESTARTNOHAND, sleep, type WaitQueue } from "../wait_queue.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { readSigset, withTemporaryMask } from "./sys_signal.ts";
import { getStruct } from "./_struct.ts";

const FD_SETSIZE = 1024;
// What poll always reports, asked or not.
const ALWAYS = POLLERR | POLLHUP | POLLNVAL;

function queuesOf(files: readonly (OpenFile | null)[]): WaitQueue[] {
  const out = new Set<WaitQueue>();
  for (const f of files) if (f?.ops.readiness) out.add(f.ops.readiness);
  return [...out];
}

/** A deadline from a timeout in ms (< 0: none), or undefined. */
export function deadlineAfter(ms: number): number | undefined {
  return ms < 0 ? undefined : performance.now() + ms;
}

function doPoll(t: Thread, addr: number, nfds: number, deadline: number | undefined): SyscallResult {
  if (nfds > FD_SETSIZE * 64) return -E.EINVAL;
  const mem = t.process.memory;
  const raw = mem.view(addr, nfds * 8, PROT_READ);
  if (!raw) return nfds === 0 ? pollSleep(t, [], () => AGAIN, deadline) : -E.EFAULT;
  const view = new DataView(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const files: (OpenFile | null)[] = [];
  for (let i = 0; i < nfds; i++) {
    const fd = view.getInt32(i * 8, true);
    files.push(fd < 0 ? null : t.process.fds.get(fd));
  }
  const attempt = (): number => {
    let ready = 0;
    const out = new Uint8Array(nfds * 8);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < nfds; i++) {
      const fd = view.getInt32(i * 8, true);
      const events = view.getInt16(i * 8 + 4, true);
      ov.setInt32(i * 8, fd, true);
      ov.setInt16(i * 8 + 4, events, true);
      const f = files[i];
      const revents = fd < 0 ? 0 : f ? f.poll(t) & (events | ALWAYS) : POLLNVAL;
      ov.setInt16(i * 8 + 6, revents, true);
      if (revents) ready++;
    }
    if (ready === 0 && (deadline === undefined || deadline > performance.now())) return AGAIN;
    return mem.write(addr, out) ? ready : -E.EFAULT;
  };
  return pollSleep(t, queuesOf(files), attempt, deadline);
}

function pollSleep(t: Thread, queues: WaitQueue[], attempt: () => number, deadline: number | undefined): SyscallResult {
  // A timeout ends the sleep with one more look, which writes the (empty) sets and reports 0.
  return sleep(t, queues, attempt, { deadline, onTimeout: 0, lastLook: true, interrupted: -ERESTARTNOHAND });
}

/** Poll implements Linux syscall poll(2). */
export function sysPoll(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return doPoll(t, a.ptr(0), a.uint(1), deadlineAfter(a.int(2)));
}

/** The deadline of a timeout given as a timespec (NULL: none), or [-errno]. */
export function timespecDeadline(t: Thread, addr: number): number | undefined | number[] {
  if (addr === 0) return undefined;
  const ts = getStruct(t.process.memory, addr, SIZEOF_TIMESPEC, decodeTimespec);
  if (!ts) return [-E.EFAULT];
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return [-E.EINVAL];
  return performance.now() + ts.tv_sec * 1000 + ts.tv_nsec / 1e6;
}

/** The temporary signal mask of ppoll/pselect6/epoll_pwait, in force until the call returns or a handler runs. */
export function applySigmask(t: Thread, addr: number, size: number): number {
  if (addr === 0) return 0;
  if (size !== SIZEOF_SIGSET) return -E.EINVAL;
  const mask = readSigset(t, addr);
  if (mask === null) return -E.EFAULT;
  withTemporaryMask(t, mask);
  return 0;
}

/**
 * Restore the mask after the call unless a signal interrupted it (the result is then
 * `interrupted`, and the handler's return restores it).
 */
export function restoreMask(t: Thread, r: SyscallResult, interrupted = -ERESTARTNOHAND): SyscallResult {
  const done = (n: number): number => {
    if (n !== interrupted && t.savedMask !== null) {
      t.sigmask = t.savedMask;
      t.savedMask = null;
    }
    return n;
  };
  return typeof r === "number" ? done(r) : typeof r === "object" ? r.then(done) : r;
}

/** Ppoll implements Linux syscall ppoll(2). */
export function sysPpoll(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const deadline = timespecDeadline(t, a.ptr(2));
  if (Array.isArray(deadline)) return deadline[0]!;
  const m = applySigmask(t, a.ptr(3), a.size(4));
  if (m < 0) return m;
  return restoreMask(t, doPoll(t, a.ptr(0), a.uint(1), deadline));
}

function doSelect(t: Thread, nfds: number, rAddr: number, wAddr: number, xAddr: number, deadline: number | undefined): SyscallResult {
  if (nfds < 0 || nfds > FD_SETSIZE) return -E.EINVAL;
  const mem = t.process.memory;
  const bytes = Math.ceil(nfds / 64) * 8;
  const readSet = (addr: number): Uint8Array | null | number => {
    if (!addr) return null;
    const v = mem.view(addr, bytes, PROT_READ);
    return v ? v.slice() : -E.EFAULT;
  };
  const sets = [readSet(rAddr), readSet(wAddr), readSet(xAddr)];
  for (const s of sets) if (typeof s === "number") return s;
  const [rs, ws, xs] = sets as (Uint8Array | null)[];
  const files: (OpenFile | null)[] = [];
  const has = (s: Uint8Array | null, fd: number): boolean => s !== null && (s[fd >> 3]! & (1 << (fd & 7))) !== 0;
  for (let fd = 0; fd < nfds; fd++) {
    if (!has(rs!, fd) && !has(ws!, fd) && !has(xs!, fd)) continue;
    const f = t.process.fds.get(fd);
    if (!f) return -E.EBADF;
    files.push(f);
  }
  const attempt = (): number => {
    const out = [rs ? new Uint8Array(bytes) : null, ws ? new Uint8Array(bytes) : null, xs ? new Uint8Array(bytes) : null];
    let ready = 0;
    for (let fd = 0; fd < nfds; fd++) {
      const f = has(rs!, fd) || has(ws!, fd) || has(xs!, fd) ? t.process.fds.get(fd) : null;
      if (!f) continue;
      const r = f.poll(t);
      const mark = (i: number, set: Uint8Array | null, on: boolean): void => {
        if (set && has(set, fd) && on) {
          out[i]![fd >> 3]! |= 1 << (fd & 7);
          ready++;
        }
      };
      mark(0, rs!, (r & (POLLIN | POLLHUP | POLLERR)) !== 0);
      mark(1, ws!, (r & (POLLOUT | POLLERR)) !== 0);
      mark(2, xs!, (r & POLLPRI) !== 0);
    }
    if (ready === 0 && (deadline === undefined || deadline > performance.now())) return AGAIN;
    const addrs = [rAddr, wAddr, xAddr];
    for (let i = 0; i < 3; i++) if (out[i] && !mem.write(addrs[i]!, out[i]!)) return -E.EFAULT;
    return ready;
  };
  return pollSleep(t, queuesOf(files), attempt, deadline);
}

/** Select implements Linux syscall select(2). */
export function sysSelect(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  let deadline: number | undefined;
  if (a.ptr(4)) {
    const tv = getStruct(t.process.memory, a.ptr(4), SIZEOF_TIMEVAL, decodeTimeval);
    if (!tv) return -E.EFAULT;
    if (tv.tv_sec < 0 || tv.tv_usec < 0) return -E.EINVAL;
    deadline = performance.now() + tv.tv_sec * 1000 + tv.tv_usec / 1000;
  }
  return doSelect(t, a.int(0), a.ptr(1), a.ptr(2), a.ptr(3), deadline);
}

/** Pselect6 implements Linux syscall pselect6(2); the 6th argument is { sigset*, size }. */
export function sysPselect6(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const deadline = timespecDeadline(t, a.ptr(4));
  if (Array.isArray(deadline)) return deadline[0]!;
  const sigArg = a.ptr(5);
  if (sigArg) {
    const set = t.process.memory.u64(sigArg), size = t.process.memory.u64(sigArg + 8);
    if (set === null || size === null) return -E.EFAULT;
    const m = applySigmask(t, set, size);
    if (m < 0) return m;
  }
  return restoreMask(t, doSelect(t, a.int(0), a.ptr(1), a.ptr(2), a.ptr(3), deadline));
}
