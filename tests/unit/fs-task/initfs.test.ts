import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
// InitFs and its builder: a host tree round trip (files, modes, mtimes, symlinks, hard
// links, FIFOs), read-only answers, in-memory trees, bad images, and the default root.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INITFS_MAGIC, InitFs, shareImage } from "../../../fs-task/initfs.ts";
import {
  addPath, defaultRootTree, emptyDir, encodeInitFs, overlayTree, treeFromHostDir, writeInitFsImage,
} from "../../../fs-task/initfs_builder.ts";
import type { InitFsFile } from "../../../fs-task/initfs_builder.ts";
import type { FsDirEntry, FsStat } from "../../../fs-task/file_system.ts";
import {
  EACCES, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, ENXIO, EPERM, EROFS,
} from "../../../fs-task/_errno.ts";
import {
  O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TMPFILE, O_TRUNC,
  O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE, ST_RDONLY, W_OK, X_OK,
} from "../../../fs-task/_flags.ts";
import { DT_DIR, DT_FIFO, DT_LNK, DT_REG } from "../../../linux-abi/dirent.ts";
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from "../../../linux-abi/stat.ts";

const devs = new AnonDevices();

const MTIME_S = 1_600_000_000;
const utf8 = new TextEncoder();

let host: string;
let ifs: InitFs;

beforeAll(() => {
  host = fs.mkdtempSync(path.join(os.tmpdir(), "initfs-"));
  const at = (p: string): string => path.join(host, p);
  fs.mkdirSync(at("etc"));
  fs.mkdirSync(at("bin"));
  fs.mkdirSync(at("usr/lib"), { recursive: true });
  fs.writeFileSync(at("etc/motd"), "hello, initfs\n");
  fs.chmodSync(at("etc/motd"), 0o640);
  fs.writeFileSync(at("bin/tool"), Buffer.alloc(10_000, 0x5a));
  fs.chmodSync(at("bin/tool"), 0o755);
  fs.writeFileSync(at("empty"), "");
  fs.chmodSync(at("usr"), 0o711);
  fs.symlinkSync("../bin/tool", at("usr/tool"));
  fs.symlinkSync("/etc", at("usr/lib/abs-etc"));
  fs.symlinkSync("missing", at("dangling"));
  fs.symlinkSync("loop", at("loop"));
  fs.linkSync(at("bin/tool"), at("bin/tool2"));
  execFileSync("mkfifo", [at("fifo")]);
  fs.utimesSync(at("etc/motd"), MTIME_S, MTIME_S);
  ifs = new InitFs(encodeInitFs(treeFromHostDir(host)), devs.next());
});

afterAll(() => {
  fs.rmSync(host, { recursive: true, force: true });
});

function open(p: string, flags: number): number {
  const h = ifs.open(p, flags, 0);
  if (h < 0) throw new TypeError(`Cannot open ${p}: ${h}`);
  return h;
}

function readAll(fsys: InitFs, p: string): Uint8Array {
  const h = fsys.open(p, O_RDONLY, 0);
  if (h < 0) throw new TypeError(`Cannot open ${p}: ${h}`);
  const size = (fsys.fstat(h) as FsStat).size;
  const buf = new Uint8Array(size);
  expect(fsys.pread(h, buf, 0)).toBe(size);
  fsys.close(h);
  return buf;
}

function stat(p: string, follow = true): FsStat {
  const st = ifs.stat(p, follow);
  if (typeof st === "number") throw new TypeError(`Cannot stat ${p}: ${st}`);
  return st;
}

function listAll(fsys: InitFs, p: string, pageSize = 100): FsDirEntry[] {
  const h = fsys.open(p, O_RDONLY | O_DIRECTORY, 0);
  const all: FsDirEntry[] = [];
  for (let cookie = 0; ; ) {
    const page = fsys.readdir(h, cookie, pageSize);
    if (typeof page === "number") throw new TypeError(`Cannot list ${p}: ${page}`);
    if (page.entries.length === 0) break;
    all.push(...page.entries);
    cookie = page.nextCookie;
  }
  fsys.close(h);
  return all;
}

