import { describe, expect, it } from "vitest";
import { MAX_FILE_BYTES } from "../../../../fs-task/file_system.ts";
import { EFBIG, EINVAL, EOVERFLOW } from "../../../../linux-abi/errno.ts";
import { copyableCount, fileOffset, rwVerifyArea, seekable, sendableCount, sizeAllowed } from "../../../../libos/sys/_offsets.ts";

const LLONG_MAX = 2n ** 63n - 1n;

describe("rwVerifyArea()", () => {
  it("passes safe offsets and counts, refuses a negative offset", () => {
    expect(rwVerifyArea(0, 10)).toBe(0);
    expect(rwVerifyArea(2 ** 53 - 1, 2 ** 31)).toBe(0);
    expect(rwVerifyArea(-1, 1)).toBe(-EINVAL);
  });

  it("decides pos + count against 2^63 - 1 on the exact bits", () => {
    expect(rwVerifyArea(LLONG_MAX - 4n, 4)).toBe(0);
    expect(rwVerifyArea(LLONG_MAX - 3n, 4)).toBe(-EINVAL);
    expect(rwVerifyArea(0, LLONG_MAX)).toBe(0);
    expect(rwVerifyArea(0, LLONG_MAX + 1n)).toBe(-EINVAL);
    expect(rwVerifyArea(-(2n ** 60n), 1)).toBe(-EINVAL);
  });
});

describe("limits", () => {
  it("fileOffset() stops at the limit, where every file has ended", () => {
    expect(fileOffset(5)).toBe(5);
    expect(fileOffset(2n ** 62n)).toBe(MAX_FILE_BYTES);
  });

  it("seekable(), sizeAllowed() and sendableCount() answer as vfs_setpos, inode_newsize_ok and do_sendfile", () => {
    expect(seekable(MAX_FILE_BYTES)).toBe(MAX_FILE_BYTES);
    expect(seekable(MAX_FILE_BYTES + 1)).toBe(-EINVAL);
    expect(seekable(-1)).toBe(-EINVAL);
    expect(sizeAllowed(MAX_FILE_BYTES)).toBe(0);
    expect(sizeAllowed(2 ** 62)).toBe(-EFBIG);
    expect(sendableCount(0, 7)).toBe(7);
    expect(sendableCount(MAX_FILE_BYTES - 2, 7)).toBe(2);
    expect(sendableCount(MAX_FILE_BYTES, 7)).toBe(-EOVERFLOW);
  });
});

describe("copyableCount()", () => {
  it("cuts to the source's end and gives 0 past it", () => {
    expect(copyableCount(3, 0, 100, 10)).toBe(7);
    expect(copyableCount(2n ** 62n, 0, 4, 10)).toBe(0);
    expect(copyableCount(LLONG_MAX, 0, 4, 10)).toBe(0);
  });

  it("EOVERFLOW when an offset plus the length wraps, EFBIG for a destination past the limit", () => {
    expect(copyableCount(-1, 0, 4, 10)).toBe(-EOVERFLOW);
    expect(copyableCount(0, 3, 2n ** 64n - 1n, 10)).toBe(-EOVERFLOW);
    expect(copyableCount(0, 2 ** 53 - 1, 4, 10)).toBe(-EFBIG);
    expect(copyableCount(0, LLONG_MAX, 4, 10)).toBe(-EFBIG);
  });

  it("EINVAL for a negative offset that does not wrap", () => {
    expect(copyableCount(-(2n ** 62n), 0, 4, 10)).toBe(-EINVAL);
  });
});
