import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
// TmpFs: open flags, sparse file data and the memory quota, times, links, symlink walks,
// directories with stable readdir cookies, rename rules, special nodes, statfs, fallocate.

import { beforeEach, describe, expect, it } from "vitest";
import { TMPFS_MAGIC, TmpFs } from "../../../fs-task/tmpfs.ts";
import type { MemoryQuota } from "../../../fs-task/tmpfs.ts";
import type { FsDirEntry, FsStat } from "../../../fs-task/file_system.ts";
import {
  EACCES, EBADF, EBUSY, EEXIST, EFBIG, EINVAL, EISDIR, ELOOP, ENAMETOOLONG, ENODEV, ENOENT, ENOSPC,
  ENOTDIR, ENOTEMPTY, ENXIO, EOPNOTSUPP, EPERM, ESPIPE,
} from "../../../fs-task/_errno.ts";
import {
  O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOATIME, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR,
  O_TMPFILE, O_TRUNC, O_WRONLY, X_OK,
} from "../../../fs-task/_flags.ts";
import { DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG } from "../../../linux-abi/dirent.ts";
import {
  FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_NO_HIDE_STALE, FALLOC_FL_PUNCH_HOLE,
  FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_ZERO_RANGE, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT,
} from "../../../linux-abi/fs.ts";
import {
  S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID,
} from "../../../linux-abi/stat.ts";

const devs = new AnonDevices();

const PAGE = 4096;
const HOUR_NS = 3_600_000_000_000n;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

interface TestQuota extends MemoryQuota {
  used: number;
}

function quotaOf(limit: number): TestQuota {
  const q: TestQuota = {
    used: 0,
    charge(bytes) {
      if (q.used + bytes > limit) return false;
      q.used += bytes;
      return true;
    },
    release(bytes) {
      q.used -= bytes;
    },
    available: () => limit - q.used,
  };
  return q;
}

let quota: TestQuota;
let tfs: TmpFs;

beforeEach(() => {
  quota = quotaOf(1 << 30);
  tfs = new TmpFs({ dev: devs.next(), quota });
});

function open(p: string, flags: number, mode = 0o644): number {
  const h = tfs.open(p, flags, mode);
  if (h < 0) throw new TypeError(`Cannot open ${p}: ${h}`);
  return h;
}

function write(p: string, s: string): void {
  const h = open(p, O_WRONLY | O_CREAT | O_TRUNC);
  expect(tfs.pwrite(h, text(s), 0)).toBe(s.length);
  tfs.close(h);
}

function read(h: number, len: number, offset: number): string | number {
  const buf = new Uint8Array(len);
  const n = tfs.pread(h, buf, offset);
  return n < 0 ? n : new TextDecoder().decode(buf.subarray(0, n));
}

function stat(p: string, follow = true): FsStat {
  const st = tfs.stat(p, follow);
  if (typeof st === "number") throw new TypeError(`Cannot stat ${p}: ${st}`);
  return st;
}

function listAll(h: number, pageSize = 100): FsDirEntry[] {
  const all: FsDirEntry[] = [];
  let cookie = 0;
  for (;;) {
    const page = tfs.readdir(h, cookie, pageSize);
    if (typeof page === "number") throw new TypeError(`Cannot list: ${page}`);
    if (page.entries.length === 0) return all;
    all.push(...page.entries);
    cookie = page.nextCookie;
  }
}

function names(dir: string): string[] {
  const h = open(dir, O_RDONLY | O_DIRECTORY);
  const list = listAll(h).map((e) => e.name);
  tfs.close(h);
  return list;
}

/** Sets a path's times an hour back, so that a later update is visible. */
function age(p: string): FsStat {
  const old = stat(p, false).mtimeNs - HOUR_NS;
  expect(tfs.utimens(p, old, old, false)).toBe(0);
  return stat(p, false);
}

describe("TmpFs.open()", () => {
  it("creates with O_CREAT, applying the mode exactly", () => {
    const h = open("/new", O_WRONLY | O_CREAT, 0o640);
    expect(tfs.fstat(h)).toMatchObject({ mode: S_IFREG | 0o640, nlink: 1, size: 0, uid: 0, gid: 0, blocks: 0 });
    expect(tfs.pwrite(h, text("abc"), 0)).toBe(3);
    expect(stat("/new").size).toBe(3);
  });

  it("starts with a 1777 root, or the mode given", () => {
    expect(stat("/").mode).toBe(S_IFDIR | 0o1777);
    expect(new TmpFs({ dev: devs.next(), quota, rootMode: 0o755 }).stat("/", true)).toMatchObject({ mode: S_IFDIR | 0o755, ino: 1, nlink: 2 });
  });

  it("gives each instance its own st_dev", () => {
    expect(new TmpFs({ dev: devs.next(), quota }).stat("/", true)).not.toMatchObject({ dev: stat("/").dev });
  });

  it("refuses O_CREAT|O_EXCL on an existing file or a dangling symlink with EEXIST", () => {
    write("/f", "x");
    tfs.symlink("missing", "/dangling");
    expect(tfs.open("/f", O_WRONLY | O_CREAT | O_EXCL, 0o644)).toBe(-EEXIST);
    expect(tfs.open("/dangling", O_WRONLY | O_CREAT | O_EXCL, 0o644)).toBe(-EEXIST);
  });

  it("creates the target of a dangling symlink with O_CREAT", () => {
    tfs.mkdir("/d", 0o755);
    tfs.symlink("d/made", "/dangling");
    open("/dangling", O_WRONLY | O_CREAT);
    expect(stat("/d/made").mode & S_IFMT).toBe(S_IFREG);
  });

  it("truncates with O_TRUNC, even read-only, and stamps mtime and ctime", () => {
    write("/f", "hello");
    const before = age("/f");
    const h = open("/f", O_RDONLY | O_TRUNC);
    expect(tfs.fstat(h)).toMatchObject({ size: 0 });
    expect(stat("/f").mtimeNs).toBeGreaterThan(before.mtimeNs);
    expect(stat("/f").ctimeNs).toBeGreaterThan(before.ctimeNs);
  });

  it("returns ENOENT for a missing file or directory on the way, ENOTDIR through a file", () => {
    write("/f", "x");
    expect(tfs.open("/nope", O_RDONLY, 0)).toBe(-ENOENT);
    expect(tfs.open("/nope/x", O_RDWR | O_CREAT, 0o644)).toBe(-ENOENT);
    expect(tfs.open("/f/x", O_RDONLY, 0)).toBe(-ENOTDIR);
    expect(tfs.open("/f/", O_RDONLY, 0)).toBe(-ENOTDIR);
  });

  it("applies O_DIRECTORY, and refuses it with O_CREAT", () => {
    write("/f", "x");
    expect(tfs.open("/f", O_RDONLY | O_DIRECTORY, 0)).toBe(-ENOTDIR);
    expect(tfs.open("/", O_RDONLY | O_DIRECTORY, 0)).toBeGreaterThanOrEqual(0);
    expect(tfs.open("/g", O_RDWR | O_CREAT | O_DIRECTORY, 0o644)).toBe(-EINVAL);
  });

  it("refuses to write, truncate or create a directory with EISDIR", () => {
    tfs.mkdir("/d", 0o755);
    expect(tfs.open("/d", O_WRONLY, 0)).toBe(-EISDIR);
    expect(tfs.open("/d", O_RDONLY | O_TRUNC, 0)).toBe(-EISDIR);
    expect(tfs.open("/d", O_RDONLY | O_CREAT, 0o644)).toBe(-EISDIR);
    expect(tfs.open("/new/", O_RDWR | O_CREAT, 0o644)).toBe(-EISDIR);
  });

  it("refuses a final symlink with O_NOFOLLOW with ELOOP, and opens it with O_PATH", () => {
    write("/f", "hello");
    tfs.symlink("f", "/link");
    expect(tfs.open("/link", O_RDONLY | O_NOFOLLOW, 0)).toBe(-ELOOP);
    expect(read(open("/link", O_RDONLY), 5, 0)).toBe("hello");
    const h = open("/link", O_PATH | O_NOFOLLOW);
    expect((tfs.fstat(h) as FsStat).mode & S_IFMT).toBe(S_IFLNK);
    expect(tfs.pread(h, new Uint8Array(1), 0)).toBe(-EBADF);
    expect(tfs.readdir(open("/", O_PATH), 0, 10)).toBe(-EBADF);
  });

  it("refuses access mode 3 with EINVAL", () => {
    write("/f", "x");
    expect(tfs.open("/f", 3, 0)).toBe(-EINVAL);
  });

  it("hands out the lowest free handle and refuses to close a closed one", () => {
    write("/f", "x");
    const a = open("/f", O_RDONLY);
    const b = open("/f", O_RDONLY);
    expect(b).toBe(a + 1);
    expect(tfs.close(a)).toBe(0);
    expect(tfs.close(a)).toBe(-EBADF);
    expect(open("/f", O_RDONLY)).toBe(a);
  });

  it("makes an unnamed file with O_TMPFILE, freed on close", () => {
    const h = open("/", O_RDWR | O_TMPFILE, 0o600);
    expect(tfs.fstat(h)).toMatchObject({ nlink: 0, mode: S_IFREG | 0o600 });
    expect(tfs.pwrite(h, text("tmp"), 0)).toBe(3);
    expect(read(h, 3, 0)).toBe("tmp");
    expect(names("/")).toEqual([".", ".."]);
    expect(quota.used).toBe(PAGE);
    tfs.close(h);
    expect(quota.used).toBe(0);
    expect(tfs.open("/", O_RDONLY | O_TMPFILE, 0o600)).toBe(-EINVAL);
  });
});

