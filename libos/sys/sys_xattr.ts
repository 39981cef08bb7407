// The extended-attribute family: get, list, set and remove, each by path, by path without
// following a last symlink (l…), by descriptor (f…), and by (dirfd, path, AT_* flags) in
// the *xattrat calls of Linux 6.13. Linux: fs/xattr.c (since 6.13 every form is an *at
// call inside: the f… forms are AT_EMPTY_PATH on their descriptor, so the name is checked
// before the descriptor).
//
//   decode    the name (EFAULT, ERANGE: 1..XATTR_NAME_MAX bytes), set's flags (EINVAL)
//             and value (E2BIG past XATTR_SIZE_MAX, EFAULT), before the file
//   the file  a path through the VFS, or an open file (not O_PATH: EBADF)
//   EROFS     a change through a read-only mount (its guard answers once the file is found)
//   permit    xattrPermission: Linux's xattr_permission and the capability checks, from the
//             file's stat and the caller's credentials (the fs-task knows none)
//   the call  the file system's FileSystem.getxattr … fremovexattr; a file system without
//             them, and a file on none (a pipe, a terminal), keeps no attributes: a read or
//             a change is EOPNOTSUPP, a list is empty (as Linux's pipefs and procfs answer)
//   copy out  the value or the list into the caller's buffer (EFAULT); ERANGE becomes
//             E2BIG when the caller's buffer was already the largest there can be
//
// Values and lists travel through a buffer of the kernel-task's, at most 64 KiB, whatever
// size the caller names. A list for a caller other than root leaves trusted.* out.

import * as E from "../../linux-abi/errno.ts";
import { IN_ATTRIB } from "../../linux-abi/inotify.ts";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_PATH } from "../../linux-abi/fcntl.ts";
import { S_IFDIR, S_IFMT, S_ISVTX } from "../../linux-abi/stat.ts";
import {
  XATTR_ARGS_SIZE_VER0, XATTR_CREATE, XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SECURITY_PREFIX,
  XATTR_SIZE_MAX, XATTR_SYSTEM_PREFIX, XATTR_TRUSTED_PREFIX, XATTR_USER_PREFIX,
} from "../../linux-abi/xattr.ts";
import { bytesToString } from "../../linux-abi/_byte_string.ts";
import type { FileSystem, FsStat } from "../../fs-task/file_system.ts";
import { xattrRefusal } from "../../fs-task/_xattrs.ts";
import type { OpenFile } from "../file.ts";
import { PROT_READ } from "../memory.ts";
import { NamedPipeEnd } from "../named_pipe.ts";
import { CAP_SYS_ADMIN } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import type { Credentials } from "../creds.ts";
import { MAY_READ, MAY_WRITE, ownerOrCapable, permission } from "../permission.ts";
import type { Thread } from "../process.ts";
import { FsFile } from "../vfs.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallHandler, SyscallResult } from "./context.ts";
import { lookupAt, readPath } from "./_path.ts";

/** The file a call is about: a path (its last symlink followed or not) or an open file. */
type Target = { path: string; follow: boolean } | { file: OpenFile };

/** One call on whatever file the target names. */
interface XattrCall {
  /** The attribute (null for a list, which asks no permission). */
  name: string | null;
  /** Set or remove: write permission, and EROFS through a read-only mount. */
  change: boolean;
  /** The call on a file system by path; undefined when it keeps no attributes. */
  byPath(fs: FileSystem, inner: string, follow: boolean): number | undefined;
  /** The call on a file system's open handle; undefined when it keeps no attributes. */
  byHandle(fs: FileSystem, handle: number): number | undefined;
}

const AT_FLAGS = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH;
const PAGE_SIZE = 4096;

/** The name at `addr`: 1..XATTR_NAME_MAX bytes (ERANGE) in readable memory (EFAULT). */
function readName(t: Thread, addr: number): string | number {
  const mem = t.process.memory;
  const name = mem.readCString(addr, XATTR_NAME_MAX + 1);
  if (name === null) return mem.extent(addr, XATTR_NAME_MAX + 1, PROT_READ) === XATTR_NAME_MAX + 1 ? -E.ERANGE : -E.EFAULT;
  return name === "" ? -E.ERANGE : name;
}

/**
 * What (dirfd, path, at_flags) names. With AT_EMPTY_PATH an empty (or NULL) path is the
 * descriptor's own open file, which must not be O_PATH (EBADF).
 */
