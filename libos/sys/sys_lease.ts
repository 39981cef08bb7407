// fcntl's lease and owner commands (Linux: fs/fcntl.c, fs/locks.c fcntl_setlease):
// F_SETLEASE, F_GETLEASE, F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG.
// The leases themselves are in libos/lease.ts; a break is started from the open path.

import * as E from "../../linux-abi/errno.ts";
import * as F from "../../linux-abi/fcntl.ts";
import { SI_KERNEL } from "../../linux-abi/siginfo.ts";
import { SIGIO, _NSIG } from "../../linux-abi/signal.ts";
import { S_IFMT, S_IFREG } from "../../linux-abi/stat.ts";
import { CAP_LEASE } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import type { OpenFile } from "../file.ts";
import type { Thread } from "../process.ts";
import { FsFile } from "../vfs.ts";
import type { KernelServices } from "./context.ts";

const F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2;

/** The lease table's name for a regular file `f` has open, or -errno (EINVAL for anything else). */
function leaseKey(f: OpenFile): { key: string; uid: number } | number {
  const st = f.ops.stat();
  if (typeof st === "number") return st;
  if (!(f.ops instanceof FsFile) || (st.mode & S_IFMT) !== S_IFREG) return -E.EINVAL;
  return { key: `${st.dev}:${st.ino}`, uid: st.uid };
}

/** F_SETLEASE: the caller must own the file (fs uid) or hold CAP_LEASE; the holder's process gets the break's signal. */
export function setLease(k: KernelServices, t: Thread, f: OpenFile, type: number): number {
  if (type !== F.F_RDLCK && type !== F.F_WRLCK && type !== F.F_UNLCK) return -E.EINVAL;
  const file = leaseKey(f);
  if (typeof file === "number") return file;
  if (t.creds.fsuid !== file.uid && !capable(t.creds, CAP_LEASE)) return -E.EACCES;
  const opens = { readers: 0, writers: 0 };
  if (type !== F.F_UNLCK) {
    const seen = new Set<OpenFile>([f]);
    for (const p of k.processes.values()) {
      for (const [, g] of p.fds.entries()) {
        if (seen.has(g) || !(g.ops instanceof FsFile) || g.flags & F.O_PATH) continue;
        seen.add(g);
        const other = leaseKey(g);
        if (typeof other === "number" || other.key !== file.key) continue;
        if ((g.flags & F.O_ACCMODE) === F.O_RDONLY) opens.readers++;
        else opens.writers++;
      }
    }
  }
  const r = k.leases.set(file.key, f, type, opens, (f.flags & F.O_ACCMODE) !== F.O_RDONLY);
  if (r === 0 && type !== F.F_UNLCK) {
    f.owner ??= { type: F_OWNER_PID, pid: t.process.pid };
    if (!released.has(f)) {
      released.add(f);
      const before = f.onLastClose;
      f.onLastClose = (x) => {
        before?.(x);
        k.leases.released(x);
      };
    }
  }
  return r;
}

// Descriptions whose last close already ends their leases.
const released = new WeakSet<OpenFile>();

export function getLease(k: KernelServices, f: OpenFile): number {
  const file = leaseKey(f);
  return typeof file === "number" ? file : k.leases.typeOf(file.key, f);
}

/** A lease break: the holder's owner gets its signal (SIGIO or F_SETSIG's). */
export function notifyHolder(k: KernelServices, holder: OpenFile): void {
  const o = holder.owner;
  if (!o) return;
  const sig = holder.signal || SIGIO;
  const info = { layout: "kill" as const, si_signo: sig, si_errno: 0, si_code: SI_KERNEL, si_pid: 0, si_uid: 0 };
  if (o.type === F_OWNER_TID) {
    const th = k.threads.get(o.pid);
    if (th) k.sendSignal(th.process, info, th);
  } else if (o.type === F_OWNER_PGRP) {
    for (const p of k.processGroup(o.pid)) k.sendSignal(p, info);
  } else {
    const p = k.processes.get(o.pid);
    if (p) k.sendSignal(p, info);
  }
}

/** F_SETOWN (pid > 0 a process, < 0 a group) and F_SETOWN_EX: ESRCH for an id nothing has. */
export function setOwner(k: KernelServices, f: OpenFile, type: number, pid: number): number {
  if (type !== F_OWNER_TID && type !== F_OWNER_PID && type !== F_OWNER_PGRP) return -E.EINVAL;
  if (pid !== 0) {
    const exists = type === F_OWNER_TID ? k.threads.has(pid) : type === F_OWNER_PID ? k.processes.has(pid) : k.processGroup(pid).length > 0;
    if (!exists) return -E.ESRCH;
  }
  f.owner = pid === 0 ? null : { type, pid };
  return 0;
}

/** F_GETOWN: the owner's pid, or minus its group. */
export function getOwner(f: OpenFile): number {
  const o = f.owner;
  return o === null ? 0 : o.type === F_OWNER_PGRP ? -o.pid : o.pid;
}

/** F_SETOWN_EX's and F_GETOWN_EX's struct f_owner_ex { int type; pid_t pid; }. */
export function ownerEx(f: OpenFile): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setInt32(0, f.owner?.type ?? F_OWNER_PID, true);
  v.setInt32(4, f.owner?.pid ?? 0, true);
  return b;
}

/** F_SETSIG: 0 (SIGIO) or a signal number. */
export function setSignal(f: OpenFile, sig: number): number {
  if (sig < 0 || sig > _NSIG) return -E.EINVAL;
  f.signal = sig;
  return 0;
}

export { F_OWNER_PGRP, F_OWNER_PID };
