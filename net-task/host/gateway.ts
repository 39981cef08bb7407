// The host gateway ("user" networking, as qemu's slirp and passt): the guest's Ethernet
// device is one end of an in-memory link whose other end is a second Interface of this
// stack, the gateway's, in transparent mode, so it terminates every TCP connection and UDP
// flow the guest opens, whatever the destination, and relays it through host sockets.
//
//   addressing   guest 10.0.2.15/24, gateway 10.0.2.2 (the host's 127.0.0.1), DNS 10.0.2.3;
//                the gateway answers ARP and ping for 10.0.2.2 and 10.0.2.3 only
//   TCP          tcp_flows.ts (SYN-ACK only once the host connect succeeded, RST when it
//                fails) and tcp_relay.ts (backpressure, half-close, resets)
//   UDP          udp_flows.ts (a host socket per flow, idle expiry); 10.0.2.3:53 goes to
//                dns_server.ts
//   forwards     `-p [ADDR:]H:G[/udp]` (port_forward.ts): host listeners whose connections
//                and datagrams enter the guest from 10.0.2.2
//   driving      a StackDriver polls the gateway's stack on the Node event loop; the guest's
//                side is driven by whoever owns the guest's interface (it sets the device's
//                waker)
//
// Bounds: maxFlows TCP and UDP flows together (a SYN past it gets RST, a datagram is
// dropped), 1 MiB of ring buffers per TCP flow, the link's frame queues, each relay's one
// pending chunk, DNS lookups in flight.

import { createServer, type Server } from "node:net";
import { createSocket, type Socket as UdpSocketHost } from "node:dgram";
import { performance } from "node:perf_hooks";
import { Interface, type InterfaceStats } from "../iface/interface.ts";
import { type Device } from "../phy/device.ts";
import { createLink } from "../phy/link.ts";
import { type Endpoint } from "../socket/endpoint.ts";
import { SocketSet } from "../socket/socket_set.ts";
import { type TcpOptions } from "../socket/tcp_options.ts";
import { formatIpv4, ipv4, parseIpv4, type Ipv4Address, type MacAddress } from "../wire/address.ts";
import { DnsServer, type DnsStats, type HostLookup } from "./dns_server.ts";
import { type PortForward } from "./port_forward.ts";
import { StackDriver } from "./stack_driver.ts";
import { TcpFlows, type TcpStats } from "./tcp_flows.ts";
import { UdpFlows, type UdpStats } from "./udp_flows.ts";

export const GUEST_ADDRESS = ipv4(10, 0, 2, 15);
export const GATEWAY_ADDRESS = ipv4(10, 0, 2, 2);
export const DNS_ADDRESS = ipv4(10, 0, 2, 3);
export const GATEWAY_PREFIX_LEN = 24;
/** qemu's defaults: 52:54:00:12:34:56 for the guest, 52:55:0a:00:02:02 for the gateway. */
export const GUEST_MAC: MacAddress = 0x525400123456;
export const GATEWAY_MAC: MacAddress = 0x52550a000202;
/** passt's MTU: a virtual link need not stop at Ethernet's 1500, and fewer segments go faster. */
export const GATEWAY_MTU = 65520;
const HOST_LOOPBACK = "127.0.0.1";
const DNS_PORT = 53;

export interface HostGatewayOptions {
  forwards?: readonly PortForward[];
  /** The link's IP MTU (default 65520). */
  mtu?: number;
  /** TCP and UDP flows at once (default 256; each TCP flow holds 1 MiB of buffers). */
  maxFlows?: number;
  /** ms after which an idle UDP flow is closed (default 60000). */
  udpIdleTimeout?: number;
  /** ms a host connect may take before the guest's SYN is answered with RST (default 75000). */
  connectTimeout?: number;
  /** DNS lookups in flight at most (default 64). */
  dnsMaxPending?: number;
  /** The DNS server's resolver (default dns.lookup, IPv4). */
  lookup?: HostLookup;
  /** Options of the gateway side's TCP connections (buffers, TIME-WAIT). */
  tcp?: TcpOptions;
  /** One line per dropped packet of the gateway's stack. */
  trace?: ((line: string) => void) | null;
  /** ms close() waits at most for streams the guest finished to reach their host sockets (default 5000). */
  closeLinger?: number;
}

