// The net-task's IPC module in its three modes: the same calls give the same answers and
// the same readiness events (a TCP connection over lo: listen, connect, accept, data both
// ways, peek, FIN; UDP datagrams; errors for bad ids and addresses). Then the external
// devices in every mode (the worker builds its own): the gateway's guest settings and
// forwards, a guest connection through it to a host server, the forward's listener gone
// once the net-task stopped, and devices that cannot be built rejected with their reason.
// Last, two net-tasks joined by a frame ring, one in a worker (the link across threads a
// system description's boot makes): named interfaces with their settings, a connection.

import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Kernel } from "../../../../microkernel/mod.ts";
import { createFrameRing, createNetTask, NO_ADDRESS, SocketKind, type NetClient, type NetConfig, type NetLaunch, type NetRecv } from "../../../../net-task/mod.ts";
import { EADDRINUSE, EAGAIN, EBADF, ECONNREFUSED, EINPROGRESS, EISCONN, ENOTCONN } from "../../../../linux-abi/errno.ts";
import { POLLIN, POLLOUT, POLLRDHUP } from "../../../../linux-abi/poll.ts";
import { MSG_PEEK } from "../../../../linux-abi/socket.ts";

const LO = 0x7f000001;
const MODES = ["inproc", "ipc", "worker"] as const;
const running: NetClient[] = [];

async function start(mode: (typeof MODES)[number], config: NetConfig = { devices: [], faults: null }): Promise<{ net: NetClient; masks: Map<number, number> }> {
  const launch: NetLaunch = mode === "ipc" ? { mode, kernel: new Kernel({ untypedBytes: 64 << 20, rootCnodeRadix: 12 }) } : { mode };
  const net = await createNetTask(config, launch);
  running.push(net);
  const masks = new Map<number, number>();
  net.setReadinessSink((id, mask) => masks.set(id, mask));
  return { net, masks };
}

afterEach(async () => {
  for (const net of running.splice(0)) await net.stop();
});

/** Runs the same script in one mode: a transcript of results and events. */
async function script(mode: (typeof MODES)[number]): Promise<string[]> {
  const { net, masks } = await start(mode);
  const out: string[] = [];
  const log = (what: string, v: unknown): void => void out.push(`${what} = ${JSON.stringify(v)}`);
  const srv = net.open(SocketKind.Tcp);
  log("bind", net.bind(srv, 0, 7000));
  log("listen", net.listen(srv, 4));
  const other = net.open(SocketKind.Tcp);
  log("bind again", net.bind(other, 0, 7000) === -EADDRINUSE);
  const cli = net.open(SocketKind.Tcp);
  log("connect", net.connect(cli, LO, 7000) === -EINPROGRESS);
  log("listener readable", (masks.get(srv)! & POLLIN) !== 0);
  log("connect again", net.connect(cli, LO, 7000));
  log("connect third", net.connect(cli, LO, 7000) === -EISCONN);
  const conn = net.accept(srv);
  log("accepted", conn > 0);
  log("accept empty", net.accept(srv) === -EAGAIN);
  log("peer port", (net.name(conn, true) as { port: number }).port === (net.name(cli, false) as { port: number }).port);
  const data = new TextEncoder().encode("hello over lo");
  log("send", net.send(cli, data, 0, NO_ADDRESS, 0));
  log("conn readable", (masks.get(conn)! & POLLIN) !== 0);
  const buf = new Uint8Array(64);
  log("peek", net.recv(conn, buf, MSG_PEEK, 0, false));
  log("recv", net.recv(conn, buf, 0, 0, false));
  log("bytes", new TextDecoder().decode(buf.subarray(0, data.length)));
  log("recv empty", net.recv(conn, buf, 0, 0, false) === -EAGAIN);
  log("shutdown", net.shutdown(cli, 1));
  log("conn rdhup", (masks.get(conn)! & POLLRDHUP) !== 0);
  log("eof", net.recv(conn, buf, 0, 0, false));
  log("refused start", net.connect(other, LO, 7001) === -EINPROGRESS);
  log("refused", net.connect(other, LO, 7001) === -ECONNREFUSED);
  const u1 = net.open(SocketKind.Udp), u2 = net.open(SocketKind.Udp);
  log("udp bind", net.bind(u1, LO, 9000));
  log("udp send", net.send(u2, data, 0, LO, 9000));
  const got = net.recv(u1, buf, 0, 0, false) as NetRecv;
  log("udp recv", [got.n, got.full, got.addr === LO, got.port === (net.name(u2, false) as { port: number }).port]);
  log("udp writable", (masks.get(u2)! & POLLOUT) !== 0);
  log("udp no peer", net.name(u1, true) === -ENOTCONN);
  log("bad id", net.recv(9999, buf, 0, 0, false) === -EBADF && net.close(9999) === -EBADF);
  log("interfaces", net.interfaces().map((i) => [i.name, i.addr === LO, i.mtu]));
  log("tcp rows", net.sockets(SocketKind.Tcp).map((r) => r.state).sort());
  for (const id of [srv, other, cli, conn, u1, u2]) net.close(id);
  return out;
}

