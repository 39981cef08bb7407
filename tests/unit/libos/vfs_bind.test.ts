import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
// Bind mounts, remounts and read-only mounts in the VFS (libos/vfs.ts, libos/read_only.ts,
// the mount views of fs-task/_tree_walk.ts), over in-process TmpFs back ends.

import { describe, expect, it } from "vitest";
import type { FileSystem, FsStat } from "../../../fs-task/file_system.ts";
import { TmpFs } from "../../../fs-task/tmpfs.ts";
import { EBUSY, EEXIST, EINVAL, ELOOP, ENOENT, ENOTDIR, EROFS, EXDEV } from "../../../linux-abi/errno.ts";
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from "../../../linux-abi/fcntl.ts";
import { ST_RDONLY } from "../../../linux-abi/fs.ts";
import { S_IFCHR } from "../../../linux-abi/stat.ts";
import { FsFile, Vfs, type Mount } from "../../../libos/vfs.ts";

const devs = new AnonDevices();

const RW = { source: "tmpfs", type: "tmpfs", readOnly: false };

function tmpfs(): TmpFs {
  return new TmpFs({ dev: devs.next(), quota: { charge: () => true, release() {} } });
}

function create(fs: FileSystem, path: string, text = ""): void {
  const h = fs.open(path, O_CREAT | O_WRONLY, 0o644) as number;
  fs.pwrite(h, new TextEncoder().encode(text), 0);
  fs.close(h);
}

/**
 * / (a tmpfs: /etc/passwd, /mnt, /data), /tmp (a tmpfs: /tmp/a with file f, dir sub,
 * symlinks abs → /etc/passwd and up → ../..), and /tmp/a bound at /mnt.
 */
function layout(): { vfs: Vfs; root: TmpFs; tmp: TmpFs; tmpMount: Mount; bind: Mount } {
  const root = tmpfs(), tmp = tmpfs();
  for (const d of ["/etc", "/mnt", "/tmp", "/data"]) root.mkdir(d, 0o755);
  create(root, "/etc/passwd", "root");
  tmp.mkdir("/a", 0o755);
  tmp.mkdir("/a/sub", 0o755);
  create(tmp, "/a/f", "hello");
  tmp.symlink("/etc/passwd", "/a/abs");
  tmp.symlink("../..", "/a/up");
  const vfs = new Vfs();
  vfs.mount("/", root, RW);
  const tmpMount = vfs.mount("/tmp", tmp, RW);
  const bind = vfs.bind("/mnt", tmpMount, "/a") as Mount;
  return { vfs, root, tmp, tmpMount, bind };
}

const stat = (vfs: Vfs, path: string): FsStat | number => vfs.call(path, (fs, inner) => fs.stat(inner, true));
const ino = (vfs: Vfs, path: string): number | string => {
  const st = stat(vfs, path);
  return typeof st === "number" ? st : `${st.dev}:${st.ino}`;
};
const mkdir = (vfs: Vfs, path: string): number => vfs.call(path, (fs, inner) => fs.mkdir(inner, 0o755));
const open = (vfs: Vfs, path: string, flags: number): number =>
  vfs.call(path, (fs, inner, m) => {
    const h = fs.open(inner, flags, 0o644) as number;
    if (h >= 0) m.fs.close(h);
    return h < 0 ? h : 0;
  });