describe("TmpFs data", () => {
  it("reads and writes at explicit offsets, across page boundaries", () => {
    const h = open("/f", O_RDWR | O_CREAT);
    const big = new Uint8Array(10_000).map((_, i) => i % 251);
    expect(tfs.pwrite(h, big, 4000)).toBe(10_000);
    const back = new Uint8Array(10_000);
    expect(tfs.pread(h, back, 4000)).toBe(10_000);
    expect(back).toEqual(big);
    expect(tfs.fstat(h)).toMatchObject({ size: 14_000, blocks: 4 * 8 });
    expect(read(h, 10, 14_000)).toBe("");
    expect(read(h, 10, 1 << 30)).toBe("");
  });

  it("checks the handle's access mode and the offset", () => {
    write("/f", "abc");
    const r = open("/f", O_RDONLY);
    const w = open("/f", O_WRONLY);
    expect(tfs.pwrite(r, text("x"), 0)).toBe(-EBADF);
    expect(tfs.pread(w, new Uint8Array(1), 0)).toBe(-EBADF);
    expect(tfs.pread(r, new Uint8Array(1), -1)).toBe(-EINVAL);
    expect(tfs.pwrite(w, text("x"), 1.5)).toBe(-EINVAL);
    expect(tfs.pwrite(w, text("x"), Number.MAX_SAFE_INTEGER)).toBe(-EFBIG);
    expect(tfs.pread(open("/", O_RDONLY), new Uint8Array(1), 0)).toBe(-EISDIR);
    expect(tfs.pread(99, new Uint8Array(1), 0)).toBe(-EBADF);
  });

  it("writes at the end on an O_APPEND handle whatever the offset", () => {
    write("/f", "abc");
    const h = open("/f", O_WRONLY | O_APPEND);
    expect(tfs.pwrite(h, text("def"), 0)).toBe(3);
    expect(read(open("/f", O_RDONLY), 10, 0)).toBe("abcdef");
  });

  it("keeps holes unallocated: they read as zeros and count no blocks", () => {
    const h = open("/sparse", O_RDWR | O_CREAT);
    expect(tfs.pwrite(h, text("end"), 1 << 20)).toBe(3);
    expect(tfs.fstat(h)).toMatchObject({ size: (1 << 20) + 3, blocks: 8 });
    expect(quota.used).toBe(PAGE);
    const hole = new Uint8Array(3 * PAGE).fill(0xff);
    expect(tfs.pread(h, hole, 5000)).toBe(3 * PAGE);
    expect(hole.every((b) => b === 0)).toBe(true);
    expect(tfs.ftruncate(h, 1 << 30)).toBe(0);
    expect(tfs.fstat(h)).toMatchObject({ size: 1 << 30, blocks: 8 });
  });

  it("frees pages on shrink and reads zeros after growing again", () => {
    const h = open("/f", O_RDWR | O_CREAT);
    tfs.pwrite(h, new Uint8Array(3 * PAGE).fill(7), 0);
    expect(quota.used).toBe(3 * PAGE);
    expect(tfs.ftruncate(h, 100)).toBe(0);
    expect(quota.used).toBe(PAGE);
    expect(tfs.fstat(h)).toMatchObject({ size: 100, blocks: 8 });
    expect(tfs.ftruncate(h, 2 * PAGE)).toBe(0);
    const back = new Uint8Array(2 * PAGE);
    expect(tfs.pread(h, back, 0)).toBe(2 * PAGE);
    expect(back.subarray(0, 100).every((b) => b === 7)).toBe(true);
    expect(back.subarray(100).every((b) => b === 0)).toBe(true);
  });

  it("refuses ftruncate on a read-only handle or a directory with EINVAL", () => {
    write("/f", "abc");
    expect(tfs.ftruncate(open("/f", O_RDONLY), 0)).toBe(-EINVAL);
    expect(tfs.ftruncate(open("/", O_RDONLY), 0)).toBe(-EINVAL);
    expect(tfs.ftruncate(open("/f", O_WRONLY), -1)).toBe(-EINVAL);
    expect(tfs.ftruncate(open("/f", O_PATH), 0)).toBe(-EBADF);
  });
});

