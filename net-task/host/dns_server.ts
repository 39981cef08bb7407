// The gateway's DNS server (10.0.2.3:53, as qemu's user networking): it answers a guest's
// queries from the host's resolver through dns.lookup, so the host's /etc/hosts and
// nsswitch apply. A queries get the host's IPv4 addresses; any other type of an existing
// name gets an empty NOERROR (so a stub asking A and AAAA at once settles on A); a name the
// host cannot find gets NXDOMAIN, a failing resolver SERVFAIL. Addresses that mean the host
// itself (127/8) are given out as the gateway's address, which reaches the host's loopback.
//
// Bounded: at most `maxPending` lookups at once (more queries are dropped; the stub
// retries), answers cut to one 512-byte message (TC set when some were left out), names
// checked before any lookup. A malformed query is dropped, never thrown.

import { lookup as systemDnsLookup } from "node:dns";
import { isLoopbackIpv4, parseIpv4, type Ipv4Address } from "../wire/address.ts";
import {
  DNS_UDP_MAX, DnsClass, DnsPacket, DnsRcode, DnsType, dnsAnswersThatFit, dnsResponseLen, emitDnsResponse, parseDnsQuery,
  type DnsQuery, type DnsQuestion,
} from "../wire/dns.ts";
import { isWireError } from "../wire/error.ts";

/** Resolves a name to IPv4 addresses (dotted quads); the error's code says why not (ENOTFOUND...). */
export type HostLookup = (name: string, done: (error: NodeJS.ErrnoException | null, addresses: string[]) => void) => void;

export const systemLookup: HostLookup = (name, done) => {
  systemDnsLookup(name, { family: 4, all: true }, (error, found) => done(error, error ? [] : found.map((a) => a.address)));
};

export interface DnsServerOptions {
  lookup?: HostLookup;
  /** Lookups in flight at most (default 64). */
  maxPending?: number;
  /** The address answers in 127/8 are replaced with (the gateway). */
  hostAddress: Ipv4Address;
}

export interface DnsStats {
  queries: number;
  /** Malformed, or over the bound of lookups in flight. */
  dropped: number;
}

/** Letters, digits, hyphen and underscore: what a host name lookup can take. */
const LABEL = /^[A-Za-z0-9_-]{1,63}$/;
/** Seconds the answers may be cached: none, the host's resolver decides each time. */
const TTL = 0;

export class DnsServer {
  readonly stats: DnsStats = { queries: 0, dropped: 0 };
  readonly #lookup: HostLookup;
  readonly #maxPending: number;
  readonly #hostAddress: Ipv4Address;
  #pending = 0;
  #closed = false;

  constructor(options: DnsServerOptions) {
    this.#lookup = options.lookup ?? systemLookup;
    this.#maxPending = options.maxPending ?? 64;
    this.#hostAddress = options.hostAddress;
  }

  /** Stops answering (lookups still in flight are forgotten). */
  close(): void {
    this.#closed = true;
  }

  /** Answers one query datagram through `reply`, now or when the lookup ends. */
  handle(payload: Uint8Array, reply: (response: Uint8Array) => void): void {
    this.stats.queries++;
    const packet = DnsPacket.check(payload);
    const query = isWireError(packet) ? packet : parseDnsQuery(packet);
    if (isWireError(query)) {
      this.stats.dropped++;
      return;
    }
    const question = query.question;
    if (query.opcode !== 0) return reply(respond(query, DnsRcode.NotImp, []));
    if (question === null) return reply(respond(query, DnsRcode.FormErr, []));
    if (question.class !== DnsClass.In) return reply(respond(query, DnsRcode.NotImp, []));
    if (question.labels.length === 0 || !question.labels.every((l) => LABEL.test(l))) {
      return reply(respond(query, DnsRcode.NxDomain, []));
    }
    if (this.#pending >= this.#maxPending) {
      this.stats.dropped++;
      return;
    }
    this.#pending++;
    this.#lookup(question.labels.join("."), (error, found) => {
      this.#pending--;
      if (this.#closed) return;
      if (error !== null) {
        const rcode = error.code === "ENOTFOUND" ? DnsRcode.NxDomain : error.code === "ENODATA" ? DnsRcode.NoError : DnsRcode.ServFail;
        return reply(respond(query, rcode, []));
      }
      reply(respond(query, DnsRcode.NoError, question.type === DnsType.A ? this.#answers(found) : []));
    });
  }

  /** Distinct IPv4 addresses, the host's own loopback replaced by the gateway. */
  #answers(found: string[]): Ipv4Address[] {
    const out = new Set<Ipv4Address>();
    for (const text of found) {
      const addr = parseIpv4(text);
      if (addr !== null) out.add(isLoopbackIpv4(addr) ? this.#hostAddress : addr);
    }
    return [...out];
  }
}

function respond(query: DnsQuery, rcode: number, answers: Ipv4Address[]): Uint8Array {
  const question: DnsQuestion | null = query.question;
  const fit = question === null ? 0 : dnsAnswersThatFit(question, DNS_UDP_MAX);
  const repr = {
    id: query.id, opcode: query.opcode, recursionDesired: query.recursionDesired, rcode, question,
    answers: answers.slice(0, fit), ttl: TTL, truncated: answers.length > fit,
  };
  const bytes = new Uint8Array(dnsResponseLen(repr));
  emitDnsResponse(repr, new DnsPacket(bytes));
  return bytes;
}
