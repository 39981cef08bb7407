// Stats of host files for HostFs, in the shape of node:fs's BigIntStats (the part HostFs
// uses), read with statx(2) on a directory fd and a name:
//
//   statAt(dirFd, name)   the entry itself (a symlink is not followed), or undefined (none)
//   statOfFd(fd)          the open file's
//   openPathAt(dirFd, name)   an O_PATH | O_NOFOLLOW fd on the entry, or undefined (none)
//   listAt(dirFd, each)   each entry of the directory with its inode and type (getdents64),
//                         or false where libc cannot (then node:fs's readdir and a statAt each)
//   closeFd(fd)           closes an fd openPathAt or listAt opened (as it was opened)
//   fdPath(fd, name?)     "/proc/<pid>/fd/<fd>[/<name>]", for the calls that need a path
//
// node:fs has no *at() calls, so HostFs reached a name in a directory fd through the path
// "/proc/<pid>/fd/<fd>/<name>", which the kernel walks component by component (the pid's
// and the fd's procfs entries, the magic link) on every call: ~5 µs per lstat here, against
// ~1 µs for statx on the fd. Where libc has no statx or openat, node:fs on that path again.
// Other errors than ENOENT and ENOTDIR are thrown as node:fs throws them (err.code).

import fs from "node:fs";
import { constants as osConstants } from "node:os";
import { stringToBytes } from "../linux-abi/_byte_string.ts";
import { hostClose, hostGetdents64, hostOpenAt, hostStatx } from "./_host_calls.ts";
import { ENOENT, ENOSYS, ENOTDIR } from "./_errno.ts";
import type { FsStat } from "./file_system.ts";

/** The host's O_PATH (Linux on x86 and Arm; Node has no constant): an fd that only names a file. */
export const HOST_O_PATH = 0o10000000;

/** "/proc/<pid>/fd": /proc/self's target, read once, spares the kernel that symlink on every call. */
let procFd: string | undefined;

/** The path through which the kernel reaches open file `fd` (a directory: with `/name`, a byte string). */
export function fdPath(fd: number, name?: string): Buffer {
  procFd ??= `/proc/${fs.readlinkSync("/proc/self")}/fd`;
  return stringToBytes(name === undefined ? `${procFd}/${fd}` : `${procFd}/${fd}/${name}`);
}

export type HostStat = Pick<
  fs.BigIntStats,
  | "dev" | "ino" | "mode" | "nlink" | "uid" | "gid" | "rdev" | "size" | "blksize" | "blocks" | "atimeNs" | "mtimeNs" | "ctimeNs"
  | "isDirectory" | "isFile" | "isSymbolicLink" | "isSocket" | "isFIFO" | "isBlockDevice" | "isCharacterDevice"
>;

const AT_SYMLINK_NOFOLLOW = 0x100;
const O_CLOEXEC = 0o2000000;
const AT_EMPTY_PATH = 0x1000;
const STATX_BASIC_STATS = 0x7ff;
const S_IFMT = 0o170000;

// struct statx (linux/stat.h), the same on every architecture. Calls are synchronous: one buffer.
const STATX_BYTES = 256;
const buf = Buffer.alloc(STATX_BYTES);

/** glibc's makedev, as libuv builds st_dev and st_rdev from statx's major and minor. */
function makedev(major: number, minor: number): bigint {
  const n = devNumber(major, minor);
  if (n >= 0) return BigInt(n);
  const M = BigInt(major), m = BigInt(minor);
  return ((M & 0xfffn) << 8n) | ((M & 0xfffff000n) << 32n) | (m & 0xffn) | ((m & 0xffffff00n) << 12n);
}

/**
 * One statx answer, decoded on demand from its own copy of the bytes: a walk's lookups
 * ask a directory for its type, device and inode only. The copy is a slice of Node's
 * pool for small Buffers (Buffer.allocUnsafe), not an ArrayBuffer of its own: a `find`
 * makes one per directory on the way of every lstat.
 */
export class StatxStat implements HostStat {
  readonly #b: Buffer;
  readonly #type: number;

