// The ring-0 side of a KVM guest: what the VM's system slot holds and how a vCPU starts.
//
// System slot (guest-physical 0, host memory of the VM's own, mapped whole at KERNEL_BASE,
// the top 64 MiB of the address space, supervisor only): the PML4 and the tables of that
// mapping, the GDT and TSS, the IDT, the stub code, an exception stack, the entry frame,
// the touch list; the rest is the page-table pool for the user half (kvm_page_tables.ts).
//
// The stub is all the guest kernel there is; the host does the rest between exits:
//   SYSCALL_ENTRY  out 0xE0, al; hlt   `syscall` lands here (LSTAR): an IO exit
//   IRET_FLUSH     rewrite each page-table entry of the touch list with its own value,
//                  reload CR3, then IRET (the list: see kvm_x86_64.ts)
//   IRET           iretq               the host's entry: every register from the host,
//                                      RIP/CS/RFLAGS/RSP/SS from ENTRY_FRAME
//   VECTOR + 4v    out 0xC0+v, al; hlt exception v (on the IST stack): an IO exit
//   GENERIC        out 0xE1, al; hlt   any vector above 31 (nothing raises one)
// An exit leaves every register as the user had it (`out` reads AL, writes nothing), so
// the kvm_run page's synced registers are the user's, with the return address in RCX
// (syscall) or the CPU's frame on the exception stack. Bytes assembled with GNU as.
//
// Selectors as Linux has them, so sysret-style arithmetic in STAR lands on them: kernel
// code 0x10, kernel data 0x18, user data 0x2b, user 64-bit code 0x33, TSS 0x40. The 32-bit
// user code descriptor (0x23) is not present: compatibility mode is out of reach.

export const SYSTEM_SLOT_BYTES = 64 * 1024 * 1024;
export const KERNEL_BASE_BIG = (1n << 64n) - BigInt(SYSTEM_SLOT_BYTES);
/** KERNEL_BASE as (low, high) words: kernel addresses are not exact as JS numbers. */
export const KERNEL_LOW = 0xfc000000, KERNEL_HIGH = 0xffffffff;
export const SYS = {
  PML4: 0x0000,
  PDPT_HIGH: 0x1000,
  PD_HIGH: 0x2000,
  GDT: 0x3000,
  TSS: 0x3080,
  IDT: 0x4000,
  CODE: 0x5000,
  /** Top of the exception stack (IST1). */
  IST_TOP: 0x8000,
  /** Where the host writes the iretq frame of an entry: RIP, CS, RFLAGS, RSP, SS. */
  ENTRY_FRAME: 0x8f00,
  /** The touch list: a count of ranges, then each range: the kernel address of its first page-table entry, its entries (kvm_x86_64.ts keeps it short). */
  TOUCH: 0x20000,
  TOUCH_END: 0x40000,
  POOL: 0x40000,
} as const;
/** Offsets of the stub's entry points in CODE. */
export const STUB = { SYSCALL_ENTRY: 0x00, IRET_FLUSH: 0x10, IRET: 0x4a, VECTOR: 0x80, GENERIC: 0x100, END: 0x104 } as const;
export const PORT = { SYSCALL: 0xe0, VECTOR: 0xc0, GENERIC: 0xe1 } as const;
export const SEL = { KERNEL_CS: 0x10, KERNEL_DS: 0x18, USER_DS: 0x2b, USER_CS: 0x33, TSS: 0x40 } as const;

const STUB_CODE = [
  0xe6, 0xe0, 0xf4, // SYSCALL_ENTRY: out 0xe0, al · hlt
  0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, 0x66, 0x90, // padding
  0x50, 0x51, 0x52, 0x56, // IRET_FLUSH: push rax · push rcx · push rdx · push rsi
  0x48, 0x8d, 0x15, 0xe5, 0xaf, 0x01, 0x00, // lea rdx, [rip + (TOUCH - 0x501b)]
  0x48, 0x8b, 0x0a, // mov rcx, [rdx]                  ranges
  0x48, 0x85, 0xc9, 0x74, 0x1d, // 1: test rcx, rcx · jz 4f
  0x48, 0x83, 0xc2, 0x10, // add rdx, 16
  0x48, 0x8b, 0x02, 0x48, 0x8b, 0x72, 0x08, // mov rax, [rdx] · mov rsi, [rdx + 8]   first entry, entries
  0xff, 0x30, 0x8f, 0x00, // 2: push qword [rax] · pop qword [rax]
  0x48, 0x83, 0xc0, 0x08, 0x48, 0xff, 0xce, 0x75, 0xf3, // add rax, 8 · dec rsi · jnz 2b
  0x48, 0xff, 0xc9, 0xeb, 0xde, // dec rcx · jmp 1b
  0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, // 4: mov rax, cr3 · mov cr3, rax
  0x5e, 0x5a, 0x59, 0x58, // pop rsi · pop rdx · pop rcx · pop rax
  0x48, 0xcf, // IRET: iretq
];

