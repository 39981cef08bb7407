// The extended-attribute syscalls over a VFS with a tmpfs root: the lookups and name checks
// as Linux's, then "no attributes here".

import { describe, expect, it } from "vitest";
import { TmpFs } from "../../../../fs-task/tmpfs.ts";
import { EBADF, EFAULT, ENODATA, ENOENT, EOPNOTSUPP, ERANGE } from "../../../../linux-abi/errno.ts";
import { O_CREAT, O_WRONLY } from "../../../../linux-abi/fcntl.ts";
import { PROT_READ, PROT_WRITE } from "../../../../libos/memory.ts";
import { SyscallArgs } from "../../../../libos/sys/args.ts";
import type { KernelServices } from "../../../../libos/sys/context.ts";
import * as X from "../../../../libos/sys/sys_xattr.ts";
import { Vfs } from "../../../../libos/vfs.ts";
import { FIRST_ARG } from "../../../../syscall-shim/x86_64.ts";
import { makeThread } from "../_fake_process.ts";

const BUF = 0x10000;

function setUp() {
  const fs = new TmpFs({ quota: { charge: () => true, release() {} } });
  fs.close(fs.open("/file", O_CREAT | O_WRONLY, 0o644) as number);
  fs.symlink("/nowhere", "/dangling");
  const vfs = new Vfs();
  vfs.mount("/", fs, { source: "tmpfs", type: "tmpfs", readOnly: false });
  const t = makeThread();
  t.process.memory.mmapAnonymous(BUF, 0x2000, PROT_READ | PROT_WRITE, true);
  const k = { vfs } as unknown as KernelServices;
  /** Strings at BUF (the path) and BUF + 0x1000 (the name). */
  const call = (handler: typeof X.sysGetxattr, first: string | number, name = "user.x"): number => {
    const mem = t.process.memory;
    const enc = (s: string): Uint8Array => new TextEncoder().encode(`${s}\0`);
    if (typeof first === "string") mem.write(BUF, enc(first));
    mem.write(BUF + 0x1000, enc(name));
    const a = new SyscallArgs();
    a.words = new Uint32Array((FIRST_ARG + 6) * 2);
    a.words[FIRST_ARG * 2] = typeof first === "string" ? BUF : first;
    a.words[(FIRST_ARG + 1) * 2] = BUF + 0x1000;
    return handler(k, t, a) as number;
  };
  return { call, t };
}

describe("extended attributes", () => {
  it("getxattr() and removexattr() find no attribute, listxattr() lists none, setxattr() is not supported", () => {
    const { call } = setUp();
    expect(call(X.sysGetxattr, "/file")).toBe(-ENODATA);
    expect(call(X.sysRemovexattr, "/file")).toBe(-ENODATA);
    expect(call(X.sysListxattr, "/file")).toBe(0);
    expect(call(X.sysSetxattr, "/file")).toBe(-EOPNOTSUPP);
  });

  it("the path forms look the file up first (ENOENT), the l… forms do not follow a last symlink", () => {
    const { call } = setUp();
    expect(call(X.sysGetxattr, "/missing")).toBe(-ENOENT);
    expect(call(X.sysGetxattr, "/dangling")).toBe(-ENOENT);
    expect(call(X.sysLgetxattr, "/dangling")).toBe(-ENODATA);
    expect(call(X.sysLlistxattr, "/dangling")).toBe(0);
  });

  it("the descriptor forms need an open descriptor (EBADF)", () => {
    const { call } = setUp();
    expect(call(X.sysFgetxattr, 42)).toBe(-EBADF);
    expect(call(X.sysFlistxattr, 42)).toBe(-EBADF);
  });

  it("a name must be 1..255 bytes (ERANGE) in readable memory (EFAULT)", () => {
    const { call } = setUp();
    expect(call(X.sysGetxattr, "/file", "")).toBe(-ERANGE);
    expect(call(X.sysGetxattr, "/file", "user." + "n".repeat(251))).toBe(-ERANGE);
    expect(call(X.sysGetxattr, "/file", "user." + "n".repeat(250))).toBe(-ENODATA);
    const { t } = setUp();
    const a = new SyscallArgs();
    a.words = new Uint32Array((FIRST_ARG + 6) * 2);
    a.words[FIRST_ARG * 2] = BUF;
    expect(X.sysGetxattr({} as KernelServices, t, a)).toBe(-EFAULT);
  });
});
