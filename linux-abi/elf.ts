// Linux: include/uapi/linux/elf.h and include/uapi/linux/elf-em.h (constants only; the
// loader in libos/ reads the headers).

// e_ident.
export const EI_NIDENT = 16;
export const EI_MAG0 = 0;
export const EI_MAG1 = 1;
export const EI_MAG2 = 2;
export const EI_MAG3 = 3;
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_OSABI = 7;
export const EI_PAD = 8;
export const ELFMAG0 = 0x7f;
export const ELFMAG1 = 0x45; // 'E'
export const ELFMAG2 = 0x4c; // 'L'
export const ELFMAG3 = 0x46; // 'F'
export const ELFCLASSNONE = 0;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATANONE = 0;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_NONE = 0;
export const EV_CURRENT = 1;
export const ELFOSABI_NONE = 0;
export const ELFOSABI_LINUX = 3;

// e_type.
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

// e_machine.
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;

// p_type.
export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_SHLIB = 5;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_LOOS = 0x60000000;
export const PT_HIOS = 0x6fffffff;
export const PT_LOPROC = 0x70000000;
export const PT_HIPROC = 0x7fffffff;
export const PT_GNU_EH_FRAME = PT_LOOS + 0x474e550;
export const PT_GNU_STACK = PT_LOOS + 0x474e551;
export const PT_GNU_RELRO = PT_LOOS + 0x474e552;
export const PT_GNU_PROPERTY = PT_LOOS + 0x474e553;

// p_flags.
export const PF_X = 0x1;
export const PF_W = 0x2;
export const PF_R = 0x4;

// Sizes of the 64-bit headers.
export const SIZEOF_ELF64_EHDR = 64;
export const SIZEOF_ELF64_PHDR = 56;