describe("TmpFs memory quota", () => {
  it("writes short, then fails with ENOSPC, when the quota runs out", () => {
    quota = quotaOf(2 * PAGE);
    tfs = new TmpFs({ dev: devs.next(), quota });
    const h = open("/f", O_RDWR | O_CREAT);
    expect(tfs.pwrite(h, new Uint8Array(3 * PAGE), 0)).toBe(2 * PAGE);
    expect(tfs.pwrite(h, new Uint8Array(10), 2 * PAGE)).toBe(-ENOSPC);
    expect(tfs.fstat(h)).toMatchObject({ size: 2 * PAGE });
    // Rewriting allocated pages needs no more memory.
    expect(tfs.pwrite(h, new Uint8Array(2 * PAGE).fill(1), 0)).toBe(2 * PAGE);
    expect(tfs.statfs("/")).toMatchObject({ blocks: 2, bfree: 0, bavail: 0 });
  });

  it("releases a file's pages when it is unlinked", () => {
    write("/f", "x".repeat(5000));
    expect(quota.used).toBe(2 * PAGE);
    expect(tfs.unlink("/f")).toBe(0);
    expect(quota.used).toBe(0);
  });

  it("keeps an unlinked file's data until its last handle closes", () => {
    write("/f", "still here");
    const a = open("/f", O_RDONLY);
    const b = open("/f", O_RDWR);
    expect(tfs.unlink("/f")).toBe(0);
    expect(tfs.stat("/f", true)).toBe(-ENOENT);
    expect(tfs.fstat(a)).toMatchObject({ nlink: 0 });
    expect(read(a, 100, 0)).toBe("still here");
    tfs.close(a);
    expect(tfs.pwrite(b, text("S"), 0)).toBe(1);
    expect(read(b, 5, 0)).toBe("Still");
    expect(quota.used).toBe(PAGE);
    tfs.close(b);
    expect(quota.used).toBe(0);
  });

  it("releases a replaced file's pages on rename, and a long symlink's page on unlink", () => {
    write("/a", "a");
    write("/b", "b");
    expect(tfs.rename("/a", "/b", 0)).toBe(0);
    expect(quota.used).toBe(PAGE);
    expect(tfs.symlink("x".repeat(200), "/long")).toBe(0);
    expect(tfs.symlink("short", "/short")).toBe(0);
    expect(quota.used).toBe(2 * PAGE);
    expect(stat("/long", false)).toMatchObject({ size: 200, blocks: 8 });
    expect(stat("/short", false)).toMatchObject({ size: 5, blocks: 0 });
    tfs.unlink("/long");
    expect(quota.used).toBe(PAGE);
  });

  it("counts inodes and extra hard links against maxInodes", () => {
    tfs = new TmpFs({ dev: devs.next(), quota, maxInodes: 3 });
    write("/a", "a");
    expect(tfs.link("/a", "/b")).toBe(0);
    expect(tfs.mkdir("/d", 0o755)).toBe(-ENOSPC);
    expect(tfs.open("/c", O_WRONLY | O_CREAT, 0o644)).toBe(-ENOSPC);
    expect(tfs.statfs("/")).toMatchObject({ files: 3, ffree: 0 });
    tfs.unlink("/b");
    expect(tfs.mkdir("/d", 0o755)).toBe(0);
  });
});

describe("TmpFs times", () => {
  it("stamps mtime and ctime on write, not atime", () => {
    write("/f", "abc");
    const before = age("/f");
    tfs.pwrite(open("/f", O_WRONLY), text("x"), 0);
    const after = stat("/f");
    expect(after.mtimeNs).toBeGreaterThan(before.mtimeNs);
    expect(after.ctimeNs).toBeGreaterThan(before.ctimeNs);
    expect(after.atimeNs).toBe(before.atimeNs);
  });

  it("moves atime on read by the relatime rule, never with O_NOATIME", () => {
    write("/f", "abc");
    const old = stat("/f").mtimeNs - HOUR_NS;
    tfs.utimens("/f", old - 1n, old, true); // atime older than mtime
    read(open("/f", O_RDONLY | O_NOATIME), 3, 0);
    expect(stat("/f").atimeNs).toBe(old - 1n);
    read(open("/f", O_RDONLY), 3, 0);
    const first = stat("/f").atimeNs;
    expect(first).toBeGreaterThan(old);
    tfs.utimens("/f", first, "omit", true);
    const later = stat("/f").ctimeNs; // utimens set ctime: make atime newer than both again
    tfs.utimens("/f", later + HOUR_NS, "omit", true);
    read(open("/f", O_RDONLY), 3, 0);
    expect(stat("/f").atimeNs).toBe(later + HOUR_NS);
  });

  it("stamps only ctime on chmod, keeping the file type", () => {
    write("/f", "abc");
    const before = age("/f");
    expect(tfs.chmod("/f", 0o4755 | S_IFDIR)).toBe(0);
    const after = stat("/f");
    expect(after.mode).toBe(S_IFREG | 0o4755);
    expect(after.ctimeNs).toBeGreaterThan(before.ctimeNs);
    expect(after.mtimeNs).toBe(before.mtimeNs);
  });

  it("stamps the directory's mtime and ctime when a name is added or removed", () => {
    tfs.mkdir("/d", 0o755);
    let before = age("/d");
    write("/d/f", "x");
    expect(stat("/d").mtimeNs).toBeGreaterThan(before.mtimeNs);
    before = age("/d");
    tfs.unlink("/d/f");
    expect(stat("/d").mtimeNs).toBeGreaterThan(before.mtimeNs);
    expect(stat("/d").ctimeNs).toBeGreaterThan(before.ctimeNs);
  });

  it("sets times with utimens: exact, now, omit; both omitted changes nothing", () => {
    write("/f", "x");
    expect(tfs.utimens("/f", 5n, 7n, true)).toBe(0);
    expect(stat("/f")).toMatchObject({ atimeNs: 5n, mtimeNs: 7n });
    const ctime = stat("/f").ctimeNs;
    expect(tfs.utimens("/f", "omit", "omit", true)).toBe(0);
    expect(stat("/f").ctimeNs).toBe(ctime);
    expect(tfs.utimens("/f", "omit", "now", true)).toBe(0);
    expect(stat("/f").atimeNs).toBe(5n);
    expect(stat("/f").mtimeNs).toBeGreaterThan(7n);
  });

  it("sets a symlink's own times without following", () => {
    write("/f", "x");
    tfs.symlink("f", "/l");
    tfs.utimens("/l", 1n, 2n, false);
    expect(stat("/l", false).mtimeNs).toBe(2n);
    expect(stat("/f").mtimeNs).not.toBe(2n);
  });
});

describe("TmpFs links", () => {
  it("hard links share the inode and its data, and count in nlink", () => {
    write("/a", "shared");
    const before = age("/a");
    expect(tfs.link("/a", "/b")).toBe(0);
    expect(stat("/a")).toMatchObject({ nlink: 2, ino: stat("/b").ino });
    expect(stat("/a").ctimeNs).toBeGreaterThan(before.ctimeNs);
    tfs.pwrite(open("/b", O_WRONLY), text("S"), 0);
    expect(read(open("/a", O_RDONLY), 10, 0)).toBe("Shared");
    expect(tfs.unlink("/a")).toBe(0);
    expect(stat("/b").nlink).toBe(1);
    expect(read(open("/b", O_RDONLY), 10, 0)).toBe("Shared");
  });

  it("refuses to link a directory (EPERM), onto a taken name (EEXIST), from a missing file (ENOENT)", () => {
    write("/a", "x");
    tfs.mkdir("/d", 0o755);
    expect(tfs.link("/d", "/d2")).toBe(-EPERM);
    expect(tfs.link("/a", "/d")).toBe(-EEXIST);
    expect(tfs.link("/missing", "/b")).toBe(-ENOENT);
    expect(tfs.link("/a", "/b/")).toBe(-ENOENT);
  });

  it("links a symlink itself, not its target", () => {
    write("/a", "x");
    tfs.symlink("a", "/l");
    expect(tfs.link("/l", "/l2")).toBe(0);
    expect(stat("/l2", false).mode & S_IFMT).toBe(S_IFLNK);
    expect(stat("/l", false).nlink).toBe(2);
  });
});

