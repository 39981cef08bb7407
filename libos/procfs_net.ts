// /proc/net: dev, route, tcp and udp (tcp6 and udp6 empty), in Linux's formats (busybox netstat, route and
// ifconfig parse them), from the net-task's reports. Addresses print as Linux prints a
// __be32 with %08X on a little-endian machine: 127.0.0.1 is 0100007F.
// Linux: net/core/net-procfs.c (dev_seq_show), net/ipv4/fib_trie.c (fib_route_seq_show),
// net/ipv4/tcp_ipv4.c (tcp4_seq_show), net/ipv4/udp.c (udp4_seq_show).

import { SocketKind, type NetSocketRow } from "../net-task/mod.ts";
import type { InetSockets } from "./inet_socket.ts";

/** RTF_UP, RTF_GATEWAY. */
const RTF_UP = 0x1, RTF_GATEWAY = 0x2;

/** The file names under /proc/net (tcp6 and udp6 list nothing: AF_INET6 is not served, but tools read them). */
export const PROC_NET_FILES = ["dev", "route", "tcp", "tcp6", "udp", "udp6"] as const;

/** A __be32 address as %08X prints it on x86. */
function be32(addr: number): string {
  const swapped = ((addr & 0xff) << 24 | ((addr >>> 8) & 0xff) << 16 | ((addr >>> 16) & 0xff) << 8 | (addr >>> 24)) >>> 0;
  return hex(swapped, 8);
}

function hex(v: number, width: number): string {
  return (v >>> 0).toString(16).toUpperCase().padStart(width, "0");
}

/** The text of /proc/net/`name`, or null for a name that is not there. */
export function procNetText(inet: InetSockets, name: string): string | null {
  switch (name) {
    case "dev": return devText(inet);
    case "route": return routeText(inet);
    case "tcp": return socketsText(inet, SocketKind.Tcp);
    case "udp": return socketsText(inet, SocketKind.Udp);
    case "tcp6": return socketsText(null, SocketKind.Tcp);
    case "udp6": return socketsText(null, SocketKind.Udp);
  }
  return null;
}

function devText(inet: InetSockets): string {
  let out = "Inter-|   Receive                                                |  Transmit\n" +
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";
  for (const i of inet.net.interfaces()) {
    const n = (v: number, w: number): string => String(v).padStart(w);
    out += `${i.name.padStart(6)}:${n(i.rxBytes, 8)} ${n(i.rxPackets, 7)} ${n(i.rxErrors, 4)} ${n(i.rxDropped, 4)} ${n(0, 4)} ${n(0, 5)} ${n(0, 10)} ${n(0, 9)} ` +
      `${n(i.txBytes, 8)} ${n(i.txPackets, 7)} ${n(0, 4)} ${n(i.txDropped, 4)} ${n(0, 4)} ${n(0, 5)} ${n(0, 7)} ${n(0, 10)}\n`;
  }
  return out;
}

/** The main table: each non-loopback interface's subnet, and its default route. */
function routeText(inet: InetSockets): string {
  const line = (s: string): string => s.padEnd(127) + "\n";
  let out = line("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
  for (const i of inet.net.interfaces()) {
    if (i.hwType === 772 || i.addr === 0) continue;
    const mask = i.prefixLen === 0 ? 0 : (0xffffffff << (32 - i.prefixLen)) >>> 0;
    if (i.gateway !== 0) out += line(`${i.name}\t${be32(0)}\t${be32(i.gateway)}\t${hex(RTF_UP | RTF_GATEWAY, 4)}\t0\t0\t0\t${be32(0)}\t0\t0\t0`);
    out += line(`${i.name}\t${be32(i.addr & mask)}\t${be32(0)}\t${hex(RTF_UP, 4)}\t0\t0\t0\t${be32(mask)}\t0\t0\t0`);
  }
  return out;
}

/** /proc/net/tcp or udp; `inet` null: the header alone (tcp6, udp6). */
function socketsText(inet: InetSockets | null, kind: number): string {
  const tcp = kind === SocketKind.Tcp;
  const width = tcp ? 149 : 127;
  const head = tcp
    ? "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    : "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops";
  let out = head.padEnd(width) + "\n";
  inet?.net.sockets(kind).forEach((r: NetSocketRow, sl) => {
    const s = inet!.byId(r.id);
    const ends = `${be32(r.localAddr)}:${hex(r.localPort, 4)} ${be32(r.remoteAddr)}:${hex(r.remotePort, 4)}`;
    const common = `${ends} ${hex(r.state, 2)} ${hex(r.txQueue, 8)}:${hex(r.rxQueue, 8)} 00:00000000 00000000 ${String(s?.owner.uid ?? 0).padStart(5)} ${"0".padStart(8)} ${s?.ino ?? 0}`;
    const text = tcp
      ? `${String(sl).padStart(4)}: ${common} 1 0000000000000000 100 0 0 10 0`
      : `${String(sl).padStart(5)}: ${common} 2 0000000000000000 0`;
    out += text.padEnd(width) + "\n";
  });
  return out;
}
