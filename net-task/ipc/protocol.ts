// The net-task's message protocol: one table, NET_PROTOCOL, maps each NetApi method to a
// method id, one codec per argument and a result codec. The client proxies (ipc_client.ts,
// worker_client.ts) and the dispatcher (dispatcher.ts) are both driven by it, and the
// inproc client (net_task.ts) walks it too; no method has a hand-written stub. The table
// is typed against NetApi, so a method added to the API without its entry (or with codecs
// of the wrong types) does not compile.
//
// The message layout is the device tasks' (device-ipc/message.ts: label, up to 120 words, a
// byte area, at most one data region), and so are the codecs it already has. Here the data
// region (send's bytes, recv's destination) always lies in the byte area: the transports
// copy into it and out of it (a short count when it is smaller than the request, which
// send and recv allow). After every answer's result the reply carries readiness events:
// a count, a "more" flag, then (socket id, poll bits) pairs (readEvents/writeEvents).

import { EIO } from "../../linux-abi/errno.ts";
import {
  MSG_WORDS, WireError, bool, dataIn, dataOut, int, type ArgCodecs, type Codec, type ResultCodec, type WireReader, type WireWriter,
} from "../../device-ipc/message.ts";
import { type NetApi, type NetEndpoint, type NetInterfaceInfo, type NetRecv, type NetSocketRow, type NetTcpInfo, type ReadinessSink } from "./api.ts";

export { MSG_WORDS, ReplyStatus, CONNECT_LABEL, WireReader, WireWriter, errnoOf } from "../../device-ipc/message.ts";

type Method = (...args: never[]) => unknown;

export interface NetMethodSpec<F extends Method = Method> {
  readonly id: number;
  readonly args: ArgCodecs<Parameters<F>>;
  readonly result: ResultCodec<ReturnType<F>>;
}

export type NetMethodName = keyof NetApi;
export type NetProtocol = { readonly [K in NetMethodName]: NetMethodSpec<NetApi[K]> };

/** A status word: a negative errno, or 0 followed by the value. */
function orErrno<T extends object>(codec: Codec<T>): ResultCodec<T | number> {
  return {
    put(w, v) {
      if (typeof v === "number") {
        w.word(v < 0 ? v : -EIO);
        return;
      }
      w.word(0);
      codec.put(w, v);
    },
    get(r) {
      const status = r.word();
      return status < 0 ? status : codec.get(r);
    },
    error: (errno) => -errno,
  };
}

/** Words, in order, for a record of numbers. */
function record<T extends object>(keys: readonly (keyof T & string)[]): Codec<T> {
  return {
    put(w, v) {
      for (const k of keys) w.word(v[k] as number);
    },
    get(r) {
      const out: Record<string, number> = {};
      for (const k of keys) out[k] = r.word();
      return out as T;
    },
  };
}

/** A list of records in the byte area (numbers, then a name when `name`), cut short when full. */
function list<T extends object>(keys: readonly (keyof T & string)[], name: (keyof T & string) | null): ResultCodec<T[]> {
  const size = 8 * keys.length + (name === null ? 0 : 4 + 16);
  return {
    put(w, items) {
      const countAt = w.nWords;
      w.word(0);
      let sent = 0;
      for (const item of items) {
        if (!w.room(0, size)) break;
        for (const k of keys) w.num(item[k] as number);
        if (name !== null) w.str(String(item[name]).slice(0, 16));
        sent++;
      }
      const end = w.nWords;
      w.nWords = countAt;
      w.word(sent);
      w.nWords = end;
    },
    get(r) {
      const n = r.word();
      const out: T[] = [];
      for (let i = 0; i < n; i++) {
        const item: Record<string, number | string> = {};
        for (const k of keys) item[k] = r.num();
        if (name !== null) item[name] = r.str();
        out.push(item as T);
      }
      return out;
    },
    error: () => [],
  };
}

/** A stream receive's count (a number), or a datagram's record. */
const recvResult: ResultCodec<NetRecv | number> = {
  put(w, v) {
    if (typeof v === "number") {
      w.word(0);
      w.word(v);
      return;
    }
    w.word(1);
    w.word(v.n);
    w.word(v.full);
    w.word(v.addr);
    w.word(v.port);
  },
  get(r) {
    if (r.word() === 0) return r.word();
    return { n: r.word(), full: r.word(), addr: r.word(), port: r.word() };
  },
  error: (errno) => -errno,
};

