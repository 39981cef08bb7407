// DevFs: the behaviour of each device node, stat numbers, the /dev listing and the
// fixed node set, in each fs-task mode (inproc, ipc, worker).

import { describe, expect, it } from "vitest";
import type { FileSystem, FsStat } from "../../../fs-task/file_system.ts";
import { FS_MODES, fsModes } from "./_modes.ts";
import {
  EACCES, EBADF, EEXIST, EINVAL, EISDIR, ENOENT, ENOSPC, ENOTDIR, ENXIO, EPERM,
} from "../../../fs-task/_errno.ts";
import {
  DT_BLK, DT_CHR, DT_DIR, DT_LNK, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, RENAME_EXCHANGE,
  RENAME_NOREPLACE, S_IFBLK, S_IFCHR, S_IFDIR, X_OK,
} from "../../../fs-task/_flags.ts";
import { RENAME_WHITEOUT } from "../../../linux-abi/fs.ts";

function open(fsys: FileSystem, p: string, flags: number): number {
  const h = fsys.open(p, flags, 0);
  if (typeof h !== "number") throw new TypeError("Cannot test: open returned a Promise");
  expect(h).toBeGreaterThanOrEqual(0);
  return h;
}

function readSync(fsys: FileSystem, h: number, buf: Uint8Array): number {
  const n = fsys.pread(h, buf, 0);
  if (typeof n !== "number") throw new TypeError("Cannot test: pread returned a Promise");
  return n;
}

