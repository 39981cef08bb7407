// mount(2) and umount2(2) inside the guest, on the user kernel's mount table (libos/vfs.ts).
// Linux: fs/namespace.c (path_mount). Mounting needs CAP_SYS_ADMIN.
//
// What mount(2) does, by its flags, in Linux's order:
//   MS_REMOUNT|MS_BIND   the target mount's own flag: MS_RDONLY on or off
//   MS_REMOUNT           the target's file system: read-only or not for every mount of it
//                        (this mount's own flag follows); EINVAL unless the target is a mount
//   MS_BIND [|MS_REC]    the source directory, or file, shown at the target too (Vfs.bind):
//                        the same files; MS_REC binds the mounts below the source as well.
//                        MS_RDONLY is ignored, as on Linux: a read-only bind is a bind, then
//                        a remount
//   MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE   accepted on a mount point and ignored:
//                        there is one mount table, so nothing ever propagates
//   MS_MOVE              the source mount, with those below it, moved to the target
//   none of these        a new tmpfs, or the kernel-task's proc or devpts (one instance each);
//                        MS_RDONLY makes it read-only. tmpfs ignores the source (LTP mounts
//                        "ltp-tmpfs", or a loop device) and takes its options from the data
//                        string (tmpfs_options.ts: size=, nr_inodes=, mode=, uid=, gid=, ro);
//                        proc and devpts ignore theirs. Any other type is ENODEV, as for a
//                        file system the kernel does not have (ext2, xfs, …: no disk file
//                        systems here).
// nosuid, nodev, noexec and the atime flags are accepted and have no effect. As Linux does,
// the type, source and data are copied in (EFAULT) before the target is looked up.

import * as E from "../../linux-abi/errno.ts";
import {
  MNT_DETACH, MNT_EXPIRE, MNT_FORCE, MS_BIND, MS_MGC_MSK, MS_MGC_VAL, MS_MOVE, MS_PRIVATE, MS_RDONLY, MS_REC,
  MS_REMOUNT, MS_SHARED, MS_SLAVE, MS_UNBINDABLE, UMOUNT_NOFOLLOW,
} from "../../linux-abi/fs.ts";
import { S_IFDIR, S_IFMT } from "../../linux-abi/stat.ts";
import { stopFsTask } from "../../fs-task/fs_task.ts";
import { infoOf, type MountSpec } from "../mounts.ts";
import { CAP_SYS_ADMIN } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { pathArg } from "./_path.ts";
import { getString } from "./_struct.ts";
import { parseTmpfsOptions } from "../tmpfs_options.ts";
import { PROT_READ } from "../memory.ts";
import { bytesToString } from "../../linux-abi/_byte_string.ts";
import { AT_FDCWD } from "../../linux-abi/fcntl.ts";

// Linux caps a mount namespace at sysctl fs.mount-max mounts (100,000): past it, mount(2)
// fails with ENOSPC, and a recursive bind counts its whole copy before making any. Each
// change to this table costs a pass over all pairs of mounts (Vfs), and repeated recursive
// binds of a directory onto one below it multiply the mounts, so the cap here is far lower.
const MOUNT_MAX = 64;
const PATH_MAX = 4096;
/** copy_mount_options copies at most a page. */
const DATA_PAGE = 4096;

/** Whether `path` names a directory (following symlinks), or -errno. */
function isDirectory(k: KernelServices, path: string): boolean | number {
  const st = k.vfs.call(path, (fs, inner) => fs.stat(inner, true));
  return typeof st === "number" ? st : (st.mode & S_IFMT) === S_IFDIR;
}

/** The canonical path of the existing file a path argument names, or -errno. */
function existingAt(k: KernelServices, t: Thread, addr: number): string | number {
  const path = pathArg(t, AT_FDCWD, addr);
  return typeof path === "number" ? path : k.vfs.realpath(path);
}

/** What mount(2) copies in before it looks at the target: its strings, null where the pointer is NULL. */
interface MountStrings {
  fstype: string | null;
  source: string | null;
  data: string | null;
}

/** copy_mount_string for the type and source, copy_mount_options for the data, or -errno. */
function mountStrings(t: Thread, a: SyscallArgs): MountStrings | number {
  const str = (addr: number): string | null | number =>
    addr === 0 ? null : getString(t.process.memory, addr, PATH_MAX, -E.EINVAL);
  const fstype = str(a.ptr(2));
  if (typeof fstype === "number") return fstype;
  const source = str(a.ptr(0));
  if (typeof source === "number") return source;
  const data = mountData(t, a.ptr(4));
  return typeof data === "number" ? data : { fstype, source, data };
}

/** The data page: up to 4096 bytes, as many as are readable (EFAULT when none is), up to a NUL. */
function mountData(t: Thread, addr: number): string | null | number {
  if (addr === 0) return null;
  const mem = t.process.memory;
  const n = mem.extent(addr, DATA_PAGE, PROT_READ);
  if (n === 0) return -E.EFAULT;
  const s = mem.readCString(addr, n);
  if (s !== null) return s;
  const bytes = new Uint8Array(n);
  return mem.read(addr, bytes) ? bytesToString(bytes) : -E.EFAULT;
}

