// The IPv4 route table: destination prefixes and their gateways, looked up by longest
// prefix. On-link subnets need no entry (the interface checks its own addresses first); the
// default route is the /0 entry.

import { prefixMask, type Ipv4Address } from "../wire/address.ts";

export interface Route {
  dest: Ipv4Address;
  prefixLen: number;
  /** The gateway; null for a destination reached directly on this link. */
  via: Ipv4Address | null;
}

export class Routes {
  #routes: Route[] = [];

  get entries(): readonly Route[] { return this.#routes; }

  /** Adds or replaces the route for dest/prefixLen. */
  add(route: Route): void {
    const dest = (route.dest & prefixMask(route.prefixLen)) >>> 0;
    this.remove(dest, route.prefixLen);
    this.#routes.push({ ...route, dest });
    this.#routes.sort((a, b) => b.prefixLen - a.prefixLen);
  }

  addDefault(gateway: Ipv4Address): void {
    this.add({ dest: 0, prefixLen: 0, via: gateway });
  }

  remove(dest: Ipv4Address, prefixLen: number): void {
    this.#routes = this.#routes.filter((r) => !(r.dest === dest && r.prefixLen === prefixLen));
  }

  /** The most specific route covering dst, null when none does. */
  lookup(dst: Ipv4Address): Route | null {
    for (const route of this.#routes) {
      if (((dst & prefixMask(route.prefixLen)) >>> 0) === route.dest) return route;
    }
    return null;
  }
}
