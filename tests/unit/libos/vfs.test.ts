import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
import { describe, expect, it } from "vitest";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import { TmpFs } from "../../../fs-task/tmpfs.ts";
import { ELOOP, EXDEV } from "../../../linux-abi/errno.ts";
import { O_CREAT, O_WRONLY } from "../../../linux-abi/fcntl.ts";
import { FsFile, Vfs, joinPath, normalize } from "../../../libos/vfs.ts";

const devs = new AnonDevices();

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

describe("joinPath()", () => {
  it("joins a relative path to the base and folds nothing (the walk applies ..)", () => {
    expect(joinPath("/home/user", "docs/a.txt")).toBe("/home/user/docs/a.txt");
    expect(joinPath("/home/user", "../other/./f")).toBe("/home/user/../other/./f");
    expect(joinPath("/", "a")).toBe("/a");
    expect(joinPath("/home/user", "/etc//passwd")).toBe("/etc//passwd");
  });
});

const INFO = { source: "test", type: "tmpfs", readOnly: false };

/** Routing and mount points only: a TmpFs per mount, with its quota unlimited. */
function tmpfs(): TmpFs {
  return new TmpFs({ dev: devs.next(), quota: { charge: () => true, release() {} } });
}

describe("Vfs.route()", () => {
  it("picks the longest mount prefix of whole components and strips it", () => {
    const root = tmpfs(), dev = tmpfs(), devices = tmpfs();
    const vfs = new Vfs();
    vfs.mount("/", root, INFO);
    vfs.mount("/dev", dev, INFO);
    vfs.mount("/devices", devices, INFO);
    const r = (p: string): [TmpFs, string] => {
      const x = vfs.route(p);
      return [x.mount.fs as TmpFs, x.inner];
    };
    expect(r("/dev/null")).toEqual([dev, "/null"]);
    expect(r("/devices/x")).toEqual([devices, "/x"]);
    expect(r("/dev")).toEqual([dev, "/"]);
    expect(r("//dev/./null")).toEqual([dev, "/./null"]);
    expect(r("/devnull")).toEqual([root, "/devnull"]);
    expect(r("/")).toEqual([root, "/"]);
    // ".." is the walk's: /dev/.. is routed to /dev, whose walk leaves for "/".
    expect(r("/dev/../etc")).toEqual([dev, "/../etc"]);
  });

  it("normalises mount points and sorts nested mounts first", () => {
    const vfs = new Vfs();
    vfs.mount("/mnt/a/b/", tmpfs(), INFO);
    vfs.mount("/", tmpfs(), INFO);
    vfs.mount("//mnt/./a", tmpfs(), INFO);
    expect(vfs.mounts.map((m) => m.at)).toEqual(["/mnt/a/b", "/mnt/a", "/"]);
    expect(vfs.route("/mnt/a/bc").inner).toBe("/bc");
  });

  it("throws when no root is mounted", () => {
    const vfs = new Vfs();
    vfs.mount("/dev", tmpfs(), INFO);
    expect(() => vfs.route("/etc")).toThrow("Cannot route path: no root file system mounted");
  });
});

describe("Vfs.call() across mounts", () => {
  /** / with /etc/passwd, /mnt (a mount of its own with file f) and some symlinks. */
  function layout(): { vfs: Vfs; root: TmpFs; mnt: TmpFs } {
    const root = tmpfs(), mnt = tmpfs();
    root.mkdir("/etc", 0o755);
    root.close(root.open("/etc/passwd", O_CREAT | O_WRONLY, 0o644) as number);
    root.mkdir("/mnt", 0o755);
    root.symlink("/mnt/f", "/abs-to-mnt");
    root.symlink("mnt", "/rel-to-mnt-dir");
    mnt.close(mnt.open("/f", O_CREAT | O_WRONLY, 0o644) as number);
    mnt.symlink("/etc/passwd", "/abs-out");
    mnt.symlink("../etc", "/rel-out");
    const vfs = new Vfs();
    vfs.mount("/", root, INFO);
    vfs.mount("/mnt", mnt, INFO);
    return { vfs, root, mnt };
  }
  const where = (vfs: Vfs, path: string): string | number =>
    vfs.call(path, (fs, inner, m) => {
      const st = fs.stat(inner, true);
      return typeof st === "number" ? st : `${m.at}:${st.ino}`;
    });

  it("follows a symlink from the root into a mount, and ../ out of a mount", () => {
    const { vfs, mnt } = layout();
    const f = `/mnt:${(mnt.stat("/f", true) as { ino: number }).ino}`;
    expect(where(vfs, "/abs-to-mnt")).toBe(f);
    expect(where(vfs, "/rel-to-mnt-dir/f")).toBe(f);
    expect(where(vfs, "/mnt/../mnt/f")).toBe(f);
    expect(where(vfs, "/mnt/../etc/passwd")).toEqual(where(vfs, "/etc/passwd"));
  });

  it("resolves absolute symlinks inside a mount against the guest root", () => {
    const { vfs } = layout();
    expect(where(vfs, "/mnt/abs-out")).toEqual(where(vfs, "/etc/passwd"));
    expect(where(vfs, "/mnt/rel-out/passwd")).toEqual(where(vfs, "/etc/passwd"));
  });

  it("gives the canonical path with realpath(), and EXDEV for a rename across mounts", () => {
    const { vfs } = layout();
    expect(vfs.realpath("/rel-to-mnt-dir/./f")).toBe("/mnt/f");
    expect(vfs.realpath("/mnt/rel-out/..")).toBe("/");
    expect(vfs.call2("/rel-to-mnt-dir/f", "/etc/x", (fs, a, b) => fs.rename(a, b, 0))).toBe(-EXDEV);
    // A symlink itself is renamed, wherever it points.
    expect(vfs.call2("/abs-to-mnt", "/etc/x", (fs, a, b) => fs.rename(a, b, 0))).toBe(0);
    expect(vfs.call2("/mnt/f", "/mnt/g", (fs, a, b) => fs.rename(a, b, 0))).toBe(0);
  });

  it("takes a final .. above a nested mount to the mount point's parent", () => {
    const { vfs, root } = layout();
    root.mkdir("/a", 0o755);
    root.mkdir("/a/b", 0o755);
    vfs.mount("/a/b", tmpfs(), INFO);
    expect(vfs.realpath("/a/b/..")).toBe("/a");
    expect(vfs.realpath("/a/b/../")).toBe("/a");
    expect(vfs.realpath("/mnt/..")).toBe("/");
  });

  it("stops a crossing loop with ELOOP", () => {
    const { vfs, mnt } = layout();
    mnt.symlink("/mnt/loop", "/loop");
    expect(where(vfs, "/mnt/loop")).toBe(-ELOOP);
  });
});

describe("FsFile", () => {
  it("FsFile is seekable for regular files, directories and block devices only", () => {
    const fs = fakeFs("x");
    expect(new FsFile(fs, 1, "/f", { mode: 0o100644, ino: 1 }).seekable).toBe(true);
    expect(new FsFile(fs, 1, "/d", { mode: 0o040755, ino: 1 }).seekable).toBe(true);
    expect(new FsFile(fs, 1, "/b", { mode: 0o060600, ino: 1 }).seekable).toBe(true);
    expect(new FsFile(fs, 1, "/c", { mode: 0o020666, ino: 1 }).seekable).toBe(false);
    expect(new FsFile(fs, 1, "/p", { mode: 0o010600, ino: 1 }).seekable).toBe(false);
  });
});
