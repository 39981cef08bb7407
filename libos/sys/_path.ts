// Path arguments: reading them from guest memory and making them absolute against the
// cwd or a directory descriptor (the *at family's dirfd). Linux: fs/namei.c.

import { EBADF, EFAULT, ENAMETOOLONG, ENOENT, ENOTDIR } from "../../linux-abi/errno.ts";
import { AT_FDCWD } from "../../linux-abi/fcntl.ts";
import { S_IFDIR, S_IFMT } from "../../linux-abi/stat.ts";
import type { Thread } from "../process.ts";
import { joinPath } from "../vfs.ts";
import { getString } from "./_struct.ts";

const PATH_MAX = 4096;

export function readPath(t: Thread, addr: number): string | number {
  if (addr === 0) return -EFAULT;
  return getString(t.process.memory, addr, PATH_MAX, -ENAMETOOLONG);
}

/**
 * Absolute path for (dirfd, path); `allowEmpty` is AT_EMPTY_PATH (the dirfd itself).
 * Nothing is folded: ".." belongs to the walk (see vfs.ts).
 */
export function resolveAt(t: Thread, dirfd: number, path: string, allowEmpty = false): string | number {
  if (path === "" && !allowEmpty) return -ENOENT;
  if (path.startsWith("/")) return path;
  if (dirfd === AT_FDCWD) return joinPath(t.process.cwd, path);
  const dir = t.process.fds.get(dirfd);
  if (!dir) return -EBADF;
  if (path === "") return dir.ops.path;
  const st = dir.ops.stat();
  if (typeof st === "number") return st;
  if ((st.mode & S_IFMT) !== S_IFDIR) return -ENOTDIR;
  const base = dir.ops.currentPath?.() ?? dir.ops.path;
  return typeof base === "number" ? base : joinPath(base, path);
}

/** readPath then resolveAt. */
export function pathArg(t: Thread, dirfd: number, addr: number, allowEmpty = false): string | number {
  const p = readPath(t, addr);
  return typeof p === "number" ? p : resolveAt(t, dirfd, p, allowEmpty);
}
