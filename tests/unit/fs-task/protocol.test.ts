// The fs-task protocol: every method's arguments and results survive a round trip through
// message words and the byte area exactly, the table covers the FileSystem API, and what
// cannot travel turns into an errno instead of a throw.

import { describe, expect, it } from "vitest";
import {
  FS_PROTOCOL, MSG_WORDS, WireReader, WireWriter, decodeArgs, encodeArgs, errnoOf, hasMethod, methodById,
  methodEntries, methodMask, type DataDirection, type FsMethodName, type MethodSpec,
} from "../../../fs-task/protocol.ts";
import { DevFs } from "../../../fs-task/devfs.ts";
import type { FsDirPage, FsStat } from "../../../fs-task/file_system.ts";
import { EFAULT, EINVAL, EIO, ENAMETOOLONG, ENOENT } from "../../../fs-task/_errno.ts";

const AREA = 64 * 1024;

/** A message area like a slot's: words plus a byte area. */
function area(bytes = AREA): { words: Uint32Array; bytes: Uint8Array; view: DataView } {
  const b = new Uint8Array(bytes);
  return { words: new Uint32Array(MSG_WORDS * 2), bytes: b, view: new DataView(b.buffer) };
}

function spec(name: FsMethodName): MethodSpec {
  return FS_PROTOCOL[name] as unknown as MethodSpec;
}

/** Encodes args as a client would and decodes them as the server would. */
function roundTripArgs(name: FsMethodName, args: unknown[], memory?: Uint8Array): unknown[] {
  const a = area();
  const w = new WireWriter().reset(a.words, a.bytes, a.view);
  encodeArgs(spec(name), args, w);
  if (w.data !== null) w.setRegion(7, memory?.length ?? 0, 0, w.data.length);
  const resolve = (ref: number, extent: number, offset: number, length: number, _dir: DataDirection): Uint8Array | null =>
    ref === 7 && memory !== undefined && offset + length <= extent ? memory.subarray(offset, offset + length) : null;
  return decodeArgs(spec(name), new WireReader().reset(a.words, w.nWords, a.bytes, a.view, resolve));
}

function roundTripResult(name: FsMethodName, value: unknown, bytes = AREA): unknown {
  const a = area(bytes);
  const w = new WireWriter().reset(a.words, a.bytes, a.view);
  spec(name).result.put(w, value as never);
  return spec(name).result.get(new WireReader().reset(a.words, w.nWords, a.bytes, a.view));
}

const stat: FsStat = {
  dev: 0xfd00, ino: 2 ** 53 - 1, mode: 0o100644, nlink: 3, uid: 1000, gid: 1000, rdev: 0, size: 2 ** 40 + 7,
  blksize: 4096, blocks: 16, atimeNs: -1_000_000_001n, mtimeNs: 2n ** 63n - 1n, ctimeNs: 1_700_000_000_123_456_789n,
};

describe("FS_PROTOCOL", () => {
  it("covers every FileSystem method with a unique id", () => {
    const names = methodEntries().map((e) => e.name).sort();
    expect(names).toEqual([
      "access", "chmod", "chown", "close", "fstat", "link", "mkdir", "mknod", "open", "pread", "pwrite", "readdir",
      "readlink", "rename", "rmdir", "stat", "statfs", "symlink", "unlink", "utimens", "isatty", "ftruncate",
      "setMountPoint", "crossing", "realpath", "fsync", "sendToHost", "pathOf", "fallocate", "setMountView",
      "getxattr", "fgetxattr", "listxattr", "flistxattr", "setxattr", "fsetxattr", "removexattr", "fremovexattr", "futimens",
    ].sort());
    const ids = methodEntries().map((e) => e.spec.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of methodEntries()) expect(methodById(e.spec.id)).toBe(e);
    expect(methodById(9999)).toBeUndefined();
  });

  it("methodMask() lists exactly the back end's methods, optional ones included", () => {
    const mask = methodMask(new DevFs());
    expect(hasMethod(mask, FS_PROTOCOL.fstat.id)).toBe(true);
    expect(hasMethod(mask, FS_PROTOCOL.chown.id)).toBe(typeof (new DevFs() as { chown?: unknown }).chown === "function");
    const partial = { fstat: () => 0 };
    const m2 = methodMask(partial as never);
    expect(methodEntries().filter((e) => hasMethod(m2, e.spec.id)).map((e) => e.name)).toEqual(["fstat"]);
  });
});