export const MSR = {
  EFER: 0xc0000080,
  STAR: 0xc0000081,
  LSTAR: 0xc0000082,
  CSTAR: 0xc0000083,
  SFMASK: 0xc0000084,
  FS_BASE: 0xc0000100,
  GS_BASE: 0xc0000101,
  KERNEL_GS_BASE: 0xc0000102,
  TSC_AUX: 0xc0000103,
} as const;

const CR0 = 0x80050033; // PG | AM | WP | NE | ET | MP | PE
const CR4_PAE = 0x20, CR4_OSFXSR = 0x200, CR4_OSXMMEXCPT = 0x400, CR4_OSXSAVE = 0x40000;
const EFER = 0xd01; // NXE | LMA | LME | SCE
// Flags a syscall clears (Linux's SYSCALL_MASK): TF, DF, IF, IOPL, AC, NT.
const SFMASK = 0x47700;

/** Writes the GDT, TSS, IDT, stub and the kernel mapping into a fresh (zeroed) system slot. */
export function buildSystemSlot(bytes: Uint8Array): void {
  const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pde = (at: number, target: number, flags: number): void => d.setBigUint64(at, BigInt(target | flags), true);
  // KERNEL_BASE = PML4[511] → PDPT[511] → PD[480..511]: 2 MiB supervisor pages over the slot.
  pde(SYS.PML4 + 511 * 8, SYS.PDPT_HIGH, 0x23);
  pde(SYS.PDPT_HIGH + 511 * 8, SYS.PD_HIGH, 0x23);
  for (let i = 0; i < SYSTEM_SLOT_BYTES / 2 ** 21; i++) pde(SYS.PD_HIGH + (480 + i) * 8, i * 2 ** 21, 0x80 | 0x63); // PS | D | A | RW | P
  // GDT: descriptors as (low, high) dwords.
  const gdt = (sel: number, lo: number, hi: number): void => {
    d.setUint32(SYS.GDT + sel, lo, true);
    d.setUint32(SYS.GDT + sel + 4, hi, true);
  };
  gdt(SEL.KERNEL_CS, 0x0000ffff, 0x00af9b00); // L, P, DPL 0, code exec/read accessed
  gdt(SEL.KERNEL_DS, 0x0000ffff, 0x00cf9300);
  gdt(SEL.USER_DS & ~3, 0x0000ffff, 0x00cff300); // DPL 3 data
  gdt(SEL.USER_CS & ~3, 0x0000ffff, 0x00affb00); // DPL 3, L
  const tss = KERNEL_BASE_BIG + BigInt(SYS.TSS);
  const tssLimit = 103;
  const lo = Number(tss & 0xffffn), mid = Number((tss >> 16n) & 0xffn), hi8 = Number((tss >> 24n) & 0xffn);
  gdt(SEL.TSS, ((lo << 16) | tssLimit) >>> 0, (mid | 0x8900 | (hi8 << 24)) >>> 0); // present, available 64-bit TSS
  d.setUint32(SYS.GDT + SEL.TSS + 8, Number(tss >> 32n), true);
  // TSS: IST1 = the exception stack; no I/O bitmap (the map base is past the limit).
  d.setBigUint64(SYS.TSS + 0x24, KERNEL_BASE_BIG + BigInt(SYS.IST_TOP), true);
  d.setUint16(SYS.TSS + 0x66, 104, true);
  // IDT: 256 interrupt gates through IST1; int3 may be raised from ring 3, as on Linux.
  for (let v = 0; v < 256; v++) {
    const handler = KERNEL_BASE_BIG + BigInt(SYS.CODE + (v < 32 ? STUB.VECTOR + 4 * v : STUB.GENERIC));
    const at = SYS.IDT + v * 16;
    const dpl = v === 3 ? 3 : 0;
    d.setUint16(at, Number(handler & 0xffffn), true);
    d.setUint16(at + 2, SEL.KERNEL_CS, true);
    d.setUint8(at + 4, 1); // IST1
    d.setUint8(at + 5, 0x8e | (dpl << 5)); // present, interrupt gate
    d.setUint16(at + 6, Number((handler >> 16n) & 0xffffn), true);
    d.setUint32(at + 8, Number(handler >> 32n), true);
  }
  bytes.set(STUB_CODE, SYS.CODE);
  for (let v = 0; v < 32; v++) bytes.set([0xe6, PORT.VECTOR + v, 0xf4, 0x90], SYS.CODE + STUB.VECTOR + 4 * v);
  bytes.set([0xe6, PORT.GENERIC, 0xf4, 0x90], SYS.CODE + STUB.GENERIC);
}

