// HostFs extended attributes: the host file's own, by path and by handle, confined to the
// root (no path, "..", or symlink out reaches a file outside it, and the l… forms act on a
// symlink itself), and refused on a read-only volume. Skipped where the host's temp dir
// keeps no user.* attributes.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HostFs } from "../../../fs-task/hostfs.ts";
import { hostXattr } from "../../../fs-task/_host_calls.ts";
import { EBADF, ENODATA, ENOENT, EPERM, ERANGE, EROFS } from "../../../fs-task/_errno.ts";
import { O_PATH, O_RDONLY } from "../../../fs-task/_flags.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const hostPath = (p: string): Buffer => Buffer.from(p);

/** Whether files in the host's temp dir keep user.* attributes. */
function hostKeepsUserXattrs(): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-xattr-probe-"));
  try {
    fs.writeFileSync(path.join(dir, "f"), "");
    return hostXattr.set(hostPath(path.join(dir, "f")), "user.probe", bytes("1"), 0) === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hostKeepsUserXattrs())("HostFs extended attributes", () => {
  let base: string;
  let root: string;
  let secret: string;
  let hfs: HostFs;

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-xattr-"));
    root = path.join(base, "root");
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, "f"), "data");
    secret = path.join(base, "secret");
    fs.writeFileSync(secret, "");
    expect(hostXattr.set(hostPath(secret), "user.secret", bytes("S"), 0)).toBe(0);
    fs.symlinkSync("f", path.join(root, "l"));
    fs.symlinkSync(secret, path.join(root, "abs"));
    fs.symlinkSync("../secret", path.join(root, "up"));
    hfs = new HostFs({ root });
  });

  afterEach(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("sets, gets, lists and removes the host file's own attributes", () => {
    expect(hfs.setxattr("/f", true, "user.a", bytes("hello"), 0)).toBe(0);
    const dst = new Uint8Array(16);
    expect(hostXattr.get(hostPath(path.join(root, "f")), "user.a", dst)).toBe(5);
    expect(hfs.getxattr("/f", true, "user.a", new Uint8Array(0))).toBe(5);
    expect(hfs.getxattr("/f", true, "user.a", new Uint8Array(2))).toBe(-ERANGE);
    expect(hfs.listxattr("/f", true, dst)).toBe("user.a\0".length);
    expect(hfs.removexattr("/f", true, "user.a")).toBe(0);
    expect(hfs.getxattr("/f", true, "user.a", dst)).toBe(-ENODATA);
  });

  it("the l… forms act on a symlink itself; the others on what it names, inside the root", () => {
    expect(hfs.setxattr("/l", true, "user.via", bytes("V"), 0)).toBe(0);
    expect(hfs.getxattr("/f", false, "user.via", new Uint8Array(1))).toBe(1);
    expect(hfs.setxattr("/l", false, "user.x", bytes("X"), 0)).toBe(-EPERM);
    expect(hfs.getxattr("/l", false, "user.via", new Uint8Array(1))).toBe(-ENODATA);
  });

  it("no path reaches an attribute of a file outside the root", () => {
    for (const p of ["/../secret", "/abs", "/up"]) {
      expect(hfs.getxattr(p, true, "user.secret", new Uint8Array(4)), p).toBe(-ENOENT);
      expect(hfs.setxattr(p, true, "user.planted", bytes("P"), 0), p).toBe(-ENOENT);
      expect(hfs.listxattr(p, true, new Uint8Array(64)), p).toBe(-ENOENT);
    }
    for (const p of ["/abs", "/up"]) expect(hfs.getxattr(p, false, "user.secret", new Uint8Array(4)), p).toBe(-ENODATA);
    const list = new Uint8Array(64);
    const n = hostXattr.list(hostPath(secret), list);
    expect(Buffer.from(list.subarray(0, n)).toString("latin1")).toBe("user.secret\0");
  });

  it("works by handle, not on an O_PATH one (EBADF)", () => {
    const h = hfs.open("/f", O_RDONLY, 0) as number;
    expect(hfs.fsetxattr(h, "user.h", bytes("H"), 0)).toBe(0);
    expect(hfs.fgetxattr(h, "user.h", new Uint8Array(1))).toBe(1);
    expect(hfs.flistxattr(h, new Uint8Array(0))).toBe("user.h\0".length);
    expect(hfs.fremovexattr(h, "user.h")).toBe(0);
    hfs.close(h);
    const p = hfs.open("/f", O_PATH, 0) as number;
    expect(hfs.fgetxattr(p, "user.h", new Uint8Array(1))).toBe(-EBADF);
    hfs.close(p);
  });

  it("a read-only volume reads them and refuses changes (EROFS)", () => {
    expect(hfs.setxattr("/f", true, "user.a", bytes("1"), 0)).toBe(0);
    const ro = new HostFs({ root, readOnly: true });
    expect(ro.getxattr("/f", true, "user.a", new Uint8Array(1))).toBe(1);
    expect(ro.setxattr("/f", true, "user.b", bytes("2"), 0)).toBe(-EROFS);
    expect(ro.removexattr("/f", true, "user.a")).toBe(-EROFS);
    const h = ro.open("/f", O_RDONLY, 0) as number;
    expect(ro.fsetxattr(h, "user.b", bytes("2"), 0)).toBe(-EROFS);
    ro.close(h);
  });
});
