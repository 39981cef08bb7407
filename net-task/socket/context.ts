// What a socket sees of the interface while it is driven by iface.poll(): the time, the
// transmit functions (false: the device did not take the packet, so the socket keeps its
// state and retries), and per-destination facts (source address, MTU, ISN).

import { type Ipv4Address } from "../wire/address.ts";
import { type Icmpv4Repr } from "../wire/icmpv4.ts";
import { type TcpRepr } from "../wire/tcp.ts";

export interface SocketContext {
  /** The current time in milliseconds. */
  readonly now: number;
  /** The IP MTU towards a destination. */
  mtuFor(dst: Ipv4Address): number;
  /** The address the interface would send from towards dst, null without a route. */
  sourceAddressFor(dst: Ipv4Address): Ipv4Address | null;
  /** An initial sequence number for a connection (RFC 6528). */
  isn(local: Ipv4Address, localPort: number, remote: Ipv4Address, remotePort: number): number;
  /** A random u32 (timestamp offsets). */
  random(): number;
  sendTcp(src: Ipv4Address, dst: Ipv4Address, repr: TcpRepr): boolean;
  sendUdp(src: Ipv4Address, dst: Ipv4Address, ports: { srcPort: number; dstPort: number }, payload: Uint8Array): boolean;
  sendIcmp(src: Ipv4Address, dst: Ipv4Address, repr: Icmpv4Repr): boolean;
}
