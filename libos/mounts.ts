// The guest's file-system layout, and bringing it up.
//
//   guestLayout(options)      the mount list and working directory the CLI's options ask for
//   mountAll(vfs, layout, …)  each mount's fs-task started in the chosen mode, then mounted
//
// Default layout (no --root), as a container runtime sets one up:
//   /          initfs   the read-only image: busybox and its applets, /etc, the samples
//   /dev       devfs    with a tmpfs on /dev/shm
//   /proc      proc     served by the kernel-task itself
//   /tmp       tmpfs
//   $PWD       hostfs   the host's current directory, at the same path, and the working
//                       directory (unless --isolate); then each -v and --tmpfs
// With --root DIR the root is that host directory and /tmp is whatever it holds.
// With --sysroot DIR, DIR's /usr, /lib, /lib64 and /etc/ld.so.cache (those it has) are
// shown read-only at the same places, over the root: the host's programs, their
// interpreter (ld.so), libraries and data. One hostfs of DIR serves them all
// (Vfs.mountParts), so a library reached as /lib/x or /usr/lib/x is one file.
//
// A mount point that does not exist is made: by mkdir where the file system below is
// writable, else (on the read-only image) by a small tmpfs mounted at the first missing
// directory, holding the rest of the path. That tmpfs, like memfd_create's (startTmpfs),
// is an fs-task in the chosen mode as every other file system is.

import { createFsTask, type FsBackendSource, type FsTaskLaunch } from "../fs-task/fs_task.ts";
import type { FileSystem } from "../fs-task/file_system.ts";
import { TmpFs, type MemoryQuota, type TmpFsLimits } from "../fs-task/tmpfs.ts";
import type { AnonDevices } from "../fs-task/_anon_dev.ts";
import { byteStringOfHost, displayOf } from "../linux-abi/_byte_string.ts";
import { ENOENT } from "../linux-abi/errno.ts";
import { S_IFDIR, S_IFMT } from "../linux-abi/stat.ts";
import { normalize, type MountInfo, type Vfs } from "./vfs.ts";
import { SupervisedFs, asFileSystem } from "./supervised_fs.ts";

export const FS_MODES = ["inproc", "ipc", "worker"] as const;
export type FsMode = (typeof FS_MODES)[number];

export type MountSpec = { at: string } & (
  | { type: "hostfs"; source: string; readOnly: boolean }
  /** `limits`: what mount(2)'s options asked for (size=, nr_inodes=, mode=, uid=, gid=). */
  | { type: "tmpfs"; limits?: TmpFsLimits }
  | { type: "initfs"; image: string }
  | { type: "devfs" }
  | { type: "proc" }
  | { type: "devpts" }
);

export interface Volume {
  host: string;
  guest: string;
  readOnly: boolean;
}

/** --sysroot: a host tree, and which of SYSROOT_PARTS it has. */
export interface Sysroot {
  source: string;
  parts: string[];
}

/** What --sysroot shows of its directory: the programs and their libraries, data and ld.so's cache. */
export const SYSROOT_PARTS = ["/usr", "/lib", "/lib64", "/etc/ld.so.cache"] as const;

export interface LayoutOptions {
  /** --root: a host directory as the guest's root instead of the image. */
  root: string | null;
  /** The initfs image (the default root). */
  image: string;
  volumes: readonly Volume[];
  tmpfs: readonly string[];
  /** -w: the working directory; default the host's cwd (or "/" with --isolate). */
  workdir: string | null;
  isolate: boolean;
  hostCwd: string;
  /** --sysroot (host text). */
  sysroot?: Sysroot | null;
}

export interface Layout {
  mounts: MountSpec[];
  cwd: string;
  /** Mounted right after the root, before every other mount. */
  sysroot: Sysroot | null;
}

