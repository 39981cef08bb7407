// The message layout and codecs both device tasks' protocols use (fs-task/protocol.ts
// FS_PROTOCOL, net-task/ipc/protocol.ts NET_PROTOCOL): each protocol is one table of
// method → id, one codec per argument and a result codec, built from the codecs here.
//
// A message, on every transport, is:
//   label   the method id (request) or a ReplyStatus (reply)
//   words   up to MSG_WORDS 64-bit words, as (lo, hi) uint32 pairs: the microkernel's
//           MessageBuffer layout, so the ipc transport encodes straight into a TCB's buffer
//   bytes   a byte area shared by the two ends for the message's strings and variable
//           records (paths, a readlink target, directory entries, addresses). In ipc mode it is a
//           Frame each client grants the server once, at connect; in worker mode it is
//           part of the request slot in the shared ring.
//   data    at most one file-data region (pread's destination, pwrite's source). Its
//           words say [ref, extent, offset, length]; what `ref` names belongs to the
//           transport (ipc: the Frame capability sent with the call; worker: the host
//           address of a native block). The bytes never travel in words or the byte area.
//
// Why paths go in the byte area, not in words: 120 words hold 960 bytes, PATH_MAX is
// 4096 and rename() carries two paths; one code path for every length beats a fast path
// plus a fallback, and encoding into memory both ends already map costs one copy.
// Strings are byte strings (linux-abi/_byte_string.ts: one code unit per byte, as paths and
// names are held on both ends), so they travel as their bytes, one per code unit: exact,
// and a PATH_MAX path takes PATH_MAX bytes. A code unit above 0xff cannot travel (EINVAL).

import { Buffer } from "node:buffer";
import { EFAULT, EINVAL, EIO, ENAMETOOLONG, EOVERFLOW } from "../linux-abi/errno.ts";

/** Words per message: the microkernel's MSG_MAX_WORDS. */
export const MSG_WORDS = 120;

/** Reply labels. A request's label is its method id. */
export const ReplyStatus = {
  /** The words hold the method's result. */
  Ok: 0,
  /** Unknown method or client, or a malformed request: the caller gets -EIO. */
  BadRequest: 1,
  /** Worker mode: the operation went asynchronous; the slot answers again later. */
  Pending: 2,
} as const;

/** The label a client sends once to hand the server its byte-area frame (ipc mode). */
export const CONNECT_LABEL = 0xffff;

/** Raised while encoding or decoding; turned into an errno at the edge of each end. */
export class WireError extends RangeError {
  readonly errno: number;

  constructor(message: string, errno: number) {
    super(message);
    this.name = "WireError";
    this.errno = errno;
  }
}

export type DataDirection = "in" | "out";

/** Resolves a data reference on the server: the region to read or write, or null. */
export type DataResolver = (ref: number, extent: number, offset: number, length: number, dir: DataDirection) => Uint8Array | null;

const TWO_32 = 4294967296;

/**
 * A BigInt64Array over the same words (a word is little-endian lo, hi: exactly an int64),
 * so a 64-bit value moves in one store or load instead of several BigInt operations.
 * Null when the words are not 8-byte aligned (then the slow path splits the value).
 */
const big64Cache = new WeakMap<Uint32Array, BigInt64Array | null>();
function big64Of(words: Uint32Array): BigInt64Array | null {
  let view = big64Cache.get(words);
  if (view === undefined) {
    view = words.byteOffset % 8 === 0 ? new BigInt64Array(words.buffer, words.byteOffset, words.length >> 1) : null;
    big64Cache.set(words, view);
  }
  return view;
}

/**
 * A Buffer over the same bytes, so a byte string decodes with one latin1 slice instead of
 * a new Buffer per string (linux-abi/_byte_string.ts: Node's latin1 is ISO-8859-1).
 */
const bufferCache = new WeakMap<Uint8Array, Buffer>();
function bufferOf(bytes: Uint8Array): Buffer {
  let view = bufferCache.get(bytes);
  if (view === undefined) {
    view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    bufferCache.set(bytes, view);
  }
  return view;
}

