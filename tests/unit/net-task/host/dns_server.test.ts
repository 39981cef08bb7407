// The gateway's DNS server on its own, with a scripted resolver: answers and their rewrite
// of the host's loopback, truncation to 512 bytes, the response codes, the bound on lookups
// in flight, and malformed queries dropped.

import { describe, expect, it } from "vitest";
import { DnsServer, type HostLookup } from "../../../../net-task/host/dns_server.ts";
import { ipv4 } from "../../../../net-task/wire/address.ts";
import {
  DnsClass, DnsPacket, DnsRcode, DnsType, dnsQueryLen, emitDnsQuery, parseDnsResponse, type DnsQuery, type DnsResponse,
} from "../../../../net-task/wire/dns.ts";
import { isWireError } from "../../../../net-task/wire/error.ts";

const GATEWAY = ipv4(10, 0, 2, 2);

function query(name: string, fields: Partial<DnsQuery> = {}, type: number = DnsType.A): Uint8Array {
  const q: DnsQuery = { id: 9, opcode: 0, recursionDesired: true, question: { labels: name.split("."), type, class: DnsClass.In }, ...fields };
  const b = new Uint8Array(dnsQueryLen(q));
  emitDnsQuery(q, new DnsPacket(b));
  return b;
}

/** A server whose lookups wait until the test answers them. */
function scripted(maxPending?: number) {
  const waiting: { name: string; answer: Parameters<HostLookup>[1] }[] = [];
  const server = new DnsServer({ hostAddress: GATEWAY, maxPending, lookup: (name, answer) => waiting.push({ name, answer }) });
  const replies: DnsResponse[] = [];
  const ask = (bytes: Uint8Array) => server.handle(bytes, (r) => {
    expect(r.length).toBeLessThanOrEqual(512);
    const parsed = parseDnsResponse(new DnsPacket(r));
    if (isWireError(parsed)) throw new Error(parsed.toString());
    replies.push(parsed);
  });
  return { server, waiting, replies, ask };
}

const fail = (code: string) => Object.assign(new Error(code), { code });

describe("DnsServer", () => {
  it("answers A with the host's addresses, its loopback given as the gateway, once each", () => {
    const { waiting, replies, ask } = scripted();
    ask(query("web.example"));
    expect(waiting.map((w) => w.name)).toEqual(["web.example"]);
    waiting[0]!.answer(null, ["192.0.2.7", "127.0.1.1", "127.0.0.1", "192.0.2.7"]);
    expect(replies[0]).toMatchObject({ id: 9, rcode: DnsRcode.NoError, answers: [ipv4(192, 0, 2, 7), GATEWAY], truncated: false });
  });

  it("maps resolver errors to NXDOMAIN, empty NOERROR and SERVFAIL", () => {
    const { waiting, replies, ask } = scripted();
    for (const name of ["a.invalid", "b.example", "c.example"]) ask(query(name));
    waiting[0]!.answer(fail("ENOTFOUND"), []);
    waiting[1]!.answer(fail("ENODATA"), []);
    waiting[2]!.answer(fail("EAI_AGAIN"), []);
    expect(replies.map((r) => [r.rcode, r.answers.length])).toEqual([[DnsRcode.NxDomain, 0], [DnsRcode.NoError, 0], [DnsRcode.ServFail, 0]]);
  });

  it("cuts the answers to one 512-byte message and sets TC", () => {
    const { waiting, replies, ask } = scripted();
    ask(query("many.example"));
    waiting[0]!.answer(null, Array.from({ length: 100 }, (_, i) => `198.51.100.${i}`));
    expect(replies[0]!.truncated).toBe(true);
    // 512 - 12 (header) - 18 (the question) leaves room for 30 records of 16 bytes.
    expect(replies[0]!.answers.length).toBe(30);
  });

  it("answers at once without a lookup: other opcodes, no question, other classes, names a host cannot have", () => {
    const { waiting, replies, ask } = scripted();
    ask(query("x.example", { opcode: 2 }));
    ask(query("x.example", { question: null }));
    const chaos = query("x.example");
    chaos[chaos.length - 1] = 3;
    ask(chaos);
    ask(query("bad name.example"));
    expect(waiting).toEqual([]);
    expect(replies.map((r) => r.rcode)).toEqual([DnsRcode.NotImp, DnsRcode.FormErr, DnsRcode.NotImp, DnsRcode.NxDomain]);
  });

  it("drops queries past the bound of lookups in flight, and malformed or response messages", () => {
    const { server, waiting, replies, ask } = scripted(2);
    for (let i = 0; i < 3; i++) ask(query(`n${i}.example`));
    expect(waiting.length).toBe(2);
    ask(Uint8Array.of(1, 2, 3));
    const response = query("x.example");
    response[2]! |= 0x80;
    ask(response);
    expect(server.stats).toEqual({ queries: 5, dropped: 3 });
    waiting[0]!.answer(null, ["192.0.2.1"]);
    ask(query("again.example"));
    expect(waiting.length).toBe(3);
    expect(replies.length).toBe(1);
  });

  it("forgets lookups in flight once closed", () => {
    const { server, waiting, replies, ask } = scripted();
    ask(query("late.example"));
    server.close();
    waiting[0]!.answer(null, ["192.0.2.1"]);
    expect(replies).toEqual([]);
  });
});
