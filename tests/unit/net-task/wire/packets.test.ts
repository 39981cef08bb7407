// Parse/emit symmetry of every wire format, known byte layouts, and typed errors for
// truncated, malformed and corrupted input (never an exception, never a read past the end).

import { describe, expect, it } from "vitest";
import {
  ARP_LEN, ArpPacket, DestUnreachableCode, ETHERNET_HEADER_LEN, EtherType, EthernetFrame, ICMPV4_HEADER_LEN,
  IPV4_HEADER_LEN, Icmpv4Packet, IpProtocol, Ipv4Packet, TcpPacket, UDP_HEADER_LEN, UdpPacket, WireError, emitArp,
  emitEthernet, emitIcmpv4, emitIpv4Packet, emitTcp, emitUdp, icmpv4BufferLen, ipv4, ipv4Repr, isWireError,
  parseArp, parseEthernet, parseIcmpv4, parseIpv4Packet, parseTcp, parseUdp, tcpBufferLen, tcpSegmentLen,
  type ArpRepr, type Icmpv4Repr, type TcpRepr,
} from "../../../../net-task/wire/mod.ts";

const A = ipv4(10, 0, 0, 1);
const B = ipv4(10, 0, 0, 2);
const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!, (h) => Number.parseInt(h, 16));

function ok<T>(value: T | WireError): T {
  if (isWireError(value)) throw new Error(`Unexpected ${value}`);
  return value;
}

describe("Ethernet", () => {
  it("emits and parses a header", () => {
    const bytes = new Uint8Array(ETHERNET_HEADER_LEN + 4);
    const frame = ok(EthernetFrame.check(bytes));
    emitEthernet({ src: 0x525400000001, dst: 0xffffffffffff, ethertype: EtherType.Arp }, frame);
    expect([...bytes.subarray(0, 14)]).toEqual([255, 255, 255, 255, 255, 255, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x06]);
    expect(parseEthernet(frame)).toEqual({ src: 0x525400000001, dst: 0xffffffffffff, ethertype: EtherType.Arp });
    expect(frame.payload.length).toBe(4);
  });

  it("rejects a short frame", () => {
    expect(EthernetFrame.check(new Uint8Array(13))).toBe(WireError.Truncated);
  });
});

describe("ARP", () => {
  const repr: ArpRepr = {
    operation: "request", sourceHardware: 0x525400000001, sourceProtocol: A, targetHardware: 0, targetProtocol: B,
  };

  it("emits RFC 826's layout and parses it back", () => {
    const bytes = new Uint8Array(ARP_LEN);
    emitArp(repr, ok(ArpPacket.check(bytes)));
    expect([...bytes.subarray(0, 8)]).toEqual([0, 1, 8, 0, 6, 4, 0, 1]);
    expect(ok(parseArp(ok(ArpPacket.check(bytes))))).toEqual(repr);
  });

  it("refuses other hardware types and bad lengths", () => {
    const bytes = new Uint8Array(ARP_LEN);
    emitArp(repr, new ArpPacket(bytes));
    bytes[1] = 6;
    expect(parseArp(new ArpPacket(bytes))).toBe(WireError.Unsupported);
    bytes[1] = 1;
    bytes[4] = 8;
    expect(parseArp(new ArpPacket(bytes))).toBe(WireError.Malformed);
    expect(ArpPacket.check(new Uint8Array(27))).toBe(WireError.Truncated);
  });
});

