// A transport endpoint: an IPv4 address (0 = any) and a port (0 = unbound).

import { formatIpv4, type Ipv4Address } from "../wire/address.ts";

export interface Endpoint {
  addr: Ipv4Address;
  port: number;
}

export function formatEndpoint(ep: Endpoint): string {
  return `${formatIpv4(ep.addr)}:${ep.port}`;
}
