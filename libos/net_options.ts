// The launcher's network options, turned into a net-task configuration:
//
//   --net none         no net-task: socket(AF_INET) answers EAFNOSUPPORT
//   --net loopback     lo (127.0.0.1/8) only
//   --net user         lo, plus eth0 through the host gateway (10.0.2.15/24, gateway
//                      10.0.2.2, DNS 10.0.2.3, as qemu's user networking) — the default
//   --net tap:IFNAME   lo, plus eth0 on the host's TAP device IFNAME
//   -p HOST:GUEST[/udp] a port forward through the gateway (repeatable)
//   --net-mode MODE    inproc (default), ipc, worker
//   --net-faults SPEC  the fault injector on eth0 (on lo without one): net-task/phy/fault_spec.ts
//
// The gateway and TAP devices are the net-task's (net-task/ipc/devices.ts); until one is
// built there, `user` runs with lo only (silently when it is only the default) and `tap`
// is refused.

import { hasDeviceKind, parseFaultSpec, type NetConfig, type NetMode } from "../net-task/mod.ts";

export const NET_MODES = ["inproc", "ipc", "worker"] as const;

export interface PortForward {
  proto: "tcp" | "udp";
  hostPort: number;
  guestPort: number;
}

export interface NetChoice {
  /** none, loopback, user or tap:IFNAME. */
  net: string;
  /** --net was given (not just the default). */
  explicit: boolean;
  mode: NetMode;
  faults: string | null;
  forwards: PortForward[];
}

export function defaultNetChoice(): NetChoice {
  return { net: "user", explicit: false, mode: "inproc", faults: null, forwards: [] };
}

/** qemu's user-network guest: 52:54:00:12:34:56 at 10.0.2.15/24, gateway 10.0.2.2. */
const GUEST_MAC = 0x525400123456;
const GUEST_ADDR = 0x0a00020f;
const GATEWAY_ADDR = 0x0a000202;

/** -p HOSTPORT:GUESTPORT[/udp]. Throws SyntaxError. */
export function parsePortForward(spec: string): PortForward {
  const m = /^([0-9]{1,5}):([0-9]{1,5})(?:\/(tcp|udp))?$/.exec(spec);
  const hostPort = Number(m?.[1]), guestPort = Number(m?.[2]);
  if (m === null || hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) {
    throw new SyntaxError(`Cannot parse port forward ${spec}: use HOSTPORT:GUESTPORT or HOSTPORT:GUESTPORT/udp`);
  }
  return { proto: m[3] === "udp" ? "udp" : "tcp", hostPort, guestPort };
}

/**
 * The net-task to start, or null for none. Throws SyntaxError for a spec that does not
 * parse or a device this build has not; `note` receives one line when the choice is cut back.
 */
export function netConfigOf(choice: NetChoice, note: (line: string) => void): { config: NetConfig; mode: NetMode } | null {
  const faults = choice.faults === null ? null : parseFaultSpec(choice.faults);
  const lo = { config: { external: null, faults }, mode: choice.mode };
  const external = (kind: string, options: Record<string, unknown>): { config: NetConfig; mode: NetMode } => ({
    config: { external: { device: { kind, options }, mac: GUEST_MAC, address: GUEST_ADDR, prefixLen: 24, gateway: GATEWAY_ADDR }, faults },
    mode: choice.mode,
  });
  if (choice.net === "none") return null;
  if (choice.net === "loopback") return lo;
  if (choice.net === "user") {
    if (hasDeviceKind("user")) return external("user", { forwards: choice.forwards });
    if (choice.explicit || choice.forwards.length > 0) note("--net user: the host gateway is not in this build yet; the guest has lo only");
    return lo;
  }
  if (choice.net.startsWith("tap:") && choice.net.length > 4) {
    if (!hasDeviceKind("tap")) throw new SyntaxError("--net tap: TAP devices are not in this build yet");
    return external("tap", { name: choice.net.slice(4) });
  }
  throw new SyntaxError(`Unknown --net ${choice.net} (use none, loopback, user or tap:IFNAME)`);
}