describe("net-task IPC module", () => {
  it("gives the same answers and events in every mode", async () => {
    const inproc = await script("inproc");
    expect(inproc).toContain('connect again = 0');
    expect(inproc).toContain('bytes = "hello over lo"');
    expect(inproc).toContain('peek = 13');
    expect(inproc).toContain('eof = 0');
    expect(inproc).toContain('udp recv = [13,13,true,true]');
    expect(inproc.filter((l) => l.endsWith("= false"))).toEqual([]);
    for (const mode of MODES.slice(1)) expect(await script(mode)).toEqual(inproc);
  });
});

const GUEST = 0x0a00020f, GATEWAY = 0x0a000202, DNS = 0x0a000203;

/** Resolves when `net` reports `bits` on socket `id` (events, not time). */
function readiness(masks: Map<number, number>, net: NetClient, id: number, bits: number): Promise<number> {
  return new Promise((resolve) => {
    const seen = masks.get(id) ?? 0;
    if ((seen & bits) !== 0) return resolve(seen);
    net.setReadinessSink((sid, mask) => {
      masks.set(sid, mask);
      if (sid === id && (mask & bits) !== 0) resolve(mask);
    });
  });
}

/**
 * Whether something listens on 127.0.0.1:port: a connect is not refused. (The forward's
 * reset, as nothing listens on the guest's port, may beat the connect's completion to
 * the client: ECONNRESET still says a listener took it.)
 */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.on("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code !== "ECONNREFUSED"));
  });
}

describe("net-task external devices", () => {
  it.each(MODES)("the gateway in %s mode: guest settings, a connection to the host, forwards closed at stop", async (mode) => {
    const got: Buffer[] = [];
    const host = createServer((s: Socket) => {
      s.on("data", (d: Buffer) => got.push(d));
      s.on("end", () => s.end());
    });
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    const hostPort = (host.address() as AddressInfo).port;
    const received = new Promise<void>((resolve) => host.on("connection", (s: Socket) => s.on("end", resolve)));
    const { net, masks } = await start(mode, { devices: [{ device: { kind: "user", options: { forwards: ["0:7000"] } } }], faults: null });
    const ext = net.external!;
    expect([ext.guest.address, ext.guest.gateway, ext.guest.dns, ext.guest.prefixLen]).toEqual([GUEST, GATEWAY, [DNS], 24]);
    expect(ext.forwards).toHaveLength(1);
    const forward = ext.forwards[0]!;
    expect([forward.protocol, forward.hostAddress, forward.guestPort, forward.boundPort > 0]).toEqual(["tcp", "127.0.0.1", 7000, true]);
    expect(net.interfaces().map((i) => [i.name, i.addr])).toEqual([["lo", LO], ["eth0", GUEST]]);

    const cli = net.open(SocketKind.Tcp);
    expect(net.connect(cli, GATEWAY, hostPort)).toBe(-EINPROGRESS);
    await readiness(masks, net, cli, POLLOUT);
    expect(net.connect(cli, GATEWAY, hostPort)).toBe(0);
    const data = new TextEncoder().encode("through the gateway");
    expect(net.send(cli, data, 0, NO_ADDRESS, 0)).toBe(data.length);
    expect(net.shutdown(cli, 1)).toBe(0);
    await received;
    expect(Buffer.concat(got).toString()).toBe("through the gateway");

    expect(await accepts(forward.boundPort)).toBe(true);
    await net.stop();
    running.splice(running.indexOf(net), 1);
    expect(await accepts(forward.boundPort)).toBe(false);
    host.close();
  });

  it.each(MODES)("a device that cannot be built rejects with its reason in %s mode", async (mode) => {
    const launch: NetLaunch = mode === "ipc" ? { mode, kernel: new Kernel({ untypedBytes: 64 << 20, rootCnodeRadix: 12 }) } : { mode };
    const user = (forwards: unknown): NetConfig => ({ devices: [{ device: { kind: "user", options: { forwards } } }], faults: null });
    await expect(createNetTask(user(["8080"]), launch)).rejects.toThrow(SyntaxError);
    await expect(createNetTask(user([8080]), launch)).rejects.toThrow(/forwards is not a list of strings/);
    await expect(createNetTask({ devices: [{ device: { kind: "bogus" } }], faults: null }, launch)).rejects.toThrow(/no device of kind "bogus"/);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    await expect(createNetTask(user([`${(busy.address() as AddressInfo).port}:80`]), launch)).rejects.toThrow(/EADDRINUSE/);
    busy.close();
  });
});