describe("IPv4", () => {
  it("parses a known header (checksum 0xb861)", () => {
    const bytes = hex("45000073000040004011b861c0a80001c0a800c7");
    const padded = new Uint8Array(0x73);
    padded.set(bytes);
    const packet = ok(Ipv4Packet.check(padded));
    const repr = ok(parseIpv4Packet(packet));
    expect(repr).toMatchObject({
      src: ipv4(192, 168, 0, 1), dst: ipv4(192, 168, 0, 199), protocol: IpProtocol.Udp, ttl: 64,
      dontFragment: true, moreFragments: false, fragmentOffset: 0, payloadLen: 0x73 - 20,
    });
    const again = new Uint8Array(0x73);
    emitIpv4Packet(repr, new Ipv4Packet(again));
    expect([...again.subarray(0, 20)]).toEqual([...bytes]);
  });

  it("round-trips fragment fields", () => {
    const repr = ipv4Repr({ src: A, dst: B, protocol: 17, payloadLen: 8, ident: 0x1234, moreFragments: true, fragmentOffset: 1480 });
    const bytes = new Uint8Array(IPV4_HEADER_LEN + 8);
    emitIpv4Packet(repr, new Ipv4Packet(bytes));
    expect(ok(parseIpv4Packet(ok(Ipv4Packet.check(bytes))))).toEqual(repr);
  });

  it("skips options and ignores link padding after the total length", () => {
    const bytes = new Uint8Array(24 + 4 + 6);
    const packet = new Ipv4Packet(bytes);
    emitIpv4Packet(ipv4Repr({ src: A, dst: B, protocol: 6, payloadLen: 8 }), packet);
    packet.setVersionAndHeaderLen(24);
    packet.totalLen = 28;
    bytes.set([1, 1, 1, 0], 20);
    bytes.set([9, 8, 7, 6], 24);
    packet.fillChecksum();
    const checked = ok(Ipv4Packet.check(bytes));
    expect(ok(parseIpv4Packet(checked)).payloadLen).toBe(4);
    expect([...checked.payload]).toEqual([9, 8, 7, 6]);
  });

  it("reports bad checksums, versions and lengths", () => {
    const bytes = new Uint8Array(28);
    emitIpv4Packet(ipv4Repr({ src: A, dst: B, protocol: 6, payloadLen: 8 }), new Ipv4Packet(bytes));
    bytes[8]! ^= 1;
    expect(parseIpv4Packet(new Ipv4Packet(bytes))).toBe(WireError.Checksum);
    bytes[8]! ^= 1;
    expect(Ipv4Packet.check(bytes.subarray(0, 27))).toBe(WireError.Truncated);
    bytes[0] = 0x44;
    expect(Ipv4Packet.check(bytes)).toBe(WireError.Malformed);
    bytes[0] = 0x65;
    expect(parseIpv4Packet(ok(Ipv4Packet.check(bytes)))).toBe(WireError.Malformed);
    bytes[0] = 0x45;
    bytes[3] = 10;
    expect(Ipv4Packet.check(bytes)).toBe(WireError.Malformed);
  });
});

describe("ICMPv4", () => {
  const roundTrip = (repr: Icmpv4Repr) => {
    const bytes = new Uint8Array(icmpv4BufferLen(repr));
    emitIcmpv4(repr, new Icmpv4Packet(bytes));
    return { bytes, parsed: ok(parseIcmpv4(ok(Icmpv4Packet.check(bytes)))) };
  };

  it("round-trips echo request and reply", () => {
    const req: Icmpv4Repr = { type: "echo-request", ident: 0x1234, seq: 7, data: Uint8Array.of(1, 2, 3) };
    const { bytes, parsed } = roundTrip(req);
    expect(bytes[0]).toBe(8);
    expect(parsed).toEqual(req);
    expect(roundTrip({ ...req, type: "echo-reply" }).parsed.type).toBe("echo-reply");
  });

  it("round-trips port unreachable, fragmentation needed (with MTU) and time exceeded", () => {
    const data = new Uint8Array(28).fill(0xaa);
    expect(roundTrip({ type: "dest-unreachable", code: DestUnreachableCode.PortUnreachable, nextHopMtu: 0, data }).parsed)
      .toEqual({ type: "dest-unreachable", code: 3, nextHopMtu: 0, data });
    const fragNeeded = roundTrip({ type: "dest-unreachable", code: DestUnreachableCode.FragmentationNeeded, nextHopMtu: 1400, data });
    expect([...fragNeeded.bytes.subarray(4, 8)]).toEqual([0, 0, 0x05, 0x78]);
    expect(fragNeeded.parsed).toMatchObject({ nextHopMtu: 1400 });
    expect(roundTrip({ type: "time-exceeded", code: 0, data }).parsed).toEqual({ type: "time-exceeded", code: 0, data });
  });

  it("reports a bad checksum, an unknown type and a short message", () => {
    const bytes = new Uint8Array(ICMPV4_HEADER_LEN);
    emitIcmpv4({ type: "echo-request", ident: 1, seq: 1, data: new Uint8Array(0) }, new Icmpv4Packet(bytes));
    bytes[7]! ^= 0x10;
    expect(parseIcmpv4(new Icmpv4Packet(bytes))).toBe(WireError.Checksum);
    const ts = new Icmpv4Packet(new Uint8Array(8));
    ts.type = 13;
    ts.fillChecksum();
    expect(parseIcmpv4(ts)).toBe(WireError.Unsupported);
    expect(Icmpv4Packet.check(new Uint8Array(7))).toBe(WireError.Truncated);
  });
});

