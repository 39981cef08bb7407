// Linux flag and mode constants the fs-task interprets, from linux-abi/ (the generic
// values: x86-64, riscv64; the kernel-task translates arm64's different O_DIRECTORY and
// O_NOFOLLOW bits before calling in).

export {
  O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_DSYNC, O_EXCL, O_NOATIME, O_NOFOLLOW, O_NONBLOCK,
  O_PATH, O_RDONLY, O_RDWR, O_SYNC, O_TMPFILE, O_TRUNC, O_WRONLY, R_OK, W_OK, X_OK,
} from "../linux-abi/fcntl.ts";
export { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID } from "../linux-abi/stat.ts";
export { DT_BLK, DT_CHR, DT_DIR, DT_LNK } from "../linux-abi/dirent.ts";
export { RENAME_EXCHANGE, RENAME_NOREPLACE } from "../linux-abi/fs.ts";

/** statfs f_flags (include/linux/statfs.h). */
export const ST_RDONLY = 1;
