// signalfd(2) and signalfd4(2). Linux: fs/signalfd.c. The reader itself is libos/signalfd.ts.

import * as E from "../../linux-abi/errno.ts";
import { O_NONBLOCK, O_RDWR } from "../../linux-abi/fcntl.ts";
import { SIGKILL, SIGSTOP, SIZEOF_SIGSET, sigmask } from "../../linux-abi/signal.ts";
import { SFD_CLOEXEC, SFD_NONBLOCK } from "../../linux-abi/signalfd.ts";
import { OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import { SignalFd } from "../signalfd.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { readSigset } from "./sys_signal.ts";

/** A new signalfd (fd -1) or a new mask for an existing one. */
function signalfd(k: KernelServices, t: Thread, fd: number, maskAddr: number, maskSize: number, flags: number): SyscallResult {
  if (maskSize !== SIZEOF_SIGSET) return -E.EINVAL;
  const set = readSigset(t, maskAddr);
  if (set === null) return -E.EFAULT;
  if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) return -E.EINVAL;
  const mask = set & ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
  if (fd === -1) {
    const file = new OpenFile(new SignalFd(mask, t, () => k.current), O_RDWR | (flags & O_NONBLOCK));
    return t.process.fds.install(file, (flags & SFD_CLOEXEC) !== 0);
  }
  const f = t.process.fds.get(fd);
  if (!f) return -E.EBADF;
  if (!(f.ops instanceof SignalFd)) return -E.EINVAL;
  f.ops.setMask(mask);
  return fd;
}

/** Signalfd implements Linux syscall signalfd(2). */
export function sysSignalfd(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return signalfd(k, t, a.int(0), a.ptr(1), a.size(2), 0);
}

/** Signalfd4 implements Linux syscall signalfd4(2). */
export function sysSignalfd4(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return signalfd(k, t, a.int(0), a.ptr(1), a.size(2), a.int(3));
}