describe("UDP", () => {
  const udp = (payload: Uint8Array) => {
    const bytes = new Uint8Array(UDP_HEADER_LEN + payload.length);
    emitUdp({ srcPort: 5353, dstPort: 53 }, new UdpPacket(bytes), A, B, payload);
    return bytes;
  };

  it("round-trips ports and payload with a pseudo-header checksum", () => {
    const bytes = udp(Uint8Array.of(1, 2, 3, 4, 5));
    const packet = ok(UdpPacket.check(bytes));
    expect(ok(parseUdp(packet, A, B))).toEqual({ srcPort: 5353, dstPort: 53 });
    expect([...packet.payload]).toEqual([1, 2, 3, 4, 5]);
    expect(parseUdp(packet, A, ipv4(10, 0, 0, 3))).toBe(WireError.Checksum);
  });

  it("accepts a zero checksum and sends a computed zero as 0xffff", () => {
    const bytes = udp(new Uint8Array(2));
    const word = new UdpPacket(bytes).checksum;
    bytes[6] = 0;
    bytes[7] = 0;
    expect(ok(parseUdp(new UdpPacket(bytes), A, B)).dstPort).toBe(53);
    const zeroing = udp(Uint8Array.of(word >>> 8, word & 0xff));
    expect(new UdpPacket(zeroing).checksum).toBe(0xffff);
    expect(ok(parseUdp(new UdpPacket(zeroing), A, B)).srcPort).toBe(5353);
  });

  it("rejects lengths outside the buffer and port 0", () => {
    const bytes = udp(new Uint8Array(4));
    bytes[5] = 13;
    expect(UdpPacket.check(bytes)).toBe(WireError.Truncated);
    bytes[5] = 7;
    expect(UdpPacket.check(bytes)).toBe(WireError.Malformed);
    const zeroPort = udp(new Uint8Array(0));
    zeroPort[2] = 0;
    zeroPort[3] = 0;
    expect(parseUdp(new UdpPacket(zeroPort), A, B)).toBe(WireError.Malformed);
  });
});

