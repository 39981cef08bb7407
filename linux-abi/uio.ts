// Linux: include/uapi/linux/uio.h (struct iovec, the readv/writev/preadv/pwritev vector).

import { getUint64, setInt64 } from "./_int64.ts";

export const UIO_FASTIOV = 8;
export const UIO_MAXIOV = 1024;
/** Linux: include/linux/fs.h. The most one read or write moves: INT_MAX rounded down to a page. */
export const MAX_RW_COUNT = 0x7ffff000;

export interface Iovec {
  iov_base: number;
  iov_len: number;
}
export const SIZEOF_IOVEC = 16;

export function decodeIovec(view: DataView, offset: number): Iovec {
  return { iov_base: getUint64(view, offset), iov_len: getUint64(view, offset + 8) };
}

export function encodeIovec(view: DataView, offset: number, iov: Iovec): void {
  setInt64(view, offset, iov.iov_base);
  setInt64(view, offset + 8, iov.iov_len);
}
