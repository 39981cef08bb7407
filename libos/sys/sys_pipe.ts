// pipe(2) and pipe2(2). Linux: fs/pipe.c. The pipe itself is libos/pipe.ts.

import * as E from "../../linux-abi/errno.ts";
import { O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_WRONLY } from "../../linux-abi/fcntl.ts";
import { OpenFile } from "../file.ts";
import { PipeEnd } from "../pipe.ts";
import { CAP_SYS_RESOURCE } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

function makePipe(k: KernelServices, t: Thread, addr: number, flags: number): SyscallResult {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -E.EINVAL;
  const fds = t.process.fds;
  const pipe = k.pipeFs.create(capable(t.creds, CAP_SYS_RESOURCE));
  const status = flags & O_NONBLOCK;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = fds.install(new OpenFile(new PipeEnd(pipe, O_RDONLY), O_RDONLY | status), cloexec);
  if (rfd < 0) return rfd;
  const wfd = fds.install(new OpenFile(new PipeEnd(pipe, O_WRONLY), O_WRONLY | status), cloexec);
  if (wfd < 0) {
    fds.close(rfd);
    return wfd;
  }
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setInt32(0, rfd, true);
  v.setInt32(4, wfd, true);
  if (!t.process.memory.write(addr, b)) {
    fds.close(rfd);
    fds.close(wfd);
    return -E.EFAULT;
  }
  return 0;
}

/** Pipe implements Linux syscall pipe(2). */
export const sysPipe = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => makePipe(k, t, a.ptr(0), 0);

/** Pipe2 implements Linux syscall pipe2(2). */
export const sysPipe2 = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => makePipe(k, t, a.ptr(0), a.int(1));