/** Writes one message into a words area and a byte area (both owned by the transport). */
export class WireWriter {
  words: Uint32Array = new Uint32Array(0);
  #big: BigInt64Array | null = null;
  bytes: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  nWords = 0;
  nBytes = 0;
  /** The data region of this message, if any, and where its four words are. */
  data: Uint8Array | null = null;
  dataDir: DataDirection = "in";
  dataAt = -1;

  reset(words: Uint32Array, bytes: Uint8Array, view: DataView): this {
    // A transport resets onto the same buffers call after call: look the view up only on a change.
    if (words !== this.words) {
      this.words = words;
      this.#big = big64Of(words);
    }
    this.bytes = bytes;
    this.#view = view;
    this.nWords = 0;
    this.nBytes = 0;
    this.data = null;
    this.dataAt = -1;
    return this;
  }

  /** True if `words` more words and `bytes` more bytes fit. */
  room(words: number, bytes: number): boolean {
    return this.nWords + words <= MSG_WORDS && this.nBytes + bytes <= this.bytes.length;
  }

  /** A safe integer (negative values as 64-bit two's complement). */
  word(value: number): void {
    if (this.nWords >= MSG_WORDS) throw new WireError("Cannot encode message: more than 120 words", EIO);
    const i = 2 * this.nWords;
    // Most words (fds, errnos, modes, flags) are 32-bit: the high half is the sign.
    if ((value | 0) === value) {
      this.words[i] = value;
      this.words[i + 1] = value >> 31;
      this.nWords++;
      return;
    }
    // Callers keep every number a safe integer (offsets and sizes are checked at syscall
    // entry); one that is not cannot be represented: EOVERFLOW, as Linux says of such values.
    if (!Number.isSafeInteger(value)) throw new WireError(`Cannot encode word: ${String(value)} is not a safe integer`, EOVERFLOW);
    this.words[i] = value;
    this.words[i + 1] = Math.floor(value / TWO_32);
    this.nWords++;
  }

  /** A signed 64-bit integer, exactly. */
  big(value: bigint): void {
    this.word(0);
    if (this.#big !== null) {
      this.#big[this.nWords - 1] = value;
      return;
    }
    const u = BigInt.asUintN(64, value);
    const i = 2 * (this.nWords - 1);
    this.words[i] = Number(u & 0xffffffffn);
    this.words[i + 1] = Number(u >> 32n);
  }

  /** A number in the byte area (8 bytes; exact for safe integers). */
  num(value: number): void {
    if (typeof value !== "number") throw new WireError("Cannot encode number: not a number", EIO);
    if (this.nBytes + 8 > this.bytes.length) throw new WireError("Cannot encode message: byte area is full", EIO);
    this.#view.setFloat64(this.nBytes, value, true);
    this.nBytes += 8;
  }

  /** A byte string: its length in the byte area, then its bytes. */
  str(s: string): void {
    if (typeof s !== "string") throw new WireError("Cannot encode string: not a string", EIO);
    const at = this.nBytes + 4;
    const bytes = this.bytes;
    if (at + s.length > bytes.length) throw new WireError(`Cannot encode string: ${s.length} bytes do not fit`, ENAMETOOLONG);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) throw new WireError(`Cannot encode string: code unit 0x${c.toString(16)} is not a byte`, EINVAL);
      bytes[at + i] = c;
    }
    this.#view.setUint32(this.nBytes, s.length, true);
    this.nBytes = at + s.length;
  }

  /** Records the message's data region; the transport fills in its four words. */
  region(buf: Uint8Array, dir: DataDirection): void {
    if (this.data !== null) throw new WireError("Cannot encode message: two data regions", EIO);
    this.data = buf;
    this.dataDir = dir;
    this.dataAt = this.nWords;
    for (let i = 0; i < 4; i++) this.word(0);
  }

  /** Fills the four words of the data region. */
  setRegion(ref: number, extent: number, offset: number, length: number): void {
    const at = this.nWords;
    this.nWords = this.dataAt;
    this.word(ref);
    this.word(extent);
    this.word(offset);
    this.word(length);
    this.nWords = at;
  }
}

