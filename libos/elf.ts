// ELF64 parsing for the loader: the file header and program headers, nothing else.
//
// Linux: fs/binfmt_elf.c (load_elf_binary, load_elf_phdrs) checks the same things in the
// same order: magic, type, machine, the program header table, then each segment. Every
// field is range-checked before anything is sized or placed by it, so a hostile file costs
// at most one 64 KiB read of program headers, and each failure is one ElfError naming what
// is wrong, with the errno execve(2) returns for it. Values are read as doubles: any value
// at or beyond 2^53 is far beyond every limit it is compared with, so rounding cannot let
// one through.

import { bytesToString } from "../linux-abi/_byte_string.ts";
import { EINVAL, EIO, ENOEXEC } from "../linux-abi/errno.ts";
import {
  ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, EM_X86_64, ET_CORE, ET_DYN, ET_EXEC, ET_REL, PF_X, PT_GNU_STACK, PT_INTERP,
  PT_LOAD, SIZEOF_ELF64_EHDR, SIZEOF_ELF64_PHDR,
} from "../linux-abi/elf.ts";
import { PAGE, PIE_BASE, STACK_SIZE, STACK_TOP } from "./memory.ts";

export { EM_X86_64, ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR } from "../linux-abi/elf.ts";

/** Why a program cannot be executed: the message for the user, the errno for execve(2). */
export class ElfError extends Error {
  /** Which of several programs started together it was about (its command as given). */
  program: string | null = null;

  constructor(message: string, readonly errno: number = ENOEXEC) {
    super(message);
    this.name = "ElfError";
  }
}

/** The bytes of an executable, read on demand: the loader copies segments straight into the image. */
export interface ProgramFile {
  readonly size: number;
  /** Fill `dst` from file offset `offset`; false on a short read or an I/O error. */
  read(dst: Uint8Array, offset: number): boolean;
}

/** A file already in memory as a ProgramFile. */
export function bytesFile(bytes: Uint8Array): ProgramFile {
  return {
    size: bytes.length,
    read(dst, offset) {
      if (offset + dst.length > bytes.length) return false;
      dst.set(bytes.subarray(offset, offset + dst.length));
      return true;
    },
  };
}

const MACHINES: Readonly<Record<number, string>> = {
  3: "i386", 40: "arm", 62: "x86-64", 183: "aarch64", 243: "riscv64", 8: "mips", 20: "powerpc", 21: "powerpc64", 22: "s390",
};
// Linux: load_elf_phdrs refuses a table larger than 64 KiB; PATH_MAX bounds PT_INTERP.
const MAX_PHDR_TABLE = 65536;
const PATH_MAX = 4096;
/** Where loaded segments must end: below the stack (Linux: TASK_SIZE, less the stack we place). */
export const IMAGE_TOP = STACK_TOP - STACK_SIZE;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfImage {
  type: number;
  machine: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  headers: ProgramHeader[];
  interpreter: string | null;
  executableStack: boolean;
  /**
   * Added to every address of the file: PIE_BASE for an ET_DYN program, 0 for ET_EXEC and
   * for an ET_DYN interpreter (the loader places that one where mmap would).
   */
  bias: number;
}

export interface ParseOptions {
  /** The file is a program interpreter (PT_INTERP): an ET_DYN one may start at address 0. */
  interpreter?: boolean;
}