/** What the guest's interface needs to use the gateway. */
export interface GuestNetConfig {
  hardwareAddress: MacAddress;
  address: Ipv4Address;
  prefixLen: number;
  /** The default route's next hop, null for none. */
  gateway: Ipv4Address | null;
  dns: Ipv4Address[];
  mtu: number;
}

export interface BoundForward extends PortForward {
  /** The port the host listens on: hostPort, or the one the host picked for 0. */
  boundPort: number;
}

export interface GatewayStats {
  tcp: TcpStats;
  udp: UdpStats;
  dns: DnsStats;
  /** The gateway side's interface: malformed frames from the guest show in rxErrors. */
  iface: InterfaceStats;
}

export interface HostGateway {
  /** The guest's Ethernet device. */
  readonly device: Device;
  readonly guest: GuestNetConfig;
  readonly forwards: readonly BoundForward[];
  readonly stats: GatewayStats;
  /** Flows open now (TCP connecting or relaying, UDP). */
  readonly flowCount: number;
  /**
   * Closes the forwards' listeners and every flow (host sockets destroyed, guests reset),
   * once the streams the guest finished have reached their host sockets (closeLinger at most).
   */
  close(): Promise<void>;
}

/** Builds the gateway and binds its forwards; rejects (closing what was bound) if one cannot be. */
export async function createHostGateway(options: HostGatewayOptions = {}): Promise<HostGateway> {
  const gateway = new Gateway(options);
  try {
    for (const forward of options.forwards ?? []) await gateway.listen(forward);
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}

class Gateway implements HostGateway {
  readonly device: Device;
  readonly guest: GuestNetConfig;
  readonly forwards: BoundForward[] = [];
  readonly stats: GatewayStats;
  readonly #iface: Interface;
  readonly #driver: StackDriver;
  readonly #tcp: TcpFlows;
  readonly #udp: UdpFlows;
  readonly #dns: DnsServer;
  readonly #servers: (Server | UdpSocketHost)[] = [];
  readonly #sweep: NodeJS.Timeout;
  readonly #closeLinger: number;

  constructor(options: HostGatewayOptions) {
    const mtu = options.mtu ?? GATEWAY_MTU;
    this.#closeLinger = options.closeLinger ?? 5000;
    const maxFlows = options.maxFlows ?? 256;
    const [guestEnd, gatewayEnd] = createLink({ mtu });
    this.device = guestEnd;
    this.guest = {
      hardwareAddress: GUEST_MAC, address: GUEST_ADDRESS, prefixLen: GATEWAY_PREFIX_LEN, gateway: GATEWAY_ADDRESS,
      dns: [DNS_ADDRESS], mtu,
    };
    const sockets = new SocketSet();
    this.#iface = new Interface(gatewayEnd, {
      hardwareAddress: GATEWAY_MAC,
      addresses: [GATEWAY_ADDRESS, DNS_ADDRESS].map((address) => ({ address, prefixLen: GATEWAY_PREFIX_LEN })),
      transparent: true,
      unclaimed: { tcpSyn: (src, dst, seg) => this.#tcp.syn(src, dst, seg), udp: (from, to, payload) => this.#fromGuestUdp(from, to, payload) },
      trace: options.trace ?? null,
    });
    const room = (): boolean => this.flowCount < maxFlows;
    this.#tcp = new TcpFlows({
      iface: this.#iface, sockets, kick: () => this.#driver.kick(), hostAddressFor, room,
      reachable: (addr) => addr !== DNS_ADDRESS, guest: GUEST_ADDRESS, connectTimeout: options.connectTimeout ?? 75_000,
      // No TIME-WAIT: the link is in memory and keeps order, so there are no old duplicates
      // to absorb, and a closed flow's buffers are freed at once.
      tcp: { rxBufferSize: 512 * 1024, txBufferSize: 512 * 1024, timeWait: 0, ...options.tcp },
    });
    this.#udp = new UdpFlows({
      toGuest: (remote, guestPort, payload) => this.#toGuestUdp(remote, guestPort, payload),
      hostAddressFor, guestAddressFor, room, gatewayAddress: GATEWAY_ADDRESS, idleTimeout: options.udpIdleTimeout ?? 60_000,
    });
    this.#dns = new DnsServer({ lookup: options.lookup, maxPending: options.dnsMaxPending, hostAddress: GATEWAY_ADDRESS });
    this.#driver = new StackDriver(this.#iface, sockets, { service: () => this.#tcp.service() });
    const idle = options.udpIdleTimeout ?? 60_000;
    this.#sweep = setInterval(() => this.#udp.sweep(performance.now()), Math.max(10, idle / 4)).unref();
    this.stats = { tcp: this.#tcp.stats, udp: this.#udp.stats, dns: this.#dns.stats, iface: this.#iface.stats };
  }

  get flowCount(): number { return this.#tcp.size + this.#udp.size; }

  async listen(forward: PortForward): Promise<void> {
    const port = forward.protocol === "tcp" ? await this.#listenTcp(forward) : await this.#listenUdp(forward);
    this.forwards.push({ ...forward, boundPort: port });
  }

  async close(): Promise<void> {
    await this.#tcp.delivered(this.#closeLinger);
    clearInterval(this.#sweep);
    this.#dns.close();
    this.#tcp.closeAll();
    this.#udp.closeAll();
    // One last poll sends the resets the relays queued.
    this.#iface.poll(performance.now(), this.#driver.sockets);
    this.#driver.stop();
    await Promise.all(this.#servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
  }

  #listenTcp(forward: PortForward): Promise<number> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (host) => this.#tcp.accept(host, forward.guestPort));
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: forward.hostAddress, port: forward.hostPort }, () => {
        server.off("error", reject);
        this.#servers.push(server);
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  #listenUdp(forward: PortForward): Promise<number> {
    const socket = createSocket("udp4");
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: forward.hostAddress, port: forward.hostPort }, () => {
        socket.off("error", reject);
        // A failing send to one peer must not end the forward.
        socket.on("error", () => {});
        this.#servers.push(socket);
        this.#udp.forward(socket, forward.guestPort);
        resolve(socket.address().port);
      });
    });
  }

  #fromGuestUdp(from: Endpoint, to: Endpoint, payload: Uint8Array): boolean {
    if (to.addr === DNS_ADDRESS) {
      if (to.port !== DNS_PORT) return false;
      this.#dns.handle(payload, (response) => this.#toGuestUdp(to, from.port, response));
      return true;
    }
    return this.#udp.fromGuest(from, to, payload);
  }

  #toGuestUdp(remote: Endpoint, guestPort: number, payload: Uint8Array): void {
    this.#iface.sendUdp(remote.addr, GUEST_ADDRESS, { srcPort: remote.port, dstPort: guestPort }, payload);
    this.#driver.kick(); // The guest's MAC may have to be asked for, with retries on timers.
  }
}

/** The host address a destination the guest uses means: the gateway is the host's loopback. */
function hostAddressFor(addr: Ipv4Address): string {
  return addr === GATEWAY_ADDRESS ? HOST_LOOPBACK : formatIpv4(addr);
}

function guestAddressFor(host: string): Ipv4Address | null {
  return host === HOST_LOOPBACK ? GATEWAY_ADDRESS : parseIpv4(host);
}
