// Who owns a new file: the creator's fs uid, and its fs gid unless the directory is
// set-group-ID (Linux: inode_init_owner, mode_strip_sgid). The fs-tasks create files as
// the user kernel's root (tmpfs) or as the host process (hostfs); for any other creator
// the syscall layer hands the new file over with chown right after creating it.

import type { FileSystem } from "../../fs-task/file_system.ts";
import { CAP_FSETID } from "../../linux-abi/capability.ts";
import { S_IFDIR, S_IFMT, S_ISGID, S_ISUID, S_IXGRP } from "../../linux-abi/stat.ts";
import { capable } from "../capabilities.ts";
import { inGroup, type Credentials } from "../creds.ts";

/** Whether files `c` creates need handing over (a root creator's are already right). */
export const needsOwner = (c: Credentials): boolean => c.fsuid !== 0 || c.fsgid !== 0;

/**
 * Give the file just created at `inner` to `c`; a file system that cannot chown keeps its
 * owner. chown clears a file's set-user-ID and set-group-ID bits, which the new file keeps
 * (but S_ISGID with group execute, in a set-group-ID directory of a group `c` is not in).
 */
export function ownCreated(fs: FileSystem, inner: string, c: Credentials, follow: boolean): void {
  if (!needsOwner(c) || !fs.chown) return;
  const parent = fs.stat(inner.slice(0, inner.lastIndexOf("/") + 1) || ".", true);
  const inherit = typeof parent !== "number" && (parent.mode & S_ISGID) !== 0;
  const made = fs.stat(inner, follow);
  fs.chown(inner, c.fsuid, inherit ? -1 : c.fsgid, follow);
  if (typeof made === "number" || (made.mode & S_IFMT) === S_IFDIR || !(made.mode & (S_ISUID | S_ISGID))) return;
  let mode = made.mode & 0o7777;
  const sgidExec = S_ISGID | S_IXGRP;
  if (inherit && (mode & sgidExec) === sgidExec && !inGroup(c, made.gid) && !capable(c, CAP_FSETID)) mode &= ~S_ISGID;
  fs.chmod(inner, mode);
}

/** For open(O_CREAT): whether the open is about to create `inner` (it does not exist yet). */
export function willCreate(fs: FileSystem, inner: string, c: Credentials): boolean {
  return needsOwner(c) && fs.chown !== undefined && typeof fs.stat(inner, true) === "number";
}