describe("argument round trips", () => {
  it("paths, integers and booleans", () => {
    expect(roundTripArgs("open", ["/a/b c/\xc3\xbc\xff", 0o101102, 0o644])).toEqual(["/a/b c/\xc3\xbc\xff", 0o101102, 0o644]);
    expect(roundTripArgs("rename", ["/from", "/to/x", 2])).toEqual(["/from", "/to/x", 2]);
    expect(roundTripArgs("stat", ["/x", false])).toEqual(["/x", false]);
    expect(roundTripArgs("readdir", [3, 2 ** 40, 128])).toEqual([3, 2 ** 40, 128]);
    expect(roundTripArgs("chown", ["/x", -1, 2 ** 32 - 2, true])).toEqual(["/x", -1, 2 ** 32 - 2, true]);
  });

  it("a string that is not a byte string cannot travel: EINVAL", () => {
    expect(() => roundTripArgs("unlink", ["/\u20ac"])).toThrow(expect.objectContaining({ errno: EINVAL }));
  });

  it("byte strings come back unchanged", () => {
    const raw = String.fromCharCode(...Array.from({ length: 255 }, (_, i) => i + 1));
    expect(roundTripArgs("unlink", ["/" + raw])).toEqual(["/" + raw]);
  });

  it("utimens times: nanoseconds, now and omit", () => {
    expect(roundTripArgs("utimens", ["/t", 1_600_000_000_123_456_789n, "now", true])).toEqual(["/t", 1_600_000_000_123_456_789n, "now", true]);
    expect(roundTripArgs("utimens", ["/t", "omit", -5n, false])).toEqual(["/t", "omit", -5n, false]);
  });

  it("pread's buffer travels as a region reference, not as bytes", () => {
    const memory = new Uint8Array(1 << 20);
    const a = area();
    const w = new WireWriter().reset(a.words, a.bytes, a.view);
    encodeArgs(spec("pread"), [4, memory, 4096], w);
    expect(w.nWords).toBe(6);
    expect(w.nBytes).toBe(0);
    const [h, dst, off] = roundTripArgs("pread", [4, memory, 4096], memory) as [number, Uint8Array, number];
    expect([h, off]).toEqual([4, 4096]);
    expect(dst.buffer).toBe(memory.buffer);
    expect(dst.length).toBe(memory.length);
  });

  it("a region the server cannot resolve is EFAULT", () => {
    expect(() => roundTripArgs("pwrite", [1, new Uint8Array(8), 0])).toThrow(expect.objectContaining({ errno: EFAULT }));
  });

  it("a path that does not fit the byte area is ENAMETOOLONG", () => {
    const a = area(64);
    const w = new WireWriter().reset(a.words, a.bytes, a.view);
    let caught: unknown;
    try {
      encodeArgs(spec("stat"), ["/" + "x".repeat(100), true], w);
    } catch (err) {
      caught = err;
    }
    expect(errnoOf(caught)).toBe(ENAMETOOLONG);
    expect(errnoOf(new Error("other"))).toBe(EIO);
  });
});

describe("result round trips", () => {
  it("stat with 64-bit times, including negative and 2^63-1", () => {
    expect(roundTripResult("fstat", stat)).toEqual(stat);
    expect(roundTripResult("stat", -ENOENT)).toBe(-ENOENT);
  });

  it("statfs, readlink, isatty and plain numbers", () => {
    const sfs = { type: 0x01021994, bsize: 4096, blocks: 10, bfree: 5, bavail: 5, files: 9, ffree: 1, namelen: 255, frsize: 4096, flags: 1 };
    expect(roundTripResult("statfs", sfs)).toEqual(sfs);
    expect(roundTripResult("readlink", "../target")).toBe("../target");
    expect(roundTripResult("readlink", -ENOENT)).toBe(-ENOENT);
    expect(roundTripResult("isatty", true)).toBe(true);
    expect(roundTripResult("pread", 1 << 20)).toBe(1 << 20);
    expect(roundTripResult("close", -9)).toBe(-9);
  });

  it("a directory page", () => {
    const page: FsDirPage = {
      entries: [
        { name: ".", ino: 2, type: 4, nextCookie: 1 },
        { name: "..", ino: 2, type: 4, nextCookie: 2 },
        { name: "naïve file", ino: 2 ** 50, type: 8, nextCookie: 3 },
      ],
      nextCookie: 3,
    };
    expect(roundTripResult("readdir", page)).toEqual(page);
    expect(roundTripResult("readdir", { entries: [], nextCookie: 3 })).toEqual({ entries: [], nextCookie: 3 });
  });

  it("a directory page too big for the byte area is cut short and resumes after its last entry", () => {
    const entries = Array.from({ length: 200 }, (_, i) => ({ name: `file-${i}`.padEnd(100, "x"), ino: i + 10, type: 8, nextCookie: i + 1 }));
    const page = roundTripResult("readdir", { entries, nextCookie: 200 }, 8192) as FsDirPage;
    expect(page.entries.length).toBeGreaterThan(10);
    expect(page.entries.length).toBeLessThan(200);
    expect(page.entries).toEqual(entries.slice(0, page.entries.length));
    expect(page.nextCookie).toBe(page.entries.length);
  });

  it("error() gives each result type its failure value", () => {
    expect(spec("fstat").result.error(EIO)).toBe(-EIO);
    expect(spec("isatty").result.error(EIO)).toBe(false);
    expect(spec("open").result.error(EIO)).toBe(-EIO);
  });
});