describe("InitFs round trip of a host tree", () => {
  it("keeps file contents, modes and mtimes, with uid and gid 0", () => {
    expect(new TextDecoder().decode(readAll(ifs, "/etc/motd"))).toBe("hello, initfs\n");
    expect(stat("/etc/motd")).toMatchObject({
      mode: S_IFREG | 0o640, size: 14, uid: 0, gid: 0, nlink: 1, blocks: 8,
      mtimeNs: BigInt(MTIME_S) * 1_000_000_000n, atimeNs: BigInt(MTIME_S) * 1_000_000_000n,
    });
    expect(readAll(ifs, "/bin/tool").every((b) => b === 0x5a)).toBe(true);
    expect(stat("/bin/tool")).toMatchObject({ mode: S_IFREG | 0o755, size: 10_000 });
    expect(stat("/usr")).toMatchObject({ mode: S_IFDIR | 0o711, nlink: 3 });
    expect(stat("/empty").size).toBe(0);
  });

  it("reads at offsets and stops at the end", () => {
    const h = open("/etc/motd", O_RDONLY);
    const buf = new Uint8Array(5);
    expect(ifs.pread(h, buf, 7)).toBe(5);
    expect(new TextDecoder().decode(buf)).toBe("initf");
    expect(ifs.pread(h, buf, 12)).toBe(2);
    expect(ifs.pread(h, buf, 14)).toBe(0);
    expect(ifs.pread(h, buf, -1)).toBe(-EINVAL);
    expect(ifs.pread(open("/etc", O_RDONLY), buf, 0)).toBe(-EISDIR);
  });

  it("keeps hard links as one inode", () => {
    expect(stat("/bin/tool")).toMatchObject({ nlink: 2, ino: stat("/bin/tool2").ino });
  });

  it("keeps symlinks and follows them inside the image", () => {
    expect(ifs.readlink("/usr/tool")).toBe("../bin/tool");
    expect(stat("/usr/tool", false)).toMatchObject({ mode: S_IFLNK | 0o777, size: 11 });
    expect(stat("/usr/tool").size).toBe(10_000);
    expect(stat("/usr/lib/abs-etc/motd").size).toBe(14); // an absolute target starts at this root
    expect(ifs.stat("/dangling", true)).toBe(-ENOENT);
    expect(ifs.stat("/loop", true)).toBe(-ELOOP);
    expect(ifs.open("/usr/tool", O_RDONLY | O_NOFOLLOW, 0)).toBe(-ELOOP);
    expect(ifs.readlink("/etc/motd")).toBe(-EINVAL);
  });

  it("lists directories sorted, with types, inodes and '..'", () => {
    const list = listAll(ifs, "/", 2);
    expect(list.map((e) => [e.name, e.type])).toEqual([
      [".", DT_DIR], ["..", DT_DIR], ["bin", DT_DIR], ["dangling", DT_LNK], ["empty", DT_REG],
      ["etc", DT_DIR], ["fifo", DT_FIFO], ["loop", DT_LNK], ["usr", DT_DIR],
    ]);
    expect(list[1].ino).toBe(1);
    const lib = listAll(ifs, "/usr/lib");
    expect(lib[1].ino).toBe(stat("/usr").ino);
    expect(ifs.readdir(open("/etc/motd", O_RDONLY), 0, 10)).toBe(-ENOTDIR);
    expect(ifs.readdir(open("/", O_RDONLY), 0, 0)).toBe(-EINVAL);
  });

  it("resumes a listing at a cookie", () => {
    const page = ifs.readdir(open("/", O_RDONLY), 4, 2);
    expect(page).toMatchObject({ entries: [{ name: "empty" }, { name: "etc" }], nextCookie: 6 });
  });

  it("stores a FIFO, whose handle answers ENXIO", () => {
    expect(stat("/fifo").mode & S_IFMT).toBe(S_IFIFO);
    const h = open("/fifo", O_RDWR);
    expect(ifs.pread(h, new Uint8Array(1), 0)).toBe(-ENXIO);
    expect(ifs.pwrite(h, new Uint8Array(1), 0)).toBe(-ENXIO);
  });

  it("walks paths with the usual errors", () => {
    expect(ifs.open("/nope", O_RDONLY, 0)).toBe(-ENOENT);
    expect(ifs.open("/etc/motd/x", O_RDONLY, 0)).toBe(-ENOTDIR);
    expect(ifs.open("/etc/motd", O_RDONLY | O_DIRECTORY, 0)).toBe(-ENOTDIR);
    expect(ifs.open("/etc", O_RDONLY | O_DIRECTORY, 0)).toBeGreaterThanOrEqual(0);
    expect(stat("/../../etc/../bin/tool").size).toBe(10_000);
    expect(ifs.access("/bin/tool", X_OK)).toBe(0);
    expect(ifs.access("/etc/motd", X_OK)).toBe(-EACCES);
  });
});

