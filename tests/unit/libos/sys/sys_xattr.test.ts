import { AnonDevices } from "../../../../fs-task/_anon_dev.ts";
// The extended-attribute syscalls over a VFS with a tmpfs root: the argument checks, the
// lookups, the copies in and out, who may read and change what (root, another user,
// trusted.* hidden from lists), and read-only mounts.

import { initialCredentials } from "../../../../libos/creds.ts";
import { beforeEach, describe, expect, it } from "vitest";
import { TmpFs } from "../../../../fs-task/tmpfs.ts";
import {
  E2BIG, EACCES, EBADF, EFAULT, ENODATA, ENOENT, EPERM, ERANGE, EROFS,
} from "../../../../linux-abi/errno.ts";
import { O_CREAT, O_WRONLY } from "../../../../linux-abi/fcntl.ts";
import { PROT_READ, PROT_WRITE } from "../../../../libos/memory.ts";
import { SyscallArgs } from "../../../../libos/sys/args.ts";
import type { KernelServices } from "../../../../libos/sys/context.ts";
import * as X from "../../../../libos/sys/sys_xattr.ts";
import type { Thread } from "../../../../libos/process.ts";
import { Vfs } from "../../../../libos/vfs.ts";
import { FsNotify } from "../../../../libos/fsnotify.ts";
import { FIRST_ARG } from "../../../../syscall-shim/x86_64.ts";
import { makeThread } from "../_fake_process.ts";

const devs = new AnonDevices();

/** Guest memory: the path at PATH, the name at NAME, values and lists at DATA. */
const PATH = 0x10000, NAME = 0x11000, DATA = 0x12000;
const DATA_BYTES = 0x20000;

let fs: TmpFs;
let vfs: Vfs;
let t: Thread;
let k: KernelServices;

beforeEach(() => {
  fs = new TmpFs({ dev: devs.next(), quota: { charge: () => true, release() {} } });
  fs.close(fs.open("/file", O_CREAT | O_WRONLY, 0o644) as number);
  fs.close(fs.open("/secret", O_CREAT | O_WRONLY, 0o600) as number);
  fs.mkdir("/sticky", 0o1777);
  fs.symlink("/nowhere", "/dangling");
  vfs = new Vfs();
  vfs.mount("/", fs, { source: "tmpfs", type: "tmpfs", readOnly: false });
  t = makeThread();
  t.process.memory.mmapAnonymous(PATH, 0x2000 + DATA_BYTES, PROT_READ | PROT_WRITE, true);
  k = { vfs, fsnotify: new FsNotify(vfs) } as unknown as KernelServices;
});

const cString = (s: string): Uint8Array => new TextEncoder().encode(`${s}\0`);

/** A call with its arguments as words: strings are put at PATH and NAME first. */
function sys(handler: (k: KernelServices, t: Thread, a: SyscallArgs) => unknown, ...args: (number | string)[]): number {
  const a = new SyscallArgs();
  a.words = new Uint32Array((FIRST_ARG + 6) * 2);
  let strings = 0;
  args.forEach((arg, i) => {
    let word = arg;
    if (typeof arg === "string") {
      word = strings++ === 0 ? PATH : NAME;
      t.process.memory.write(word, cString(arg));
    }
    a.words[(FIRST_ARG + i) * 2] = word as number;
  });
  return handler(k, t, a) as number;
}

const put = (bytes: Uint8Array): void => void t.process.memory.write(DATA, bytes);
const setx = (path: string, name: string, value: string, flags = 0): number => {
  put(new TextEncoder().encode(value));
  return sys(X.sysSetxattr, path, name, DATA, value.length, flags);
};
const getx = (path: string, name: string, size = 256): number => sys(X.sysGetxattr, path, name, DATA, size);
const dataText = (n: number): string => {
  const b = new Uint8Array(n);
  t.process.memory.read(DATA, b);
  return new TextDecoder().decode(b);
};
/** listxattr's names. */
const list = (path: string): string[] | number => {
  const n = sys(X.sysListxattr, path, DATA, 4096);
  return n < 0 ? n : dataText(n).split("\0").slice(0, -1);
};

