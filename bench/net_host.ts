// Throughput of the host-facing devices, the net-task alone (no kernel-task): a guest
// Interface of this stack, driven on Node's event loop, moves bytes to and from host
// sockets through the user-networking gateway (guest → 10.0.2.2 → a Node server on
// 127.0.0.1, both directions). Prints MB/s and Mbit/s of wall time, best of three.
// Run: node dist/bench/net_host.js [MiB]  (after the build; default 256 MiB per transfer)

import { createServer, type AddressInfo, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { Interface } from "../net-task/iface/interface.ts";
import { createHostGateway } from "../net-task/host/gateway.ts";
import { StackDriver } from "../net-task/host/stack_driver.ts";
import { type Device } from "../net-task/phy/device.ts";
import { SocketSet } from "../net-task/socket/socket_set.ts";
import { TcpSocket } from "../net-task/socket/tcp.ts";
import { type TcpOptions } from "../net-task/socket/tcp_options.ts";
import { type Ipv4Address } from "../net-task/wire/address.ts";

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
    if (sent === TOTAL && conn.state === "ESTABLISHED") conn.close();
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
    await runGuest(gateway.device, config, sender(g.gateway, server.port));
    received = await hostCount;
  } else {
    const count = { bytes: 0 };
    await runGuest(gateway.device, config, receiver((cx) => connect(cx, g.gateway, server.port), count));
    received = count.bytes;
  }
  const ms = performance.now() - start;
  server.close();
  await gateway.close();
  if (received !== TOTAL) throw new Error(`Cannot measure the gateway: ${received} of ${TOTAL} bytes arrived`);
  return ms;
}

if (process.argv[1]?.endsWith("net_host.js")) {
  console.log(`gateway, guest → host: ${await best(() => gatewayRun("upload"))}`);
  console.log(`gateway, host → guest: ${await best(() => gatewayRun("download"))}`);
}
