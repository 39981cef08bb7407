// The host gateway with real host sockets on Node's event loop: a guest Interface of this
// stack over the gateway's device talks to Node servers and clients on 127.0.0.1 through
// 10.0.2.2 and -p forwards; DNS at 10.0.2.3; refusals, resets, UDP both ways, ping, the
// flow table's bounds, and malformed frames from the guest.

import { createSocket, type Socket as UdpHostSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import {
  DNS_ADDRESS, GATEWAY_ADDRESS, GATEWAY_MAC, GUEST_ADDRESS, GUEST_MAC, createHostGateway, type HostGatewayOptions,
} from "../../../../net-task/host/gateway.ts";
import { systemLookup, type HostLookup } from "../../../../net-task/host/dns_server.ts";
import { IcmpSocket } from "../../../../net-task/socket/icmp.ts";
import { TcpListener } from "../../../../net-task/socket/tcp_listener.ts";
import { TcpSocket } from "../../../../net-task/socket/tcp.ts";
import { UdpSocket } from "../../../../net-task/socket/udp.ts";
import { type Ipv4Address } from "../../../../net-task/wire/address.ts";
import {
  DnsClass, DnsPacket, DnsRcode, DnsType, dnsQueryLen, emitDnsQuery, parseDnsResponse, type DnsResponse,
} from "../../../../net-task/wire/dns.ts";
import { ETHERNET_HEADER_LEN, EtherType, EthernetFrame, emitEthernet } from "../../../../net-task/wire/ethernet.ts";
import { isWireError } from "../../../../net-task/wire/error.ts";
import { IPV4_HEADER_LEN, IpProtocol, Ipv4Packet, emitIpv4Packet, ipv4Repr } from "../../../../net-task/wire/ipv4.ts";
import { TcpPacket, emitTcp, tcpBufferLen, type TcpRepr } from "../../../../net-task/wire/tcp.ts";
import { UDP_HEADER_LEN, UdpPacket, emitUdp } from "../../../../net-task/wire/udp.ts";
import { echoStep, eventually, hostServer, hostStream, newResult, streamStep } from "./_apps.ts";
import { Guest } from "./_guest.ts";

const TOTAL = 10 * 1024 * 1024;
const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

async function setup(options: HostGatewayOptions = {}) {
  const gateway = await createHostGateway(options);
  const g = gateway.guest;
  const guest = new Guest(gateway.device, {
    hardwareAddress: g.hardwareAddress, addresses: [{ address: g.address, prefixLen: g.prefixLen }], gateway: g.gateway,
  });
  cleanup.push(() => gateway.close(), () => guest.stop());
  return { gateway, guest };
}

async function serve(onConnection: Parameters<typeof hostServer>[0]) {
  const { server, port } = await hostServer(onConnection);
  cleanup.push(() => new Promise<void>((done) => server.close(() => done())));
  return port;
}

function connectGuest(guest: Guest, addr: Ipv4Address, port: number): TcpSocket {
  const conn = guest.add(new TcpSocket());
  expect(guest.iface.connect(guest.sockets, conn.handle, { addr, port })).toBe("ok");
  return conn;
}

/** A port nothing listens on: one the host just gave out and took back. */
async function closedPort(): Promise<number> {
  const port = await serve(() => {});
  await cleanup.pop()!();
  return port;
}

describe("TCP through the gateway", () => {
  it("a guest client sends 10 MiB to a host echo server through 10.0.2.2 and reads them back intact", async () => {
    const port = await serve((s) => s.pipe(s));
    const { guest, gateway } = await setup();
    const conn = connectGuest(guest, GATEWAY_ADDRESS, port);
    const result = newResult();
    await guest.run(streamStep(conn, TOTAL, result));
    expect(result).toEqual({ sent: TOTAL, received: TOTAL, errors: 0, end: "eof" });
    await eventually(() => gateway.flowCount === 0);
    expect(gateway.stats.tcp.opened).toBe(1);
  });

  it("a host client reaches a guest listener through a -p forward, 10 MiB each way", async () => {
    const { guest, gateway } = await setup({ forwards: [{ protocol: "tcp", hostAddress: "127.0.0.1", hostPort: 0, guestPort: 8080 }] });
    const listener = guest.add(new TcpListener());
    listener.listen({ addr: 0, port: 8080 });
    const echoed = guest.run(echoStep(listener, () => guest.driver.kick()));
    const result = await hostStream(gateway.forwards[0]!.boundPort, TOTAL);
    await echoed;
    expect(result).toEqual({ sent: TOTAL, received: TOTAL, errors: 0, end: "eof" });
  });

  it("a host port that refuses gives the guest a RST, and no SYN-ACK before it", async () => {
    const port = await closedPort();
    const { guest, gateway } = await setup();
    const conn = connectGuest(guest, GATEWAY_ADDRESS, port);
    await guest.until(() => conn.state === "CLOSED");
    expect(conn.recv(new Uint8Array(1))).toBe("refused");
    expect(gateway.stats.tcp).toMatchObject({ opened: 0, refused: 1 });
    expect(gateway.flowCount).toBe(0);
  });

  it("a forward to a guest port nobody listens on resets the host client", async () => {
    const { gateway, guest } = await setup({ forwards: [{ protocol: "tcp", hostAddress: "127.0.0.1", hostPort: 0, guestPort: 9 }] });
    guest.driver.kick();
    const result = await hostStream(gateway.forwards[0]!.boundPort, 10);
    expect(result.end).toBe("ECONNRESET");
  });

  it("half-closes pass both ways: the host's FIN, then the guest's data and FIN", async () => {
    let heard: Promise<string> = Promise.resolve("");
    const port = await serve((s) => {
      s.end("hello");
      let text = "";
      s.on("data", (d) => { text += d; });
      heard = new Promise((resolve) => s.on("end", () => resolve(text)));
    });
    const { guest } = await setup();
    const conn = connectGuest(guest, GATEWAY_ADDRESS, port);
    const into = new Uint8Array(16);
    let text = "";
    await guest.run((finish) => {
      const r = conn.recv(into);
      if (typeof r === "number" && r > 0) text += Buffer.from(into.subarray(0, r)).toString();
      if (r !== 0) return r !== "again";
      conn.send(Buffer.from("world")); // CLOSE-WAIT still sends.
      conn.close();
      finish();
      return true;
    });
    expect(text).toBe("hello");
    expect(await heard).toBe("world");
  });

  it("a host reset reaches the guest as a reset", async () => {
    const port = await serve((s) => s.on("data", () => s.resetAndDestroy()));
    const { guest } = await setup();
    const conn = connectGuest(guest, GATEWAY_ADDRESS, port);
    let end: string | number = "";
    await guest.run((finish) => {
      if (conn.state === "ESTABLISHED" && conn.sendQueue === 0 && end === "") {
        conn.send(Uint8Array.of(1));
        end = "sent";
      }
      const r = conn.recv(new Uint8Array(1));
      if (r === "again") return false;
      end = r;
      finish();
      return true;
    });
    expect(end).toBe("reset");
  });
});

describe("forwards", () => {
  it("a forward that cannot bind fails the factory with the bind's error", async () => {
    const port = await serve(() => {});
    const forwards = [
      { protocol: "udp" as const, hostAddress: "127.0.0.1", hostPort: 0, guestPort: 53 },
      { protocol: "tcp" as const, hostAddress: "127.0.0.1", hostPort: port, guestPort: 80 },
    ];
    await expect(createHostGateway({ forwards })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});

describe("DNS at 10.0.2.3", () => {
  const lookup: HostLookup = (name, done) => {
    if (name.endsWith(".invalid")) done(Object.assign(new Error("not found"), { code: "ENOTFOUND" }), []);
    else systemLookup(name, done);
  };

  async function ask(guest: Guest, socket: UdpSocket, name: string, type: number, id: number): Promise<DnsResponse> {
    const query = { id, opcode: 0, recursionDesired: true, question: { labels: name.split("."), type, class: DnsClass.In } };
    const bytes = new Uint8Array(dnsQueryLen(query));
    emitDnsQuery(query, new DnsPacket(bytes));
    expect(socket.sendTo(bytes, { addr: DNS_ADDRESS, port: 53 })).toBe(bytes.length);
    let response: DnsResponse | null = null;
    const into = new Uint8Array(512);
    await guest.run((finish) => {
      const got = socket.recvFrom(into);
      if (got === null) return false;
      expect(got.from).toEqual({ addr: DNS_ADDRESS, port: 53 });
      const parsed = parseDnsResponse(new DnsPacket(into.subarray(0, got.copied)));
      if (isWireError(parsed)) throw new Error(parsed.toString());
      response = parsed;
      finish();
      return true;
    });
    return response!;
  }

  it("answers localhost with the gateway, an unknown name with NXDOMAIN, AAAA with no answers", async () => {
    const { guest, gateway } = await setup({ lookup });
    const socket = guest.add(new UdpSocket());
    socket.bind({ addr: 0, port: 5353 });
    const a = await ask(guest, socket, "localhost", DnsType.A, 1);
    expect(a).toMatchObject({ id: 1, rcode: DnsRcode.NoError, answers: [GATEWAY_ADDRESS], truncated: false });
    expect(a.question?.labels).toEqual(["localhost"]);
    expect(await ask(guest, socket, "nothing.invalid", DnsType.A, 2)).toMatchObject({ id: 2, rcode: DnsRcode.NxDomain, answers: [] });
    expect(await ask(guest, socket, "localhost", DnsType.Aaaa, 3)).toMatchObject({ id: 3, rcode: DnsRcode.NoError, answers: [] });
    expect(await ask(guest, socket, "bad\u0001name", DnsType.A, 4)).toMatchObject({ rcode: DnsRcode.NxDomain });
    expect(gateway.stats.dns).toEqual({ queries: 4, dropped: 0 });
  });
});

describe("UDP and ICMP through the gateway", () => {
  async function udpEchoServer(): Promise<number> {
    const server = createSocket("udp4");
    server.on("message", (msg, peer) => server.send(msg, peer.port, peer.address));
    await new Promise<void>((done) => server.bind(0, "127.0.0.1", done));
    cleanup.push(() => new Promise<void>((done) => server.close(done)));
    return server.address().port;
  }

  /** Sends `message` from the guest socket and waits for one datagram back. */
  async function exchange(guest: Guest, socket: UdpSocket, to: { addr: Ipv4Address; port: number }, message: string) {
    socket.sendTo(Buffer.from(message), to);
    const into = new Uint8Array(2048);
    let reply = { text: "", from: { addr: 0, port: 0 } };
    await guest.run((finish) => {
      const got = socket.recvFrom(into);
      if (got === null) return false;
      reply = { text: Buffer.from(into.subarray(0, got.copied)).toString(), from: got.from };
      finish();
      return true;
    });
    return reply;
  }

  it("a guest datagram to 10.0.2.2 reaches a host socket and the reply comes back from there", async () => {
    const port = await udpEchoServer();
    const { guest, gateway } = await setup();
    const socket = guest.add(new UdpSocket());
    socket.bind({ addr: 0, port: 4000 });
    for (const text of ["one", "two", "x".repeat(1400)]) {
      expect(await exchange(guest, socket, { addr: GATEWAY_ADDRESS, port }, text)).toEqual({ text, from: { addr: GATEWAY_ADDRESS, port } });
    }
    expect(gateway.flowCount).toBe(1);
  });

  it("a -p H:G/udp forward carries host datagrams to a guest socket and its replies back", async () => {
    const { guest, gateway } = await setup({ forwards: [{ protocol: "udp", hostAddress: "127.0.0.1", hostPort: 0, guestPort: 7000 }] });
    const server = guest.add(new UdpSocket());
    server.bind({ addr: 0, port: 7000 });
    const into = new Uint8Array(2048);
    const echoing = guest.run((finish) => {
      const got = server.recvFrom(into);
      if (got === null) return false;
      expect(got.from.addr).toBe(GATEWAY_ADDRESS);
      server.sendTo(into.subarray(0, got.copied), got.from);
      finish();
      return true;
    });
    const client: UdpHostSocket = createSocket("udp4");
    cleanup.push(() => new Promise<void>((done) => client.close(done)));
    const reply = new Promise<string>((resolve) => client.once("message", (msg) => resolve(msg.toString())));
    client.send("ping", gateway.forwards[0]!.boundPort, "127.0.0.1");
    await echoing;
    expect(await reply).toBe("ping");
  });

  it("an echo request to the gateway is answered", async () => {
    const { guest } = await setup();
    const ping = guest.add(new IcmpSocket());
    ping.bind(77);
    expect(ping.sendTo(Uint8Array.of(8, 0, 0, 0, 0, 77, 0, 1, 0xaa, 0xbb), GATEWAY_ADDRESS)).toBe(10);
    const into = new Uint8Array(64);
    let reply: number[] = [];
    await guest.run((finish) => {
      const got = ping.recvFrom(into);
      if (got === null) return false;
      expect(got.from.addr).toBe(GATEWAY_ADDRESS);
      reply = [...into.subarray(0, got.copied)];
      finish();
      return true;
    });
    expect(reply[0]).toBe(0);
    expect(reply.slice(6)).toEqual([0, 1, 0xaa, 0xbb]);
  });
});

describe("the flow table's bounds", () => {
  it("a SYN past maxFlows is refused and a datagram dropped; idle UDP flows expire", async () => {
    const held: { destroy(): void }[] = [];
    const port = await serve((s) => {
      s.on("error", () => {}); // The guest aborts these.
      held.push(s);
    });
    cleanup.push(() => held.forEach((s) => s.destroy()));
    const { guest, gateway } = await setup({ maxFlows: 2, udpIdleTimeout: 40 });
    const conns = [connectGuest(guest, GATEWAY_ADDRESS, port), connectGuest(guest, GATEWAY_ADDRESS, port)];
    await guest.until(() => conns.every((c) => c.state === "ESTABLISHED"));
    const third = connectGuest(guest, GATEWAY_ADDRESS, port);
    await guest.until(() => third.state === "CLOSED");
    expect(third.recv(new Uint8Array(1))).toBe("refused");
    const socket = guest.add(new UdpSocket());
    socket.bind({ addr: 0, port: 4001 });
    socket.sendTo(Uint8Array.of(1), { addr: GATEWAY_ADDRESS, port: 9 });
    await eventually(() => gateway.stats.udp.dropped === 1);
    expect(gateway.flowCount).toBe(2);

    // With the TCP flows gone, a UDP flow opens, and closes once idle.
    for (const c of conns) c.abort();
    guest.driver.kick();
    await eventually(() => gateway.flowCount === 0);
    socket.sendTo(Uint8Array.of(2), { addr: GATEWAY_ADDRESS, port: 9 });
    guest.driver.kick();
    await eventually(() => gateway.stats.udp.opened === 1);
    await eventually(() => gateway.flowCount === 0);
  });
});

describe("malformed frames from the guest", () => {
  function frame(protocol: number, payload: Uint8Array, src = GUEST_ADDRESS, dst = GATEWAY_ADDRESS): Uint8Array {
    const f = new Uint8Array(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + payload.length);
    emitEthernet({ src: GUEST_MAC, dst: GATEWAY_MAC, ethertype: EtherType.Ipv4 }, new EthernetFrame(f));
    emitIpv4Packet(ipv4Repr({ src, dst, protocol, payloadLen: payload.length }), new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN)));
    f.set(payload, ETHERNET_HEADER_LEN + IPV4_HEADER_LEN);
    return f;
  }

  function udp(dstPort: number, payload: Uint8Array, dst = GATEWAY_ADDRESS): Uint8Array {
    const b = new Uint8Array(UDP_HEADER_LEN + payload.length);
    emitUdp({ srcPort: 1234, dstPort }, new UdpPacket(b), GUEST_ADDRESS, dst, payload);
    return b;
  }

  it("are counted and dropped, and the gateway keeps working", async () => {
    const { gateway, guest } = await setup();
    const syn: TcpRepr = {
      srcPort: 1234, dstPort: 80, control: "syn", seq: 1, ack: null, window: 1000, windowScale: null, mss: 1460,
      sackPermitted: false, sackRanges: [], timestamp: null, payload: new Uint8Array(0),
    };
    const tcp = new Uint8Array(tcpBufferLen(syn));
    emitTcp(syn, new TcpPacket(tcp), GUEST_ADDRESS, GATEWAY_ADDRESS);
    tcp[16]! ^= 0xff; // A wrong checksum: no host connect may follow.
    const badHeader = frame(IpProtocol.Udp, udp(9, Uint8Array.of(1)));
    badHeader[ETHERNET_HEADER_LEN + 10]! ^= 0xff;
    const overlong = frame(IpProtocol.Udp, udp(9, Uint8Array.of(1)));
    overlong[ETHERNET_HEADER_LEN + 3] = 200; // Total length past the frame.
    const frames = [
      Uint8Array.of(1, 2, 3, 4, 5),
      badHeader,
      overlong,
      frame(IpProtocol.Tcp, tcp),
      frame(IpProtocol.Udp, udp(53, Uint8Array.of(0xde, 0xad), DNS_ADDRESS), GUEST_ADDRESS, DNS_ADDRESS),
    ];
    for (const f of frames) expect(gateway.device.transmit(0, f)).toBe(true);
    await eventually(() => gateway.stats.iface.rxErrors === 4 && gateway.stats.dns.dropped === 1);
    expect(gateway.stats.tcp).toMatchObject({ opened: 0, refused: 0 });
    expect(gateway.flowCount).toBe(0);

    const port = await serve((s) => s.pipe(s));
    const conn = connectGuest(guest, GATEWAY_ADDRESS, port);
    const result = newResult();
    await guest.run(streamStep(conn, 1000, result));
    expect(result).toMatchObject({ received: 1000, errors: 0, end: "eof" });
  });
});
