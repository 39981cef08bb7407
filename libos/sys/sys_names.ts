// Names in directories: mkdir, mknod, symlink, link, unlink, rmdir, rename and their *at
// forms. Linux: fs/namei.c (filename_create, may_create, may_delete, vfs_rename).
//
// Each handler looks its paths up (_path.ts lookupAt: walked one component at a time for
// a caller the checks can stop), checks what Linux's VFS checks before the file system is
// asked (permission.ts), then makes one call to the file system that holds the name.

import * as E from "../../linux-abi/errno.ts";
import * as F from "../../linux-abi/fcntl.ts";
import { CAP_MKNOD } from "../../linux-abi/capability.ts";
import { AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_FOLLOW } from "../../linux-abi/fcntl.ts";
import { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT } from "../../linux-abi/fs.ts";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFMT } from "../../linux-abi/stat.ts";
import type { FileSystem, FsStat } from "../../fs-task/file_system.ts";
import { capable } from "../capabilities.ts";
import { MAY_WRITE, mayCreate, mayDelete, mayLink, permission } from "../permission.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { lookupArg, type Last, type Lookup } from "./_path.ts";
import { getString } from "./_struct.ts";
import { ownCreated } from "./_owner.ts";

/** After a call that made `inner` (r = 0): the new file goes to the caller (_owner.ts). */
function created(fs: FileSystem, inner: string, t: Thread, r: number): number {
  if (r === 0) ownCreated(fs, inner, t.creds, false);
  return r;
}

/**
 * Linux asks for write access to the mount (EROFS) once the name is found, before the
 * permission checks: so here too, for a walked path (a physical one routes exactly).
 */
const readOnly = (k: KernelServices, lk: Lookup): boolean => lk.found !== null && k.vfs.route(lk.path).mount.readOnly;

/**
 * may_create for a new name: an existing one is the file system's EEXIST (Linux looks
 * it up first), a read-only mount its EROFS; else the directory must take a new name.
 */
function creatable(k: KernelServices, t: Thread, lk: Lookup): number {
  const w = lk.found;
  return w === null || w.st !== null || w.dir === null || readOnly(k, lk) ? 0 : mayCreate(t.creds, w.dir);
}

/** may_delete for the name found; a missing one is the file system's ENOENT, a read-only mount its EROFS. */
function deletable(k: KernelServices, t: Thread, lk: Lookup): number {
  const w = lk.found;
  return w === null || w.st === null || w.dir === null || readOnly(k, lk) ? 0 : mayDelete(t.creds, w.dir, w.st);
}

/** A new name at (dirfd, path): looked up, checked, then `make` on its file system. */
function createAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, make: (fs: FileSystem, inner: string) => number, extra = 0): number {
  const lk = lookupArg(k, t, dirfd, pathAddr, "parent");
  if (typeof lk === "number") return lk;
  const allowed = creatable(k, t, lk) || (lk.found?.st === null && !readOnly(k, lk) ? extra : 0);
  return allowed < 0 ? allowed : k.vfs.call(lk.path, (fs, inner, mount) => k.fsnotify.created(mount, fs, inner, () => created(fs, inner, t, make(fs, inner))));
}

/** Mkdir implements Linux syscall mkdir(2). */
export function sysMkdir(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mode = a.uint(1) & ~t.process.umask & 0o7777;
  return createAt(k, t, F.AT_FDCWD, a.ptr(0), (fs, p) => fs.mkdir(p, mode));
}

/** Mkdirat implements Linux syscall mkdirat(2). */
export function sysMkdirat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mode = a.uint(2) & ~t.process.umask & 0o7777;
  return createAt(k, t, a.int(0), a.ptr(1), (fs, p) => fs.mkdir(p, mode));
}

/**
 * Mknodat implements Linux syscall mknodat(2); mknod(2) passes AT_FDCWD. A device node
 * needs CAP_MKNOD, asked after the name is found free and the directory writable (vfs_mknod).
 */
function mknodAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, mode: number, dev: number): SyscallResult {
  const type = mode & S_IFMT;
  const m = type | (mode & ~t.process.umask & 0o7777);
  const refused = (type === S_IFCHR || type === S_IFBLK) && !capable(t.creds, CAP_MKNOD) ? -E.EPERM : 0;
  return createAt(k, t, dirfd, pathAddr, (fs, p) => (refused < 0 ? refused : fs.mknod ? fs.mknod(p, m, dev) : -E.EPERM), refused);
}
export const sysMknod = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => mknodAt(k, t, F.AT_FDCWD, a.ptr(0), a.uint(1), a.uint(2));
export const sysMknodat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => mknodAt(k, t, a.int(0), a.ptr(1), a.uint(2), a.uint(3));

/** Symlinkat implements Linux syscall symlinkat(2); symlink(2) passes AT_FDCWD. */
function symlinkAt(k: KernelServices, t: Thread, targetAddr: number, dirfd: number, pathAddr: number): SyscallResult {
  const target = getString(t.process.memory, targetAddr, 4096, -E.ENAMETOOLONG);
  if (typeof target === "number") return target;
  return createAt(k, t, dirfd, pathAddr, (fs, inner) => fs.symlink(target, inner));
}
export const sysSymlink = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => symlinkAt(k, t, a.ptr(0), F.AT_FDCWD, a.ptr(1));
export const sysSymlinkat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => symlinkAt(k, t, a.ptr(0), a.int(1), a.ptr(2));

