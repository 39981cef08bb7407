// IPv4 reassembly (RFC 791 §3.2, RFC 815's hole bookkeeping via the Assembler). Fragments
// are keyed by (source, destination, protocol, ident); memory is bounded (the oldest
// datagram is evicted first, as Linux's ipfrag_high_thresh) and so is the time a datagram
// may take (Linux's ipfrag_time, 30 s). Overlapping fragments discard the datagram, as Linux
// does since FragmentSmack; exact duplicates are ignored.
//
//   add(packet, repr, now) → the whole datagram (a fresh header + payload) once complete
//   expire(now) → the quotes (header + 8 bytes) of timed-out datagrams whose first fragment came
//   pollAt()

import { Assembler } from "../storage/assembler.ts";
import { IPV4_HEADER_LEN, IPV4_MAX_PACKET, Ipv4Packet, emitIpv4Packet, type Ipv4Repr } from "../wire/ipv4.ts";

export interface ReassemblyOptions {
  /** ms before an incomplete datagram is dropped (default 30 s). */
  timeout?: number;
  /** Bytes of fragment buffers held in total (default 4 MiB). */
  maxBytes?: number;
  /** Holes tracked per datagram (default 64). */
  maxHoles?: number;
}

interface Partial {
  repr: Ipv4Repr;
  data: Uint8Array;
  ranges: Assembler;
  /** The payload length, once the last fragment came. */
  total: number | null;
  expiresAt: number;
  /** The first fragment's header and first 8 payload bytes, for ICMP time exceeded. */
  quote: Uint8Array | null;
}

const MAX_PAYLOAD = IPV4_MAX_PACKET - IPV4_HEADER_LEN;

export class Reassembler {
  readonly #opts: Required<ReassemblyOptions>;
  readonly #partials = new Map<string, Partial>();
  #bytes = 0;
  /** Datagrams given up (timeout, eviction, overlap, malformed). */
  dropped = 0;

  constructor(options: ReassemblyOptions = {}) {
    this.#opts = { timeout: 30_000, maxBytes: 4 * 1024 * 1024, maxHoles: 64, ...options };
  }

  get bytesHeld(): number { return this.#bytes; }
  get pending(): number { return this.#partials.size; }

  add(packet: Ipv4Packet, repr: Ipv4Repr, now: number): Uint8Array | null {
    const key = `${repr.src}/${repr.dst}/${repr.protocol}/${repr.ident}`;
    const payload = packet.payload;
    const offset = repr.fragmentOffset, end = offset + payload.length;
    // Every fragment but the last carries a multiple of 8 bytes; none may end past 64 KiB.
    if ((repr.moreFragments && payload.length % 8 !== 0) || end > MAX_PAYLOAD || payload.length === 0) {
      this.dropped++;
      return null;
    }
    let partial = this.#partials.get(key);
    if (partial === undefined) {
      partial = { repr, data: new Uint8Array(0), ranges: new Assembler(this.#opts.maxHoles), total: null, expiresAt: now + this.#opts.timeout, quote: null };
      this.#partials.set(key, partial);
    }
    if (partial.ranges.covers(offset, payload.length)) return null;
    const lastMismatch = partial.total !== null && (end > partial.total || (!repr.moreFragments && end !== partial.total));
    if (partial.ranges.overlaps(offset, payload.length) || lastMismatch || !partial.ranges.add(offset, payload.length)) {
      this.#drop(key, partial);
      return null;
    }
    if (!repr.moreFragments) partial.total = end;
    if (offset === 0) {
      partial.quote = packet.bytes.slice(0, packet.headerLen + Math.min(8, payload.length));
      partial.repr = repr;
    }
    this.#store(partial, offset, payload);
    this.#evictOverLimit(key);
    const ranges = partial.ranges.ranges;
    if (partial.total === null || ranges.length !== 1 || ranges[0]![0] !== 0 || ranges[0]![1] !== partial.total) return null;
    this.#partials.delete(key);
    this.#bytes -= partial.data.length;
    return assemble(partial.repr, partial.data.subarray(0, partial.total));
  }

  expire(now: number): Uint8Array[] {
    const quotes: Uint8Array[] = [];
    for (const [key, partial] of this.#partials) {
      if (partial.expiresAt > now) continue;
      if (partial.quote !== null) quotes.push(partial.quote);
      this.#drop(key, partial);
    }
    return quotes;
  }

  pollAt(): number {
    let at = Infinity;
    for (const partial of this.#partials.values()) at = Math.min(at, partial.expiresAt);
    return at;
  }

  #store(partial: Partial, offset: number, payload: Uint8Array): void {
    const end = offset + payload.length;
    if (end > partial.data.length) {
      const size = Math.min(MAX_PAYLOAD, Math.max(end, partial.data.length * 2));
      const grown = new Uint8Array(size);
      grown.set(partial.data);
      this.#bytes += size - partial.data.length;
      partial.data = grown;
    }
    partial.data.set(payload, offset);
  }

  #evictOverLimit(keep: string): void {
    for (const [key, partial] of this.#partials) {
      if (this.#bytes <= this.#opts.maxBytes) return;
      if (key !== keep) this.#drop(key, partial);
    }
    const kept = this.#partials.get(keep);
    if (this.#bytes > this.#opts.maxBytes && kept !== undefined) this.#drop(keep, kept);
  }

  #drop(key: string, partial: Partial): void {
    this.#partials.delete(key);
    this.#bytes -= partial.data.length;
    this.dropped++;
  }
}

/** A whole datagram: the first fragment's header fields, unfragmented, and the payload. */
function assemble(first: Ipv4Repr, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(IPV4_HEADER_LEN + payload.length);
  emitIpv4Packet({ ...first, moreFragments: false, fragmentOffset: 0, payloadLen: payload.length }, new Ipv4Packet(bytes));
  bytes.set(payload, IPV4_HEADER_LEN);
  return bytes;
}