describe("TmpFs symlinks", () => {
  it("stores the target verbatim, reports its length as size, and readlink reads it", () => {
    expect(tfs.symlink("some/where", "/l")).toBe(0);
    expect(stat("/l", false)).toMatchObject({ mode: S_IFLNK | 0o777, size: 10 });
    expect(tfs.readlink("/l")).toBe("some/where");
    write("/f", "x");
    expect(tfs.readlink("/f")).toBe(-EINVAL);
    expect(tfs.readlink("/missing")).toBe(-ENOENT);
    expect(tfs.symlink("", "/e")).toBe(-ENOENT);
    expect(tfs.symlink("x", "/l")).toBe(-EEXIST);
  });

  it("follows symlinks in intermediate components, relative to their directory", () => {
    tfs.mkdir("/a", 0o755);
    tfs.mkdir("/a/b", 0o755);
    write("/a/b/f", "deep");
    tfs.symlink("b", "/a/lb");
    tfs.symlink("a/lb", "/top");
    expect(read(open("/top/f", O_RDONLY), 10, 0)).toBe("deep");
    expect(stat("/top/../b/f").size).toBe(4); // ".." applies to the real directory /a/b
  });

  it("resolves an absolute target from this file system's root", () => {
    tfs.mkdir("/etc", 0o755);
    write("/etc/passwd", "root");
    tfs.mkdir("/d", 0o755);
    tfs.symlink("/etc", "/d/abs");
    expect(read(open("/d/abs/passwd", O_RDONLY), 10, 0)).toBe("root");
  });

  it("keeps a target that climbs above the root at the root", () => {
    write("/f", "top");
    tfs.mkdir("/d", 0o755);
    tfs.symlink("../../../../f", "/d/up");
    expect(read(open("/d/up", O_RDONLY), 10, 0)).toBe("top");
  });

  it("fails with ELOOP on a loop and after 40 links, but follows 40", () => {
    tfs.symlink("/loop2", "/loop1");
    tfs.symlink("/loop1", "/loop2");
    expect(tfs.stat("/loop1", true)).toBe(-ELOOP);
    expect(stat("/loop1", false).mode & S_IFMT).toBe(S_IFLNK);
    write("/f", "x");
    tfs.symlink("f", "/l0");
    for (let i = 1; i <= 40; i++) tfs.symlink(`l${i - 1}`, `/l${i}`);
    expect(stat("/l39").size).toBe(1);
    expect(tfs.stat("/l40", true)).toBe(-ELOOP);
    expect(tfs.open("/l40/x", O_RDONLY, 0)).toBe(-ELOOP);
  });

  it("follows a final symlink when the path ends in a slash", () => {
    tfs.mkdir("/d", 0o755);
    tfs.symlink("d", "/ld");
    expect(stat("/ld/", false).mode & S_IFMT).toBe(S_IFDIR);
  });
});

describe("TmpFs names", () => {
  it("refuses a component over 255 bytes with ENAMETOOLONG", () => {
    expect(tfs.mkdir("/" + "n".repeat(255), 0o755)).toBe(0);
    expect(tfs.mkdir("/" + "n".repeat(256), 0o755)).toBe(-ENAMETOOLONG);
    // Names are byte strings: "é" in UTF-8 is two code units, 0xc3 0xa9.
    expect(tfs.open("/" + "\xc3\xa9".repeat(128), O_WRONLY | O_CREAT, 0o644)).toBe(-ENAMETOOLONG);
    expect(tfs.open("/" + "\xff".repeat(255), O_WRONLY | O_CREAT, 0o644)).toBeGreaterThanOrEqual(0);
    expect(tfs.stat("/" + "x".repeat(300) + "/y", true)).toBe(-ENAMETOOLONG);
    expect(tfs.symlink("t".repeat(4096), "/l")).toBe(-ENAMETOOLONG);
    expect(tfs.stat("/a".repeat(2048), true)).toBe(-ENAMETOOLONG);
  });
});

describe("TmpFs directories", () => {
  it("makes directories with the mode given and counts subdirectories in nlink", () => {
    expect(tfs.mkdir("/d", 0o750)).toBe(0);
    expect(stat("/d")).toMatchObject({ mode: S_IFDIR | 0o750, nlink: 2, size: 40 });
    expect(tfs.mkdir("/d/e", 0o755)).toBe(0);
    write("/d/f", "x");
    expect(stat("/d")).toMatchObject({ nlink: 3, size: 80 });
    expect(stat("/").nlink).toBe(3);
    expect(tfs.mkdir("/d", 0o755)).toBe(-EEXIST);
    expect(tfs.mkdir("/", 0o755)).toBe(-EEXIST);
    expect(tfs.mkdir("/d/f/x", 0o755)).toBe(-ENOTDIR);
    expect(tfs.mkdir("/new/", 0o755)).toBe(0);
  });

  it("passes a set-group-ID directory's group and bit on", () => {
    tfs.mkdir("/g", 0o2775);
    expect(stat("/g").mode).toBe(S_IFDIR | 0o775); // mkdir drops set-group-ID, as Linux's does
    tfs.chown("/g", -1, 50, true);
    tfs.chmod("/g", 0o2775);
    tfs.mkdir("/g/sub", 0o755);
    write("/g/f", "x");
    expect(stat("/g/sub")).toMatchObject({ gid: 50, mode: S_IFDIR | S_ISGID | 0o755 });
    expect(stat("/g/f")).toMatchObject({ gid: 50, mode: S_IFREG | 0o644 });
  });

  it("removes only empty directories", () => {
    tfs.mkdir("/d", 0o755);
    write("/d/f", "x");
    expect(tfs.rmdir("/d")).toBe(-ENOTEMPTY);
    expect(tfs.rmdir("/d/f")).toBe(-ENOTDIR);
    expect(tfs.rmdir("/missing")).toBe(-ENOENT);
    expect(tfs.rmdir("/")).toBe(-EBUSY);
    expect(tfs.rmdir("/d/.")).toBe(-EINVAL);
    expect(tfs.rmdir("/d/..")).toBe(-ENOTEMPTY);
    tfs.unlink("/d/f");
    expect(tfs.rmdir("/d/")).toBe(0);
    expect(stat("/").nlink).toBe(2);
  });

  it("refuses to unlink a directory (EISDIR) or a file named with a slash (ENOTDIR)", () => {
    tfs.mkdir("/d", 0o755);
    write("/f", "x");
    expect(tfs.unlink("/d")).toBe(-EISDIR);
    expect(tfs.unlink("/")).toBe(-EISDIR);
    expect(tfs.unlink("/f/")).toBe(-ENOTDIR);
    expect(tfs.unlink("/missing")).toBe(-ENOENT);
  });

  it("lists '.', '..' and each entry with its inode and type", () => {
    tfs.mkdir("/d", 0o755);
    tfs.mkdir("/d/sub", 0o755);
    write("/d/f", "x");
    tfs.symlink("f", "/d/l");
    tfs.mknod("/d/p", S_IFIFO | 0o644, 0);
    tfs.mknod("/d/c", S_IFCHR | 0o600, 0x0103);
    const list = listAll(open("/d", O_RDONLY));
    expect(list.map((e) => [e.name, e.type])).toEqual([
      [".", DT_DIR], ["..", DT_DIR], ["sub", DT_DIR], ["f", DT_REG], ["l", DT_LNK], ["p", DT_FIFO], ["c", DT_CHR],
    ]);
    expect(list[0].ino).toBe(stat("/d").ino);
    expect(list[1].ino).toBe(stat("/").ino);
    expect(list[3].ino).toBe(stat("/d/f").ino);
  });

  it("pages through a listing with cookies", () => {
    for (let i = 0; i < 10; i++) write(`/f${i}`, "x");
    expect(listAll(open("/", O_RDONLY), 3).map((e) => e.name)).toEqual([".", "..", ...Array.from({ length: 10 }, (_, i) => `f${i}`)]);
  });

  it("keeps cookies valid while entries are removed during the listing", () => {
    for (let i = 0; i < 20; i++) write(`/f${i}`, "x");
    const h = open("/", O_RDONLY);
    const seen: string[] = [];
    let cookie = 0;
    for (;;) {
      const page = tfs.readdir(h, cookie, 4);
      if (typeof page === "number") throw new TypeError(`Cannot list: ${page}`);
      if (page.entries.length === 0) break;
      for (const e of page.entries) {
        seen.push(e.name);
        if (e.name.startsWith("f")) tfs.unlink(`/${e.name}`); // as `rm -r` does
      }
      if (cookie === 0) tfs.unlink("/f19"); // and one not reached yet
      cookie = page.nextCookie;
    }
    expect(seen).toEqual([".", "..", ...Array.from({ length: 19 }, (_, i) => `f${i}`)]);
    expect(names("/")).toEqual([".", ".."]);
  });

  it("starts over at cookie 0 and sees entries added since", () => {
    const h = open("/", O_RDONLY);
    expect(listAll(h).length).toBe(2);
    write("/late", "x");
    expect(listAll(h).map((e) => e.name)).toEqual([".", "..", "late"]);
  });

  it("fails with ENOENT to list a directory removed while open, ENOTDIR for a file", () => {
    tfs.mkdir("/d", 0o755);
    const h = open("/d", O_RDONLY);
    tfs.rmdir("/d");
    expect(tfs.readdir(h, 0, 10)).toBe(-ENOENT);
    expect(tfs.fstat(h)).toMatchObject({ nlink: 0 });
    write("/f", "x");
    expect(tfs.readdir(open("/f", O_RDONLY), 0, 10)).toBe(-ENOTDIR);
    expect(tfs.readdir(open("/", O_RDONLY), 0, 0)).toBe(-EINVAL);
  });
});