describe("bind mounts", () => {
  it("show the same files at both places, with the same st_dev and st_ino", () => {
    const { vfs, tmp } = layout();
    expect(ino(vfs, "/mnt/f")).toBe(ino(vfs, "/tmp/a/f"));
    expect(mkdir(vfs, "/mnt/new")).toBe(0);
    expect(typeof tmp.stat("/a/new", true)).toBe("object");
    expect(vfs.realpath("/mnt/sub/.")).toBe("/mnt/sub");
    expect(vfs.realpath("/tmp/a/sub")).toBe("/tmp/a/sub");
  });

  it("leave by .. at the bind's root for the mount point's parent, not the source's", () => {
    const { vfs } = layout();
    expect(vfs.realpath("/mnt/..")).toBe("/");
    expect(vfs.realpath("/mnt/sub/../..")).toBe("/");
    expect(ino(vfs, "/mnt/../etc/passwd")).toBe(ino(vfs, "/etc/passwd"));
    // A relative symlink climbing above the bind's root leaves it too.
    expect(vfs.realpath("/mnt/up")).toBe("/");
    expect(vfs.realpath("/tmp/a/up")).toBe("/");
  });

  it("resolve absolute symlinks inside the bind from the guest's root", () => {
    const { vfs } = layout();
    expect(ino(vfs, "/mnt/abs")).toBe(ino(vfs, "/etc/passwd"));
    // A bind of a directory of the root file system itself: its absolute symlinks too.
    const { vfs: v2, root } = layout();
    root.mkdir("/etc/links", 0o755);
    root.symlink("/data", "/etc/links/data");
    v2.bind("/data", v2.route("/").mount, "/etc");
    expect(v2.realpath("/data/links/data")).toBe("/data");
    expect(v2.realpath("/data/..")).toBe("/");
  });

  it("see the mounts made inside the bind, and not those made on the source", () => {
    const { vfs, tmp } = layout();
    const inner = tmpfs();
    create(inner, "/only-in-mount");
    vfs.mount("/mnt/sub", inner, RW);
    expect(typeof stat(vfs, "/mnt/sub/only-in-mount")).toBe("object");
    expect(stat(vfs, "/tmp/a/sub/only-in-mount")).toBe(-ENOENT);
    expect(stat(vfs, "/mnt/f/../sub/only-in-mount")).toBe(-ENOTDIR);
    expect(typeof stat(vfs, "/mnt/./sub/only-in-mount")).toBe("object");
    expect(vfs.realpath("/mnt/sub/..")).toBe("/mnt");
    // Through a symlink: the walk reaches the covered directory inside the bind's view.
    tmp.symlink("sub", "/a/to-sub");
    expect(typeof stat(vfs, "/mnt/to-sub/only-in-mount")).toBe("object");
    expect(stat(vfs, "/tmp/a/to-sub/only-in-mount")).toBe(-ENOENT);
    // A mount over the source directory leaves the bind as it was.
    const f = ino(vfs, "/mnt/f");
    vfs.mount("/tmp/a", tmpfs(), RW);
    expect(ino(vfs, "/mnt/f")).toBe(f);
    expect(stat(vfs, "/tmp/a/f")).toBe(-ENOENT);
  });

  it("are other mounts for rename and link (EXDEV), and unmount without touching the source", () => {
    const { vfs, tmpMount } = layout();
    expect(vfs.call2("/mnt/f", "/tmp/a/g", (fs, a, b) => fs.rename(a, b, 0))).toBe(-EXDEV);
    expect(vfs.call2("/mnt/f", "/mnt/g", (fs, a, b) => fs.rename(a, b, 0))).toBe(0);
    const gone = vfs.umount("/mnt") as Mount;
    expect(gone.fs).toBe(tmpMount.fs);
    expect(typeof stat(vfs, "/tmp/a/g")).toBe("object");
  });

  it("bind a file onto a file", () => {
    const { vfs, root } = layout();
    create(root, "/etc/hosts", "image");
    vfs.bind("/etc/hosts", vfs.route("/tmp").mount, "/a/f");
    expect(ino(vfs, "/etc/hosts")).toBe(ino(vfs, "/tmp/a/f"));
    expect(ino(vfs, "/etc/../etc/hosts")).toBe(ino(vfs, "/tmp/a/f"));
    expect(vfs.realpath("/etc/hosts")).toBe("/etc/hosts");
    expect(stat(vfs, "/etc/hosts/x")).toBe(-ENOTDIR);
  });

  it("need a back end with views for anything but its whole root", () => {
    const vfs = new Vfs();
    const root = tmpfs();
    root.mkdir("/x", 0o755);
    const viewless = { ...tmpfsMethods(root), setMountView: undefined } as FileSystem;
    const m = vfs.mount("/", viewless, RW);
    expect(vfs.bind("/x", m, "/x")).toBe(-EINVAL);
  });

  it("move with MS_MOVE, mounts below them included", () => {
    const { vfs } = layout();
    vfs.mount("/mnt/sub", tmpfs(), RW);
    expect(vfs.move("/mnt", "/data")).toBe(0);
    expect(vfs.mounts.map((m) => m.at)).toContain("/data/sub");
    expect(ino(vfs, "/data/f")).toBe(ino(vfs, "/tmp/a/f"));
    expect(vfs.realpath("/data/..")).toBe("/");
    expect(vfs.move("/data", "/data/sub")).toBe(-ELOOP);
    expect(vfs.move("/etc", "/data")).toBe(-EINVAL);
  });

  it("give a directory descriptor's current path through the bind", () => {
    const { vfs, bind } = layout();
    const h = vfs.call("/mnt/sub", (fs, inner) => fs.open(inner, O_RDONLY | O_DIRECTORY, 0) as number);
    const file = new FsFile(bind.fs, h, "/mnt/sub", { mode: 0o040755, ino: 1 }, bind);
    expect(file.currentPath()).toBe("/mnt/sub");
    expect(bind.fs.rename("/a/sub", "/a/moved", 0)).toBe(0);
    expect(file.currentPath()).toBe("/mnt/moved");
    expect(bind.fs.rename("/a/moved", "/outside", 0)).toBe(0);
    expect(file.currentPath()).toBe(-ENOENT);
  });

  it("hold their source open: renamed, it is still what they show, and a bind of the bind shows it too", () => {
    const { vfs, tmp, bind } = layout();
    expect(tmp.rename("/a", "/a.moved", 0)).toBe(0);
    tmp.symlink("/etc", "/a");
    expect(ino(vfs, "/mnt/f")).toBe(ino(vfs, "/tmp/a.moved/f"));
    const h = vfs.call("/mnt/sub", (fs, inner) => fs.open(inner, O_RDONLY | O_DIRECTORY, 0) as number);
    expect(new FsFile(bind.fs, h, "/mnt/sub", { mode: 0o040755, ino: 1 }, bind).currentPath()).toBe("/mnt/sub");
    const { mount, inner } = vfs.route("/mnt/sub");
    expect(vfs.bind("/data", mount, inner)).toMatchObject({ at: "/data" });
    expect(ino(vfs, "/data")).toBe(ino(vfs, "/tmp/a.moved/sub"));
    expect(vfs.realpath("/data/..")).toBe("/");
  });

  it("close their root handle when unmounted, and refuse a source that is gone", () => {
    const { vfs, tmp } = layout();
    const before = tmp.open("/a/f", O_RDONLY, 0) as number;
    tmp.close(before);
    expect(vfs.umount("/mnt")).toMatchObject({ at: "/mnt" });
    // The bind's handle was the lowest free one below the probe's; it is free again.
    expect(tmp.open("/a/f", O_RDONLY, 0)).toBe(before - 1);
    expect(vfs.bind("/mnt", vfs.route("/tmp").mount, "/gone")).toBe(-ENOENT);
  });
});

