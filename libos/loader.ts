// Loading an ELF executable, and its program interpreter, into a fresh address space.
//
// Linux: fs/binfmt_elf.c (load_elf_binary, load_elf_interp, create_elf_tables). An image's
// PT_LOAD segments share one frame; each page gets the union of the protections of the
// segments that touch it, and runs of equal protection become one mapping. parseElf has
// checked every field; the quota is charged for the image before any byte of a segment is
// read from the file, straight into the image. PT_TLS needs nothing here: a static libc
// reads it through AT_PHDR and sets up TLS itself. PT_GNU_STACK decides whether the stack
// is executable.
//
// A dynamically linked program (PT_INTERP) is mapped as a static one is (an ET_DYN at
// 0x555555554000, the break after it); its interpreter (ld.so) goes where mmap would put
// it, and the thread starts at the interpreter's entry with AT_BASE saying where that is.
// The interpreter then maps the libraries itself, through mmap of their files.
//
// Initial stack, from the top down (what _start expects at RSP):
//   strings (argv, envp, AT_EXECFN, AT_PLATFORM) · 16 random bytes (AT_RANDOM) ·
//   padding to 16 · auxv pairs ending AT_NULL · NULL · envp[] · NULL · argv[] · argc

import { displayOf, stringToBytes } from "../linux-abi/_byte_string.ts";
import { randomFillSync } from "node:crypto";
import * as AT from "../linux-abi/auxv.ts";
import { EINVAL, ENOEXEC, ENOMEM } from "../linux-abi/errno.ts";
import { ET_DYN, PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR } from "../linux-abi/elf.ts";
import type { Credentials } from "./creds.ts";
import { ElfError, IMAGE_TOP, type ElfImage, type ProgramFile, type ProgramHeader } from "./elf.ts";
import { GuestMemory, PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP, pageDown, pageUp } from "./memory.ts";


/** The smallest stack mapped, whatever RLIMIT_STACK says (room for the arguments and a little more). */
const MIN_STACK = 64 * 1024;

// CPUID.1:EDX of the Unicorn engine's default CPU: fpu … sse sse2 (what Linux reports as
// AT_HWCAP), for a caller that does not say (the CPU platform knows: platforms.ts).
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

/** An ELF file parsed (parseElf) and open for reading its segments. */
export interface ElfSource {
  elf: ElfImage;
  file: ProgramFile;
}

export interface LoadArgs {
  argv: string[];
  envp: string[];
  execfn: string;
  creds: Credentials;
  /** The stack's size (RLIMIT_STACK); STACK_SIZE without it. */
  stackSize?: number;
  /** PT_INTERP's file, parsed with `interpreter: true`; the program starts at its entry. */
  interpreter?: (ElfSource & { path: string }) | null;
  /** AT_HWCAP: the CPU platform's CPUID.1:EDX (HWCAP_X86_64 without it). */
  hwcap?: number;
}

interface Placed {
  /** The image's first and past-the-last page. */
  lo: number;
  hi: number;
  bias: number;
}

/** The page span of an image's PT_LOAD segments, before any bias. */
function spanOf(loads: readonly ProgramHeader[]): { lo: number; hi: number } {
  return { lo: pageDown(Math.min(...loads.map((h) => h.vaddr))), hi: pageUp(Math.max(...loads.map((h) => h.vaddr + h.memsz))) };
}

const loadsOf = (elf: ElfImage): ProgramHeader[] => elf.headers.filter((h) => h.type === PT_LOAD && h.memsz > 0);

/** Map `src`'s segments at `bias` as one image block and read them in; throws ElfError. */
function mapImage(memory: GuestMemory, src: ElfSource, bias: number, kind: "image" | "interp"): Placed {
  const loads = loadsOf(src.elf);
  const span = spanOf(loads);
  const lo = span.lo + bias, hi = span.hi + bias;
  const image = memory.mapRegion(lo, hi - lo, imagePieces(loads, bias, lo), kind);
  if (!image) throw new ElfError(`out of memory: the image needs ${mebibytes(hi - lo)} MiB`, ENOMEM);
  for (const h of loads) {
    const at = h.vaddr + bias - lo;
    if (!src.file.read(image.subarray(at, at + h.filesz), h.offset)) {
      memory.unmap(lo, hi - lo);
      throw new ElfError("cannot read a segment: the file changed or could not be read", ENOEXEC);
    }
  }
  return { lo, hi, bias };
}

/**
 * The interpreter's image: an ET_DYN one where mmap(NULL, …) would put it (top-down below
 * the mmap base, as Linux's load_elf_interp), an ET_EXEC one at its own addresses, which
 * must not meet the program's.
 */
function mapInterpreter(memory: GuestMemory, interp: ElfSource & { path: string }): Placed {
  const what = `interpreter ${displayOf(interp.path)}`;
  const span = spanOf(loadsOf(interp.elf));
  let bias = 0;
  if (interp.elf.type === ET_DYN) {
    const size = span.hi - span.lo;
    const at = size < IMAGE_TOP ? memory.findFree(size) : -1;
    if (at < PAGE) throw new ElfError(`out of memory: the ${what} needs ${mebibytes(size)} MiB`, ENOMEM);
    bias = at - span.lo;
  } else if (!memory.isFree(span.lo, span.hi)) {
    throw new ElfError(`${what} overlaps the program's segments`, EINVAL);
  }
  try {
    return mapImage(memory, interp, bias, "interp");
  } catch (e) {
    if (e instanceof ElfError) throw new ElfError(`${what}: ${e.message}`, e.errno);
    throw e;
  }
}

/** Load a checked image (parseElf), and its interpreter if any, into `memory`; throws ElfError. */
export function loadElf(memory: GuestMemory, elf: ElfImage, file: ProgramFile, args: LoadArgs): LoadedProgram {
  const { lo, hi, bias } = mapImage(memory, { elf, file }, elf.bias, "image");
  const loads = loadsOf(elf);
  const interp = args.interpreter ? mapInterpreter(memory, args.interpreter) : null;
  const entry = args.interpreter ? args.interpreter.elf.entry + interp!.bias : elf.entry + bias;

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
    [AT.AT_BASE, interp?.bias ?? 0], [AT.AT_FLAGS, 0], [AT.AT_ENTRY, elf.entry + bias],
    [AT.AT_UID, creds.uid], [AT.AT_EUID, creds.euid], [AT.AT_GID, creds.gid], [AT.AT_EGID, creds.egid],
    [AT.AT_SECURE, 0], [AT.AT_RANDOM, randomAddr], [AT.AT_HWCAP, args.hwcap ?? HWCAP_X86_64], [AT.AT_HWCAP2, 0],
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
  return { entry, stackPointer: sp, brk: memory.brk };
}

const ZERO = new Uint8Array(1);

const mebibytes = (bytes: number): string => (bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0);
