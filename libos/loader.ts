// Loading a static ELF executable into a fresh address space.
//
// Linux: fs/binfmt_elf.c (load_elf_binary, create_elf_tables). The image's PT_LOAD
// segments share one frame; each page gets the union of the protections of the segments
// that touch it, and runs of equal protection become one mapping. PT_TLS needs nothing
// here: a static libc reads it through AT_PHDR and sets up TLS itself. PT_GNU_STACK
// decides whether the stack is executable.
//
// Initial stack, from the top down (what _start expects at RSP):
//   strings (argv, envp, AT_EXECFN, AT_PLATFORM) · 16 random bytes (AT_RANDOM) ·
//   padding to 16 · auxv pairs ending AT_NULL · NULL · envp[] · NULL · argv[] · argc

import { stringToBytes } from "../linux-abi/_byte_string.ts";
import { randomFillSync } from "node:crypto";
import * as AT from "../linux-abi/auxv.ts";
import { ET_DYN, PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR } from "../linux-abi/elf.ts";
import { ElfError, type ElfImage } from "./elf.ts";
import { GuestMemory, PAGE, PIE_BASE, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP, pageDown, pageUp } from "./memory.ts";


// CPUID.1:EDX of the engine's default CPU: fpu … sse sse2 (what Linux reports as AT_HWCAP).
const HWCAP_X86_64 = 0x178bfbff;

export interface Credentials {
  uid: number;
  gid: number;
}

export interface LoadedProgram {
  entry: number;
  stackPointer: number;
  brk: number;
}

function toProt(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

export function loadElf(
  memory: GuestMemory,
  elf: ElfImage,
  file: Uint8Array,
  args: { argv: string[]; envp: string[]; execfn: string; creds: Credentials },
): LoadedProgram {
  if (elf.interpreter !== null) {
    throw new ElfError(`Dynamically linked program (needs ${elf.interpreter}): only static executables are supported`);
  }
  const bias = elf.type === ET_DYN ? PIE_BASE : 0;
  const loads = elf.headers.filter((h) => h.type === PT_LOAD);
  const lo = pageDown(Math.min(...loads.map((h) => h.vaddr)) + bias);
  const hi = pageUp(Math.max(...loads.map((h) => h.vaddr + h.memsz)) + bias);
  if (lo < PAGE) throw new ElfError("Malformed ELF file: segment mapped at page zero");

  // Per-page protection, then runs of equal protection.
  const pageProt = new Uint8Array((hi - lo) / PAGE);
  for (const h of loads) {
    const first = (pageDown(h.vaddr + bias) - lo) / PAGE;
    const last = (pageUp(h.vaddr + bias + h.memsz) - lo) / PAGE;
    for (let p = first; p < last; p++) pageProt[p]! |= toProt(h.flags);
  }
  const pieces: { at: number; size: number; prot: number }[] = [];
  for (let p = 0; p < pageProt.length; ) {
    let q = p;
    while (q < pageProt.length && pageProt[q] === pageProt[p]) q++;
    pieces.push({ at: p * PAGE, size: (q - p) * PAGE, prot: pageProt[p]! });
    p = q;
  }
  const image = memory.mapRegion(lo, hi - lo, pieces, "image");
  if (!image) throw new RangeError("Cannot load program: out of memory");
  for (const h of loads) {
    image.set(file.subarray(h.offset, h.offset + h.filesz), h.vaddr + bias - lo);
  }

  const phdrHeader = elf.headers.find((h) => h.type === PT_PHDR);
  const phdrAddr = phdrHeader
    ? phdrHeader.vaddr + bias
    : (() => {
        const seg = loads.find((h) => elf.phoff >= h.offset && elf.phoff < h.offset + h.filesz);
        return seg ? seg.vaddr + bias + (elf.phoff - seg.offset) : 0;
      })();

  memory.initBrk(hi);

  const stackProt = PROT_READ | PROT_WRITE | (elf.executableStack ? PROT_EXEC : 0);
  if (!memory.mapRegion(STACK_TOP - STACK_SIZE, STACK_SIZE, [{ at: 0, size: STACK_SIZE, prot: stackProt }], "stack")) {
    throw new RangeError("Cannot load program: out of memory for the stack");
  }

  const { argv, envp, execfn, creds } = args;
  let sp = STACK_TOP;
  const pushString = (s: string): number => {
    const b = stringToBytes(s);
    sp -= b.length + 1;
    memory.poke(sp, b);
    memory.poke(sp + b.length, ZERO);
    return sp;
  };
  const execfnAddr = pushString(execfn);
  const envAddrs = envp.map(pushString);
  const argAddrs = argv.map(pushString);
  const platformAddr = pushString("x86_64");
  sp -= 16;
  const randomAddr = sp;
  memory.poke(randomAddr, randomFillSync(new Uint8Array(16)));
  sp -= sp % 16;

  const auxv: [number, number][] = [
    [AT.AT_PHDR, phdrAddr], [AT.AT_PHENT, elf.phentsize], [AT.AT_PHNUM, elf.phnum], [AT.AT_PAGESZ, PAGE],
    [AT.AT_BASE, 0], [AT.AT_FLAGS, 0], [AT.AT_ENTRY, elf.entry + bias],
    [AT.AT_UID, creds.uid], [AT.AT_EUID, creds.uid], [AT.AT_GID, creds.gid], [AT.AT_EGID, creds.gid],
    [AT.AT_SECURE, 0], [AT.AT_RANDOM, randomAddr], [AT.AT_HWCAP, HWCAP_X86_64], [AT.AT_HWCAP2, 0],
    [AT.AT_CLKTCK, 100], [AT.AT_PLATFORM, platformAddr], [AT.AT_EXECFN, execfnAddr], [AT.AT_MINSIGSTKSZ, 2048],
    [AT.AT_NULL, 0],
  ];
  const words = [argv.length, ...argAddrs, 0, ...envAddrs, 0, ...auxv.flat()];
  // Keep RSP 16-byte aligned at argc, as the ABI requires at process entry.
  sp -= words.length * 8;
  sp -= sp % 16;
  const table = new DataView(new ArrayBuffer(words.length * 8));
  words.forEach((w, i) => {
    table.setUint32(i * 8, w >>> 0, true);
    table.setUint32(i * 8 + 4, Math.floor(w / 4294967296), true);
  });
  memory.poke(sp, new Uint8Array(table.buffer));
  return { entry: elf.entry + bias, stackPointer: sp, brk: memory.brk };
}

const ZERO = new Uint8Array(1);
