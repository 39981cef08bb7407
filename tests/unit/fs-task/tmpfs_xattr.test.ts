import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
// TmpFs extended attributes: set/get/list/remove by path and by handle, XATTR_CREATE and
// XATTR_REPLACE, size queries and ERANGE, namespaces, user.* only on regular files and
// directories, the quota, ctime; then the same calls through the fs-task protocol in every
// mode, and what DevFs and InitFs answer.

import { beforeEach, describe, expect, it } from "vitest";
import { TmpFs } from "../../../fs-task/tmpfs.ts";
import { DevFs } from "../../../fs-task/devfs.ts";
import { InitFs } from "../../../fs-task/initfs.ts";
import { addPath, emptyDir, encodeInitFs } from "../../../fs-task/initfs_builder.ts";
import { byteBudget } from "../../../fs-task/backend.ts";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import type { MemoryQuota } from "../../../fs-task/tmpfs.ts";
import {
  EBADF, EEXIST, EINVAL, ENODATA, ENOENT, ENOSPC, EOPNOTSUPP, EPERM, ERANGE, EROFS,
} from "../../../fs-task/_errno.ts";
import { O_CREAT, O_PATH, O_RDONLY, O_WRONLY } from "../../../fs-task/_flags.ts";
import { S_IFCHR, S_IFIFO, S_IFREG } from "../../../linux-abi/stat.ts";
import { XATTR_CREATE, XATTR_REPLACE } from "../../../linux-abi/xattr.ts";
import { FS_MODES, fsModes } from "./_modes.ts";

const devs = new AnonDevices();

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The names a list call wrote into `buf` (its first `n` bytes), in order. */
function names(buf: Uint8Array, n: number): string[] {
  return text(buf.subarray(0, n)).split("\0").slice(0, -1);
}

/** A quota that counts what it holds. */
function countingQuota(limit: number): MemoryQuota & { used: number } {
  const budget = byteBudget(limit);
  return {
    get used() {
      return limit - budget.available!();
    },
    charge: (n) => budget.charge(n),
    release: (n) => budget.release(n),
    available: () => budget.available!(),
  };
}

