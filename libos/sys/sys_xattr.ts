// The extended-attribute family: get, list, set and remove, each by path, by path without
// following a last symlink (l…), and by descriptor (f…). Linux: fs/xattr.c. No file system
// here keeps extended attributes: after the same checks as Linux (the file, the name), a
// get or a remove finds no such attribute (ENODATA), a list is empty, and a set is not
// supported (EOPNOTSUPP). Programs that look for ACLs or SELinux labels (ls -l, cp -a)
// take that as "none".

import * as E from "../../linux-abi/errno.ts";
import { AT_FDCWD } from "../../linux-abi/fcntl.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallHandler, SyscallResult } from "./context.ts";
import { pathArg } from "./_path.ts";

// Linux: include/uapi/linux/limits.h.
const XATTR_NAME_MAX = 255;

type Target = "path" | "link" | "fd";
type Op = "get" | "list" | "set" | "remove";

/** The file the call names exists (0), or the errno of its lookup. */
function lookUp(k: KernelServices, t: Thread, target: Target, a: SyscallArgs): number {
  if (target === "fd") return t.process.fds.get(a.int(0)) ? 0 : -E.EBADF;
  const path = pathArg(t, AT_FDCWD, a.ptr(0));
  if (typeof path === "number") return path;
  const st = k.vfs.call(path, (fs, inner) => fs.stat(inner, target === "path"));
  return typeof st === "number" ? st : 0;
}

/** Linux's xattr name check: 1..XATTR_NAME_MAX bytes (ERANGE), in readable memory (EFAULT). */
function checkName(t: Thread, addr: number): number {
  const name = t.process.memory.readCString(addr, XATTR_NAME_MAX + 1);
  if (name === null) return t.process.memory.find(addr) ? -E.ERANGE : -E.EFAULT;
  return name === "" ? -E.ERANGE : 0;
}

function xattr(target: Target, op: Op): SyscallHandler {
  return (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => {
    if (op !== "list") {
      const bad = checkName(t, a.ptr(1));
      if (bad < 0) return bad;
    }
    const found = lookUp(k, t, target, a);
    if (found < 0) return found;
    return op === "list" ? 0 : op === "set" ? -E.EOPNOTSUPP : -E.ENODATA;
  };
}

/** Getxattr, Lgetxattr and Fgetxattr implement Linux syscalls getxattr(2), lgetxattr(2), fgetxattr(2). */
export const sysGetxattr = xattr("path", "get"), sysLgetxattr = xattr("link", "get"), sysFgetxattr = xattr("fd", "get");
/** Listxattr, Llistxattr and Flistxattr implement Linux syscalls listxattr(2), llistxattr(2), flistxattr(2). */
export const sysListxattr = xattr("path", "list"), sysLlistxattr = xattr("link", "list"), sysFlistxattr = xattr("fd", "list");
/** Setxattr, Lsetxattr and Fsetxattr implement Linux syscalls setxattr(2), lsetxattr(2), fsetxattr(2). */
export const sysSetxattr = xattr("path", "set"), sysLsetxattr = xattr("link", "set"), sysFsetxattr = xattr("fd", "set");
/** Removexattr, Lremovexattr and Fremovexattr implement Linux syscalls removexattr(2), lremovexattr(2), fremovexattr(2). */
export const sysRemovexattr = xattr("path", "remove"), sysLremovexattr = xattr("link", "remove"), sysFremovexattr = xattr("fd", "remove");