/** The mounts and cwd for `options` (host text); paths in the Layout are byte strings. */
export function guestLayout(options: LayoutOptions): Layout {
  const o = byteStrings(options);
  const mounts: MountSpec[] = [];
  let cwd = o.workdir;
  if (o.root !== null) {
    mounts.push({ at: "/", type: "hostfs", source: o.root, readOnly: false });
    const inside = o.hostCwd === o.root || o.hostCwd.startsWith(o.root.endsWith("/") ? o.root : o.root + "/");
    cwd ??= inside && !o.isolate ? normalize(o.hostCwd.slice(o.root.length)) : "/";
  } else {
    mounts.push({ at: "/", type: "initfs", image: o.image }, { at: "/tmp", type: "tmpfs" });
    if (!o.isolate) mounts.push({ at: o.hostCwd, type: "hostfs", source: o.hostCwd, readOnly: false });
    cwd ??= o.isolate ? "/" : o.hostCwd;
  }
  mounts.push({ at: "/dev", type: "devfs" }, { at: "/dev/pts", type: "devpts" }, { at: "/dev/shm", type: "tmpfs" }, { at: "/proc", type: "proc" });
  for (const v of o.volumes) mounts.push({ at: v.guest, type: "hostfs", source: v.host, readOnly: v.readOnly });
  for (const at of o.tmpfs) mounts.push({ at, type: "tmpfs" });
  return { mounts, cwd: normalize(cwd), sysroot: o.sysroot ?? null };
}

/** The host's paths, once, as the byte strings the guest sees (linux-abi/_byte_string.ts). */
function byteStrings(o: LayoutOptions): LayoutOptions {
  const b = byteStringOfHost;
  return {
    ...o,
    root: o.root === null ? null : b(o.root),
    volumes: o.volumes.map((v) => ({ host: b(v.host), guest: b(v.guest), readOnly: v.readOnly })),
    tmpfs: o.tmpfs.map(b),
    workdir: o.workdir === null ? null : b(o.workdir),
    hostCwd: b(o.hostCwd),
    sysroot: o.sysroot ? { source: b(o.sysroot.source), parts: o.sysroot.parts.map(b) } : null,
  };
}

export interface MountEnv {
  mode: FsMode;
  /** How ipc mode reaches the user kernel's microkernel. */
  launch: FsTaskLaunch;
  /** Where tmpfs pages are charged (inproc and ipc modes; worker mode: through the worker's lease on it). */
  quota: MemoryQuota;
  /** The kernel-task's procfs. */
  proc: () => FileSystem;
  /** The kernel-task's devpts (its pseudo-terminals). */
  devpts: () => FileSystem;
  /** The user kernel's anonymous st_dev numbers. */
  devices: AnonDevices;
  /**
   * Supervision (supervised_fs.ts): each fs-task mount is started through `current()`'s
   * launch (the mode's server or worker as it is now, after any restart) and handed to
   * `watch`; `epoch()` counts the deaths of the fs-task, and a mount started before the
   * last one starts again. Without it, mounts are unsupervised.
   */
  supervise?: { current: () => MountEnv; epoch: () => number; watch: (fs: SupervisedFs) => void; died: (err: unknown) => void };
}

/** Starts and mounts every file system of `layout`, parents first. Throws TypeError on a bad source. */
export function mountAll(vfs: Vfs, layout: Layout, env: MountEnv): FileSystem[] {
  const started: FileSystem[] = [];
  const depth = (s: MountSpec): number => (s.at === "/" ? 0 : normalize(s.at).split("/").length);
  const ordered = layout.mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i);
  for (const { m } of ordered) {
    const at = normalize(m.at);
    const fs = startFileSystem(m, env);
    started.push(fs);
    if (at !== "/") started.push(...makeMountPoint(vfs, at, env));
    vfs.mount(at, fs, infoOf(m));
    if (at === "/" && layout.sysroot) started.push(...mountSysroot(vfs, layout.sysroot, env));
  }
  return started;
}

/**
 * The sysroot's parts, read-only, over the root. A directory part gets its mount point
 * made; a file part (ld.so's cache) is shown only where its directory exists.
 */
function mountSysroot(vfs: Vfs, sysroot: Sysroot, env: MountEnv): FileSystem[] {
  const spec: MountSpec = { at: "/", type: "hostfs", source: sysroot.source, readOnly: true };
  const fs = startFileSystem(spec, env);
  const started = [fs];
  const parts = [];
  for (const at of sysroot.parts) {
    const own = fs.stat(at, true);
    if (typeof own === "number") continue;
    if ((own.mode & S_IFMT) === S_IFDIR) started.push(...makeMountPoint(vfs, at, env));
    else if (!isDirectory(vfs, at.slice(0, at.lastIndexOf("/")) || "/")) continue;
    parts.push({ at, inner: at });
  }
  const r = vfs.mountParts(fs, infoOf(spec), parts);
  if (typeof r === "number") throw new TypeError(`Cannot mount the sysroot ${displayOf(sysroot.source)} (errno ${-r})`);
  return started;
}

