// eventfd(2) and eventfd2(2). Linux: fs/eventfd.c. The counter itself is libos/eventfd.ts.

import * as E from "../../linux-abi/errno.ts";
import { EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE } from "../../linux-abi/eventfd.ts";
import { O_NONBLOCK, O_RDWR } from "../../linux-abi/fcntl.ts";
import { EventFd } from "../eventfd.ts";
import { OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

function createEventFd(t: Thread, initial: number, flags: number): number {
  if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) return -E.EINVAL;
  const file = new OpenFile(new EventFd(initial, (flags & EFD_SEMAPHORE) !== 0), O_RDWR | (flags & O_NONBLOCK));
  return t.process.fds.install(file, (flags & EFD_CLOEXEC) !== 0);
}

/** Eventfd implements Linux syscall eventfd(2). */
export function sysEventfd(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return createEventFd(t, a.uint(0), 0);
}

/** Eventfd2 implements Linux syscall eventfd2(2). */
export function sysEventfd2(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  return createEventFd(t, a.uint(0), a.int(1));
}
