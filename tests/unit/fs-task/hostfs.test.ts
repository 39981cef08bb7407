// HostFs behaviour on a temporary host directory: open flags, I/O at explicit offsets,
// directory listing with cookies, symlinks, namespace operations, fallocate and read-only
// mounts.
// Confinement (escapes out of the root) is in hostfs_confinement.test.ts, races against
// a host process in hostfs_race.test.ts.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileSystem, FsDirEntry, FsStat } from "../../../fs-task/file_system.ts";
import { HostFs } from "../../../fs-task/hostfs.ts";
import { FS_MODES, fsModes } from "./_modes.ts";
import {
  EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, EOPNOTSUPP, EROFS,
} from "../../../fs-task/_errno.ts";
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT,
} from "../../../linux-abi/fs.ts";
import {
  DT_DIR, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR,
  O_TRUNC, O_WRONLY, S_IFDIR, S_IFIFO, S_IFMT, S_IFSOCK, W_OK,
} from "../../../fs-task/_flags.ts";

const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const DT_REG = 8;
const DT_LNK = 10;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

let root: string;
let hfs: FileSystem;

/** open() as a number: these tests never open FIFOs. */
function open(p: string, flags: number, mode = 0o644): number {
  const h = hfs.open(p, flags, mode);
  if (typeof h !== "number") throw new TypeError("Cannot test: open returned a Promise");
  return h;
}

function read(h: number, len: number, offset: number): string | number {
  const buf = new Uint8Array(len);
  const n = hfs.pread(h, buf, offset);
  if (typeof n !== "number") throw new TypeError("Cannot test: pread returned a Promise");
  return n < 0 ? n : new TextDecoder().decode(buf.subarray(0, n));
}

function stat(p: string, follow = true): FsStat {
  const st = hfs.stat(p, follow);
  if (typeof st === "number") throw new TypeError(`Cannot stat ${p}: ${st}`);
  return st;
}

function listAll(h: number, pageSize: number): FsDirEntry[] {
  const all: FsDirEntry[] = [];
  let cookie = 0;
  for (;;) {
    const page = hfs.readdir(h, cookie, pageSize);
    if (typeof page === "number") throw new TypeError(`Cannot list: ${page}`);
    if (page.entries.length === 0) return all;
    all.push(...page.entries);
    cookie = page.nextCookie;
  }
}

