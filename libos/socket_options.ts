// The SOL_SOCKET options every socket has, and getsockopt/setsockopt at that level.
// Linux: net/core/sock.c (sk_setsockopt, sk_getsockopt). Levels below SOL_SOCKET are the
// family's (Socket.getProtocolOption).
//
// Buffer sizes are doubled on the way in and clamped, as Linux does (the kernel counts its
// own overhead in them), with the sysctl defaults (net.core.wmem_max and friends). Timeouts
// are kept in microseconds; none is Infinity, and a negative time is 0: every wait ends at
// once (Linux stores 0 jiffies then).

import * as E from "../linux-abi/errno.ts";
import * as S from "../linux-abi/socket.ts";
import { SIZEOF_UCRED, encodeUcred } from "../linux-abi/socket.ts";
import type { Socket } from "./socket.ts";

/** Options stored and reported that change nothing here (no routing, no keepalive probes on AF_UNIX). */
const STORED_FLAGS = new Set([S.SO_DEBUG, S.SO_REUSEADDR, S.SO_REUSEPORT, S.SO_KEEPALIVE, S.SO_DONTROUTE, S.SO_BROADCAST, S.SO_OOBINLINE, S.SO_PRIORITY]);

const SIZEOF_TIMEVAL = 16;
const SIZEOF_LINGER = 8;

export class SocketOptions {
  sndbuf = S.WMEM_DEFAULT;
  rcvbuf = S.RMEM_DEFAULT;
  /** SO_RCVTIMEO / SO_SNDTIMEO in microseconds; Infinity: none. */
  rcvtimeoUs = Infinity;
  sndtimeoUs = Infinity;
  passcred = false;
  rcvlowat = 1;
  linger = { on: 0, seconds: 0 };
  readonly #flags = new Map<number, number>();

  flag(name: number): number {
    return this.#flags.get(name) ?? 0;
  }

  setFlag(name: number, value: number): void {
    this.#flags.set(name, value);
  }

