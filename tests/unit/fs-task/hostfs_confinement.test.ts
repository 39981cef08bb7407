// The HostFs escape matrix: no guest path, "..", absolute symlink, symlink chain or loop
// may read, list, change or create anything outside the root. A secret file is planted
// next to the root, and every attempt must fail or land inside the root.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import { FS_MODES, fsModes } from "./_modes.ts";
import { ELOOP, ENOENT } from "../../../fs-task/_errno.ts";
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE } from "../../../fs-task/_flags.ts";

const SECRET = "TOP-SECRET-OUTSIDE-ROOT";

let base: string;
let root: string;
let secretPath: string;
let hfs: FileSystem;

/** Opens and reads everything; returns the text or the errno. */
function slurp(guestPath: string): string | number {
  const h = hfs.open(guestPath, O_RDONLY, 0);
  if (typeof h !== "number") throw new TypeError("Cannot test: open returned a Promise");
  if (h < 0) return h;
  const buf = new Uint8Array(4096);
  const n = hfs.pread(h, buf, 0);
  hfs.close(h);
  if (typeof n !== "number") throw new TypeError("Cannot test: pread returned a Promise");
  return n < 0 ? n : new TextDecoder().decode(buf.subarray(0, n));
}

function link(target: string, at: string): void {
  fs.symlinkSync(target, path.join(root, at));
}

/** Every way in which a guest path could leak the secret. */
function expectNoLeak(guestPath: string): void {
  const read = slurp(guestPath);
  expect(read).not.toBe(SECRET);
  expect(typeof read === "string" && read.includes(SECRET)).toBe(false);
  const st = hfs.stat(guestPath, true);
  if (typeof st !== "number") expect(st.ino).not.toBe(fs.statSync(secretPath).ino);
}