/** `fs`'s methods as an object of its own (for a back end without some of them). */
function tmpfsMethods(fs: TmpFs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(TmpFs.prototype)) {
    const f = (fs as unknown as Record<string, unknown>)[name];
    if (name !== "constructor" && typeof f === "function") out[name] = f.bind(fs);
  }
  return out;
}

describe("read-only mounts", () => {
  it("refuse every change through the mount with EROFS, whatever the call", () => {
    const { vfs, tmp } = layout();
    expect(vfs.remount("/mnt", true, true)).toBe(0);
    const errors = [
      mkdir(vfs, "/mnt/d"),
      open(vfs, "/mnt/new", O_CREAT | O_WRONLY),
      open(vfs, "/mnt/f", O_WRONLY),
      open(vfs, "/mnt/f", O_RDONLY | O_TRUNC),
      vfs.call("/mnt/f", (fs, p) => fs.unlink(p)),
      vfs.call("/mnt/sub", (fs, p) => fs.rmdir(p)),
      vfs.call("/mnt/f", (fs, p) => fs.chmod(p, 0o600)),
      vfs.call("/mnt/f", (fs, p) => fs.chown!(p, 1, 1, true)),
      vfs.call("/mnt/f", (fs, p) => fs.utimens(p, "now", "now", true)),
      vfs.call("/mnt/l", (fs, p) => fs.symlink("x", p)),
      vfs.call("/mnt/n", (fs, p) => fs.mknod!(p, S_IFCHR | 0o666, 0)),
      vfs.call2("/mnt/f", "/mnt/g", (fs, a, b) => fs.rename(a, b, 0)),
      vfs.call2("/mnt/f", "/mnt/h", (fs, a, b) => fs.link(a, b)),
      vfs.call("/mnt/f", (fs, p) => fs.access(p, 2)),
    ];
    expect(errors).toEqual(errors.map(() => -EROFS));
    // Reads, an existing name, and a missing directory answer as on a writable mount.
    expect(open(vfs, "/mnt/f", O_RDONLY)).toBe(0);
    expect(open(vfs, "/mnt/f", O_RDONLY | O_CREAT)).toBe(0);
    expect(mkdir(vfs, "/mnt/sub")).toBe(-EEXIST);
    expect(mkdir(vfs, "/mnt/nowhere/d")).toBe(-ENOENT);
    expect(open(vfs, "/mnt/nowhere", O_WRONLY)).toBe(-ENOENT);
    expect((vfs.call("/mnt", (fs, p) => fs.statfs(p)) as { flags: number }).flags & ST_RDONLY).toBe(ST_RDONLY);
    // The source mount stays writable, and nothing changed.
    expect(mkdir(vfs, "/tmp/a/d")).toBe(0);
    expect(tmp.stat("/a/new", true)).toBe(-ENOENT);
  });

  it("let writes land on another mount the walk crosses into, and open devices for writing", () => {
    const { vfs, root, tmp } = layout();
    tmp.symlink("/data", "/a/to-data");
    tmp.mknod("/a/null", S_IFCHR | 0o666, 0x103);
    vfs.remount("/mnt", true, true);
    expect(mkdir(vfs, "/mnt/../data/x")).toBe(0);
    expect(mkdir(vfs, "/mnt/to-data/y")).toBe(0);
    expect(open(vfs, "/mnt/to-data/z", O_CREAT | O_WRONLY)).toBe(0);
    expect(vfs.call("/mnt/up/data/z", (fs, p) => fs.chmod(p, 0o600))).toBe(0);
    expect(root.stat("/data/z", true)).toMatchObject({ mode: 0o100600 });
    expect(vfs.call("/mnt/to-data/z", (fs, p) => fs.unlink(p))).toBe(0);
    expect(open(vfs, "/mnt/null", O_RDWR | O_TRUNC)).toBe(0);
  });

  it("come from the file system too: remount,ro reaches its binds, and a write-protected one stays", () => {
    const { vfs } = layout();
    expect(vfs.remount("/tmp", true, false)).toBe(0);
    expect(mkdir(vfs, "/mnt/d")).toBe(-EROFS);
    expect(vfs.mounts.filter((m) => m.readOnly).map((m) => m.at).sort()).toEqual(["/mnt", "/tmp"]);
    expect(vfs.remount("/tmp", false, false)).toBe(0);
    expect(mkdir(vfs, "/mnt/d")).toBe(0);
    expect(vfs.remount("/etc", true, false)).toBe(-EINVAL);
    const image = vfs.mount("/data", tmpfs(), { source: "initfs", type: "initfs", readOnly: true });
    expect(image.readOnly).toBe(true);
    expect(vfs.remount("/data", false, false)).toBe(-EROFS);
  });

  it("wait for files open for writing: EBUSY until the last one is released", () => {
    const { vfs, bind, tmpMount } = layout();
    const h = vfs.call("/mnt/f", (fs, p) => fs.open(p, O_WRONLY, 0) as number);
    const file = new FsFile(bind.fs, h, "/mnt/f", { mode: 0o100644, ino: 1 }, bind, true);
    expect(vfs.remount("/mnt", true, true)).toBe(-EBUSY);
    expect(vfs.remount("/tmp", true, false)).toBe(-EBUSY);
    expect(vfs.remount("/tmp", true, true)).toBe(0);
    expect(tmpMount.readOnly).toBe(true);
    file.release();
    expect(vfs.remount("/mnt", true, true)).toBe(0);
    expect(vfs.remount("/tmp", true, false)).toBe(0);
  });
});

