// Linux: struct linux_dirent64 (include/linux/dirent.h) and struct linux_dirent
// (fs/readdir.c), the records of getdents64(2) and getdents(2); DT_* as in include/linux/fs_types.h.

import { setInt64 } from "./_int64.ts";
import { utf8Length, writeCString } from "./_cstring.ts";

export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;
export const DT_WHT = 14;

/** The DT_* type of an st_mode (S_IFMT bits shifted down, as the kernel's fs_umode_to_dtype). */
export function IFTODT(mode: number): number {
  return (mode & 0o170000) >>> 12;
}

export interface Dirent {
  d_ino: number;
  /** The position a later getdents/lseek resumes from, after this record. */
  d_off: number;
  d_type: number;
  d_name: string;
}

export const LINUX_DIRENT64_FIELDS = { d_ino: 0, d_off: 8, d_reclen: 16, d_type: 18, d_name: 19 } as const;

/** d_reclen of a linux_dirent64 for `name`: header, name, NUL, rounded up to 8. */
export function dirent64RecordLength(name: string): number {
  return (LINUX_DIRENT64_FIELDS.d_name + utf8Length(name) + 1 + 7) & ~7;
}

/** Write one linux_dirent64 at `offset` (padding zeroed); returns its d_reclen. */
export function encodeDirent64(view: DataView, offset: number, d: Dirent): number {
  const f = LINUX_DIRENT64_FIELDS;
  const reclen = dirent64RecordLength(d.d_name);
  setInt64(view, offset + f.d_ino, d.d_ino);
  setInt64(view, offset + f.d_off, d.d_off);
  view.setUint16(offset + f.d_reclen, reclen, true);
  view.setUint8(offset + f.d_type, d.d_type);
  writeCString(view, offset + f.d_name, d.d_name, reclen - f.d_name);
  return reclen;
}

export const LINUX_DIRENT_FIELDS = { d_ino: 0, d_off: 8, d_reclen: 16, d_name: 18 } as const;

/** d_reclen of a linux_dirent for `name`: header, name, NUL, d_type byte, rounded up to 8. */
export function direntRecordLength(name: string): number {
  return (LINUX_DIRENT_FIELDS.d_name + utf8Length(name) + 2 + 7) & ~7;
}

/** Write one linux_dirent (d_type in the record's last byte); returns its d_reclen. */
export function encodeDirent(view: DataView, offset: number, d: Dirent): number {
  const f = LINUX_DIRENT_FIELDS;
  const reclen = direntRecordLength(d.d_name);
  setInt64(view, offset + f.d_ino, d.d_ino);
  setInt64(view, offset + f.d_off, d.d_off);
  view.setUint16(offset + f.d_reclen, reclen, true);
  writeCString(view, offset + f.d_name, d.d_name, reclen - f.d_name - 1);
  view.setUint8(offset + reclen - 1, d.d_type);
  return reclen;
}