/** A new tmpfs, or proc or devpts, at directory `at`, read-only with MS_RDONLY. */
function newMount(k: KernelServices, m: MountStrings, flags: number, at: string): number {
  const dir = isDirectory(k, at);
  if (dir !== true) return dir === false ? -E.ENOTDIR : dir;
  const fstype = m.fstype;
  if (fstype === null) return -E.EINVAL;
  if (fstype !== "tmpfs" && fstype !== "proc" && fstype !== "devpts") return -E.ENODEV;
  let spec: MountSpec = { at, type: fstype };
  let readOnly = (flags & MS_RDONLY) !== 0;
  if (fstype === "tmpfs") {
    const options = parseTmpfsOptions(m.data ?? "", k.memoryQuota().total);
    if (typeof options === "number") return options;
    spec = { at, type: "tmpfs", limits: options.limits };
    readOnly ||= options.readOnly;
  }
  if (k.vfs.mounts.length >= MOUNT_MAX) return -E.ENOSPC;
  try {
    const mount = k.vfs.mount(at, k.startFileSystem(spec), { ...infoOf(spec), source: m.source ?? "none" });
    mount.sb.readOnly = readOnly;
  } catch {
    return -E.EINVAL;
  }
  return 0;
}

/** MS_BIND: what `from` (canonical) shows, shown at `at` too; with `recursive`, the mounts below it too. */
function bindMount(k: KernelServices, from: string, at: string, recursive: boolean): number {
  const fromDir = isDirectory(k, from), atDir = isDirectory(k, at);
  if (typeof fromDir === "number") return fromDir;
  if (typeof atDir === "number") return atDir;
  if (fromDir !== atDir) return -E.ENOTDIR;
  // The mounts below the source, parents first, as they are before this bind adds any.
  const below = recursive ? k.vfs.mounts.filter((m) => m.at !== from && isBelow(m.at, from)).reverse() : [];
  if (k.vfs.mounts.length + 1 + below.length > MOUNT_MAX) return -E.ENOSPC;
  const r = bindOne(k, from, at);
  if (r < 0) return r;
  // Linux copies the whole tree or nothing; a mount below that cannot be bound is left out here.
  for (const m of below) {
    const rest = from === "/" ? m.at : m.at.slice(from.length);
    bindOne(k, m.at, at === "/" ? rest : at + rest);
  }
  return 0;
}

/**
 * One bind mount of `from` (canonical) at `at`: the VFS opens what `from` names in its
 * mount's back end, by that back end's own walk, and the new mount holds it open.
 */
function bindOne(k: KernelServices, from: string, at: string): number {
  const { mount, inner } = k.vfs.route(from);
  const r = k.vfs.bind(at, mount, inner);
  return typeof r === "number" ? r : 0;
}

/** `path` lies below directory `dir` (both canonical). */
function isBelow(path: string, dir: string): boolean {
  return dir === "/" ? path !== "/" : path.startsWith(dir + "/");
}

/** Mount implements Linux syscall mount(2). */
export function sysMount(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  if (!capable(t.creds, CAP_SYS_ADMIN)) return -E.EPERM;
  const strings = mountStrings(t, a);
  if (typeof strings === "number") return strings;
  let flags = a.uint(3);
  if ((flags & MS_MGC_MSK) >>> 0 === MS_MGC_VAL) flags &= ~MS_MGC_MSK;
  const at = existingAt(k, t, a.ptr(1));
  if (typeof at === "number") return at;
  if (flags & MS_REMOUNT) return k.vfs.remount(at, (flags & MS_RDONLY) !== 0, (flags & MS_BIND) !== 0);
  if (flags & MS_BIND) {
    const from = existingAt(k, t, a.ptr(0));
    return typeof from === "number" ? from : bindMount(k, from, at, (flags & MS_REC) !== 0);
  }
  if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) return k.vfs.mounts.some((m) => m.at === at) ? 0 : -E.EINVAL;
  if (flags & MS_MOVE) {
    const from = existingAt(k, t, a.ptr(0));
    return typeof from === "number" ? from : k.vfs.move(from, at);
  }
  return newMount(k, strings, flags, at);
}

/**
 * Umount2 implements Linux syscall umount2(2): EBUSY while files are open through the
 * mount, unless MNT_DETACH. The file system's fs-task stops (when no call waits on it)
 * once no other mount shows it (a bind, or the source of one, keeps it) and no file is open
 * on it. MNT_EXPIRE is accepted as an unmount at once (no expiry marks), but not with
 * MNT_FORCE or MNT_DETACH (EINVAL).
 */
export function sysUmount2(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(1);
  if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) return -E.EINVAL;
  if (flags & MNT_EXPIRE && flags & (MNT_FORCE | MNT_DETACH)) return -E.EINVAL;
  if (!capable(t.creds, CAP_SYS_ADMIN)) return -E.EPERM;
  const at = existingAt(k, t, a.ptr(0));
  if (typeof at === "number") return at;
  const gone = k.vfs.umount(at, (flags & MNT_DETACH) !== 0);
  if (typeof gone === "number") return gone;
  // Lazily detached with files still open: the file system stays for them.
  if (gone.opens === 0 && gone.fs !== k.procfs && gone.fs !== k.terminals.devpts && !k.vfs.mounts.some((m) => m.fs === gone.fs)) {
    // The mount is gone either way; a stop that fails must not become a host exception.
    stopFsTask(gone.fs).catch((err: unknown) => process.stderr.write(`libos: stopping an unmounted fs-task: ${err instanceof Error ? err.message : String(err)}\n`));
  }
  return 0;
}
