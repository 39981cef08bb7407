// UDP and ICMP echo sockets between two interfaces on an in-memory Ethernet link: bind,
// send to, receive from (with truncation), connected filtering, bounded queues, readiness,
// ping with the socket's identifier, and the ephemeral port allocator.

import { describe, expect, it } from "vitest";
import { createLink } from "../../../../net-task/phy/link.ts";
import { IcmpSocket } from "../../../../net-task/socket/icmp.ts";
import { Readiness } from "../../../../net-task/socket/readiness.ts";
import { EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST, SocketSet } from "../../../../net-task/socket/socket_set.ts";
import { UdpSocket } from "../../../../net-task/socket/udp.ts";
import { ipv4 } from "../../../../net-task/wire/address.ts";
import { World, node } from "../_world.ts";

const A = ipv4(192, 168, 1, 1);
const B = ipv4(192, 168, 1, 2);

function pair() {
  const [da, db] = createLink();
  const a = node(da, { hardwareAddress: 0x020000000001, addresses: [{ address: A, prefixLen: 24 }] }, 1);
  const b = node(db, { hardwareAddress: 0x020000000002, addresses: [{ address: B, prefixLen: 24 }] }, 2);
  return { a, b, world: new World([a, b]) };
}

describe("UDP sockets", () => {
  it("exchange datagrams with source endpoints, truncating into a short buffer", () => {
    const { a, b, world } = pair();
    const client = new UdpSocket(), server = new UdpSocket();
    a.sockets.add(client);
    b.sockets.add(server);
    client.bind({ addr: 0, port: 40000 });
    server.bind({ addr: B, port: 53 });
    expect(server.readiness() & Readiness.Readable).toBe(0);
    expect(client.sendTo(Uint8Array.of(1, 2, 3, 4, 5), { addr: B, port: 53 })).toBe(5);
    world.advance(10);
    expect(server.readiness() & Readiness.Readable).toBe(Readiness.Readable);
    expect(server.peekSize()).toBe(5);
    const buf = new Uint8Array(3);
    expect(server.recvFrom(buf)).toEqual({ size: 5, copied: 3, from: { addr: A, port: 40000 }, localAddr: B });
    expect([...buf]).toEqual([1, 2, 3]);
    server.sendTo(Uint8Array.of(9), { addr: A, port: 40000 });
    world.advance(10);
    expect(client.recvFrom(new Uint8Array(8))?.from).toEqual({ addr: B, port: 53 });
  });

  it("a connected socket takes datagrams from its peer only", () => {
    const { a, b, world } = pair();
    const s1 = new UdpSocket(), s2 = new UdpSocket(), server = new UdpSocket();
    for (const s of [s1, s2]) a.sockets.add(s);
    b.sockets.add(server);
    s1.bind({ addr: 0, port: 1001 });
    s2.bind({ addr: 0, port: 1002 });
    server.bind({ addr: 0, port: 7 });
    server.connect({ addr: A, port: 1002 });
    s1.sendTo(Uint8Array.of(1), { addr: B, port: 7 });
    s2.sendTo(Uint8Array.of(2), { addr: B, port: 7 });
    world.advance(10);
    const buf = new Uint8Array(1);
    expect(server.recvFrom(buf)?.from.port).toBe(1002);
    expect(server.recvFrom(buf)).toBeNull();
  });

  it("drops datagrams beyond the receive queue's bound and refuses sends beyond the send queue's", () => {
    const { a, b, world } = pair();
    const client = new UdpSocket({ txBytes: 1000 }), server = new UdpSocket({ rxBytes: 250 });
    a.sockets.add(client);
    b.sockets.add(server);
    client.bind({ addr: 0, port: 1 });
    server.bind({ addr: 0, port: 2 });
    for (let i = 0; i < 10; i++) expect(client.sendTo(new Uint8Array(100), { addr: B, port: 2 })).toBe(100);
    expect(client.sendTo(new Uint8Array(100), { addr: B, port: 2 })).toBe("full");
    expect(client.readiness() & Readiness.Writable).toBe(0);
    expect(client.sendTo(new Uint8Array(70_000), { addr: B, port: 2 })).toBe("too-big");
    world.advance(10);
    expect(server.rxDropped).toBe(8);
    expect(new UdpSocket().sendTo(Uint8Array.of(1), { addr: B, port: 2 })).toBe("unbound");
  });
});

describe("ICMP echo sockets", () => {
  it("ping: the request leaves with the socket's ident and the reply comes back whole", () => {
    const { a, world } = pair();
    const ping = new IcmpSocket();
    a.sockets.add(ping);
    ping.bind(0x1234);
    const request = Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 7, 0xaa, 0xbb);
    expect(ping.sendTo(request, B)).toBe(10);
    expect(ping.sendTo(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0), B)).toBe("invalid");
    world.advance(10);
    const buf = new Uint8Array(64);
    const got = ping.recvFrom(buf)!;
    expect(got.from.addr).toBe(B);
    expect([...buf.subarray(0, got.size)]).toEqual([0, 0, expect.any(Number), expect.any(Number), 0x12, 0x34, 0, 7, 0xaa, 0xbb]);
  });
});

describe("SocketSet", () => {
  it("hands out ephemeral ports in Linux's range and skips ones in use", () => {
    const set = new SocketSet();
    const u = new UdpSocket();
    set.add(u);
    u.bind({ addr: 0, port: EPHEMERAL_PORT_FIRST });
    expect(set.ephemeralPort("udp", () => 0)).toBe(EPHEMERAL_PORT_FIRST + 1);
    expect(set.ephemeralPort("tcp", () => 0)).toBe(EPHEMERAL_PORT_FIRST);
    const port = set.ephemeralPort("udp", () => 123_456_789)!;
    expect(port >= EPHEMERAL_PORT_FIRST && port <= EPHEMERAL_PORT_LAST).toBe(true);
  });

  it("typed getters refuse the wrong kind", () => {
    const set = new SocketSet();
    const h = set.add(new UdpSocket());
    expect(() => set.tcp(h)).toThrow(TypeError);
    expect(set.udp(h)).toBeInstanceOf(UdpSocket);
    set.release(h);
    expect(set.get(h)).toBeUndefined();
  });
});
