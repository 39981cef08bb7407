// The `-p` option's port forwards, as qemu's hostfwd and docker's -p spell them:
//
//   [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]
//
// HOSTADDR is the host address the gateway listens on (default 127.0.0.1; 0.0.0.0 for every
// interface). HOSTPORT 0 lets the host pick a free port (the gateway reports which).

import { parseIpv4 } from "../wire/address.ts";

export interface PortForward {
  protocol: "tcp" | "udp";
  /** A dotted quad the host listens on. */
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

export const DEFAULT_FORWARD_ADDRESS = "127.0.0.1";

/** Parses one -p spec; throws a SyntaxError that names the spec and what is wrong. */
export function parsePortForward(spec: string): PortForward {
  const fail = (why: string): never => {
    throw new SyntaxError(`Cannot parse port forward "${spec}": ${why}`);
  };
  const slash = spec.lastIndexOf("/");
  const protocol = slash < 0 ? "tcp" : spec.slice(slash + 1);
  if (protocol !== "tcp" && protocol !== "udp") fail(`protocol "${protocol}" is not tcp or udp`);
  const parts = (slash < 0 ? spec : spec.slice(0, slash)).split(":");
  if (parts.length < 2 || parts.length > 3) fail("expected [HOSTADDR:]HOSTPORT:GUESTPORT");
  const hostAddress = parts.length === 3 ? parts[0]! : DEFAULT_FORWARD_ADDRESS;
  if (parseIpv4(hostAddress) === null) fail(`"${hostAddress}" is not an IPv4 address`);
  const port = (text: string, what: string, min: number): number => {
    const n = /^\d{1,5}$/.test(text) ? Number(text) : -1;
    return n >= min && n <= 65535 ? n : fail(`${what} "${text}" is not a port number`);
  };
  return {
    protocol: protocol as PortForward["protocol"],
    hostAddress,
    hostPort: port(parts[parts.length - 2]!, "host port", 0),
    guestPort: port(parts[parts.length - 1]!, "guest port", 1),
  };
}
