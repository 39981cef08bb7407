// The external devices a net-task can build from a description (so that a worker-mode
// net-task, which cannot receive a function, builds its own): kind → factory. Options are
// JSON values, checked here (a system description may carry them):
//
//   user   the host gateway (host/gateway.ts), as qemu's user networking:
//          { forwards?: string[] } — each a `-p` spec, "[ADDR:]HOSTPORT:GUESTPORT[/udp]"
//   tap    a TAP interface (host/tap.ts): { spec: "IFNAME[,ADDR/PREFIX][,gw=ADDR|none]" }
//   frame-ring
//          one end of a link to another thread (phy/frame_ring.ts), as a system
//          description's links and switches make them: { ring: SharedArrayBuffer, side: 0|1,
//          guest: { hardwareAddress, address, prefixLen, gateway, mtu } } (numbers; gateway
//          may be null). The ring is shared memory, which a worker's start-up data shares
//          rather than copies; the settings are the description's, not the device's.
//
// A device comes with the settings the guest's interface takes on it (GuestNetConfig) and
// a close() that gives its host resources back (listeners, flows, descriptors); building
// one is async (the gateway binds its forwards first).

import { createHostGateway, type BoundForward, type GuestNetConfig } from "../host/gateway.ts";
import { parsePortForward } from "../host/port_forward.ts";
import { openTap, parseTapSpec } from "../host/tap.ts";
import { type Device } from "../phy/device.ts";
import { FrameRingEnd } from "../phy/frame_ring.ts";

/** A device by kind, with the options its factory takes (JSON values). */
export interface DeviceSpec {
  kind: string;
  options?: Record<string, unknown>;
}

/** What the guest learns of its external device: JSON, so a worker can hand it over. */
export interface ExternalNetInfo {
  guest: GuestNetConfig;
  /** The gateway's port forwards as bound (a HOSTPORT of 0 has the port the host picked). */
  forwards: BoundForward[];
}

/** A built device, its guest settings, and how to release it. */
export interface ExternalDevice extends ExternalNetInfo {
  device: Device;
  close(): Promise<void> | void;
}

type DeviceFactory = (options: Record<string, unknown>) => Promise<ExternalDevice>;

const DEVICE_FACTORIES: ReadonlyMap<string, DeviceFactory> = new Map<string, DeviceFactory>([
  ["user", async (options) => {
    const gateway = await createHostGateway({ forwards: stringList(options.forwards, "forwards").map(parsePortForward) });
    return { device: gateway.device, guest: gateway.guest, forwards: [...gateway.forwards], close: () => gateway.close() };
  }],
  ["tap", async (options) => {
    if (typeof options.spec !== "string") throw new TypeError("Cannot build a TAP device: options.spec is not a string");
    const tap = openTap(parseTapSpec(options.spec));
    return { device: tap.device, guest: tap.guest, forwards: [], close: () => tap.close() };
  }],
  ["frame-ring", async (options) => {
    const { ring, side } = options;
    if (!(ring instanceof SharedArrayBuffer) || (side !== 0 && side !== 1)) throw new TypeError("Cannot build a frame-ring device: it needs a ring (SharedArrayBuffer) and a side (0 or 1)");
    const guest = guestSettings(options.guest);
    const device = new FrameRingEnd(ring, side, guest.mtu);
    return { device, guest, forwards: [], close: () => device.setWaker(null) };
  }],
]);

export function hasDeviceKind(kind: string): boolean {
  return DEVICE_FACTORIES.has(kind);
}

/**
 * Builds a device. Rejects with TypeError for a kind nobody registered or options of the
 * wrong shape, SyntaxError for a spec that does not parse, or what opening it failed with
 * (a forward's EADDRINUSE, a TAP's TUNSETIFF error).
 */
export async function buildDevice(spec: DeviceSpec): Promise<ExternalDevice> {
  const factory = DEVICE_FACTORIES.get(spec.kind);
  if (factory === undefined) throw new TypeError(`Cannot build network device: no device of kind "${spec.kind}"`);
  return factory(spec.options ?? {});
}

/** A frame-ring's guest settings, checked field by field. */
function guestSettings(value: unknown): GuestNetConfig {
  const g = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const whole = (v: unknown, max: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;
  if (!whole(g.hardwareAddress, 0xffffffffffff) || !whole(g.address, 0xffffffff) || !whole(g.prefixLen, 32) || !whole(g.mtu, 65535)
    || !(g.gateway === null || whole(g.gateway, 0xffffffff))) {
    throw new TypeError("Cannot build a frame-ring device: guest needs hardwareAddress, address, prefixLen, gateway (or null) and mtu");
  }
  return { hardwareAddress: g.hardwareAddress, address: g.address, prefixLen: g.prefixLen, gateway: g.gateway, dns: [], mtu: g.mtu };
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new TypeError(`Cannot build network device: ${what} is not a list of strings`);
  return value;
}