/** A name removed from its directory: looked up without following it, checked, removed. */
function removeAt(k: KernelServices, t: Thread, dirfd: number, pathAddr: number, dir: boolean): number {
  const lk = lookupArg(k, t, dirfd, pathAddr, "parent");
  if (typeof lk === "number") return lk;
  const allowed = deletable(k, t, lk);
  return allowed < 0 ? allowed : k.vfs.call(lk.path, (fs, p, mount) => k.fsnotify.removed(mount, fs, p, () => (dir ? fs.rmdir(p) : fs.unlink(p))));
}

/** Unlink implements Linux syscall unlink(2). */
export const sysUnlink = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => removeAt(k, t, F.AT_FDCWD, a.ptr(0), false);

/** Rmdir implements Linux syscall rmdir(2). */
export const sysRmdir = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => removeAt(k, t, F.AT_FDCWD, a.ptr(0), true);

/** Unlinkat implements Linux syscall unlinkat(2). */
export function sysUnlinkat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(2);
  if (flags & ~AT_REMOVEDIR) return -E.EINVAL;
  return removeAt(k, t, a.int(0), a.ptr(1), (flags & AT_REMOVEDIR) !== 0);
}

/** Both names of a rename or link, looked up; the second as a name in its directory. */
function twoLookups(k: KernelServices, t: Thread, first: [number, number], second: [number, number], last: Last): [Lookup, Lookup] | number {
  const a = lookupArg(k, t, first[0], first[1], last);
  if (typeof a === "number") return a;
  const b = lookupArg(k, t, second[0], second[1], "parent");
  return typeof b === "number" ? b : [a, b];
}

const sameFile = (a: FsStat, b: FsStat): boolean => a.dev === b.dev && a.ino === b.ino;

/**
 * vfs_rename's checks: the source may leave its directory, the target may be replaced or
 * created (an exchange deletes both ways), and a directory that changes parent needs
 * write permission on itself (its ".." changes).
 */
function renameAllowed(k: KernelServices, t: Thread, lks: [Lookup, Lookup], flags: number): number {
  const [from, to] = [lks[0].found, lks[1].found];
  if (from === null || to === null || from.st === null || from.dir === null || to.dir === null || readOnly(k, lks[0])) return 0;
  const r = mayDelete(t.creds, from.dir, from.st) || (to.st === null ? mayCreate(t.creds, to.dir) : mayDelete(t.creds, to.dir, to.st));
  if (r < 0 || sameFile(from.dir, to.dir)) return r;
  const moves = (st: FsStat | null): boolean => st !== null && (st.mode & S_IFMT) === S_IFDIR;
  if (moves(from.st) && permission(t.creds, from.st, MAY_WRITE) < 0) return -E.EACCES;
  if (flags & RENAME_EXCHANGE && moves(to.st) && permission(t.creds, to.st!, MAY_WRITE) < 0) return -E.EACCES;
  return 0;
}

function renameAt(k: KernelServices, t: Thread, from: [number, number], to: [number, number], flags: number): SyscallResult {
  // Linux refuses bad flags before it looks a path up (so before any EXDEV or ENOENT).
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -E.EINVAL;
  if (flags & RENAME_WHITEOUT || (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE)) return -E.EINVAL;
  const p = twoLookups(k, t, from, to, "parent");
  if (typeof p === "number") return p;
  const allowed = renameAllowed(k, t, p, flags);
  return allowed < 0 ? allowed : k.vfs.call2(p[0].path, p[1].path, (fs, x, y, mount) => k.fsnotify.renamed(mount, fs, x, y, () => fs.rename(x, y, flags)));
}

/** Rename implements Linux syscall rename(2). */
export const sysRename = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  renameAt(k, t, [F.AT_FDCWD, a.ptr(0)], [F.AT_FDCWD, a.ptr(1)], 0);

/**
 * Renameat2 implements Linux syscall renameat2(2). The file system does RENAME_NOREPLACE
 * and RENAME_EXCHANGE itself, atomically (FileSystem.rename); RENAME_WHITEOUT is EINVAL.
 */
export const sysRenameat2 = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  renameAt(k, t, [a.int(0), a.ptr(1)], [a.int(2), a.ptr(3)], a.uint(4));

/** Renameat implements Linux syscall renameat(2): renameat2 without flags (r8 is not an argument). */
export const sysRenameat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  renameAt(k, t, [a.int(0), a.ptr(1)], [a.int(2), a.ptr(3)], 0);

/** A hard link: the existing file (followed or not) and the new name, checked as may_create. */
function linkAt(k: KernelServices, t: Thread, from: [number, number], to: [number, number], flags: number): SyscallResult {
  const p = twoLookups(k, t, from, to, flags & AT_SYMLINK_FOLLOW ? "follow" : "nofollow");
  if (typeof p === "number") return p;
  const source = p[0].found?.st;
  if (source === null) return -E.ENOENT;
  const allowed = (source === undefined ? 0 : mayLink(t.creds, source)) || creatable(k, t, p[1]);
  if (allowed < 0) return allowed;
  // Without a walk a followed link is found by the file system's own walk first.
  const existing = flags & AT_SYMLINK_FOLLOW && p[0].found === null ? k.vfs.realpath(p[0].path) : p[0].path;
  if (typeof existing === "number") return existing;
  return k.vfs.call2(existing, p[1].path, (fs, x, y, mount) => k.fsnotify.linked(mount, fs, y, () => fs.link(x, y)));
}

/** Link implements Linux syscall link(2). */
export const sysLink = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => linkAt(k, t, [F.AT_FDCWD, a.ptr(0)], [F.AT_FDCWD, a.ptr(1)], 0);

/** Linkat implements Linux syscall linkat(2); AT_SYMLINK_FOLLOW links what a final symlink names. */
export function sysLinkat(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const flags = a.int(4);
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  return linkAt(k, t, [a.int(0), a.ptr(1)], [a.int(2), a.ptr(3)], flags);
}
