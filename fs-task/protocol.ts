// The fs-task's message protocol: one table, FS_PROTOCOL, maps each FileSystem method to a
// method id, one codec per argument and a result codec. The client proxy (ipc_client.ts,
// worker_client.ts) and the server dispatcher (ipc_server.ts) are both driven by it; no
// method has a hand-written stub. The table is typed against FileSystem, so adding a
// method to the API without adding it here (or with codecs of the wrong types) fails to
// compile.
//
// A message, on every transport, is:
//   label   the method id (request) or a ReplyStatus (reply)
//   words   up to MSG_WORDS 64-bit words, as (lo, hi) uint32 pairs: the microkernel's
//           MessageBuffer layout, so the ipc transport encodes straight into a TCB's buffer
//   bytes   a byte area shared by the two ends for the message's strings and variable
//           records (paths, a readlink target, directory entries). In ipc mode it is a
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

import type { FileSystem, FsCrossing, FsDirEntry, FsDirPage, FsResult, FsStat, FsStatFs, FsTime } from "./file_system.ts";
import { EFAULT, EINVAL, EIO, ENAMETOOLONG, EOVERFLOW } from "./_errno.ts";
import { bytesToString } from "../linux-abi/_byte_string.ts";

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
    this.words = words;
    this.#big = big64Of(words);
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
    // Callers keep every number a safe integer (offsets and sizes are checked at syscall
    // entry); one that is not cannot be represented: EOVERFLOW, as Linux says of such values.
    if (!Number.isSafeInteger(value)) throw new WireError(`Cannot encode word: ${String(value)} is not a safe integer`, EOVERFLOW);
    const i = 2 * this.nWords++;
    this.words[i] = value;
    this.words[i + 1] = Math.floor(value / TWO_32);
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
  #view: DataView = new DataView(new ArrayBuffer(0));
  nWords = 0;
  #word = 0;
  #byte = 0;
  resolve: DataResolver | null = null;

  reset(words: Uint32Array, nWords: number, bytes: Uint8Array, view: DataView, resolve: DataResolver | null = null): this {
    this.words = words;
    this.#big = big64Of(words);
    this.nWords = nWords;
    this.bytes = bytes;
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
    return bytesToString(this.bytes.subarray(at, at + len));
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

const TIME_NS = 0, TIME_NOW = 1, TIME_OMIT = 2;

export const time: Codec<FsTime> = {
  put(w, v) {
    w.word(v === "now" ? TIME_NOW : v === "omit" ? TIME_OMIT : TIME_NS);
    w.big(typeof v === "bigint" ? v : 0n);
  },
  get(r) {
    const tag = r.word();
    const ns = r.big();
    return tag === TIME_NOW ? "now" : tag === TIME_OMIT ? "omit" : ns;
  },
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

const stat: Codec<FsStat> = {
  put(w, s) {
    w.word(s.dev);
    w.word(s.ino);
    w.word(s.mode);
    w.word(s.nlink);
    w.word(s.uid);
    w.word(s.gid);
    w.word(s.rdev);
    w.word(s.size);
    w.word(s.blksize);
    w.word(s.blocks);
    w.big(s.atimeNs);
    w.big(s.mtimeNs);
    w.big(s.ctimeNs);
  },
  get(r) {
    return {
      dev: r.word(), ino: r.word(), mode: r.word(), nlink: r.word(), uid: r.word(), gid: r.word(),
      rdev: r.word(), size: r.word(), blksize: r.word(), blocks: r.word(),
      atimeNs: r.big(), mtimeNs: r.big(), ctimeNs: r.big(),
    };
  },
};

const statfs: Codec<FsStatFs> = {
  put(w, s) {
    for (const v of [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.namelen, s.frsize, s.flags]) w.word(v);
  },
  get(r) {
    return {
      type: r.word(), bsize: r.word(), blocks: r.word(), bfree: r.word(), bavail: r.word(),
      files: r.word(), ffree: r.word(), namelen: r.word(), frsize: r.word(), flags: r.word(),
    };
  },
};

/**
 * A directory page, entries in the byte area. A page that does not fit is cut short
 * (its nextCookie then resumes after the last entry sent), which readdir's contract
 * allows: "up to `max` entries".
 */
const dirPage: Codec<FsDirPage> = {
  put(w, page) {
    const countAt = w.nWords;
    w.word(0);
    w.word(page.nextCookie);
    let sent = 0;
    for (const e of page.entries) {
      // 3 numbers, a length and the name.
      if (!w.room(0, 28 + e.name.length)) break;
      w.num(e.ino);
      w.num(e.type);
      w.num(e.nextCookie);
      w.str(e.name);
      sent++;
    }
    if (sent === 0 && page.entries.length > 0) throw new WireError("Cannot encode directory page: no entry fits", EIO);
    const end = w.nWords;
    w.nWords = countAt;
    w.word(sent);
    w.word(sent < page.entries.length ? page.entries[sent - 1]!.nextCookie : page.nextCookie);
    w.nWords = end;
  },
  get(r) {
    const count = r.word();
    const nextCookie = r.word();
    const entries: FsDirEntry[] = [];
    for (let i = 0; i < count; i++) {
      const ino = r.num(), type = r.num(), cookie = r.num();
      entries.push({ name: r.str(), ino, type, nextCookie: cookie });
    }
    return { entries, nextCookie };
  },
};

const crossing: Codec<FsCrossing> = {
  put(w, v) {
    w.word(v.arg);
    str.put(w, v.path);
  },
  get: (r) => ({ arg: r.word(), path: str.get(r) }),
};

/** FsResult<T>: a status word (a negative errno, or 0 followed by the value). */
export function orErrno<T extends object | string>(codec: Codec<T>): ResultCodec<FsResult<T>> {
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

type Method = (...args: never[]) => unknown;

/** One codec per parameter, as a tuple. */
export type ArgCodecs<A extends readonly unknown[]> = { readonly [K in keyof A]: Codec<A[K]> };

/** One method's entry: argument codecs in order, the result codec, and its id. */
export interface MethodSpec<F extends Method = Method> {
  readonly id: number;
  readonly args: ArgCodecs<Parameters<F>>;
  readonly result: ResultCodec<Awaited<ReturnType<F>>>;
  /** The back end may answer with a Promise (streams, FIFO opens). */
  readonly mayBlock: boolean;
}

/** Methods run where the back end lives, never sent (lifecycle hooks). */
type LocalMethodName = "releaseBlocked";

export type FsMethodName = Exclude<keyof FileSystem, LocalMethodName>;

export type FsProtocol = { readonly [K in FsMethodName]-?: MethodSpec<NonNullable<FileSystem[K]>> };

const statResult = orErrno(stat);

/** The fs-task's interface definition. Ids are part of the wire format: never reuse one. */
export const FS_PROTOCOL: FsProtocol = {
  open: { id: 1, args: [str, int, int], result: int, mayBlock: true },
  close: { id: 2, args: [int], result: int, mayBlock: false },
  pread: { id: 3, args: [int, dataOut, int], result: int, mayBlock: true },
  pwrite: { id: 4, args: [int, dataIn, int], result: int, mayBlock: true },
  fstat: { id: 5, args: [int], result: statResult, mayBlock: false },
  stat: { id: 6, args: [str, bool], result: statResult, mayBlock: false },
  readlink: { id: 7, args: [str], result: orErrno(str), mayBlock: false },
  readdir: { id: 8, args: [int, int, int], result: orErrno(dirPage), mayBlock: false },
  ftruncate: { id: 9, args: [int, int], result: int, mayBlock: false },
  access: { id: 10, args: [str, int], result: int, mayBlock: false },
  mkdir: { id: 11, args: [str, int], result: int, mayBlock: false },
  unlink: { id: 12, args: [str], result: int, mayBlock: false },
  rmdir: { id: 13, args: [str], result: int, mayBlock: false },
  rename: { id: 14, args: [str, str, int], result: int, mayBlock: false },
  symlink: { id: 15, args: [str, str], result: int, mayBlock: false },
  link: { id: 16, args: [str, str], result: int, mayBlock: false },
  chmod: { id: 17, args: [str, int], result: int, mayBlock: false },
  utimens: { id: 18, args: [str, time, time, bool], result: int, mayBlock: false },
  statfs: { id: 19, args: [str], result: orErrno(statfs), mayBlock: false },
  isatty: { id: 20, args: [int], result: bool, mayBlock: false },
  // Optional in FileSystem: the proxy offers them only if the back end has them.
  chown: { id: 21, args: [str, int, int, bool], result: int, mayBlock: false },
  mknod: { id: 22, args: [str, int, int], result: int, mayBlock: false },
  setMountPoint: { id: 23, args: [bool, str], result: int, mayBlock: false },
  crossing: { id: 24, args: [], result: orErrno(crossing), mayBlock: false },
  realpath: { id: 25, args: [str], result: orErrno(str), mayBlock: false },
  fsync: { id: 26, args: [int, bool], result: int, mayBlock: false },
  sendToHost: { id: 27, args: [int, int, int, int], result: int, mayBlock: false },
  pathOf: { id: 28, args: [int], result: orErrno(str), mayBlock: false },
  fallocate: { id: 29, args: [int, int, int, int], result: int, mayBlock: false },
  setMountView: { id: 30, args: [int, int, bool, str], result: int, mayBlock: false },
  // Extended attributes: a value travels as a data region, as pread's and pwrite's bytes do.
  getxattr: { id: 31, args: [str, bool, str, dataOut], result: int, mayBlock: false },
  fgetxattr: { id: 32, args: [int, str, dataOut], result: int, mayBlock: false },
  listxattr: { id: 33, args: [str, bool, dataOut], result: int, mayBlock: false },
  flistxattr: { id: 34, args: [int, dataOut], result: int, mayBlock: false },
  setxattr: { id: 35, args: [str, bool, str, dataIn, int], result: int, mayBlock: false },
  fsetxattr: { id: 36, args: [int, str, dataIn, int], result: int, mayBlock: false },
  removexattr: { id: 37, args: [str, bool, str], result: int, mayBlock: false },
  fremovexattr: { id: 38, args: [int, str], result: int, mayBlock: false },
  futimens: { id: 39, args: [int, time, time], result: int, mayBlock: false },
};

/**
 * The ids of the methods `backend` implements, as a bit mask (bit = id). The server sends
 * it when a client connects so the proxy has exactly the back end's optional methods.
 */
export function methodMask(backend: FileSystem): number {
  let mask = 0;
  for (const { name, spec } of entries) if (typeof (backend as unknown as Record<string, unknown>)[name] === "function") mask += 2 ** spec.id;
  return mask;
}

/** True if bit `id` is set in a mask from methodMask(). */
export function hasMethod(mask: number, id: number): boolean {
  return Math.floor(mask / 2 ** id) % 2 === 1;
}

/** A method's name and entry, for code that handles every method alike. */
export interface MethodEntry {
  readonly name: FsMethodName;
  readonly spec: MethodSpec;
}

const entries: MethodEntry[] = (Object.keys(FS_PROTOCOL) as FsMethodName[]).map((name) => ({
  name,
  spec: FS_PROTOCOL[name] as unknown as MethodSpec,
}));

const byId = new Map<number, MethodEntry>(entries.map((e) => [e.spec.id, e]));
if (byId.size !== entries.length) throw new Error("Cannot build the fs-task protocol: duplicate method id");

/** Every method, in table order. */
export function methodEntries(): readonly MethodEntry[] {
  return entries;
}

/** The method with this id, or undefined. */
export function methodById(id: number): MethodEntry | undefined {
  return byId.get(id);
}

/** Encodes a call's arguments. Throws WireError when they cannot travel. */
export function encodeArgs(spec: MethodSpec, args: readonly unknown[], w: WireWriter): void {
  const codecs = spec.args as readonly Codec<unknown>[];
  for (let i = 0; i < codecs.length; i++) codecs[i]!.put(w, args[i]);
}

/** Decodes a call's arguments on the server. Throws WireError on a malformed request. */
export function decodeArgs(spec: MethodSpec, r: WireReader): unknown[] {
  const codecs = spec.args as readonly Codec<unknown>[];
  const args = new Array<unknown>(codecs.length);
  for (let i = 0; i < codecs.length; i++) args[i] = codecs[i]!.get(r);
  return args;
}

/** The errno a WireError (or anything else thrown while marshalling) stands for. */
export function errnoOf(err: unknown): number {
  return err instanceof WireError ? err.errno : EIO;
}
