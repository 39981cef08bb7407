// Linux: include/uapi/asm-generic/statfs.h, the x86-64 struct statfs of statfs(2) and
// fstatfs(2): every field a 64-bit word except f_fsid (two ints), 120 bytes.

import { setInt64 } from "./_int64.ts";

export const SIZEOF_STATFS = 120;

export interface Statfs {
  f_type: number;
  f_bsize: number;
  f_blocks: number;
  f_bfree: number;
  f_bavail: number;
  f_files: number;
  f_ffree: number;
  f_fsid: readonly [number, number];
  f_namelen: number;
  f_frsize: number;
  f_flags: number;
}

export const STATFS_FIELDS = {
  f_type: 0, f_bsize: 8, f_blocks: 16, f_bfree: 24, f_bavail: 32, f_files: 40, f_ffree: 48,
  f_fsid: 56, f_namelen: 64, f_frsize: 72, f_flags: 80, f_spare: 88,
} as const;

export function encodeStatfs(view: DataView, offset: number, s: Statfs): void {
  const f = STATFS_FIELDS;
  for (let i = 0; i < SIZEOF_STATFS; i += 8) setInt64(view, offset + i, 0);
  setInt64(view, offset + f.f_type, s.f_type);
  setInt64(view, offset + f.f_bsize, s.f_bsize);
  setInt64(view, offset + f.f_blocks, s.f_blocks);
  setInt64(view, offset + f.f_bfree, s.f_bfree);
  setInt64(view, offset + f.f_bavail, s.f_bavail);
  setInt64(view, offset + f.f_files, s.f_files);
  setInt64(view, offset + f.f_ffree, s.f_ffree);
  view.setInt32(offset + f.f_fsid, s.f_fsid[0], true);
  view.setInt32(offset + f.f_fsid + 4, s.f_fsid[1], true);
  setInt64(view, offset + f.f_namelen, s.f_namelen);
  setInt64(view, offset + f.f_frsize, s.f_frsize);
  setInt64(view, offset + f.f_flags, s.f_flags);
}
