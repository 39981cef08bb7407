// Throughput of the host-facing devices, the net-task alone (no kernel-task): a guest
// Interface of this stack, driven on Node's event loop, moves bytes to and from host
// sockets through the user-networking gateway (guest → 10.0.2.2 → a Node server on
// 127.0.0.1, both directions) and, as root with /dev/net/tun, through a TAP interface to
// Linux's own TCP in a network namespace (busybox nc as Linux's end), at MTU 1500 and at
// the TAP's largest, 65521. Prints MB/s and Mbit/s of wall time, best of three.
// Run: node dist/bench/net_host.js [MiB]  (after the build; default 256 MiB per transfer)

import { type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { Interface } from "../net-task/iface/interface.ts";
import { GATEWAY_ADDRESS, createHostGateway } from "../net-task/host/gateway.ts";
import { StackDriver } from "../net-task/host/stack_driver.ts";
import { type Device } from "../net-task/phy/device.ts";
import { SocketSet } from "../net-task/socket/socket_set.ts";
import { TcpListener } from "../net-task/socket/tcp_listener.ts";
import { TcpSocket } from "../net-task/socket/tcp.ts";
import { type TcpOptions } from "../net-task/socket/tcp_options.ts";
import { parseIpv4, type Ipv4Address } from "../net-task/wire/address.ts";
import { PEER_ADDRESS, createTapNamespace, tapUnavailable } from "./_netns.ts";

export const TOTAL = Number(process.argv[2] ?? 256) * 1024 * 1024;
const GUEST_TCP: TcpOptions = { rxBufferSize: 1 << 20, txBufferSize: 1 << 20 };

export interface GuestConfig { hardwareAddress: number; address: Ipv4Address; prefixLen: number; gateway: Ipv4Address | null }
export interface GuestContext { sockets: SocketSet; iface: Interface; kick(): void }
/** An application: true when it did something, "done" to stop the guest. */
export type App = (cx: GuestContext) => boolean | "done";

/** Runs a guest stack on the event loop until `app` says "done". */
export function runGuest(device: Device, config: GuestConfig, app: App): Promise<void> {
  const sockets = new SocketSet();
  const iface = new Interface(device, { hardwareAddress: config.hardwareAddress, addresses: [config], gateway: config.gateway });
  return new Promise((resolve) => {
    const cx: GuestContext = { sockets, iface, kick: () => driver.kick() };
    const driver: StackDriver = new StackDriver(iface, sockets, {
      service: () => {
        const r = app(cx);
        if (r !== "done") return r;
        driver.stop();
        resolve();
        return false;
      },
    });
    driver.kick();
  });
}

/** Guest: connects to addr:port, sends TOTAL bytes, then FIN. */
export function sender(addr: Ipv4Address, port: number): App {
  const chunk = new Uint8Array(256 * 1024).fill(0x5a);
  let conn: TcpSocket | null = null, sent = 0;
  return (cx) => {
    conn ??= connect(cx, addr, port);
    let acted = false;
    while (sent < TOTAL) {
      const r = conn.send(chunk.subarray(0, Math.min(chunk.length, TOTAL - sent)));
      if (typeof r !== "number" || r === 0) break;
      sent += r;
      acted = true;
    }
    if (sent === TOTAL && (conn.state === "ESTABLISHED" || conn.state === "CLOSE-WAIT")) conn.close();
    if (conn.state === "FIN-WAIT-2" || conn.state === "TIME-WAIT" || conn.state === "CLOSED") return "done";
    return acted;
  };
}

/** Guest: reads from the connection `open` gives until the peer's FIN; counts the bytes. */
export function receiver(open: (cx: GuestContext) => TcpSocket | null, count: { bytes: number }): App {
  const into = new Uint8Array(1 << 20);
  let conn: TcpSocket | null = null;
  return (cx) => {
    conn ??= open(cx);
    if (conn === null) return false;
    let acted = false;
    for (;;) {
      const r = conn.recv(into);
      if (r === "again") return acted;
      if (typeof r !== "number" || r === 0) {
        conn.close();
        return "done";
      }
      count.bytes += r;
      acted = true;
    }
  };
}

export function connect(cx: GuestContext, addr: Ipv4Address, port: number): TcpSocket {
  const conn = new TcpSocket(GUEST_TCP);
  cx.sockets.add(conn);
  conn.setWaker(cx.kick);
  cx.iface.connect(cx.sockets, conn.handle, { addr, port });
  return conn;
}

export function rate(bytes: number, ms: number): string {
  const mb = bytes / 1e6 / (ms / 1000);
  return `${mb.toFixed(0)} MB/s (${(mb * 8).toFixed(0)} Mbit/s)`;
}

/** The best of three runs, each returning its milliseconds. */
export async function best(run: () => Promise<number>): Promise<string> {
  let fastest = Infinity;
  for (let i = 0; i < 3; i++) fastest = Math.min(fastest, await run());
  return rate(TOTAL, fastest);
}

/** A Node server on 127.0.0.1 that counts and discards ("sink") or writes TOTAL bytes ("source"). */
async function hostServer(mode: "sink" | "source", sunk: (bytes: number) => void): Promise<{ port: number; close(): void }> {
  const block = Buffer.alloc(256 * 1024, 0x5a);
  const server = createServer((s: Socket) => {
    s.on("error", () => {});
    let n = 0;
    if (mode === "sink") {
      s.on("data", (d: Buffer) => { n += d.length; });
      s.on("end", () => {
        s.end();
        sunk(n);
      });
      return;
    }
    const write = (): void => {
      while (n < TOTAL) {
        const k = Math.min(block.length, TOTAL - n);
        n += k;
        if (!s.write(block.subarray(0, k))) return void s.once("drain", write);
      }
      s.end();
    };
    write();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

async function gatewayRun(direction: "upload" | "download"): Promise<number> {
  const gateway = await createHostGateway();
  const g = gateway.guest;
  const config = { hardwareAddress: g.hardwareAddress, address: g.address, prefixLen: g.prefixLen, gateway: g.gateway };
  let sunk: (n: number) => void = () => {};
  const hostCount = new Promise<number>((resolve) => { sunk = resolve; });
  const server = await hostServer(direction === "upload" ? "sink" : "source", sunk);
  const start = performance.now();
  let received: number;
  if (direction === "upload") {
    await runGuest(gateway.device, config, sender(GATEWAY_ADDRESS, server.port));
    received = await hostCount;
  } else {
    const count = { bytes: 0 };
    await runGuest(gateway.device, config, receiver((cx) => connect(cx, GATEWAY_ADDRESS, server.port), count));
    received = count.bytes;
  }
  const ms = performance.now() - start;
  server.close();
  await gateway.close();
  if (received !== TOTAL) throw new Error(`Cannot measure the gateway: ${received} of ${TOTAL} bytes arrived`);
  return ms;
}

const exited = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.on("exit", resolve));

/** One transfer over a TAP between this stack and busybox nc in the namespace. */
async function tapRun(direction: "upload" | "download", mtu: number): Promise<number> {
  const net = createTapNamespace(direction === "upload" ? "u" : "d", mtu);
  try {
    const config = net.tap.guest;
    const peer = parseIpv4(PEER_ADDRESS)!;
    const start = performance.now();
    if (direction === "upload") {
      // Linux listens; the stack connects once nc is up (a refused connect is retried).
      const nc = exited(net.exec(["busybox", "nc", "-l", "-p", "5001"], { stdio: ["ignore", "ignore", "inherit"] }));
      let send = sender(peer, 5001), conn: TcpSocket | null = null;
      await runGuest(net.tap.device, config, (cx) => {
        conn ??= [...cx.sockets.values()].find((x): x is TcpSocket => x instanceof TcpSocket) ?? null;
        if (conn !== null && conn.state === "CLOSED" && conn.error === "refused") {
          cx.sockets.remove(conn.handle);
          conn = null;
          send = sender(peer, 5001);
        }
        return send(cx);
      });
      if (await nc !== 0) throw new Error("Cannot measure the TAP: nc failed");
    } else {
      const count = { bytes: 0 };
      let listener: TcpListener | null = null;
      const nc = (): void => void net.exec(["sh", "-c", `head -c ${TOTAL} /dev/zero | busybox nc 10.0.0.2 5000`], { stdio: "inherit" });
      await runGuest(net.tap.device, config, receiver((cx) => {
        if (listener === null) {
          listener = new TcpListener();
          cx.sockets.add(listener);
          listener.setWaker(cx.kick);
          listener.listen({ addr: 0, port: 5000 });
          nc();
        }
        return listener.accept();
      }, count));
      if (count.bytes !== TOTAL) throw new Error(`Cannot measure the TAP: ${count.bytes} of ${TOTAL} bytes arrived`);
    }
    return performance.now() - start;
  } finally {
    net.close();
  }
}

if (process.argv[1]?.endsWith("net_host.js")) {
  console.log(`gateway, guest → host: ${await best(() => gatewayRun("upload"))}`);
  console.log(`gateway, host → guest: ${await best(() => gatewayRun("download"))}`);
  const why = tapUnavailable();
  if (why !== null) console.log(`TAP: skipped, ${why}`);
  else {
    for (const mtu of [1500, 65521]) {
      console.log(`TAP (MTU ${mtu}), stack → Linux: ${await best(() => tapRun("upload", mtu))}`);
      console.log(`TAP (MTU ${mtu}), Linux → stack: ${await best(() => tapRun("download", mtu))}`);
    }
  }
}