describe("InitFs is read-only", () => {
  it("refuses to open a file for writing or truncation with EROFS", () => {
    expect(ifs.open("/etc/motd", O_WRONLY, 0)).toBe(-EROFS);
    expect(ifs.open("/etc/motd", O_RDWR, 0)).toBe(-EROFS);
    expect(ifs.open("/etc/motd", O_RDONLY | O_TRUNC, 0)).toBe(-EROFS);
    expect(ifs.open("/etc", O_WRONLY, 0)).toBe(-EISDIR);
  });

  it("refuses to create with EROFS, after EEXIST and ENOENT", () => {
    expect(ifs.open("/new", O_WRONLY | O_CREAT, 0o644)).toBe(-EROFS);
    expect(ifs.open("/etc/motd", O_WRONLY | O_CREAT | O_EXCL, 0o644)).toBe(-EEXIST);
    expect(ifs.open("/nope/new", O_WRONLY | O_CREAT, 0o644)).toBe(-ENOENT);
    expect(ifs.open("/", O_RDWR | O_TMPFILE, 0o600)).toBe(-EROFS);
    expect(ifs.mkdir("/etc", 0o755)).toBe(-EEXIST);
    expect(ifs.mkdir("/newdir", 0o755)).toBe(-EROFS);
    expect(ifs.symlink("x", "/newlink")).toBe(-EROFS);
    expect(ifs.symlink("x", "/empty")).toBe(-EEXIST);
    expect(ifs.link("/etc/motd", "/hard")).toBe(-EROFS);
    expect(ifs.link("/etc", "/hard")).toBe(-EPERM);
    expect(ifs.mknod("/node", S_IFIFO | 0o644, 0)).toBe(-EROFS);
  });

  it("refuses to remove, rename or change anything with EROFS", () => {
    expect(ifs.unlink("/etc/motd")).toBe(-EROFS);
    expect(ifs.unlink("/")).toBe(-EISDIR);
    expect(ifs.rmdir("/usr/lib")).toBe(-EROFS);
    expect(ifs.rmdir("/")).toBe(-EBUSY);
    expect(ifs.rmdir("/usr/..")).toBe(-ENOTEMPTY);
    expect(ifs.rename("/etc/motd", "/motd", 0)).toBe(-EROFS);
    expect(ifs.rename("/etc/motd", "/nope/motd", 0)).toBe(-ENOENT);
    expect(ifs.rename("/", "/x", 0)).toBe(-EBUSY);
    // EROFS comes before Linux looks at what either name holds.
    expect(ifs.rename("/etc/motd", "/usr", RENAME_NOREPLACE)).toBe(-EROFS);
    expect(ifs.rename("/etc/motd", "/nothing", RENAME_EXCHANGE)).toBe(-EROFS);
    expect(ifs.rename("/etc/motd", "/etc/..", RENAME_NOREPLACE)).toBe(-EEXIST);
    expect(ifs.rename("/etc/motd", "/etc/..", RENAME_EXCHANGE)).toBe(-EBUSY);
    expect(ifs.rename("/etc/motd", "/x", RENAME_NOREPLACE | RENAME_EXCHANGE)).toBe(-EINVAL);
    expect(ifs.chmod("/etc/motd", 0o777)).toBe(-EROFS);
    expect(ifs.chown("/etc/motd", 1, 1, true)).toBe(-EROFS);
    expect(ifs.utimens("/etc/motd", "now", "now", true)).toBe(-EROFS);
    expect(ifs.chmod("/nope", 0o777)).toBe(-ENOENT);
    expect(ifs.access("/etc/motd", W_OK)).toBe(-EROFS);
  });

  it("gives no writable handle", () => {
    const h = open("/etc/motd", O_RDONLY);
    expect(ifs.pwrite(h, new Uint8Array(1), 0)).toBe(-EBADF);
    expect(ifs.ftruncate(h, 0)).toBe(-EINVAL);
    const p = open("/etc/motd", O_PATH);
    expect(ifs.pread(p, new Uint8Array(1), 0)).toBe(-EBADF);
    expect(ifs.fstat(p)).toMatchObject({ mode: S_IFREG | 0o640 });
    expect(ifs.close(p)).toBe(0);
    expect(ifs.close(p)).toBe(-EBADF);
  });

  it("statfs says read-only", () => {
    expect(ifs.statfs("/etc")).toMatchObject({ type: INITFS_MAGIC, flags: ST_RDONLY, namelen: 255, bfree: 0 });
    expect(ifs.statfs("/nope")).toBe(-ENOENT);
  });
});

