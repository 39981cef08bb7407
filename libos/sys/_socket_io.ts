// Waiting on sockets: what recv, send, accept and connect share for every family (Linux:
// net/socket.c and the waits of each family: sk_wait_data, sock_alloc_send_pskb,
// unix_wait_for_peer). A socket answers AGAIN when it would block (socket.ts); here:
//
//   - O_NONBLOCK on the description or MSG_DONTWAIT: EAGAIN (or what moved already);
//   - otherwise the thread sleeps on the socket's readiness queue and tries again, until
//     SO_RCVTIMEO / SO_SNDTIMEO pass (EAGAIN, or what moved already);
//   - a signal ends the wait: what moved already, else a restart (ERESTARTSYS: SA_RESTART
//     decides) without a timeout, EINTR with one (sock_intr_errno);
//   - a stream receive takes what is there, or with MSG_WAITALL all it asked for; a record
//     socket moves one record per call;
//   - a stream send goes on until everything is taken; EPIPE raises SIGPIPE for the
//     families that say so, unless MSG_NOSIGNAL or something was sent.

import { EAGAIN, EFAULT, EINTR, EPIPE } from "../../linux-abi/errno.ts";
import { O_NONBLOCK } from "../../linux-abi/fcntl.ts";
import { MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC, MSG_WAITALL } from "../../linux-abi/socket.ts";
import { SIGPIPE } from "../../linux-abi/signal.ts";
import type { IoResult, OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import { emptyReceived, type OutgoingMessage, type Received, type Socket } from "../socket.ts";
import { deadlineOf } from "../socket_options.ts";
import { AGAIN, ERESTARTSYS, sleep } from "../wait_queue.ts";
import type { KernelServices } from "./context.ts";

/** Where received bytes go: `bytes` at logical offset `at` of the caller's buffers; false: EFAULT. */
export type Sink = (at: number, bytes: Uint8Array) => boolean;

// A stream receive moves at most this much per step (the socket copies into a bounce buffer).
const CHUNK = 1 << 20;

function nonblocking(f: OpenFile, flags: number): boolean {
  return (f.flags & O_NONBLOCK) !== 0 || (flags & MSG_DONTWAIT) !== 0;
}

/**
 * Sleeps on `s` until `retry` answers something else than AGAIN, within `timeoUs` (EAGAIN
 * after it), interruptibly. `moved` says how much the call moved already: then a timeout or
 * a signal ends the call with that count.
 */
export function socketWait(t: Thread, s: Socket, timeoUs: number, retry: () => number, moved: () => number = () => 0): number | Promise<number> {
  const r = sleep(t, [s.readiness], retry, {
    deadline: deadlineOf(timeoUs),
    onTimeout: -EAGAIN,
    interrupted: timeoUs === Infinity ? -ERESTARTSYS : -EINTR,
  });
  const settle = (n: number): number => (n < 0 && moved() > 0 ? moved() : n);
  return typeof r === "number" ? settle(r) : r.then(settle);
}

/** Drops files a receive got and nobody installed. */
export function dropRights(got: Received): void {
  for (const file of got.rights ?? []) file.unref();
  got.rights = null;
}

/**
 * Receives up to `total` bytes into `sink`. `got` collects the address, credentials and
 * files (null: the caller wants none, and files are dropped). Returns the count (a
 * record's whole length with MSG_TRUNC) or -errno.
 */
export function socketRecv(t: Thread, f: OpenFile, s: Socket, total: number, flags: number, sink: Sink, got: Received | null): IoResult {
  const into = got ?? emptyReceived();
  const noWait = nonblocking(f, flags);
  const peek = (flags & MSG_PEEK) !== 0;
  const target = s.isStream && flags & MSG_WAITALL ? total : 1;
  const bounce = new Uint8Array(Math.min(total, CHUNK));
  let done = 0;
  const attempt = (): number => {
    for (;;) {
      const r = s.recv(bounce.subarray(0, Math.min(total - done, CHUNK)), flags, peek ? done : 0, into);
      if (r === AGAIN) return done > 0 && (done >= target || noWait) ? done : AGAIN;
      if (r < 0) return done > 0 ? done : r;
      if (r > 0 && !sink(done, bounce.subarray(0, r))) return -EFAULT;
      done += r;
      if (!s.isStream) return flags & MSG_TRUNC ? into.full : r;
      if (r === 0 || into.stop || done >= total) return done;
    }
  };
  const finish = (n: number): number => {
    if (got === null || n < 0 || t.dead) dropRights(into);
    return n;
  };
  const first = attempt();
  if (first !== AGAIN) return finish(first);
  if (noWait) return finish(-EAGAIN);
  const r = socketWait(t, s, s.options.rcvtimeoUs, attempt, () => done);
  return typeof r === "number" ? finish(r) : r.then(finish);
}

/**
 * Sends `msg`: the bytes taken, or -errno. Files the socket did not take are dropped
 * before returning.
 */
export function socketSend(k: KernelServices, t: Thread, f: OpenFile, s: Socket, msg: OutgoingMessage): IoResult {
  const noWait = nonblocking(f, msg.flags);
  const length = msg.data.length;
  let done = 0;
  const attempt = (): number => {
    for (;;) {
      const r = s.send(t, msg, done);
      if (r === AGAIN) return done > 0 && noWait ? done : AGAIN;
      if (r < 0) return done > 0 ? done : r;
      done += r;
      if (done >= length) return done;
    }
  };
  const finish = (n: number): number => {
    for (const file of msg.rights ?? []) file.unref();
    msg.rights = null;
    if (n === -EPIPE && s.pipeSignals && !(msg.flags & MSG_NOSIGNAL)) k.signalThread(t, SIGPIPE);
    return n;
  };
  const first = attempt();
  if (first !== AGAIN) return finish(first);
  if (noWait) return finish(-EAGAIN);
  const r = socketWait(t, s, s.options.sndtimeoUs, attempt, () => done);
  return typeof r === "number" ? finish(r) : r.then(finish);
}
