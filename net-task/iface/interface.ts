// An IPv4 interface over one Device, driven by poll(now, sockets): it drains the device,
// answers what the stack itself answers (ARP, ICMP echo, port unreachable, RST for closed
// TCP ports), hands the rest to sockets, then lets every socket that is due send. Nothing
// here reads a clock or blocks; pollAt() says when the next timer is due.
//
//   config      addresses with prefixes, routes (default gateway), MAC on Ethernet
//   receive     #receiveFrame → ARP / IPv4 (checksum, reassembly) → ICMP / UDP / TCP demux
//   transmit    sendTcp/sendUdp/sendIcmp (the SocketContext the sockets see) → #transmitIp:
//               to ourselves through a local queue, fragmentation, next hop, ARP, device
//   helpers     connect (source address, random ephemeral port, RFC 6528 ISN), pollAt
//   transparent TCP and UDP to any unicast address are ours too, and what no socket takes
//               goes to the `unclaimed` handler before it is refused (the host gateway's NAT)
//   pieces      routes.ts, neighbor_cache.ts, reassembly.ts, fragment.ts

import { type Device, type Medium } from "../phy/device.ts";
import { FrameQueue } from "../phy/frame_queue.ts";
import { cryptoU32 } from "../phy/prng.ts";
import { type SocketContext } from "../socket/context.ts";
import { type Endpoint } from "../socket/endpoint.ts";
import { type SocketHandle, type SocketSet } from "../socket/socket_set.ts";
import { IsnGenerator } from "../socket/tcp_isn.ts";
import {
  IPV4_BROADCAST, MAC_BROADCAST, formatIpv4, isMulticastIpv4, prefixMask, readIpv4, sameSubnet, type Ipv4Address,
  type MacAddress,
} from "../wire/address.ts";
import { ARP_LEN, ArpPacket, emitArp, parseArp, type ArpRepr } from "../wire/arp.ts";
import { ETHERNET_HEADER_LEN, EtherType, EthernetFrame, emitEthernet } from "../wire/ethernet.ts";
import { isWireError, type WireError } from "../wire/error.ts";
import {
  DestUnreachableCode, Icmpv4Packet, TimeExceededCode, emitIcmpv4, icmpv4BufferLen, parseIcmpv4, type Icmpv4Repr,
} from "../wire/icmpv4.ts";
import { IPV4_HEADER_LEN, IPV4_MAX_PACKET, IpProtocol, Ipv4Packet, emitIpv4Packet, ipv4Repr, parseIpv4Packet, type Ipv4Repr } from "../wire/ipv4.ts";
import { TcpPacket, emitTcp, parseTcp, tcpBufferLen, tcpResetFor, type TcpRepr } from "../wire/tcp.ts";
import { UDP_HEADER_LEN, UdpPacket, emitUdp, parseUdp } from "../wire/udp.ts";
import { fragmentIpv4 } from "./fragment.ts";
import { NeighborCache, type NeighborOptions } from "./neighbor_cache.ts";
import { Reassembler, type ReassemblyOptions } from "./reassembly.ts";
import { Routes } from "./routes.ts";

export interface InterfaceAddress {
  address: Ipv4Address;
  prefixLen: number;
}

export interface InterfaceOptions {
  /** The MAC address (Ethernet devices). */
  hardwareAddress?: MacAddress;
  addresses?: InterfaceAddress[];
  /** Adds a default route through this gateway. */
  gateway?: Ipv4Address | null;
  /** The ISN key (two words); random when omitted. */
  isnKey?: Uint32Array;
  /** A u32 source for ephemeral ports, IP idents and timestamp offsets; crypto when omitted. */
  random?: () => number;
  neighbor?: NeighborOptions;
  reassembly?: ReassemblyOptions;
  /** Receives one line per dropped packet and per ARP event. */
  trace?: ((line: string) => void) | null;
  /**
   * Takes TCP and UDP sent to any unicast address as local, as Linux's TPROXY does for a
   * gateway that terminates the flows it forwards; ARP and echo requests are still answered
   * only for `addresses`. Default false.
   */
  transparent?: boolean;
  /** What no socket takes goes here before it is refused (RST, port unreachable). */
  unclaimed?: UnclaimedHandler | null;
}

