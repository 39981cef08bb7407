// Linux flag and mode constants the fs-task interprets (asm-generic/fcntl.h, stat.h,
// dirent types). Open flags are the generic values (x86-64, riscv64); the kernel-task
// translates arm64's different O_DIRECTORY/O_NOFOLLOW bits before calling in.
// Private: linux-abi/ owns the full tables.

export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_SYNC = 0o4010000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20200000;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;

export const DT_CHR = 2;
export const DT_DIR = 4;

/** access(2) mode bits. */
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

/** statfs f_flags. */
export const ST_RDONLY = 1;