describe("TmpFs extended attributes", () => {
  let quota: ReturnType<typeof countingQuota>;
  let tfs: TmpFs;

  beforeEach(() => {
    quota = countingQuota(1 << 20);
    tfs = new TmpFs({ dev: devs.next(), quota });
    tfs.close(tfs.open("/f", O_CREAT | O_WRONLY, 0o644));
    tfs.mkdir("/d", 0o755);
    tfs.symlink("f", "/l");
  });

  it("getxattr() gives back what setxattr() stored, byte for byte", () => {
    const value = new Uint8Array(300).map((_, i) => (i * 37) & 0xff);
    expect(tfs.setxattr("/f", true, "user.bin", value, 0)).toBe(0);
    const dst = new Uint8Array(400);
    expect(tfs.getxattr("/f", true, "user.bin", dst)).toBe(300);
    expect(dst.subarray(0, 300)).toEqual(value);
  });

  it("keeps a copy: changing the caller's buffer later changes nothing", () => {
    const value = bytes("abc");
    tfs.setxattr("/f", true, "user.a", value, 0);
    value[0] = 0x7a;
    const dst = new Uint8Array(3);
    tfs.getxattr("/f", true, "user.a", dst);
    expect(text(dst)).toBe("abc");
  });

  it("an empty buffer asks for the size; a short one is ERANGE", () => {
    tfs.setxattr("/f", true, "user.a", bytes("hello"), 0);
    expect(tfs.getxattr("/f", true, "user.a", new Uint8Array(0))).toBe(5);
    expect(tfs.getxattr("/f", true, "user.a", new Uint8Array(4))).toBe(-ERANGE);
    expect(tfs.getxattr("/f", true, "user.a", new Uint8Array(5))).toBe(5);
  });

  it("an empty value is an attribute of its own, not a removal", () => {
    expect(tfs.setxattr("/f", true, "user.e", new Uint8Array(0), 0)).toBe(0);
    expect(tfs.getxattr("/f", true, "user.e", new Uint8Array(8))).toBe(0);
    expect(tfs.getxattr("/f", true, "user.missing", new Uint8Array(8))).toBe(-ENODATA);
  });

  it("XATTR_CREATE refuses an existing name (EEXIST), XATTR_REPLACE a missing one (ENODATA)", () => {
    expect(tfs.setxattr("/f", true, "user.a", bytes("1"), XATTR_REPLACE)).toBe(-ENODATA);
    expect(tfs.setxattr("/f", true, "user.a", bytes("1"), XATTR_CREATE)).toBe(0);
    expect(tfs.setxattr("/f", true, "user.a", bytes("2"), XATTR_CREATE)).toBe(-EEXIST);
    expect(tfs.setxattr("/f", true, "user.a", bytes("3"), XATTR_REPLACE)).toBe(0);
    const dst = new Uint8Array(1);
    tfs.getxattr("/f", true, "user.a", dst);
    expect(text(dst)).toBe("3");
  });

  it("lists names NUL-separated in creation order, with size queries and ERANGE", () => {
    for (const n of ["user.b", "trusted.t", "security.s", "user.a"]) tfs.setxattr("/f", true, n, bytes("v"), 0);
    const size = tfs.listxattr("/f", true, new Uint8Array(0));
    expect(size).toBe("user.b trusted.t security.s user.a ".length);
    const buf = new Uint8Array(size);
    expect(tfs.listxattr("/f", true, buf)).toBe(size);
    expect(names(buf, size)).toEqual(["user.b", "trusted.t", "security.s", "user.a"]);
    expect(tfs.listxattr("/f", true, new Uint8Array(size - 1))).toBe(-ERANGE);
    tfs.setxattr("/f", true, "user.b", bytes("again"), 0);
    expect(names(buf, tfs.listxattr("/f", true, buf))[0]).toBe("user.b");
  });

  it("a file that never had one lists none and finds none", () => {
    expect(tfs.listxattr("/f", true, new Uint8Array(16))).toBe(0);
    expect(tfs.getxattr("/f", true, "user.x", new Uint8Array(16))).toBe(-ENODATA);
    expect(tfs.removexattr("/f", true, "user.x")).toBe(-ENODATA);
  });

  it("removexattr() removes once, then ENODATA", () => {
    tfs.setxattr("/f", true, "user.a", bytes("1"), 0);
    expect(tfs.removexattr("/f", true, "user.a")).toBe(0);
    expect(tfs.removexattr("/f", true, "user.a")).toBe(-ENODATA);
    expect(tfs.getxattr("/f", true, "user.a", new Uint8Array(4))).toBe(-ENODATA);
  });

  it("unknown namespaces and system.* are EOPNOTSUPP; a bare prefix is EINVAL", () => {
    for (const n of ["bogus.x", "noprefix", "system.posix_acl_access", "USER.x"]) {
      expect(tfs.setxattr("/f", true, n, bytes("v"), 0), n).toBe(-EOPNOTSUPP);
      expect(tfs.getxattr("/f", true, n, new Uint8Array(4)), n).toBe(-EOPNOTSUPP);
    }
    expect(tfs.setxattr("/f", true, "user.", bytes("v"), 0)).toBe(-EINVAL);
    expect(tfs.getxattr("/f", true, "trusted.", new Uint8Array(4))).toBe(-EINVAL);
  });

  it("user.* only on regular files and directories: EPERM to change, ENODATA to read", () => {
    tfs.mknod("/p", S_IFIFO | 0o644, 0);
    tfs.mknod("/c", S_IFCHR | 0o644, 0x103);
    expect(tfs.setxattr("/d", true, "user.d", bytes("D"), 0)).toBe(0);
    for (const [path, follow] of [["/l", false], ["/p", true], ["/c", true]] as const) {
      expect(tfs.setxattr(path, follow, "user.x", bytes("v"), 0), path).toBe(-EPERM);
      expect(tfs.removexattr(path, follow, "user.x"), path).toBe(-EPERM);
      expect(tfs.getxattr(path, follow, "user.x", new Uint8Array(4)), path).toBe(-ENODATA);
      expect(tfs.setxattr(path, follow, "trusted.x", bytes("v"), 0), path).toBe(0);
    }
  });

  it("follows a last symlink only when asked", () => {
    expect(tfs.setxattr("/l", true, "user.via", bytes("V"), 0)).toBe(0);
    expect(tfs.getxattr("/f", false, "user.via", new Uint8Array(1))).toBe(1);
    expect(tfs.getxattr("/l", false, "user.via", new Uint8Array(1))).toBe(-ENODATA);
    expect(tfs.setxattr("/l", false, "trusted.l", bytes("L"), 0)).toBe(0);
    const buf = new Uint8Array(64);
    expect(names(buf, tfs.listxattr("/l", false, buf))).toEqual(["trusted.l"]);
    expect(names(buf, tfs.listxattr("/l", true, buf))).toEqual(["user.via"]);
    expect(tfs.getxattr("/missing", true, "user.a", buf)).toBe(-ENOENT);
  });

  it("works by handle, not on an O_PATH handle (EBADF) nor a closed one", () => {
    const h = tfs.open("/f", O_RDONLY, 0);
    expect(tfs.fsetxattr(h, "user.h", bytes("H"), 0)).toBe(0);
    expect(tfs.fgetxattr(h, "user.h", new Uint8Array(0))).toBe(1);
    const buf = new Uint8Array(16);
    expect(names(buf, tfs.flistxattr(h, buf))).toEqual(["user.h"]);
    expect(tfs.fremovexattr(h, "user.h")).toBe(0);
    expect(tfs.fremovexattr(h, "user.h")).toBe(-ENODATA);
    tfs.close(h);
    expect(tfs.fgetxattr(h, "user.h", buf)).toBe(-EBADF);
    const p = tfs.open("/f", O_PATH, 0);
    expect(tfs.fsetxattr(p, "user.h", bytes("H"), 0)).toBe(-EBADF);
    expect(tfs.flistxattr(p, buf)).toBe(-EBADF);
  });

  it("charges attributes to the quota and gives it all back when the file goes", () => {
    const before = quota.used;
    tfs.setxattr("/f", true, "user.big", new Uint8Array(10_000), 0);
    const charged = quota.used - before;
    expect(charged).toBeGreaterThanOrEqual(10_000 + "user.big".length);
    tfs.setxattr("/f", true, "user.big", new Uint8Array(10), 0);
    expect(quota.used - before).toBe(charged - 9_990);
    tfs.unlink("/f");
    expect(quota.used).toBe(before);
  });

  it("an unlinked file keeps its attributes while a handle is open", () => {
    tfs.setxattr("/f", true, "user.a", bytes("1"), 0);
    const h = tfs.open("/f", O_RDONLY, 0);
    tfs.unlink("/f");
    expect(tfs.fgetxattr(h, "user.a", new Uint8Array(1))).toBe(1);
    tfs.close(h);
  });

  it("ENOSPC when the quota cannot take a value, and the old one stays", () => {
    const small = new TmpFs({ dev: devs.next(), quota: byteBudget(1000) });
    small.close(small.open("/f", O_CREAT | O_WRONLY, 0o644));
    expect(small.setxattr("/f", true, "user.a", bytes("old"), 0)).toBe(0);
    expect(small.setxattr("/f", true, "user.a", new Uint8Array(2000), 0)).toBe(-ENOSPC);
    const dst = new Uint8Array(8);
    expect(text(dst.subarray(0, small.getxattr("/f", true, "user.a", dst)))).toBe("old");
  });

  it("a change sets ctime", () => {
    const st = tfs.stat("/f", true) as { ctimeNs: bigint };
    tfs.setxattr("/f", true, "user.a", bytes("1"), 0);
    expect((tfs.stat("/f", true) as { ctimeNs: bigint }).ctimeNs).toBeGreaterThan(st.ctimeNs);
  });
});

