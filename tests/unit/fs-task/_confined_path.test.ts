// ConfinedRoot.resolve(): the component-by-component walk, through directory fds, that
// confines HostFs to its root; and the /proc/self/fd property it rests on.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfinedRoot, fdPath, HOST_O_PATH, openHostDirectory, pin, type Resolved } from "../../../fs-task/_confined_path.ts";
import { ELOOP, ENOENT, ENOTDIR } from "../../../fs-task/_errno.ts";

let base: string;
let root: string;
let confined: ConfinedRoot;
const held: Resolved[] = [];

/** resolve(), failing the test on an errno; released after the test. */
function resolve(guestPath: string, follow = true): Resolved {
  const r = confined.resolve(guestPath, follow);
  if (typeof r === "number") throw new TypeError(`Cannot resolve ${guestPath}: ${r}`);
  held.push(r);
  return r;
}

const ino = (p: fs.PathLike): bigint => fs.lstatSync(p, { bigint: true }).ino;
const fdIno = (fd: number): bigint => fs.fstatSync(fd, { bigint: true }).ino;
const openFds = (): number => fs.readdirSync("/proc/self/fd").length;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "confined-")));
  root = path.join(base, "root");
  fs.mkdirSync(path.join(root, "d", "e", "g"), { recursive: true });
  fs.writeFileSync(path.join(root, "d", "f"), "inside");
  fs.writeFileSync(path.join(base, "f"), "OUTSIDE");
  fs.symlinkSync("/d", path.join(root, "abs"));
  fs.symlinkSync("d/f", path.join(root, "tofile"));
  fs.symlinkSync("loop", path.join(root, "loop"));
  confined = new ConfinedRoot(openHostDirectory(root).fd);
});