describe("initfs builder", () => {
  const t = 1_000_000_000n;

  it("encodes an in-memory tree, with one file object under two names as a hard link", () => {
    const root = emptyDir(0o755, t);
    const file: InitFsFile = { type: "file", mode: S_IFREG | 0o600, mtimeNs: t, content: utf8.encode("data") };
    addPath(root, "a/b/file", file);
    addPath(root, "a/link", file);
    const fsys = new InitFs(encodeInitFs(root), devs.next());
    expect(fsys.stat("/a/b/file", true)).toMatchObject({ nlink: 2, size: 4, mode: S_IFREG | 0o600 });
    expect(fsys.stat("/a/b", true)).toMatchObject({ mode: S_IFDIR | 0o755, mtimeNs: t });
    expect(new TextDecoder().decode(readAll(fsys, "/a/link"))).toBe("data");
  });

  it("refuses a directory under two names, bad names and a mode that does not fit", () => {
    const root = emptyDir(0o755, t);
    const dir = emptyDir(0o755, t);
    root.entries.set("x", dir);
    root.entries.set("y", dir);
    expect(() => encodeInitFs(root)).toThrow(TypeError);
    const named = emptyDir(0o755, t);
    named.entries.set("a/b", emptyDir(0o755, t));
    expect(() => encodeInitFs(named)).toThrow(/bad name/);
    const wrong = emptyDir(0o755, t);
    wrong.entries.set("f", { type: "file", mode: S_IFDIR | 0o755, mtimeNs: t, content: new Uint8Array() });
    expect(() => encodeInitFs(wrong)).toThrow(/does not fit/);
  });

  it("lays one tree over another", () => {
    const base = emptyDir(0o755, t);
    addPath(base, "etc/keep", { type: "file", mode: S_IFREG | 0o644, mtimeNs: t, content: utf8.encode("base") });
    addPath(base, "etc/swap", { type: "file", mode: S_IFREG | 0o644, mtimeNs: t, content: utf8.encode("base") });
    const top = emptyDir(0o755, t);
    addPath(top, "etc/swap", { type: "file", mode: S_IFREG | 0o644, mtimeNs: t, content: utf8.encode("top") });
    const fsys = new InitFs(encodeInitFs(overlayTree(base, top)), devs.next());
    expect(new TextDecoder().decode(readAll(fsys, "/etc/keep"))).toBe("base");
    expect(new TextDecoder().decode(readAll(fsys, "/etc/swap"))).toBe("top");
  });

  it("writes an image file that InitFs.fromFile serves", () => {
    const out = path.join(host, "..", `${path.basename(host)}.img`);
    try {
      writeInitFsImage(out, treeFromHostDir(path.join(host, "etc")));
      expect(InitFs.fromFile(out, devs.next()).stat("/motd", true)).toMatchObject({ size: 14 });
    } finally {
      fs.rmSync(out, { force: true });
    }
  });
});

describe("an image shared between threads", () => {
  it("is read once into shared memory, and the InitFs of its thread serve those bytes", () => {
    const out = path.join(host, "..", `${path.basename(host)}-shared.img`);
    try {
      writeInitFsImage(out, treeFromHostDir(path.join(host, "etc")));
      const shared = shareImage(out);
      expect(shared.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.from(shared.bytes).equals(fs.readFileSync(out))).toBe(true);
      expect(shareImage(out).bytes).toBe(shared.bytes);
      // A byte of /motd changed in the shared copy (never done outside this test) shows
      // through a new InitFs over the file: it serves the shared bytes, not a new read.
      const motd = readAll(InitFs.fromFile(out, devs.next()), "/motd");
      const at = Buffer.from(shared.bytes).indexOf(Buffer.from(motd));
      shared.bytes[at] ^= 0x20;
      expect(readAll(InitFs.fromFile(out, devs.next()), "/motd")[0]).toBe(motd[0]! ^ 0x20);
    } finally {
      fs.rmSync(out, { force: true });
    }
  });
});

