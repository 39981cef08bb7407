// Loading a static ELF executable into a fresh address space.
//
// Linux: fs/binfmt_elf.c (load_elf_binary, create_elf_tables). The image's PT_LOAD
// segments share one frame; each page gets the union of the protections of the segments
// that touch it, and runs of equal protection become one mapping. parseElf has checked
// every field; the quota is charged for the image before any byte of a segment is read
// from the file, straight into the image. PT_TLS needs nothing
// here: a static libc reads it through AT_PHDR and sets up TLS itself. PT_GNU_STACK
// decides whether the stack is executable.
//
// Initial stack, from the top down (what _start expects at RSP):
//   strings (argv, envp, AT_EXECFN, AT_PLATFORM) · 16 random bytes (AT_RANDOM) ·
//   padding to 16 · auxv pairs ending AT_NULL · NULL · envp[] · NULL · argv[] · argc

import { stringToBytes } from "../linux-abi/_byte_string.ts";
import { randomFillSync } from "node:crypto";
import * as AT from "../linux-abi/auxv.ts";
import { ENOEXEC, ENOMEM } from "../linux-abi/errno.ts";
import { PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR } from "../linux-abi/elf.ts";
import type { Credentials } from "./creds.ts";
import { ElfError, type ElfImage, type ProgramFile, type ProgramHeader } from "./elf.ts";
import { GuestMemory, PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP, pageDown, pageUp } from "./memory.ts";


/** The smallest stack mapped, whatever RLIMIT_STACK says (room for the arguments and a little more). */
const MIN_STACK = 64 * 1024;

// CPUID.1:EDX of the engine's default CPU: fpu … sse sse2 (what Linux reports as AT_HWCAP).
const HWCAP_X86_64 = 0x178bfbff;

export interface LoadedProgram {
  entry: number;
  stackPointer: number;
  brk: number;
}

function toProt(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

interface Piece {
  at: number;
  size: number;
  prot: number;
}

/**
 * The image's mappings relative to `lo`: between two neighbouring segment page boundaries
 * the protection is the union of the segments covering that span (a gap gets none), and
 * neighbours of equal protection merge. Work is bounded by the number of segments, never
 * by the image's size.
 */
function imagePieces(loads: readonly ProgramHeader[], bias: number, lo: number): Piece[] {
  const spans = loads.map((h) => ({ start: pageDown(h.vaddr + bias), end: pageUp(h.vaddr + bias + h.memsz), prot: toProt(h.flags) }));
  const cuts = [...new Set(spans.flatMap((s) => [s.start, s.end]))].sort((a, b) => a - b);
  const pieces: Piece[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const a = cuts[k]!, b = cuts[k + 1]!;
    let prot = 0;
    for (const s of spans) if (s.start <= a && s.end >= b) prot |= s.prot;
    const last = pieces[pieces.length - 1];
    if (last && last.prot === prot) last.size += b - a;
    else pieces.push({ at: a - lo, size: b - a, prot });
  }
  return pieces;
}

/** Load a checked image (parseElf) into `memory`, reading its segments from `file`; throws ElfError. */
export function loadElf(
  memory: GuestMemory,
  elf: ElfImage,
  file: ProgramFile,
  args: { argv: string[]; envp: string[]; execfn: string; creds: Credentials; stackSize?: number },
): LoadedProgram {
  if (elf.interpreter !== null) {
    throw new ElfError(`dynamically linked (needs ${elf.interpreter}): only static executables are supported`, ENOEXEC);
  }
  const bias = elf.bias;
  const loads = elf.headers.filter((h) => h.type === PT_LOAD && h.memsz > 0);
  const lo = pageDown(Math.min(...loads.map((h) => h.vaddr)) + bias);
  const hi = pageUp(Math.max(...loads.map((h) => h.vaddr + h.memsz)) + bias);
  const image = memory.mapRegion(lo, hi - lo, imagePieces(loads, bias, lo), "image");
  if (!image) throw new ElfError(`out of memory: the image needs ${mebibytes(hi - lo)} MiB`, ENOMEM);
  for (const h of loads) {
    const at = h.vaddr + bias - lo;
    if (!file.read(image.subarray(at, at + h.filesz), h.offset)) {
      memory.unmap(lo, hi - lo);
      throw new ElfError("cannot read a segment: the file changed or could not be read", ENOEXEC);
    }
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
  // The stack does not grow: it is mapped at the size RLIMIT_STACK allows, up to STACK_SIZE.
  const stackSize = Math.max(MIN_STACK, Math.min(STACK_SIZE, pageDown(args.stackSize ?? STACK_SIZE)));
  if (!memory.mapRegion(STACK_TOP - stackSize, stackSize, [{ at: 0, size: stackSize, prot: stackProt }], "stack")) {
    throw new ElfError("out of memory for the stack", ENOMEM);
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
    [AT.AT_UID, creds.uid], [AT.AT_EUID, creds.euid], [AT.AT_GID, creds.gid], [AT.AT_EGID, creds.egid],
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

const mebibytes = (bytes: number): string => (bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0);
