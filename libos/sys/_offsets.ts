// File offsets and lengths at syscall entry: Linux's range checks, decided here the same way
// for every file system and fs mode, so that nothing past MAX_FILE_BYTES (the LibOS's
// s_maxbytes) reaches a back end or a word of the fs-task protocol.
// Linux: fs/read_write.c (rw_verify_area, vfs_setpos, do_sendfile), mm/filemap.c
// (generic_write_check_limits; a read at s_maxbytes finds the end), fs/open.c
// (vfs_fallocate), fs/attr.c (inode_newsize_ok), fs/read_write.c (generic_copy_file_checks).
//
// A 64-bit argument arrives Exact: a number when it is a safe integer, else a BigInt
// (SyscallArgs.exactLong/exactSize, readLoff), so sums against 2^63 are decided on the real
// bits. Once rw_verify_area has passed, Number() of a value may round it, but never across
// 0 or MAX_FILE_BYTES, the only bounds it is compared with after that.

import { MAX_FILE_BYTES } from "../../fs-task/file_system.ts";
import { EFBIG, EINVAL, EOVERFLOW } from "../../linux-abi/errno.ts";
import { O_APPEND } from "../../linux-abi/fcntl.ts";
import { S_IFMT, S_IFREG } from "../../linux-abi/stat.ts";
import type { OpenFile } from "../file.ts";
import { PROT_READ, type GuestMemory } from "../memory.ts";

/** A 64-bit value: a number when it is a safe integer, else a BigInt. */
export type Exact = number | bigint;

const LLONG_MAX = 2n ** 63n - 1n;
const TWO_64 = 2n ** 64n;

/** rw_verify_area: -EINVAL for a count negative as ssize_t, a negative pos, or pos + count past 2^63 - 1; else 0. */
export function rwVerifyArea(pos: Exact, count: Exact): number {
  if (typeof pos === "number" && typeof count === "number") return pos < 0 ? -EINVAL : 0;
  const p = BigInt(pos), c = BigInt(count);
  return c > LLONG_MAX || p < 0n || p + c > LLONG_MAX ? -EINVAL : 0;
}

/**
 * The offset a positional read or write passes on, once rw_verify_area has passed: past
 * MAX_FILE_BYTES every file has ended (a read there finds nothing) and a device ignores it.
 */
export function fileOffset(pos: Exact): number {
  return Math.min(Number(pos), MAX_FILE_BYTES);
}

/**
 * generic_write_check_limits for a positional write of `count` bytes at `pos`: the bytes it
 * may write, or -EFBIG at or past the limit. Devices and O_APPEND descriptions (which write
 * at the end, whatever `pos` says) are not limited by `pos`.
 */
export function writableCount(f: OpenFile, pos: number, count: number): number {
  if (pos + count <= MAX_FILE_BYTES || f.flags & O_APPEND || !isRegular(f)) return count;
  return pos >= MAX_FILE_BYTES ? -EFBIG : MAX_FILE_BYTES - pos;
}

/** vfs_setpos: `pos` as the new offset, or -EINVAL below 0 or past the limit. */
export function seekable(pos: number): number {
  return pos < 0 || pos > MAX_FILE_BYTES ? -EINVAL : pos;
}

/** inode_newsize_ok / vfs_fallocate: -EFBIG for a file size past the limit, else 0. */
export function sizeAllowed(size: number): number {
  return size > MAX_FILE_BYTES ? -EFBIG : 0;
}

/** do_sendfile's limit: `count` cut to the limit, or -EOVERFLOW at or past it. */
export function sendableCount(pos: number, count: number): number {
  if (pos + count <= MAX_FILE_BYTES) return count;
  return pos >= MAX_FILE_BYTES ? -EOVERFLOW : MAX_FILE_BYTES - pos;
}

/**
 * generic_copy_file_checks and vfs_copy_file_range's rw_verify_area, in their order: the
 * bytes to copy (cut to the source's end and the limit; 0 for none), or -errno.
 */
export function copyableCount(posIn: Exact, posOut: Exact, len: Exact, sizeIn: number): number {
  if (wraps(posIn, len) || wraps(posOut, len)) return -EOVERFLOW;
  const from = Number(posIn), to = Number(posOut);
  if (to >= MAX_FILE_BYTES) return -EFBIG;
  const count = from >= sizeIn ? 0 : Math.min(Number(len), sizeIn - from, MAX_FILE_BYTES - to);
  const bad = rwVerifyArea(posIn, count);
  return bad < 0 ? bad : rwVerifyArea(posOut, count) < 0 ? -EINVAL : count;
}

/** A loff_t in guest memory, exactly; null if it cannot be read. */
export function readLoff(mem: GuestMemory, addr: number): Exact | null {
  const b = mem.view(addr, 8, PROT_READ);
  if (b === null) return null;
  const v = new DataView(b.buffer, b.byteOffset, 8);
  const n = v.getInt32(4, true) * 4294967296 + v.getUint32(0, true);
  return Number.isSafeInteger(n) ? n : v.getBigInt64(0, true);
}

/** pos + count overflows 64 bits, added as Linux adds a loff_t and a u64 (unsigned). */
function wraps(pos: Exact, count: Exact): boolean {
  if (typeof pos === "number" && typeof count === "number" && pos >= 0) return false;
  return BigInt.asUintN(64, BigInt(pos)) + BigInt(count) >= TWO_64;
}

export function isRegular(f: OpenFile): boolean {
  const st = f.ops.stat();
  return typeof st !== "number" && (st.mode & S_IFMT) === S_IFREG;
}

/** Where the end of `f` is (SEEK_END, O_APPEND): st_size, or a block device's capacity; -errno if fstat fails. */
export function fileEnd(f: OpenFile): number {
  if (f.ops.seekEnd) return f.ops.seekEnd();
  const st = f.ops.stat();
  return typeof st === "number" ? st : st.size;
}
