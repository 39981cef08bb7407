// A packetdrill-style frame script: one Interface (the stack under test, 10.0.0.1) on a
// scripted device, a virtual clock, and helpers to inject frames built from wire Reprs
// (as the remote host 10.0.0.2 would send them) and to expect the frames the stack sends,
// matched field by field. Times are explicit: nothing waits on a real clock.

import { expect } from "vitest";
import { Interface, type InterfaceOptions } from "../../../net-task/iface/interface.ts";
import { type Device, type Medium } from "../../../net-task/phy/device.ts";
import { SeededRandom } from "../../../net-task/phy/prng.ts";
import { SocketSet } from "../../../net-task/socket/socket_set.ts";
import { ipv4, type Ipv4Address } from "../../../net-task/wire/address.ts";
import { ETHERNET_HEADER_LEN } from "../../../net-task/wire/ethernet.ts";
import { isWireError } from "../../../net-task/wire/error.ts";
import { IPV4_HEADER_LEN, IpProtocol, Ipv4Packet, emitIpv4Packet, ipv4Repr, parseIpv4Packet, type Ipv4Repr } from "../../../net-task/wire/ipv4.ts";
import { TcpPacket, emitTcp, parseTcp, tcpBufferLen, type TcpRepr } from "../../../net-task/wire/tcp.ts";

export const LOCAL = ipv4(10, 0, 0, 1);
export const REMOTE = ipv4(10, 0, 0, 2);
export const LOCAL_PORT = 80;
export const REMOTE_PORT = 49500;

/** A segment from the remote host; tests spread it with overrides. */
export const SEND_TEMPL: TcpRepr = {
  srcPort: REMOTE_PORT, dstPort: LOCAL_PORT, control: "none", seq: 10_000, ack: null, window: 64_000,
  windowScale: null, mss: null, sackPermitted: false, sackRanges: [], timestamp: null, payload: new Uint8Array(0),
};

export class ScriptDevice implements Device {
  readonly rx: Uint8Array[] = [];
  readonly tx: Uint8Array[] = [];
  constructor(readonly medium: Medium, readonly mtu = 1500) {}
  receive(): Uint8Array | null { return this.rx.shift() ?? null; }
  transmit(_now: number, frame: Uint8Array): boolean {
    this.tx.push(frame);
    return true;
  }
}

export class Script {
  now = 0;
  readonly device: ScriptDevice;
  readonly iface: Interface;
  readonly sockets = new SocketSet();

  constructor(options: InterfaceOptions & { medium?: Medium; mtu?: number } = {}) {
    const random = new SeededRandom(99);
    this.device = new ScriptDevice(options.medium ?? "ip", options.mtu ?? 1500);
    this.iface = new Interface(this.device, {
      addresses: [{ address: LOCAL, prefixLen: 24 }], random: () => random.nextU32(), isnKey: Uint32Array.of(1, 2),
      hardwareAddress: 0x020000000001, ...options,
    });
  }

  poll(): void {
    this.iface.poll(this.now, this.sockets);
  }

  /** Moves the clock to `at` (absolute ms), polling at every timer on the way. */
  advanceTo(at: number): void {
    for (;;) {
      const next = this.iface.pollAt(this.sockets);
      if (next > at) break;
      this.now = Math.max(this.now, next);
      this.poll();
      if (this.iface.pollAt(this.sockets) <= this.now) break; // Nothing left that time would change.
    }
    this.now = at;
    this.poll();
  }

  /** Injects a raw frame (or IP packet on the IP medium) and polls. */
  inject(frame: Uint8Array): void {
    this.device.rx.push(frame);
    this.poll();
  }

  /** Injects an IPv4 packet carrying `payload` from the remote host. */
  injectIp(protocol: number, payload: Uint8Array, fields: Partial<Ipv4Repr> = {}): void {
    const repr = ipv4Repr({ src: REMOTE, dst: LOCAL, protocol, payloadLen: payload.length, ...fields });
    const bytes = new Uint8Array(IPV4_HEADER_LEN + payload.length);
    emitIpv4Packet(repr, new Ipv4Packet(bytes));
    bytes.set(payload, IPV4_HEADER_LEN);
    this.inject(bytes);
  }

  /** Sends a TCP segment from the remote host: SEND_TEMPL with overrides. */
  send(fields: Partial<TcpRepr>, ip: Partial<Ipv4Repr> = {}): void {
    const repr = { ...SEND_TEMPL, ...fields };
    const src = ip.src ?? REMOTE, dst = ip.dst ?? LOCAL;
    const bytes = new Uint8Array(tcpBufferLen(repr));
    emitTcp(repr, new TcpPacket(bytes), src, dst);
    this.injectIp(IpProtocol.Tcp, bytes, ip);
  }

  /** Every IPv4 packet the stack sent since the last call, parsed. */
  takeIp(): { ip: Ipv4Repr; payload: Uint8Array }[] {
    const out = this.device.tx.splice(0).map((frame) => {
      const bytes = this.device.medium === "ethernet" ? frame.subarray(ETHERNET_HEADER_LEN) : frame;
      const packet = Ipv4Packet.check(bytes);
      if (isWireError(packet)) throw new Error(`Stack sent a bad IPv4 packet: ${packet.reason}`);
      const ip = parseIpv4Packet(packet);
      if (isWireError(ip)) throw new Error(`Stack sent a bad IPv4 packet: ${ip.reason}`);
      return { ip, payload: packet.payload };
    });
    return out;
  }

  /** Every TCP segment the stack sent since the last call. */
  recv(): TcpRepr[] {
    return this.takeIp().map(({ ip, payload }) => {
      expect(ip.protocol).toBe(IpProtocol.Tcp);
      const seg = parseTcp(new TcpPacket(payload), ip.src, ip.dst);
      if (isWireError(seg)) throw new Error(`Stack sent a bad TCP segment: ${seg.reason}`);
      return seg;
    });
  }

  /** Expects exactly one segment matching `fields`, and returns it. */
  expect(fields: Partial<TcpRepr>): TcpRepr {
    const segs = this.recv();
    expect(segs.length, `segments: ${JSON.stringify(segs.map(brief))}`).toBe(1);
    expect(segs[0]).toMatchObject(fields);
    return segs[0]!;
  }

  expectNothing(): void {
    const sent = this.device.tx.length;
    expect(sent, `unexpected frames: ${JSON.stringify(this.device.medium === "ip" ? this.recv().map(brief) : sent)}`).toBe(0);
  }
}

/** A short form of a segment for failure messages. */
export function brief(seg: TcpRepr): object {
  return { control: seg.control, seq: seg.seq, ack: seg.ack, window: seg.window, len: seg.payload.length };
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