  /** Everything, as a socket cloned from a listener starts (Linux: sk_clone_lock copies the sock). */
  cloneFrom(o: SocketOptions): void {
    this.sndbuf = o.sndbuf;
    this.rcvbuf = o.rcvbuf;
    this.rcvtimeoUs = o.rcvtimeoUs;
    this.sndtimeoUs = o.sndtimeoUs;
    this.passcred = o.passcred;
    this.rcvlowat = o.rcvlowat;
    this.linger = { ...o.linger };
    for (const [name, value] of o.#flags) this.#flags.set(name, value);
  }

  /** What a socket made by accept(2) inherits from its listener (Linux: unix_sock_inherit_flags). */
  inheritFrom(o: SocketOptions): void {
    this.passcred = o.passcred;
  }
}

/** A timeout as a sleep's deadline (performance.now() time), or undefined for none. */
export function deadlineOf(timeoUs: number): number | undefined {
  return timeoUs === Infinity ? undefined : performance.now() + timeoUs / 1000;
}

function intBytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

function timevalBytes(us: number): Uint8Array {
  const b = new Uint8Array(SIZEOF_TIMEVAL);
  if (us !== Infinity) {
    const v = new DataView(b.buffer);
    v.setBigInt64(0, BigInt(Math.floor(us / 1e6)), true);
    v.setBigInt64(8, BigInt(us % 1e6), true);
  }
  return b;
}

/** getsockopt(2) at SOL_SOCKET: the value's bytes (the caller cuts them to optlen), or -errno. */
export function getSocketOption(s: Socket, name: number): Uint8Array | number {
  const o = s.options;
  switch (name) {
    case S.SO_TYPE:
      return intBytes(s.type);
    case S.SO_DOMAIN:
      return intBytes(s.family);
    case S.SO_PROTOCOL:
      return intBytes(s.protocol);
    case S.SO_ERROR:
      return intBytes(s.takeError());
    case S.SO_ACCEPTCONN:
      return intBytes(s.listening ? 1 : 0);
    case S.SO_SNDBUF:
      return intBytes(o.sndbuf);
    case S.SO_RCVBUF:
      return intBytes(o.rcvbuf);
    case S.SO_PASSCRED:
      return intBytes(o.passcred ? 1 : 0);
    case S.SO_RCVLOWAT:
      return intBytes(o.rcvlowat);
    case S.SO_SNDLOWAT:
      return intBytes(1);
    case S.SO_RCVTIMEO:
      return timevalBytes(o.rcvtimeoUs);
    case S.SO_SNDTIMEO:
      return timevalBytes(o.sndtimeoUs);
    case S.SO_LINGER: {
      const b = new Uint8Array(SIZEOF_LINGER);
      const v = new DataView(b.buffer);
      v.setInt32(0, o.linger.on, true);
      v.setInt32(4, o.linger.seconds, true);
      return b;
    }
    case S.SO_PEERCRED: {
      // No peer: pid 0 and the ids -1, as cred_to_ucred reports a missing credential.
      const c = s.peerCredentials() ?? { pid: 0, uid: -1, gid: -1 };
      const b = new Uint8Array(SIZEOF_UCRED);
      encodeUcred(new DataView(b.buffer), 0, c);
      return b;
    }
  }
  return STORED_FLAGS.has(name) ? intBytes(o.flag(name)) : -E.ENOPROTOOPT;
}

/** A timeval option's value in microseconds, or -errno (sock_set_timeout). */
function timeoutOf(v: Uint8Array): number {
  if (v.length < SIZEOF_TIMEVAL) return -E.EINVAL;
  const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const sec = Number(d.getBigInt64(0, true)), usec = Number(d.getBigInt64(8, true));
  if (usec < 0 || usec >= 1e6) return -E.EDOM;
  if (sec < 0) return 0;
  if (sec === 0 && usec === 0) return Infinity;
  return sec * 1e6 + usec;
}

/** A doubled buffer size within [min, 2 * max] (an int: negative values clamp to the minimum). */
function bufferSize(v: number, max: number, min: number): number {
  return Math.max(Math.min(v, max) * 2, min);
}

/** setsockopt(2) at SOL_SOCKET: 0 or -errno. */
export function setSocketOption(s: Socket, name: number, value: Uint8Array): number {
  const o = s.options;
  if (name === S.SO_RCVTIMEO || name === S.SO_SNDTIMEO) {
    const us = timeoutOf(value);
    if (us < 0) return us;
    if (name === S.SO_RCVTIMEO) o.rcvtimeoUs = us;
    else o.sndtimeoUs = us;
    s.readiness.notify();
    return 0;
  }
  if (name === S.SO_LINGER) {
    if (value.length < SIZEOF_LINGER) return -E.EINVAL;
    const d = new DataView(value.buffer, value.byteOffset, value.byteLength);
    o.linger = { on: d.getInt32(0, true), seconds: d.getInt32(4, true) };
    return 0;
  }
  if (value.length < 4) return -E.EINVAL;
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength).getInt32(0, true);
  switch (name) {
    case S.SO_SNDBUF:
    case S.SO_SNDBUFFORCE:
      o.sndbuf = bufferSize(v, S.WMEM_MAX, S.SOCK_MIN_SNDBUF);
      s.readiness.notify();
      return 0;
    case S.SO_RCVBUF:
    case S.SO_RCVBUFFORCE:
      o.rcvbuf = bufferSize(v, S.RMEM_MAX, S.SOCK_MIN_RCVBUF);
      return 0;
    case S.SO_PASSCRED:
      o.passcred = v !== 0;
      return 0;
    case S.SO_RCVLOWAT:
      o.rcvlowat = v < 0 ? 0x7fffffff : v === 0 ? 1 : v;
      return 0;
    case S.SO_SNDLOWAT:
      return -E.ENOPROTOOPT;
    case S.SO_TYPE:
    case S.SO_DOMAIN:
    case S.SO_PROTOCOL:
    case S.SO_ERROR:
    case S.SO_ACCEPTCONN:
    case S.SO_PEERCRED:
      return -E.ENOPROTOOPT;
  }
  if (!STORED_FLAGS.has(name)) return -E.ENOPROTOOPT;
  o.setFlag(name, name === S.SO_PRIORITY ? v : v !== 0 ? 1 : 0);
  return 0;
}