describe("DevFs and InitFs extended attributes", () => {
  it("DevFs keeps trusted.* on devices and user.* on its directories, not user.* on devices", () => {
    const dev = new DevFs();
    expect(dev.setxattr("/null", true, "trusted.t", bytes("T"), 0)).toBe(0);
    expect(dev.getxattr("/null", true, "trusted.t", new Uint8Array(1))).toBe(1);
    expect(dev.setxattr("/null", true, "user.x", bytes("X"), 0)).toBe(-EPERM);
    expect(dev.getxattr("/null", true, "user.x", new Uint8Array(1))).toBe(-ENODATA);
    expect(dev.setxattr("/shm", true, "user.x", bytes("X"), 0)).toBe(0);
  });

  it("InitFs finds none, lists none and changes none (EROFS)", () => {
    const root = emptyDir(0o755, 0n);
    addPath(root, "f", { type: "file", mode: S_IFREG | 0o644, mtimeNs: 0n, content: bytes("x") });
    const init = new InitFs(encodeInitFs(root), devs.next());
    expect(init.getxattr("/f", true, "user.x", new Uint8Array(4))).toBe(-ENODATA);
    expect(init.getxattr("/f", true, "bogus.x", new Uint8Array(4))).toBe(-EOPNOTSUPP);
    expect(init.listxattr("/f", true, new Uint8Array(4))).toBe(0);
    expect(init.setxattr("/f", true, "user.x", bytes("X"), 0)).toBe(-EROFS);
    expect(init.removexattr("/f", true, "user.x")).toBe(-EROFS);
    const h = init.open("/f", O_RDONLY, 0);
    expect(init.fsetxattr(h, "user.x", bytes("X"), 0)).toBe(-EROFS);
  });
});

