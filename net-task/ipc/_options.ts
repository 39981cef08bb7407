// setsockopt/getsockopt for the rows of the socket table: SOL_SOCKET options that change
// what the stack does (the kernel-task keeps and reports the SOL_SOCKET values itself),
// IPPROTO_IP and IPPROTO_TCP. Linux: net/ipv4/ip_sockglue.c, net/ipv4/tcp.c
// (do_tcp_setsockopt, do_tcp_getsockopt). TTL and TOS are kept and reported; packets leave
// with the stack's defaults.

import * as E from "../../linux-abi/errno.ts";
import * as I from "../../linux-abi/inet.ts";
import {
  IPPROTO_IP, IPPROTO_TCP, SOL_SOCKET, SO_BROADCAST, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF,
} from "../../linux-abi/socket.ts";
import { TcpSocket } from "../socket/tcp.ts";
import { SocketKind } from "./api.ts";
import { type Row } from "./_entry.ts";

/** TCP_MIN_MSS and the largest MSS TCP_MAXSEG takes (MAX_TCP_WINDOW). */
const TCP_MIN_MSS = 88;
const MAX_TCP_WINDOW = 32767;
/** TCP_MSS_DEFAULT: what TCP_MAXSEG reports before a connection has one. */
const TCP_MSS_DEFAULT = 536;

/** IP and TCP options that are only kept and reported. */
const KEPT_IP = new Set([I.IP_PKTINFO, I.IP_RECVERR, I.IP_RECVTTL, I.IP_RECVTOS, I.IP_MTU_DISCOVER, I.IP_MULTICAST_TTL, I.IP_MULTICAST_LOOP]);
const KEPT_TCP = new Set([I.TCP_CORK, I.TCP_SYNCNT, I.TCP_LINGER2, I.TCP_DEFER_ACCEPT, I.TCP_WINDOW_CLAMP, I.TCP_QUICKACK, I.TCP_USER_TIMEOUT]);

/** Applies a row's TCP settings to a live connection. */
export function configureTcp(row: Row, s: TcpSocket): void {
  const o = row.options;
  s.configure({
    noDelay: o.noDelay, keepAlive: o.keepAlive, keepAliveIdle: o.keepIdle * 1000, keepAliveInterval: o.keepIntvl * 1000,
    keepAliveCount: o.keepCnt,
  });
}

/** setsockopt: 0 or -errno. */
export function setRowOption(row: Row, level: number, name: number, v: number): number {
  const o = row.options;
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR: o.reuseAddr = v !== 0; break;
      case SO_REUSEPORT: o.reusePort = v !== 0; break;
      case SO_BROADCAST: o.broadcast = v !== 0; break;
      case SO_KEEPALIVE: o.keepAlive = v !== 0; break;
      case SO_LINGER: o.linger = v; break;
      case SO_RCVBUF: o.rcvbuf = v; break;
      case SO_SNDBUF: o.sndbuf = v; break;
      default: return 0;
    }
  } else if (level === IPPROTO_IP) {
    if (name === I.IP_TTL) {
      if (v !== -1 && (v < 1 || v > 255)) return -E.EINVAL;
      o.ttl = v === -1 ? 0 : v;
    } else if (name === I.IP_TOS) {
      o.tos = v & 0xff;
    } else if (KEPT_IP.has(name)) {
      row.kept.set((level << 16) | name, v);
    } else {
      return -E.ENOPROTOOPT;
    }
    return 0;
  } else if (level === IPPROTO_TCP) {
    if (row.kind !== SocketKind.Tcp) return -E.ENOPROTOOPT;
    switch (name) {
      case I.TCP_NODELAY: o.noDelay = v !== 0; break;
      case I.TCP_MAXSEG:
        if (v !== 0 && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW)) return -E.EINVAL;
        o.maxseg = v;
        break;
      case I.TCP_KEEPIDLE:
      case I.TCP_KEEPINTVL:
        if (v < 1 || v > I.MAX_TCP_KEEPIDLE) return -E.EINVAL;
        if (name === I.TCP_KEEPIDLE) o.keepIdle = v;
        else o.keepIntvl = v;
        break;
      case I.TCP_KEEPCNT:
        if (v < 1 || v > I.MAX_TCP_KEEPCNT) return -E.EINVAL;
        o.keepCnt = v;
        break;
      default:
        if (!KEPT_TCP.has(name)) return -E.ENOPROTOOPT;
        row.kept.set((level << 16) | name, v);
        return 0;
    }
  } else {
    return -E.ENOPROTOOPT;
  }
  if (row.stack instanceof TcpSocket) configureTcp(row, row.stack);
  return 0;
}

/** getsockopt of an int option at IPPROTO_IP or IPPROTO_TCP: the value, or -errno. */
export function getRowOption(row: Row, level: number, name: number, mtu: number): number {
  const o = row.options;
  const s = row.stack;
  if (level === IPPROTO_IP) {
    if (name === I.IP_TTL) return o.ttl === 0 ? I.IP_DEFAULT_TTL : o.ttl;
    if (name === I.IP_TOS) return o.tos;
    if (name === I.IP_MTU) return mtu > 0 ? mtu : -E.ENOTCONN;
    return KEPT_IP.has(name) ? (row.kept.get((level << 16) | name) ?? 0) : -E.ENOPROTOOPT;
  }
  if (level !== IPPROTO_TCP || row.kind !== SocketKind.Tcp) return -E.ENOPROTOOPT;
  switch (name) {
    case I.TCP_NODELAY: return o.noDelay ? 1 : 0;
    case I.TCP_MAXSEG:
      if (s instanceof TcpSocket && s.state !== "CLOSED" && s.state !== "SYN-SENT") return s.mss;
      return o.maxseg !== 0 ? o.maxseg : TCP_MSS_DEFAULT;
    case I.TCP_KEEPIDLE: return o.keepIdle;
    case I.TCP_KEEPINTVL: return o.keepIntvl;
    case I.TCP_KEEPCNT: return o.keepCnt;
  }
  return KEPT_TCP.has(name) ? (row.kept.get((level << 16) | name) ?? 0) : -E.ENOPROTOOPT;
}