function targetOf(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, atFlags: number): Target | number {
  const emptyOk = (atFlags & AT_EMPTY_PATH) !== 0;
  const written = emptyOk && pathAddr === 0 ? "" : readPath(t, pathAddr);
  if (typeof written === "number") return written;
  if (emptyOk && written === "" && dirfd !== AT_FDCWD) {
    const file = t.process.fds.get(dirfd);
    return file === null || file.flags & O_PATH ? -E.EBADF : { file };
  }
  const follow = (atFlags & AT_SYMLINK_NOFOLLOW) === 0;
  const lk = lookupAt(k, t, dirfd, written, follow ? "follow" : "nofollow", { allowEmpty: emptyOk });
  return typeof lk === "number" ? lk : { path: lk.path, follow };
}

/**
 * Whether `creds` may read or change attribute `name` of the file `st` describes (Linux:
 * xattr_permission, cap_inode_setxattr).
 *   trusted.*   CAP_SYS_ADMIN only: a change is EPERM, a read finds nothing (ENODATA)
 *   security.*  anyone reads; CAP_SYS_ADMIN changes (EPERM)
 *   system.*    the file system's to decide
 *   user.*      only on regular files and directories (xattrRefusal); in a sticky
 *               directory only its owner (or CAP_FOWNER) changes them (EPERM); then as any other name:
 *   others      read or write permission on the file (EACCES)
 */
function xattrPermission(creds: Credentials, st: FsStat, name: string, change: boolean): number {
  const root = capable(creds, CAP_SYS_ADMIN);
  if (name.startsWith(XATTR_TRUSTED_PREFIX)) return root ? 0 : change ? -E.EPERM : -E.ENODATA;
  if (name.startsWith(XATTR_SECURITY_PREFIX)) return change && !root ? -E.EPERM : 0;
  if (name.startsWith(XATTR_SYSTEM_PREFIX)) return 0;
  const refused = xattrRefusal(name, st.mode, change);
  if (refused < 0) return refused;
  const stickyDir = (st.mode & S_IFMT) === S_IFDIR && (st.mode & S_ISVTX) !== 0;
  if (name.startsWith(XATTR_USER_PREFIX) && change && stickyDir && !ownerOrCapable(creds, st)) return -E.EPERM;
  return permission(creds, st, change ? MAY_WRITE : MAY_READ);
}

/** The file system and handle behind an open file, if it has them (not a pipe or a terminal). */
function fsHandleOf(f: OpenFile): { fs: FileSystem; handle: number; readOnly: boolean } | null {
  const ops = f.ops;
  if (ops instanceof FsFile) return { fs: ops.fs, handle: ops.handle, readOnly: ops.mount?.readOnly ?? false };
  if (ops instanceof NamedPipeEnd) return { fs: ops.fs, handle: ops.handle, readOnly: false };
  return null;
}

/** Runs `call` on the target: the file looked up, EROFS, the permission, then the file system's answer. */
function run(k: KernelServices, t: Thread, target: Target, call: XattrCall): number {
  const creds = t.creds;
  const permit = (st: FsStat | number): number =>
    typeof st === "number" ? st : call.name === null ? 0 : xattrPermission(creds, st, call.name, call.change);
  if ("file" in target) {
    const backing = fsHandleOf(target.file);
    if (call.change && backing?.readOnly) return -E.EROFS;
    const denied = permit(target.file.ops.stat());
    if (denied < 0) return denied;
    const r = (backing === null ? undefined : call.byHandle(backing.fs, backing.handle)) ?? noAttributes(call);
    if (r >= 0 && call.change && target.file.ops instanceof FsFile) k.fsnotify.onOpenFile(target.file.ops, IN_ATTRIB);
    return r;
  }
  const { path, follow } = target;
  return k.vfs.call(path, (fs, inner, mount) => {
    // The mount's guard: EROFS once the file is found, before any permission (mnt_want_write).
    if (call.change && mount.readOnly) return call.byPath(fs, inner, follow) ?? -E.EROFS;
    const denied = permit(fs.stat(inner, follow));
    if (denied !== 0) return denied; // CROSS_MOUNT too: the VFS goes on where the walk went
    if (!call.change) return call.byPath(fs, inner, follow) ?? noAttributes(call);
    return k.fsnotify.attrib(mount, fs, inner, follow, () => call.byPath(fs, inner, follow) ?? noAttributes(call));
  });
}

/** What a file on a file system without attributes answers. */
function noAttributes(call: XattrCall): number {
  return call.name === null ? 0 : -E.EOPNOTSUPP;
}

/** ERANGE from a caller whose buffer was the largest there can be is E2BIG (Linux's answer). */
function tooSmall(r: number, size: number, max: number): number {
  return r === -E.ERANGE && size >= max ? -E.E2BIG : r;
}

