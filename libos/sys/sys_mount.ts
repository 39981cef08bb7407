// mount(2) and umount2(2) inside the guest: a tmpfs, a procfs, or a bind mount of a
// host-backed directory, attached to the user kernel's mount table (libos/vfs.ts).
// Linux: fs/namespace.c. Only uid 0 may mount, as with CAP_SYS_ADMIN.
//
// A bind mount needs a back end that can start at the source directory: a hostfs
// directory becomes a new hostfs rooted at its host path. Binding a directory of a
// memory file system (tmpfs, the image) gives EINVAL; so do remounts.

import * as E from "../../linux-abi/errno.ts";
import { MNT_DETACH, MNT_EXPIRE, MNT_FORCE, MS_BIND, MS_RDONLY, MS_REMOUNT, UMOUNT_NOFOLLOW } from "../../linux-abi/fs.ts";
import { S_IFDIR, S_IFMT } from "../../linux-abi/stat.ts";
import { stopFsTask } from "../../fs-task/fs_task.ts";
import { infoOf, type MountSpec } from "../mounts.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { pathArg, readPath } from "./_path.ts";
import { AT_FDCWD } from "../../linux-abi/fcntl.ts";

/** The canonical path of an existing directory, or -errno. */
function directoryAt(k: KernelServices, path: string): string | number {
  const st = k.vfs.call(path, (fs, inner) => fs.stat(inner, true));
  if (typeof st === "number") return st;
  if ((st.mode & S_IFMT) !== S_IFDIR) return -E.ENOTDIR;
  return k.vfs.realpath(path);
}

/** What mount(2)'s arguments ask for, as a mount description, or -errno. */
function decodeMount(k: KernelServices, t: Thread, a: SyscallArgs, at: string): MountSpec | number {
  const flags = a.uint(3);
  if (flags & MS_REMOUNT) return -E.EINVAL;
  if (flags & MS_BIND) {
    const source = pathArg(t, AT_FDCWD, a.ptr(0));
    if (typeof source === "number") return source;
    const dir = directoryAt(k, source);
    if (typeof dir === "number") return dir;
    const { mount, inner } = k.vfs.route(dir);
    if (mount.type !== "hostfs") return -E.EINVAL;
    const host = inner === "/" ? mount.source : mount.source.replace(/\/$/, "") + inner;
    return { at, type: "hostfs", source: host, readOnly: mount.readOnly || (flags & MS_RDONLY) !== 0 };
  }
  const fstype = readPath(t, a.ptr(2));
  if (typeof fstype === "number") return fstype;
  if (fstype === "tmpfs") return { at, type: "tmpfs" };
  if (fstype === "proc") return { at, type: "proc" };
  return -E.ENODEV;
}

/** Mount implements Linux syscall mount(2). */
export function sysMount(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (t.process.creds.uid !== 0) return -E.EPERM;
  const target = pathArg(t, AT_FDCWD, a.ptr(1));
  if (typeof target === "number") return target;
  const at = directoryAt(k, target);
  if (typeof at === "number") return at;
  const spec = decodeMount(k, t, a, at);
  if (typeof spec === "number") return spec;
  try {
    k.vfs.mount(at, k.startFileSystem(spec), infoOf(spec));
  } catch {
    return -E.EINVAL;
  }
  return 0;
}

/** Umount2 implements Linux syscall umount2(2); the fs-task stops when no call waits on it. */
export function sysUmount2(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(1);
  if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) return -E.EINVAL;
  if (t.process.creds.uid !== 0) return -E.EPERM;
  const target = pathArg(t, AT_FDCWD, a.ptr(0));
  if (typeof target === "number") return target;
  const at = k.vfs.realpath(target);
  if (typeof at === "number") return at;
  const gone = k.vfs.umount(at);
  if (typeof gone === "number") return gone;
  if (gone.fs !== k.procfs) void stopFsTask(gone.fs);
  return 0;
}
