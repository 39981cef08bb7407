// The layout of an initfs image (described in initfs.ts), shared by the reader
// (initfs.ts) and the writer (initfs_builder.ts): field offsets of the header, of an
// inode record and of a directory entry record, all little-endian.

export const MAGIC = "LIBOSIFS";
export const VERSION = 1;

export const HEADER_SIZE = 64;
export const header = {
  MAGIC: 0, // u8[8]
  VERSION: 8, // u32
  INODE_COUNT: 12, // u32
  INODE_TABLE: 16, // u32 offset
  DIRENT_COUNT: 20, // u32
  DIRENT_TABLE: 24, // u32 offset
  STRINGS: 28, // u32 offset
  STRINGS_SIZE: 32, // u32
  DATA: 40, // u64 offset
  DATA_SIZE: 48, // u64
} as const;

export const INODE_SIZE = 48;
export const inode = {
  MODE: 0, // u32
  UID: 4, // u32
  GID: 8, // u32
  NLINK: 12, // u32
  MTIME_NS: 16, // i64
  SIZE: 24, // u64
  WHERE: 32, // u64
  RDEV: 40, // u32
  PARENT: 44, // u32
} as const;

export const DIRENT_SIZE = 12;
export const dirent = {
  INO: 0, // u32
  NAME: 4, // u32 offset in the string table
  NAME_LENGTH: 8, // u32
} as const;

/** Inode number of the root directory (record 0). */
export const ROOT_INO = 1;
