// The Interface on its own: ARP (replies, learning, held packets, retries, giving up), ICMP
// echo replies, port and protocol unreachable, routes and the default gateway, reassembly
// (in any order, duplicates, overlap, timeout with ICMP time exceeded, memory bound) and
// fragmentation on transmit, malformed frames counted and dropped; transparent mode and
// the unclaimed handler (the host gateway's NAT).

import { describe, expect, it } from "vitest";
import { TcpSocket } from "../../../../net-task/socket/tcp.ts";
import { UdpSocket } from "../../../../net-task/socket/udp.ts";
import { MAC_BROADCAST, ipv4 } from "../../../../net-task/wire/address.ts";
import { ARP_LEN, ArpPacket, emitArp, parseArp, type ArpRepr } from "../../../../net-task/wire/arp.ts";
import { ETHERNET_HEADER_LEN, EtherType, EthernetFrame, emitEthernet, parseEthernet } from "../../../../net-task/wire/ethernet.ts";
import { isWireError } from "../../../../net-task/wire/error.ts";
import { Icmpv4Packet, emitIcmpv4, icmpv4BufferLen, parseIcmpv4, type Icmpv4Repr } from "../../../../net-task/wire/icmpv4.ts";
import { IPV4_HEADER_LEN, IpProtocol, Ipv4Packet, emitIpv4Packet, ipv4Repr } from "../../../../net-task/wire/ipv4.ts";
import { UDP_HEADER_LEN, UdpPacket, emitUdp, parseUdp } from "../../../../net-task/wire/udp.ts";
import { LOCAL, REMOTE, REMOTE_PORT, SEND_TEMPL, Script } from "../_script.ts";

const OUR_MAC = 0x020000000001;
const PEER_MAC = 0x020000000002;

function icmpBytes(repr: Icmpv4Repr): Uint8Array {
  const b = new Uint8Array(icmpv4BufferLen(repr));
  emitIcmpv4(repr, new Icmpv4Packet(b));
  return b;
}

function udpBytes(srcPort: number, dstPort: number, payload: Uint8Array, src = REMOTE, dst = LOCAL): Uint8Array {
  const b = new Uint8Array(UDP_HEADER_LEN + payload.length);
  emitUdp({ srcPort, dstPort }, new UdpPacket(b), src, dst, payload);
  return b;
}

function icmpOf(payload: Uint8Array): Icmpv4Repr {
  const repr = parseIcmpv4(new Icmpv4Packet(payload));
  if (isWireError(repr)) throw new Error(repr.toString());
  return repr;
}

function ethernetScript() {
  const s = new Script({ medium: "ethernet", hardwareAddress: OUR_MAC });
  const arpFrame = (repr: ArpRepr, dst = MAC_BROADCAST) => {
    const f = new Uint8Array(ETHERNET_HEADER_LEN + ARP_LEN);
    emitEthernet({ src: PEER_MAC, dst, ethertype: EtherType.Arp }, new EthernetFrame(f));
    emitArp(repr, new ArpPacket(f.subarray(ETHERNET_HEADER_LEN)));
    return f;
  };
  const ipFrame = (protocol: number, payload: Uint8Array) => {
    const f = new Uint8Array(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + payload.length);
    emitEthernet({ src: PEER_MAC, dst: OUR_MAC, ethertype: EtherType.Ipv4 }, new EthernetFrame(f));
    emitIpv4Packet(ipv4Repr({ src: REMOTE, dst: LOCAL, protocol, payloadLen: payload.length }), new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN)));
    f.set(payload, ETHERNET_HEADER_LEN + IPV4_HEADER_LEN);
    return f;
  };
  const takeFrames = () => s.device.tx.splice(0).map((f) => {
    const eth = parseEthernet(new EthernetFrame(f));
    const arp = eth.ethertype === EtherType.Arp ? parseArp(new ArpPacket(f.subarray(ETHERNET_HEADER_LEN))) : null;
    return { eth, arp: arp !== null && !isWireError(arp) ? arp : null, bytes: f };
  });
  return { s, arpFrame, ipFrame, takeFrames };
}