describe("TCP", () => {
  const base: TcpRepr = {
    srcPort: 40000, dstPort: 80, control: "none", seq: 0xfffffff0, ack: 12345, window: 502,
    windowScale: null, mss: null, sackPermitted: false, sackRanges: [], timestamp: null, payload: new Uint8Array(0),
  };
  const emit = (repr: TcpRepr) => {
    const bytes = new Uint8Array(tcpBufferLen(repr));
    emitTcp(repr, new TcpPacket(bytes), A, B);
    return bytes;
  };
  const parse = (bytes: Uint8Array) => parseTcp(ok(TcpPacket.check(bytes)), A, B);

  it("lays out a SYN's options as Linux (MSS, SACK-permitted + timestamps, NOP + window scale)", () => {
    const syn: TcpRepr = {
      ...base, control: "syn", ack: null, mss: 1460, windowScale: 7, sackPermitted: true,
      timestamp: { tsval: 0x01020304, tsecr: 0 },
    };
    const bytes = emit(syn);
    expect(bytes.length).toBe(40);
    expect(bytes[13]).toBe(0x02);
    expect([...bytes.subarray(20)]).toEqual([2, 4, 5, 180, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7]);
    expect(ok(parse(bytes))).toEqual(syn);
    expect(tcpSegmentLen(syn)).toBe(1);
  });

  it("round-trips data with SACK blocks, and fits SACK blocks beside timestamps", () => {
    const data: TcpRepr = {
      ...base, payload: Uint8Array.of(1, 2, 3), timestamp: { tsval: 5, tsecr: 6 },
      sackRanges: [[100, 200], [300, 400], [500, 600], [700, 800]],
    };
    const parsed = ok(parse(emit(data)));
    expect(parsed.sackRanges).toEqual([[100, 200], [300, 400], [500, 600]]);
    expect([...parsed.payload]).toEqual([1, 2, 3]);
    expect(tcpSegmentLen(parsed)).toBe(3);
    const noTs = ok(parse(emit({ ...data, timestamp: null })));
    expect(noTs.sackRanges.length).toBe(4);
    expect(ok(parse(emit({ ...base, control: "fin" }))).control).toBe("fin");
    expect(ok(parse(emit({ ...base, control: "rst", ack: null })))).toMatchObject({ control: "rst", ack: null });
  });

  it("clamps a window scale above 14 and skips unknown options", () => {
    const bytes = emit({ ...base, control: "syn", windowScale: 14, mss: 536 });
    bytes[bytes.length - 1] = 15;
    bytes[20] = 30; // an unknown kind with MSS's length
    new TcpPacket(bytes).fillChecksum(A, B);
    expect(ok(parse(bytes))).toMatchObject({ windowScale: 14, mss: null });
  });

  it("reports malformed options, flag combinations, offsets and checksums", () => {
    const bytes = emit({ ...base, mss: 1460 });
    bytes[21] = 9;
    new TcpPacket(bytes).fillChecksum(A, B);
    expect(parse(bytes)).toBe(WireError.Malformed);
    bytes[21] = 1;
    new TcpPacket(bytes).fillChecksum(A, B);
    expect(parse(bytes)).toBe(WireError.Malformed);
    const synFin = emit({ ...base, control: "syn" });
    synFin[13]! |= 0x01;
    new TcpPacket(synFin).fillChecksum(A, B);
    expect(parse(synFin)).toBe(WireError.Malformed);
    const plain = emit(base);
    plain[12] = 0x40;
    expect(TcpPacket.check(plain)).toBe(WireError.Malformed);
    plain[12] = 0x60;
    expect(TcpPacket.check(plain)).toBe(WireError.Truncated);
    plain[12] = 0x50;
    expect(TcpPacket.check(plain.subarray(0, 19))).toBe(WireError.Truncated);
    const corrupt = emit({ ...base, payload: Uint8Array.of(7) });
    corrupt[20]! ^= 0x04;
    expect(parse(corrupt)).toBe(WireError.Checksum);
  });
});

describe("hostile input", () => {
  it("every parser returns a value or a WireError for random and truncated bytes", () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 3000; n++) {
      const bytes = Uint8Array.from({ length: n % 90 }, rand);
      if (n % 3 === 0 && bytes.length > 20) bytes[0] = 0x45;
      if (n % 3 === 1 && bytes.length > 13) bytes[12] = 0x50 + (n & 0x30);
      const eth = EthernetFrame.check(bytes);
      if (!isWireError(eth)) parseEthernet(eth);
      const arp = ArpPacket.check(bytes);
      if (!isWireError(arp)) parseArp(arp);
      const ip = Ipv4Packet.check(bytes);
      if (!isWireError(ip)) { parseIpv4Packet(ip); void ip.payload; }
      const icmp = Icmpv4Packet.check(bytes);
      if (!isWireError(icmp)) parseIcmpv4(icmp);
      const udp = UdpPacket.check(bytes);
      if (!isWireError(udp)) { parseUdp(udp, A, B); void udp.payload; }
      const tcp = TcpPacket.check(bytes);
      if (!isWireError(tcp)) {
        const t = new TcpPacket(bytes);
        t.fillChecksum(A, B);
        const repr = parseTcp(t, A, B);
        if (!isWireError(repr)) expect(repr.payload.length).toBeLessThanOrEqual(bytes.length);
      }
    }
  });
});
