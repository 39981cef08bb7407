// Linux: include/uapi/linux/stat.h (mode bits, struct statx) and
// arch/x86/include/uapi/asm/stat.h (the x86-64 struct stat of stat/fstat/lstat/newfstatat).

import { getInt64, getUint64, setInt64 } from "./_int64.ts";

// File type, in the S_IFMT bits of st_mode (octal as in the header).
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o004000;
export const S_ISGID = 0o002000;
export const S_ISVTX = 0o001000;
export const S_IRWXU = 0o700;
export const S_IRUSR = 0o400;
export const S_IWUSR = 0o200;
export const S_IXUSR = 0o100;
export const S_IRWXG = 0o070;
export const S_IRGRP = 0o040;
export const S_IWGRP = 0o020;
export const S_IXGRP = 0o010;
export const S_IRWXO = 0o007;
export const S_IROTH = 0o004;
export const S_IWOTH = 0o002;
export const S_IXOTH = 0o001;
export const S_IXUGO = S_IXUSR | S_IXGRP | S_IXOTH;

/** The x86-64 struct stat. Times are seconds and nanoseconds since the epoch. */
export interface Stat {
  st_dev: number;
  st_ino: number;
  st_nlink: number;
  st_mode: number;
  st_uid: number;
  st_gid: number;
  st_rdev: number;
  st_size: number;
  st_blksize: number;
  st_blocks: number;
  st_atime: number;
  st_atime_nsec: number;
  st_mtime: number;
  st_mtime_nsec: number;
  st_ctime: number;
  st_ctime_nsec: number;
}
export const SIZEOF_STAT = 144;
export const STAT_FIELDS = {
  st_dev: 0,
  st_ino: 8,
  st_nlink: 16,
  st_mode: 24,
  st_uid: 28,
  st_gid: 32,
  st_rdev: 40,
  st_size: 48,
  st_blksize: 56,
  st_blocks: 64,
  st_atime: 72,
  st_atime_nsec: 80,
  st_mtime: 88,
  st_mtime_nsec: 96,
  st_ctime: 104,
  st_ctime_nsec: 112,
} as const;

/** Write all 144 bytes of a struct stat, padding included. */
export function encodeStat(view: DataView, offset: number, st: Stat): void {
  const f = STAT_FIELDS;
  setInt64(view, offset + f.st_dev, st.st_dev);
  setInt64(view, offset + f.st_ino, st.st_ino);
  setInt64(view, offset + f.st_nlink, st.st_nlink);
  view.setUint32(offset + f.st_mode, st.st_mode, true);
  view.setUint32(offset + f.st_uid, st.st_uid, true);
  view.setUint32(offset + f.st_gid, st.st_gid, true);
  view.setUint32(offset + f.st_gid + 4, 0, true); // __pad0
  setInt64(view, offset + f.st_rdev, st.st_rdev);
  setInt64(view, offset + f.st_size, st.st_size);
  setInt64(view, offset + f.st_blksize, st.st_blksize);
  setInt64(view, offset + f.st_blocks, st.st_blocks);
  setInt64(view, offset + f.st_atime, st.st_atime);
  setInt64(view, offset + f.st_atime_nsec, st.st_atime_nsec);
  setInt64(view, offset + f.st_mtime, st.st_mtime);
  setInt64(view, offset + f.st_mtime_nsec, st.st_mtime_nsec);
  setInt64(view, offset + f.st_ctime, st.st_ctime);
  setInt64(view, offset + f.st_ctime_nsec, st.st_ctime_nsec);
  for (let i = f.st_ctime_nsec + 8; i < SIZEOF_STAT; i += 4) view.setUint32(offset + i, 0, true); // __unused[3]
}

export function decodeStat(view: DataView, offset: number): Stat {
  const f = STAT_FIELDS;
  return {
    st_dev: getUint64(view, offset + f.st_dev),
    st_ino: getUint64(view, offset + f.st_ino),
    st_nlink: getUint64(view, offset + f.st_nlink),
    st_mode: view.getUint32(offset + f.st_mode, true),
    st_uid: view.getUint32(offset + f.st_uid, true),
    st_gid: view.getUint32(offset + f.st_gid, true),
    st_rdev: getUint64(view, offset + f.st_rdev),
    st_size: getInt64(view, offset + f.st_size),
    st_blksize: getInt64(view, offset + f.st_blksize),
    st_blocks: getInt64(view, offset + f.st_blocks),
    st_atime: getInt64(view, offset + f.st_atime),
    st_atime_nsec: getUint64(view, offset + f.st_atime_nsec),
    st_mtime: getInt64(view, offset + f.st_mtime),
    st_mtime_nsec: getUint64(view, offset + f.st_mtime_nsec),
    st_ctime: getInt64(view, offset + f.st_ctime),
    st_ctime_nsec: getUint64(view, offset + f.st_ctime_nsec),
  };
}