describe("net-task frame-ring devices", () => {
  const SERVER = 0x0a000001, CLIENT = 0x0a000002;
  const end = (ring: SharedArrayBuffer, side: 0 | 1, address: number, name: string): NetConfig["devices"][number] => ({
    name, device: { kind: "frame-ring", options: { ring, side, guest: { hardwareAddress: 0x020000000010 + side, address, prefixLen: 24, gateway: null, mtu: 1500 } } },
  });

  it("joins an inproc net-task and a worker one across threads: settings, a connection, data", async () => {
    const ring = createFrameRing(1500);
    const server = await start("worker", { devices: [end(ring, 1, SERVER, "veth1")], faults: null });
    const client = await start("inproc", { devices: [end(ring, 0, CLIENT, "veth0")], faults: null });
    expect(server.net.interfaces().map((i) => [i.name, i.addr, i.prefixLen, i.mac, i.mtu])).toEqual([
      ["lo", LO, 8, 0, 65536], ["veth1", SERVER, 24, 0x020000000011, 1500],
    ]);
    expect(client.net.external!.guest.address).toBe(CLIENT);
    const srv = server.net.open(SocketKind.Tcp);
    expect([server.net.bind(srv, SERVER, 80), server.net.listen(srv, 4)]).toEqual([0, 0]);
    const cli = client.net.open(SocketKind.Tcp);
    expect(client.net.connect(cli, SERVER, 80)).toBe(-EINPROGRESS);
    await readiness(client.masks, client.net, cli, POLLOUT);
    expect(client.net.connect(cli, SERVER, 80)).toBe(0);
    await readiness(server.masks, server.net, srv, POLLIN);
    const conn = server.net.accept(srv);
    expect(conn).toBeGreaterThan(0);
    const data = new TextEncoder().encode("across the frame ring");
    expect(client.net.send(cli, data, 0, NO_ADDRESS, 0)).toBe(data.length);
    await readiness(server.masks, server.net, conn, POLLIN);
    const buf = new Uint8Array(64);
    const n = server.net.recv(conn, buf, 0, 0, false) as number;
    expect(new TextDecoder().decode(buf.subarray(0, n))).toBe("across the frame ring");
  });

  it("refuses a frame-ring device without its ring or settings", async () => {
    const bad = (options: Record<string, unknown>): NetConfig => ({ devices: [{ device: { kind: "frame-ring", options } }], faults: null });
    await expect(createNetTask(bad({ side: 0 }), { mode: "inproc" })).rejects.toThrow(/needs a ring/);
    await expect(createNetTask(bad({ ring: createFrameRing(1500), side: 0, guest: { address: 1 } }), { mode: "inproc" })).rejects.toThrow(/guest needs/);
  });
});
