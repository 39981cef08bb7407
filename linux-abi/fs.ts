// Linux: include/uapi/linux/fs.h (lseek whence, renameat2 flags), close_range.h,
// falloc.h, openat2.h, memfd.h and mount.h.

// lseek(2) whence.
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

// renameat2(2) flags.
export const RENAME_NOREPLACE = 1 << 0;
export const RENAME_EXCHANGE = 1 << 1;
export const RENAME_WHITEOUT = 1 << 2;

// close_range(2) flags.
export const CLOSE_RANGE_UNSHARE = 1 << 1;
export const CLOSE_RANGE_CLOEXEC = 1 << 2;

// fallocate(2) modes (include/uapi/linux/falloc.h).
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_NO_HIDE_STALE = 0x04;
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
export const FALLOC_FL_ZERO_RANGE = 0x10;
export const FALLOC_FL_INSERT_RANGE = 0x20;
export const FALLOC_FL_UNSHARE_RANGE = 0x40;

// openat2(2): struct open_how and its resolve flags (include/uapi/linux/openat2.h).
export const SIZEOF_OPEN_HOW = 24;
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
export const RESOLVE_CACHED = 0x20;

// memfd_create(2) flags (include/uapi/linux/memfd.h).
export const MFD_CLOEXEC = 0x0001;
export const MFD_ALLOW_SEALING = 0x0002;
export const MFD_HUGETLB = 0x0004;
export const MFD_NOEXEC_SEAL = 0x0008;
export const MFD_EXEC = 0x0010;

// mount(2) and umount2(2) flags (include/uapi/linux/mount.h).
export const MS_RDONLY = 1;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
/** The magic number old programs put in mount(2)'s flags' high half, and its mask. */
export const MS_MGC_VAL = 0xc0ed0000;
export const MS_MGC_MSK = 0xffff0000;
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;
/** statfs(2) f_flags: mounted read-only (include/linux/statfs.h). */
export const ST_RDONLY = 1;

// Block device ioctls (include/uapi/linux/fs.h), answered by every block device.
export const BLKROSET = 0x125d;
export const BLKROGET = 0x125e;
export const BLKRRPART = 0x125f;
export const BLKGETSIZE = 0x1260;
export const BLKFLSBUF = 0x1261;
/** Readahead in 512-byte sectors (BLKFRASET/BLKFRAGET are the same field since Linux 2.6). */
export const BLKRASET = 0x1262;
export const BLKRAGET = 0x1263;
export const BLKFRASET = 0x1264;
export const BLKFRAGET = 0x1265;
export const BLKSSZGET = 0x1268;
export const BLKPBSZGET = 0x127b;
/** _IOR(0x12, 112, size_t), though the kernel stores an int. */
export const BLKBSZGET = 0x80081270;
export const BLKGETSIZE64 = 0x80081272;