/** struct kvm_segment at `at`: base, limit, selector, type, present, dpl, db, s, l, g. */
function segment(d: DataView, at: number, s: { base?: bigint; limit: number; selector: number; type: number; dpl: number; db: number; s: number; l: number; g: number }): void {
  d.setBigUint64(at, s.base ?? 0n, true);
  d.setUint32(at + 8, s.limit, true);
  d.setUint16(at + 12, s.selector, true);
  const bytes = [s.type, 1, s.dpl, s.db, s.s, s.l, s.g, 0, 0, 0];
  bytes.forEach((b, i) => d.setUint8(at + 14 + i, b));
}

export const SREGS_BYTES = 312;
const SREG = { CS: 0, DS: 24, ES: 48, FS: 72, GS: 96, SS: 120, TR: 144, LDT: 168, GDT: 192, IDT: 208, CR0: 224, CR3: 240, CR4: 248, EFER: 264 } as const;
export const SREGS_FS_BASE = SREG.FS, SREGS_GS_BASE = SREG.GS;

/** What a vCPU's ring-0 state holds of its thread and VM: TLS bases, CR4.OSXSAVE, the page tables' root (CR3). */
export interface RingZeroOptions {
  fsBase: bigint;
  gsBase: bigint;
  osxsave: boolean;
  root: number;
}

/**
 * struct kvm_sregs of a vCPU waiting in ring 0 (as after an exit from the stub), with
 * the user's FS and GS bases: the state a vCPU is (re)started from.
 */
export function ringZeroSregs(out: Uint8Array, { fsBase, gsBase, osxsave, root }: RingZeroOptions): void {
  out.fill(0, 0, SREGS_BYTES);
  const d = new DataView(out.buffer, out.byteOffset, SREGS_BYTES);
  const code = { limit: 0xffffffff, selector: SEL.KERNEL_CS, type: 11, dpl: 0, db: 0, s: 1, l: 1, g: 1 };
  const data = { limit: 0xffffffff, selector: SEL.KERNEL_DS, type: 3, dpl: 0, db: 1, s: 1, l: 0, g: 1 };
  const nul = { limit: 0xffffffff, selector: 0, type: 3, dpl: 0, db: 1, s: 1, l: 0, g: 1 };
  segment(d, SREG.CS, code);
  segment(d, SREG.SS, data);
  segment(d, SREG.DS, nul);
  segment(d, SREG.ES, nul);
  segment(d, SREG.FS, { ...nul, base: fsBase });
  segment(d, SREG.GS, { ...nul, base: gsBase });
  segment(d, SREG.TR, { base: KERNEL_BASE_BIG + BigInt(SYS.TSS), limit: 103, selector: SEL.TSS, type: 11, dpl: 0, db: 0, s: 0, l: 0, g: 0 });
  segment(d, SREG.LDT, { limit: 0, selector: 0, type: 2, dpl: 0, db: 0, s: 0, l: 0, g: 0 });
  d.setUint8(SREG.LDT + 22, 1); // unusable
  d.setBigUint64(SREG.GDT, KERNEL_BASE_BIG + BigInt(SYS.GDT), true);
  d.setUint16(SREG.GDT + 8, 0x4f, true);
  d.setBigUint64(SREG.IDT, KERNEL_BASE_BIG + BigInt(SYS.IDT), true);
  d.setUint16(SREG.IDT + 8, 256 * 16 - 1, true);
  d.setBigUint64(SREG.CR0, BigInt(CR0), true);
  d.setBigUint64(SREG.CR3, BigInt(root), true);
  d.setBigUint64(SREG.CR4, BigInt(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (osxsave ? CR4_OSXSAVE : 0)), true);
  d.setBigUint64(SREG.EFER, BigInt(EFER), true);
}

/** The MSRs a vCPU starts with: syscall entry, flags mask, selectors, user TLS bases. */
export function startMsrs(fsBase: bigint, gsBase: bigint): [number, bigint][] {
  const syscallEntry = KERNEL_BASE_BIG + BigInt(SYS.CODE + STUB.SYSCALL_ENTRY);
  return [
    [MSR.STAR, (BigInt(SEL.USER_DS - 8) << 48n) | (BigInt(SEL.KERNEL_CS) << 32n)],
    [MSR.LSTAR, syscallEntry],
    [MSR.CSTAR, syscallEntry],
    [MSR.SFMASK, BigInt(SFMASK)],
    [MSR.FS_BASE, fsBase],
    [MSR.GS_BASE, gsBase],
    [MSR.KERNEL_GS_BASE, 0n],
    [MSR.TSC_AUX, 0n],
  ];
}