describe.each(FS_MODES)("HostFs in %s mode", (mode) => {
  const { mount } = fsModes(mode);

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-"));
    fs.writeFileSync(path.join(root, "hello.txt"), "hello, world");
    fs.mkdirSync(path.join(root, "dir"));
    hfs = mount({ type: "hostfs", root });
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe("HostFs.open()", () => {
    it("opens a file and reads it at explicit offsets", () => {
      const h = open("/hello.txt", O_RDONLY);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(read(h, 5, 0)).toBe("hello");
      expect(read(h, 5, 7)).toBe("world");
      expect(read(h, 100, 7)).toBe("world");
      expect(read(h, 10, 12)).toBe("");
      expect(read(h, 10, 1000)).toBe("");
      expect(hfs.close(h)).toBe(0);
    });

    it("hands out the lowest free handle", () => {
      const a = open("/hello.txt", O_RDONLY);
      const b = open("/hello.txt", O_RDONLY);
      expect(b).toBe(a + 1);
      hfs.close(a);
      expect(open("/hello.txt", O_RDONLY)).toBe(a);
    });

    it("returns ENOENT for a missing file or a missing directory on the way", () => {
      expect(hfs.open("/nope.txt", O_RDONLY, 0)).toBe(-ENOENT);
      expect(hfs.open("/nope/x.txt", O_RDWR | O_CREAT, 0o644)).toBe(-ENOENT);
    });

    it("creates with O_CREAT and applies the mode exactly", () => {
      const h = open("/new.txt", O_WRONLY | O_CREAT, 0o664);
      expect(hfs.pwrite(h, text("abc"), 0)).toBe(3);
      expect(fs.readFileSync(path.join(root, "new.txt"), "utf8")).toBe("abc");
      expect(stat("/new.txt").mode).toBe(S_IFREG | 0o664);
    });

    it("refuses O_CREAT|O_EXCL on an existing file with EEXIST", () => {
      expect(hfs.open("/hello.txt", O_WRONLY | O_CREAT | O_EXCL, 0o644)).toBe(-EEXIST);
    });

    it("refuses O_CREAT|O_EXCL on a dangling symlink with EEXIST", () => {
      fs.symlinkSync("missing", path.join(root, "dangling"));
      expect(hfs.open("/dangling", O_WRONLY | O_CREAT | O_EXCL, 0o644)).toBe(-EEXIST);
    });

    it("creates the target of a dangling symlink with O_CREAT", () => {
      fs.symlinkSync("made.txt", path.join(root, "dangling"));
      const h = open("/dangling", O_WRONLY | O_CREAT, 0o644);
      hfs.pwrite(h, text("x"), 0);
      expect(fs.readFileSync(path.join(root, "made.txt"), "utf8")).toBe("x");
    });

    it("truncates with O_TRUNC", () => {
      const h = open("/hello.txt", O_RDWR | O_TRUNC);
      expect(hfs.fstat(h)).toMatchObject({ size: 0 });
      expect(read(h, 10, 0)).toBe("");
    });

    it("refuses O_DIRECTORY on a file with ENOTDIR", () => {
      expect(hfs.open("/hello.txt", O_RDONLY | O_DIRECTORY, 0)).toBe(-ENOTDIR);
    });

    it("refuses a file used as a directory with ENOTDIR", () => {
      expect(hfs.open("/hello.txt/x", O_RDONLY, 0)).toBe(-ENOTDIR);
      expect(hfs.open("/hello.txt/", O_RDONLY, 0)).toBe(-ENOTDIR);
    });

    it("refuses to open a directory for writing with EISDIR", () => {
      expect(hfs.open("/dir", O_WRONLY, 0)).toBe(-EISDIR);
      expect(hfs.open("/dir", O_RDWR, 0)).toBe(-EISDIR);
    });

    it("refuses a final symlink with O_NOFOLLOW with ELOOP", () => {
      fs.symlinkSync("hello.txt", path.join(root, "link"));
      expect(hfs.open("/link", O_RDONLY | O_NOFOLLOW, 0)).toBe(-ELOOP);
      expect(read(open("/link", O_RDONLY), 5, 0)).toBe("hello");
    });

    it("opens a symlink itself with O_PATH|O_NOFOLLOW", () => {
      fs.symlinkSync("hello.txt", path.join(root, "link"));
      const h = open("/link", O_PATH | O_NOFOLLOW);
      expect(((hfs.fstat(h) as FsStat).mode & S_IFMT)).toBe(S_IFLNK);
      expect(hfs.pread(h, new Uint8Array(1), 0)).toBe(-EBADF);
    });

    it("keeps an O_PATH handle on the file it opened, wherever that goes", () => {
      const h = open("/hello.txt", O_PATH);
      const { ino } = fs.statSync(path.join(root, "hello.txt"));
      fs.renameSync(path.join(root, "hello.txt"), path.join(root, "dir", "moved"));
      fs.symlinkSync("dir", path.join(root, "hello.txt"));
      const st = hfs.fstat(h) as FsStat;
      expect(st.ino).toBe(ino);
      expect(st.mode & S_IFMT).toBe(S_IFREG);
      expect(hfs.close(h)).toBe(0);
    });

    it("rejects an invalid access mode with EINVAL", () => {
      expect(hfs.open("/hello.txt", 3, 0)).toBe(-EINVAL);
    });

    it("resolves . and .. inside the path", () => {
      expect(read(open("/dir/../dir/./../hello.txt", O_RDONLY), 5, 0)).toBe("hello");
    });
  });

  describe("HostFs.pread() and pwrite()", () => {
    it("writes at explicit offsets, leaving the rest", () => {
      const h = open("/hello.txt", O_RDWR);
      expect(hfs.pwrite(h, text("HELLO"), 0)).toBe(5);
      expect(hfs.pwrite(h, text("!"), 12)).toBe(1);
      expect(read(h, 100, 0)).toBe("HELLO, world!");
    });

    it("extends a file with a hole when writing past the end", () => {
      const h = open("/hello.txt", O_RDWR);
      hfs.pwrite(h, text("x"), 20);
      expect(hfs.fstat(h)).toMatchObject({ size: 21 });
      expect(read(h, 1, 15)).toBe("\0");
    });

    it("appends on an O_APPEND handle whatever the offset", () => {
      const h = open("/hello.txt", O_WRONLY | O_APPEND);
      expect(hfs.pwrite(h, text("!"), 0)).toBe(1);
      expect(fs.readFileSync(path.join(root, "hello.txt"), "utf8")).toBe("hello, world!");
    });

    it("refuses reads on a write-only handle and writes on a read-only one with EBADF", () => {
      expect(hfs.pread(open("/hello.txt", O_WRONLY), new Uint8Array(4), 0)).toBe(-EBADF);
      expect(hfs.pwrite(open("/hello.txt", O_RDONLY), text("x"), 0)).toBe(-EBADF);
    });

    it("refuses reads on a directory with EISDIR", () => {
      expect(hfs.pread(open("/dir", O_RDONLY), new Uint8Array(4), 0)).toBe(-EISDIR);
    });

    it("refuses a negative offset with EINVAL and a closed handle with EBADF", () => {
      const h = open("/hello.txt", O_RDONLY);
      expect(hfs.pread(h, new Uint8Array(4), -1)).toBe(-EINVAL);
      hfs.close(h);
      expect(hfs.pread(h, new Uint8Array(4), 0)).toBe(-EBADF);
      expect(hfs.close(h)).toBe(-EBADF);
    });
  });

  describe("HostFs.ftruncate()", () => {
    it("shrinks and grows a file", () => {
      const h = open("/hello.txt", O_RDWR);
      expect(hfs.ftruncate(h, 5)).toBe(0);
      expect(read(h, 100, 0)).toBe("hello");
      expect(hfs.ftruncate(h, 8)).toBe(0);
      expect(hfs.fstat(h)).toMatchObject({ size: 8 });
    });

    it("refuses a read-only handle with EINVAL", () => {
      expect(hfs.ftruncate(open("/hello.txt", O_RDONLY), 0)).toBe(-EINVAL);
    });
  });

  describe("HostFs.readdir()", () => {
    it("returns every entry exactly once across pages, with . and ..", () => {
      for (let i = 0; i < 25; i++) fs.writeFileSync(path.join(root, "dir", `f${i}`), "");
      fs.mkdirSync(path.join(root, "dir", "sub"));
      fs.symlinkSync("f0", path.join(root, "dir", "ln"));
      const h = open("/dir", O_RDONLY | O_DIRECTORY);
      const entries = listAll(h, 4);
      const names = entries.map((e) => e.name).sort();
      const expected = [".", "..", "ln", "sub", ...Array.from({ length: 25 }, (_, i) => `f${i}`)].sort();
      expect(names).toEqual(expected);
      expect(entries.find((e) => e.name === "sub")?.type).toBe(DT_DIR);
      expect(entries.find((e) => e.name === "f3")?.type).toBe(DT_REG);
      expect(entries.find((e) => e.name === "ln")?.type).toBe(DT_LNK);
      expect(entries.find((e) => e.name === "f3")?.ino).toBe(fs.statSync(path.join(root, "dir", "f3")).ino);
      expect(entries.find((e) => e.name === ".")?.ino).toBe(fs.statSync(path.join(root, "dir")).ino);
      expect(entries.find((e) => e.name === "..")?.ino).toBe(fs.statSync(root).ino);
    });

    it("gives each entry the cookie that resumes after it", () => {
      const h = open("/dir", O_RDONLY);
      fs.writeFileSync(path.join(root, "dir", "a"), "");
      fs.writeFileSync(path.join(root, "dir", "b"), "");
      const first = hfs.readdir(h, 0, 10);
      if (typeof first === "number") throw new TypeError("Cannot list");
      const second = first.entries[1];
      const rest = hfs.readdir(h, second.nextCookie, 10);
      if (typeof rest === "number") throw new TypeError("Cannot list");
      expect(rest.entries.map((e) => e.name)).toEqual(first.entries.slice(2).map((e) => e.name));
    });

    it("lists the root with .. pointing at itself", () => {
      const entries = listAll(open("/", O_RDONLY | O_DIRECTORY), 100);
      expect(entries.find((e) => e.name === "..")?.ino).toBe(entries.find((e) => e.name === ".")?.ino);
      expect(entries.map((e) => e.name)).toContain("hello.txt");
    });

    it("rereads the directory when the cookie goes back to 0", () => {
      const h = open("/dir", O_RDONLY);
      expect(listAll(h, 10).map((e) => e.name)).not.toContain("late");
      fs.writeFileSync(path.join(root, "dir", "late"), "");
      expect(listAll(h, 10).map((e) => e.name)).toContain("late");
    });

    it("refuses a file handle with ENOTDIR", () => {
      expect(hfs.readdir(open("/hello.txt", O_RDONLY), 0, 10)).toBe(-ENOTDIR);
    });
  });

  describe("HostFs.stat() and readlink()", () => {
    beforeEach(() => {
      fs.symlinkSync("hello.txt", path.join(root, "link"));
    });

    it("stats the target when following and the link itself when not", () => {
      const followed = stat("/link", true);
      expect(followed.mode & S_IFMT).toBe(S_IFREG);
      expect(followed.size).toBe(12);
      expect(followed.ino).toBe(fs.statSync(path.join(root, "hello.txt")).ino);
      const link = stat("/link", false);
      expect(link.mode & S_IFMT).toBe(S_IFLNK);
      expect(link.size).toBe("hello.txt".length);
    });

    it("reports host numbers with nanosecond times", () => {
      const host = fs.statSync(path.join(root, "hello.txt"), { bigint: true });
      const st = stat("/hello.txt");
      expect(st).toMatchObject({ dev: Number(host.dev), ino: Number(host.ino), nlink: 1, uid: Number(host.uid) });
      expect(st.mtimeNs).toBe(host.mtimeNs);
    });

    it("stats the root as a directory", () => {
      expect(stat("/").mode & S_IFMT).toBe(S_IFDIR);
    });

    it("returns ENOENT for a dangling symlink only when following", () => {
      fs.symlinkSync("gone", path.join(root, "dangling"));
      expect(hfs.stat("/dangling", true)).toBe(-ENOENT);
      expect(stat("/dangling", false).mode & S_IFMT).toBe(S_IFLNK);
    });

    it("readlink() returns the target verbatim and EINVAL for a non-link", () => {
      fs.symlinkSync("/abs/target", path.join(root, "abs"));
      expect(hfs.readlink("/link")).toBe("hello.txt");
      expect(hfs.readlink("/abs")).toBe("/abs/target");
      expect(hfs.readlink("/hello.txt")).toBe(-EINVAL);
      expect(hfs.readlink("/missing")).toBe(-ENOENT);
    });
  });

  describe("HostFs path operations", () => {
    it("mkdir() creates a directory with its mode and refuses an existing name", () => {
      expect(hfs.mkdir("/dir/new", 0o750)).toBe(0);
      expect(stat("/dir/new").mode).toBe(S_IFDIR | 0o750);
      expect(hfs.mkdir("/dir/new", 0o750)).toBe(-EEXIST);
      expect(hfs.mkdir("/missing/new", 0o755)).toBe(-ENOENT);
    });

    it("unlink() removes a file and refuses a directory with EISDIR", () => {
      expect(hfs.unlink("/hello.txt")).toBe(0);
      expect(fs.existsSync(path.join(root, "hello.txt"))).toBe(false);
      expect(hfs.unlink("/hello.txt")).toBe(-ENOENT);
      expect(hfs.unlink("/dir")).toBe(-EISDIR);
    });

    it("unlink() removes a symlink, not its target", () => {
      fs.symlinkSync("hello.txt", path.join(root, "link"));
      expect(hfs.unlink("/link")).toBe(0);
      expect(fs.existsSync(path.join(root, "hello.txt"))).toBe(true);
    });

    it("rmdir() removes an empty directory only", () => {
      fs.writeFileSync(path.join(root, "dir", "f"), "");
      expect(hfs.rmdir("/dir")).toBe(-ENOTEMPTY);
      expect(hfs.rmdir("/hello.txt")).toBe(-ENOTDIR);
      expect(hfs.rmdir("/dir/.")).toBe(-EINVAL);
      fs.unlinkSync(path.join(root, "dir", "f"));
      expect(hfs.rmdir("/dir")).toBe(0);
      expect(fs.existsSync(path.join(root, "dir"))).toBe(false);
    });

    it("rename() moves a file over another", () => {
      fs.writeFileSync(path.join(root, "dir", "old"), "old");
      expect(hfs.rename("/hello.txt", "/dir/old", 0)).toBe(0);
      expect(fs.readFileSync(path.join(root, "dir", "old"), "utf8")).toBe("hello, world");
      expect(hfs.rename("/hello.txt", "/x", 0)).toBe(-ENOENT);
    });

    it("symlink() and link() create links", () => {
      expect(hfs.symlink("hello.txt", "/sl")).toBe(0);
      expect(fs.readlinkSync(path.join(root, "sl"))).toBe("hello.txt");
      expect(hfs.symlink("x", "/sl")).toBe(-EEXIST);
      expect(hfs.link("/hello.txt", "/hard")).toBe(0);
      expect(stat("/hard").ino).toBe(stat("/hello.txt").ino);
      expect(stat("/hello.txt").nlink).toBe(2);
    });

    it("chmod() and utimens() change metadata", () => {
      expect(hfs.chmod("/hello.txt", 0o600)).toBe(0);
      expect(stat("/hello.txt").mode).toBe(S_IFREG | 0o600);
      const t = 1_600_000_000_000_000_000n;
      expect(hfs.utimens("/hello.txt", "omit", t, true)).toBe(0);
      expect(stat("/hello.txt").mtimeNs / 1000n).toBe(t / 1000n);
    });

    it("access() checks existence", () => {
      expect(hfs.access("/hello.txt", 0)).toBe(0);
      expect(hfs.access("/nope", 0)).toBe(-ENOENT);
      expect(hfs.access("/hello.txt", 8)).toBe(-EINVAL);
    });

    it("statfs() reports the host file system", () => {
      expect(hfs.statfs("/")).toMatchObject({ namelen: 255, flags: 0, bsize: expect.any(Number) });
    });

    it("isatty() is false for a regular file", () => {
      expect(hfs.isatty(open("/hello.txt", O_RDONLY))).toBe(false);
    });
  });

  describe("HostFs.rename() with renameat2 flags", () => {
    const host = (p: string): string => path.join(root, p);

    it("RENAME_NOREPLACE refuses an existing target with EEXIST and renames onto a free name", () => {
      fs.writeFileSync(host("dir/taken"), "taken");
      fs.symlinkSync("/nowhere", host("dangling"));
      expect(hfs.rename("/hello.txt", "/dir/taken", RENAME_NOREPLACE)).toBe(-EEXIST);
      expect(hfs.rename("/hello.txt", "/dangling", RENAME_NOREPLACE)).toBe(-EEXIST);
      expect(hfs.rename("/hello.txt", "/dir/..", RENAME_NOREPLACE)).toBe(-EEXIST);
      expect(fs.readFileSync(host("dir/taken"), "utf8")).toBe("taken");
      expect(hfs.rename("/hello.txt", "/dir/free", RENAME_NOREPLACE)).toBe(0);
      expect(fs.readFileSync(host("dir/free"), "utf8")).toBe("hello, world");
      expect(fs.existsSync(host("hello.txt"))).toBe(false);
      expect(hfs.rename("/dir", "/dir2", RENAME_NOREPLACE)).toBe(0);
      expect(fs.readdirSync(host("dir2"))).toEqual(["free", "taken"]);
    });

    it("RENAME_EXCHANGE swaps two files: contents and inodes trade names", () => {
      fs.writeFileSync(host("dir/other"), "other");
      const [a, b] = [stat("/hello.txt").ino, stat("/dir/other").ino];
      expect(hfs.rename("/hello.txt", "/dir/other", RENAME_EXCHANGE)).toBe(0);
      expect(fs.readFileSync(host("hello.txt"), "utf8")).toBe("other");
      expect(fs.readFileSync(host("dir/other"), "utf8")).toBe("hello, world");
      expect([stat("/hello.txt").ino, stat("/dir/other").ino]).toEqual([b, a]);
    });

    it("RENAME_EXCHANGE swaps a directory with a file", () => {
      fs.writeFileSync(host("dir/inside"), "in");
      expect(hfs.rename("/dir", "/hello.txt", RENAME_EXCHANGE)).toBe(0);
      expect(fs.readFileSync(host("dir"), "utf8")).toBe("hello, world");
      expect(fs.readdirSync(host("hello.txt"))).toEqual(["inside"]);
      expect(stat("/hello.txt/inside").size).toBe(2);
    });

    it("RENAME_EXCHANGE answers ENOENT for a missing side, EINVAL within a directory's own subtree", () => {
      fs.mkdirSync(host("dir/sub"));
      expect(hfs.rename("/hello.txt", "/missing", RENAME_EXCHANGE)).toBe(-ENOENT);
      expect(hfs.rename("/missing", "/hello.txt", RENAME_EXCHANGE)).toBe(-ENOENT);
      expect(hfs.rename("/dir", "/dir/sub", RENAME_EXCHANGE)).toBe(-EINVAL);
      expect(hfs.rename("/dir/sub", "/dir", RENAME_EXCHANGE)).toBe(-EINVAL);
      expect(fs.readdirSync(root).sort()).toEqual(["dir", "hello.txt"]);
      expect(fs.readdirSync(host("dir"))).toEqual(["sub"]);
    });

    it("refuses '.' and '..' (EBUSY), which the walk would name by the directory itself", () => {
      expect(hfs.rename("/hello.txt", "/dir/.", RENAME_EXCHANGE)).toBe(-EBUSY);
      expect(hfs.rename("/dir/.", "/hello.txt", RENAME_EXCHANGE)).toBe(-EBUSY);
      expect(hfs.rename("/dir/.", "/x", 0)).toBe(-EBUSY);
      expect(fs.statSync(host("dir")).isDirectory()).toBe(true);
    });

    it("refuses RENAME_WHITEOUT, both bits and unknown bits with EINVAL, touching nothing", () => {
      for (const flags of [RENAME_WHITEOUT, RENAME_NOREPLACE | RENAME_EXCHANGE, 8]) {
        expect(hfs.rename("/hello.txt", "/x", flags)).toBe(-EINVAL);
      }
      expect(fs.readdirSync(root).sort()).toEqual(["dir", "hello.txt"]);
    });
  });

  describe("HostFs.pathOf()", () => {
    it("follows a directory the host renames, and says ENOENT once it is removed or moved out", () => {
      fs.mkdirSync(path.join(root, "dir", "sub"));
      const sub = open("/dir/sub", O_RDONLY | O_DIRECTORY);
      const byPath = open("/dir", O_PATH);
      expect(hfs.pathOf!(sub)).toBe("/dir/sub");
      fs.renameSync(path.join(root, "dir"), path.join(root, "renamed"));
      expect(hfs.pathOf!(sub)).toBe("/renamed/sub");
      expect(hfs.pathOf!(byPath)).toBe("/renamed");
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-out-"));
      try {
        fs.renameSync(path.join(root, "renamed", "sub"), path.join(outside, "sub"));
        expect(hfs.pathOf!(sub)).toBe(-ENOENT);
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
      fs.rmdirSync(path.join(root, "renamed"));
      expect(hfs.pathOf!(byPath)).toBe(-ENOENT);
      expect(hfs.pathOf!(open("/hello.txt", O_RDONLY))).toBe(-EINVAL);
      expect(hfs.pathOf!(open("/", O_RDONLY | O_DIRECTORY))).toBe("/");
    });
  });

  describe("HostFs.fallocate()", () => {
    const MIB = 1 << 20;
    const blocksOf = (h: number): number => (hfs.fstat(h) as FsStat).blocks;

    it("allocates host blocks and grows the size; with KEEP_SIZE only allocates", () => {
      const h = open("/f", O_RDWR | O_CREAT);
      expect(hfs.fallocate!(h, 0, 0, MIB)).toBe(0);
      expect(fs.statSync(path.join(root, "f")).size).toBe(MIB);
      expect(blocksOf(h)).toBeGreaterThanOrEqual(MIB / 512);
      expect(hfs.fallocate!(h, FALLOC_FL_KEEP_SIZE, MIB, MIB)).toBe(0);
      expect(hfs.fstat(h)).toMatchObject({ size: MIB });
      expect(blocksOf(h)).toBeGreaterThanOrEqual((2 * MIB) / 512);
      expect(read(h, 16, MIB - 16)).toBe("\0".repeat(16));
    });

    it("punches a hole that reads as zeros and gives its blocks back, keeping the data around it", () => {
      const h = open("/f", O_RDWR | O_CREAT);
      expect(hfs.pwrite(h, new Uint8Array(MIB).fill(0x61), 0)).toBe(MIB);
      expect(hfs.fsync!(h, true)).toBe(0); // so the blocks are allocated, not just dirty pages
      const before = blocksOf(h);
      expect(hfs.fallocate!(h, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, MIB / 4, MIB / 2)).toBe(0);
      expect(hfs.fstat(h)).toMatchObject({ size: MIB });
      expect(blocksOf(h)).toBeLessThan(before);
      const back = fs.readFileSync(path.join(root, "f"));
      expect(back.subarray(0, MIB / 4).every((b) => b === 0x61)).toBe(true);
      expect(back.subarray(MIB / 4, (3 * MIB) / 4).every((b) => b === 0)).toBe(true);
      expect(back.subarray((3 * MIB) / 4).every((b) => b === 0x61)).toBe(true);
    });

    it("answers the host's errors: EBADF, EINVAL, EOPNOTSUPP", () => {
      expect(hfs.fallocate!(open("/hello.txt", O_RDONLY), 0, 0, 4096)).toBe(-EBADF);
      expect(hfs.fallocate!(open("/hello.txt", O_PATH), 0, 0, 4096)).toBe(-EBADF);
      const h = open("/hello.txt", O_WRONLY);
      expect(hfs.fallocate!(h, 0, 0, 0)).toBe(-EINVAL);
      expect(hfs.fallocate!(h, 0, -1, 4096)).toBe(-EINVAL);
      expect(hfs.fallocate!(h, FALLOC_FL_PUNCH_HOLE, 0, 4096)).toBe(-EOPNOTSUPP);
      expect(stat("/hello.txt").size).toBe(12);
    });
  });

  describe("HostFs with readOnly", () => {
    let ro: FileSystem;
    beforeEach(() => {
      ro = mount({ type: "hostfs", root, readOnly: true });
    });

    it("still reads", () => {
      const h = ro.open("/hello.txt", O_RDONLY, 0);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(ro.stat("/hello.txt", true)).toMatchObject({ size: 12 });
    });

    it("refuses every change with EROFS", () => {
      expect(ro.open("/hello.txt", O_WRONLY, 0)).toBe(-EROFS);
      expect(ro.open("/hello.txt", O_RDONLY | O_TRUNC, 0)).toBe(-EROFS);
      expect(ro.open("/new", O_RDWR | O_CREAT, 0o644)).toBe(-EROFS);
      expect(ro.mkdir("/newdir", 0o755)).toBe(-EROFS);
      expect(ro.unlink("/hello.txt")).toBe(-EROFS);
      expect(ro.rmdir("/dir")).toBe(-EROFS);
      expect(ro.rename("/hello.txt", "/x", 0)).toBe(-EROFS);
      expect(ro.rename("/hello.txt", "/dir", RENAME_EXCHANGE)).toBe(-EROFS);
      expect(ro.rename("/hello.txt", "/x", RENAME_NOREPLACE)).toBe(-EROFS);
      expect(ro.symlink("x", "/sl")).toBe(-EROFS);
      expect(ro.link("/hello.txt", "/hard")).toBe(-EROFS);
      expect(ro.chmod("/hello.txt", 0o777)).toBe(-EROFS);
      expect(ro.utimens("/hello.txt", "now", "now", true)).toBe(-EROFS);
      expect(ro.access("/hello.txt", W_OK)).toBe(-EROFS);
      expect(ro.statfs("/")).toMatchObject({ flags: 1 });
      expect(fs.readFileSync(path.join(root, "hello.txt"), "utf8")).toBe("hello, world");
      expect(fs.readdirSync(root).sort()).toEqual(["dir", "hello.txt"]);
    });

    it("refuses fallocate with EBADF: no handle is open for writing", () => {
      const h = ro.open("/hello.txt", O_RDONLY, 0) as number;
      expect(ro.fallocate!(h, 0, 0, 4096)).toBe(-EBADF);
      expect(ro.stat("/hello.txt", true)).toMatchObject({ size: 12 });
    });

    it("reports EEXIST before EROFS for an existing name", () => {
      expect(ro.mkdir("/dir", 0o755)).toBe(-EEXIST);
      expect(ro.open("/hello.txt", O_RDONLY | O_CREAT | O_EXCL, 0o644)).toBe(-EEXIST);
    });
  });

  describe("new HostFs()", () => {
    it("throws a TypeError for a missing root or a file", () => {
      expect(() => mount({ type: "hostfs", root: path.join(root, "missing") })).toThrow(TypeError);
      expect(() => mount({ type: "hostfs", root: path.join(root, "hello.txt") })).toThrow(TypeError);
    });
  });
});

describe("HostFs host fds", () => {
  // By number: a collected HostFs of another test may close its root fd meanwhile.
  const openFds = (): Set<string> => new Set(fs.readdirSync("/proc/self/fd"));
  const added = (before: Set<string>): string[] => [...openFds()].filter((fd) => !before.has(fd));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-fds-"));
    fs.mkdirSync(path.join(root, "a", "b"), { recursive: true });
    fs.writeFileSync(path.join(root, "a", "b", "f"), "f");
    fs.symlinkSync("/a/b", path.join(root, "abs"));
    execFileSync("mkfifo", [path.join(root, "a", "pipe")]);
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("closes every fd a call opens, on success and on error, and a handle's on close (its cached directories aside)", async () => {
    const h = new HostFs({ root });
    // The walks below, once, so that the directories they go through are in the cache.
    h.stat("/abs/../b/f", true);
    h.stat("/a/b/f", true);
    const before = openFds();
    expect(h.stat("/", true)).toMatchObject({ mode: expect.any(Number) });
    expect(h.stat("/abs/../b/f", true)).toMatchObject({ size: 1 });
    expect([h.stat("/a/b/f/x", true), h.stat("/a/nope/x", true)]).toEqual([-ENOTDIR, -ENOENT]);
    expect([h.mkdir("/a/b/d", 0o755), h.rename("/a/b/d", "/abs/e", 0), h.link("/a/b/f", "/abs/../b/g")]).toEqual([0, 0, 0]);
    expect(h.rename("/a/b/g", "/a/nope/g", 0)).toBe(-ENOENT);
    expect([h.chmod("/abs/f", 0o600), h.utimens("/abs/f", "now", "now", true), h.access("/abs/f", 4)]).toEqual([0, 0, 0]);
    expect(h.statfs("/abs")).toMatchObject({ namelen: 255 });
    expect([h.mknod("/a/b/p", S_IFIFO | 0o600, 0), h.unlink("/a/b/p")]).toEqual([0, 0]);
    // A socket node (an AF_UNIX bind): made on the host with the mode given, the umask aside.
    expect(h.mknod("/a/b/s", S_IFSOCK | 0o751, 0)).toBe(0);
    const st = fs.lstatSync(path.join(root, "a/b/s"));
    expect([st.isSocket(), st.mode & 0o7777]).toEqual([true, 0o751]);
    expect([h.mknod("/a/b/s", S_IFSOCK | 0o755, 0), h.unlink("/a/b/s")]).toEqual([-EEXIST, 0]);
    expect(added(before)).toEqual([]);
    const handles = [
      h.open("/abs/f", O_RDONLY, 0) as number,
      h.open("/abs", O_RDONLY | O_DIRECTORY, 0) as number,
      h.open("/abs/f", O_PATH, 0) as number,
    ];
    expect(h.readdir(handles[1]!, 0, 10)).toMatchObject({ nextCookie: 5 });
    const reader = h.open("/a/pipe", O_RDONLY, 0);
    const writer = h.open("/a/pipe", O_WRONLY, 0);
    handles.push(await reader, await writer);
    for (const handle of handles) expect(h.close(handle)).toBe(0);
    expect(added(before)).toEqual([]);
  });
});
