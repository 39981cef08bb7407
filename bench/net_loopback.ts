// The net-task's TCP throughput in one process: 64 MiB from a client to a server socket
// over Loopback, and over an in-memory Ethernet link between two interfaces, in virtual
// time (the clock only jumps when nothing moves). Prints MB/s of wall time, best of three.
// Run: node dist/bench/net_loopback.js (after the build).

import { Interface } from "../net-task/iface/interface.ts";
import { type Device } from "../net-task/phy/device.ts";
import { createLink } from "../net-task/phy/link.ts";
import { Loopback } from "../net-task/phy/loopback.ts";
import { SocketSet } from "../net-task/socket/socket_set.ts";
import { TcpSocket } from "../net-task/socket/tcp.ts";
import { TcpListener } from "../net-task/socket/tcp_listener.ts";
import { ipv4 } from "../net-task/wire/address.ts";

const TOTAL = 64 * 1024 * 1024;

interface Host { iface: Interface; sockets: SocketSet }

function host(device: Device, address: number, mac: number): Host {
  const iface = new Interface(device, { hardwareAddress: mac, addresses: [{ address, prefixLen: 8 }] });
  return { iface, sockets: new SocketSet() };
}

function run(client: Host, server: Host, serverAddr: number): number {
  const hosts = client === server ? [client] : [client, server];
  const lh = server.sockets.add(new TcpListener());
  server.sockets.listener(lh).listen({ addr: 0, port: 9 });
  const ch = client.sockets.add(new TcpSocket());
  client.iface.connect(client.sockets, ch, { addr: serverAddr, port: 9 });
  const sender = client.sockets.tcp(ch);
  const chunk = new Uint8Array(64 * 1024).fill(0x5a), into = new Uint8Array(64 * 1024);
  let receiver: TcpSocket | null = null, sent = 0, got = 0, now = 0;
  const start = performance.now();
  while (got < TOTAL) {
    let moved = false;
    for (const h of hosts) moved = h.iface.poll(now, h.sockets) || moved;
    receiver ??= server.sockets.listener(lh).accept();
    if (sender.state === "ESTABLISHED" && sent < TOTAL) {
      const r = sender.send(chunk.subarray(0, Math.min(chunk.length, TOTAL - sent)));
      if (typeof r === "number") { sent += r; moved ||= r > 0; }
    }
    const r = receiver?.recv(into);
    if (typeof r === "number" && r > 0) { got += r; moved = true; }
    if (!moved) {
      const next = Math.min(...hosts.map((h) => h.iface.pollAt(h.sockets)));
      now = next > now && next !== Infinity ? next : now + 1;
    }
  }
  return TOTAL / 1e6 / ((performance.now() - start) / 1000);
}

function best(make: () => number): string {
  return Math.max(make(), make(), make()).toFixed(0);
}

const lo = best(() => {
  const h = host(new Loopback(), ipv4(127, 0, 0, 1), 0);
  return run(h, h, ipv4(127, 0, 0, 1));
});
const link = best(() => {
  const [a, b] = createLink();
  return run(host(a, ipv4(10, 0, 0, 1), 0x020000000001), host(b, ipv4(10, 0, 0, 2), 0x020000000002), ipv4(10, 0, 0, 2));
});
console.log(`TCP over Loopback (MTU 65536): ${lo} MB/s`);
console.log(`TCP over an in-memory Ethernet link (MTU 1500): ${link} MB/s`);
