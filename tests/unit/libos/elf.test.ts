import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EINVAL, EIO, ENOEXEC } from "../../../linux-abi/errno.ts";
import { ElfError, EM_X86_64, ET_DYN, ET_EXEC, PF_W, PF_X, PT_INTERP, PT_LOAD, machineName, parseElf } from "../../../libos/elf.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const HELLO_MUSL = join(ROOT, "samples/hello/hello-musl");
const HELLO_GLIBC = join(ROOT, "samples/hello/hello-glibc");
const BUSYBOX = "/bin/busybox";
const HELLO_C = join(ROOT, "samples/hello/hello.c");

const musl = readFileSync(HELLO_MUSL);

function copy(): Uint8Array {
  return new Uint8Array(musl);
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Offset of the first program header of `type`. */
function phdrAt(b: Uint8Array, type: number): number {
  const v = dv(b);
  const phoff = Number(v.getBigUint64(32, true));
  for (let i = 0; i < v.getUint16(56, true); i++) {
    const at = phoff + i * 56;
    if (v.getUint32(at, true) === type) return at;
  }
  throw new Error(`no program header of type ${type}`);
}

function rejects(b: Uint8Array, message: string, errno = ENOEXEC): void {
  let thrown: unknown;
  try {
    parseElf(b);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ElfError);
  expect((thrown as ElfError).message).toBe(message);
  expect((thrown as ElfError).name).toBe("ElfError");
  expect((thrown as ElfError).errno).toBe(errno);
}

describe("parseElf()", () => {
  it("parseElf() reads hello-musl as a static x86-64 ET_EXEC", () => {
    const elf = parseElf(musl);
    const v = dv(musl);
    expect(elf.type).toBe(ET_EXEC);
    expect(elf.machine).toBe(EM_X86_64);
    expect(elf.entry).toBe(Number(v.getBigUint64(24, true)));
    expect(elf.phoff).toBe(64);
    expect(elf.phentsize).toBe(56);
    expect(elf.phnum).toBe(v.getUint16(56, true));
    expect(elf.headers).toHaveLength(elf.phnum);
    expect(elf.interpreter).toBeNull();
    expect(elf.executableStack).toBe(false);
    const loads = elf.headers.filter((h) => h.type === PT_LOAD);
    expect(loads.length).toBeGreaterThan(0);
    expect(loads.some((h) => h.flags & PF_X)).toBe(true);
    expect(loads.some((h) => h.flags & PF_W)).toBe(true);
    const text = loads.find((h) => h.flags & PF_X)!;
    expect(elf.entry).toBeGreaterThanOrEqual(text.vaddr);
    expect(elf.entry).toBeLessThan(text.vaddr + text.memsz);
    for (const h of loads) {
      expect(h.filesz).toBeLessThanOrEqual(h.memsz);
      expect(h.offset + h.filesz).toBeLessThanOrEqual(musl.length);
      expect((h.vaddr - h.offset) % 4096).toBe(0);
    }
  });

  it("parseElf() reads hello-glibc as a static x86-64 ET_EXEC", () => {
    const file = readFileSync(HELLO_GLIBC);
    const elf = parseElf(file);
    expect(elf.type).toBe(ET_EXEC);
    expect(elf.machine).toBe(EM_X86_64);
    expect(elf.interpreter).toBeNull();
    expect(elf.entry).toBe(Number(dv(file).getBigUint64(24, true)));
    expect(elf.headers.filter((h) => h.type === PT_LOAD).length).toBeGreaterThan(0);
  });

  it("parseElf() reads /bin/busybox", (ctx) => {
    ctx.skip(!existsSync(BUSYBOX), `${BUSYBOX} is not installed`);
    const elf = parseElf(readFileSync(BUSYBOX));
    expect(elf.machine).toBe(EM_X86_64);
    expect([ET_EXEC, ET_DYN]).toContain(elf.type);
    expect(elf.headers.some((h) => h.type === PT_LOAD)).toBe(true);
  });

  it("parseElf() accepts a subarray that does not start at offset 0 of its buffer", () => {
    const padded = new Uint8Array(musl.length + 3);
    padded.set(musl, 3);
    expect(parseElf(padded.subarray(3)).entry).toBe(parseElf(musl).entry);
  });

  it("parseElf() rejects a file with bad magic", () => {
    const b = copy();
    b[1] = 0x46;
    const notElf = "exec format error: not an ELF file or a #! script";
    rejects(b, notElf);
    rejects(new TextEncoder().encode("#!/bin/sh\necho hi\n"), notElf);
    rejects(new Uint8Array(0), notElf);
  });

  it("parseElf() rejects a truncated header", () => {
    rejects(musl.subarray(0, 40), "truncated ELF header (40 of 64 bytes)");
  });

  it("parseElf() rejects a 32-bit file, and names any other class as unknown", () => {
    const b = copy();
    b[4] = 1;
    rejects(b, "32-bit ELF file (this LibOS runs 64-bit programs)");
    b[4] = 7;
    rejects(b, "unknown ELF class 7");
    b[4] = 0;
    rejects(b, "unknown ELF class 0");
  });

  it("parseElf() rejects a big-endian file, and names any other data encoding as invalid", () => {
    const b = copy();
    b[5] = 2;
    rejects(b, "big-endian ELF file (this LibOS runs little-endian programs)");
    b[5] = 0;
    rejects(b, "invalid ELF data encoding 0");
    b[5] = 255;
    rejects(b, "invalid ELF data encoding 255");
  });

  it("parseElf() rejects another machine and names it", () => {
    const b = copy();
    dv(b).setUint16(18, 183, true);
    rejects(b, "wrong architecture: aarch64 (this LibOS runs x86-64 programs)");
    dv(b).setUint16(18, 9999, true);
    rejects(b, "wrong architecture: machine 9999 (this LibOS runs x86-64 programs)");
    expect(machineName(3)).toBe("i386");
  });

  it("parseElf() rejects a relocatable object and a core dump", () => {
    const b = copy();
    dv(b).setUint16(16, 1, true);
    rejects(b, "not an executable: relocatable object");
    dv(b).setUint16(16, 4, true);
    rejects(b, "not an executable: core dump");
    dv(b).setUint16(16, 0xffff, true);
    rejects(b, "not an executable: ELF type 65535");
  });

  it("parseElf() rejects program headers past the end of the file", () => {
    rejects(musl.subarray(0, 100), "program header table ends beyond the end of the file");
  });

  it("parseElf() rejects zero program headers", () => {
    const b = copy();
    dv(b).setUint16(56, 0, true);
    rejects(b, "no program headers");
    dv(b).setUint16(56, 0xffff, true);
    rejects(b, "too many program headers (65535)");
  });

  it("parseElf() rejects a program header size other than 56", () => {
    const b = copy();
    dv(b).setUint16(54, 32, true);
    rejects(b, "program header size 32 (expected 56)");
  });

  it("parseElf() rejects a PT_LOAD whose file size exceeds its memory size", () => {
    const b = copy();
    const at = phdrAt(b, PT_LOAD);
    const memsz = dv(b).getBigUint64(at + 40, true);
    dv(b).setBigUint64(at + 32, memsz + 1n, true);
    rejects(b, `segment ${(at - 64) / 56}: file size 0x${(memsz + 1n).toString(16)} exceeds memory size 0x${memsz.toString(16)}`, EINVAL);
  });

  it("parseElf() rejects a segment past the end of the file", () => {
    const elf = parseElf(musl);
    const last = Math.max(...elf.headers.filter((h) => h.type === PT_LOAD).map((h) => h.offset + h.filesz));
    const index = elf.headers.findIndex((h) => h.type === PT_LOAD && h.offset + h.filesz === last);
    rejects(musl.subarray(0, last - 1), `segment ${index} ends beyond the end of the file`);
  });

  it("parseElf() rejects a segment whose offset and address disagree modulo the page size", () => {
    const b = copy();
    const at = phdrAt(b, PT_LOAD);
    dv(b).setBigUint64(at + 16, dv(b).getBigUint64(at + 16, true) + 0x10n, true);
    rejects(b, `segment ${(at - 64) / 56}: offset and address disagree modulo the page size`, EINVAL);
  });

  it("parseElf() rejects a file with no loadable segment", () => {
    const b = copy();
    const v = dv(b);
    for (let i = 0; i < v.getUint16(56, true); i++) {
      if (v.getUint32(64 + i * 56, true) === PT_LOAD) v.setUint32(64 + i * 56, 0, true);
    }
    rejects(b, "no loadable segment");
  });

  it("parseElf() rejects an entry point beyond the user address space, whatever its high bits", () => {
    const b = copy();
    dv(b).setBigUint64(24, 0xffffffffffffffffn, true);
    rejects(b, "entry point 0x10000000000000000 is beyond the user address space", EINVAL);
    dv(b).setBigUint64(24, 0x7fffff800000n, true);
    rejects(b, "entry point 0x7fffff800000 is beyond the user address space", EINVAL);
  });

  it("parseElf() accepts an entry point of 0 (the program then faults, as on Linux)", () => {
    const b = copy();
    dv(b).setBigUint64(24, 0n, true);
    expect(parseElf(b).entry).toBe(0);
  });

  it.each([
    ["a memory size of 2^47", 40, 1n << 47n],
    ["a memory size of 2^64 - 1", 40, (1n << 64n) - 1n],
    ["an address of 2^63", 16, 1n << 63n],
    ["an address inside the stack", 16, 0x7fffff800000n],
  ] as const)("parseElf() rejects a segment with %s before anything is sized by it", (_what, field, value) => {
    const b = copy();
    const at = phdrAt(b, PT_LOAD);
    if (field === 16) dv(b).setBigUint64(at + 8, value % 4096n, true); // keep offset ≡ address (mod page)
    dv(b).setBigUint64(at + field, value, true);
    rejects(b, `segment ${(at - 64) / 56} ends beyond the user address space`, EINVAL);
  });

  it("parseElf() rejects a segment whose file bytes start beyond the end of the file", () => {
    const b = copy();
    const at = phdrAt(b, PT_LOAD);
    dv(b).setBigUint64(at + 8, 1n << 62n, true);
    rejects(b, `segment ${(at - 64) / 56} ends beyond the end of the file`);
  });

  it("parseElf() rejects a segment at page zero", () => {
    const b = copy();
    const at = phdrAt(b, PT_LOAD);
    dv(b).setBigUint64(at + 16, dv(b).getBigUint64(at + 8, true) % 4096n, true);
    rejects(b, `segment ${(at - 64) / 56} is mapped at page zero`, EINVAL);
  });

  it("parseElf() rejects two segments whose bytes overlap, and names both", () => {
    const b = copy();
    const v = dv(b);
    const loads = parseElf(musl).headers.map((h, i) => ({ h, i })).filter(({ h }) => h.type === PT_LOAD);
    const [first, second] = [loads[0]!, loads[1]!];
    // The second segment now maps the first one's bytes again.
    v.setBigUint64(64 + second.i * 56 + 16, BigInt(first.h.vaddr), true);
    v.setBigUint64(64 + second.i * 56 + 8, BigInt(first.h.offset), true);
    rejects(b, `segments ${first.i} and ${second.i} overlap`, EINVAL);
  });

  it("parseElf() reads PT_GNU_STACK with PF_X as an executable stack", () => {
    const b = copy();
    const at = phdrAt(b, 0x6474e551);
    dv(b).setUint32(at + 4, dv(b).getUint32(at + 4, true) | PF_X, true);
    expect(parseElf(b).executableStack).toBe(true);
  });

  describe("with a dynamically linked program", () => {
    let dir = "";
    let dynamic: Uint8Array | null = null;
    let reason = "";

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "libos-elf-"));
      try {
        execFileSync("gcc", ["-O2", "-o", join(dir, "hello-dyn"), HELLO_C], { stdio: "pipe" });
        dynamic = readFileSync(join(dir, "hello-dyn"));
      } catch (e) {
        reason = `gcc cannot build a dynamic executable: ${(e as Error).message}`;
      }
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("parseElf() reports a dynamically linked program's interpreter", (ctx) => {
      ctx.skip(dynamic === null, reason);
      const elf = parseElf(dynamic!);
      expect(elf.interpreter).toMatch(/^\/lib.*\/ld-linux-x86-64\.so\.2$/);
      expect(elf.headers.some((h) => h.type === PT_INTERP)).toBe(true);
    });

    it("parseElf() rejects an interpreter path past the end of the file", (ctx) => {
      ctx.skip(dynamic === null, reason);
      const b = new Uint8Array(dynamic!);
      const at = phdrAt(b, PT_INTERP);
      dv(b).setBigUint64(at + 8, BigInt(b.length - 4), true);
      rejects(b, "interpreter path ends beyond the end of the file", EIO);
    });
  });
});