describe("TmpFs.rename()", () => {
  it("moves a file and replaces an existing one, which is freed", () => {
    write("/a", "new");
    write("/b", "old");
    const oldHandle = open("/b", O_RDONLY);
    expect(tfs.rename("/a", "/b", 0)).toBe(0);
    expect(tfs.stat("/a", true)).toBe(-ENOENT);
    expect(read(open("/b", O_RDONLY), 10, 0)).toBe("new");
    expect(read(oldHandle, 10, 0)).toBe("old");
    expect(tfs.fstat(oldHandle)).toMatchObject({ nlink: 0 });
  });

  it("refuses a file over a directory (EISDIR), a directory over a file (ENOTDIR)", () => {
    write("/f", "x");
    tfs.mkdir("/d", 0o755);
    expect(tfs.rename("/f", "/d", 0)).toBe(-EISDIR);
    expect(tfs.rename("/d", "/f", 0)).toBe(-ENOTDIR);
    expect(tfs.rename("/f", "/g/", 0)).toBe(-ENOTDIR);
    expect(tfs.rename("/f/", "/g", 0)).toBe(-ENOTDIR);
  });

  it("replaces an empty directory only (ENOTEMPTY)", () => {
    tfs.mkdir("/a", 0o755);
    tfs.mkdir("/b", 0o755);
    write("/b/f", "x");
    expect(tfs.rename("/a", "/b", 0)).toBe(-ENOTEMPTY);
    tfs.unlink("/b/f");
    expect(tfs.rename("/a", "/b", 0)).toBe(0);
    expect(names("/")).toEqual([".", "..", "b"]);
    expect(stat("/").nlink).toBe(3);
  });

  it("refuses to move a directory into itself (EINVAL)", () => {
    tfs.mkdir("/a", 0o755);
    tfs.mkdir("/a/b", 0o755);
    expect(tfs.rename("/a", "/a/b/c", 0)).toBe(-EINVAL);
    expect(tfs.rename("/a", "/a/c", 0)).toBe(-EINVAL);
    expect(tfs.rename("/a/b", "/a", 0)).toBe(-ENOTEMPTY);
  });

  it("moves a directory with its contents and fixes '..' and link counts", () => {
    tfs.mkdir("/a", 0o755);
    tfs.mkdir("/b", 0o755);
    tfs.mkdir("/a/sub", 0o755);
    write("/a/sub/f", "inside");
    const before = age("/a/sub");
    expect(tfs.rename("/a/sub", "/b/moved", 0)).toBe(0);
    expect(read(open("/b/moved/f", O_RDONLY), 10, 0)).toBe("inside");
    expect(stat("/a").nlink).toBe(2);
    expect(stat("/b").nlink).toBe(3);
    const dotdot = listAll(open("/b/moved", O_RDONLY))[1];
    expect(dotdot.ino).toBe(stat("/b").ino);
    expect(stat("/b/moved").ctimeNs).toBeGreaterThan(before.ctimeNs);
  });

  it("does nothing for two names of one file", () => {
    write("/a", "x");
    tfs.link("/a", "/b");
    expect(tfs.rename("/a", "/b", 0)).toBe(0);
    expect(names("/")).toEqual([".", "..", "a", "b"]);
    expect(tfs.rename("/a", "/a", 0)).toBe(0);
  });

  it("refuses the root, '.' and '..' (EBUSY) and a missing source (ENOENT)", () => {
    tfs.mkdir("/d", 0o755);
    expect(tfs.rename("/", "/x", 0)).toBe(-EBUSY);
    expect(tfs.rename("/d/.", "/x", 0)).toBe(-EBUSY);
    expect(tfs.rename("/d", "/d/..", 0)).toBe(-EBUSY);
    expect(tfs.rename("/missing", "/x", 0)).toBe(-ENOENT);
    expect(tfs.rename("/d", "/missing/x", 0)).toBe(-ENOENT);
  });

  it("renames a symlink itself", () => {
    tfs.mkdir("/d", 0o755);
    tfs.symlink("d", "/l");
    expect(tfs.rename("/l", "/m", 0)).toBe(0);
    expect(tfs.readlink("/m")).toBe("d");
    expect(stat("/d").mode & S_IFMT).toBe(S_IFDIR);
  });
});

describe("TmpFs.rename() with RENAME_NOREPLACE", () => {
  it("refuses an existing target with EEXIST, a dangling symlink and the file itself included", () => {
    write("/a", "a");
    write("/b", "b");
    tfs.symlink("/nowhere", "/dangling");
    expect(tfs.rename("/a", "/b", RENAME_NOREPLACE)).toBe(-EEXIST);
    expect(tfs.rename("/a", "/dangling", RENAME_NOREPLACE)).toBe(-EEXIST);
    expect(tfs.rename("/a", "/a", RENAME_NOREPLACE)).toBe(-EEXIST);
    expect(read(open("/a", O_RDONLY), 10, 0)).toBe("a");
    expect(read(open("/b", O_RDONLY), 10, 0)).toBe("b");
  });

  it("renames onto a free name, a directory too", () => {
    write("/a", "a");
    tfs.mkdir("/d", 0o755);
    tfs.mkdir("/e", 0o755);
    expect(tfs.rename("/a", "/d/moved", RENAME_NOREPLACE)).toBe(0);
    expect(read(open("/d/moved", O_RDONLY), 10, 0)).toBe("a");
    expect(tfs.rename("/d", "/e/d", RENAME_NOREPLACE)).toBe(0);
    expect(names("/e/d")).toEqual([".", "..", "moved"]);
    expect(stat("/e").nlink).toBe(3);
  });

  it("answers EEXIST for a '.' or '..' target, EBUSY still for such a source", () => {
    tfs.mkdir("/d", 0o755);
    write("/f", "x");
    expect(tfs.rename("/f", "/d/..", RENAME_NOREPLACE)).toBe(-EEXIST);
    expect(tfs.rename("/f", "/", RENAME_NOREPLACE)).toBe(-EEXIST);
    expect(tfs.rename("/d/.", "/x", RENAME_NOREPLACE)).toBe(-EBUSY);
    expect(tfs.rename("/missing", "/x", RENAME_NOREPLACE)).toBe(-ENOENT);
  });
});

