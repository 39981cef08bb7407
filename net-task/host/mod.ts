// The host-facing devices: the user-networking gateway (NAT to host sockets, DNS, port
// forwards), TAP, and the driver that runs a stack on Node's event loop.

export {
  DNS_ADDRESS, GATEWAY_ADDRESS, GATEWAY_MAC, GATEWAY_MTU, GATEWAY_PREFIX_LEN, GUEST_ADDRESS, GUEST_MAC, createHostGateway,
} from "./gateway.ts";
export type { BoundForward, GatewayStats, GuestNetConfig, HostGateway, HostGatewayOptions } from "./gateway.ts";
export { DnsServer, systemLookup } from "./dns_server.ts";
export type { DnsServerOptions, DnsStats, HostLookup } from "./dns_server.ts";
export { DEFAULT_FORWARD_ADDRESS, parsePortForward } from "./port_forward.ts";
export type { PortForward } from "./port_forward.ts";
export { StackDriver } from "./stack_driver.ts";
export type { StackDriverOptions } from "./stack_driver.ts";
export { TapDevice, openTap, parseTapSpec } from "./tap.ts";
export type { TapNet, TapOptions, TapStats } from "./tap.ts";
