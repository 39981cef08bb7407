// System V semaphores (Linux: ipc/sem.c).
//
// semop applies its whole array of operations or none of them (perform_atomic_semop):
// a decrement below zero or a wait-for-zero on a non-zero value blocks the call (EAGAIN
// with IPC_NOWAIT), a value past SEMVMX is ERANGE. A blocked call sleeps on its set's wait
// queue and tries again after every change to the set; while it sleeps, the operation it
// waits on is counted by GETNCNT or GETZCNT. A signal ends the sleep with EINTR (semop is
// never restarted), IPC_RMID with EIDRM, semtimedop's timeout with EAGAIN.
//
// SEM_UNDO: each process keeps an adjustment per semaphore (the negated sum of its
// SEM_UNDO operations), applied when it exits (exit_sem, clamped to [0, SEMVMX]); SETVAL
// and SETALL clear the adjustments of the semaphores they set. Linux keeps the adjustments
// per thread unless clone shares them (CLONE_SYSVSEM); here a process's threads share them.

import { E2BIG, EACCES, EFAULT, EFBIG, EIDRM, EINVAL, ENOSPC, ERANGE } from "../../linux-abi/errno.ts";
import {
  GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, SEMAEM, SEMMNI, SEMMNS,
  SEMMSL, SEMOPM, SEMUME, SEMUSZ, SEMVMX, SEM_INFO, SEM_STAT, SEM_STAT_ANY, SEM_UNDO, SETALL, SETVAL, SIZEOF_IPC64_PERM,
  SIZEOF_SEMBUF, SIZEOF_SEMID64_DS, SIZEOF_SEMINFO, decodeIpcPermSet, decodeSembuf, encodeSemidDs, encodeSeminfo,
  type IpcPerm, type Sembuf,
} from "../../linux-abi/ipc.ts";
import { PROT_READ } from "../memory.ts";
import type { Process, Thread } from "../process.ts";
import { getStruct, putStruct } from "../sys/_struct.ts";
import { AGAIN, WaitQueue } from "../wait_queue.ts";
import { IpcIds, READ, WOULD_BLOCK, WRITE, ipcGet, ipcSleep, mayControl, nowSeconds, permits, setPerm, type IpcObject } from "./ipc_ids.ts";

/** The operation a sleeping semop waits on (GETNCNT counts op < 0, GETZCNT op = 0). */
interface Waiting {
  num: number;
  op: number;
}

class SemSet implements IpcObject {
  readonly values: Int32Array;
  readonly pids: Int32Array;
  otime = 0;
  ctime = nowSeconds();
  removed = false;
  readonly changed = new WaitQueue();
  readonly waiting = new Set<Waiting>();

  constructor(
    readonly id: number,
    readonly perm: IpcPerm,
    readonly nsems: number,
  ) {
    this.values = new Int32Array(nsems);
    this.pids = new Int32Array(nsems);
  }
}

export class Semaphores {
  readonly #ids = new IpcIds<SemSet>(SEMMNI);
  #usedSems = 0;
  /** SEM_UNDO adjustments: process → set → one per semaphore. */
  readonly #undo = new Map<Process, Map<SemSet, Int32Array>>();