/**
 * The last stop of a connection request or a datagram no socket wants (a NAT relays them).
 * The views point into the received frame: copy what is kept. True when it was taken.
 */
export interface UnclaimedHandler {
  /** A SYN without ACK no connection or listener matches. */
  tcpSyn(src: Ipv4Address, dst: Ipv4Address, seg: TcpRepr): boolean;
  /** A unicast datagram no UDP socket takes. */
  udp(from: Endpoint, to: Endpoint, payload: Uint8Array): boolean;
}

export interface InterfaceStats {
  rxFrames: number;
  txFrames: number;
  rxBytes: number;
  txBytes: number;
  /** Malformed, truncated or failing a checksum. */
  rxErrors: number;
  /** Well-formed but not for us, or for nobody. */
  rxDropped: number;
  txDropped: number;
}

/** An ICMP error quotes at most this much of the datagram (the reply stays within 576 bytes, RFC 1812). */
const ICMP_QUOTE_MAX = 576 - IPV4_HEADER_LEN - 8;
/** Rounds of receive-then-send in one poll, and frames taken per round: bounds one poll's work. */
export const MAX_ROUNDS = 64;
const RX_BATCH = 256;

export class Interface implements SocketContext {
  readonly device: Device;
  readonly medium: Medium;
  readonly routes = new Routes();
  readonly neighbors: NeighborCache;
  readonly stats: InterfaceStats = { rxFrames: 0, txFrames: 0, rxBytes: 0, txBytes: 0, rxErrors: 0, rxDropped: 0, txDropped: 0 };
  readonly #reassembly: Reassembler;
  readonly #mac: MacAddress;
  readonly #isn: IsnGenerator;
  readonly #random: () => number;
  readonly #trace: ((line: string) => void) | null;
  readonly #headroom: number;
  /** TCP and UDP checksums are computed and checked (not on a device that offloads them: loopback). */
  readonly #checksums: boolean;
  readonly #transparent: boolean;
  readonly #unclaimed: UnclaimedHandler | null;
  /** IP packets to our own addresses on an Ethernet device (Linux routes these through lo). */
  readonly #local = new FrameQueue(1000);
  #addresses: InterfaceAddress[];
  #ident: number;
  #now = 0;
  #sockets: SocketSet | null = null;
  #hostHas: ((addr: Ipv4Address) => boolean) | null = null;

  constructor(device: Device, options: InterfaceOptions = {}) {
    this.device = device;
    this.medium = device.medium;
    if (this.medium === "ethernet" && options.hardwareAddress === undefined) {
      throw new TypeError("Cannot create an Ethernet interface: no hardware address");
    }
    this.#mac = options.hardwareAddress ?? 0;
    this.#addresses = [...(options.addresses ?? [])];
    if (options.gateway != null) this.routes.addDefault(options.gateway);
    this.#isn = new IsnGenerator(options.isnKey);
    this.#random = options.random ?? cryptoU32;
    this.#trace = options.trace ?? null;
    this.neighbors = new NeighborCache(options.neighbor);
    this.#reassembly = new Reassembler(options.reassembly);
    this.#headroom = this.medium === "ethernet" ? ETHERNET_HEADER_LEN : 0;
    this.#checksums = device.checksumOffload !== true;
    this.#transparent = options.transparent ?? false;
    this.#unclaimed = options.unclaimed ?? null;
    this.#ident = this.#random() & 0xffff;
  }

