// The launcher's network options, turned into a net-task configuration:
//
//   --net none          no net-task: socket(AF_INET) answers EAFNOSUPPORT
//   --net loopback      lo (127.0.0.1/8) only
//   --net user          lo, plus eth0 through the host gateway (10.0.2.15/24, gateway
//                       10.0.2.2, DNS 10.0.2.3, as qemu's user networking) — the default
//   --net tap:SPEC      lo, plus eth0 on a host TAP device: IFNAME[,ADDR/PREFIX][,gw=ADDR|none]
//   -p [ADDR:]H:G[/udp] a port forward through the gateway (repeatable; --net user only)
//   --net-mode MODE     inproc (default), ipc, worker
//   --net-faults SPEC   the fault injector on eth0 (on lo without one): net-task/phy/fault_spec.ts
//
// The specs are the net-task's to parse (parsePortForward, parseTapSpec, parseFaultSpec):
// they are checked here, so that a typo is a usage error before anything starts, and
// handed over as text; the device and the guest's settings on it (address, gateway, DNS)
// are the net-task's (net-task/ipc/devices.ts).

import { parseFaultSpec, parsePortForward, parseTapSpec, type NetConfig, type NetMode } from "../net-task/mod.ts";

export const NET_MODES = ["inproc", "ipc", "worker"] as const;

export interface NetChoice {
  /** none, loopback, user or tap:SPEC. */
  net: string;
  mode: NetMode;
  faults: string | null;
  /** -p specs as given. */
  forwards: string[];
}

export function defaultNetChoice(): NetChoice {
  return { net: "user", mode: "inproc", faults: null, forwards: [] };
}

/** The net-task to start, or null for none. Throws SyntaxError for a spec that does not parse. */
export function netConfigOf(choice: NetChoice): { config: NetConfig; mode: NetMode } | null {
  const faults = choice.faults === null ? null : parseFaultSpec(choice.faults);
  const withDevice = (kind: string, options: Record<string, unknown>): { config: NetConfig; mode: NetMode } => ({
    config: { devices: [{ device: { kind, options } }], faults },
    mode: choice.mode,
  });
  for (const spec of choice.forwards) parsePortForward(spec);
  if (choice.forwards.length > 0 && choice.net !== "user") throw new SyntaxError(`-p forwards through the host gateway: it needs --net user, not ${choice.net}`);
  if (choice.net === "none") return null;
  if (choice.net === "loopback") return { config: { devices: [], faults }, mode: choice.mode };
  if (choice.net === "user") return withDevice("user", { forwards: choice.forwards });
  if (choice.net.startsWith("tap:")) {
    const spec = choice.net.slice(4);
    parseTapSpec(spec);
    return withDevice("tap", { spec });
  }
  throw new SyntaxError(`Unknown --net ${choice.net} (use none, loopback, user or tap:IFNAME)`);
}
