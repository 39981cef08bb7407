// File permission checks: discretionary access control on the mode, owner and group an
// fs-task reports, for the credentials of the calling thread (the kernel-task's).
// Linux: fs/namei.c (generic_permission, may_open, may_create, may_delete, check_sticky),
// fs/attr.c (inode_owner_or_capable, setattr_prepare), fs/open.c (chown_ok).
//
//   permission(c, st, mask)    MAY_READ/WRITE/EXEC on one file: 0 or -EACCES
//   mayCreate / mayDelete      w+x on the directory; the sticky bit's owner rule for delete
//   mayOpen                    what open(2) needs of an existing file
//   ownerOrCapable             the owner (by fs uid) or CAP_FOWNER
//   fsPrivileged               credentials every one of these checks lets through (root's
//                              usual case): callers skip the looking-up they would need
//
// Where the checks run: path_walk.ts checks search permission on each directory of a
// path; the syscall families check the last component with these.

import {
  CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
} from "../linux-abi/capability.ts";
import { EACCES, EPERM } from "../linux-abi/errno.ts";
import { O_ACCMODE, O_NOATIME, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from "../linux-abi/fcntl.ts";
import { S_IFDIR, S_IFMT, S_IFREG, S_ISGID, S_ISUID, S_ISVTX, S_IXGRP, S_IXUGO } from "../linux-abi/stat.ts";
import { capable, capBit, capOr } from "./capabilities.ts";
import { inGroup, type Credentials } from "./creds.ts";

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

/** What the checks read of a file. */
export interface Owned {
  mode: number;
  uid: number;
  gid: number;
}

/** The capabilities that let a caller past every check here (fsPrivileged). */
const ALL_DAC = [CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID].reduce((s, c) => capOr(s, capBit(c)), 0);

/**
 * Whether `c` passes every permission check but exec's (which still wants an x bit),
 * so a path needs no walk of its own to be checked. ALL_DAC's bits are all in the low word.
 */
export const fsPrivileged = (c: Credentials): boolean => (c.capEffective & ALL_DAC) === ALL_DAC;

/** acl_permission_check: the owner's, the group's or the others' bits, whichever class `c` is in. */
function modeAllows(c: Credentials, st: Owned, mask: number): boolean {
  let mode = st.mode;
  if (c.fsuid === st.uid) mode >>= 6;
  else if (inGroup(c, st.gid)) mode >>= 3;
  return (mask & ~mode & 7) === 0;
}

/**
 * generic_permission: the mode bits, then CAP_DAC_READ_SEARCH (reading, and searching a
 * directory) and CAP_DAC_OVERRIDE (anything, but executing a file needs an x bit).
 */
export function permission(c: Credentials, st: Owned, mask: number): number {
  if (modeAllows(c, st, mask)) return 0;
  if ((st.mode & S_IFMT) === S_IFDIR) {
    if (!(mask & MAY_WRITE) && capable(c, CAP_DAC_READ_SEARCH)) return 0;
    return capable(c, CAP_DAC_OVERRIDE) ? 0 : -EACCES;
  }
  if ((!(mask & MAY_EXEC) || st.mode & S_IXUGO) && capable(c, CAP_DAC_OVERRIDE)) return 0;
  if (mask === MAY_READ && capable(c, CAP_DAC_READ_SEARCH)) return 0;
  return -EACCES;
}

/** inode_owner_or_capable. */
export const ownerOrCapable = (c: Credentials, st: Owned): boolean => c.fsuid === st.uid || capable(c, CAP_FOWNER);

/** may_create: a new name in directory `dir`. */
export const mayCreate = (c: Credentials, dir: Owned): number => permission(c, dir, MAY_WRITE | MAY_EXEC);

/**
 * may_delete: removing (or renaming away, or replacing) `victim` from directory `dir`:
 * w+x on the directory, and in a sticky directory the victim's or the directory's owner
 * (or CAP_FOWNER), else EPERM.
 */
export function mayDelete(c: Credentials, dir: Owned, victim: Owned): number {
  const r = permission(c, dir, MAY_WRITE | MAY_EXEC);
  if (r < 0) return r;
  if (dir.mode & S_ISVTX && c.fsuid !== victim.uid && c.fsuid !== dir.uid && !capable(c, CAP_FOWNER)) return -EPERM;
  return 0;
}

/**
 * may_linkat with fs.protected_hardlinks on (as distributions set it): a hard link to a
 * file needs its owner (or CAP_FOWNER), or a regular file, not set-user-ID nor executable
 * set-group-ID, that the caller may read and write (EPERM).
 */
export function mayLink(c: Credentials, st: Owned): number {
  if (ownerOrCapable(c, st)) return 0;
  const sgidExec = S_ISGID | S_IXGRP;
  const safe = (st.mode & S_IFMT) === S_IFREG && !(st.mode & S_ISUID) && (st.mode & sgidExec) !== sgidExec;
  return safe && permission(c, st, MAY_READ | MAY_WRITE) === 0 ? 0 : -EPERM;
}

/** The MAY_* an open with `flags` needs (O_TRUNC needs write; O_PATH nothing: the caller skips it). */
export function openMask(flags: number): number {
  const access = flags & O_ACCMODE;
  let mask = access === O_RDONLY ? MAY_READ : access === O_WRONLY ? MAY_WRITE : access === O_RDWR ? MAY_READ | MAY_WRITE : MAY_READ | MAY_WRITE;
  if (flags & O_TRUNC) mask |= MAY_WRITE;
  return mask;
}

/** may_open's permission part for an existing file: EACCES, then O_NOATIME's owner rule (EPERM). */
export function mayOpen(c: Credentials, st: Owned, flags: number): number {
  const r = permission(c, st, openMask(flags));
  if (r < 0) return r;
  return flags & O_NOATIME && !ownerOrCapable(c, st) ? -EPERM : 0;
}

/** chmod's mode: S_ISGID is dropped for a file whose group `c` is not in, without CAP_FSETID (setattr_prepare). */
export function chmodMode(c: Credentials, st: Owned, mode: number): number {
  if (mode & S_ISGID && !inGroup(c, st.gid) && !capable(c, CAP_FSETID)) return mode & ~S_ISGID;
  return mode;
}

/**
 * chown_ok / chgrp_ok: a new owner needs CAP_CHOWN (naming the owner it has is no change,
 * for the owner); a new group needs the owner in that group, or CAP_CHOWN. -1 leaves an
 * id as it is.
 */
export function mayChown(c: Credentials, st: Owned, uid: number, gid: number): number {
  if (capable(c, CAP_CHOWN)) return 0;
  const owner = c.fsuid === st.uid;
  if (uid !== -1 && !(owner && uid === st.uid)) return -EPERM;
  if (gid !== -1 && !(owner && (gid === st.gid || inGroup(c, gid)))) return -EPERM;
  return 0;
}