const endpoint = orErrno(record<NetEndpoint>(["addr", "port"]));
const tcpInfo = orErrno(record<NetTcpInfo>([
  "state", "retransmits", "options", "sndWscale", "rcvWscale", "rtoUs", "sndMss", "rcvMss", "unacked", "rttUs", "rttvarUs",
  "sndSsthresh", "sndCwnd", "advmss", "rcvSpace", "lastDataRecvMs",
]));
const interfaces = list<NetInterfaceInfo>([
  "index", "flags", "addr", "prefixLen", "mac", "mtu", "hwType", "gateway", "rxPackets", "txPackets", "rxBytes", "txBytes",
  "rxErrors", "rxDropped", "txDropped",
], "name");
const sockets = list<NetSocketRow>(["id", "state", "localAddr", "localPort", "remoteAddr", "remotePort", "txQueue", "rxQueue"], null);

/** The net-task's interface definition. Ids are part of the wire format: never reuse one. */
export const NET_PROTOCOL: NetProtocol = {
  open: { id: 1, args: [int], result: int },
  close: { id: 2, args: [int], result: int },
  bind: { id: 3, args: [int, int, int], result: int },
  listen: { id: 4, args: [int, int], result: int },
  accept: { id: 5, args: [int], result: int },
  connect: { id: 6, args: [int, int, int], result: int },
  send: { id: 7, args: [int, dataIn, int, int, int], result: int },
  recv: { id: 8, args: [int, dataOut, int, int, bool], result: recvResult },
  shutdown: { id: 9, args: [int, int], result: int },
  setOption: { id: 10, args: [int, int, int, int], result: int },
  getOption: { id: 11, args: [int, int, int], result: int },
  takeError: { id: 12, args: [int], result: int },
  name: { id: 13, args: [int, bool], result: endpoint },
  queued: { id: 14, args: [int, bool], result: int },
  tcpInfo: { id: 15, args: [int], result: tcpInfo },
  interfaces: { id: 16, args: [], result: interfaces },
  sockets: { id: 17, args: [int], result: sockets },
  sync: { id: 18, args: [], result: int },
};

export interface NetMethodEntry {
  readonly name: NetMethodName;
  readonly spec: NetMethodSpec;
}

const entries: NetMethodEntry[] = (Object.keys(NET_PROTOCOL) as NetMethodName[]).map((name) => ({
  name,
  spec: NET_PROTOCOL[name] as unknown as NetMethodSpec,
}));
const byId = new Map<number, NetMethodEntry>(entries.map((e) => [e.spec.id, e]));
if (byId.size !== entries.length) throw new Error("Cannot build the net-task protocol: duplicate method id");

export function netMethodEntries(): readonly NetMethodEntry[] {
  return entries;
}

export function netMethodById(id: number): NetMethodEntry | undefined {
  return byId.get(id);
}

export function encodeNetArgs(spec: NetMethodSpec, args: readonly unknown[], w: WireWriter): void {
  const codecs = spec.args as readonly Codec<unknown>[];
  for (let i = 0; i < codecs.length; i++) codecs[i]!.put(w, args[i]);
}

export function decodeNetArgs(spec: NetMethodSpec, r: WireReader): unknown[] {
  const codecs = spec.args as readonly Codec<unknown>[];
  const args = new Array<unknown>(codecs.length);
  for (let i = 0; i < codecs.length; i++) args[i] = codecs[i]!.get(r);
  return args;
}

/**
 * Appends events after a reply's result: as many as the words left hold. `drain` hands them
 * to a sink, at most `max`, and says whether more are left.
 */
export function writeEvents(w: WireWriter, drain: (sink: ReadinessSink, max: number) => boolean): void {
  const at = w.nWords;
  w.word(0);
  w.word(0);
  let n = 0;
  const more = drain((id, mask) => {
    w.word(id);
    w.word(mask);
    n++;
  }, Math.floor((MSG_WORDS - at - 2) / 2));
  const end = w.nWords;
  w.nWords = at;
  w.word(n);
  w.word(more ? 1 : 0);
  w.nWords = end;
}

/** Reads the events after a result into `sink`; true when the net-task has more. */
export function readEvents(r: WireReader, sink: ReadinessSink): boolean {
  const n = r.word();
  const more = r.word() !== 0;
  if (n < 0 || n > MSG_WORDS) throw new WireError("Cannot decode events: bad count", EIO);
  for (let i = 0; i < n; i++) sink(r.word(), r.word());
  return more;
}
