import { describe, expect, it } from "vitest";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import { FsFile, Vfs, normalize, resolvePath } from "../../../libos/vfs.ts";

/** Only identity matters for routing; no method is called. */
function fakeFs(name: string): FileSystem {
  return { name } as unknown as FileSystem;
}

describe("normalize()", () => {
  it("normalize() folds . and .. and never climbs above the root", () => {
    expect(normalize("/a/../..")).toBe("/");
    expect(normalize("/../../etc")).toBe("/etc");
    expect(normalize("/a/b/../c/./d/..")).toBe("/a/c");
  });

  it("normalize() collapses repeated and trailing slashes", () => {
    expect(normalize("//x/./y/")).toBe("/x/y");
    expect(normalize("///")).toBe("/");
    expect(normalize("")).toBe("/");
  });

  it("normalize() keeps names that only look like dots", () => {
    expect(normalize("/a/.../b")).toBe("/a/.../b");
    expect(normalize("/.hidden/..x")).toBe("/.hidden/..x");
  });
});

describe("resolvePath()", () => {
  it("resolvePath() joins a relative path to the cwd", () => {
    expect(resolvePath("/home/user", "docs/a.txt")).toBe("/home/user/docs/a.txt");
    expect(resolvePath("/home/user", "../other/./f")).toBe("/home/other/f");
    expect(resolvePath("/", "a")).toBe("/a");
    expect(resolvePath("/home/user", ".")).toBe("/home/user");
    expect(resolvePath("/home", "../../..")).toBe("/");
  });

  it("resolvePath() ignores the cwd for an absolute path", () => {
    expect(resolvePath("/home/user", "/etc//passwd")).toBe("/etc/passwd");
  });
});

describe("Vfs", () => {
  it("route() picks the longest mount prefix and strips it", () => {
    const root = fakeFs("root"), dev = fakeFs("dev"), devices = fakeFs("devices");
    const vfs = new Vfs();
    vfs.mount("/", root);
    vfs.mount("/dev", dev);
    vfs.mount("/devices", devices);
    expect(vfs.route("/dev/null")).toEqual({ fs: dev, inner: "/null" });
    expect(vfs.route("/devices/x")).toEqual({ fs: devices, inner: "/x" });
    expect(vfs.route("/dev")).toEqual({ fs: dev, inner: "/" });
    expect(vfs.route("/devnull")).toEqual({ fs: root, inner: "/devnull" });
    expect(vfs.route("/etc/passwd")).toEqual({ fs: root, inner: "/etc/passwd" });
    expect(vfs.route("/")).toEqual({ fs: root, inner: "/" });
  });

  it("route() does not let a shorter mount match a sibling with the same prefix", () => {
    const root = fakeFs("root"), dev = fakeFs("dev");
    const vfs = new Vfs();
    vfs.mount("/dev", dev);
    vfs.mount("/", root);
    expect(vfs.route("/devices/x")).toEqual({ fs: root, inner: "/devices/x" });
  });

  it("mount() normalises the mount point and route() prefers nested mounts", () => {
    const root = fakeFs("root"), a = fakeFs("a"), ab = fakeFs("ab");
    const vfs = new Vfs();
    vfs.mount("/mnt/a/b/", ab);
    vfs.mount("/", root);
    vfs.mount("//mnt/./a", a);
    expect(vfs.mounts.map((m) => m.at)).toEqual(["/mnt/a/b", "/mnt/a", "/"]);
    expect(vfs.route("/mnt/a/b/c")).toEqual({ fs: ab, inner: "/c" });
    expect(vfs.route("/mnt/a/bc")).toEqual({ fs: a, inner: "/bc" });
    expect(vfs.route("/mnt")).toEqual({ fs: root, inner: "/mnt" });
  });

  it("route() throws when no root is mounted", () => {
    const vfs = new Vfs();
    vfs.mount("/dev", fakeFs("dev"));
    expect(() => vfs.route("/etc")).toThrow("Cannot route path: no root file system mounted");
  });
});

describe("FsFile", () => {
  it("FsFile is seekable for regular files, directories and block devices only", () => {
    const fs = fakeFs("x");
    expect(new FsFile(fs, 1, "/f", 0o100644).seekable).toBe(true);
    expect(new FsFile(fs, 1, "/d", 0o040755).seekable).toBe(true);
    expect(new FsFile(fs, 1, "/b", 0o060600).seekable).toBe(true);
    expect(new FsFile(fs, 1, "/c", 0o020666).seekable).toBe(false);
    expect(new FsFile(fs, 1, "/p", 0o010600).seekable).toBe(false);
  });
});
