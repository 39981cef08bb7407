// process_vm_readv and process_vm_writev (Linux: mm/process_vm_access.c): bytes between
// the caller's memory and another process's of the same user kernel, local and remote
// iovecs consumed in order.
//
// Checks in Linux's order: flags (EINVAL), the local iovecs (import_iovec: EINVAL,
// EFAULT), nothing to move (0), the remote iovecs, the process (ESRCH for none or a
// zombie), ptrace's attach rights (EPERM: the caller's real ids are all of the target's,
// or CAP_SYS_PTRACE). The copy stops at the first byte either side cannot give or take:
// the bytes moved before it, or EFAULT when none were. Bytes pass through one 64 KiB
// buffer of the kernel-task's, whatever the lengths asked.

import * as E from "../../linux-abi/errno.ts";
import { CAP_SYS_PTRACE } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import type { Credentials } from "../creds.ts";
import { PROT_READ, PROT_WRITE, type GuestMemory } from "../memory.ts";
import type { Process, Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { readIovecs, totalOf, type Segment } from "./_io.ts";

const CHUNK = 64 * 1024;
const scratch = new Uint8Array(CHUNK);

/** ptrace_may_access with PTRACE_MODE_ATTACH_REALCREDS: the caller's real ids are the target's, or CAP_SYS_PTRACE. */
function mayAttach(c: Credentials, target: Credentials): boolean {
  if (capable(c, CAP_SYS_PTRACE)) return true;
  return c.uid === target.uid && c.uid === target.euid && c.uid === target.suid && c.gid === target.gid && c.gid === target.egid && c.gid === target.sgid;
}

/** The process a pid (or any of its threads' ids) names, if it still has an address space. */
function processOf(k: KernelServices, pid: number): Process | null {
  const p = k.threads.get(pid)?.process ?? k.processes.get(pid);
  return p && p.alive ? p : null;
}

/** Copies along both segment lists until one ends or a byte fails: the count moved, or -EFAULT for none. */
function copy(from: GuestMemory, fromSegs: readonly Segment[], to: GuestMemory, toSegs: readonly Segment[]): number {
  let moved = 0;
  // Segment index and offset in it, on each side.
  let fi = 0, fOff = 0, ti = 0, tOff = 0;
  while (fi < fromSegs.length && ti < toSegs.length) {
    const f = fromSegs[fi]!, d = toSegs[ti]!;
    if (fOff === f.len) {
      fi++;
      fOff = 0;
      continue;
    }
    if (tOff === d.len) {
      ti++;
      tOff = 0;
      continue;
    }
    const want = Math.min(f.len - fOff, d.len - tOff, CHUNK);
    const n = Math.min(from.extent(f.base + fOff, want, PROT_READ), to.extent(d.base + tOff, want, PROT_WRITE));
    const buf = scratch.subarray(0, n);
    if (n > 0 && !(from.read(f.base + fOff, buf) && to.write(d.base + tOff, buf))) break;
    moved += n;
    if (n < want) break;
    fOff += n;
    tOff += n;
  }
  return moved > 0 ? moved : totalOf(fromSegs) > 0 ? -E.EFAULT : 0;
}

function processVmRw(k: KernelServices, t: Thread, a: SyscallArgs, write: boolean): SyscallResult {
  if (a.ptr(5) !== 0) return -E.EINVAL;
  const mem = t.process.memory;
  const local = readIovecs(mem, a.ptr(1), a.size(2));
  if (typeof local === "number") return local;
  if (totalOf(local) === 0) return 0;
  const remote = readIovecs(mem, a.ptr(3), a.size(4));
  if (typeof remote === "number") return remote;
  if (totalOf(remote) === 0) return 0;
  const p = processOf(k, a.int(0));
  if (!p) return -E.ESRCH;
  if (p !== t.process && !mayAttach(t.creds, p.creds)) return -E.EPERM;
  return write ? copy(mem, local, p.memory, remote) : copy(p.memory, remote, mem, local);
}

/** ProcessVmReadv implements Linux syscall process_vm_readv(2). */
export const sysProcessVmReadv = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => processVmRw(k, t, a, false);
/** ProcessVmWritev implements Linux syscall process_vm_writev(2). */
export const sysProcessVmWritev = (k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult => processVmRw(k, t, a, true);
