// Linux: include/uapi/asm-generic/fcntl.h and include/uapi/linux/fcntl.h (x86-64 uses the
// generic values), plus the access(2) modes of include/linux/fs.h (MAY_*) that <unistd.h> names.

import { getInt64, setInt64 } from "./_int64.ts";

// open(2) flags, octal as in the header.
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const FASYNC = 0o20000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const __O_SYNC = 0o4000000;
export const O_SYNC = __O_SYNC | O_DSYNC;
export const O_PATH = 0o10000000;
export const __O_TMPFILE = 0o20000000;
export const O_TMPFILE = __O_TMPFILE | O_DIRECTORY;
export const O_NDELAY = O_NONBLOCK;

// fcntl(2) commands.
export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_GETLK = 5;
export const F_SETLK = 6;
export const F_SETLKW = 7;
export const F_SETOWN = 8;
export const F_GETOWN = 9;
export const F_SETSIG = 10;
export const F_GETSIG = 11;
export const F_SETOWN_EX = 15;
export const F_GETOWN_EX = 16;
export const F_GETOWNER_UIDS = 17;
export const F_OFD_GETLK = 36;
export const F_OFD_SETLK = 37;
export const F_OFD_SETLKW = 38;
export const F_LINUX_SPECIFIC_BASE = 1024;
export const F_SETLEASE = F_LINUX_SPECIFIC_BASE + 0;
export const F_GETLEASE = F_LINUX_SPECIFIC_BASE + 1;
export const F_NOTIFY = F_LINUX_SPECIFIC_BASE + 2;
export const F_CANCELLK = F_LINUX_SPECIFIC_BASE + 5;
export const F_DUPFD_CLOEXEC = F_LINUX_SPECIFIC_BASE + 6;
export const F_SETPIPE_SZ = F_LINUX_SPECIFIC_BASE + 7;
export const F_GETPIPE_SZ = F_LINUX_SPECIFIC_BASE + 8;
export const F_ADD_SEALS = F_LINUX_SPECIFIC_BASE + 9;
export const F_GET_SEALS = F_LINUX_SPECIFIC_BASE + 10;

/** The F_GETFD/F_SETFD flag. */
export const FD_CLOEXEC = 1;

// struct flock l_type.
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;

// flock(2) operations.
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
// Obsolete "mandatory" flock modes: Linux accepts and ignores them.
export const LOCK_MAND = 32;
export const LOCK_READ = 64;
export const LOCK_WRITE = 128;
export const LOCK_RW = 192;

/** struct flock (on x86-64 the same as struct flock64): 32 bytes. l_len 0 means "to the end of the file". */
export interface Flock {
  l_type: number;
  l_whence: number;
  l_start: number;
  l_len: number;
  l_pid: number;
}
export const SIZEOF_FLOCK = 32;
export const FLOCK_FIELDS = { l_type: 0, l_whence: 2, l_start: 8, l_len: 16, l_pid: 24 } as const;

/** Write all 32 bytes of a struct flock, padding included. */
export function encodeFlock(view: DataView, offset: number, fl: Flock): void {
  const f = FLOCK_FIELDS;
  view.setInt16(offset + f.l_type, fl.l_type, true);
  view.setInt16(offset + f.l_whence, fl.l_whence, true);
  view.setUint32(offset + f.l_whence + 2, 0, true);
  setInt64(view, offset + f.l_start, fl.l_start);
  setInt64(view, offset + f.l_len, fl.l_len);
  view.setInt32(offset + f.l_pid, fl.l_pid, true);
  view.setUint32(offset + f.l_pid + 4, 0, true);
}

export function decodeFlock(view: DataView, offset: number): Flock {
  const f = FLOCK_FIELDS;
  return {
    l_type: view.getInt16(offset + f.l_type, true),
    l_whence: view.getInt16(offset + f.l_whence, true),
    l_start: getInt64(view, offset + f.l_start),
    l_len: getInt64(view, offset + f.l_len),
    l_pid: view.getInt32(offset + f.l_pid, true),
  };
}

// File seals (F_ADD_SEALS).
export const F_SEAL_SEAL = 0x0001;
export const F_SEAL_SHRINK = 0x0002;
export const F_SEAL_GROW = 0x0004;
export const F_SEAL_WRITE = 0x0008;
export const F_SEAL_FUTURE_WRITE = 0x0010;

// The *at() family.
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_EACCESS = 0x200;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
export const AT_STATX_SYNC_TYPE = 0x6000;
export const AT_STATX_SYNC_AS_STAT = 0x0000;
export const AT_STATX_FORCE_SYNC = 0x2000;
export const AT_STATX_DONT_SYNC = 0x4000;
export const AT_RECURSIVE = 0x8000;

// access(2)/faccessat(2) modes.
export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;