  /** semget(2). */
  get(t: Thread, key: number, nsems: number, flags: number): number {
    if (nsems < 0 || nsems > SEMMSL) return -EINVAL;
    const valid = (): number => (nsems === 0 ? -EINVAL : this.#usedSems + nsems > SEMMNS ? -ENOSPC : 0);
    return ipcGet(
      this.#ids, key, flags, t.creds,
      (id, perm) => {
        this.#usedSems += nsems;
        return new SemSet(id, perm, nsems);
      },
      valid,
      (set) => (nsems > set.nsems ? -EINVAL : 0),
    );
  }

  /** semop(2)/semtimedop(2); `deadline` (performance.now() time) for semtimedop. */
  op(t: Thread, id: number, sopsAddr: number, nsops: number, deadline: number | undefined): number | Promise<number> {
    if (nsops < 1) return -EINVAL;
    if (nsops > SEMOPM) return -E2BIG;
    const raw = t.process.memory.view(sopsAddr, nsops * SIZEOF_SEMBUF, PROT_READ);
    if (!raw) return -EFAULT;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const sops = Array.from({ length: nsops }, (_, i) => decodeSembuf(dv, i * SIZEOF_SEMBUF));
    const set = this.#ids.lookup(id);
    if (!set) return -EINVAL;
    if (sops.some((s) => s.num >= set.nsems)) return -EFBIG;
    if (!permits(set.perm, t.creds, sops.some((s) => s.op !== 0) ? WRITE : READ)) return -EACCES;
    const waiting: Waiting = { num: 0, op: 0 };
    const attempt = (): number => {
      set.waiting.delete(waiting);
      if (set.removed) return -EIDRM;
      const r = this.#tryOps(t.process, set, sops);
      if (typeof r === "number") return r;
      if (r.flg & IPC_NOWAIT) return WOULD_BLOCK;
      waiting.num = r.num;
      waiting.op = r.op;
      set.waiting.add(waiting);
      return AGAIN;
    };
    const r = ipcSleep(t, set.changed, attempt, deadline);
    if (typeof r === "number") {
      set.waiting.delete(waiting);
      return r;
    }
    return r.finally(() => set.waiting.delete(waiting));
  }

  /** All or nothing: 0 when done, the operation that must wait, or -ERANGE. */
  #tryOps(p: Process, set: SemSet, sops: Sembuf[]): number | Sembuf {
    const v = set.values;
    const undo = sops.some((s) => s.flg & SEM_UNDO) ? this.#undoOf(p, set) : null;
    const before = v.slice();
    for (const s of sops) {
      const cur = v[s.num]!;
      if (s.op === 0 ? cur !== 0 : cur + s.op < 0) {
        v.set(before);
        return s;
      }
      const next = cur + s.op;
      const adj = undo && s.flg & SEM_UNDO ? undo[s.num]! - s.op : 0;
      if (next > SEMVMX || adj < -SEMAEM - 1 || adj > SEMAEM) {
        v.set(before);
        return -ERANGE;
      }
      v[s.num] = next;
    }
    for (const s of sops) {
      set.pids[s.num] = p.pid;
      if (undo && s.flg & SEM_UNDO) undo[s.num] = undo[s.num]! - s.op;
    }
    set.otime = nowSeconds();
    set.changed.notify();
    return 0;
  }

