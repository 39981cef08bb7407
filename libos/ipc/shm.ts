// System V shared memory (Linux: ipc/shm.c).
//
// Lifecycle of a segment: shmget makes it (no memory yet); the first shmat allocates its
// block (memory.ts newHeldBlock, charged to the quota) and maps it shared; fork copies the
// mapping (the child is attached too), exec and exit unmap it, shmdt and munmap detach.
// shm_nattch is the number of mappings of the block. IPC_RMID marks it SHM_DEST and frees
// its key; the segment goes when the last mapping does (it can still be attached by id
// until then, as on Linux). The block's memory is given back by the last of the hold and
// the mappings, so a removed segment's pages outlive it while a process maps them.

import { EACCES, EFAULT, EINVAL, ENOMEM, ENOSPC, EPERM } from "../../linux-abi/errno.ts";
import {
  IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, SHMALL, SHMLBA, SHMMAX, SHMMIN, SHMMNI, SHM_DEST, SHM_EXEC, SHM_INFO, SHM_LOCK,
  SHM_LOCKED, SHM_RDONLY, SHM_REMAP, SHM_RND, SHM_STAT, SHM_STAT_ANY, SHM_UNLOCK, SIZEOF_IPC64_PERM, SIZEOF_SHMID64_DS,
  SIZEOF_SHMINFO64, SIZEOF_SHM_INFO, decodeIpcPermSet, encodeShmInfo, encodeShminfo, encodeShmidDs, type IpcPerm,
} from "../../linux-abi/ipc.ts";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../../linux-abi/mman.ts";
import { CAP_IPC_LOCK } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import { PAGE, USER_TOP, dropHold, mappingsOf, pageUp, type GuestMemory, type HostBlock } from "../memory.ts";
import type { Thread } from "../process.ts";
import { getStruct, putStruct } from "../sys/_struct.ts";
import { IpcIds, READ, WRITE, ipcGet, mayControl, nowSeconds, permits, setPerm, type IpcObject } from "./ipc_ids.ts";

class Segment implements IpcObject {
  atime = 0;
  dtime = 0;
  lpid = 0;
  /** Allocated at the first attach. */
  block: HostBlock | null = null;
  locked = false;
  ctime = nowSeconds();

  constructor(
    readonly id: number,
    readonly perm: IpcPerm,
    readonly size: number,
    readonly cpid: number,
  ) {}

  get nattch(): number {
    return this.block ? mappingsOf(this.block) : 0;
  }

  get removed(): boolean {
    return (this.perm.mode & SHM_DEST) !== 0;
  }
}

const pages = (bytes: number): number => Math.ceil(bytes / PAGE);

export class SharedMemory {
  readonly #ids = new IpcIds<Segment>(SHMMNI);
  /** Pages of every segment (shm_tot, bounded by SHMALL). */
  #totalPages = 0;

  /** Segments marked for removal leave once nothing maps them. */
  #reap(): void {
    for (const seg of this.#ids.values()) if (seg.removed && seg.nattch === 0) this.#destroy(seg);
  }