  get now(): number { return this.#now; }
  get hardwareAddress(): MacAddress { return this.#mac; }
  get addresses(): readonly InterfaceAddress[] { return this.#addresses; }

  setAddresses(addresses: InterfaceAddress[]): void {
    this.#addresses = [...addresses];
  }

  hasAddress(addr: Ipv4Address): boolean {
    return this.#addresses.some((a) => a.address === addr);
  }

  // ---- Driving -----------------------------------------------------------------------------

  /** Receives, processes and sends until nothing moves (bounded); true when anything did. */
  poll(now: number, sockets: SocketSet): boolean {
    this.beginPoll(now, sockets);
    let any = false;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let progress = this.receiveBatch();
      if (dispatchDue(sockets, this, now)) progress = true;
      if (!progress) break;
      any = true;
    }
    this.endPoll();
    sockets.reap();
    return any;
  }

  /**
   * The steps of poll(), for a Router that drives several interfaces over one socket set:
   * beginPoll, then receiveBatch (and the sockets' dispatch) in rounds, then endPoll.
   */
  beginPoll(now: number, sockets: SocketSet): void {
    this.#now = now;
    this.#sockets = sockets;
  }

  /** Runs ARP retries and reassembly timeouts, and lets go of the socket set. */
  endPoll(): void {
    const now = this.#now;
    for (const ip of this.neighbors.due(now)) this.#sendArpRequest(ip);
    for (const quote of this.#reassembly.expire(now)) {
      this.#sendIcmpError(quote, { type: "time-exceeded", code: TimeExceededCode.ReassemblyTimeout, data: quote });
    }
    this.#sockets = null;
  }

  /** When poll() should next run (ms): now or earlier for work waiting, Infinity for none. */
  pollAt(sockets: SocketSet): number {
    let at = this.timersAt();
    for (const socket of sockets.values()) at = Math.min(at, socket.pollAt());
    return at;
  }

  /** The interface's own next timer (local queue, ARP, reassembly), sockets aside. */
  timersAt(): number {
    if (this.#local.length > 0) return this.#now;
    return Math.min(this.neighbors.pollAt(), this.#reassembly.pollAt(), this.device.pollAt?.() ?? Infinity);
  }

  /**
   * Addresses of the host that are not this interface's own but that it accepts packets
   * for (Linux's weak host model: a packet to 10.0.2.15 may arrive on lo). A Router sets it.
   */
  setHostAddresses(isLocal: ((addr: Ipv4Address) => boolean) | null): void {
    this.#hostHas = isLocal;
  }

  /** Starts an active open: source address by route, a random free port unless given, an RFC 6528 ISN. */
  connect(sockets: SocketSet, handle: SocketHandle, remote: Endpoint, localPort = 0): "ok" | "no-route" | "no-port" | "invalid" {
    const socket = sockets.tcp(handle);
    const src = this.sourceAddressFor(remote.addr);
    if (src === null) return "no-route";
    const port = localPort !== 0 ? localPort : sockets.ephemeralPort("tcp", this.#random);
    if (port === null) return "no-port";
    return socket.connect(remote, { addr: src, port }, this.isn(src, port, remote.addr, remote.port));
  }

  // ---- SocketContext ---------------------------------------------------------------------

  mtuFor(_dst: Ipv4Address): number {
    return Math.min(this.device.mtu, IPV4_MAX_PACKET);
  }

  sourceAddressFor(dst: Ipv4Address): Ipv4Address | null {
    if (this.#addresses.length === 0) return null;
    if (this.hasAddress(dst)) return dst;
    const onLink = this.#addresses.find((a) => sameSubnet(a.address, dst, a.prefixLen));
    if (onLink !== undefined) return onLink.address;
    if (dst === IPV4_BROADCAST || isMulticastIpv4(dst)) return this.#addresses[0]!.address;
    const route = this.routes.lookup(dst);
    if (route === null) return null;
    const via = route.via;
    return (via !== null ? this.#addresses.find((a) => sameSubnet(a.address, via, a.prefixLen)) : undefined)?.address
      ?? this.#addresses[0]!.address;
  }

  isn(local: Ipv4Address, localPort: number, remote: Ipv4Address, remotePort: number): number {
    return this.#isn.isn(this.#now, local, localPort, remote, remotePort);
  }

  random(): number {
    return this.#random();
  }

  sendTcp(src: Ipv4Address, dst: Ipv4Address, repr: TcpRepr): boolean {
    const len = tcpBufferLen(repr);
    const frame = this.#ipFrame(ipv4Repr({ src, dst, protocol: IpProtocol.Tcp, payloadLen: len, dontFragment: true }));
    emitTcp(repr, new TcpPacket(frame.subarray(this.#headroom + IPV4_HEADER_LEN)), src, dst, this.#checksums);
    return this.#transmitIp(frame, dst);
  }

  sendUdp(src: Ipv4Address, dst: Ipv4Address, ports: { srcPort: number; dstPort: number }, payload: Uint8Array): boolean {
    const frame = this.#ipFrame(ipv4Repr({ src, dst, protocol: IpProtocol.Udp, payloadLen: UDP_HEADER_LEN + payload.length }));
    emitUdp(ports, new UdpPacket(frame.subarray(this.#headroom + IPV4_HEADER_LEN)), src, dst, payload, this.#checksums);
    return this.#transmitIp(frame, dst);
  }

  sendIcmp(src: Ipv4Address, dst: Ipv4Address, repr: Icmpv4Repr): boolean {
    const frame = this.#ipFrame(ipv4Repr({ src, dst, protocol: IpProtocol.Icmp, payloadLen: icmpv4BufferLen(repr) }));
    emitIcmpv4(repr, new Icmpv4Packet(frame.subarray(this.#headroom + IPV4_HEADER_LEN)));
    return this.#transmitIp(frame, dst);
  }

  // ---- Receiving ---------------------------------------------------------------------------

  /** Takes up to a batch of frames from the device (and the local queue) and processes them. */
  receiveBatch(): boolean {
    let n = 0;
    for (; n < RX_BATCH; n++) {
      const local = this.#local.shift();
      if (local !== null) {
        this.#receiveIpv4(local);
        continue;
      }
      const frame = this.device.receive(this.#now);
      if (frame === null) break;
      this.stats.rxFrames++;
      this.stats.rxBytes += frame.length;
      if (this.medium === "ethernet") this.#receiveEthernet(frame);
      else this.#receiveIpv4(frame);
    }
    return n > 0;
  }

  #receiveEthernet(bytes: Uint8Array): void {
    const frame = EthernetFrame.check(bytes);
    if (isWireError(frame)) return this.#malformed("ethernet", frame);
    const dst = frame.dst;
    if (dst !== this.#mac && dst !== MAC_BROADCAST) return this.#drop("ethernet: not our MAC");
    switch (frame.ethertype) {
      case EtherType.Arp: return this.#receiveArp(frame.payload);
      case EtherType.Ipv4: return this.#receiveIpv4(frame.payload);
      default: return this.#drop("ethernet: ethertype not handled");
    }
  }

  #receiveArp(bytes: Uint8Array): void {
    const packet = ArpPacket.check(bytes);
    if (isWireError(packet)) return this.#malformed("arp", packet);
    const arp = parseArp(packet);
    if (isWireError(arp)) return this.#malformed("arp", arp);
    const forUs = this.hasAddress(arp.targetProtocol);
    // RFC 826's merge: refresh a sender we know; learn one that is talking to us.
    if (arp.sourceProtocol !== 0 && (forUs || this.neighbors.has(arp.sourceProtocol))) {
      for (const held of this.neighbors.fill(arp.sourceProtocol, arp.sourceHardware, this.#now)) {
        this.#sendEthernet(held, arp.sourceHardware, EtherType.Ipv4);
      }
    }
    if (forUs && arp.operation === "request") {
      this.#sendArp({
        operation: "reply", sourceHardware: this.#mac, sourceProtocol: arp.targetProtocol,
        targetHardware: arp.sourceHardware, targetProtocol: arp.sourceProtocol,
      }, arp.sourceHardware);
    }
  }

  #receiveIpv4(bytes: Uint8Array): void {
    let packet = Ipv4Packet.check(bytes);
    if (isWireError(packet)) return this.#malformed("ipv4", packet);
    let ip = parseIpv4Packet(packet);
    if (isWireError(ip)) return this.#malformed("ipv4", ip);
    const broadcast = this.#isBroadcast(ip.dst);
    if (!broadcast && !this.#isLocal(ip.dst)) return this.#drop(`ipv4: ${formatIpv4(ip.dst)} is not ours`);
    if (ip.moreFragments || ip.fragmentOffset > 0) {
      const whole = this.#reassembly.add(packet, ip, this.#now);
      if (whole === null) return;
      packet = new Ipv4Packet(whole);
      ip = { ...ip, moreFragments: false, fragmentOffset: 0, payloadLen: whole.length - IPV4_HEADER_LEN };
    }
    switch (ip.protocol) {
      case IpProtocol.Icmp: return this.#receiveIcmp(ip, packet, broadcast);
      case IpProtocol.Udp: return this.#receiveUdp(ip, packet, broadcast);
      case IpProtocol.Tcp: return broadcast ? this.#drop("tcp: broadcast") : this.#receiveTcp(ip, packet);
      default:
        if (!broadcast) this.#sendIcmpUnreachable(packet, DestUnreachableCode.ProtocolUnreachable);
        return this.#drop(`ipv4: protocol ${ip.protocol}`);
    }
  }

  #receiveIcmp(ip: Ipv4Repr, packet: Ipv4Packet, broadcast: boolean): void {
    const bytes = packet.payload;
    const icmp = Icmpv4Packet.check(bytes);
    if (isWireError(icmp)) return this.#malformed("icmp", icmp);
    const repr = parseIcmpv4(icmp);
    if (isWireError(repr)) return this.#malformed("icmp", repr);
    switch (repr.type) {
      case "echo-request":
        // Linux answers echo requests, but not broadcast ones (icmp_echo_ignore_broadcasts).
        if (broadcast) return this.#drop("icmp: broadcast echo");
        if (!this.hasAddress(ip.dst)) return this.#drop(`icmp: echo for ${formatIpv4(ip.dst)}`);
        this.sendIcmp(ip.dst, ip.src, { ...repr, type: "echo-reply" });
        return;
      case "echo-reply":
        for (const socket of this.#sockets!.values()) {
          if (socket.kind === "icmp" && socket.accepts(repr.ident)) return socket.process(ip.src, ip.dst, bytes);
        }
        return this.#drop("icmp: echo reply for nobody");
      default:
        return this.#drop(`icmp: ${repr.type} not delivered`);
    }
  }

  #receiveUdp(ip: Ipv4Repr, packet: Ipv4Packet, broadcast: boolean): void {
    const udp = UdpPacket.check(packet.payload);
    if (isWireError(udp)) return this.#malformed("udp", udp);
    const repr = parseUdp(udp, ip.src, ip.dst, this.#checksums);
    if (isWireError(repr)) return this.#malformed("udp", repr);
    const payload = udp.payload;
    const from = { addr: ip.src, port: repr.srcPort };
    let delivered = false;
    for (const socket of this.#sockets!.values()) {
      if (socket.kind !== "udp" || !socket.accepts(ip.src, repr.srcPort, ip.dst, repr.dstPort)) continue;
      socket.process(from, ip.dst, payload);
      delivered = true;
      if (!broadcast) break; // A unicast datagram goes to one socket, a broadcast to all.
    }
    if (delivered) return;
    if (!broadcast && this.#unclaimed?.udp(from, { addr: ip.dst, port: repr.dstPort }, payload)) return;
    if (!broadcast) this.#sendIcmpUnreachable(packet, DestUnreachableCode.PortUnreachable);
    this.#drop(`udp: port ${repr.dstPort} closed`);
  }

  #receiveTcp(ip: Ipv4Repr, packet: Ipv4Packet): void {
    const tcp = TcpPacket.check(packet.payload);
    if (isWireError(tcp)) return this.#malformed("tcp", tcp);
    const seg = parseTcp(tcp, ip.src, ip.dst, this.#checksums);
    if (isWireError(seg)) return this.#malformed("tcp", seg);
    const sockets = this.#sockets!;
    let wildcard = null;
    for (const socket of sockets.values()) {
      if (socket.kind === "tcp" && socket.accepts(ip.src, ip.dst, seg)) return socket.process(this, seg);
      if (socket.kind === "tcp-listener" && socket.accepts(ip.dst, seg)) {
        if (socket.local.addr !== 0 || wildcard === null) wildcard = socket;
      }
    }
    if (wildcard !== null) {
      const child = wildcard.process(this, ip.src, ip.dst, seg);
      if (child !== null) sockets.add(child);
      return;
    }
    if (seg.control === "syn" && seg.ack === null && this.#unclaimed?.tcpSyn(ip.src, ip.dst, seg)) return;
    // RFC 9293 §3.10.7.1, CLOSED: "all data in the incoming segment is discarded ... a reset is sent".
    if (seg.control !== "rst") this.sendTcp(ip.dst, ip.src, tcpResetFor(seg));
    this.#drop(`tcp: port ${seg.dstPort} closed`);
  }

  // ---- Transmitting ------------------------------------------------------------------------

  /** A frame with room for the link header, the IPv4 header written, the payload left to the caller. */
  #ipFrame(repr: Ipv4Repr): Uint8Array {
    const frame = new Uint8Array(this.#headroom + IPV4_HEADER_LEN + repr.payloadLen);
    this.#ident = (this.#ident + 1) & 0xffff;
    repr.ident = this.#ident;
    emitIpv4Packet(repr, new Ipv4Packet(frame.subarray(this.#headroom)));
    return frame;
  }

  #transmitIp(frame: Uint8Array, dst: Ipv4Address): boolean {
    const ipBytes = frame.subarray(this.#headroom);
    if (this.medium === "ethernet" && this.hasAddress(dst)) return this.#local.push(ipBytes);
    const mtu = this.mtuFor(dst);
    if (ipBytes.length <= mtu) return this.#transmitLink(frame, dst);
    const packet = new Ipv4Packet(ipBytes);
    if (packet.dontFragment) {
      this.stats.txDropped++;
      this.#trace?.(`ipv4: ${ipBytes.length} bytes with DF over MTU ${mtu}`);
      return true;
    }
    for (const fragment of fragmentIpv4(packet, mtu, this.#headroom)) this.#transmitLink(fragment, dst);
    return true;
  }

  /** Hands an IP frame to the device, resolving the next hop's MAC first on Ethernet. */
  #transmitLink(frame: Uint8Array, dst: Ipv4Address): boolean {
    if (this.medium === "ip") return this.#deviceTransmit(frame);
    const hop = this.#nextHop(dst);
    if (hop === null) {
      this.stats.txDropped++;
      this.#trace?.(`ipv4: no route to ${formatIpv4(dst)}`);
      return true;
    }
    const mac = this.#isBroadcast(hop) ? MAC_BROADCAST : this.neighbors.lookup(hop, this.#now);
    if (mac !== null) return this.#sendEthernet(frame, mac, EtherType.Ipv4);
    if (this.neighbors.hold(hop, frame, this.#now)) this.#sendArpRequest(hop);
    return true;
  }

  #nextHop(dst: Ipv4Address): Ipv4Address | null {
    if (this.#isBroadcast(dst) || this.#addresses.some((a) => sameSubnet(a.address, dst, a.prefixLen))) return dst;
    const route = this.routes.lookup(dst);
    return route === null ? null : route.via ?? dst;
  }

  #sendEthernet(frame: Uint8Array, dst: MacAddress, ethertype: number): boolean {
    emitEthernet({ src: this.#mac, dst, ethertype }, new EthernetFrame(frame));
    return this.#deviceTransmit(frame);
  }

  #deviceTransmit(frame: Uint8Array): boolean {
    if (!this.device.transmit(this.#now, frame)) {
      this.stats.txDropped++;
      return false;
    }
    this.stats.txFrames++;
    this.stats.txBytes += frame.length;
    return true;
  }

  #sendArp(repr: ArpRepr, dst: MacAddress): void {
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + ARP_LEN);
    emitArp(repr, new ArpPacket(frame.subarray(ETHERNET_HEADER_LEN)));
    this.#sendEthernet(frame, dst, EtherType.Arp);
  }

  #sendArpRequest(ip: Ipv4Address): void {
    const src = this.sourceAddressFor(ip);
    if (src === null) return;
    this.#trace?.(`arp: who has ${formatIpv4(ip)}`);
    this.#sendArp({ operation: "request", sourceHardware: this.#mac, sourceProtocol: src, targetHardware: 0, targetProtocol: ip }, MAC_BROADCAST);
  }

  #sendIcmpUnreachable(packet: Ipv4Packet, code: number): void {
    const quote = packet.bytes.subarray(0, Math.min(packet.totalLen, ICMP_QUOTE_MAX));
    this.#sendIcmpError(quote, { type: "dest-unreachable", code, nextHopMtu: 0, data: quote });
  }

  /** Sends an ICMP error about a datagram (quoted from its header on) back to its source. */
  #sendIcmpError(quote: Uint8Array, repr: Icmpv4Repr): void {
    const src = readIpv4(quote, 12), dst = readIpv4(quote, 16);
    // RFC 1122 §3.2.2: never about an ICMP error, a broadcast source, or a non-initial fragment.
    const icmpType = quote[(quote[0]! & 0xf) * 4];
    if (quote[9] === IpProtocol.Icmp && icmpType !== undefined && icmpType !== 0 && icmpType !== 8) return;
    if (src === 0 || this.#isBroadcast(src) || isMulticastIpv4(src)) return;
    if (((quote[6]! & 0x1f) | quote[7]!) !== 0) return;
    this.sendIcmp(dst, src, repr);
  }

  // ---- Small helpers -----------------------------------------------------------------------

  /** Ours to receive: one of our addresses, or in transparent mode any unicast address. */
  #isLocal(addr: Ipv4Address): boolean {
    return this.hasAddress(addr) || this.#hostHas?.(addr) === true || (this.#transparent && addr !== 0 && !isMulticastIpv4(addr));
  }

  #isBroadcast(addr: Ipv4Address): boolean {
    if (addr === IPV4_BROADCAST) return true;
    return this.#addresses.some((a) => a.prefixLen < 31 && addr === ((a.address | ~prefixMask(a.prefixLen)) >>> 0));
  }

  #malformed(layer: string, error: WireError): void {
    this.stats.rxErrors++;
    this.#trace?.(`${layer}: dropped, ${error.reason}`);
  }

  #drop(reason: string): void {
    this.stats.rxDropped++;
    this.#trace?.(reason);
  }
}

/** Lets every socket that is due send through `cx`; true when one did. */
export function dispatchDue(sockets: SocketSet, cx: SocketContext, now: number): boolean {
  let progress = false;
  for (const socket of sockets.values()) {
    if (socket.pollAt() <= now && socket.dispatch(cx)) progress = true;
  }
  return progress;
}