  #undoOf(p: Process, set: SemSet): Int32Array {
    let sets = this.#undo.get(p);
    if (!sets) this.#undo.set(p, (sets = new Map()));
    let adj = sets.get(set);
    if (!adj) sets.set(set, (adj = new Int32Array(set.nsems)));
    return adj;
  }

  /** Whether the process has SEM_UNDO adjustments (an undo list, for kcmp's KCMP_SYSVSEM). */
  hasUndo(p: Process): boolean {
    return this.#undo.has(p);
  }

  /** exit_sem: a process ends; its SEM_UNDO adjustments apply. */
  processExited(p: Process): void {
    const sets = this.#undo.get(p);
    if (!sets) return;
    this.#undo.delete(p);
    for (const [set, adj] of sets) {
      if (set.removed) continue;
      for (let i = 0; i < set.nsems; i++) {
        if (adj[i] === 0) continue;
        set.values[i] = Math.min(SEMVMX, Math.max(0, set.values[i]! + adj[i]!));
        set.pids[i] = p.pid;
      }
      set.changed.notify();
    }
  }

  #clearUndo(set: SemSet, num: number | null): void {
    for (const sets of this.#undo.values()) {
      const adj = sets.get(set);
      if (adj) num === null ? adj.fill(0) : (adj[num] = 0);
    }
  }

  /** semctl(2); `arg` is the union semun as passed (a value or a pointer). */
  ctl(t: Thread, id: number, num: number, cmd: number, arg: number): number {
    const mem = t.process.memory;
    switch (cmd) {
      case IPC_INFO:
      case SEM_INFO: {
        const info = {
          semmni: SEMMNI, semmns: SEMMNS, semmsl: SEMMSL, semopm: SEMOPM, semvmx: SEMVMX, semmap: SEMMNS, semmnu: SEMMNS,
          semume: SEMUME, semusz: cmd === SEM_INFO ? this.#ids.inUse : SEMUSZ, semaem: cmd === SEM_INFO ? this.#usedSems : SEMAEM,
        };
        return putStruct(mem, arg, SIZEOF_SEMINFO, encodeSeminfo, info) ? Math.max(0, this.#ids.maxIndex()) : -EFAULT;
      }
      case IPC_STAT:
      case SEM_STAT:
      case SEM_STAT_ANY: {
        const set = cmd === IPC_STAT ? this.#ids.lookup(id) : this.#ids.atIndex(id);
        if (!set) return -EINVAL;
        if (cmd !== SEM_STAT_ANY && !permits(set.perm, t.creds, READ)) return -EACCES;
        const ds = { perm: set.perm, otime: set.otime, ctime: set.ctime, nsems: set.nsems };
        if (!putStruct(mem, arg, SIZEOF_SEMID64_DS, encodeSemidDs, ds)) return -EFAULT;
        return cmd === IPC_STAT ? 0 : set.id;
      }
      case IPC_SET:
      case IPC_RMID: {
        const next = cmd === IPC_SET ? getStruct(mem, arg, SIZEOF_IPC64_PERM, decodeIpcPermSet) : null;
        if (cmd === IPC_SET && !next) return -EFAULT;
        const set = this.#ids.lookup(id);
        if (!set) return -EINVAL;
        const denied = mayControl(set.perm, t.creds);
        if (denied < 0) return denied;
        if (next) setPerm(set, next);
        else this.#remove(set);
        return 0;
      }
    }
    const set = this.#ids.lookup(id);
    if (!set) return -EINVAL;
    const write = cmd === SETVAL || cmd === SETALL;
    if (!permits(set.perm, t.creds, write ? WRITE : READ)) return -EACCES;
    const one = cmd !== GETALL && cmd !== SETALL;
    if (one && (num < 0 || num >= set.nsems)) return -EINVAL;
    switch (cmd) {
      case GETVAL:
        return set.values[num]!;
      case GETPID:
        return set.pids[num]!;
      case GETNCNT:
      case GETZCNT: {
        let n = 0;
        for (const w of set.waiting) if (w.num === num && (cmd === GETNCNT ? w.op < 0 : w.op === 0)) n++;
        return n;
      }
      case GETALL: {
        const out = new Uint8Array(set.nsems * 2);
        const dv = new DataView(out.buffer);
        set.values.forEach((x, i) => dv.setUint16(i * 2, x, true));
        return mem.write(arg, out) ? 0 : -EFAULT;
      }
      case SETVAL: {
        const val = arg | 0;
        if (val < 0 || val > SEMVMX) return -ERANGE;
        this.#set(t, set, num, [val]);
        return 0;
      }
      case SETALL: {
        const raw = mem.view(arg, set.nsems * 2, PROT_READ);
        if (!raw) return -EFAULT;
        const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const vals = Array.from({ length: set.nsems }, (_, i) => dv.getUint16(i * 2, true));
        if (vals.some((x) => x > SEMVMX)) return -ERANGE;
        this.#set(t, set, null, vals);
        return 0;
      }
      default:
        return -EINVAL;
    }
  }

  /** SETVAL (`num`) or SETALL (null): new values, the caller as their last pid, undo cleared, sleepers look again. */
  #set(t: Thread, set: SemSet, num: number | null, vals: number[]): void {
    const first = num ?? 0;
    vals.forEach((x, i) => {
      set.values[first + i] = x;
      set.pids[first + i] = t.process.pid;
    });
    this.#clearUndo(set, num);
    set.ctime = nowSeconds();
    set.changed.notify();
  }

  #remove(set: SemSet): void {
    set.removed = true;
    this.#ids.remove(set);
    this.#usedSems -= set.nsems;
    for (const sets of this.#undo.values()) sets.delete(set);
    set.changed.notify();
  }
}
