// Who may write a file that runs (Linux: get_write_access/deny_write_access, i_writecount):
// per inode — the file system a mount serves and the inode number — a count that is
// positive while descriptors have the file open for writing and negative while processes
// run it as their program. Opening a running program for writing, and running a file open
// for writing, are ETXTBSY. Only the kernel-task's own opens and execs count: a host
// process writing the file is not seen.

import { ETXTBSY } from "../linux-abi/errno.ts";
import type { FileSystem } from "../fs-task/file_system.ts";

/** An inode as these counts name it. */
export interface Inode {
  readonly fs: FileSystem;
  readonly ino: number;
}

export class WriteAccess {
  readonly #counts = new Map<FileSystem, Map<number, number>>();

  #count(i: Inode): number {
    return this.#counts.get(i.fs)?.get(i.ino) ?? 0;
  }

  #add(i: Inode, delta: number): void {
    let byIno = this.#counts.get(i.fs);
    if (!byIno) this.#counts.set(i.fs, (byIno = new Map()));
    const n = (byIno.get(i.ino) ?? 0) + delta;
    if (n !== 0) byIno.set(i.ino, n);
    else {
      byIno.delete(i.ino);
      if (byIno.size === 0) this.#counts.delete(i.fs);
    }
  }

  /** Whether some program on `fs` runs (the open path's fast check before it stats anything). */
  running(fs: FileSystem): boolean {
    return this.#counts.has(fs);
  }

  /** get_write_access: -ETXTBSY while the file runs, else one more writer. */
  get(i: Inode): number {
    if (this.#count(i) < 0) return -ETXTBSY;
    this.#add(i, 1);
    return 0;
  }

  put(i: Inode): void {
    this.#add(i, -1);
  }

  /** deny_write_access: -ETXTBSY while a descriptor has it open for writing, else one more runner. */
  deny(i: Inode): number {
    if (this.#count(i) > 0) return -ETXTBSY;
    this.#add(i, -1);
    return 0;
  }

  allow(i: Inode): void {
    this.#add(i, 1);
  }

  /** Whether the file runs now (an open for writing would be ETXTBSY). */
  denied(i: Inode): boolean {
    return this.#count(i) < 0;
  }
}