describe("ARP", () => {
  it("answers a request for our address and learns the asker", () => {
    const { s, arpFrame, ipFrame, takeFrames } = ethernetScript();
    s.inject(arpFrame({ operation: "request", sourceHardware: PEER_MAC, sourceProtocol: REMOTE, targetHardware: 0, targetProtocol: LOCAL }));
    const [reply] = takeFrames();
    expect(reply!.eth).toEqual({ src: OUR_MAC, dst: PEER_MAC, ethertype: EtherType.Arp });
    expect(reply!.arp).toEqual({ operation: "reply", sourceHardware: OUR_MAC, sourceProtocol: LOCAL, targetHardware: PEER_MAC, targetProtocol: REMOTE });
    // Learned: an echo request is answered without asking who REMOTE is.
    s.inject(ipFrame(IpProtocol.Icmp, icmpBytes({ type: "echo-request", ident: 1, seq: 1, data: new Uint8Array(4) })));
    const [echo] = takeFrames();
    expect(echo!.eth).toMatchObject({ dst: PEER_MAC, ethertype: EtherType.Ipv4 });
  });

  it("ignores requests for other addresses", () => {
    const { s, arpFrame } = ethernetScript();
    s.inject(arpFrame({ operation: "request", sourceHardware: PEER_MAC, sourceProtocol: REMOTE, targetHardware: 0, targetProtocol: ipv4(10, 0, 0, 9) }));
    s.expectNothing();
    expect(s.iface.neighbors.size).toBe(0);
  });

  it("holds packets while resolving, sends them on the reply, repeats requests and gives up", () => {
    const { s, arpFrame, takeFrames } = ethernetScript();
    const udp = new UdpSocket();
    s.sockets.add(udp);
    udp.bind({ addr: 0, port: 5000 });
    udp.sendTo(Uint8Array.of(1), { addr: REMOTE, port: 53 });
    s.poll();
    const [request] = takeFrames();
    expect(request!.arp).toMatchObject({ operation: "request", sourceProtocol: LOCAL, targetProtocol: REMOTE });
    expect(request!.eth.dst).toBe(MAC_BROADCAST);
    s.advanceTo(1000);
    expect(takeFrames().map((f) => f.arp?.operation)).toEqual(["request"]);
    s.inject(arpFrame({ operation: "reply", sourceHardware: PEER_MAC, sourceProtocol: REMOTE, targetHardware: OUR_MAC, targetProtocol: LOCAL }, OUR_MAC));
    const [held] = takeFrames();
    expect(held!.eth).toMatchObject({ dst: PEER_MAC, ethertype: EtherType.Ipv4 });
    // An address nobody answers for: three requests, then the packets are dropped.
    udp.sendTo(Uint8Array.of(2), { addr: ipv4(10, 0, 0, 77), port: 53 });
    s.advanceTo(10_000);
    expect(takeFrames().filter((f) => f.arp?.operation === "request").length).toBe(3);
    expect(s.iface.neighbors.dropped).toBe(1);
  });

  it("sends off-link traffic to the default gateway's MAC", () => {
    const gateway = ipv4(10, 0, 0, 254);
    const s = new Script({ medium: "ethernet", hardwareAddress: OUR_MAC, gateway });
    const udp = new UdpSocket();
    s.sockets.add(udp);
    udp.bind({ addr: 0, port: 5000 });
    udp.sendTo(Uint8Array.of(1), { addr: ipv4(8, 8, 8, 8), port: 53 });
    s.poll();
    const frame = s.device.tx.shift()!;
    expect(parseArp(new ArpPacket(frame.subarray(ETHERNET_HEADER_LEN)))).toMatchObject({ targetProtocol: gateway });
    expect(s.iface.sourceAddressFor(ipv4(8, 8, 8, 8))).toBe(LOCAL);
    expect(new Script().iface.sourceAddressFor(ipv4(8, 8, 8, 8))).toBeNull();
  });
});