describe.each(FS_MODES)("extended attributes through the fs-task (%s mode)", (mode) => {
  const { mount } = fsModes(mode);
  let fs: FileSystem;

  beforeEach(() => {
    fs = mount({ type: "tmpfs", sizeBytes: 1 << 20, dev: devs.next() });
    fs.close(fs.open("/f", O_CREAT | O_WRONLY, 0o644) as number);
  });

  it("a 64 KiB value goes there and back", () => {
    const value = new Uint8Array(65536).map((_, i) => (i * 7) & 0xff);
    expect(fs.setxattr!("/f", true, "user.big", value, 0)).toBe(0);
    expect(fs.getxattr!("/f", true, "user.big", new Uint8Array(0))).toBe(65536);
    const dst = new Uint8Array(65536);
    expect(fs.getxattr!("/f", true, "user.big", dst)).toBe(65536);
    expect(dst).toEqual(value);
    expect(fs.getxattr!("/f", true, "user.big", new Uint8Array(100))).toBe(-ERANGE);
  });

  it("lists, removes and works by handle as in process", () => {
    fs.setxattr!("/f", true, "user.a", bytes("1"), 0);
    fs.setxattr!("/f", true, "trusted.b", bytes("2"), 0);
    const buf = new Uint8Array(64);
    expect(names(buf, fs.listxattr!("/f", true, buf))).toEqual(["user.a", "trusted.b"]);
    expect(fs.listxattr!("/f", true, new Uint8Array(0))).toBe(17);
    const h = fs.open("/f", O_RDONLY, 0) as number;
    expect(fs.fgetxattr!(h, "trusted.b", buf)).toBe(1);
    expect(text(buf.subarray(0, 1))).toBe("2");
    expect(fs.fremovexattr!(h, "user.a")).toBe(0);
    expect(fs.fsetxattr!(h, "user.c", new Uint8Array(0), XATTR_CREATE)).toBe(0);
    expect(names(buf, fs.flistxattr!(h, buf))).toEqual(["trusted.b", "user.c"]);
    expect(fs.removexattr!("/f", true, "user.a")).toBe(-ENODATA);
    fs.close(h);
  });
});