function isDirectory(vfs: Vfs, path: string): boolean {
  const st = vfs.call(path, (fs, inner) => fs.stat(inner, true));
  return typeof st !== "number" && (st.mode & S_IFMT) === S_IFDIR;
}

/** The file system of one mount, in the mode `env` says. Throws TypeError on a bad source. */
export function startFileSystem(m: MountSpec, env: MountEnv): FileSystem {
  if (m.type === "proc") return env.proc();
  if (m.type === "devpts") return env.devpts();
  // One st_dev for the mount, whichever instance of its fs-task serves it.
  const dev = m.type === "initfs" || m.type === "tmpfs" ? env.devices.next() : 0;
  const supervise = env.supervise;
  if (!supervise) return createFsTask(backendOf(m, env, dev), env.launch);
  const fs = new SupervisedFs(() => {
    const now = supervise.current();
    return createFsTask(backendOf(m, now, dev), now.launch);
  }, supervise.epoch, supervise.died);
  supervise.watch(fs);
  return asFileSystem(fs);
}

/** A tmpfs with no mount (memfd_create's files), in the mode `env` says. */
export function startTmpfs(env: MountEnv): FileSystem {
  return startFileSystem({ at: "", type: "tmpfs" }, env);
}

/** What /proc/mounts says of a mount made from `m`. */
export function infoOf(m: MountSpec): MountInfo {
  switch (m.type) {
    case "hostfs":
      return { source: m.source, type: "hostfs", readOnly: m.readOnly };
    case "initfs":
      return { source: "initfs", type: "initfs", readOnly: true };
    case "devfs":
      return { source: "devtmpfs", type: "devtmpfs", readOnly: false };
    case "tmpfs":
      return { source: "tmpfs", type: "tmpfs", readOnly: false };
    case "proc":
      return { source: "proc", type: "proc", readOnly: false };
    case "devpts":
      return { source: "devpts", type: "devpts", readOnly: false };
  }
}

function backendOf(m: MountSpec, env: MountEnv, dev: number): FsBackendSource {
  switch (m.type) {
    case "hostfs":
      return { type: "hostfs", root: m.source, readOnly: m.readOnly };
    case "initfs":
      return { type: "initfs", image: m.image, dev };
    case "devfs":
      return { type: "devfs" };
    case "tmpfs":
      return env.mode === "worker"
        ? { type: "tmpfs", leased: true, dev, ...m.limits }
        : () => new TmpFs({ quota: env.quota, dev, ...m.limits });
    case "proc":
    case "devpts":
      throw new TypeError(`${m.type} is the kernel-task's`);
  }
}

/**
 * Makes directory `at` exist: mkdir -p where it can, else a tmpfs at the first missing
 * directory. Returns the file systems it mounted for that.
 */
function makeMountPoint(vfs: Vfs, at: string, env: MountEnv): FileSystem[] {
  const names = at.split("/").slice(1);
  for (let i = 1; i <= names.length; i++) {
    const dir = "/" + names.slice(0, i).join("/");
    const st = vfs.call(dir, (fs, inner) => fs.stat(inner, true));
    if (typeof st !== "number") {
      if ((st.mode & S_IFMT) !== S_IFDIR) throw new TypeError(`Cannot mount on ${displayOf(at)}: ${displayOf(dir)} is not a directory`);
      continue;
    }
    if (st !== -ENOENT) throw new TypeError(`Cannot mount on ${displayOf(at)}: ${displayOf(dir)} cannot be looked up (errno ${-st})`);
    if (vfs.call(dir, (fs, inner) => fs.mkdir(inner, 0o755)) === 0) continue;
    const skeleton = startTmpfs(env);
    skeleton.chmod("/", 0o755);
    let inner = "";
    for (const name of names.slice(i)) {
      inner += "/" + name;
      skeleton.mkdir(inner, 0o755);
    }
    vfs.mount(dir, skeleton, { source: "tmpfs", type: "tmpfs", readOnly: false });
    return [skeleton];
  }
  return [];
}
