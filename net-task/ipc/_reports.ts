// What the net-task reports about itself: its interfaces (SIOCGIF*, /proc/net/dev and
// /proc/net/route), its sockets (/proc/net/tcp and /proc/net/udp, connections still finishing
// without an owner included) and one connection's TCP_INFO.

import { ARPHRD_ETHER, ARPHRD_LOOPBACK, IFF_BROADCAST, IFF_LOOPBACK, IFF_MULTICAST, IFF_RUNNING, IFF_UP, TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE, TcpStateNumber } from "../../linux-abi/inet.ts";
import { type Router } from "../iface/router.ts";
import { IcmpSocket } from "../socket/icmp.ts";
import { type SocketSet } from "../socket/socket_set.ts";
import { TcpSocket } from "../socket/tcp.ts";
import { TcpListener } from "../socket/tcp_listener.ts";
import { UdpSocket } from "../socket/udp.ts";
import { SocketKind, type NetInterfaceInfo, type NetSocketRow, type NetTcpInfo } from "./api.ts";
import { type Row, type StackSocket } from "./_entry.ts";
import * as E from "../../linux-abi/errno.ts";

export function interfaceInfo(router: Router): NetInterfaceInfo[] {
  return router.interfaces.map(({ name, index, iface }) => {
    const lo = iface.medium === "ip";
    const a = iface.addresses[0];
    const st = iface.stats;
    return {
      name, index, addr: a?.address ?? 0, prefixLen: a?.prefixLen ?? 0, mac: iface.hardwareAddress, mtu: iface.device.mtu,
      flags: IFF_UP | IFF_RUNNING | (lo ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST),
      hwType: lo ? ARPHRD_LOOPBACK : ARPHRD_ETHER,
      gateway: iface.routes.lookup(0)?.via ?? 0,
      rxPackets: st.rxFrames, txPackets: st.txFrames, rxBytes: st.rxBytes, txBytes: st.txBytes, rxErrors: st.rxErrors,
      rxDropped: st.rxDropped, txDropped: st.txDropped,
    };
  });
}

/** Every socket of `kind` in the set, with the id of the row that owns it (0: none). */
export function socketRows(rows: Iterable<Row>, set: SocketSet, kind: number): NetSocketRow[] {
  const owner = new Map<StackSocket, number>();
  for (const row of rows) if (row.stack !== null) owner.set(row.stack, row.id);
  const out: NetSocketRow[] = [];
  for (const s of set.values()) {
    const id = owner.get(s) ?? 0;
    if (kind === SocketKind.Tcp && s instanceof TcpSocket && s.state !== "CLOSED") {
      out.push({
        id, state: TcpStateNumber[s.state], localAddr: s.local.addr, localPort: s.local.port, remoteAddr: s.remote.addr,
        remotePort: s.remote.port, txQueue: s.sendQueue, rxQueue: s.recvQueue,
      });
    } else if (kind === SocketKind.Tcp && s instanceof TcpListener && s.isListening) {
      out.push({
        id, state: TcpStateNumber.LISTEN, localAddr: s.local.addr, localPort: s.local.port, remoteAddr: 0, remotePort: 0,
        txQueue: 0, rxQueue: s.pendingAccepts,
      });
    } else if (kind === SocketKind.Udp && s instanceof UdpSocket && s.isOpen) {
      const peer = s.peer;
      out.push({
        id, state: peer === null ? TcpStateNumber.CLOSED : TcpStateNumber.ESTABLISHED, localAddr: s.local.addr, localPort: s.local.port,
        remoteAddr: peer?.addr ?? 0, remotePort: peer?.port ?? 0, txQueue: s.sendQueue, rxQueue: s.recvQueue,
      });
    } else if (kind === SocketKind.Icmp && s instanceof IcmpSocket && s.ident !== null) {
      out.push({ id, state: TcpStateNumber.CLOSED, localAddr: 0, localPort: s.ident, remoteAddr: 0, remotePort: 0, txQueue: s.sendQueue, rxQueue: 0 });
    }
  }
  return out;
}

export function tcpInfoOf(s: StackSocket | null, now: number): NetTcpInfo | number {
  if (s instanceof TcpListener) {
    return { ...EMPTY_INFO, state: TcpStateNumber.LISTEN, unacked: s.pendingAccepts };
  }
  if (!(s instanceof TcpSocket)) return s === null ? { ...EMPTY_INFO } : -E.ENOPROTOOPT;
  const i = s.info();
  const mss = Math.max(1, i.mss);
  return {
    state: TcpStateNumber[i.state], retransmits: i.retransmits,
    options: (i.timestamps ? TCPI_OPT_TIMESTAMPS : 0) | (i.sack ? TCPI_OPT_SACK : 0) | (i.windowScaling ? TCPI_OPT_WSCALE : 0),
    sndWscale: i.sndShift, rcvWscale: i.rcvShift, rtoUs: Math.round(i.rto * 1000), sndMss: i.mss, rcvMss: i.advMss,
    unacked: Math.ceil(i.unacked / mss), rttUs: Math.round(i.srtt * 1000), rttvarUs: Math.round(i.rttvar * 1000),
    sndSsthresh: Math.min(0x7fffffff, Math.floor(i.ssthresh / mss)), sndCwnd: Math.max(1, Math.floor(i.cwnd / mss)),
    advmss: i.advMss, rcvSpace: i.rcvWindow, lastDataRecvMs: Math.max(0, Math.round(now - i.lastRecvAt)),
  };
}

/** A socket that has no connection yet: TCP_CLOSE, Linux's defaults. */
const EMPTY_INFO: NetTcpInfo = {
  state: TcpStateNumber.CLOSED, retransmits: 0, options: 0, sndWscale: 0, rcvWscale: 0, rtoUs: 1_000_000, sndMss: 536,
  rcvMss: 88, unacked: 0, rttUs: 0, rttvarUs: 250_000, sndSsthresh: 0x7fffffff, sndCwnd: 10, advmss: 536, rcvSpace: 0,
  lastDataRecvMs: 0,
};