function getAt(k: KernelServices, t: Thread, target: Target | number, name: string, valueAddr: number, size: number): number {
  if (typeof target === "number") return target;
  const buf = new Uint8Array(Math.min(size, XATTR_SIZE_MAX));
  const r = run(k, t, target, {
    name, change: false,
    byPath: (fs, inner, follow) => fs.getxattr?.(inner, follow, name, buf),
    byHandle: (fs, handle) => fs.fgetxattr?.(handle, name, buf),
  });
  if (r < 0) return tooSmall(r, size, XATTR_SIZE_MAX);
  return size === 0 || t.process.memory.write(valueAddr, buf.subarray(0, r)) ? r : -E.EFAULT;
}

function listAt(k: KernelServices, t: Thread, target: Target | number, listAddr: number, size: number): number {
  if (typeof target === "number") return target;
  // A caller who may not see trusted.* gets the whole list here first, then without them.
  const filter = !capable(t.creds, CAP_SYS_ADMIN);
  const buf = new Uint8Array(filter ? XATTR_LIST_MAX : Math.min(size, XATTR_LIST_MAX));
  let r = run(k, t, target, {
    name: null, change: false,
    byPath: (fs, inner, follow) => fs.listxattr?.(inner, follow, buf),
    byHandle: (fs, handle) => fs.flistxattr?.(handle, buf),
  });
  if (filter && r > 0) {
    r = withoutTrusted(buf, r);
    if (size !== 0 && r > size) r = -E.ERANGE;
  }
  if (r < 0) return tooSmall(r, size, XATTR_LIST_MAX);
  return size === 0 || t.process.memory.write(listAddr, buf.subarray(0, r)) ? r : -E.EFAULT;
}

/** Drops the trusted.* names from the first `len` bytes of a list, in place: the new length. */
function withoutTrusted(list: Uint8Array, len: number): number {
  let kept = 0;
  for (let at = 0; at < len;) {
    let end = list.indexOf(0, at);
    if (end < 0 || end >= len) end = len - 1;
    const name = bytesToString(list.subarray(at, end));
    if (!name.startsWith(XATTR_TRUSTED_PREFIX)) {
      list.copyWithin(kept, at, end + 1);
      kept += end + 1 - at;
    }
    at = end + 1;
  }
  return kept;
}

/** Set's arguments in Linux's order (setxattr_copy): flags, name, size, then the value. */
function setArgs(t: Thread, nameAddr: number, valueAddr: number, size: number, flags: number): { name: string; value: Uint8Array } | number {
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return -E.EINVAL;
  const name = readName(t, nameAddr);
  if (typeof name === "number") return name;
  if (size > XATTR_SIZE_MAX) return -E.E2BIG;
  const value = new Uint8Array(size);
  return size === 0 || t.process.memory.read(valueAddr, value) ? { name, value } : -E.EFAULT;
}

function setAt(k: KernelServices, t: Thread, target: Target | number, name: string, value: Uint8Array, flags: number): number {
  if (typeof target === "number") return target;
  return run(k, t, target, {
    name, change: true,
    byPath: (fs, inner, follow) => fs.setxattr?.(inner, follow, name, value, flags),
    byHandle: (fs, handle) => fs.fsetxattr?.(handle, name, value, flags),
  });
}

function removeAt(k: KernelServices, t: Thread, target: Target | number, name: string): number {
  if (typeof target === "number") return target;
  return run(k, t, target, {
    name, change: true,
    byPath: (fs, inner, follow) => fs.removexattr?.(inner, follow, name),
    byHandle: (fs, handle) => fs.fremovexattr?.(handle, name),
  });
}

/** Where the classic forms look: by path (at_flags 0), without following (l…), by descriptor (f…). */
type Form = "path" | "link" | "fd";

/** The classic forms' first argument as a target: a path from the cwd, or a descriptor. */
function classicTarget(k: KernelServices, t: Thread, form: Form, arg0: SyscallArgs): Target | number {
  if (form === "fd") return targetOf(k, t, arg0.int(0), 0, AT_EMPTY_PATH);
  return targetOf(k, t, AT_FDCWD, arg0.ptr(0), form === "link" ? AT_SYMLINK_NOFOLLOW : 0);
}

function getxattr(form: Form): SyscallHandler {
  return (k, t, a) => {
    const name = readName(t, a.ptr(1));
    return typeof name === "number" ? name : getAt(k, t, classicTarget(k, t, form, a), name, a.ptr(2), a.size(3));
  };
}

