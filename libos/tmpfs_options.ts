// The data string of a tmpfs mount(2) ("size=32M,mode=0700"), parsed as Linux's
// generic_parse_monolithic and shmem_parse_one do (mm/shmem.c, fs/fs_context.c): options
// separated by commas, empty ones skipped; the generic flags (ro, rw, sync, …) first; then
// tmpfs's own:
//
//   size=N[kmgtpe] | N%     the most its pages may hold (a percentage of the memory quota); 0: no limit
//   nr_blocks=N[kmgtpe]     the same in pages
//   nr_inodes=N[kmgtpe]     the most inodes; 0: no limit
//   mode=OCTAL uid=N gid=N  the root directory's permissions and owner
//   huge=…, mpol=…, inode32, inode64, noswap, quota options   accepted, without effect
//
// Anything else, or a bad value, is EINVAL (Linux: "tmpfs: Unknown parameter").

import { EINVAL } from "../linux-abi/errno.ts";
import type { TmpFsLimits } from "../fs-task/tmpfs.ts";

const PAGE_SIZE = 4096;
/** What a limit may be: beyond this no quota could hold it, and the arithmetic stays exact. */
const MAX_LIMIT = Number.MAX_SAFE_INTEGER;

export interface TmpfsMountOptions {
  limits: TmpFsLimits;
  /** "ro" among the options. */
  readOnly: boolean;
}

const SB_FLAGS = new Set(["ro", "rw", "sync", "async", "dirsync", "mand", "nomand", "lazytime", "nolazytime", "posixacl", "silent"]);
const IGNORED_FLAGS = new Set(["inode32", "inode64", "noswap", "quota", "usrquota", "grpquota"]);
const IGNORED_VALUES = new Set(["huge", "mpol", "source", "usrquota_block_hardlimit", "usrquota_inode_hardlimit", "grpquota_block_hardlimit", "grpquota_inode_hardlimit"]);
const HUGE = new Set(["never", "always", "within_size", "advise", "deny", "force"]);

/** The options of `data` (a byte string), or -EINVAL. `memoryBytes` is what size=N% is a percentage of. */
export function parseTmpfsOptions(data: string, memoryBytes: number): TmpfsMountOptions | number {
  const limits: TmpFsLimits = {};
  let readOnly = false;
  for (const option of data.split(",")) {
    if (option === "") continue;
    const eq = option.indexOf("=");
    const key = eq < 0 ? option : option.slice(0, eq);
    const value = eq < 0 ? null : option.slice(eq + 1);
    if (value === null && SB_FLAGS.has(key)) {
      if (key === "ro" || key === "rw") readOnly = key === "ro";
      continue;
    }
    if (value === null ? IGNORED_FLAGS.has(key) : IGNORED_VALUES.has(key)) {
      if (key === "huge" && !HUGE.has(value!)) return -EINVAL;
      continue;
    }
    if (value === null) return -EINVAL;
    const r = setLimit(limits, key, value, memoryBytes);
    if (r < 0) return r;
  }
  return { limits, readOnly };
}

function setLimit(limits: TmpFsLimits, key: string, value: string, memoryBytes: number): number {
  switch (key) {
    case "size": {
      const percent = value.endsWith("%");
      const n = memparse(percent ? value.slice(0, -1) : value);
      if (n === null) return -EINVAL;
      const bytes = percent ? Math.floor((memoryBytes / 100) * n) : n;
      limits.maxBytes = Math.min(Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE, MAX_LIMIT);
      return 0;
    }
    case "nr_blocks": {
      const n = memparse(value);
      if (n === null) return -EINVAL;
      limits.maxBytes = Math.min(n * PAGE_SIZE, MAX_LIMIT);
      return 0;
    }
    case "nr_inodes": {
      const n = memparse(value);
      if (n === null) return -EINVAL;
      limits.maxInodes = n;
      return 0;
    }
    case "mode": {
      if (!/^[0-7]+$/.test(value)) return -EINVAL;
      const n = parseInt(value, 8);
      if (n > 0xffffffff) return -EINVAL;
      limits.rootMode = n & 0o7777;
      return 0;
    }
    case "uid":
    case "gid": {
      const n = cUnsigned(value);
      // (uid_t)-1 names nobody.
      if (n === null || n > 0xfffffffe) return -EINVAL;
      if (key === "uid") limits.rootUid = n;
      else limits.rootGid = n;
      return 0;
    }
    default:
      return -EINVAL;
  }
}

const SHIFTS: Record<string, number> = { k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 };

/** The kernel's memparse: a C number (0x hex, 0 octal) and one optional suffix k, m, g, t, p, e; null unless that is all. */
function memparse(text: string): number | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kKmMgGtTpPeE]?)$/.exec(text);
  if (!m) return null;
  const n = cUnsigned(m[1]!)!;
  const shift = m[2] === "" ? 0 : SHIFTS[m[2]!.toLowerCase()]!;
  return Math.min(n * 2 ** shift, MAX_LIMIT);
}

/** A C unsigned number as strtoull reads it with base 0, or null. */
function cUnsigned(text: string): number | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return Number.parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  return null;
}
