import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EINVAL, ENOEXEC, ENOMEM } from "../../../linux-abi/errno.ts";
import { ElfError, ET_DYN, PT_LOAD, bytesFile, parseElf } from "../../../libos/elf.ts";
import { loadElf, type LoadedProgram } from "../../../libos/loader.ts";
import { initialCredentials } from "../../../libos/creds.ts";
import { GuestMemory, MemoryIds, MMAP_TOP, PIE_BASE, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP, pageUp } from "../../../libos/memory.ts";
import { FakeVSpace } from "./_fake_vspace.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const HELLO_MUSL = join(ROOT, "samples/hello/hello-musl");
const HELLO_C = join(ROOT, "samples/hello/hello.c");
const MUSL_LIB = "/usr/lib/x86_64-linux-musl";
/** The host's glibc interpreter, what gcc's programs name in PT_INTERP. */
const HOST_LD_SO = "/lib64/ld-linux-x86-64.so.2";

const AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_ENTRY = 9, AT_UID = 11, AT_GID = 13;
const AT_PLATFORM = 15, AT_RANDOM = 25, AT_EXECFN = 31;

const ARGV = ["hello", "first arg", ""];
const ENVP = ["HOME=/root", "LANG=C.UTF-8"];
const EXECFN = "/bin/hello";

function load(file: Uint8Array, vs: FakeVSpace): { mem: GuestMemory; prog: LoadedProgram } {
  const mem = new GuestMemory(vs, new MemoryIds());
  const prog = loadElf(mem, parseElf(file), bytesFile(file), { argv: ARGV, envp: ENVP, execfn: EXECFN, creds: initialCredentials(1000, 100, [100]) });
  return { mem, prog };
}

interface StackView {
  argc: number;
  argv: string[];
  envp: string[];
  auxv: Map<number, number>;
  auxvOrder: number[];
}

function readStack(mem: GuestMemory, sp: number): StackView {
  let at = sp;
  const word = (): number => {
    const w = mem.u64(at);
    if (w === null) throw new Error(`stack word at 0x${at.toString(16)} unreadable`);
    at += 8;
    return w;
  };
  const argc = word();
  const strings = (): string[] => {
    const out: string[] = [];
    for (let p = word(); p !== 0; p = word()) out.push(mem.readCString(p, 4096)!);
    return out;
  };
  const argv = strings();
  const envp = strings();
  const auxv = new Map<number, number>();
  const auxvOrder: number[] = [];
  for (;;) {
    const type = word(), value = word();
    auxvOrder.push(type);
    if (type === AT_NULL) break;
    auxv.set(type, value);
  }
  return { argc, argv, envp, auxv, auxvOrder };
}

