// The interface layer: an IPv4 interface over a device, its routes, ARP cache, reassembly.

export { Interface } from "./interface.ts";
export type { InterfaceAddress, InterfaceOptions, InterfaceStats, UnclaimedHandler } from "./interface.ts";
export { NeighborCache } from "./neighbor_cache.ts";
export type { NeighborOptions } from "./neighbor_cache.ts";
export { Reassembler } from "./reassembly.ts";
export type { ReassemblyOptions } from "./reassembly.ts";
export { Routes } from "./routes.ts";
export type { Route } from "./routes.ts";
export { fragmentIpv4 } from "./fragment.ts";
export { Router } from "./router.ts";
export type { RoutedInterface, RouterOptions } from "./router.ts";
