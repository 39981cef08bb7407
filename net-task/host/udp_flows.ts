// The gateway's UDP flows: each (guest port, remote endpoint) pair the guest talks to gets
// its own host socket (node:dgram), which takes replies only from that remote (address-
// and port-dependent filtering, RFC 4787). A `-p H:G/udp` forward shares its listening
// socket: each host peer that writes to it becomes a flow whose remote, as the guest sees
// it, is the gateway address and a port picked for that peer, so the guest's replies find
// their way back.
//
// Bounded: the flow count is the gateway's (room()), a flow idle for `idleTimeout` ms is
// closed by sweep(), and a datagram is dropped while the host socket's send queue is full.

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { type Endpoint } from "../socket/endpoint.ts";
import { EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST } from "../socket/socket_set.ts";
import { type Ipv4Address } from "../wire/address.ts";

/** Bytes a flow's host socket may have queued before datagrams are dropped. */
const SEND_QUEUE_LIMIT = 256 * 1024;

export interface UdpFlowsOptions {
  /** Sends a datagram to the guest from `remote` to `guestPort`. */
  toGuest(remote: Endpoint, guestPort: number, payload: Uint8Array): void;
  /** The host address a guest-visible address means (the gateway's is the host's loopback). */
  hostAddressFor(addr: Ipv4Address): string;
  /** The guest-visible address of a host one (the inverse for replies). */
  guestAddressFor(host: string): Ipv4Address | null;
  /** Whether the gateway's flow table has room for one more flow. */
  room(): boolean;
  /** The address forwarded flows come from, as the guest sees them (the gateway). */
  gatewayAddress: Ipv4Address;
  idleTimeout: number;
}

export interface UdpStats {
  /** Flows opened so far. */
  opened: number;
  /** Flow table full, host send queue full, or the host socket failed. */
  dropped: number;
}

interface UdpFlow {
  key: string;
  guestPort: number;
  /** The remote as the guest sees it. */
  remote: Endpoint;
  /** Where its datagrams go on the host. */
  hostAddress: string;
  hostPort: number;
  /** Its own socket (outbound), or a forward's shared listening socket. */
  socket: Socket;
  owned: boolean;
  lastUsed: number;
}

const keyOf = (guestPort: number, remote: Endpoint): string => `${guestPort}>${remote.addr}:${remote.port}`;

export class UdpFlows {
  readonly stats: UdpStats = { opened: 0, dropped: 0 };
  readonly #options: UdpFlowsOptions;
  readonly #flows = new Map<string, UdpFlow>();
  /** Forwarded flows by host peer ("addr:port") and listening socket. */
  readonly #byPeer = new Map<Socket, Map<string, UdpFlow>>();
  #nextPort = EPHEMERAL_PORT_FIRST;

  constructor(options: UdpFlowsOptions) {
    this.#options = options;
  }

  get size(): number { return this.#flows.size; }

  /** A datagram from the guest (the interface's unclaimed handler); false when not relayed. */
  fromGuest(from: Endpoint, to: Endpoint, payload: Uint8Array): boolean {
    let flow = this.#flows.get(keyOf(from.port, to)) ?? null;
    if (flow === null) {
      flow = this.#open(from.port, to);
      if (flow === null) return false;
    }
    flow.lastUsed = performance.now();
    if (flow.socket.getSendQueueSize() > SEND_QUEUE_LIMIT) {
      this.stats.dropped++;
      return true;
    }
    // The payload views the guest's frame: the host socket needs its own copy.
    flow.socket.send(Buffer.from(payload), flow.hostPort, flow.hostAddress);
    return true;
  }

  /** Listens for a `-p H:G/udp` forward on an already bound socket. */
  forward(socket: Socket, guestPort: number): void {
    const peers = new Map<string, UdpFlow>();
    this.#byPeer.set(socket, peers);
    socket.on("message", (msg: Buffer, peer: RemoteInfo) => {
      const peerKey = `${peer.address}:${peer.port}`;
      let flow = peers.get(peerKey) ?? null;
      if (flow === null) {
        flow = this.#openForwarded(socket, guestPort, peer);
        if (flow === null) return;
        peers.set(peerKey, flow);
      }
      flow.lastUsed = performance.now();
      this.#options.toGuest(flow.remote, flow.guestPort, msg);
    });
  }

  /** Closes flows idle for longer than the timeout. */
  sweep(now: number): void {
    for (const flow of this.#flows.values()) {
      if (now - flow.lastUsed > this.#options.idleTimeout) this.#close(flow);
    }
  }

  closeAll(): void {
    for (const flow of this.#flows.values()) this.#close(flow);
  }

  #open(guestPort: number, remote: Endpoint): UdpFlow | null {
    if (!this.#options.room()) {
      this.stats.dropped++;
      return null;
    }
    const socket = createSocket("udp4");
    const flow = this.#add({
      key: keyOf(guestPort, remote), guestPort, remote: { ...remote }, socket, owned: true, lastUsed: 0,
      hostAddress: this.#options.hostAddressFor(remote.addr), hostPort: remote.port,
    });
    socket.on("message", (msg: Buffer, peer: RemoteInfo) => {
      if (peer.port !== flow.hostPort || this.#options.guestAddressFor(peer.address) !== remote.addr) return;
      flow.lastUsed = performance.now();
      this.#options.toGuest(flow.remote, guestPort, msg);
    });
    socket.on("error", () => {
      this.stats.dropped++;
      this.#close(flow);
    });
    return flow;
  }

  #openForwarded(socket: Socket, guestPort: number, peer: RemoteInfo): UdpFlow | null {
    const port = this.#freePort(guestPort);
    if (port === null || !this.#options.room()) {
      this.stats.dropped++;
      return null;
    }
    const remote = { addr: this.#options.gatewayAddress, port };
    return this.#add({
      key: keyOf(guestPort, remote), guestPort, remote, socket, owned: false, lastUsed: 0,
      hostAddress: peer.address, hostPort: peer.port,
    });
  }

  /** A gateway-side port no flow to `guestPort` uses yet, from the ephemeral range. */
  #freePort(guestPort: number): number | null {
    const span = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    for (let i = 0; i < span; i++) {
      const port = this.#nextPort;
      this.#nextPort = port === EPHEMERAL_PORT_LAST ? EPHEMERAL_PORT_FIRST : port + 1;
      if (!this.#flows.has(keyOf(guestPort, { addr: this.#options.gatewayAddress, port }))) return port;
    }
    return null;
  }

  #add(flow: UdpFlow): UdpFlow {
    flow.lastUsed = performance.now();
    this.#flows.set(flow.key, flow);
    this.stats.opened++;
    return flow;
  }

  #close(flow: UdpFlow): void {
    if (this.#flows.get(flow.key) !== flow) return;
    this.#flows.delete(flow.key);
    if (flow.owned) flow.socket.close();
    else this.#byPeer.get(flow.socket)?.delete(`${flow.hostAddress}:${flow.hostPort}`);
  }
}
