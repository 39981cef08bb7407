// DNS messages: a query and a response round-trip through emit and parse; names through
// compression pointers, with loops, overlong names and truncation rejected; a response
// is not taken for a query.

import { describe, expect, it } from "vitest";
import { ipv4 } from "../../../../net-task/wire/address.ts";
import {
  DNS_HEADER_LEN, DnsClass, DnsPacket, DnsRcode, DnsType, dnsAnswersThatFit, dnsQueryLen, dnsResponseLen, emitDnsQuery,
  emitDnsResponse, parseDnsQuery, parseDnsResponse, type DnsQuery,
} from "../../../../net-task/wire/dns.ts";
import { WireError, isWireError } from "../../../../net-task/wire/error.ts";

const QUERY: DnsQuery = { id: 0x1234, opcode: 0, recursionDesired: true, question: { labels: ["Example", "org"], type: DnsType.A, class: DnsClass.In } };

function queryBytes(query: DnsQuery): Uint8Array {
  const b = new Uint8Array(dnsQueryLen(query));
  emitDnsQuery(query, new DnsPacket(b));
  return b;
}

/** A header with one question whose name is `name` (raw wire bytes), type A, class IN. */
function rawQuery(name: number[]): Uint8Array {
  return Uint8Array.of(0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name, 0, 1, 0, 1);
}

describe("DNS messages", () => {
  it("a query round-trips, case kept", () => {
    const b = queryBytes(QUERY);
    expect(b.length).toBe(DNS_HEADER_LEN + 13 + 4);
    expect(parseDnsQuery(new DnsPacket(b))).toEqual(QUERY);
  });

  it("a response round-trips with its answers pointing at the question", () => {
    const repr = {
      id: 7, opcode: 0, recursionDesired: true, rcode: DnsRcode.NoError, question: QUERY.question,
      answers: [ipv4(10, 0, 2, 2), ipv4(192, 0, 2, 1)], ttl: 300, truncated: false,
    };
    const b = new Uint8Array(dnsResponseLen(repr));
    emitDnsResponse(repr, new DnsPacket(b));
    expect(b[DNS_HEADER_LEN + 17]).toBe(0xc0); // The first answer's name: a pointer to offset 12.
    expect(b[DNS_HEADER_LEN + 18]).toBe(12);
    expect(parseDnsResponse(new DnsPacket(b))).toEqual(repr);
    expect(parseDnsQuery(new DnsPacket(b))).toBe(WireError.Unsupported);
    expect(parseDnsResponse(new DnsPacket(queryBytes(QUERY)))).toBe(WireError.Unsupported);
  });

  it("reads a name through a compression pointer, and gives up on a pointer loop", () => {
    // The question's name is a pointer to offset 18, past the type and class: "hi".
    const ok = Uint8Array.of(0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 18, 0, 1, 0, 1, 2, 0x68, 0x69, 0);
    expect((parseDnsQuery(new DnsPacket(ok)) as DnsQuery).question).toEqual({ labels: ["hi"], type: 1, class: 1 });
    // "a" then a pointer back to itself: the name never ends.
    expect((parseDnsQuery(new DnsPacket(rawQuery([1, 0x61, 0xc0, 12]))) as DnsQuery).question).toBeNull();
  });

  it("gives no question for a truncated name, an overlong name, or a count other than one", () => {
    const cases = [
      rawQuery([5, 0x61]).subarray(0, DNS_HEADER_LEN + 3),
      rawQuery(Array.from({ length: 5 }, () => [63, ...new Array(63).fill(0x61)]).flat()),
      rawQuery([0x80, 1]),
    ];
    for (const b of cases) expect((parseDnsQuery(new DnsPacket(b)) as DnsQuery).question).toBeNull();
    const two = rawQuery([1, 0x61, 0]);
    two[5] = 2;
    expect((parseDnsQuery(new DnsPacket(two)) as DnsQuery).question).toBeNull();
    expect(DnsPacket.check(new Uint8Array(11))).toBe(WireError.Truncated);
  });

  it("counts how many A records fit a 512-byte message", () => {
    // 512 - 12 (header) - 13 (name) - 4 = 483 bytes for answers of 16 bytes each.
    expect(dnsAnswersThatFit(QUERY.question!, 512)).toBe(30);
  });
});
