// The sockets an interface serves, by handle. The IPC module (later) maps its socket ids to
// these handles. A handle its owner gives up (release) stays until the socket has finished on
// its own (a TCP connection through FIN and TIME-WAIT), then reap() removes it, as Linux
// keeps orphaned sockets. Children a listener creates are orphans until accepted.
//
//   add / get / tcp / udp / icmp / listener / remove / release / reap / values
//   portInUse / ephemeralPort (Linux's ip_local_port_range, 32768-60999, random start)

import { IcmpSocket } from "./icmp.ts";
import { TcpSocket } from "./tcp.ts";
import { TcpListener } from "./tcp_listener.ts";
import { UdpSocket } from "./udp.ts";

export type AnySocket = TcpSocket | TcpListener | UdpSocket | IcmpSocket;
export type SocketHandle = number;
export type PortSpace = "tcp" | "udp";

export const EPHEMERAL_PORT_FIRST = 32768;
export const EPHEMERAL_PORT_LAST = 60999;

export class SocketSet {
  readonly #sockets = new Map<SocketHandle, AnySocket>();
  #nextHandle = 1;

  get size(): number { return this.#sockets.size; }

  add(socket: AnySocket): SocketHandle {
    const handle = this.#nextHandle++;
    socket.handle = handle;
    this.#sockets.set(handle, socket);
    return handle;
  }

  get(handle: SocketHandle): AnySocket | undefined {
    return this.#sockets.get(handle);
  }

  tcp(handle: SocketHandle): TcpSocket { return this.#typed(handle, TcpSocket); }
  listener(handle: SocketHandle): TcpListener { return this.#typed(handle, TcpListener); }
  udp(handle: SocketHandle): UdpSocket { return this.#typed(handle, UdpSocket); }
  icmp(handle: SocketHandle): IcmpSocket { return this.#typed(handle, IcmpSocket); }

  remove(handle: SocketHandle): void {
    const socket = this.#sockets.get(handle);
    if (socket === undefined) return;
    this.#sockets.delete(handle);
    socket.handle = -1;
  }

  /** The owner is done with the socket: remove it now, or once it has closed (TCP). */
  release(handle: SocketHandle): void {
    const socket = this.#sockets.get(handle);
    if (socket === undefined) return;
    socket.orphaned = true;
    socket.setWaker(null);
    if (socket.kind !== "tcp" || socket.isClosed) this.remove(handle);
  }

  /** Removes orphans that have finished. */
  reap(): void {
    for (const [handle, socket] of this.#sockets) {
      if (socket.orphaned && socket.isClosed) this.remove(handle);
    }
  }

  values(): IterableIterator<AnySocket> {
    return this.#sockets.values();
  }

  portInUse(space: PortSpace, port: number): boolean {
    for (const socket of this.#sockets.values()) {
      const local = socket.kind === "icmp" ? null : socket.local;
      if (local === null || local.port !== port) continue;
      if (space === "udp" ? socket.kind === "udp" : socket.kind === "tcp" || socket.kind === "tcp-listener") {
        if (socket.kind !== "tcp" || !socket.isClosed) return true;
      }
    }
    return false;
  }

  /** A free port from the ephemeral range, starting at a random point; null when all are taken. */
  ephemeralPort(space: PortSpace, random: () => number): number | null {
    const span = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    const start = random() % span;
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_PORT_FIRST + ((start + i) % span);
      if (!this.portInUse(space, port)) return port;
    }
    return null;
  }

  #typed<T extends AnySocket>(handle: SocketHandle, type: abstract new (...args: never[]) => T): T {
    const socket = this.#sockets.get(handle);
    if (!(socket instanceof type)) throw new TypeError(`Cannot use socket ${handle}: not a ${type.name}`);
    return socket;
  }
}
