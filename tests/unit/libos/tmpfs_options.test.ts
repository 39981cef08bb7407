import { describe, expect, it } from "vitest";
import { EINVAL } from "../../../linux-abi/errno.ts";
import { parseTmpfsOptions } from "../../../libos/tmpfs_options.ts";

const GIB = 2 ** 30;

describe("parseTmpfsOptions()", () => {
  it("reads size= with suffixes, in whole pages, and as a percentage of memory", () => {
    expect(parseTmpfsOptions("size=32M", GIB)).toEqual({ limits: { maxBytes: 32 * 2 ** 20 }, readOnly: false });
    expect(parseTmpfsOptions("size=1", GIB)).toMatchObject({ limits: { maxBytes: 4096 } });
    expect(parseTmpfsOptions("size=0x10k", GIB)).toMatchObject({ limits: { maxBytes: 16384 } });
    expect(parseTmpfsOptions("size=50%", GIB)).toMatchObject({ limits: { maxBytes: GIB / 2 } });
    expect(parseTmpfsOptions("nr_blocks=10", GIB)).toMatchObject({ limits: { maxBytes: 40960 } });
    expect(parseTmpfsOptions("size=99999999999999999999e", GIB)).toMatchObject({ limits: { maxBytes: Number.MAX_SAFE_INTEGER } });
  });

  it("reads nr_inodes=, mode= (octal), uid=, gid= and ro, and skips empty options", () => {
    expect(parseTmpfsOptions(",nr_inodes=1k,,mode=0700,uid=1000,gid=0x10,ro", GIB)).toEqual({
      limits: { maxInodes: 1024, rootMode: 0o700, rootUid: 1000, rootGid: 16 }, readOnly: true,
    });
    expect(parseTmpfsOptions("mode=41777", GIB)).toMatchObject({ limits: { rootMode: 0o1777 } });
  });

  it("accepts the generic flags and tmpfs's options without effect", () => {
    expect(parseTmpfsOptions("rw,sync,lazytime,huge=never,mpol=default,inode64,noswap", GIB)).toEqual({ limits: {}, readOnly: false });
  });

  it("refuses unknown options and bad values with EINVAL", () => {
    for (const bad of ["size=lots", "size=", "size", "size=1q", "mode=8", "uid=-1", "uid=4294967295", "huge=maybe", "bogus", "nr_inodes=1%", "rw,nosuid"]) {
      expect(parseTmpfsOptions(bad, GIB), bad).toBe(-EINVAL);
    }
  });
});