describe("InitFs image checks", () => {
  const good = (): Uint8Array => encodeInitFs(treeFromHostDir(path.join(host, "etc")));

  it("rejects a short image, a bad magic and an unknown version with SyntaxError", () => {
    expect(() => new InitFs(new Uint8Array(10), devs.next())).toThrow(SyntaxError);
    const magic = good();
    magic[0] = 0x58;
    expect(() => new InitFs(magic, devs.next())).toThrow(/bad magic/);
    const version = good();
    new DataView(version.buffer).setUint32(8, 99, true);
    expect(() => new InitFs(version, devs.next())).toThrow(/version 99/);
  });

  it("rejects tables and file data that reach past the image", () => {
    const image = good();
    expect(() => new InitFs(image.subarray(0, image.length - 1), devs.next())).toThrow(/data area ends past the image/);
    const data = good();
    const view = new DataView(data.buffer);
    const inodeTable = view.getUint32(16, true);
    // Inode 2 is /motd: point its data past the area.
    view.setBigUint64(inodeTable + 48 + 32, 1_000_000n, true);
    expect(() => new InitFs(data, devs.next())).toThrow(/outside the data area/);
    // A 64-bit field past 2^53 - 1 (the data area's size here) is no size or offset.
    const huge = good();
    new DataView(huge.buffer).setBigUint64(48, 2n ** 53n, true);
    expect(() => new InitFs(huge, devs.next())).toThrow(/value at 48 is too large/);
    new DataView(huge.buffer).setBigUint64(48, 2n ** 53n - 1n, true);
    expect(() => new InitFs(huge, devs.next())).toThrow(/data area ends past the image/);
  });
});

describe("the default root image", () => {
  const hasBusybox = fs.existsSync("/bin/busybox");
  const samplesDir = path.resolve(import.meta.dirname, "../../../samples");

  it.skipIf(!hasBusybox)("holds busybox, its applet links, /etc and the standard directories", () => {
    const root = defaultRootTree({ samplesDir });
    const fsys = new InitFs(encodeInitFs(root), devs.next());
    expect(fsys.stat("/bin/busybox", true)).toMatchObject({ mode: S_IFREG | 0o755, size: fs.statSync("/bin/busybox").size });
    expect(fsys.readlink("/bin/ls")).toBe("busybox");
    expect(fsys.readlink("/bin/sh")).toBe("busybox");
    expect(fsys.stat("/bin/ls", true)).toMatchObject({ ino: (fsys.stat("/bin/busybox", true) as FsStat).ino });
    const applets = execFileSync("/bin/busybox", ["--list-full"], { encoding: "utf8" }).split("\n");
    const inUsrBin = applets.find((a) => a.startsWith("usr/bin/"));
    if (inUsrBin !== undefined) expect(fsys.readlink(`/${inUsrBin}`)).toBe("../../bin/busybox");
    expect(new TextDecoder().decode(readAll(fsys, "/etc/passwd"))).toMatch(/^root:x:0:0:/m);
    expect(new TextDecoder().decode(readAll(fsys, "/etc/passwd"))).toMatch(/^nobody:/m);
    expect(new TextDecoder().decode(readAll(fsys, "/etc/hosts"))).toMatch(/127\.0\.0\.1\s+localhost/);
    expect(new TextDecoder().decode(readAll(fsys, "/etc/resolv.conf"))).toMatch(/^nameserver /m);
    expect(fsys.stat("/tmp", true)).toMatchObject({ mode: S_IFDIR | 0o1777 });
    for (const dir of ["/sbin", "/usr/bin", "/usr/sbin", "/root", "/home", "/proc", "/dev", "/sys", "/mnt", "/var", "/run"]) {
      expect((fsys.stat(dir, true) as FsStat).mode & S_IFMT).toBe(S_IFDIR);
    }
    expect(fsys.stat("/opt/samples/hello/hello-musl", true)).toMatchObject({ mode: S_IFREG | 0o755 });
    expect(fsys.stat("/opt/samples/hello/hello.c", true)).toBe(-ENOENT);
  });
});
