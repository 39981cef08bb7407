// HostFs mount views (FileSystem.setMountView), in every fs-task mode: a view's root is an
// open handle's host fd, so it follows its directory when the host renames it, and a name
// swapped for a symlink out of the volume afterwards changes nothing.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CROSS_MOUNT, NO_HANDLE, type FileSystem, type FsStat } from "../../../fs-task/file_system.ts";
import { EINVAL, ENOENT, ENOTDIR } from "../../../fs-task/_errno.ts";
import { O_PATH, O_RDONLY, O_RDWR } from "../../../fs-task/_flags.ts";
import { RENAME_EXCHANGE } from "../../../linux-abi/fs.ts";
import { FS_MODES, fsModes } from "./_modes.ts";

let base: string;
let vol: string;
let secret: string;
let hfs: FileSystem;

function handle(p: string, flags: number): number {
  const h = hfs.open(p, flags, 0);
  if (typeof h !== "number" || h < 0) throw new TypeError(`Cannot open ${p}: ${String(h)}`);
  return h;
}

function readAll(p: string): string | number {
  const h = hfs.open(p, O_RDONLY, 0);
  if (typeof h !== "number") throw new TypeError("Cannot test: open returned a Promise");
  if (h < 0) return h;
  const buf = new Uint8Array(256);
  const n = hfs.pread(h, buf, 0) as number;
  hfs.close(h);
  return new TextDecoder().decode(buf.subarray(0, n));
}

const ino = (st: FsStat | number): number => (typeof st === "number" ? st : st.ino);

describe.each(FS_MODES)("HostFs mount views in %s mode", (mode) => {
  const { mount } = fsModes(mode);
  /** View 1 shows /d (covering /d/c; /d/e is not covered), view 2 shows /file. */
  let dirRoot = 0;
  let fileRoot = 0;

  beforeEach(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-views-")));
    vol = path.join(base, "vol");
    secret = path.join(base, "secret");
    fs.mkdirSync(path.join(vol, "d", "c"), { recursive: true });
    fs.mkdirSync(path.join(vol, "d", "e"));
    fs.mkdirSync(secret);
    fs.writeFileSync(path.join(vol, "d", "f"), "inside");
    fs.writeFileSync(path.join(vol, "file"), "file");
    fs.writeFileSync(path.join(secret, "f"), "SECRET");
    fs.writeFileSync(path.join(secret, "file"), "SECRET");
    fs.symlinkSync("/x", path.join(vol, "d", "abs"));
    hfs = mount({ type: "hostfs", root: vol });
    dirRoot = handle("/d", O_PATH);
    fileRoot = handle("/file", O_PATH);
    expect(hfs.setMountView!(0, NO_HANDLE, false, "")).toBe(0);
    expect(hfs.setMountView!(1, dirRoot, false, "/c")).toBe(0);
    expect(hfs.setMountView!(2, fileRoot, false, "")).toBe(0);
  });

  afterEach(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("walks \\0N/rest from the view's root, and leaves it by .., absolute symlinks and covered directories", () => {
    expect(readAll("\u00001/f")).toBe("inside");
    expect(ino(hfs.stat("\u00001/f", true))).toBe(ino(hfs.stat("/d/f", true)));
    expect(hfs.realpath!("\u00001/e/../f")).toBe("/f");
    expect(hfs.stat("\u00001/..", true)).toBe(CROSS_MOUNT);
    expect(hfs.crossing!()).toMatchObject({ path: expect.stringMatching(/^\.\.\/*$/) });
    expect(hfs.stat("\u00001/abs/y", true)).toBe(CROSS_MOUNT);
    expect(hfs.crossing!()).toEqual({ arg: 0, path: "/x/y" });
    expect(hfs.stat("\u00001/c/z", true)).toBe(CROSS_MOUNT);
    expect(hfs.crossing!()).toEqual({ arg: 0, path: "c/z" });
    expect(hfs.mkdir("\u00001/new", 0o755)).toBe(0);
    expect(fs.statSync(path.join(vol, "d", "new")).isDirectory()).toBe(true);
  });

  it("follows the directory when the host renames it and puts a symlink out in its place", () => {
    fs.renameSync(path.join(vol, "d"), path.join(vol, "d.moved"));
    fs.symlinkSync(secret, path.join(vol, "d"));
    expect(readAll("\u00001/f")).toBe("inside");
    expect(hfs.realpath!("\u00001/f")).toBe("/f");
    // Swapped back and forth with RENAME_EXCHANGE, the view stays on the directory.
    expect(hfs.rename("/d", "/d.moved", RENAME_EXCHANGE)).toBe(0);
    expect(readAll("\u00001/f")).toBe("inside");
    const dir = handle("\u00001/e", O_RDONLY);
    expect(hfs.pathOf!(dir)).toBe("/d/e");
  });

  it("shows a single file as a file view, and answers ENOENT once another file has its name", () => {
    expect(hfs.stat("\u00002/", true)).toMatchObject({ size: 4 });
    expect(hfs.stat("\u00002/x", true)).toBe(-ENOTDIR);
    const h = handle("\u00002/", O_RDWR);
    expect(hfs.pwrite(h, new TextEncoder().encode("FILE"), 0)).toBe(4);
    hfs.close(h);
    expect(fs.readFileSync(path.join(vol, "file"), "utf8")).toBe("FILE");
    fs.renameSync(path.join(vol, "file"), path.join(vol, "file.moved"));
    fs.symlinkSync(path.join(secret, "file"), path.join(vol, "file"));
    expect(readAll("\u00002/")).toBe(-ENOENT);
    fs.unlinkSync(path.join(vol, "file"));
    fs.writeFileSync(path.join(vol, "file"), "other");
    expect(readAll("\u00002/")).toBe(-ENOENT);
    fs.rmSync(path.join(vol, "file"));
    fs.renameSync(path.join(vol, "file.moved"), path.join(vol, "file"));
    expect(readAll("\u00002/")).toBe("FILE");
  });

  it("answers ENOENT in a view whose root handle is closed, EINVAL for a handle not open, and forgets views when view 0 is set", () => {
    expect(hfs.close(fileRoot)).toBe(0);
    expect(readAll("\u00002/")).toBe(-ENOENT);
    expect(hfs.setMountView!(3, 99, false, "")).toBe(-EINVAL);
    expect(hfs.setMountView!(0, NO_HANDLE, false, "")).toBe(0);
    expect(readAll("\u00001/f")).toBe(-ENOENT);
  });
});