  #destroy(seg: Segment): void {
    this.#ids.remove(seg);
    this.#totalPages -= pages(seg.size);
    if (seg.block) dropHold(seg.block);
    seg.block = null;
  }

  #find(id: number): Segment | null {
    this.#reap();
    return this.#ids.lookup(id);
  }

  /**
   * shmget(2). `memoryBytes` is the user kernel's quota: a segment larger than all of it is
   * ENOMEM at once, as Linux's overcommit check refuses one larger than RAM and swap.
   */
  get(t: Thread, key: number, size: number, flags: number, memoryBytes: number): number {
    this.#reap();
    return ipcGet(
      this.#ids, key, flags, t.creds,
      (id, perm) => {
        this.#totalPages += pages(size);
        return new Segment(id, perm, size, t.process.pid);
      },
      () => (size < SHMMIN || size > SHMMAX ? -EINVAL : this.#totalPages + pages(size) > SHMALL ? -ENOSPC : size > memoryBytes ? -ENOMEM : 0),
      (seg) => (seg.size < size ? -EINVAL : 0),
    );
  }

  /** shmat(2): the address, or -errno. */
  attach(t: Thread, id: number, addr: number, flags: number): number {
    const seg = this.#find(id);
    if (!seg) return -EINVAL;
    if (addr % SHMLBA !== 0) {
      if (!(flags & SHM_RND)) return -EINVAL;
      addr -= addr % SHMLBA;
    }
    let prot = PROT_READ, access = READ;
    if (!(flags & SHM_RDONLY)) {
      prot |= PROT_WRITE;
      access |= WRITE;
    }
    if (flags & SHM_EXEC) {
      prot |= PROT_EXEC;
      access |= 0o111;
    }
    if (!permits(seg.perm, t.creds, access)) return -EACCES;
    const mem = t.process.memory;
    const len = pageUp(seg.size);
    let start: number;
    if (addr) {
      if (addr + len > USER_TOP) return -EINVAL;
      if (flags & SHM_REMAP) mem.unmap(addr, len);
      else if (!mem.isFree(addr, addr + len)) return -EINVAL;
      start = addr;
    } else {
      if (flags & SHM_REMAP) return -EINVAL;
      start = mem.findFree(len);
      if (start <= 0) return -ENOMEM;
    }
    seg.block ??= mem.newHeldBlock(len);
    if (!seg.block) return -ENOMEM;
    const mayProt = PROT_READ | PROT_EXEC | (flags & SHM_RDONLY ? 0 : PROT_WRITE);
    if (!mem.mapBlock(seg.block, start, len, prot, mayProt)) return -ENOMEM;
    seg.atime = nowSeconds();
    seg.lpid = t.process.pid;
    return start;
  }

  /** shmdt(2): every mapping of the segment attached at `addr`, up to its size. */
  detach(t: Thread, addr: number): number {
    if (addr % PAGE !== 0) return -EINVAL;
    const mem = t.process.memory;
    const at = mem.find(addr);
    const seg = at && at.start - at.offset === addr ? this.#bySegmentBlock(at.block) : null;
    if (!seg) return -EINVAL;
    const end = addr + pageUp(seg.size);
    const cuts = mem.vmas.filter((v) => v.block === seg.block && v.start >= addr && v.start < end).map((v) => [v.start, v.end - v.start] as const);
    for (const [start, len] of cuts) mem.unmap(start, len);
    seg.dtime = nowSeconds();
    seg.lpid = t.process.pid;
    this.#reap();
    return 0;
  }

  /**
   * exit and exec drop the mappings of `mem` (shm_close), fork copies them (shm_open): the
   * segments mapped there record `pid` and the time as their last detach or attach.
   */
  spaceChanged(pid: number, mem: GuestMemory, how: "released" | "forked"): void {
    for (const seg of this.#ids.values()) {
      if (!seg.block?.users.has(mem)) continue;
      if (how === "released") seg.dtime = nowSeconds();
      else seg.atime = nowSeconds();
      seg.lpid = pid;
    }
  }

  #bySegmentBlock(block: HostBlock): Segment | null {
    for (const seg of this.#ids.values()) if (seg.block === block) return seg;
    return null;
  }

  /** shmctl(2). */
  ctl(t: Thread, id: number, cmd: number, buf: number): number {
    const mem = t.process.memory;
    this.#reap();
    switch (cmd) {
      case IPC_INFO: {
        const info = { shmmax: SHMMAX, shmmin: SHMMIN, shmmni: SHMMNI, shmseg: SHMMNI, shmall: SHMALL };
        return putStruct(mem, buf, SIZEOF_SHMINFO64, encodeShminfo, info) ? Math.max(0, this.#ids.maxIndex()) : -EFAULT;
      }
      case SHM_INFO: {
        let rss = 0;
        for (const seg of this.#ids.values()) if (seg.block) rss += pages(seg.size);
        const info = { usedIds: this.#ids.inUse, shmTot: this.#totalPages, shmRss: rss };
        return putStruct(mem, buf, SIZEOF_SHM_INFO, encodeShmInfo, info) ? Math.max(0, this.#ids.maxIndex()) : -EFAULT;
      }
      case IPC_STAT:
      case SHM_STAT:
      case SHM_STAT_ANY: {
        const seg = cmd === IPC_STAT ? this.#ids.lookup(id) : this.#ids.atIndex(id);
        if (!seg) return -EINVAL;
        if (cmd !== SHM_STAT_ANY && !permits(seg.perm, t.creds, READ)) return -EACCES;
        const ds = {
          perm: { ...seg.perm, mode: seg.perm.mode | (seg.locked ? SHM_LOCKED : 0) }, segsz: seg.size, atime: seg.atime,
          dtime: seg.dtime, ctime: seg.ctime, cpid: seg.cpid, lpid: seg.lpid, nattch: seg.nattch,
        };
        if (!putStruct(mem, buf, SIZEOF_SHMID64_DS, encodeShmidDs, ds)) return -EFAULT;
        return cmd === IPC_STAT ? 0 : seg.id;
      }
      case IPC_SET:
      case IPC_RMID: {
        const next = cmd === IPC_SET ? getStruct(mem, buf, SIZEOF_IPC64_PERM, decodeIpcPermSet) : null;
        if (cmd === IPC_SET && !next) return -EFAULT;
        const seg = this.#ids.lookup(id);
        if (!seg) return -EINVAL;
        const denied = mayControl(seg.perm, t.creds);
        if (denied < 0) return denied;
        if (next) setPerm(seg, next);
        else this.#remove(seg);
        return 0;
      }
      case SHM_LOCK:
      case SHM_UNLOCK: {
        const seg = this.#ids.lookup(id);
        if (!seg) return -EINVAL;
        if (!capable(t.creds, CAP_IPC_LOCK) && mayControl(seg.perm, t.creds) < 0) return -EPERM;
        seg.locked = cmd === SHM_LOCK;
        return 0;
      }
      default:
        return -EINVAL;
    }
  }

  #remove(seg: Segment): void {
    seg.perm.mode |= SHM_DEST;
    // The key is free at once; the id stays attachable while mapped (Linux's SHM_DEST).
    if (seg.nattch === 0) this.#destroy(seg);
    else this.#ids.forgetKey(seg);
  }
}