function u64(view: DataView, off: number): number {
  return view.getUint32(off, true) + view.getUint32(off + 4, true) * 4294967296;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export function machineName(machine: number): string {
  return MACHINES[machine] ?? `machine ${machine}`;
}

/** Parse and check an executable's headers; throws ElfError. */
export function parseElf(source: ProgramFile | Uint8Array, options: ParseOptions = {}): ElfImage {
  const file = source instanceof Uint8Array ? bytesFile(source) : source;
  const ehdr = new Uint8Array(Math.min(file.size, SIZEOF_ELF64_EHDR));
  if (!file.read(ehdr, 0)) throw new ElfError("cannot read the ELF header", EIO);
  if (ehdr.length < 4 || ehdr[0] !== 0x7f || ehdr[1] !== 0x45 || ehdr[2] !== 0x4c || ehdr[3] !== 0x46) {
    throw new ElfError("exec format error: not an ELF file or a #! script");
  }
  if (ehdr.length < SIZEOF_ELF64_EHDR) throw new ElfError(`truncated ELF header (${ehdr.length} of ${SIZEOF_ELF64_EHDR} bytes)`);
  const elfClass = ehdr[4]!, data = ehdr[5]!;
  if (elfClass === ELFCLASS32) throw new ElfError("32-bit ELF file (this LibOS runs 64-bit programs)");
  if (elfClass !== ELFCLASS64) throw new ElfError(`unknown ELF class ${elfClass}`);
  if (data === ELFDATA2MSB) throw new ElfError("big-endian ELF file (this LibOS runs little-endian programs)");
  if (data !== ELFDATA2LSB) throw new ElfError(`invalid ELF data encoding ${data}`);
  const view = new DataView(ehdr.buffer, ehdr.byteOffset, ehdr.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (type !== ET_EXEC && type !== ET_DYN) {
    const what = type === ET_REL ? "relocatable object" : type === ET_CORE ? "core dump" : `ELF type ${type}`;
    throw new ElfError(`not an executable: ${what}`);
  }
  if (machine !== EM_X86_64) throw new ElfError(`wrong architecture: ${machineName(machine)} (this LibOS runs x86-64 programs)`);
  // A relocatable interpreter's addresses are offsets from wherever it is placed.
  const relocatable = type === ET_DYN && options.interpreter === true;
  const bias = type === ET_DYN && !relocatable ? PIE_BASE : 0;
  const entry = u64(view, 24);
  const phoff = u64(view, 32);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phentsize !== SIZEOF_ELF64_PHDR) throw new ElfError(`program header size ${phentsize} (expected ${SIZEOF_ELF64_PHDR})`);
  if (phnum === 0) throw new ElfError("no program headers");
  if (phnum * phentsize > MAX_PHDR_TABLE) throw new ElfError(`too many program headers (${phnum})`);
  // Linux: load_elf_phdrs fails on the short read, and load_elf_binary answers ENOEXEC.
  if (phoff > file.size - phnum * phentsize) throw new ElfError("program header table ends beyond the end of the file");
  if (entry + bias >= IMAGE_TOP) throw new ElfError(`entry point ${hex(entry)} is beyond the user address space`, EINVAL);
  const table = new Uint8Array(phnum * phentsize);
  if (!file.read(table, phoff)) throw new ElfError("cannot read the program header table", EIO);
  const pv = new DataView(table.buffer);

  const headers: ProgramHeader[] = [];
  let interpreter: string | null = null;
  let executableStack = false;
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    const ph: ProgramHeader = {
      type: pv.getUint32(at, true),
      flags: pv.getUint32(at + 4, true),
      offset: u64(pv, at + 8),
      vaddr: u64(pv, at + 16),
      filesz: u64(pv, at + 32),
      memsz: u64(pv, at + 40),
      align: u64(pv, at + 48),
    };
    if (ph.type === PT_LOAD) checkSegment(ph, i, file.size, bias, relocatable);
    // Linux: the first PT_INTERP counts.
    if (ph.type === PT_INTERP && interpreter === null) interpreter = readInterpreter(file, ph);
    if (ph.type === PT_GNU_STACK) executableStack = (ph.flags & PF_X) !== 0;
    headers.push(ph);
  }
  const loads = headers.map((h, i) => ({ h, i })).filter(({ h }) => h.type === PT_LOAD && h.memsz > 0);
  if (loads.length === 0) throw new ElfError("no loadable segment");
  // Segments may share a page (text ending where data begins) but not bytes.
  const sorted = [...loads].sort((a, b) => a.h.vaddr - b.h.vaddr);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1]!, next = sorted[k]!;
    if (next.h.vaddr < prev.h.vaddr + prev.h.memsz) {
      throw new ElfError(`segments ${Math.min(prev.i, next.i)} and ${Math.max(prev.i, next.i)} overlap`, EINVAL);
    }
  }
  return { type, machine, entry, phoff, phentsize, phnum, headers, interpreter, executableStack, bias };
}

/** A PT_LOAD's fields against the file and the user address space (Linux: EINVAL from load_elf_binary or mmap). */
function checkSegment(ph: ProgramHeader, index: number, fileSize: number, bias: number, relocatable: boolean): void {
  if (ph.filesz > ph.memsz) throw new ElfError(`segment ${index}: file size ${hex(ph.filesz)} exceeds memory size ${hex(ph.memsz)}`, EINVAL);
  if (ph.offset > fileSize || ph.filesz > fileSize - ph.offset) throw new ElfError(`segment ${index} ends beyond the end of the file`);
  const start = ph.vaddr + bias;
  if (start >= IMAGE_TOP || ph.memsz > IMAGE_TOP - start) throw new ElfError(`segment ${index} ends beyond the user address space`, EINVAL);
  if (ph.memsz > 0 && start < PAGE && !relocatable) throw new ElfError(`segment ${index} is mapped at page zero`, EINVAL);
  if ((ph.vaddr - ph.offset) % PAGE !== 0) throw new ElfError(`segment ${index}: offset and address disagree modulo the page size`, EINVAL);
}

function readInterpreter(file: ProgramFile, ph: ProgramHeader): string {
  if (ph.filesz < 2 || ph.filesz > PATH_MAX) throw new ElfError(`interpreter path of ${ph.filesz} bytes`);
  if (ph.offset > file.size - ph.filesz) throw new ElfError("interpreter path ends beyond the end of the file", EIO);
  const raw = new Uint8Array(ph.filesz);
  if (!file.read(raw, ph.offset)) throw new ElfError("cannot read the interpreter path", EIO);
  // Linux: load_elf_binary refuses a path whose last byte is not its NUL.
  if (raw[raw.length - 1] !== 0) throw new ElfError("interpreter path is not NUL-terminated");
  const nul = raw.indexOf(0);
  return bytesToString(raw.subarray(0, nul));
}
