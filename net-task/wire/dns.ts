// DNS messages (RFC 1035 §4.1), the part a small recursive server needs: the header, one
// question, and A records in the answer. Names are read through compression pointers
// (bounded, so a loop of pointers ends); a response writes its question uncompressed and
// points every answer's name at it (offset 12).
//
//   DnsPacket    view: header fields over a Uint8Array
//   DnsQuery     parseDnsQuery(packet) (question null: not exactly one) / dnsQueryLen / emitDnsQuery
//   DnsResponse  parseDnsResponse(packet) (A records; others skipped) / dnsResponseLen / emitDnsResponse

import { readIpv4, writeIpv4, type Ipv4Address } from "./address.ts";
import { WireError, type Parsed } from "./error.ts";

const field = { ID: 0, FLAGS: 2, QDCOUNT: 4, ANCOUNT: 6, NSCOUNT: 8, ARCOUNT: 10 } as const;
const Flag = { Qr: 0x8000, Tc: 0x0200, Rd: 0x0100, Ra: 0x0080 } as const;
export const DNS_HEADER_LEN = 12;
/** RFC 1035 §4.2.1: a UDP message without EDNS carries at most 512 bytes. */
export const DNS_UDP_MAX = 512;
export const DnsType = { A: 1, Aaaa: 28 } as const;
export const DnsClass = { In: 1 } as const;
export const DnsRcode = { NoError: 0, FormErr: 1, ServFail: 2, NxDomain: 3, NotImp: 4 } as const;

const MAX_NAME_LEN = 255;
const MAX_POINTERS = 16;
const POINTER_TO_QUESTION = 0xc000 | DNS_HEADER_LEN;
/** An answer: name pointer, type, class, TTL, RDLENGTH, an IPv4 address. */
const A_RECORD_LEN = 2 + 2 + 2 + 4 + 2 + 4;

export class DnsPacket {
  constructor(readonly bytes: Uint8Array) {}

  static check(bytes: Uint8Array): Parsed<DnsPacket> {
    return bytes.length < DNS_HEADER_LEN ? WireError.Truncated : new DnsPacket(bytes);
  }

