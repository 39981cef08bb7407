// Extended attributes for the file systems that keep them in memory (TmpFs, DevFs), and
// the naming rules every back end and the kernel-task share.
//
//   xattrRefusal(name, mode, change)   what Linux's VFS answers before any file system
//                                      looks (fs/xattr.c xattr_permission): user.* only on
//                                      regular files and directories
//   xattrNameError(name, mode, change) that, then what a file system keeping user.,
//                                      trusted. and security. attributes answers for the
//                                      name itself (xattr_resolve_name)
//   XattrSet                           one inode's attributes (fs/xattr.c simple_xattr_*,
//                                      as mm/shmem.c uses them), charged to a MemoryQuota
//
// Names are byte strings (linux-abi/_byte_string.ts) of 1 to XATTR_NAME_MAX bytes and
// values at most XATTR_SIZE_MAX bytes: the kernel-task checks both at syscall entry.

import type { MemoryQuota } from "./_paged_bytes.ts";
import { EEXIST, EINVAL, ENODATA, ENOSPC, EOPNOTSUPP, EPERM, ERANGE } from "./_errno.ts";
import { S_IFDIR, S_IFMT, S_IFREG } from "./_flags.ts";
import {
  XATTR_CREATE, XATTR_REPLACE, XATTR_SECURITY_PREFIX, XATTR_TRUSTED_PREFIX, XATTR_USER_PREFIX,
} from "../linux-abi/xattr.ts";

/** The namespaces an in-memory set keeps. No system.*: these file systems have no POSIX ACLs. */
const KEPT_PREFIXES = [XATTR_USER_PREFIX, XATTR_TRUSTED_PREFIX, XATTR_SECURITY_PREFIX];

/**
 * What Linux's VFS answers for `name` on a file of `mode` before a file system is asked,
 * whatever the caller (credentials are the kernel-task's): a user.* attribute lives only
 * on a regular file or a directory; elsewhere a change is EPERM and a read finds none
 * (ENODATA). 0 when the file system may look.
 */
export function xattrRefusal(name: string, mode: number, change: boolean): number {
  if (!name.startsWith(XATTR_USER_PREFIX)) return 0;
  const type = mode & S_IFMT;
  if (type === S_IFREG || type === S_IFDIR) return 0;
  return change ? -EPERM : -ENODATA;
}

/**
 * xattrRefusal, then the name as a file system keeping user., trusted. and security.
 * attributes sees it: EOPNOTSUPP for any other prefix (system. included), EINVAL for a
 * prefix with nothing after it. 0 when the name is good.
 */
export function xattrNameError(name: string, mode: number, change: boolean): number {
  const refused = xattrRefusal(name, mode, change);
  if (refused < 0) return refused;
  const prefix = KEPT_PREFIXES.find((p) => name.startsWith(p));
  if (prefix === undefined) return -EOPNOTSUPP;
  return name.length === prefix.length ? -EINVAL : 0;
}

/** Bytes charged per attribute beyond its name and value (Linux's struct simple_xattr). */
const ENTRY_OVERHEAD = 48;

function costOf(name: string, value: Uint8Array): number {
  return ENTRY_OVERHEAD + name.length + 1 + value.length;
}

/**
 * One inode's extended attributes. Listing order is the order of creation (a name set
 * again keeps its place). Each attribute is charged to the quota the caller passes, and
 * released when it is removed or replaced, or when the inode goes (clear).
 */
export class XattrSet {
  readonly #values = new Map<string, Uint8Array>();

  /** The value's length, copied into `dst` unless `dst` is empty (a size query); ENODATA, ERANGE. */
  get(name: string, dst: Uint8Array): number {
    const value = this.#values.get(name);
    if (value === undefined) return -ENODATA;
    if (dst.length === 0) return value.length;
    if (dst.length < value.length) return -ERANGE;
    dst.set(value);
    return value.length;
  }

  /** The names, each followed by a NUL, into `dst` unless it is empty (a size query): their length, or ERANGE. */
  list(dst: Uint8Array): number {
    let total = 0;
    for (const name of this.#values.keys()) total += name.length + 1;
    if (dst.length === 0) return total;
    if (dst.length < total) return -ERANGE;
    let at = 0;
    for (const name of this.#values.keys()) {
      for (let i = 0; i < name.length; i++) dst[at++] = name.charCodeAt(i);
      dst[at++] = 0;
    }
    return total;
  }

  /**
   * Sets `name` to a copy of `value`. XATTR_CREATE: EEXIST if it is there; XATTR_REPLACE:
   * ENODATA if it is not; ENOSPC when the quota cannot take it (the old value stays).
   */
  set(name: string, value: Uint8Array, flags: number, quota: MemoryQuota): number {
    const old = this.#values.get(name);
    if (old !== undefined && flags & XATTR_CREATE) return -EEXIST;
    if (old === undefined && flags & XATTR_REPLACE) return -ENODATA;
    if (!quota.charge(costOf(name, value))) return -ENOSPC;
    if (old !== undefined) quota.release(costOf(name, old));
    this.#values.set(name, value.slice());
    return 0;
  }

  /** Removes `name`: 0, or ENODATA if it is not there. */
  remove(name: string, quota: MemoryQuota): number {
    const old = this.#values.get(name);
    if (old === undefined) return -ENODATA;
    this.#values.delete(name);
    quota.release(costOf(name, old));
    return 0;
  }

  /** Drops every attribute (the inode is freed). */
  clear(quota: MemoryQuota): void {
    for (const [name, value] of this.#values) quota.release(costOf(name, value));
    this.#values.clear();
  }
}