describe("TmpFs.rename() with RENAME_EXCHANGE", () => {
  it("swaps two files: names keep their place, each takes the other's inode, ctimes move", () => {
    tfs.mkdir("/d", 0o755);
    write("/d/a", "first");
    write("/d/b", "second");
    write("/d/c", "third");
    const [a, b, d] = [age("/d/a"), age("/d/b"), age("/d")];
    const listed = listAll(open("/d", O_RDONLY)).map((e) => [e.name, e.ino]);
    const held = open("/d/a", O_RDONLY);
    expect(tfs.rename("/d/a", "/d/b", RENAME_EXCHANGE)).toBe(0);
    expect(read(open("/d/a", O_RDONLY), 10, 0)).toBe("second");
    expect(read(open("/d/b", O_RDONLY), 10, 0)).toBe("first");
    expect(read(held, 10, 0)).toBe("first");
    const swapped = new Map([[a.ino, b.ino], [b.ino, a.ino]]);
    expect(listAll(open("/d", O_RDONLY)).map((e) => [e.name, e.ino])).toEqual(
      listed.map(([name, ino]) => [name, name === "a" || name === "b" ? swapped.get(ino as number) : ino]),
    );
    expect(stat("/d/a")).toMatchObject({ ino: b.ino, nlink: 1 });
    expect(stat("/d/a").ctimeNs).toBeGreaterThan(b.ctimeNs);
    expect(stat("/d/b").ctimeNs).toBeGreaterThan(a.ctimeNs);
    expect(stat("/d").mtimeNs).toBeGreaterThan(d.mtimeNs);
    expect(stat("/d").nlink).toBe(2);
  });

  it("swaps a directory with a file across parents, moving '..' and the parents' link counts", () => {
    tfs.mkdir("/p", 0o755);
    tfs.mkdir("/q", 0o755);
    tfs.mkdir("/p/dir", 0o755);
    write("/p/dir/inside", "x");
    write("/q/file", "f");
    const [p, q] = [age("/p"), age("/q")];
    expect([stat("/p").nlink, stat("/q").nlink]).toEqual([3, 2]);
    expect(tfs.rename("/p/dir", "/q/file", RENAME_EXCHANGE)).toBe(0);
    expect(stat("/p/dir").mode & S_IFMT).toBe(S_IFREG);
    expect(read(open("/p/dir", O_RDONLY), 10, 0)).toBe("f");
    expect(names("/q/file")).toEqual([".", "..", "inside"]);
    expect(listAll(open("/q/file", O_RDONLY))[1].ino).toBe(q.ino);
    expect([stat("/p").nlink, stat("/q").nlink]).toEqual([2, 3]);
    expect(stat("/p").mtimeNs).toBeGreaterThan(p.mtimeNs);
    expect(stat("/q").ctimeNs).toBeGreaterThan(q.ctimeNs);
    expect(tfs.rmdir("/q/file")).toBe(-ENOTEMPTY);
  });

  it("swaps two directories across parents, their contents with them, link counts unchanged", () => {
    tfs.mkdir("/p", 0o755);
    tfs.mkdir("/q", 0o755);
    tfs.mkdir("/p/x", 0o755);
    tfs.mkdir("/q/y", 0o755);
    write("/p/x/fx", "x");
    write("/q/y/fy", "y");
    expect(tfs.rename("/p/x", "/q/y", RENAME_EXCHANGE)).toBe(0);
    expect(names("/p/x")).toEqual([".", "..", "fy"]);
    expect(names("/q/y")).toEqual([".", "..", "fx"]);
    expect(listAll(open("/p/x", O_RDONLY))[1].ino).toBe(stat("/p").ino);
    expect(listAll(open("/q/y", O_RDONLY))[1].ino).toBe(stat("/q").ino);
    expect([stat("/p").nlink, stat("/q").nlink]).toEqual([3, 3]);
    expect(tfs.rmdir("/p")).toBe(-ENOTEMPTY);
  });

  it("answers ENOENT when either side is missing, and changes nothing", () => {
    write("/a", "a");
    expect(tfs.rename("/a", "/missing", RENAME_EXCHANGE)).toBe(-ENOENT);
    expect(tfs.rename("/missing", "/a", RENAME_EXCHANGE)).toBe(-ENOENT);
    expect(names("/")).toEqual([".", "..", "a"]);
  });

  it("refuses a directory with something in its own subtree, either way round (EINVAL)", () => {
    tfs.mkdir("/a", 0o755);
    tfs.mkdir("/a/b", 0o755);
    write("/a/b/f", "x");
    expect(tfs.rename("/a", "/a/b/f", RENAME_EXCHANGE)).toBe(-EINVAL);
    expect(tfs.rename("/a/b/f", "/a", RENAME_EXCHANGE)).toBe(-EINVAL);
    expect(tfs.rename("/a", "/a/b", RENAME_EXCHANGE)).toBe(-EINVAL);
    expect(tfs.rename("/a/b", "/a", RENAME_EXCHANGE)).toBe(-EINVAL);
    expect(names("/a/b")).toEqual([".", "..", "f"]);
  });

  it("leaves two names of one file alone; '..' is EBUSY; a trailing slash is ENOTDIR only on a file", () => {
    write("/a", "x");
    tfs.link("/a", "/b");
    tfs.mkdir("/d", 0o755);
    expect(tfs.rename("/a", "/b", RENAME_EXCHANGE)).toBe(0);
    expect(tfs.rename("/a", "/a", RENAME_EXCHANGE)).toBe(0);
    expect(stat("/a").nlink).toBe(2);
    expect(tfs.rename("/a", "/d/..", RENAME_EXCHANGE)).toBe(-EBUSY);
    expect(tfs.rename("/a", "/d/", RENAME_EXCHANGE)).toBe(0);
    expect(tfs.rename("/a/", "/d", RENAME_EXCHANGE)).toBe(0);
    expect(tfs.rename("/a/", "/d", RENAME_EXCHANGE)).toBe(-ENOTDIR);
  });
});

describe("TmpFs.rename() flags", () => {
  it("refuses RENAME_WHITEOUT, both bits and unknown bits with EINVAL before any lookup", () => {
    write("/a", "a");
    for (const flags of [RENAME_WHITEOUT, RENAME_NOREPLACE | RENAME_EXCHANGE, 8, -1]) {
      expect(tfs.rename("/a", "/b", flags)).toBe(-EINVAL);
      expect(tfs.rename("/missing/x", "/b", flags)).toBe(-EINVAL);
    }
    expect(names("/")).toEqual([".", "..", "a"]);
  });
});