describe.each(FS_MODES)("HostFs confinement in %s mode", (mode) => {
  const { mount } = fsModes(mode);

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-escape-"));
    root = path.join(base, "root");
    fs.mkdirSync(path.join(root, "a", "b"), { recursive: true });
    secretPath = path.join(base, "secret.txt");
    fs.writeFileSync(secretPath, SECRET);
    hfs = mount({ type: "hostfs", root });
  });

  afterEach(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  describe("HostFs confinement", () => {
    it("HostFs.open() refuses ../ escapes", () => {
      expect(slurp("/../secret.txt")).toBe(-ENOENT);
      expect(slurp("/../../etc/passwd")).toBe(-ENOENT);
      expect(slurp("../../../../../../etc/passwd")).toBe(-ENOENT);
      expect(slurp("/a/b/../../../secret.txt")).toBe(-ENOENT);
      expectNoLeak("/../secret.txt");
    });

    it("HostFs.open() resolves .. at the root to the root", () => {
      fs.writeFileSync(path.join(root, "secret.txt"), "inside");
      expect(slurp("/../../secret.txt")).toBe("inside");
      expect(slurp("/a/../../../secret.txt")).toBe("inside");
    });

    it("HostFs.open() resolves an absolute symlink inside the root", () => {
      link("/etc/passwd", "passwd");
      expect(slurp("/passwd")).toBe(-ENOENT);
      fs.mkdirSync(path.join(root, "etc"));
      fs.writeFileSync(path.join(root, "etc", "passwd"), "root:x:0:0::/root:/bin/sh\n");
      expect(slurp("/passwd")).toBe("root:x:0:0::/root:/bin/sh\n");
    });

    it("HostFs.open() does not follow a symlink to the secret's host path", () => {
      link(secretPath, "direct");
      link(base, "basedir");
      expect(slurp("/direct")).toBe(-ENOENT);
      expect(slurp("/basedir/secret.txt")).toBe(-ENOENT);
      expectNoLeak("/direct");
    });

    it("HostFs.open() keeps a relative symlink that climbs with .. inside the root", () => {
      link("../../../secret.txt", "a/b/up");
      link("../..", "a/b/top");
      expect(slurp("/a/b/up")).toBe(-ENOENT);
      expect(slurp("/a/b/top/secret.txt")).toBe(-ENOENT);
      expect(slurp("/a/b/top/../../secret.txt")).toBe(-ENOENT);
      expectNoLeak("/a/b/up");
    });

    it("HostFs.open() keeps a chain of symlinks inside the root", () => {
      link("l2", "l1");
      link("a/l3", "l2");
      link("b/l4", "a/l3");
      link("../../../../secret.txt", "a/b/l4");
      expect(slurp("/l1")).toBe(-ENOENT);
      expectNoLeak("/l1");
      link("..", "a/b/dotdot");
      link("a/b/dotdot/b/dotdot/../..", "chain-dir");
      expect(slurp("/chain-dir/secret.txt")).toBe(-ENOENT);
    });

    it("HostFs.open() refuses a symlink loop with ELOOP", () => {
      link("loop2", "loop1");
      link("loop1", "loop2");
      link("self", "self");
      expect(slurp("/loop1")).toBe(-ELOOP);
      expect(slurp("/self")).toBe(-ELOOP);
      expect(slurp("/self/x")).toBe(-ELOOP);
      expect(hfs.stat("/loop1", true)).toBe(-ELOOP);
    });

    it("HostFs.open() refuses more than 40 symlinks in one lookup with ELOOP", () => {
      fs.writeFileSync(path.join(root, "end"), "end");
      for (let i = 0; i < 41; i++) link(i === 40 ? "end" : `s${i + 1}`, `s${i}`);
      expect(slurp("/s1")).toBe("end");
      expect(slurp("/s0")).toBe(-ELOOP);
    });

    it("HostFs.readdir() on an escaping directory symlink lists the root", () => {
      link("../../..", "a/b/out");
      const h = hfs.open("/a/b/out", O_RDONLY | O_DIRECTORY, 0);
      if (typeof h !== "number" || h < 0) throw new TypeError(`Cannot open: ${String(h)}`);
      const page = hfs.readdir(h, 0, 100);
      if (typeof page === "number") throw new TypeError(`Cannot list: ${page}`);
      const names = page.entries.map((e) => e.name);
      expect(names).toContain("a");
      expect(names).not.toContain("secret.txt");
      expect(names).not.toContain("root");
    });

    it("HostFs.readdir() lists the opened directory after its old path leads out of root", () => {
      fs.writeFileSync(path.join(base, "outside-only"), "");
      const h = hfs.open("/a", O_RDONLY | O_DIRECTORY, 0);
      if (typeof h !== "number" || h < 0) throw new TypeError(`Cannot open: ${String(h)}`);
      expect(hfs.rename("/a", "/moved", 0)).toBe(0);
      fs.symlinkSync(base, path.join(root, "a")); // a host-path target: data to the guest, a way out to the host
      const page = hfs.readdir(h, 0, 100);
      if (typeof page === "number") throw new TypeError(`Cannot list: ${page}`);
      expect(page.entries.map((e) => e.name).sort()).toEqual([".", "..", "b"]);
      expect(page.entries.find((e) => e.name === "..")?.ino).toBe(fs.statSync(root).ino);
      expect(hfs.fstat(h)).toMatchObject({ ino: fs.statSync(path.join(root, "moved")).ino });
    });

    it("HostFs.stat() and readlink() stay inside the root", () => {
      link(secretPath, "direct");
      expect(hfs.stat("/direct", true)).toBe(-ENOENT);
      expect(hfs.stat("/../secret.txt", true)).toBe(-ENOENT);
      expect(hfs.readlink("/../secret.txt")).toBe(-ENOENT);
      expect(hfs.access("/../secret.txt", 0)).toBe(-ENOENT);
    });

    it("creating through escapes lands inside the root or fails", () => {
      link("/pwned-abs", "abs-dangling");
      link("../../../pwned-rel", "a/b/rel-dangling");
      link(base, "basedir");
      const creates = ["/../pwned", "/abs-dangling", "/a/b/rel-dangling", "/basedir/pwned"];
      for (const p of creates) {
        const h = hfs.open(p, O_WRONLY | O_CREAT, 0o644);
        if (typeof h === "number" && h >= 0) hfs.close(h);
      }
      expect(hfs.mkdir("/../pwned-dir", 0o755)).toBe(0);
      expect(hfs.symlink("/", "/../pwned-link")).toBe(0);
      fs.writeFileSync(path.join(root, "f"), "f");
      expect(hfs.rename("/f", "/../../pwned-renamed", 0)).toBe(0);
      expect(hfs.link("/pwned-renamed", "/../pwned-hard")).toBe(0);
      expect(fs.readdirSync(base).sort()).toEqual(["root", "secret.txt"]);
      expect(fs.readdirSync(root).sort()).toEqual([
        "a", "abs-dangling", "basedir", "pwned", "pwned-abs", "pwned-dir", "pwned-hard",
        "pwned-link", "pwned-rel", "pwned-renamed",
      ]);
    });

    it("changing through escapes never touches the secret", () => {
      link(secretPath, "direct");
      link("../../../secret.txt", "a/b/up");
      expect(hfs.chmod("/direct", 0o777)).toBe(-ENOENT);
      expect(hfs.unlink("/../secret.txt")).toBe(-ENOENT);
      expect(hfs.utimens("/a/b/up", 0n, 0n, true)).toBe(-ENOENT);
      expect(hfs.rename("/../secret.txt", "/stolen", 0)).toBe(-ENOENT);
      expect(hfs.link("/../secret.txt", "/stolen")).toBe(-ENOENT);
      const h = hfs.open("/a/b/up", O_WRONLY | O_CREAT, 0o644);
      if (typeof h === "number" && h >= 0) hfs.close(h);
      expect(fs.readFileSync(secretPath, "utf8")).toBe(SECRET);
      expect(fs.statSync(secretPath).mtimeMs).toBeGreaterThan(0);
    });

    it("RENAME_EXCHANGE and RENAME_NOREPLACE through escapes stay inside the root", () => {
      fs.writeFileSync(path.join(root, "f"), "f");
      link(secretPath, "direct");
      link("../../../secret.txt", "a/b/up");
      expect(hfs.rename("/f", "/../secret.txt", RENAME_EXCHANGE)).toBe(-ENOENT);
      expect(hfs.rename("/../../secret.txt", "/f", RENAME_EXCHANGE)).toBe(-ENOENT);
      // A symlink is swapped as itself, never followed.
      expect(hfs.rename("/f", "/direct", RENAME_EXCHANGE)).toBe(0);
      expect(fs.readlinkSync(path.join(root, "f"))).toBe(secretPath);
      expect(hfs.rename("/a/b/up", "/direct", RENAME_EXCHANGE)).toBe(0);
      expect(fs.readFileSync(path.join(root, "a", "b", "up"), "utf8")).toBe("f");
      expect(hfs.rename("/a/b/up", "/../../landed", RENAME_NOREPLACE)).toBe(0);
      expect(fs.readFileSync(path.join(root, "landed"), "utf8")).toBe("f");
      expect(fs.readdirSync(base).sort()).toEqual(["root", "secret.txt"]);
      expect(fs.readFileSync(secretPath, "utf8")).toBe(SECRET);
    });

    it("a symlink planted with a host path is only ever read as data", () => {
      link(secretPath, "direct");
      expect(hfs.readlink("/direct")).toBe(secretPath);
      const h = hfs.open("/direct", O_RDONLY, 0);
      expect(h).toBe(-ENOENT);
    });
  });
});