describe("extended attribute syscalls", () => {
  it("store a value and copy it back out; size 0 asks for its length", () => {
    expect(setx("/file", "user.a", "hello")).toBe(0);
    expect(getx("/file", "user.a", 0)).toBe(5);
    expect(getx("/file", "user.a")).toBe(5);
    expect(dataText(5)).toBe("hello");
    expect(getx("/file", "user.a", 4)).toBe(-ERANGE);
    expect(list("/file")).toEqual(["user.a"]);
    expect(sys(X.sysRemovexattr, "/file", "user.a")).toBe(0);
    expect(getx("/file", "user.a")).toBe(-ENODATA);
  });

  it("a value past 64 KiB is E2BIG; a value in no memory is EFAULT", () => {
    expect(sys(X.sysSetxattr, "/file", "user.big", DATA, 65537, 0)).toBe(-E2BIG);
    expect(sys(X.sysSetxattr, "/file", "user.big", DATA, 65536, 0)).toBe(0);
    expect(getx("/file", "user.big", 65536)).toBe(65536);
    expect(sys(X.sysSetxattr, "/file", "user.v", 0x7000_0000, 4, 0)).toBe(-EFAULT);
    expect(sys(X.sysGetxattr, "/file", "user.big", 0x7000_0000, 65536)).toBe(-EFAULT);
  });

  it("a name must be 1..255 bytes (ERANGE) in readable memory (EFAULT)", () => {
    expect(getx("/file", "")).toBe(-ERANGE);
    expect(getx("/file", "user." + "n".repeat(251))).toBe(-ERANGE);
    expect(getx("/file", "user." + "n".repeat(250))).toBe(-ENODATA);
    expect(sys(X.sysGetxattr, "/file", 0x7000_0000, DATA, 16)).toBe(-EFAULT);
  });

  it("the path forms look the file up (ENOENT), the l… forms do not follow a last symlink", () => {
    expect(getx("/missing", "user.x")).toBe(-ENOENT);
    expect(getx("/dangling", "user.x")).toBe(-ENOENT);
    expect(sys(X.sysLgetxattr, "/dangling", "user.x", DATA, 16)).toBe(-ENODATA);
    expect(sys(X.sysLlistxattr, "/dangling", DATA, 16)).toBe(0);
  });

  it("the descriptor forms need an open descriptor (EBADF), after the name", () => {
    expect(sys(X.sysFgetxattr, 42, "user.x", DATA, 16)).toBe(-EBADF);
    expect(sys(X.sysFlistxattr, 42, DATA, 16)).toBe(-EBADF);
    expect(sys(X.sysFgetxattr, 42, "", DATA, 16)).toBe(-ERANGE);
  });

  it("changes through a read-only mount are EROFS; reads still work", () => {
    expect(setx("/file", "user.a", "1")).toBe(0);
    vfs.remount("/", true, false);
    expect(setx("/file", "user.b", "2")).toBe(-EROFS);
    expect(setx("/file", "bogus.b", "2")).toBe(-EROFS);
    expect(sys(X.sysRemovexattr, "/file", "user.a")).toBe(-EROFS);
    expect(setx("/missing", "user.b", "2")).toBe(-ENOENT);
    expect(getx("/file", "user.a")).toBe(1);
  });
});

describe("extended attribute permissions", () => {
  beforeEach(() => {
    expect(setx("/file", "trusted.t", "T")).toBe(0);
    expect(setx("/file", "user.u", "U")).toBe(0);
    expect(setx("/file", "security.s", "S")).toBe(0);
    t.creds = initialCredentials(1000, 1000, [1000]);
  });

  it("trusted.* is root's: another user changes none (EPERM), finds none and lists none", () => {
    expect(setx("/file", "trusted.x", "X")).toBe(-EPERM);
    expect(getx("/file", "trusted.t")).toBe(-ENODATA);
    expect(list("/file")).toEqual(["user.u", "security.s"]);
    expect(sys(X.sysListxattr, "/file", DATA, 0)).toBe("user.u security.s ".length);
    expect(sys(X.sysListxattr, "/file", DATA, 4)).toBe(-ERANGE);
  });

  it("security.* is read by anyone and changed by root only", () => {
    expect(getx("/file", "security.s")).toBe(1);
    expect(setx("/file", "security.s", "x")).toBe(-EPERM);
    expect(sys(X.sysRemovexattr, "/file", "security.s")).toBe(-EPERM);
  });

  it("user.* follows the file's permission bits (EACCES) and a sticky directory's owner (EPERM)", () => {
    expect(getx("/file", "user.u")).toBe(1);
    expect(setx("/file", "user.u", "x")).toBe(-EACCES);
    expect(getx("/secret", "user.u")).toBe(-EACCES);
    fs.chmod("/file", 0o646);
    expect(setx("/file", "user.u", "x")).toBe(0);
    expect(setx("/sticky", "user.x", "x")).toBe(-EPERM);
    fs.chown!("/sticky", 1000, -1, true);
    expect(setx("/sticky", "user.x", "x")).toBe(0);
  });
});
