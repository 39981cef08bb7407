// Conversions between the host (node:fs) and the guest's Linux view, for HostFs:
//   errnoFromHost  — a thrown Node error → negative Linux errno (by err.code, so a macOS
//                    host, whose errno numbers differ, maps correctly too)
//   hostOpenFlags  — Linux O_* bits → the host's fs.constants bits
//   statFromHost   — a host stat (HostStat, BigIntStats) → FsStat, every number exact (EOVERFLOW where one cannot be)
//   inoFromHost    — a host inode number as a safe integer
//   direntType     — a host mode → DT_*

import fs from "node:fs";
import type { FsResult, FsStat } from "./file_system.ts";
import * as E from "./_errno.ts";
import { StatxStat, type HostStat } from "./_host_stat.ts";
import {
  O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_DSYNC, O_EXCL, O_NOATIME, O_NOFOLLOW,
  O_NONBLOCK, O_SYNC, O_TRUNC,
} from "./_flags.ts";

const errnoByCode: Record<string, number> = {
  EPERM: E.EPERM, ENOENT: E.ENOENT, EIO: E.EIO, ENXIO: E.ENXIO, EBADF: E.EBADF,
  EAGAIN: E.EAGAIN, EWOULDBLOCK: E.EAGAIN, ENOMEM: E.ENOMEM, EACCES: E.EACCES,
  EBUSY: E.EBUSY, EEXIST: E.EEXIST, EXDEV: E.EXDEV, ENODEV: E.ENODEV, ENOTDIR: E.ENOTDIR,
  EISDIR: E.EISDIR, EINVAL: E.EINVAL, ENFILE: E.ENFILE, EMFILE: E.EMFILE, ENOTTY: E.ENOTTY,
  ETXTBSY: E.ETXTBSY, EFBIG: E.EFBIG, ENOSPC: E.ENOSPC, ESPIPE: E.ESPIPE, EROFS: E.EROFS,
  EMLINK: E.EMLINK, EPIPE: E.EPIPE, ENAMETOOLONG: E.ENAMETOOLONG, ENOSYS: E.ENOSYS,
  ENOTEMPTY: E.ENOTEMPTY, ELOOP: E.ELOOP, EOVERFLOW: E.EOVERFLOW, EOPNOTSUPP: E.EOPNOTSUPP,
  ENOTSUP: E.EOPNOTSUPP, EDQUOT: E.EDQUOT,
};

/** The negative errno for an error thrown by node:fs; anything unrecognised is EIO. */
export function errnoFromHost(err: unknown): number {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return -(typeof code === "string" ? errnoByCode[code] ?? E.EIO : E.EIO);
}

const hostBits: [number, number | undefined][] = [
  [O_CREAT, fs.constants.O_CREAT],
  [O_EXCL, fs.constants.O_EXCL],
  [O_TRUNC, fs.constants.O_TRUNC],
  [O_APPEND, fs.constants.O_APPEND],
  [O_NONBLOCK, fs.constants.O_NONBLOCK],
  [O_DIRECTORY, fs.constants.O_DIRECTORY],
  [O_NOFOLLOW, fs.constants.O_NOFOLLOW],
  [O_NOATIME, fs.constants.O_NOATIME],
];

/**
 * Host open(2) flags for Linux `flags`. The access mode (0, 1, 2) is the same on every
 * Unix. O_CLOEXEC, O_NOCTTY, O_LARGEFILE and O_DIRECT are dropped: they concern the
 * guest's fd, not the host's. O_SYNC contains O_DSYNC's bit, so it is tested first.
 */
export function hostOpenFlags(flags: number): number {
  let host = flags & O_ACCMODE;
  for (const [linux, bit] of hostBits) if ((flags & linux) === linux && bit !== undefined) host |= bit;
  if ((flags & O_SYNC) === O_SYNC) host |= fs.constants.O_SYNC;
  else if (flags & O_DSYNC) host |= fs.constants.O_DSYNC;
  return host;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The guest's stat of a host file. Numbers travel exactly (a protocol word holds a safe
 * integer): a file too large for one is EOVERFLOW, as stat(2) says of a size its caller
 * cannot represent, in every fs mode alike.
 */
export function statFromHost(s: HostStat): FsResult<FsStat> {
  const fast = s instanceof StatxStat ? s.fsStat() : null;
  if (fast !== null) return fast;
  if (s.size > MAX_SAFE || s.blocks > MAX_SAFE) return -E.EOVERFLOW;
  return {
    dev: Number(s.dev),
    ino: inoFromHost(s.ino),
    mode: Number(s.mode),
    nlink: Number(s.nlink),
    uid: Number(s.uid),
    gid: Number(s.gid),
    rdev: Number(s.rdev),
    size: Number(s.size),
    blksize: Number(s.blksize),
    blocks: Number(s.blocks),
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
  };
}

/**
 * A host inode number as a safe integer: itself below 2^53, else its bits above 53 folded
 * into the rest (overlayfs's xino puts a layer number in the top bits), so numbers stay
 * distinct in practice and the same in stat and getdents.
 */
export function inoFromHost(ino: bigint): number {
  return Number(ino <= MAX_SAFE ? ino : BigInt.asUintN(53, ino ^ (ino >> 53n)));
}

/** DT_* is the S_IFMT field shifted down (DT_REG = 8 = S_IFREG >> 12); the bits agree on every Unix. */
export function direntType(mode: number): number {
  return (mode >>> 12) & 0o17;
}