afterEach(() => {
  for (const r of held.splice(0)) r.release();
});

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe("/proc/self/fd/<fd>/<name>", () => {
  it("looks name up in the open directory after its path became a symlink out", () => {
    const dir = path.join(base, "swap");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "f"), "original");
    const fd = fs.openSync(dir, HOST_O_PATH | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    try {
      fs.renameSync(dir, `${dir}.x`);
      fs.symlinkSync(base, dir);
      expect(fs.readFileSync(path.join(dir, "f"), "utf8")).toBe("OUTSIDE");
      expect(fs.readFileSync(fdPath(fd, "f"), "utf8")).toBe("original");
      expect(() => fs.openSync(dir, HOST_O_PATH | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW)).toThrow(/ENOTDIR/);
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe("ConfinedRoot.resolve()", () => {
  it("resolves the root and plain paths to a directory fd and a name", () => {
    const top = resolve("/");
    expect(top).toMatchObject({ name: ".", isRoot: true, guestPath: "/" });
    expect(top.stat?.ino).toBe(ino(root));
    expect(ino(top.at)).toBe(ino(root));
    const f = resolve("/d/f");
    expect(f).toMatchObject({ name: "f", isRoot: false, guestPath: "/d/f", at: fdPath(f.dirFd, "f") });
    expect(fdIno(f.dirFd)).toBe(ino(path.join(root, "d")));
    expect(f.stat?.ino).toBe(ino(path.join(root, "d", "f")));
  });

  it("names a directory by its parent and its name", () => {
    const e = resolve("/d/e");
    expect(e).toMatchObject({ name: "e", guestPath: "/d/e" });
    expect(fdIno(e.dirFd)).toBe(ino(path.join(root, "d")));
  });

  it("keeps .. at the root", () => {
    expect(resolve("/../../d/../..")).toMatchObject({ isRoot: true, guestPath: "/" });
  });

  it("restarts an absolute symlink target at the root", () => {
    const r = resolve("/abs/f");
    expect(r.guestPath).toBe("/d/f");
    expect(fs.readFileSync(r.at, "utf8")).toBe("inside");
  });

  it("follows a final symlink only when asked", () => {
    expect(resolve("/tofile", true).guestPath).toBe("/d/f");
    const r = resolve("/tofile", false);
    expect(r.guestPath).toBe("/tofile");
    expect(r.stat?.isSymbolicLink()).toBe(true);
  });

  it("returns a null stat for a missing last component", () => {
    expect(resolve("/d/new")).toMatchObject({ name: "new", guestPath: "/d/new", stat: null });
  });

  it("returns ENOENT, ENOTDIR and ELOOP", () => {
    expect(confined.resolve("", true)).toBe(-ENOENT);
    expect(confined.resolve("/nope/x", true)).toBe(-ENOENT);
    expect(confined.resolve("/nope/.", true)).toBe(-ENOENT);
    expect(confined.resolve("/d/f/x", true)).toBe(-ENOTDIR);
    expect(confined.resolve("/tofile/", false)).toBe(-ENOTDIR);
    expect(confined.resolve("/loop", true)).toBe(-ELOOP);
  });

  it("keeps only the directories it caches open: no fd left by a release, an errno or going back up", () => {
    const walks = (): void => {
      const r = confined.resolve("/d/e/g/../../../abs/e/g/../../f", true);
      if (typeof r === "number") throw new TypeError(`Cannot resolve: ${r}`);
      r.release();
      expect(confined.resolve("/d/e/nope/x", true)).toBe(-ENOENT);
      expect(confined.resolve("/d/f/x", true)).toBe(-ENOTDIR);
    };
    walks();
    const cached = openFds();
    walks();
    walks();
    expect(openFds()).toBe(cached);
  });

  it("caches a bounded number of directories", () => {
    const before = openFds();
    for (let i = 0; i < 100; i++) fs.mkdirSync(path.join(root, "many", `d${i}`), { recursive: true });
    for (let i = 0; i < 100; i++) resolve(`/many/d${i}/x`).release();
    expect(openFds() - before).toBeLessThanOrEqual(64);
  });

  it("walks a directory renamed and replaced since it was cached as a fresh walk would", () => {
    fs.mkdirSync(path.join(root, "c", "sub"), { recursive: true });
    fs.writeFileSync(path.join(root, "c", "sub", "f"), "old");
    expect(resolve("/c/sub/f").stat?.size).toBe(3n);
    fs.renameSync(path.join(root, "c"), path.join(root, "c.old"));
    fs.mkdirSync(path.join(root, "c", "sub"), { recursive: true });
    fs.writeFileSync(path.join(root, "c", "sub", "f"), "new!");
    expect(resolve("/c/sub/f").stat?.size).toBe(4n);
    // A symlink out of the root put where a cached directory was is walked as a symlink.
    fs.renameSync(path.join(root, "c"), path.join(root, "c.new"));
    fs.symlinkSync(base, path.join(root, "c"));
    expect(confined.resolve("/c/f", true)).toBe(-ENOENT); // "/" + base + "/f", inside the root
  });

  it("keeps naming the walked directory's entry after a directory on the way is swapped out", () => {
    fs.mkdirSync(path.join(root, "s"));
    fs.writeFileSync(path.join(root, "s", "f"), "inside-s");
    const r = resolve("/s/f");
    fs.renameSync(path.join(root, "s"), path.join(root, "s.x"));
    fs.symlinkSync(base, path.join(root, "s"));
    expect(fs.readFileSync(r.at, "utf8")).toBe("inside-s");
    expect(confined.resolve("/s/f", true)).toBe(-ENOENT); // the symlink, walked: "/" + base + "/f"
  });
});

describe("pin()", () => {
  it("acts on a symlink swapped in after the walk, not on its target", () => {
    fs.writeFileSync(path.join(root, "p"), "");
    const r = resolve("/p");
    fs.unlinkSync(path.join(root, "p"));
    fs.symlinkSync(path.join(base, "f"), path.join(root, "p"));
    expect(pin(r, (p) => fs.statSync(p).isSymbolicLink())).toBe(true);
    expect(pin(r, (p) => fs.statSync(p).ino)).not.toBe(fs.statSync(path.join(base, "f")).ino);
  });
});