  constructor() {
    this.#b = Buffer.allocUnsafe(STATX_BYTES);
    buf.copy(this.#b);
    this.#type = this.#b.readUInt16LE(28) & S_IFMT;
  }

  /**
   * statFromHost's answer, its numbers read as numbers from the bytes: a lookup's
   * answer (every lstat of a `find`) then costs no BigInt but its three times'. Null when
   * one is past a safe integer (statFromHost then takes the BigInt getters).
   */
  fsStat(): FsStat | null {
    const b = this.#b;
    const dev = devNumber(b.readUInt32LE(136), b.readUInt32LE(140)), rdev = devNumber(b.readUInt32LE(128), b.readUInt32LE(132));
    const ino = u64Number(b, 32), size = u64Number(b, 40), blocks = u64Number(b, 48);
    if (dev < 0 || rdev < 0 || ino < 0 || size < 0 || blocks < 0) return null;
    return {
      dev, ino, mode: b.readUInt16LE(28), nlink: b.readUInt32LE(16), uid: b.readUInt32LE(20), gid: b.readUInt32LE(24),
      rdev, size, blksize: b.readUInt32LE(4), blocks, atimeNs: this.atimeNs, mtimeNs: this.mtimeNs, ctimeNs: this.ctimeNs,
    };
  }

  get dev(): bigint {
    return makedev(this.#b.readUInt32LE(136), this.#b.readUInt32LE(140));
  }
  get ino(): bigint {
    return this.#b.readBigUInt64LE(32);
  }
  get mode(): bigint {
    return BigInt(this.#b.readUInt16LE(28));
  }
  get nlink(): bigint {
    return BigInt(this.#b.readUInt32LE(16));
  }
  get uid(): bigint {
    return BigInt(this.#b.readUInt32LE(20));
  }
  get gid(): bigint {
    return BigInt(this.#b.readUInt32LE(24));
  }
  get rdev(): bigint {
    return makedev(this.#b.readUInt32LE(128), this.#b.readUInt32LE(132));
  }
  get size(): bigint {
    return this.#b.readBigUInt64LE(40);
  }
  get blksize(): bigint {
    return BigInt(this.#b.readUInt32LE(4));
  }
  get blocks(): bigint {
    return this.#b.readBigUInt64LE(48);
  }
  get atimeNs(): bigint {
    return this.#timeNs(64);
  }
  get mtimeNs(): bigint {
    return this.#timeNs(112);
  }
  get ctimeNs(): bigint {
    return this.#timeNs(96);
  }

  #timeNs(at: number): bigint {
    return this.#b.readBigInt64LE(at) * 1_000_000_000n + BigInt(this.#b.readUInt32LE(at + 8));
  }

  isDirectory(): boolean {
    return this.#type === fs.constants.S_IFDIR;
  }
  isFile(): boolean {
    return this.#type === fs.constants.S_IFREG;
  }
  isSymbolicLink(): boolean {
    return this.#type === fs.constants.S_IFLNK;
  }
  isSocket(): boolean {
    return this.#type === fs.constants.S_IFSOCK;
  }
  isFIFO(): boolean {
    return this.#type === fs.constants.S_IFIFO;
  }
  isBlockDevice(): boolean {
    return this.#type === fs.constants.S_IFBLK;
  }
  isCharacterDevice(): boolean {
    return this.#type === fs.constants.S_IFCHR;
  }
}

/** makedev as a number in the usual case (major < 4096, minor < 256), else -1. */
function devNumber(major: number, minor: number): number {
  return major < 0x1000 && minor < 0x100 ? major * 256 + minor : -1;
}

/** The u64 at `at` as a number when it is a safe integer, else -1. */
function u64Number(b: Buffer, at: number): number {
  const hi = b.readUInt32LE(at + 4);
  return hi < 0x200000 ? hi * 0x100000000 + b.readUInt32LE(at) : -1;
}

const codeOf = new Map(Object.entries(osConstants.errno).map(([code, n]) => [n, code]));

function thrown(errno: number, call: string): never {
  const code = codeOf.get(errno) ?? "EIO";
  throw Object.assign(new Error(`${code}: ${call}`), { code, errno: -errno, syscall: call });
}

export function statAt(dirFd: number, name: string): HostStat | undefined {
  const r = hostStatx(dirFd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf);
  if (r === 0) return new StatxStat();
  if (r === -ENOSYS) return fs.lstatSync(fdPath(dirFd, name), { bigint: true, throwIfNoEntry: false });
  if (r === -ENOENT || r === -ENOTDIR) return undefined;
  return thrown(-r, "statx");
}

export function statOfFd(fd: number): HostStat {
  const r = hostStatx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf);
  if (r === 0) return new StatxStat();
  if (r === -ENOSYS) return fs.fstatSync(fd, { bigint: true });
  return thrown(-r, "statx");
}

/** Closes `fd`, which openPathAt opened: through libc when libc opened it, else node:fs. */
export function closeFd(fd: number): void {
  const r = hostClose(fd);
  if (r === -ENOSYS) fs.closeSync(fd);
  else if (r < 0) thrown(-r, "close");
}

export function openPathAt(dirFd: number, name: string): number | undefined {
  const fd = hostOpenAt(dirFd, name, HOST_O_PATH | fs.constants.O_NOFOLLOW);
  if (fd >= 0) return fd;
  if (fd === -ENOSYS) {
    try {
      return fs.openSync(fdPath(dirFd, name), HOST_O_PATH | fs.constants.O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }
  if (fd === -ENOENT) return undefined;
  return thrown(-fd, "openat");
}

// struct linux_dirent64: d_ino (u64), d_off (s64), d_reclen (u16), d_type (u8), d_name (NUL-terminated).
const DIRENTS_BYTES = 32768;
let dirents: Buffer | null = null;

/**
 * Calls `each(name, ino, type)` for every entry of the directory `dirFd` holds but "." and
 * "..", read with getdents64 through a descriptor of its own (opened as "." in it, so the
 * handle's own offset stays); `type` is a DT_* value, DT_UNKNOWN (0) where the host file
 * system does not say. False when libc has no getdents64 or openat (use node:fs then).
 */
export function listAt(dirFd: number, each: (name: string, ino: bigint, type: number) => void): boolean {
  const fd = hostOpenAt(dirFd, ".", fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | O_CLOEXEC);
  if (fd === -ENOSYS) return false;
  if (fd < 0) return thrown(-fd, "openat");
  try {
    const b = (dirents ??= Buffer.alloc(DIRENTS_BYTES));
    for (let n = hostGetdents64(fd, b); n !== 0; n = hostGetdents64(fd, b)) {
      if (n === -ENOSYS) return false;
      if (n < 0) return thrown(-n, "getdents64");
      for (let at = 0; at < n; at += b.readUInt16LE(at + 16)) {
        const end = b.indexOf(0, at + 19);
        const name = b.toString("latin1", at + 19, end);
        if (name !== "." && name !== "..") each(name, b.readBigUInt64LE(at), b[at + 18]!);
      }
    }
    return true;
  } finally {
    closeFd(fd);
  }
}
