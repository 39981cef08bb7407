// inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch (Linux:
// fs/notify/inotify/inotify_user.c). The instances and the events are libos/fsnotify.ts's.

import * as E from "../../linux-abi/errno.ts";
import { AT_FDCWD, O_NONBLOCK, O_RDONLY } from "../../linux-abi/fcntl.ts";
import { ALL_INOTIFY_BITS, IN_CLOEXEC, IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_NONBLOCK, IN_ONLYDIR } from "../../linux-abi/inotify.ts";
import { S_IFDIR, S_IFMT } from "../../linux-abi/stat.ts";
import type { FileSystem, FsStat } from "../../fs-task/file_system.ts";
import { OpenFile } from "../file.ts";
import { Inotify } from "../fsnotify.ts";
import { MAY_READ, permission } from "../permission.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { lookupArg } from "./_path.ts";

function init(k: KernelServices, t: Thread, flags: number): number {
  if (flags & ~(IN_CLOEXEC | IN_NONBLOCK)) return -E.EINVAL;
  if (!t.process.fds.hasRoom()) return -E.EMFILE;
  const inst = k.fsnotify.newInstance(t.creds.uid);
  if (typeof inst === "number") return inst;
  return t.process.fds.install(new OpenFile(inst, O_RDONLY | (flags & O_NONBLOCK)), (flags & IN_CLOEXEC) !== 0);
}

/** InotifyInit implements Linux syscall inotify_init(2). */
export const sysInotifyInit = (k: KernelServices, t: Thread): SyscallResult => init(k, t, 0);
/** InotifyInit1 implements Linux syscall inotify_init1(2). */
export const sysInotifyInit1 = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => init(k, t, a.int(0));

/** The instance open as `fd`: EBADF for none, EINVAL for another kind of file. */
function instanceOf(t: Thread, fd: number): Inotify | number {
  const f = t.process.fds.getOpen(fd);
  if (!f) return -E.EBADF;
  return f.ops instanceof Inotify ? f.ops : -E.EINVAL;
}

/** InotifyAddWatch implements Linux syscall inotify_add_watch(2). */
export function sysInotifyAddWatch(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const mask = a.uint(2);
  if (mask & IN_MASK_ADD && mask & IN_MASK_CREATE) return -E.EINVAL;
  if (!(mask & ALL_INOTIFY_BITS)) return -E.EINVAL;
  const inst = instanceOf(t, a.int(0));
  if (typeof inst === "number") return inst;
  const follow = !(mask & IN_DONT_FOLLOW);
  const lk = lookupArg(k, t, AT_FDCWD, a.ptr(1), follow ? "follow" : "nofollow");
  if (typeof lk === "number") return lk;
  const found = k.vfs.call(lk.path, (fs, inner, mount): { fs: FileSystem; st: FsStat } | number => {
    const st = fs.stat(inner, follow);
    return typeof st === "number" ? st : { fs: mount.fs, st };
  });
  if (typeof found === "number") return found;
  const { st } = found;
  if (mask & IN_ONLYDIR && (st.mode & S_IFMT) !== S_IFDIR) return -E.ENOTDIR;
  const denied = permission(t.creds, st, MAY_READ);
  if (denied < 0) return denied;
  return k.fsnotify.addWatch(inst, found.fs, st, mask);
}

/** InotifyRmWatch implements Linux syscall inotify_rm_watch(2). */
export function sysInotifyRmWatch(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const inst = instanceOf(t, a.int(0));
  return typeof inst === "number" ? inst : k.fsnotify.rmWatch(inst, a.int(1));
}