/** Reads one message from a words area and a byte area. */
export class WireReader {
  words: Uint32Array = new Uint32Array(0);
  #big: BigInt64Array | null = null;
  bytes: Uint8Array = new Uint8Array(0);
  #buffer: Buffer = Buffer.alloc(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  nWords = 0;
  #word = 0;
  #byte = 0;
  resolve: DataResolver | null = null;

  reset(words: Uint32Array, nWords: number, bytes: Uint8Array, view: DataView, resolve: DataResolver | null = null): this {
    if (words !== this.words) {
      this.words = words;
      this.#big = big64Of(words);
    }
    this.nWords = nWords;
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.#buffer = bufferOf(bytes);
    }
    this.#view = view;
    this.#word = 0;
    this.#byte = 0;
    this.resolve = resolve;
    return this;
  }

  word(): number {
    if (this.#word >= this.nWords) throw new WireError("Cannot decode message: too few words", EIO);
    const i = 2 * this.#word++;
    return (this.words[i + 1]! | 0) * TWO_32 + this.words[i]!;
  }

  big(): bigint {
    const at = this.#word;
    this.word();
    if (this.#big !== null) return this.#big[at]!;
    return BigInt.asIntN(64, (BigInt(this.words[2 * at + 1]!) << 32n) | BigInt(this.words[2 * at]!));
  }

  num(): number {
    if (this.#byte + 8 > this.bytes.length) throw new WireError("Cannot decode message: byte area overrun", EIO);
    const v = this.#view.getFloat64(this.#byte, true);
    this.#byte += 8;
    return v;
  }

  str(): string {
    if (this.#byte + 4 > this.bytes.length) throw new WireError("Cannot decode string: byte area overrun", EIO);
    const len = this.#view.getUint32(this.#byte, true);
    const at = this.#byte + 4;
    if (at + len > this.bytes.length) throw new WireError(`Cannot decode string: ${len} bytes overrun the area`, EIO);
    this.#byte = at + len;
    return this.#buffer.toString("latin1", at, at + len);
  }

  region(dir: DataDirection): Uint8Array {
    const ref = this.word(), extent = this.word(), offset = this.word(), length = this.word();
    const view = this.resolve === null ? null : this.resolve(ref, extent, offset, length, dir);
    if (view === null) throw new WireError("Cannot decode data region: no such memory", EFAULT);
    return view;
  }
}

/** How one value travels. `put` on the sending end, `get` on the receiving end. */
export interface Codec<T> {
  put(w: WireWriter, value: T): void;
  get(r: WireReader): T;
}

/** A result codec also says what the caller gets when the call fails as a whole. */
export interface ResultCodec<T> extends Codec<T> {
  error(errno: number): T;
}

export const int: ResultCodec<number> = {
  put: (w, v) => w.word(v),
  get: (r) => r.word(),
  error: (errno) => -errno,
};

export const bool: ResultCodec<boolean> = {
  put: (w, v) => w.word(v ? 1 : 0),
  get: (r) => r.word() !== 0,
  error: () => false,
};

export const str: Codec<string> = {
  put: (w, v) => w.str(v),
  get: (r) => r.str(),
};

/** pwrite's source: the server reads it. */
export const dataIn: Codec<Uint8Array> = {
  put: (w, v) => w.region(v, "in"),
  get: (r) => r.region("in"),
};

/** pread's destination: the server writes it. */
export const dataOut: Codec<Uint8Array> = {
  put: (w, v) => w.region(v, "out"),
  get: (r) => r.region("out"),
};

/** One codec per parameter, as a tuple. */
export type ArgCodecs<A extends readonly unknown[]> = { readonly [K in keyof A]: Codec<A[K]> };


/** The errno a WireError (or anything else thrown while marshalling) stands for. */
export function errnoOf(err: unknown): number {
  return err instanceof WireError ? err.errno : EIO;
}