describe("ICMP and unreachable ports", () => {
  it("answers an echo request with the same ident, sequence and data", () => {
    const s = new Script();
    s.injectIp(IpProtocol.Icmp, icmpBytes({ type: "echo-request", ident: 0x4242, seq: 9, data: Uint8Array.of(1, 2, 3) }));
    const [out] = s.takeIp();
    expect(out!.ip).toMatchObject({ src: LOCAL, dst: REMOTE, protocol: IpProtocol.Icmp });
    expect(icmpOf(out!.payload)).toEqual({ type: "echo-reply", ident: 0x4242, seq: 9, data: Uint8Array.of(1, 2, 3) });
  });

  it("does not answer a broadcast echo request", () => {
    const s = new Script();
    s.injectIp(IpProtocol.Icmp, icmpBytes({ type: "echo-request", ident: 1, seq: 1, data: new Uint8Array(0) }), { dst: ipv4(10, 0, 0, 255) });
    s.expectNothing();
  });

  it("sends port unreachable quoting the datagram for a closed UDP port, not for a broadcast", () => {
    const s = new Script();
    s.injectIp(IpProtocol.Udp, udpBytes(1234, 9999, Uint8Array.of(7, 7)));
    const [out] = s.takeIp();
    const icmp = icmpOf(out!.payload);
    expect(icmp).toMatchObject({ type: "dest-unreachable", code: 3 });
    const quoted = new Ipv4Packet(icmp.data);
    expect([quoted.src, quoted.dst, quoted.protocol]).toEqual([REMOTE, LOCAL, IpProtocol.Udp]);
    s.injectIp(IpProtocol.Udp, udpBytes(1234, 9999, Uint8Array.of(7), REMOTE, ipv4(255, 255, 255, 255)), { dst: ipv4(255, 255, 255, 255) });
    s.expectNothing();
  });

  it("sends protocol unreachable for a protocol it does not speak", () => {
    const s = new Script();
    s.injectIp(47, new Uint8Array(8));
    expect(icmpOf(s.takeIp()[0]!.payload)).toMatchObject({ type: "dest-unreachable", code: 2 });
  });

  it("counts and drops malformed and corrupted packets without answering", () => {
    const s = new Script();
    s.inject(new Uint8Array(10));
    const bad = udpBytes(1, 2, Uint8Array.of(1, 2, 3));
    bad[9]! ^= 0xff;
    s.injectIp(IpProtocol.Udp, bad);
    s.expectNothing();
    expect(s.iface.stats.rxErrors).toBe(2);
  });
});

describe("fragments", () => {
  /** The IPv4 fragments of one UDP datagram from the remote host. */
  function fragments(payloadLen: number, step: number): { bytes: Uint8Array; offset: number; more: boolean }[] {
    const udp = udpBytes(1111, 5000, new Uint8Array(payloadLen).map((_, i) => i & 0xff));
    const out = [];
    for (let at = 0; at < udp.length; at += step) {
      out.push({ bytes: udp.subarray(at, Math.min(udp.length, at + step)), offset: at, more: at + step < udp.length });
    }
    return out;
  }

  function udpServer(s: Script) {
    const udp = new UdpSocket();
    s.sockets.add(udp);
    udp.bind({ addr: 0, port: 5000 });
    return udp;
  }

  it("reassembles out of order with a duplicate and delivers the datagram once", () => {
    const s = new Script();
    const udp = udpServer(s);
    const frags = fragments(3000, 1480);
    for (const f of [frags[2]!, frags[0]!, frags[0]!, frags[1]!]) {
      s.injectIp(IpProtocol.Udp, f.bytes, { ident: 77, moreFragments: f.more, fragmentOffset: f.offset });
    }
    const buf = new Uint8Array(4000);
    const got = udp.recvFrom(buf)!;
    expect(got.size).toBe(3000);
    expect(buf.subarray(0, 3000).every((b, i) => b === (i & 0xff))).toBe(true);
    expect(udp.recvFrom(buf)).toBeNull();
  });

  it("drops a datagram whose fragments overlap", () => {
    const s = new Script();
    const udp = udpServer(s);
    const frags = fragments(3000, 1480);
    s.injectIp(IpProtocol.Udp, frags[0]!.bytes, { ident: 5, moreFragments: true, fragmentOffset: 0 });
    s.injectIp(IpProtocol.Udp, frags[1]!.bytes, { ident: 5, moreFragments: true, fragmentOffset: 8 });
    for (const f of frags.slice(1)) s.injectIp(IpProtocol.Udp, f.bytes, { ident: 5, moreFragments: f.more, fragmentOffset: f.offset });
    expect(udp.recvFrom(new Uint8Array(4000))).toBeNull();
  });

  it("gives up after 30 s and sends time exceeded (reassembly) when the first fragment came", () => {
    const s = new Script();
    udpServer(s);
    const [first] = fragments(3000, 1480);
    s.injectIp(IpProtocol.Udp, first!.bytes, { ident: 9, moreFragments: true, fragmentOffset: 0 });
    s.advanceTo(29_999);
    s.expectNothing();
    s.advanceTo(30_000);
    expect(icmpOf(s.takeIp()[0]!.payload)).toMatchObject({ type: "time-exceeded", code: 1 });
  });

  it("bounds the memory held by incomplete datagrams", () => {
    const s = new Script({ reassembly: { maxBytes: 10_000 } });
    for (let ident = 0; ident < 20; ident++) {
      s.injectIp(IpProtocol.Udp, new Uint8Array(1480), { ident, moreFragments: true, fragmentOffset: 0 });
    }
    s.advanceTo(40_000);
    expect(s.takeIp().length).toBeLessThanOrEqual(7); // Time exceeded only for the few still held.
  });

  it("fragments a datagram larger than the MTU, and the pieces reassemble", () => {
    const s = new Script();
    const udp = udpServer(s);
    udp.sendTo(new Uint8Array(4000).fill(3), { addr: REMOTE, port: 9 });
    s.poll();
    const pieces = s.takeIp();
    expect(pieces.length).toBe(3);
    expect(pieces.map((p) => [p.ip.fragmentOffset, p.ip.moreFragments, p.payload.length])).toEqual([
      [0, true, 1480], [1480, true, 1480], [2960, false, 4008 - 2960],
    ]);
    const whole = new Uint8Array(4008);
    for (const p of pieces) whole.set(p.payload, p.ip.fragmentOffset);
    expect(parseUdp(new UdpPacket(whole), LOCAL, REMOTE)).toEqual({ srcPort: 5000, dstPort: 9 });
  });
});