describe.each(FS_MODES)("DevFs in %s mode", (mode) => {
  const { mount, mountShared } = fsModes(mode);
  const dev = mountShared({ type: "devfs" });

  describe("DevFs devices", () => {
    it("/dev/null reads end of file and swallows writes", () => {
      const h = open(dev, "/null", O_RDWR);
      expect(readSync(dev, h, new Uint8Array(16))).toBe(0);
      expect(dev.pwrite(h, new Uint8Array(100), 0)).toBe(100);
    });

    it("/dev/null opens with O_WRONLY|O_CREAT|O_TRUNC, as a shell redirection does", () => {
      expect(dev.open("/null", O_WRONLY | O_CREAT | O_TRUNC, 0o666)).toBeGreaterThanOrEqual(0);
    });

    it("/dev/zero reads zeros", () => {
      const h = open(dev, "/zero", O_RDONLY);
      const buf = new Uint8Array(64).fill(0xaa);
      expect(readSync(dev, h, buf)).toBe(64);
      expect(buf.every((b) => b === 0)).toBe(true);
    });

    it("/dev/full reads zeros and refuses writes with ENOSPC", () => {
      const h = open(dev, "/full", O_RDWR);
      const buf = new Uint8Array(8).fill(1);
      expect(readSync(dev, h, buf)).toBe(8);
      expect(buf.every((b) => b === 0)).toBe(true);
      expect(dev.pwrite(h, new Uint8Array(1), 0)).toBe(-ENOSPC);
    });

    it("/dev/urandom and /dev/random give bytes that differ between reads", () => {
      for (const name of ["/urandom", "/random"]) {
        const h = open(dev, name, O_RDONLY);
        const a = new Uint8Array(32);
        const b = new Uint8Array(32);
        expect(readSync(dev, h, a)).toBe(32);
        expect(readSync(dev, h, b)).toBe(32);
        expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
      }
    });

    it("refuses a read on a write-only handle with EBADF", () => {
      expect(dev.pread(open(dev, "/zero", O_WRONLY), new Uint8Array(1), 0)).toBe(-EBADF);
      expect(dev.pwrite(open(dev, "/zero", O_RDONLY), new Uint8Array(1), 0)).toBe(-EBADF);
    });
  });

  describe("DevFs terminal nodes", () => {
    it("opens tty, console and ptmx as nodes whose I/O is the kernel-task's (ENXIO here)", () => {
      for (const name of ["/tty", "/console", "/ptmx"]) {
        const h = open(dev, name, O_RDWR);
        expect(dev.isatty(h)).toBe(true);
        expect(dev.pread(h, new Uint8Array(4), 0)).toBe(-ENXIO);
        expect(dev.pwrite(h, new Uint8Array(4), 0)).toBe(-ENXIO);
        expect(dev.close(h)).toBe(0);
      }
    });
  });

  describe("DevFs loop nodes", () => {
    it("has /dev/loop-control (c 10,237) and /dev/loop0-7 (b 7,N), mode 0660, whose I/O is the kernel-task's", () => {
      expect(dev.stat("/loop-control", true)).toMatchObject({ mode: S_IFCHR | 0o660, rdev: 10 * 256 + 237 });
      for (let n = 0; n < 8; n++) expect(dev.stat(`/loop${n}`, true)).toMatchObject({ mode: S_IFBLK | 0o660, rdev: 7 * 256 + n });
      expect(dev.stat("/loop8", true)).toBe(-ENOENT);
      const h = open(dev, "/loop0", O_RDWR);
      expect(dev.isatty(h)).toBe(false);
      expect(dev.pread(h, new Uint8Array(4), 0)).toBe(-ENXIO);
      expect(dev.pwrite(h, new Uint8Array(4), 0)).toBe(-ENXIO);
      expect(dev.close(h)).toBe(0);
    });
  });

  describe("DevFs.stat()", () => {
    it("reports Linux's device numbers and S_IFCHR|0666", () => {
      const expected: [string, number, number][] = [
        ["/null", 1, 3], ["/zero", 1, 5], ["/full", 1, 7], ["/random", 1, 8], ["/urandom", 1, 9], ["/tty", 5, 0], ["/ptmx", 5, 2],
      ];
      for (const [name, major, minor] of expected) {
        const st = dev.stat(name, true) as FsStat;
        expect(st.rdev, name).toBe(major * 256 + minor);
        expect(st.mode, name).toBe(S_IFCHR | 0o666);
      }
    });

    it("fstat() on a handle matches stat()", () => {
      expect(dev.fstat(open(dev, "/zero", O_RDONLY))).toEqual(dev.stat("/zero", true));
    });

    it("stats the root as a directory and refuses unknown names with ENOENT", () => {
      expect((dev.stat("/", true) as FsStat).mode).toBe(S_IFDIR | 0o755);
      expect(dev.stat("/sda", true)).toBe(-ENOENT);
      expect(dev.stat("/null/x", true)).toBe(-ENOTDIR);
      expect(dev.stat("/../null", true)).toMatchObject({ rdev: 259 });
    });
  });

  describe("DevFs.readdir()", () => {
    it("lists ., .., every device, link and directory exactly once across pages", () => {
      const h = open(dev, "/", O_RDONLY | O_DIRECTORY);
      const names: string[] = [];
      let cookie = 0;
      for (;;) {
        const page = dev.readdir(h, cookie, 3);
        if (typeof page === "number") throw new TypeError(`Cannot list: ${page}`);
        if (page.entries.length === 0) break;
        for (const e of page.entries) {
          names.push(e.name);
          const type = e.name.startsWith(".") || e.name === "shm" || e.name === "pts" ? DT_DIR
            : ["fd", "stdin", "stdout", "stderr"].includes(e.name) ? DT_LNK : /^loop\d$/.test(e.name) ? DT_BLK : DT_CHR;
          expect(e.type, e.name).toBe(type);
        }
        cookie = page.nextCookie;
      }
      const loops = Array.from({ length: 8 }, (_, n) => `loop${n}`);
      expect(names.sort()).toEqual([
        ".", "..", "console", "fd", "full", ...loops.slice(0, 1), "loop-control", ...loops.slice(1), "null", "ptmx", "pts", "random",
        "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero",
      ].sort());
    });

    it("refuses a device handle with ENOTDIR", () => {
      expect(dev.readdir(open(dev, "/null", O_RDONLY), 0, 10)).toBe(-ENOTDIR);
    });
  });

  describe("DevFs open() and path operations", () => {
    it("checks flags against the node kind", () => {
      expect(dev.open("/null", O_RDONLY | O_DIRECTORY, 0)).toBe(-ENOTDIR);
      expect(dev.open("/", O_WRONLY, 0)).toBe(-EISDIR);
      expect(dev.open("/null", O_WRONLY | O_CREAT | O_EXCL, 0o666)).toBe(-EEXIST);
      expect(dev.open("/sda", O_RDONLY, 0)).toBe(-ENOENT);
      expect(dev.open("/newfile", O_WRONLY | O_CREAT, 0o666)).toBe(-EPERM);
      expect(dev.open("/null", 3, 0)).toBe(-EINVAL);
    });

    it("keeps its node set fixed", () => {
      expect(dev.mkdir("/mqueue", 0o755)).toBe(-EPERM);
      expect(dev.mkdir("/shm", 0o755)).toBe(-EEXIST);
      expect(dev.mkdir("/null", 0o755)).toBe(-EEXIST);
      expect(dev.unlink("/null")).toBe(-EPERM);
      expect(dev.unlink("/sda")).toBe(-ENOENT);
      expect(dev.rename("/null", "/nothing", 0)).toBe(-EPERM);
      expect(dev.rename("/null", "/zero", RENAME_EXCHANGE)).toBe(-EPERM);
      expect(dev.rename("/null", "/zero", RENAME_NOREPLACE)).toBe(-EEXIST);
      expect(dev.rename("/null", "/nothing", RENAME_EXCHANGE)).toBe(-ENOENT);
      expect(dev.rename("/null", "/nothing", RENAME_WHITEOUT)).toBe(-EINVAL);
      expect(dev.symlink("/proc/self/fd/0", "/stdin")).toBe(-EEXIST);
      expect(dev.symlink("/proc/self/fd/0", "/input")).toBe(-EPERM);
      expect(dev.rmdir("/null")).toBe(-ENOTDIR);
    });

    it("readlink() and ftruncate() refuse with EINVAL", () => {
      expect(dev.readlink("/null")).toBe(-EINVAL);
      expect(dev.ftruncate(open(dev, "/null", O_WRONLY), 0)).toBe(-EINVAL);
    });

    it("access() grants read and write but not execute", () => {
      expect(dev.access("/null", 6)).toBe(0);
      expect(dev.access("/null", X_OK)).toBe(-EACCES);
      expect(dev.access("/", X_OK)).toBe(0);
    });

    it("chmod() and utimens() change the node in memory", () => {
      const fresh = mount({ type: "devfs" });
      expect(fresh.chmod("/null", 0o600)).toBe(0);
      expect(fresh.utimens("/null", 5n, "omit", true)).toBe(0);
      expect(fresh.stat("/null", true)).toMatchObject({ mode: S_IFCHR | 0o600, atimeNs: 5n });
    });

    it("isatty() is false for /dev/null and close() frees the handle", () => {
      const h = open(dev, "/null", O_RDONLY);
      expect(dev.isatty(h)).toBe(false);
      expect(dev.close(h)).toBe(0);
      expect(dev.close(h)).toBe(-EBADF);
    });
  });
});
