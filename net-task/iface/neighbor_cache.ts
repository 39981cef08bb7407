// The ARP neighbour cache (RFC 826, RFC 1122 §2.3.2): IPv4 → MAC with an expiry, and the
// packets held for an address being resolved (bounded per neighbour and in the number of
// neighbours being resolved, oldest dropped first, as Linux's unres_qlen). A request is
// repeated every retryInterval and the held packets dropped after maxRequests unanswered.
//
//   lookup / fill (returns the held frames to send) / hold / due (requests to repeat) / pollAt

import { type Ipv4Address, type MacAddress } from "../wire/address.ts";

export interface NeighborOptions {
  /** How long an entry stays valid (ms, default 60 s). */
  ttl?: number;
  /** Time between ARP requests for one address (default 1 s, as Linux's retrans_time). */
  retryInterval?: number;
  /** Requests before giving up (default 3, Linux's mcast_solicit). */
  maxRequests?: number;
  /** Frames held per unresolved address (default 16). */
  maxPending?: number;
  /** Addresses being resolved at once (default 64) and entries kept (default 1024). */
  maxResolving?: number;
  maxEntries?: number;
}

interface Pending {
  frames: Uint8Array[];
  requests: number;
  nextRequestAt: number;
}

export class NeighborCache {
  readonly #opts: Required<NeighborOptions>;
  readonly #entries = new Map<Ipv4Address, { mac: MacAddress; expiresAt: number }>();
  readonly #pending = new Map<Ipv4Address, Pending>();
  /** Frames dropped: unresolved after every request, or over a bound. */
  dropped = 0;

  constructor(options: NeighborOptions = {}) {
    this.#opts = {
      ttl: 60_000, retryInterval: 1000, maxRequests: 3, maxPending: 16, maxResolving: 64, maxEntries: 1024, ...options,
    };
  }

  get size(): number { return this.#entries.size; }

  lookup(ip: Ipv4Address, now: number): MacAddress | null {
    const entry = this.#entries.get(ip);
    if (entry === undefined) return null;
    if (entry.expiresAt <= now) {
      this.#entries.delete(ip);
      return null;
    }
    return entry.mac;
  }

  /** Records a mapping; returns the frames that waited for it (the caller sends them). */
  fill(ip: Ipv4Address, mac: MacAddress, now: number): Uint8Array[] {
    this.#entries.delete(ip);
    if (this.#entries.size >= this.#opts.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(ip, { mac, expiresAt: now + this.#opts.ttl });
    const pending = this.#pending.get(ip);
    this.#pending.delete(ip);
    return pending?.frames ?? [];
  }

  /** Whether ip is known or being resolved (an ARP packet from it refreshes the entry, RFC 826). */
  has(ip: Ipv4Address): boolean {
    return this.#entries.has(ip) || this.#pending.has(ip);
  }

  /** Holds a frame until ip resolves; true when an ARP request should go out now. */
  hold(ip: Ipv4Address, frame: Uint8Array, now: number): boolean {
    let pending = this.#pending.get(ip);
    if (pending === undefined) {
      if (this.#pending.size >= this.#opts.maxResolving) {
        this.dropped++;
        return false;
      }
      pending = { frames: [], requests: 0, nextRequestAt: now };
      this.#pending.set(ip, pending);
    }
    if (pending.frames.length >= this.#opts.maxPending) {
      pending.frames.shift();
      this.dropped++;
    }
    pending.frames.push(frame);
    return this.#requestDue(pending, now);
  }

  /** Addresses whose next ARP request is due; gives up (dropping held frames) after the last. */
  due(now: number): Ipv4Address[] {
    const out: Ipv4Address[] = [];
    for (const [ip, pending] of this.#pending) {
      if (pending.nextRequestAt > now) continue;
      if (pending.requests >= this.#opts.maxRequests) {
        this.dropped += pending.frames.length;
        this.#pending.delete(ip);
      } else if (this.#requestDue(pending, now)) {
        out.push(ip);
      }
    }
    return out;
  }

  pollAt(): number {
    let at = Infinity;
    for (const pending of this.#pending.values()) at = Math.min(at, pending.nextRequestAt);
    return at;
  }

  #requestDue(pending: Pending, now: number): boolean {
    if (pending.nextRequestAt > now || pending.requests >= this.#opts.maxRequests) return false;
    pending.requests++;
    pending.nextRequestAt = now + this.#opts.retryInterval;
    return true;
  }
}