  #u16(at: number): number { return (this.bytes[at]! << 8) | this.bytes[at + 1]!; }
  #setU16(at: number, value: number): void {
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value;
  }

  get id(): number { return this.#u16(field.ID); }
  set id(v: number) { this.#setU16(field.ID, v); }
  get flags(): number { return this.#u16(field.FLAGS); }
  set flags(v: number) { this.#setU16(field.FLAGS, v); }
  get isResponse(): boolean { return (this.flags & Flag.Qr) !== 0; }
  get opcode(): number { return (this.flags >>> 11) & 0xf; }
  get rcode(): number { return this.flags & 0xf; }
  get truncated(): boolean { return (this.flags & Flag.Tc) !== 0; }
  get qdCount(): number { return this.#u16(field.QDCOUNT); }
  set qdCount(v: number) { this.#setU16(field.QDCOUNT, v); }
  get anCount(): number { return this.#u16(field.ANCOUNT); }
  set anCount(v: number) { this.#setU16(field.ANCOUNT, v); }
  get nsCount(): number { return this.#u16(field.NSCOUNT); }
  set nsCount(v: number) { this.#setU16(field.NSCOUNT, v); }
  get arCount(): number { return this.#u16(field.ARCOUNT); }
  set arCount(v: number) { this.#setU16(field.ARCOUNT, v); }
}

export interface DnsQuestion {
  /** The labels as sent (bytes as latin1 characters, case kept). */
  labels: string[];
  type: number;
  class: number;
}

export interface DnsQuery {
  id: number;
  opcode: number;
  recursionDesired: boolean;
  /** The one question; null when the query does not carry exactly one readable question. */
  question: DnsQuestion | null;
}

/** Parses a query; a response (QR set) is Unsupported: a server never answers one. */
export function parseDnsQuery(packet: DnsPacket): Parsed<DnsQuery> {
  if (packet.isResponse) return WireError.Unsupported;
  const query: DnsQuery = { id: packet.id, opcode: packet.opcode, recursionDesired: (packet.flags & Flag.Rd) !== 0, question: null };
  if (packet.qdCount !== 1) return query;
  const bytes = packet.bytes;
  const name = readName(bytes, DNS_HEADER_LEN);
  if (name === null || name.end + 4 > bytes.length) return query;
  const at = name.end;
  query.question = { labels: name.labels, type: (bytes[at]! << 8) | bytes[at + 1]!, class: (bytes[at + 2]! << 8) | bytes[at + 3]! };
  return query;
}

/** The labels of the name at `at` and where the name ends in place; null when malformed. */
function readName(bytes: Uint8Array, at: number): { labels: string[]; end: number } | null {
  const labels: string[] = [];
  let end = -1, length = 1, pointers = 0;
  for (;;) {
    if (at >= bytes.length) return null;
    const len = bytes[at]!;
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= bytes.length || ++pointers > MAX_POINTERS) return null;
      if (end < 0) end = at + 2;
      at = ((len & 0x3f) << 8) | bytes[at + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0 || at + 1 + len > bytes.length) return null;
    length += len + 1;
    if (length > MAX_NAME_LEN) return null;
    labels.push(String.fromCharCode(...bytes.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  return { labels, end: end < 0 ? at + 1 : end };
}

export interface DnsResponse {
  id: number;
  opcode: number;
  recursionDesired: boolean;
  rcode: number;
  /** Echoed back; null when the query had none readable. */
  question: DnsQuestion | null;
  /** A records (for the question's name). */
  answers: readonly Ipv4Address[];
  /** Seconds a resolver may cache the answers. */
  ttl: number;
  /** TC: answers were left out to fit the message. */
  truncated: boolean;
}

function nameLen(labels: readonly string[]): number {
  return labels.reduce((n, label) => n + 1 + label.length, 1);
}

export function dnsResponseLen(repr: DnsResponse): number {
  const question = repr.question === null ? 0 : nameLen(repr.question.labels) + 4;
  return DNS_HEADER_LEN + question + repr.answers.length * A_RECORD_LEN;
}

/** How many A records a response to `question` can carry within `limit` bytes. */
export function dnsAnswersThatFit(question: DnsQuestion, limit: number): number {
  return Math.max(0, Math.floor((limit - DNS_HEADER_LEN - nameLen(question.labels) - 4) / A_RECORD_LEN));
}

export function dnsQueryLen(query: DnsQuery): number {
  return DNS_HEADER_LEN + (query.question === null ? 0 : nameLen(query.question.labels) + 4);
}

/** Writes a query into a buffer of dnsQueryLen() bytes. */
export function emitDnsQuery(query: DnsQuery, packet: DnsPacket): void {
  emitHeader(packet, query, (query.opcode << 11) | (query.recursionDesired ? Flag.Rd : 0), 0);
}

/** Writes the whole response into a buffer of dnsResponseLen() bytes. */
export function emitDnsResponse(repr: DnsResponse, packet: DnsPacket): void {
  const flags = Flag.Qr | (repr.opcode << 11) | (repr.truncated ? Flag.Tc : 0) | (repr.recursionDesired ? Flag.Rd : 0)
    | Flag.Ra | (repr.rcode & 0xf);
  const b = packet.bytes;
  let at = emitHeader(packet, repr, flags, repr.answers.length);
  const u16 = (v: number): void => {
    b[at++] = v >>> 8;
    b[at++] = v;
  };
  for (const addr of repr.answers) {
    u16(POINTER_TO_QUESTION);
    u16(DnsType.A);
    u16(DnsClass.In);
    u16(repr.ttl >>> 16);
    u16(repr.ttl & 0xffff);
    u16(4);
    writeIpv4(b, at, addr);
    at += 4;
  }
}

/** Writes the header and the question; returns where the answers go. */
function emitHeader(packet: DnsPacket, repr: { id: number; question: DnsQuestion | null }, flags: number, answers: number): number {
  const b = packet.bytes;
  packet.id = repr.id;
  packet.flags = flags;
  packet.qdCount = repr.question === null ? 0 : 1;
  packet.anCount = answers;
  packet.nsCount = 0;
  packet.arCount = 0;
  let at = DNS_HEADER_LEN;
  if (repr.question === null) return at;
  for (const label of repr.question.labels) {
    b[at++] = label.length;
    for (let i = 0; i < label.length; i++) b[at++] = label.charCodeAt(i);
  }
  b[at++] = 0;
  b[at++] = repr.question.type >>> 8;
  b[at++] = repr.question.type;
  b[at++] = repr.question.class >>> 8;
  b[at++] = repr.question.class;
  return at;
}

/** Parses a response: the question, and the A records of the answer section (others skipped). */
export function parseDnsResponse(packet: DnsPacket): Parsed<DnsResponse> {
  if (!packet.isResponse) return WireError.Unsupported;
  const b = packet.bytes;
  let question: DnsQuestion | null = null, at = DNS_HEADER_LEN;
  for (let i = 0; i < packet.qdCount; i++) {
    const name = readName(b, at);
    if (name === null || name.end + 4 > b.length) return WireError.Malformed;
    at = name.end;
    if (i === 0) question = { labels: name.labels, type: (b[at]! << 8) | b[at + 1]!, class: (b[at + 2]! << 8) | b[at + 3]! };
    at += 4;
  }
  const answers: Ipv4Address[] = [];
  let ttl = 0;
  for (let i = 0; i < packet.anCount; i++) {
    const name = readName(b, at);
    if (name === null || name.end + 10 > b.length) return WireError.Malformed;
    at = name.end;
    const type = (b[at]! << 8) | b[at + 1]!, rdLen = (b[at + 8]! << 8) | b[at + 9]!;
    if (at + 10 + rdLen > b.length) return WireError.Malformed;
    if (type === DnsType.A && rdLen === 4) {
      ttl = readIpv4(b, at + 4);
      answers.push(readIpv4(b, at + 10));
    }
    at += 10 + rdLen;
  }
  return {
    id: packet.id, opcode: packet.opcode, recursionDesired: (packet.flags & Flag.Rd) !== 0, rcode: packet.rcode,
    question, answers, ttl, truncated: packet.truncated,
  };
}