/** The kernel's dev_t encoding (new_encode_dev in include/linux/kdev_t.h). */
export function makedev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & 0xfff00) << 12)) >>> 0;
}
export function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

// statx(2) mask bits.
export const STATX_TYPE = 0x00000001;
export const STATX_MODE = 0x00000002;
export const STATX_NLINK = 0x00000004;
export const STATX_UID = 0x00000008;
export const STATX_GID = 0x00000010;
export const STATX_ATIME = 0x00000020;
export const STATX_MTIME = 0x00000040;
export const STATX_CTIME = 0x00000080;
export const STATX_INO = 0x00000100;
export const STATX_SIZE = 0x00000200;
export const STATX_BLOCKS = 0x00000400;
export const STATX_BASIC_STATS = 0x000007ff;
export const STATX_BTIME = 0x00000800;
export const STATX_MNT_ID = 0x00001000;
export const STATX_DIOALIGN = 0x00002000;
export const STATX_ALL = 0x00000fff;
export const STATX__RESERVED = 0x80000000;

// stx_attributes bits.
export const STATX_ATTR_COMPRESSED = 0x00000004;
export const STATX_ATTR_IMMUTABLE = 0x00000010;
export const STATX_ATTR_APPEND = 0x00000020;
export const STATX_ATTR_NODUMP = 0x00000040;
export const STATX_ATTR_ENCRYPTED = 0x00000800;
export const STATX_ATTR_AUTOMOUNT = 0x00001000;
export const STATX_ATTR_MOUNT_ROOT = 0x00002000;
export const STATX_ATTR_VERITY = 0x00100000;
export const STATX_ATTR_DAX = 0x00200000;

export interface StatxTimestamp {
  tv_sec: number;
  tv_nsec: number;
}

/** struct statx (256 bytes; fields past stx_dio_offset_align are spare and written as 0). */
export interface Statx {
  stx_mask: number;
  stx_blksize: number;
  stx_attributes: number;
  stx_nlink: number;
  stx_uid: number;
  stx_gid: number;
  stx_mode: number;
  stx_ino: number;
  stx_size: number;
  stx_blocks: number;
  stx_attributes_mask: number;
  stx_atime: StatxTimestamp;
  stx_btime: StatxTimestamp;
  stx_ctime: StatxTimestamp;
  stx_mtime: StatxTimestamp;
  stx_rdev_major: number;
  stx_rdev_minor: number;
  stx_dev_major: number;
  stx_dev_minor: number;
  stx_mnt_id: number;
  stx_dio_mem_align: number;
  stx_dio_offset_align: number;
}
export const SIZEOF_STATX = 256;
export const STATX_FIELDS = {
  stx_mask: 0,
  stx_blksize: 4,
  stx_attributes: 8,
  stx_nlink: 16,
  stx_uid: 20,
  stx_gid: 24,
  stx_mode: 28,
  stx_ino: 32,
  stx_size: 40,
  stx_blocks: 48,
  stx_attributes_mask: 56,
  stx_atime: 64,
  stx_btime: 80,
  stx_ctime: 96,
  stx_mtime: 112,
  stx_rdev_major: 128,
  stx_rdev_minor: 132,
  stx_dev_major: 136,
  stx_dev_minor: 140,
  stx_mnt_id: 144,
  stx_dio_mem_align: 152,
  stx_dio_offset_align: 156,
} as const;

function encodeStatxTimestamp(view: DataView, offset: number, ts: StatxTimestamp): void {
  setInt64(view, offset, ts.tv_sec);
  view.setUint32(offset + 8, ts.tv_nsec, true);
  view.setInt32(offset + 12, 0, true); // __reserved
}

function decodeStatxTimestamp(view: DataView, offset: number): StatxTimestamp {
  return { tv_sec: getInt64(view, offset), tv_nsec: view.getUint32(offset + 8, true) };
}

