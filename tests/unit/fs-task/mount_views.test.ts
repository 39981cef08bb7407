import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
// Mount views (FileSystem.setMountView, fs-task/_tree_walk.ts): one back end walked as
// several mounts, each from its own root, with its own edges. Over a TmpFs.

import { describe, expect, it } from "vitest";
import { CROSS_MOUNT, NO_HANDLE } from "../../../fs-task/file_system.ts";
import { TmpFs } from "../../../fs-task/tmpfs.ts";
import { EINVAL, ENOENT, ENOTDIR } from "../../../linux-abi/errno.ts";
import { O_CREAT, O_PATH, O_WRONLY } from "../../../linux-abi/fcntl.ts";

const devs = new AnonDevices();

/** /a/b/f, /a/abs → /x, /a/up → ../.., /a/c/ and /file; view 1 shows /a (covering /c), view 2 shows /file. */
function viewed(): TmpFs {
  const fs = new TmpFs({ dev: devs.next(), quota: { charge: () => true, release() {} } });
  fs.mkdir("/a", 0o755);
  fs.mkdir("/a/b", 0o755);
  fs.mkdir("/a/c", 0o755);
  fs.close(fs.open("/a/b/f", O_CREAT | O_WRONLY, 0o644) as number);
  fs.close(fs.open("/file", O_CREAT | O_WRONLY, 0o644) as number);
  fs.symlink("/x", "/a/abs");
  fs.symlink("../..", "/a/up");
  expect(fs.setMountView(0, NO_HANDLE, false, "")).toBe(0);
  expect(fs.setMountView(1, fs.open("/a", O_PATH, 0) as number, false, "/c")).toBe(0);
  expect(fs.setMountView(2, fs.open("/file", O_PATH, 0) as number, false, "")).toBe(0);
  return fs;
}

describe("mount views", () => {
  it("walk a path \\0N/rest from view N's root, and others from view 0's", () => {
    const fs = viewed();
    expect(fs.stat("\u00001/b/f", true)).toMatchObject({ ino: (fs.stat("/a/b/f", true) as { ino: number }).ino });
    expect(fs.realpath("\u00001/b/../b/f")).toBe("/b/f");
    expect(fs.realpath("/a/b/f")).toBe("/a/b/f");
    expect(fs.mkdir("\u00001/b/new", 0o755)).toBe(0);
    expect(typeof fs.stat("/a/b/new", true)).toBe("object");
  });

  it("leave by .. at a view's root, by an absolute symlink, and into its covered directories", () => {
    const fs = viewed();
    expect(fs.stat("\u00001/b/../..", true)).toBe(CROSS_MOUNT);
    expect(fs.crossing()).toMatchObject({ arg: 0, path: expect.stringMatching(/^\.\.\/+$/) });
    expect(fs.stat("\u00001/up/etc", true)).toBe(CROSS_MOUNT);
    expect(fs.crossing()).toEqual({ arg: 0, path: "../../etc" });
    expect(fs.stat("\u00001/abs/y", true)).toBe(CROSS_MOUNT);
    expect(fs.crossing()).toEqual({ arg: 0, path: "/x/y" });
    expect(fs.unlink("\u00001/c/z")).toBe(CROSS_MOUNT);
    expect(fs.crossing()).toEqual({ arg: 0, path: "c/z" });
    // The covered directory is view 1's alone.
    expect(typeof fs.stat("/a/c", true)).toBe("object");
  });

  it("show a file as the whole of a file view", () => {
    const fs = viewed();
    expect(fs.stat("\u00002/", true)).toMatchObject({ ino: (fs.stat("/file", true) as { ino: number }).ino });
    expect(fs.realpath("\u00002/")).toBe("/");
    expect(fs.stat("\u00002/x", true)).toBe(-ENOTDIR);
  });

  it("say ENOENT for an unknown view, and EINVAL for a view set out of order or a handle not open", () => {
    const fs = viewed();
    expect(fs.stat("\u00009/b", true)).toBe(-ENOENT);
    expect(fs.stat("\u0000x/b", true)).toBe(-ENOENT);
    expect(fs.setMountView(5, 0, false, "")).toBe(-EINVAL);
    expect(fs.setMountView(3, 99, false, "")).toBe(-EINVAL);
  });

  it("follow a view's root when it is renamed, and never look its old name up again", () => {
    const fs = viewed();
    expect(fs.rename("/a", "/moved", 0)).toBe(0);
    expect(fs.mkdir("/a", 0o755)).toBe(0);
    expect(fs.realpath("\u00001/b/f")).toBe("/b/f");
    expect(fs.stat("\u00001/b/f", true)).toMatchObject({ ino: (fs.stat("/moved/b/f", true) as { ino: number }).ino });
  });

  it("keep a removed view root as an empty directory nothing can be created in", () => {
    const fs = viewed();
    fs.mkdir("/e", 0o755);
    expect(fs.setMountView(3, fs.open("/e", O_PATH, 0) as number, false, "")).toBe(0);
    expect(fs.rmdir("/e")).toBe(0);
    expect(fs.stat("\u00003/", true)).toMatchObject({ nlink: 0 });
    expect(fs.mkdir("\u00003/d", 0o755)).toBe(-ENOENT);
    expect(fs.open("\u00003/f", O_CREAT | O_WRONLY, 0o644)).toBe(-ENOENT);
    expect(fs.symlink("x", "\u00003/l")).toBe(-ENOENT);
    expect(fs.rename("/a/b/f", "\u00003/f", 0)).toBe(-ENOENT);
  });

  it("forget views above 0 when view 0 is set again", () => {
    const fs = viewed();
    expect(fs.setMountView(0, NO_HANDLE, false, "")).toBe(0);
    expect(fs.stat("\u00001/b", true)).toBe(-ENOENT);
    expect(fs.setMountView(2, NO_HANDLE, false, "")).toBe(-EINVAL);
  });
});
