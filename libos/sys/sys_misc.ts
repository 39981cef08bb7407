// ioctl(2) dispatch to the file, and getrandom(2). Linux: fs/ioctl.c, drivers/char/random.c.

import { randomFillSync } from "node:crypto";
import * as E from "../../linux-abi/errno.ts";
import { O_NONBLOCK } from "../../linux-abi/fcntl.ts";
import { FIOCLEX, FIONBIO, FIONCLEX, TIOCGPTPEER } from "../../linux-abi/ioctl.ts";
import { PROT_READ, PROT_WRITE } from "../memory.ts";
import { rwCount } from "./_io.ts";
import type { IoctlAccess } from "../file.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";


/** Ioctl implements Linux syscall ioctl(2): descriptor-level requests here, the rest to the file. */
export function sysIoctl(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const fd = a.int(0), request = a.uint(1), argp = a.ptr(2);
  const p = t.process;
  const f = p.fds.get(fd);
  if (!f) return -E.EBADF;
  switch (request) {
    case FIOCLEX:
    case FIONCLEX:
      p.fds.setCloexec(fd, request === FIOCLEX);
      return 0;
    case FIONBIO: {
      const on = p.memory.u32(argp);
      if (on === null) return -E.EFAULT;
      f.flags = on ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return 0;
    }
    case TIOCGPTPEER:
      // A new descriptor: the file itself cannot install one.
      return k.terminals.openPeer(t, f, a.int(2));
  }
  const io: IoctlAccess = {
    read: (addr, len) => p.memory.view(addr, len, PROT_READ),
    write: (addr, bytes) => p.memory.write(addr, bytes),
  };
  return f.ops.ioctl(request, argp, io);
}

/** Getrandom implements Linux syscall getrandom(2); the pool is always ready. */
export function sysGetrandom(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const len = Math.min(a.size(1), 33554431);
  if (a.uint(2) & ~7) return -E.EINVAL;
  const mem = t.process.memory;
  const n = rwCount(mem, a.ptr(0), len, PROT_WRITE);
  if (n <= 0) return n;
  mem.forEachChunk(a.ptr(0), n, PROT_WRITE, (chunk) => randomFillSync(chunk));
  return n;
}