describe("TmpFs special nodes", () => {
  it("stores a FIFO whose handle answers ENXIO to pread and pwrite", () => {
    expect(tfs.mknod("/fifo", S_IFIFO | 0o644, 0)).toBe(0);
    expect(stat("/fifo")).toMatchObject({ mode: S_IFIFO | 0o644, size: 0 });
    const h = open("/fifo", O_RDWR);
    expect(tfs.pread(h, new Uint8Array(1), 0)).toBe(-ENXIO);
    expect(tfs.pwrite(h, new Uint8Array(1), 0)).toBe(-ENXIO);
    expect(tfs.fstat(h)).toMatchObject({ mode: S_IFIFO | 0o644 });
  });

  it("stores device nodes with their rdev", () => {
    expect(tfs.mknod("/null", S_IFCHR | 0o666, 0x0103)).toBe(0);
    expect(stat("/null")).toMatchObject({ mode: S_IFCHR | 0o666, rdev: 0x0103 });
    expect(tfs.pread(open("/null", O_RDONLY), new Uint8Array(1), 0)).toBe(-ENXIO);
  });

  it("refuses to open a socket node with ENXIO", () => {
    tfs.mknod("/sock", S_IFSOCK | 0o755, 0);
    expect(tfs.open("/sock", O_RDWR, 0)).toBe(-ENXIO);
    expect(tfs.open("/sock", O_PATH, 0)).toBeGreaterThanOrEqual(0);
  });

  it("makes a regular file for type 0, refuses directories (EPERM), bad types (EINVAL), taken names (EEXIST)", () => {
    expect(tfs.mknod("/f", 0o600, 0)).toBe(0);
    expect(stat("/f").mode).toBe(S_IFREG | 0o600);
    expect(tfs.mknod("/d", S_IFDIR | 0o755, 0)).toBe(-EPERM);
    expect(tfs.mknod("/x", 0o170000 | 0o644, 0)).toBe(-EINVAL);
    expect(tfs.mknod("/f", S_IFIFO | 0o644, 0)).toBe(-EEXIST);
  });
});

describe("TmpFs attributes", () => {
  it("chown sets the ids (-1 keeps one) and clears set-user-ID", () => {
    write("/f", "x");
    tfs.chmod("/f", 0o6755);
    expect(tfs.chown("/f", 1000, -1, true)).toBe(0);
    expect(stat("/f")).toMatchObject({ uid: 1000, gid: 0, mode: S_IFREG | 0o755 });
    tfs.chmod("/f", 0o2745); // set-group-ID without group execute: a lock marker, kept
    tfs.chown("/f", -1, 7, true);
    expect(stat("/f")).toMatchObject({ uid: 1000, gid: 7, mode: S_IFREG | 0o2745 });
    tfs.symlink("f", "/l");
    tfs.chown("/l", 5, 5, false);
    expect(stat("/l", false)).toMatchObject({ uid: 5, gid: 5 });
    expect(stat("/f").uid).toBe(1000);
    expect(stat("/f").mode & S_ISUID).toBe(0);
  });

  it("access() wants an execute bit for X_OK on anything but a directory", () => {
    write("/f", "x");
    expect(tfs.access("/f", 0)).toBe(0);
    expect(tfs.access("/f", X_OK)).toBe(-EACCES);
    tfs.chmod("/f", 0o700);
    expect(tfs.access("/f", X_OK)).toBe(0);
    expect(tfs.access("/", X_OK)).toBe(0);
    expect(tfs.access("/missing", 0)).toBe(-ENOENT);
    expect(tfs.access("/f", 8)).toBe(-EINVAL);
  });

  it("statfs reports tmpfs with the quota's size", () => {
    quota = quotaOf(10 * PAGE);
    tfs = new TmpFs({ dev: devs.next(), quota });
    write("/f", "x");
    expect(tfs.statfs("/f")).toMatchObject({
      type: TMPFS_MAGIC, bsize: PAGE, blocks: 10, bfree: 9, bavail: 9, namelen: 255, flags: 0,
    });
    expect(new TmpFs({ dev: devs.next(), quota: { charge: () => true, release: () => {} } }).statfs("/")).toMatchObject({ blocks: 0, bfree: 0 });
    expect(tfs.statfs("/missing")).toBe(-ENOENT);
  });

  it("is never a tty", () => {
    write("/f", "x");
    expect(tfs.isatty(open("/f", O_RDONLY))).toBe(false);
  });
});

describe("TmpFs.pathOf()", () => {
  it("follows a directory through renames and moves, and says ENOENT once it is removed", () => {
    tfs.mkdir("/a", 0o755);
    tfs.mkdir("/a/b", 0o755);
    tfs.mkdir("/other", 0o755);
    const b = open("/a/b", O_RDONLY | O_DIRECTORY);
    expect(tfs.pathOf(b)).toBe("/a/b");
    expect(tfs.rename("/a", "/z", 0)).toBe(0);
    expect(tfs.pathOf(b)).toBe("/z/b");
    expect(tfs.rename("/z/b", "/other/moved", 0)).toBe(0);
    expect(tfs.pathOf(b)).toBe("/other/moved");
    expect(tfs.rmdir("/other/moved")).toBe(0);
    expect(tfs.pathOf(b)).toBe(-ENOENT);
    expect(tfs.pathOf(open("/", O_RDONLY | O_DIRECTORY))).toBe("/");
  });

  it("is EINVAL for a file and EBADF for a closed handle", () => {
    write("/f", "x");
    const f = open("/f", O_RDONLY);
    expect(tfs.pathOf(f)).toBe(-EINVAL);
    tfs.close(f);
    expect(tfs.pathOf(f)).toBe(-EBADF);
  });
});