/** Write all 256 bytes of a struct statx, spare fields zeroed. */
export function encodeStatx(view: DataView, offset: number, stx: Statx): void {
  const f = STATX_FIELDS;
  view.setUint32(offset + f.stx_mask, stx.stx_mask, true);
  view.setUint32(offset + f.stx_blksize, stx.stx_blksize, true);
  setInt64(view, offset + f.stx_attributes, stx.stx_attributes);
  view.setUint32(offset + f.stx_nlink, stx.stx_nlink, true);
  view.setUint32(offset + f.stx_uid, stx.stx_uid, true);
  view.setUint32(offset + f.stx_gid, stx.stx_gid, true);
  view.setUint16(offset + f.stx_mode, stx.stx_mode, true);
  view.setUint16(offset + f.stx_mode + 2, 0, true); // __spare0
  setInt64(view, offset + f.stx_ino, stx.stx_ino);
  setInt64(view, offset + f.stx_size, stx.stx_size);
  setInt64(view, offset + f.stx_blocks, stx.stx_blocks);
  setInt64(view, offset + f.stx_attributes_mask, stx.stx_attributes_mask);
  encodeStatxTimestamp(view, offset + f.stx_atime, stx.stx_atime);
  encodeStatxTimestamp(view, offset + f.stx_btime, stx.stx_btime);
  encodeStatxTimestamp(view, offset + f.stx_ctime, stx.stx_ctime);
  encodeStatxTimestamp(view, offset + f.stx_mtime, stx.stx_mtime);
  view.setUint32(offset + f.stx_rdev_major, stx.stx_rdev_major, true);
  view.setUint32(offset + f.stx_rdev_minor, stx.stx_rdev_minor, true);
  view.setUint32(offset + f.stx_dev_major, stx.stx_dev_major, true);
  view.setUint32(offset + f.stx_dev_minor, stx.stx_dev_minor, true);
  setInt64(view, offset + f.stx_mnt_id, stx.stx_mnt_id);
  view.setUint32(offset + f.stx_dio_mem_align, stx.stx_dio_mem_align, true);
  view.setUint32(offset + f.stx_dio_offset_align, stx.stx_dio_offset_align, true);
  for (let i = f.stx_dio_offset_align + 4; i < SIZEOF_STATX; i += 4) view.setUint32(offset + i, 0, true);
}

export function decodeStatx(view: DataView, offset: number): Statx {
  const f = STATX_FIELDS;
  return {
    stx_mask: view.getUint32(offset + f.stx_mask, true),
    stx_blksize: view.getUint32(offset + f.stx_blksize, true),
    stx_attributes: getUint64(view, offset + f.stx_attributes),
    stx_nlink: view.getUint32(offset + f.stx_nlink, true),
    stx_uid: view.getUint32(offset + f.stx_uid, true),
    stx_gid: view.getUint32(offset + f.stx_gid, true),
    stx_mode: view.getUint16(offset + f.stx_mode, true),
    stx_ino: getUint64(view, offset + f.stx_ino),
    stx_size: getUint64(view, offset + f.stx_size),
    stx_blocks: getUint64(view, offset + f.stx_blocks),
    stx_attributes_mask: getUint64(view, offset + f.stx_attributes_mask),
    stx_atime: decodeStatxTimestamp(view, offset + f.stx_atime),
    stx_btime: decodeStatxTimestamp(view, offset + f.stx_btime),
    stx_ctime: decodeStatxTimestamp(view, offset + f.stx_ctime),
    stx_mtime: decodeStatxTimestamp(view, offset + f.stx_mtime),
    stx_rdev_major: view.getUint32(offset + f.stx_rdev_major, true),
    stx_rdev_minor: view.getUint32(offset + f.stx_rdev_minor, true),
    stx_dev_major: view.getUint32(offset + f.stx_dev_major, true),
    stx_dev_minor: view.getUint32(offset + f.stx_dev_minor, true),
    stx_mnt_id: getUint64(view, offset + f.stx_mnt_id),
    stx_dio_mem_align: view.getUint32(offset + f.stx_dio_mem_align, true),
    stx_dio_offset_align: view.getUint32(offset + f.stx_dio_offset_align, true),
  };
}

/** utimensat(2) special tv_nsec values (include/linux/stat.h). */
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;
