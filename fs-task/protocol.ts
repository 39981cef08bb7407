// The fs-task's message protocol: one table, FS_PROTOCOL, maps each FileSystem method to a
// method id, one codec per argument and a result codec. The client proxy (ipc_client.ts,
// worker_client.ts) and the server dispatcher (ipc_server.ts) are both driven by it; no
// method has a hand-written stub. The table is typed against FileSystem, so adding a
// method to the API without adding it here (or with codecs of the wrong types) fails to
// compile.
//
// The message layout and the generic codecs are device-ipc/message.ts.

// Why paths go in the byte area, not in words: 120 words hold 960 bytes, PATH_MAX is
// 4096 and rename() carries two paths; one code path for every length beats a fast path
// plus a fallback, and encoding into memory both ends already map costs one copy.
// Strings are byte strings (linux-abi/_byte_string.ts: one code unit per byte, as paths and
// names are held on both ends), so they travel as their bytes, one per code unit: exact,
// and a PATH_MAX path takes PATH_MAX bytes. A code unit above 0xff cannot travel (EINVAL).

import type { FileSystem, FsCrossing, FsDirEntry, FsDirPage, FsResult, FsStat, FsStatFs, FsTime } from "./file_system.ts";
import { EIO } from "./_errno.ts";
import { WireError, bool, dataIn, dataOut, int, str, type ArgCodecs, type Codec, type ResultCodec, type WireReader, type WireWriter } from "../device-ipc/message.ts";

export {
  CONNECT_LABEL, MSG_WORDS, ReplyStatus, WireError, WireReader, WireWriter, bool, dataIn, dataOut, errnoOf, int, str,
} from "../device-ipc/message.ts";
export type { ArgCodecs, Codec, DataDirection, DataResolver, ResultCodec } from "../device-ipc/message.ts";

/**
 * Worker mode's control labels (negative: below every method id). Attach: the byte area
 * holds a back end description (FsTaskOptions as JSON); the answer's words are [index,
 * mask low, mask high], or status BadRequest with the error text in the byte area.
 * Detach: drops back end Hdr.Backend. Release: every back end's waiting calls end
 * (FileSystem.releaseBlocked), before the worker stops.
 */
export const Control = { Attach: -1, Detach: -2, Release: -3 } as const;

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

/** Entries by id: an array, as ids are small (every request's label is looked up here). */
const byId: (MethodEntry | undefined)[] = [];
for (const e of entries) {
  if (byId[e.spec.id] !== undefined) throw new Error("Cannot build the fs-task protocol: duplicate method id");
  byId[e.spec.id] = e;
}

/** Every method, in table order. */
export function methodEntries(): readonly MethodEntry[] {
  return entries;
}

/** The method with this id, or undefined. */
export function methodById(id: number): MethodEntry | undefined {
  return Number.isInteger(id) && id >= 0 && id < byId.length ? byId[id] : undefined;
}

/** Encodes a call's arguments. Throws WireError when they cannot travel. */
export function encodeArgs(spec: MethodSpec, args: readonly unknown[], w: WireWriter): void {
  const codecs = spec.args as readonly Codec<unknown>[];
  for (let i = 0; i < codecs.length; i++) codecs[i]!.put(w, args[i]);
}

/**
 * Decodes a call's arguments on the server, into `into` when given (an array of the
 * method's arity that the caller reuses), else a new array. Throws WireError on a
 * malformed request.
 */
export function decodeArgs(spec: MethodSpec, r: WireReader, into?: unknown[]): unknown[] {
  const codecs = spec.args as readonly Codec<unknown>[];
  const args = into ?? new Array<unknown>(codecs.length);
  for (let i = 0; i < codecs.length; i++) args[i] = codecs[i]!.get(r);
  return args;
}