describe("transparent mode and the unclaimed handler", () => {
  const FOREIGN = ipv4(93, 184, 216, 34);

  function transparent(take: boolean) {
    const seen: string[] = [];
    const s = new Script({
      transparent: true,
      unclaimed: {
        tcpSyn: (src, dst, seg) => {
          seen.push(`syn ${src}>${dst}:${seg.dstPort}`);
          return take;
        },
        udp: (from, to, payload) => {
          seen.push(`udp ${from.addr}:${from.port}>${to.addr}:${to.port} ${[...payload]}`);
          return take;
        },
      },
    });
    return { s, seen };
  }

  it("hands a SYN for any address to the handler, and the RST is its to send", () => {
    const { s, seen } = transparent(true);
    s.send({ control: "syn", dstPort: 443 }, { dst: FOREIGN });
    expect(seen).toEqual([`syn ${REMOTE}>${FOREIGN}:443`]);
    s.expectNothing();
    const refusing = transparent(false);
    refusing.s.send({ control: "syn", dstPort: 443 }, { dst: FOREIGN });
    const [rst] = refusing.s.takeIp();
    expect(rst!.ip).toMatchObject({ src: FOREIGN, dst: REMOTE });
  });

  it("delivers to a connection made from the SYN for a foreign address", () => {
    const { s } = transparent(true);
    const parent = { hasRoom: () => true, childEstablished: () => {}, childClosed: () => {} };
    const syn = { ...SEND_TEMPL, control: "syn" as const, dstPort: 443, mss: 1460 };
    const conn = TcpSocket.fromSyn(s.iface, {}, { local: { addr: FOREIGN, port: 443 }, remote: { addr: REMOTE, port: REMOTE_PORT }, parent }, syn);
    s.sockets.add(conn);
    s.poll();
    const synAck = s.expect({ control: "syn", ack: 10_001 });
    s.send({ seq: 10_001, ack: synAck.seq + 1, dstPort: 443 }, { dst: FOREIGN });
    expect(conn.state).toBe("ESTABLISHED");
  });

  it("hands unclaimed unicast datagrams to the handler; port unreachable when it declines", () => {
    const { s, seen } = transparent(true);
    s.injectIp(IpProtocol.Udp, udpBytes(1234, 53, Uint8Array.of(5), REMOTE, FOREIGN), { dst: FOREIGN });
    expect(seen).toEqual([`udp ${REMOTE}:1234>${FOREIGN}:53 5`]);
    s.expectNothing();
    const declining = transparent(false);
    declining.s.injectIp(IpProtocol.Udp, udpBytes(1234, 53, Uint8Array.of(5)));
    expect(icmpOf(declining.s.takeIp()[0]!.payload)).toMatchObject({ type: "dest-unreachable", code: 3 });
  });

  it("answers echo requests for its own addresses only, and takes nothing for a multicast address", () => {
    const { s, seen } = transparent(true);
    const echo = icmpBytes({ type: "echo-request", ident: 1, seq: 1, data: new Uint8Array(0) });
    s.injectIp(IpProtocol.Icmp, echo, { dst: FOREIGN });
    s.expectNothing();
    s.injectIp(IpProtocol.Icmp, echo);
    expect(s.takeIp().length).toBe(1);
    s.injectIp(IpProtocol.Udp, udpBytes(1234, 53, Uint8Array.of(5), REMOTE, ipv4(224, 0, 0, 9)), { dst: ipv4(224, 0, 0, 9) });
    expect(seen).toEqual([]);
  });

  it("without transparent mode drops what is sent to another address", () => {
    const s = new Script({ unclaimed: { tcpSyn: () => true, udp: () => true } });
    s.send({ control: "syn" }, { dst: FOREIGN });
    s.expectNothing();
    expect(s.iface.stats.rxDropped).toBe(1);
  });
});