describe("loadElf()", () => {
  const file = readFileSync(HELLO_MUSL);
  const elf = parseElf(file);
  let vs: FakeVSpace;
  let mem: GuestMemory;
  let prog: LoadedProgram;

  beforeEach(() => {
    vs = new FakeVSpace();
    ({ mem, prog } = load(file, vs));
  });

  it("loadElf() returns the ELF header's entry for an ET_EXEC", () => {
    expect(prog.entry).toBe(elf.entry);
    expect(prog.entry).toBe(Number(new DataView(file.buffer, file.byteOffset).getBigUint64(24, true)));
  });

  it("loadElf() leaves RSP 16-byte aligned inside the stack", () => {
    expect(prog.stackPointer % 16).toBe(0);
    expect(prog.stackPointer).toBeLessThan(STACK_TOP);
    expect(prog.stackPointer).toBeGreaterThan(STACK_TOP - STACK_SIZE);
  });

  it("loadElf() lays out argc, argv and envp on the stack", () => {
    const s = readStack(mem, prog.stackPointer);
    expect(s.argc).toBe(ARGV.length);
    expect(s.argv).toEqual(ARGV);
    expect(s.envp).toEqual(ENVP);
  });

  it("loadElf() writes an auxiliary vector ending in AT_NULL", () => {
    const s = readStack(mem, prog.stackPointer);
    expect(s.auxvOrder.at(-1)).toBe(AT_NULL);
    expect(s.auxv.get(AT_PAGESZ)).toBe(4096);
    expect(s.auxv.get(AT_ENTRY)).toBe(prog.entry);
    expect(s.auxv.get(AT_PHNUM)).toBe(elf.phnum);
    expect(s.auxv.get(AT_PHENT)).toBe(56);
    expect(s.auxv.get(AT_UID)).toBe(1000);
    expect(s.auxv.get(AT_GID)).toBe(100);
    expect(mem.readCString(s.auxv.get(AT_EXECFN)!, 4096)).toBe(EXECFN);
    expect(mem.readCString(s.auxv.get(AT_PLATFORM)!, 4096)).toBe("x86_64");
  });

  it("loadElf() points AT_RANDOM at 16 readable bytes on the stack", () => {
    const s = readStack(mem, prog.stackPointer);
    const at = s.auxv.get(AT_RANDOM)!;
    expect(at).toBeGreaterThan(prog.stackPointer);
    const random = new Uint8Array(16);
    expect(mem.read(at, random)).toBe(true);
    expect(at + 16).toBeLessThanOrEqual(STACK_TOP);
    // A second load draws fresh bytes.
    const other = load(file, new FakeVSpace());
    const random2 = new Uint8Array(16);
    other.mem.read(readStack(other.mem, other.prog.stackPointer).auxv.get(AT_RANDOM)!, random2);
    expect(random2).not.toEqual(random);
  });

  it("loadElf() points AT_PHDR at the program headers in the image", () => {
    const s = readStack(mem, prog.stackPointer);
    const phdr = s.auxv.get(AT_PHDR)!;
    const copy = new Uint8Array(elf.phnum * 56);
    expect(mem.read(phdr, copy)).toBe(true);
    expect(copy).toEqual(new Uint8Array(file.subarray(elf.phoff, elf.phoff + elf.phnum * 56)));
  });

  it("loadElf() maps text without write and data with write, all from one image block", () => {
    const loads = elf.headers.filter((h) => h.type === PT_LOAD);
    const image = vs.maps.filter((m) => m.vaddr < STACK_TOP - STACK_SIZE);
    const protAt = (addr: number): number => image.find((m) => addr >= m.vaddr && addr < m.vaddr + m.size)!.prot;
    expect(protAt(elf.entry) & PROT_EXEC).toBe(PROT_EXEC);
    expect(protAt(elf.entry) & PROT_WRITE).toBe(0);
    const data = loads.find((h) => h.flags & 2)!;
    expect(protAt(data.vaddr) & PROT_WRITE).toBe(PROT_WRITE);
    expect(protAt(data.vaddr) & PROT_EXEC).toBe(0);
    // Runs of equal protection are merged: no two adjacent image maps share a protection.
    for (let i = 1; i < image.length; i++) {
      expect(image[i]!.vaddr).toBe(image[i - 1]!.vaddr + image[i - 1]!.size);
      expect(image[i]!.prot).not.toBe(image[i - 1]!.prot);
    }
    expect(mem.vmas.filter((v) => v.kind === "image").every((v) => v.block === mem.vmas[0]!.block)).toBe(true);
    const stack = vs.maps.find((m) => m.vaddr === STACK_TOP - STACK_SIZE)!;
    expect(stack).toMatchObject({ size: STACK_SIZE, prot: PROT_READ | PROT_WRITE });
  });

  it("loadElf() copies file bytes and leaves .bss zeroed", () => {
    for (const h of elf.headers.filter((x) => x.type === PT_LOAD)) {
      const got = new Uint8Array(h.memsz);
      expect(mem.read(h.vaddr, got)).toBe(true);
      expect(got.subarray(0, h.filesz)).toEqual(new Uint8Array(file.subarray(h.offset, h.offset + h.filesz)));
      expect(got.subarray(h.filesz).every((b) => b === 0)).toBe(true);
    }
  });

  it("loadElf() starts the break at the page after the image", () => {
    const end = Math.max(...elf.headers.filter((h) => h.type === PT_LOAD).map((h) => h.vaddr + h.memsz));
    expect(prog.brk).toBe(pageUp(end));
    expect(mem.brk).toBe(prog.brk);
  });

  it("loadElf() maps the stack executable when PT_GNU_STACK asks for it", () => {
    const patched = new Uint8Array(file);
    const view = new DataView(patched.buffer);
    for (let i = 0; i < elf.phnum; i++) {
      const at = elf.phoff + i * 56;
      if (view.getUint32(at, true) === 0x6474e551) view.setUint32(at + 4, 7, true);
    }
    const other = new FakeVSpace();
    load(patched, other);
    expect(other.maps.find((m) => m.vaddr === STACK_TOP - STACK_SIZE)!.prot).toBe(PROT_READ | PROT_WRITE | PROT_EXEC);
  });

  it("loadElf() throws an ElfError with ENOMEM when the image cannot be allocated", () => {
    expect(() => load(file, new FakeVSpace(0))).toThrow(ElfError);
    expect(() => load(file, new FakeVSpace(0))).toThrow(/^out of memory: the image needs \d+(\.\d+)? MiB$/);
  });

  it("loadElf() refuses a 1 TiB last segment with ENOMEM at the quota, and maps nothing", () => {
    const patched = new Uint8Array(file);
    const v = new DataView(patched.buffer);
    const last = elf.headers.map((h) => h.type).lastIndexOf(PT_LOAD);
    v.setBigUint64(64 + last * 56 + 40, 1n << 40n, true);
    const other = new FakeVSpace(2 ** 31);
    let thrown: unknown;
    try {
      load(patched, other);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ElfError);
    expect((thrown as ElfError).errno).toBe(ENOMEM);
    expect((thrown as ElfError).message).toMatch(/^out of memory: the image needs 104857\d MiB$/);
    expect(other.maps).toEqual([]);
    expect(other.live).toBe(0);
  });

  it("loadElf() reads only the segments' bytes from the file, into the image", () => {
    let bytesRead = 0;
    const counting = bytesFile(file);
    const other = new GuestMemory(new FakeVSpace(), new MemoryIds());
    loadElf(other, elf, { size: counting.size, read: (dst, off) => ((bytesRead += dst.length), counting.read(dst, off)) }, {
      argv: ARGV, envp: ENVP, execfn: EXECFN, creds: initialCredentials(0, 0, [0]),
    });
    expect(bytesRead).toBe(elf.headers.filter((h) => h.type === PT_LOAD).reduce((n, h) => n + h.filesz, 0));
  });

  it("loadElf() throws an ElfError with ENOEXEC when a segment cannot be read", () => {
    const other = new GuestMemory(new FakeVSpace(), new MemoryIds());
    const failing = { size: file.length, read: (): boolean => false };
    expect(() => loadElf(other, elf, failing, { argv: ARGV, envp: ENVP, execfn: EXECFN, creds: initialCredentials(0, 0, [0]) }))
      .toThrow(new ElfError("cannot read a segment: the file changed or could not be read", ENOEXEC));
  });

  describe("with built programs", () => {
    let dir = "";
    let staticPie: Uint8Array | null = null;
    let staticPieReason = "";
    let dynamic: Uint8Array | null = null;
    let dynamicReason = "";

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "libos-loader-"));
      // `musl-gcc -static-pie` alone yields a dynamic PIE (its specs file drops the
      // flag), so link by hand with rcrt1.o and --no-dynamic-linker.
      try {
        if (!existsSync(join(MUSL_LIB, "rcrt1.o"))) throw new Error(`${MUSL_LIB}/rcrt1.o is missing`);
        const obj = join(dir, "hello.o");
        const crt = (name: string): string => execFileSync("gcc", [`-print-file-name=${name}`]).toString().trim();
        execFileSync("musl-gcc", ["-fPIE", "-O2", "-c", "-o", obj, HELLO_C], { stdio: "pipe" });
        execFileSync("musl-gcc", [
          "-nostartfiles", "-static-pie", "-Wl,-static,-pie,--no-dynamic-linker,-z,text",
          join(MUSL_LIB, "rcrt1.o"), join(MUSL_LIB, "crti.o"), crt("crtbeginS.o"), obj,
          "-o", join(dir, "hello-static-pie"), crt("crtendS.o"), join(MUSL_LIB, "crtn.o"),
        ], { stdio: "pipe" });
        staticPie = readFileSync(join(dir, "hello-static-pie"));
      } catch (e) {
        staticPieReason = `cannot build a musl static-pie: ${(e as Error).message}`;
      }
      try {
        execFileSync("gcc", ["-O2", "-o", join(dir, "hello-dyn"), HELLO_C], { stdio: "pipe" });
        dynamic = readFileSync(join(dir, "hello-dyn"));
      } catch (e) {
        dynamicReason = `gcc cannot build a dynamic executable: ${(e as Error).message}`;
      }
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("loadElf() loads a static-pie at 0x555555554000", (ctx) => {
      ctx.skip(staticPie === null, staticPieReason);
      const pie = parseElf(staticPie!);
      expect(pie.type).toBe(ET_DYN);
      expect(pie.interpreter).toBeNull();
      const other = new FakeVSpace();
      const { mem: m, prog: p } = load(staticPie!, other);
      expect(PIE_BASE).toBe(0x555555554000);
      expect(p.entry).toBe(PIE_BASE + pie.entry);
      expect(Math.min(...other.maps.map((x) => x.vaddr))).toBe(PIE_BASE);
      const s = readStack(m, p.stackPointer);
      expect(s.auxv.get(AT_ENTRY)).toBe(PIE_BASE + pie.entry);
      expect(s.auxv.get(AT_PHDR)! - PIE_BASE).toBeLessThan(4096);
      const first = pie.headers.find((h) => h.type === PT_LOAD)!;
      const bytes = new Uint8Array(first.filesz);
      expect(m.read(PIE_BASE + first.vaddr, bytes)).toBe(true);
      expect(bytes).toEqual(new Uint8Array(staticPie!.subarray(first.offset, first.offset + first.filesz)));
    });

    it("loadElf() maps a dynamic program at 0x555555554000 and its interpreter below the mmap base, and starts at the interpreter", (ctx) => {
      ctx.skip(dynamic === null, dynamicReason);
      ctx.skip(!existsSync(HOST_LD_SO), `${HOST_LD_SO} is missing`);
      const d = parseElf(dynamic!);
      const ldBytes = readFileSync(HOST_LD_SO);
      const ld = parseElf(ldBytes, { interpreter: true });
      expect(d.interpreter).toBe(HOST_LD_SO);
      const m = new GuestMemory(new FakeVSpace(), new MemoryIds());
      const p = loadElf(m, d, bytesFile(dynamic!), { argv: ARGV, envp: ENVP, execfn: EXECFN, creds: initialCredentials(0, 0, [0]),
        interpreter: { path: HOST_LD_SO, elf: ld, file: bytesFile(ldBytes) } });
      const s = readStack(m, p.stackPointer);
      const base = s.auxv.get(AT_BASE)!;
      const ldSpan = pageUp(Math.max(...ld.headers.filter((h) => h.type === PT_LOAD).map((h) => h.vaddr + h.memsz)));
      // Top-down from the mmap base, as Linux places it with nothing else mapped.
      expect(base).toBe(MMAP_TOP - ldSpan);
      expect(p.entry).toBe(base + ld.entry);
      expect(s.auxv.get(AT_ENTRY)).toBe(PIE_BASE + d.entry);
      expect(s.auxv.get(AT_PHDR)).toBe(PIE_BASE + d.headers.find((h) => h.type === 6)!.vaddr);
      expect(s.argv).toEqual(ARGV);
      const text = ld.headers.find((h) => h.type === PT_LOAD && h.flags & 1)!;
      const bytes = new Uint8Array(text.filesz);
      expect(m.read(base + text.vaddr, bytes)).toBe(true);
      expect(bytes).toEqual(new Uint8Array(ldBytes.subarray(text.offset, text.offset + text.filesz)));
      const end = Math.max(...d.headers.filter((h) => h.type === PT_LOAD).map((h) => h.vaddr + h.memsz));
      expect(p.brk).toBe(pageUp(PIE_BASE + end));
    });

    it("loadElf() refuses an ET_EXEC interpreter whose segments meet the program's (EINVAL)", () => {
      const m = new GuestMemory(new FakeVSpace(), new MemoryIds());
      expect(() => loadElf(m, elf, bytesFile(file), { argv: [], envp: [], execfn: "x", creds: initialCredentials(0, 0, [0]),
        interpreter: { path: "/lib/ld.so", elf, file: bytesFile(file) } }))
        .toThrow(new ElfError("interpreter /lib/ld.so overlaps the program's segments", EINVAL));
    });

    it("loadElf() says so when the quota has no room for the interpreter (ENOMEM)", (ctx) => {
      ctx.skip(!existsSync(HOST_LD_SO), `${HOST_LD_SO} is missing`);
      const ldBytes = readFileSync(HOST_LD_SO);
      const ld = parseElf(ldBytes, { interpreter: true });
      const span = pageUp(Math.max(...elf.headers.filter((h) => h.type === PT_LOAD).map((h) => h.vaddr + h.memsz))) - 0x400000;
      const m = new GuestMemory(new FakeVSpace(span), new MemoryIds());
      expect(() => loadElf(m, elf, bytesFile(file), { argv: [], envp: [], execfn: "x", creds: initialCredentials(0, 0, [0]),
        interpreter: { path: HOST_LD_SO, elf: ld, file: bytesFile(ldBytes) } }))
        .toThrow(/^interpreter \/lib64\/ld-linux-x86-64\.so\.2: out of memory: the image needs \d+(\.\d+)? MiB$/);
    });
  });
});