describe("TmpFs.fallocate()", () => {
  const KEEP_SIZE = FALLOC_FL_KEEP_SIZE;
  const PUNCH = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;

  /** A file of `pages` pages, each filled with its own number plus one. */
  function filled(p: string, pages: number): number {
    const h = open(p, O_RDWR | O_CREAT);
    for (let i = 0; i < pages; i++) expect(tfs.pwrite(h, new Uint8Array(PAGE).fill(i + 1), i * PAGE)).toBe(PAGE);
    return h;
  }

  function bytes(h: number, len: number, offset: number): Uint8Array {
    const buf = new Uint8Array(len);
    expect(tfs.pread(h, buf, offset)).toBe(len);
    return buf;
  }

  it("allocates the range's pages: charged to the quota and counted in st_blocks, growing the size", () => {
    const h = open("/f", O_RDWR | O_CREAT);
    expect(tfs.fallocate(h, 0, 100, 3 * PAGE)).toBe(0); // touches pages 0..3
    expect(tfs.fstat(h)).toMatchObject({ size: 100 + 3 * PAGE, blocks: 4 * (PAGE / 512) });
    expect(quota.used).toBe(4 * PAGE);
    expect(bytes(h, 100 + 3 * PAGE, 0).every((b) => b === 0)).toBe(true);
    // Pages already there are neither charged again nor changed.
    expect(tfs.pwrite(h, text("data"), 0)).toBe(4);
    expect(tfs.fallocate(h, 0, 0, 2 * PAGE)).toBe(0);
    expect(quota.used).toBe(4 * PAGE);
    expect(read(h, 4, 0)).toBe("data");
    expect(tfs.fstat(h)).toMatchObject({ size: 100 + 3 * PAGE });
  });

  it("lets writes into the allocated range succeed when the quota is otherwise spent", () => {
    quota = quotaOf(4 * PAGE);
    tfs = new TmpFs({ dev: devs.next(), quota });
    const h = open("/f", O_RDWR | O_CREAT);
    expect(tfs.fallocate(h, 0, 0, 3 * PAGE)).toBe(0);
    const other = open("/g", O_RDWR | O_CREAT);
    expect(tfs.pwrite(other, new Uint8Array(2 * PAGE), 0)).toBe(PAGE);
    expect(tfs.pwrite(h, new Uint8Array(3 * PAGE).fill(9), 0)).toBe(3 * PAGE);
  });

  it("with KEEP_SIZE allocates past the end without changing the size", () => {
    const h = open("/f", O_RDWR | O_CREAT);
    expect(tfs.pwrite(h, text("abc"), 0)).toBe(3);
    expect(tfs.fallocate(h, KEEP_SIZE, 0, 4 * PAGE)).toBe(0);
    expect(tfs.fstat(h)).toMatchObject({ size: 3, blocks: 4 * (PAGE / 512) });
    expect(quota.used).toBe(4 * PAGE);
    expect(read(h, 10, 0)).toBe("abc");
    // Writing into the reserved pages past the end charges nothing more and reads back zeros between.
    expect(tfs.pwrite(h, text("z"), 3 * PAGE)).toBe(1);
    expect(quota.used).toBe(4 * PAGE);
    expect(bytes(h, 3 * PAGE - 3, 3).every((b) => b === 0)).toBe(true);
    // Shrinking drops the reserved pages too.
    expect(tfs.ftruncate(h, 3)).toBe(0);
    expect(quota.used).toBe(PAGE);
  });

  it("PUNCH_HOLE|KEEP_SIZE frees whole pages, zeroes the partial edges and keeps the size", () => {
    const h = filled("/f", 4);
    expect(tfs.fallocate(h, PUNCH, PAGE / 2, 2 * PAGE)).toBe(0); // half of page 0, page 1, half of page 2
    expect(tfs.fstat(h)).toMatchObject({ size: 4 * PAGE, blocks: 3 * (PAGE / 512) });
    expect(quota.used).toBe(3 * PAGE);
    const all = bytes(h, 4 * PAGE, 0);
    expect(all.subarray(0, PAGE / 2).every((b) => b === 1)).toBe(true);
    expect(all.subarray(PAGE / 2, PAGE / 2 + 2 * PAGE).every((b) => b === 0)).toBe(true);
    expect(all.subarray(PAGE / 2 + 2 * PAGE, 3 * PAGE).every((b) => b === 3)).toBe(true);
    expect(all.subarray(3 * PAGE).every((b) => b === 4)).toBe(true);
    // A hole past the end, or over holes, changes nothing.
    expect(tfs.fallocate(h, PUNCH, 10 * PAGE, PAGE)).toBe(0);
    expect(tfs.fstat(h)).toMatchObject({ size: 4 * PAGE, blocks: 3 * (PAGE / 512) });
  });

  it("PUNCH_HOLE over the whole file releases every page to the quota", () => {
    const h = filled("/f", 3);
    expect(tfs.fallocate(h, PUNCH, 0, 2 ** 40)).toBe(0);
    expect(quota.used).toBe(0);
    expect(tfs.fstat(h)).toMatchObject({ size: 3 * PAGE, blocks: 0 });
    expect(bytes(h, 3 * PAGE, 0).every((b) => b === 0)).toBe(true);
  });

  it("ZERO_RANGE zeroes the range, allocating its holes, and grows the size unless KEEP_SIZE", () => {
    const h = filled("/f", 2);
    expect(tfs.fallocate(h, FALLOC_FL_ZERO_RANGE, 100, PAGE)).toBe(0);
    const all = bytes(h, 2 * PAGE, 0);
    expect(all.subarray(0, 100).every((b) => b === 1)).toBe(true);
    expect(all.subarray(100, 100 + PAGE).every((b) => b === 0)).toBe(true);
    expect(all.subarray(100 + PAGE).every((b) => b === 2)).toBe(true);
    expect(tfs.fstat(h)).toMatchObject({ size: 2 * PAGE, blocks: 2 * (PAGE / 512) });
    expect(tfs.fallocate(h, FALLOC_FL_ZERO_RANGE | KEEP_SIZE, 2 * PAGE, PAGE)).toBe(0);
    expect(tfs.fstat(h)).toMatchObject({ size: 2 * PAGE, blocks: 3 * (PAGE / 512) });
    expect(tfs.fallocate(h, FALLOC_FL_ZERO_RANGE, 3 * PAGE, 10)).toBe(0);
    expect(tfs.fstat(h)).toMatchObject({ size: 3 * PAGE + 10, blocks: 4 * (PAGE / 512) });
    expect(quota.used).toBe(4 * PAGE);
  });

  it("answers ENOSPC when the quota cannot hold the whole range, leaving nothing charged", () => {
    quota = quotaOf(4 * PAGE);
    tfs = new TmpFs({ dev: devs.next(), quota });
    const h = filled("/f", 1);
    expect(tfs.fallocate(h, 0, 0, 6 * PAGE)).toBe(-ENOSPC);
    expect(tfs.fallocate(h, FALLOC_FL_ZERO_RANGE, 0, 6 * PAGE)).toBe(-ENOSPC);
    expect(tfs.fallocate(h, 0, 0, 2 ** 50)).toBe(-ENOSPC);
    expect(quota.used).toBe(PAGE);
    expect(tfs.fstat(h)).toMatchObject({ size: PAGE, blocks: PAGE / 512 });
    expect(bytes(h, PAGE, 0).every((b) => b === 1)).toBe(true);
    expect(tfs.fallocate(h, 0, 0, 4 * PAGE)).toBe(0);
    expect(quota.used).toBe(4 * PAGE);
  });

  it("sets mtime and ctime", () => {
    const h = open("/f", O_RDWR | O_CREAT);
    const before = age("/f");
    expect(tfs.fallocate(h, KEEP_SIZE, 0, PAGE)).toBe(0);
    expect(stat("/f").mtimeNs).toBeGreaterThan(before.mtimeNs);
    expect(stat("/f").ctimeNs).toBeGreaterThanOrEqual(before.ctimeNs);
  });

  it("refuses bad ranges with EINVAL and modes Linux refuses or tmpfs lacks with EOPNOTSUPP", () => {
    const h = open("/f", O_RDWR | O_CREAT);
    expect(tfs.fallocate(h, 0, -1, PAGE)).toBe(-EINVAL);
    expect(tfs.fallocate(h, 0, 0, 0)).toBe(-EINVAL);
    expect(tfs.fallocate(h, 0, 0, -PAGE)).toBe(-EINVAL);
    for (const mode of [
      FALLOC_FL_PUNCH_HOLE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | KEEP_SIZE, FALLOC_FL_NO_HIDE_STALE,
      FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_COLLAPSE_RANGE | KEEP_SIZE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE, 0x100,
    ]) {
      expect(tfs.fallocate(h, mode, 0, PAGE)).toBe(-EOPNOTSUPP);
    }
    expect(tfs.fallocate(h, 0, 2 ** 53 - PAGE, 2 * PAGE)).toBe(-EFBIG);
    expect(tfs.fstat(h)).toMatchObject({ size: 0, blocks: 0 });
    expect(quota.used).toBe(0);
  });

  it("refuses handles not open for writing with EBADF, FIFOs with ESPIPE and devices with ENODEV", () => {
    write("/f", "x");
    expect(tfs.fallocate(open("/f", O_RDONLY), 0, 0, PAGE)).toBe(-EBADF);
    expect(tfs.fallocate(open("/f", O_PATH), 0, 0, PAGE)).toBe(-EBADF);
    expect(tfs.fallocate(99, 0, 0, PAGE)).toBe(-EBADF);
    // As Linux: the range is checked before the access mode.
    expect(tfs.fallocate(open("/f", O_RDONLY), 0, 0, 0)).toBe(-EINVAL);
    expect(tfs.mknod("/fifo", S_IFIFO | 0o644, 0)).toBe(0);
    expect(tfs.fallocate(open("/fifo", O_WRONLY), 0, 0, PAGE)).toBe(-ESPIPE);
    expect(tfs.mknod("/null", S_IFCHR | 0o666, 0x0103)).toBe(0);
    expect(tfs.fallocate(open("/null", O_WRONLY), 0, 0, PAGE)).toBe(-ENODEV);
  });
});
