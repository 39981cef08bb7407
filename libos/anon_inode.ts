// Files without a name: epoll, eventfd, timerfd and signalfd instances (Linux:
// fs/anon_inodes.c). As on Linux they share one inode of a pseudo file system: fstat
// shows mode 0600 without a file type, and /proc/PID/fd/N reads "anon_inode:[NAME]".
// AnonInodeFile holds the parts every such file answers alike (lseek is accepted and
// moves nothing); each kind adds its read, write, poll and readiness queue.

import type { FsDirPage, FsStat } from "../fs-task/file_system.ts";
import { EINVAL, ENOTDIR, ENOTTY } from "../linux-abi/errno.ts";
import type { FileOps, IoctlAccess, IoResult } from "./file.ts";
import type { Thread } from "./process.ts";
import type { WaitQueue } from "./wait_queue.ts";

// The anonymous inode file system's device and its one inode.
const ANON_DEV = 0x10;
const ANON_INO = 1;
const ANON_MODE = 0o600;

export abstract class AnonInodeFile implements FileOps {
  readonly seekable = false;
  readonly seekIgnored = true;
  readonly path: string;
  readonly #createdNs = BigInt(Date.now()) * 1_000_000n;

  /** `name` as Linux names the kind: "eventpoll", "eventfd", "timerfd", "signalfd". */
  constructor(name: string) {
    this.path = `anon_inode:[${name}]`;
  }

  abstract readonly readiness: WaitQueue;
  abstract poll(caller: Thread): number;

  /** No read method on Linux: EINVAL (an epoll's case). */
  read(_dst: Uint8Array, _offset: number, _caller?: Thread): IoResult {
    return -EINVAL;
  }

  /** No write method on Linux: EINVAL (all but eventfd). */
  write(_src: Uint8Array, _offset: number): IoResult {
    return -EINVAL;
  }

  stat(): FsStat {
    const t = this.#createdNs;
    return {
      dev: ANON_DEV, ino: ANON_INO, mode: ANON_MODE, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0,
      blksize: 4096, blocks: 0, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }

  readdir(): FsDirPage | number {
    return -ENOTDIR;
  }

  truncate(): number {
    return -EINVAL;
  }

  ioctl(_request: number, _argp: number, _io: IoctlAccess): number {
    return -ENOTTY;
  }

  release(): void {}
}
