// The credential calls: get*id, set*id, set/getgroups (Linux: kernel/sys.c, kernel/groups.c).
// The rules are in creds.ts; here the arguments are decoded and the new record committed
// to the calling thread (see creds.ts on threads and the libc setxid broadcast).

import * as E from "../../linux-abi/errno.ts";
import { NGROUPS_MAX, setFsId, setGroups, setId, setReId, setResId, type Credentials } from "../creds.ts";
import { CAP_SETGID } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

export const sysGetuid = (_k: KernelServices, t: Thread): SyscallResult => t.creds.uid;
export const sysGeteuid = (_k: KernelServices, t: Thread): SyscallResult => t.creds.euid;
export const sysGetgid = (_k: KernelServices, t: Thread): SyscallResult => t.creds.gid;
export const sysGetegid = (_k: KernelServices, t: Thread): SyscallResult => t.creds.egid;

function commit(t: Thread, next: Credentials | number): number {
  if (typeof next === "number") return next;
  t.commitCreds(next);
  return 0;
}

/** Setuid implements Linux syscall setuid(2). */
export const sysSetuid = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => commit(t, setId(t.creds, "uid", a.uint(0)));
/** Setgid implements Linux syscall setgid(2). */
export const sysSetgid = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => commit(t, setId(t.creds, "gid", a.uint(0)));
/** Setreuid implements Linux syscall setreuid(2). */
export const sysSetreuid = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  commit(t, setReId(t.creds, "uid", a.uint(0), a.uint(1)));
/** Setregid implements Linux syscall setregid(2). */
export const sysSetregid = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  commit(t, setReId(t.creds, "gid", a.uint(0), a.uint(1)));
/** Setresuid implements Linux syscall setresuid(2). */
export const sysSetresuid = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  commit(t, setResId(t.creds, "uid", a.uint(0), a.uint(1), a.uint(2)));
/** Setresgid implements Linux syscall setresgid(2). */
export const sysSetresgid = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  commit(t, setResId(t.creds, "gid", a.uint(0), a.uint(1), a.uint(2)));

/** Setfsuid implements Linux syscall setfsuid(2): the old fs uid, whether or not it changed. */
export function sysSetfsuid(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const old = t.creds.fsuid;
  t.commitCreds(setFsId(t.creds, "uid", a.uint(0)));
  return old;
}

/** Setfsgid implements Linux syscall setfsgid(2). */
export function sysSetfsgid(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const old = t.creds.fsgid;
  t.commitCreds(setFsId(t.creds, "gid", a.uint(0)));
  return old;
}

/** Three u32s to three guest pointers (getresuid/getresgid): EFAULT at the first bad one. */
function putIds(t: Thread, a: SyscallArgs, ids: [number, number, number]): number {
  const b = new Uint8Array(4);
  const v = new DataView(b.buffer);
  for (let i = 0; i < 3; i++) {
    v.setUint32(0, ids[i]!, true);
    if (!t.process.memory.write(a.ptr(i), b)) return -E.EFAULT;
  }
  return 0;
}

/** Getresuid implements Linux syscall getresuid(2). */
export const sysGetresuid = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => putIds(t, a, [t.creds.uid, t.creds.euid, t.creds.suid]);
/** Getresgid implements Linux syscall getresgid(2). */
export const sysGetresgid = (_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => putIds(t, a, [t.creds.gid, t.creds.egid, t.creds.sgid]);

/** Getgroups implements Linux syscall getgroups(2): the count with size 0, EINVAL when the list does not fit. */
export function sysGetgroups(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const size = a.int(0), groups = t.creds.groups;
  if (size < 0) return -E.EINVAL;
  if (size === 0 || groups.length === 0) return groups.length;
  if (size < groups.length) return -E.EINVAL;
  const b = new Uint8Array(groups.length * 4);
  const v = new DataView(b.buffer);
  groups.forEach((g, i) => v.setUint32(i * 4, g, true));
  return t.process.memory.write(a.ptr(1), b) ? groups.length : -E.EFAULT;
}

/** Setgroups implements Linux syscall setgroups(2). */
export function sysSetgroups(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const size = a.int(0);
  if (!capable(t.creds, CAP_SETGID)) return -E.EPERM;
  if (size < 0 || size > NGROUPS_MAX) return -E.EINVAL;
  const bytes = t.process.memory.view(a.ptr(1), size * 4, PROT_READ);
  if (!bytes) return -E.EFAULT;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const groups = Array.from({ length: size }, (_, i) => v.getUint32(i * 4, true));
  return commit(t, setGroups(t.creds, groups));
}
