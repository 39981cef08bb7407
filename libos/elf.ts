// ELF64 parsing for the loader: the file header and program headers, nothing else.
//
// Linux: fs/binfmt_elf.c (load_elf_binary) checks the same things in the same order:
// magic, class, byte order, machine, type, then the program headers. Every offset is
// bounds-checked so a truncated or hostile file gives one ElfError line, never a throw
// from a DataView.

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ElfError";
  }
}

import { bytesToString } from "../linux-abi/_byte_string.ts";
import {
  ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_DYN, ET_EXEC, ET_REL, ET_CORE, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD,
  SIZEOF_ELF64_PHDR,
} from "../linux-abi/elf.ts";

export { EM_X86_64, ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR } from "../linux-abi/elf.ts";

const MACHINES: Readonly<Record<number, string>> = {
  3: "i386", 40: "arm", 62: "x86-64", 183: "aarch64", 243: "riscv64", 8: "mips", 20: "powerpc", 21: "powerpc64", 22: "s390",
};

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
}

function u64(view: DataView, off: number): number {
  const lo = view.getUint32(off, true);
  const hi = view.getUint32(off + 4, true);
  if (hi >= 0x200000) throw new ElfError("Malformed ELF file: 64-bit field out of range");
  return hi * 4294967296 + lo;
}

export function machineName(machine: number): string {
  return MACHINES[machine] ?? `machine ${machine}`;
}

export function parseElf(file: Uint8Array): ElfImage {
  if (file.length < 4 || file[0] !== 0x7f || file[1] !== 0x45 || file[2] !== 0x4c || file[3] !== 0x46) {
    throw new ElfError("Not an ELF executable: bad magic");
  }
  if (file.length < 64) throw new ElfError("Malformed ELF file: truncated header");
  if (file[4] !== ELFCLASS64) throw new ElfError("Unsupported ELF file: 32-bit (this LibOS runs 64-bit programs)");
  if (file[5] !== ELFDATA2LSB) throw new ElfError("Unsupported ELF file: big-endian");
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_X86_64) {
    throw new ElfError(`Wrong architecture: ${machineName(machine)} (this LibOS runs x86-64 programs)`);
  }
  if (type !== ET_EXEC && type !== ET_DYN) {
    throw new ElfError(`Not an executable: ELF type ${type === ET_REL ? "relocatable object" : type === ET_CORE ? "core dump" : type}`);
  }
  const entry = u64(view, 24);
  const phoff = u64(view, 32);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phentsize !== SIZEOF_ELF64_PHDR) throw new ElfError(`Malformed ELF file: program header size ${phentsize}`);
  if (phnum === 0 || phnum > 128) throw new ElfError(`Malformed ELF file: ${phnum} program headers`);
  if (phoff + phnum * phentsize > file.length) throw new ElfError("Malformed ELF file: program headers past end of file");

  const headers: ProgramHeader[] = [];
  let interpreter: string | null = null;
  let executableStack = false;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const ph: ProgramHeader = {
      type: view.getUint32(at, true),
      flags: view.getUint32(at + 4, true),
      offset: u64(view, at + 8),
      vaddr: u64(view, at + 16),
      filesz: u64(view, at + 32),
      memsz: u64(view, at + 40),
      align: u64(view, at + 48),
    };
    if (ph.type === PT_LOAD) {
      if (ph.filesz > ph.memsz) throw new ElfError("Malformed ELF file: segment file size exceeds memory size");
      if (ph.offset + ph.filesz > file.length) throw new ElfError("Malformed ELF file: segment past end of file");
      if ((ph.vaddr - ph.offset) % 4096 !== 0) throw new ElfError("Malformed ELF file: segment offset and address disagree modulo the page size");
    }
    if (ph.type === PT_INTERP) {
      if (ph.offset + ph.filesz > file.length) throw new ElfError("Malformed ELF file: interpreter path past end of file");
      const raw = file.subarray(ph.offset, ph.offset + ph.filesz);
      const nul = raw.indexOf(0);
      interpreter = bytesToString(nul >= 0 ? raw.subarray(0, nul) : raw);
    }
    if (ph.type === PT_GNU_STACK) executableStack = (ph.flags & PF_X) !== 0;
    headers.push(ph);
  }
  if (!headers.some((h) => h.type === PT_LOAD)) throw new ElfError("Malformed ELF file: no loadable segment");
  return { type, machine, entry, phoff, phentsize, phnum, headers, interpreter, executableStack };
}