describe("mountParts()", () => {
  /** A root tmpfs with /etc, and a "sysroot" tmpfs holding usr/lib/libc, lib → usr/lib and etc/cache, never mounted whole. */
  function withSysroot(): { vfs: Vfs; sysroot: TmpFs; parts: Mount[] } {
    const root = tmpfs(), sysroot = tmpfs();
    for (const d of ["/etc", "/usr", "/lib"]) root.mkdir(d, 0o755);
    for (const d of ["/usr", "/usr/lib", "/etc"]) sysroot.mkdir(d, 0o755);
    create(sysroot, "/usr/lib/libc", "libc");
    create(sysroot, "/etc/cache", "cache");
    sysroot.symlink("usr/lib", "/lib");
    const vfs = new Vfs();
    vfs.mount("/", root, RW);
    const parts = vfs.mountParts(sysroot, { source: "sysroot", type: "tmpfs", readOnly: true }, [
      { at: "/usr", inner: "/usr" }, { at: "/lib", inner: "/lib" }, { at: "/etc/cache", inner: "/etc/cache" },
    ]) as Mount[];
    return { vfs, sysroot, parts };
  }

  it("mountParts() shows each part, a directory through a symlink or a file, at its place: one file at two paths", () => {
    const { vfs, parts } = withSysroot();
    expect(parts.map((m) => m.at)).toEqual(["/usr", "/lib", "/etc/cache"]);
    expect(ino(vfs, "/lib/libc")).toBe(ino(vfs, "/usr/lib/libc"));
    expect(typeof stat(vfs, "/etc/cache")).toBe("object");
    expect(stat(vfs, "/usr/etc")).toBe(-ENOENT);
    expect(open(vfs, "/etc/cache", O_RDONLY)).toBe(0);
  });

  it("mountParts() makes read-only parts sharing one super block", () => {
    const { vfs, parts } = withSysroot();
    expect(open(vfs, "/usr/lib/new", O_CREAT | O_WRONLY)).toBe(-EROFS);
    expect(new Set(parts.map((m) => m.sb)).size).toBe(1);
  });

  it("mountParts() attaches nothing when a part is missing (ENOENT)", () => {
    const root = tmpfs(), sysroot = tmpfs();
    sysroot.mkdir("/usr", 0o755);
    const vfs = new Vfs();
    vfs.mount("/", root, RW);
    expect(vfs.mountParts(sysroot, RW, [{ at: "/usr", inner: "/usr" }, { at: "/lib", inner: "/lib" }])).toBe(-ENOENT);
    expect(vfs.mounts.map((m) => m.at)).toEqual(["/"]);
  });
});
