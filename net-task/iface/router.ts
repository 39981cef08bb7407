// Several interfaces over one socket set, as a host with lo and eth0: a socket bound to
// 0.0.0.0 hears on every interface, and what a socket sends leaves by the interface its
// destination routes to. The Router is the SocketContext the sockets send through; each
// Interface keeps receiving (and answering ARP, ICMP, RSTs) on its own device.
//
//   routing   a local address (any interface's, or 127/8 with a loopback interface) goes
//             through the loopback interface, as Linux routes it through lo; else the
//             interface whose subnet holds the destination; else the first whose route
//             table has a route (the default gateway)
//   driving   poll(now, sockets): every interface receives, every due socket sends, in
//             rounds until nothing moves; pollAt() is the next timer of any of them
//   addresses the weak host model: every interface accepts packets for any local address

import { type SocketContext } from "../socket/context.ts";
import { type Endpoint } from "../socket/endpoint.ts";
import { type SocketHandle, type SocketSet } from "../socket/socket_set.ts";
import { IsnGenerator } from "../socket/tcp_isn.ts";
import { cryptoU32 } from "../phy/prng.ts";
import { isLoopbackIpv4, sameSubnet, type Ipv4Address } from "../wire/address.ts";
import { type Icmpv4Repr } from "../wire/icmpv4.ts";
import { type TcpRepr } from "../wire/tcp.ts";
import { MAX_ROUNDS, dispatchDue, type Interface } from "./interface.ts";

export interface RoutedInterface {
  /** Linux's name for it: "lo", "eth0". */
  readonly name: string;
  /** SIOCGIFINDEX: 1 for lo, then in order. */
  readonly index: number;
  readonly iface: Interface;
}

export interface RouterOptions {
  isnKey?: Uint32Array;
  random?: () => number;
}

export class Router implements SocketContext {
  readonly #interfaces: RoutedInterface[] = [];
  readonly #isn: IsnGenerator;
  readonly #random: () => number;
  #loopback: Interface | null = null;
  #now = 0;
  /** Packets with no interface to leave by. */
  unroutable = 0;

  constructor(options: RouterOptions = {}) {
    this.#isn = new IsnGenerator(options.isnKey);
    this.#random = options.random ?? cryptoU32;
  }

  get now(): number { return this.#now; }
  get interfaces(): readonly RoutedInterface[] { return this.#interfaces; }

  /** Adds an interface (an IP-medium one becomes the loopback route); its index. */
  add(name: string, iface: Interface): number {
    const index = this.#interfaces.length + 1;
    this.#interfaces.push({ name, index, iface });
    if (iface.medium === "ip" && this.#loopback === null) this.#loopback = iface;
    iface.setHostAddresses((addr) => this.isLocal(addr));
    return index;
  }

  /** One of this host's addresses (127/8 whole when there is a loopback interface). */
  isLocal(addr: Ipv4Address): boolean {
    if (this.#loopback !== null && isLoopbackIpv4(addr)) return true;
    return this.#interfaces.some((i) => i.iface.hasAddress(addr));
  }

  // ---- Driving -----------------------------------------------------------------------------

  poll(now: number, sockets: SocketSet): boolean {
    this.#now = now;
    for (const i of this.#interfaces) i.iface.beginPoll(now, sockets);
    let any = false;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let progress = false;
      for (const i of this.#interfaces) if (i.iface.receiveBatch()) progress = true;
      if (dispatchDue(sockets, this, now)) progress = true;
      if (!progress) break;
      any = true;
    }
    for (const i of this.#interfaces) i.iface.endPoll();
    sockets.reap();
    return any;
  }

  pollAt(sockets: SocketSet): number {
    let at = Infinity;
    for (const i of this.#interfaces) at = Math.min(at, i.iface.timersAt());
    for (const socket of sockets.values()) at = Math.min(at, socket.pollAt());
    return at;
  }

  /**
   * Starts an active open from `local` (address 0: the route's source; port 0: a random
   * free one).
   */
  connect(sockets: SocketSet, handle: SocketHandle, remote: Endpoint, local: Endpoint): "ok" | "no-route" | "no-port" | "invalid" {
    const src = local.addr !== 0 ? local.addr : this.sourceAddressFor(remote.addr);
    if (src === null) return "no-route";
    const port = local.port !== 0 ? local.port : sockets.ephemeralPort("tcp", this.#random);
    if (port === null) return "no-port";
    return sockets.tcp(handle).connect(remote, { addr: src, port }, this.isn(src, port, remote.addr, remote.port));
  }

  /** The interface packets to `dst` leave by, null for none. */
  route(dst: Ipv4Address): Interface | null {
    if (this.isLocal(dst)) {
      return this.#loopback ?? this.#interfaces.find((i) => i.iface.hasAddress(dst))?.iface ?? null;
    }
    for (const { iface } of this.#interfaces) {
      if (iface !== this.#loopback && iface.addresses.some((a) => sameSubnet(a.address, dst, a.prefixLen))) return iface;
    }
    for (const { iface } of this.#interfaces) if (iface.routes.lookup(dst) !== null) return iface;
    return null;
  }

  // ---- SocketContext -----------------------------------------------------------------------

  mtuFor(dst: Ipv4Address): number {
    return this.route(dst)?.mtuFor(dst) ?? 1500;
  }

  sourceAddressFor(dst: Ipv4Address): Ipv4Address | null {
    if (this.isLocal(dst)) {
      const own = this.#interfaces.some((i) => i.iface.hasAddress(dst));
      return own ? dst : (this.#loopback?.addresses[0]?.address ?? null);
    }
    return this.route(dst)?.sourceAddressFor(dst) ?? null;
  }

  isn(local: Ipv4Address, localPort: number, remote: Ipv4Address, remotePort: number): number {
    return this.#isn.isn(this.#now, local, localPort, remote, remotePort);
  }

  random(): number {
    return this.#random();
  }

  sendTcp(src: Ipv4Address, dst: Ipv4Address, repr: TcpRepr): boolean {
    return this.#via(dst)?.sendTcp(src, dst, repr) ?? true;
  }

  sendUdp(src: Ipv4Address, dst: Ipv4Address, ports: { srcPort: number; dstPort: number }, payload: Uint8Array): boolean {
    return this.#via(dst)?.sendUdp(src, dst, ports, payload) ?? true;
  }

  sendIcmp(src: Ipv4Address, dst: Ipv4Address, repr: Icmpv4Repr): boolean {
    return this.#via(dst)?.sendIcmp(src, dst, repr) ?? true;
  }

  /** The route, or null after counting the packet as unroutable (it is dropped, as sent). */
  #via(dst: Ipv4Address): Interface | null {
    const iface = this.route(dst);
    if (iface === null) this.unroutable++;
    return iface;
  }
}