function listxattr(form: Form): SyscallHandler {
  return (k, t, a) => listAt(k, t, classicTarget(k, t, form, a), a.ptr(1), a.size(2));
}

function setxattr(form: Form): SyscallHandler {
  return (k, t, a) => {
    const args = setArgs(t, a.ptr(1), a.ptr(2), a.size(3), a.int(4));
    return typeof args === "number" ? args : setAt(k, t, classicTarget(k, t, form, a), args.name, args.value, a.int(4));
  };
}

function removexattr(form: Form): SyscallHandler {
  return (k, t, a) => {
    const name = readName(t, a.ptr(1));
    return typeof name === "number" ? name : removeAt(k, t, classicTarget(k, t, form, a), name);
  };
}

/** Getxattr, Lgetxattr and Fgetxattr implement Linux syscalls getxattr(2), lgetxattr(2), fgetxattr(2). */
export const sysGetxattr = getxattr("path"), sysLgetxattr = getxattr("link"), sysFgetxattr = getxattr("fd");
/** Listxattr, Llistxattr and Flistxattr implement Linux syscalls listxattr(2), llistxattr(2), flistxattr(2). */
export const sysListxattr = listxattr("path"), sysLlistxattr = listxattr("link"), sysFlistxattr = listxattr("fd");
/** Setxattr, Lsetxattr and Fsetxattr implement Linux syscalls setxattr(2), lsetxattr(2), fsetxattr(2). */
export const sysSetxattr = setxattr("path"), sysLsetxattr = setxattr("link"), sysFsetxattr = setxattr("fd");
/** Removexattr, Lremovexattr and Fremovexattr implement Linux syscalls removexattr(2), lremovexattr(2), fremovexattr(2). */
export const sysRemovexattr = removexattr("path"), sysLremovexattr = removexattr("link"), sysFremovexattr = removexattr("fd");

/**
 * struct xattr_args at `addr`, `usize` bytes long (Linux: copy_struct_from_user): EINVAL
 * below version 0's 16 bytes, E2BIG past a page or for nonzero bytes past the 16.
 */
function readXattrArgs(t: Thread, addr: number, usize: number): { value: number; size: number; flags: number } | number {
  if (usize < XATTR_ARGS_SIZE_VER0) return -E.EINVAL;
  if (usize > PAGE_SIZE) return -E.E2BIG;
  const bytes = new Uint8Array(usize);
  if (!t.process.memory.read(addr, bytes)) return -E.EFAULT;
  if (bytes.subarray(XATTR_ARGS_SIZE_VER0).some((b) => b !== 0)) return -E.E2BIG;
  const view = new DataView(bytes.buffer);
  const value = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
  return { value, size: view.getUint32(8, true), flags: view.getUint32(12, true) };
}

/** Getxattrat implements Linux syscall getxattrat(2). */
export function sysGetxattrat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const args = readXattrArgs(t, a.ptr(4), a.size(5));
  if (typeof args === "number") return args;
  if (args.flags !== 0) return -E.EINVAL;
  const atFlags = a.uint(2);
  if (atFlags & ~AT_FLAGS) return -E.EINVAL;
  const name = readName(t, a.ptr(3));
  if (typeof name === "number") return name;
  return getAt(k, t, targetOf(k, t, a.int(0), a.ptr(1), atFlags), name, args.value, args.size);
}

/** Setxattrat implements Linux syscall setxattrat(2). */
export function sysSetxattrat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const args = readXattrArgs(t, a.ptr(4), a.size(5));
  if (typeof args === "number") return args;
  const atFlags = a.uint(2);
  if (atFlags & ~AT_FLAGS) return -E.EINVAL;
  const set = setArgs(t, a.ptr(3), args.value, args.size, args.flags);
  if (typeof set === "number") return set;
  return setAt(k, t, targetOf(k, t, a.int(0), a.ptr(1), atFlags), set.name, set.value, args.flags);
}

/** Listxattrat implements Linux syscall listxattrat(2). */
export function sysListxattrat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const atFlags = a.uint(2);
  if (atFlags & ~AT_FLAGS) return -E.EINVAL;
  return listAt(k, t, targetOf(k, t, a.int(0), a.ptr(1), atFlags), a.ptr(3), a.size(4));
}

/** Removexattrat implements Linux syscall removexattrat(2). */
export function sysRemovexattrat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const atFlags = a.uint(2);
  if (atFlags & ~AT_FLAGS) return -E.EINVAL;
  const name = readName(t, a.ptr(3));
  return typeof name === "number" ? name : removeAt(k, t, targetOf(k, t, a.int(0), a.ptr(1), atFlags), name);
}
