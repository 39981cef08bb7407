// System V IPC calls (Linux: ipc/shm.c, ipc/sem.c, ipc/msg.c, ipc/syscall.c): argument
// decoding; the objects live in the kernel-task's namespace (libos/ipc/).

import * as E from "../../linux-abi/errno.ts";
import { IPC_64 } from "../../linux-abi/ipc.ts";
import { SIZEOF_TIMESPEC, decodeTimespec } from "../../linux-abi/time.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { getStruct } from "./_struct.ts";

/** Shmget implements Linux syscall shmget(2). */
export const sysShmget = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  k.ipc.shm.get(t, a.int(0), a.size(1), a.int(2), k.memoryQuota().total);
/** Shmat implements Linux syscall shmat(2). */
export const sysShmat = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => k.ipc.shm.attach(t, a.int(0), a.ptr(1), a.int(2));
/** Shmdt implements Linux syscall shmdt(2). */
export const sysShmdt = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => k.ipc.shm.detach(t, a.ptr(0));
/** The ctl calls refuse a negative id or command before anything else, whatever the command. */
const badCtl = (a: SyscallArgs): boolean => a.int(0) < 0 || a.int(1) < 0;

/** Shmctl implements Linux syscall shmctl(2). */
export const sysShmctl = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  badCtl(a) ? -E.EINVAL : k.ipc.shm.ctl(t, a.int(0), a.int(1) & ~IPC_64, a.ptr(2));

/** Semget implements Linux syscall semget(2). */
export const sysSemget = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => k.ipc.sem.get(t, a.int(0), a.int(1), a.int(2));
/** Semop implements Linux syscall semop(2). */
export const sysSemop = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => k.ipc.sem.op(t, a.int(0), a.ptr(1), a.uint(2), undefined);

/** Semtimedop implements Linux syscall semtimedop(2): the timeout is relative. */
export function sysSemtimedop(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  let deadline: number | undefined;
  if (a.ptr(3)) {
    const ts = getStruct(t.process.memory, a.ptr(3), SIZEOF_TIMESPEC, decodeTimespec);
    if (!ts) return -E.EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1e9) return -E.EINVAL;
    deadline = performance.now() + ts.tv_sec * 1000 + ts.tv_nsec / 1e6;
  }
  return k.ipc.sem.op(t, a.int(0), a.ptr(1), a.uint(2), deadline);
}

/** Semctl implements Linux syscall semctl(2); the fourth argument is union semun by value. */
export const sysSemctl = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  a.int(0) < 0 ? -E.EINVAL : k.ipc.sem.ctl(t, a.int(0), a.int(1), a.int(2) & ~IPC_64, a.ptr(3));

/** Msgget implements Linux syscall msgget(2). */
export const sysMsgget = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => k.ipc.msg.get(t, a.int(0), a.int(1));
/** Msgsnd implements Linux syscall msgsnd(2). */
export const sysMsgsnd = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => k.ipc.msg.send(t, a.int(0), a.ptr(1), a.long(2), a.int(3));
/** Msgrcv implements Linux syscall msgrcv(2). */
export const sysMsgrcv = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  k.ipc.msg.receive(t, a.int(0), a.ptr(1), a.long(2), a.long(3), a.int(4));
/** Msgctl implements Linux syscall msgctl(2). */
export const sysMsgctl = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult =>
  badCtl(a) ? -E.EINVAL : k.ipc.msg.ctl(t, a.int(0), a.int(1) & ~IPC_64, a.ptr(2));
