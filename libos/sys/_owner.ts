// Who owns a new file: the creator's fs uid, and its fs gid unless the directory is
// set-group-ID (Linux: inode_init_owner). The fs-tasks create files as the user kernel's
// root (tmpfs) or as the host process (hostfs); for any other creator the syscall layer
// hands the new file over with chown right after creating it.

import type { FileSystem } from "../../fs-task/file_system.ts";
import { S_ISGID } from "../../linux-abi/stat.ts";
import type { Credentials } from "../creds.ts";

/** Whether files `c` creates need handing over (a root creator's are already right). */
export const needsOwner = (c: Credentials): boolean => c.fsuid !== 0 || c.fsgid !== 0;

/** Give the file just created at `inner` to `c`; a file system that cannot chown keeps its owner. */
export function ownCreated(fs: FileSystem, inner: string, c: Credentials, follow: boolean): void {
  if (!needsOwner(c) || !fs.chown) return;
  const parent = fs.stat(inner.slice(0, inner.lastIndexOf("/") + 1) || ".", true);
  const gid = typeof parent !== "number" && parent.mode & S_ISGID ? -1 : c.fsgid;
  fs.chown(inner, c.fsuid, gid, follow);
}

/** For open(O_CREAT): whether the open is about to create `inner` (it does not exist yet). */
export function willCreate(fs: FileSystem, inner: string, c: Credentials): boolean {
  return needsOwner(c) && fs.chown !== undefined && typeof fs.stat(inner, true) === "number";
}
