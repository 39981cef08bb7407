// Linux x86-64: the signal frame arch/x86/kernel/signal_64.c builds on the user stack,
//   struct rt_sigframe { char *pretcode; struct ucontext uc; struct siginfo info; };
// with struct sigcontext, struct _fpstate_64, struct _fpx_sw_bytes and struct _xstate from
// arch/x86/include/uapi/asm/sigcontext.h, struct ucontext and UC_* from asm/ucontext.h and
// asm-generic/ucontext.h; where it goes from get_sigframe() (arch/x86/kernel/signal.c) and
// fpu__alloc_mathframe() (arch/x86/kernel/fpu/signal.c); and ucontext_t / mcontext_t as
// glibc's <sys/ucontext.h> and musl's <bits/signal.h> read the same bytes (gregs[REG_*]).
//
// Delivery (x64_setup_rt_frame): from the interrupted rsp, skip the 128-byte red zone (or,
// with SA_ONSTACK and not already on it, start at ss_sp + ss_size of the alternate stack);
// put the FP state 64-byte aligned below that (allocMathframe); put the rt_sigframe below it
// so that frame + 8 is 16-byte aligned (alignSigframe). Then pretcode = sa_restorer
// (SA_RESTORER is required), uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS (| UC_FP_XSTATE
// with XSAVE), uc_link = 0, uc_stack = the task's sigaltstack settings as stored (all zero if
// none was set, ss_flags 0 unless SS_AUTODISARM), uc_mcontext = the registers (oldmask =
// uc_sigmask = the mask to restore, fpstate = the FP area), info = the siginfo (written only
// with SA_SIGINFO). A fault also sets trapno (X86_TRAP_*), err and, for a page fault, cr2.
// The handler starts with rsp = frame, rip = sa_handler, rdi = sig, rsi = &frame.info,
// rdx = &frame.uc, rax = 0, cs = __USER_CS, and DF, RF and TF cleared in eflags. Its `ret` pops pretcode, so
// rt_sigreturn(2) finds the frame at rsp - 8 and restores uc_sigmask, the registers (only the
// FIX_EFLAGS bits of eflags; cs and ss with RPL 3), the FP state and the altstack.

import { getUint64, setInt64 } from "./_int64.ts";
import { decodeStackT, encodeStackT, type Sigset, type StackT } from "./signal.ts";
import { encodeSiginfo, SIZEOF_SIGINFO, type Siginfo } from "./siginfo.ts";

// uc_flags.
/** The fpstate area is an XSAVE image: its sw_reserved bytes carry FP_XSTATE_MAGIC1. */
export const UC_FP_XSTATE = 0x1;
/** sigcontext.ss holds the interrupted SS (every kernel since 4.6). */
export const UC_SIGCONTEXT_SS = 0x2;
/** rt_sigreturn restores ss as saved, without fixing up an invalid one. */
export const UC_STRICT_RESTORE_SS = 0x4;

// struct _fpx_sw_bytes and the XSAVE frame markers.
export const FP_XSTATE_MAGIC1 = 0x46505853;
/** The 4-byte marker right after the XSAVE image: at fpstate + extended_size - 4. */
export const FP_XSTATE_MAGIC2 = 0x46505845;
export const FP_XSTATE_MAGIC2_SIZE = 4;
export const X86_FXSR_MAGIC = 0x0000;

// XSAVE feature bits (arch/x86/include/asm/fpu/types.h): x87, SSE, AVX upper halves.
export const XFEATURE_MASK_FP = 0x1;
export const XFEATURE_MASK_SSE = 0x2;
export const XFEATURE_MASK_YMM = 0x4;
/** The MXCSR of a fresh FPU state (all exceptions masked, round to nearest). */
export const MXCSR_DEFAULT = 0x1f80;

// Segment selectors of 64-bit user mode (arch/x86/include/asm/segment.h).
export const __USER_CS = 0x33;
export const __USER_DS = 0x2b;

// RFLAGS bits (arch/x86/include/uapi/asm/processor-flags.h).
export const X86_EFLAGS_CF = 0x00000001;
export const X86_EFLAGS_FIXED = 0x00000002;
export const X86_EFLAGS_PF = 0x00000004;
export const X86_EFLAGS_AF = 0x00000010;
export const X86_EFLAGS_ZF = 0x00000040;
export const X86_EFLAGS_SF = 0x00000080;
export const X86_EFLAGS_TF = 0x00000100;
export const X86_EFLAGS_IF = 0x00000200;
export const X86_EFLAGS_DF = 0x00000400;
export const X86_EFLAGS_OF = 0x00000800;
export const X86_EFLAGS_RF = 0x00010000;
export const X86_EFLAGS_AC = 0x00040000;
export const X86_EFLAGS_ID = 0x00200000;
/** The eflags bits rt_sigreturn takes from sigcontext (arch/x86/include/asm/sighandling.h); the rest stay. */
export const FIX_EFLAGS =
  X86_EFLAGS_AC | X86_EFLAGS_OF | X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_SF | X86_EFLAGS_ZF | X86_EFLAGS_AF |
  X86_EFLAGS_PF | X86_EFLAGS_CF | X86_EFLAGS_RF;

// sigcontext.trapno: the exception vector of a fault (arch/x86/include/asm/trapnr.h).
export const X86_TRAP_DE = 0;
export const X86_TRAP_DB = 1;
export const X86_TRAP_NMI = 2;
export const X86_TRAP_BP = 3;
export const X86_TRAP_OF = 4;
export const X86_TRAP_BR = 5;
export const X86_TRAP_UD = 6;
export const X86_TRAP_NM = 7;
export const X86_TRAP_DF = 8;
export const X86_TRAP_OLD_MF = 9;
export const X86_TRAP_TS = 10;
export const X86_TRAP_NP = 11;
export const X86_TRAP_SS = 12;
export const X86_TRAP_GP = 13;
export const X86_TRAP_PF = 14;
export const X86_TRAP_SPURIOUS = 15;
export const X86_TRAP_MF = 16;
export const X86_TRAP_AC = 17;
export const X86_TRAP_MC = 18;
export const X86_TRAP_XF = 19;
export const X86_TRAP_VE = 20;
export const X86_TRAP_CP = 21;

// sigcontext.err of a page fault (X86_TRAP_PF): the hardware error code (asm/trap_pf.h).
export const X86_PF_PROT = 1 << 0;
export const X86_PF_WRITE = 1 << 1;
export const X86_PF_USER = 1 << 2;
export const X86_PF_RSVD = 1 << 3;
export const X86_PF_INSTR = 1 << 4;
export const X86_PF_PK = 1 << 5;
export const X86_PF_SHSTK = 1 << 6;
export const X86_PF_SGX = 1 << 15;

/**
 * struct sigcontext (x86-64), the uc_mcontext of the frame. Registers are bigints: any 64-bit
 * value, exactly. err and trapno are small hardware codes, fpstate a user address.
 */
export interface Sigcontext {
  r8: bigint;
  r9: bigint;
  r10: bigint;
  r11: bigint;
  r12: bigint;
  r13: bigint;
  r14: bigint;
  r15: bigint;
  rdi: bigint;
  rsi: bigint;
  rbp: bigint;
  rbx: bigint;
  rdx: bigint;
  rax: bigint;
  rcx: bigint;
  rsp: bigint;
  rip: bigint;
  eflags: bigint;
  cs: number;
  /** Always written 0 (fs and gs are not saved: their bases are, by arch_prctl). */
  gs: number;
  fs: number;
  /** The interrupted SS (named __pad0 for pre-UC_SIGCONTEXT_SS user space). */
  ss: number;
  /** The hardware error code of the fault (X86_PF_* for a page fault). */
  err: number;
  /** The exception vector of the fault (X86_TRAP_*). */
  trapno: number;
  /** The first word of the mask to restore (the same as uc_sigmask). */
  oldmask: Sigset;
  /** The faulting address of a page fault. */
  cr2: bigint;
  /** The address of the FP state (struct _fpstate_64, or an XSAVE image); 0 for none. */
  fpstate: number;
}
export const SIZEOF_SIGCONTEXT = 256;
export const SIGCONTEXT_FIELDS = {
  r8: 0,
  r9: 8,
  r10: 16,
  r11: 24,
  r12: 32,
  r13: 40,
  r14: 48,
  r15: 56,
  rdi: 64,
  rsi: 72,
  rbp: 80,
  rbx: 88,
  rdx: 96,
  rax: 104,
  rcx: 112,
  rsp: 120,
  rip: 128,
  eflags: 136,
  cs: 144,
  gs: 146,
  fs: 148,
  ss: 150,
  __pad0: 150,
  err: 152,
  trapno: 160,
  oldmask: 168,
  cr2: 176,
  fpstate: 184,
  reserved1: 192,
} as const;

/** The 64-bit register slots of struct sigcontext in memory order: gregs[REG_*] order up to REG_EFL. */
export const SIGCONTEXT_REGS = [
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx", "rdx", "rax", "rcx", "rsp",
  "rip", "eflags",
] as const;

function setU64(view: DataView, at: number, value: bigint): void {
  view.setBigUint64(at, BigInt.asUintN(64, value), true);
}

/** Write all 256 bytes of a struct sigcontext (reserved1 zeroed). */
export function encodeSigcontext(view: DataView, offset: number, sc: Sigcontext): void {
  const f = SIGCONTEXT_FIELDS;
  for (const r of SIGCONTEXT_REGS) setU64(view, offset + f[r], sc[r]);
  view.setUint16(offset + f.cs, sc.cs, true);
  view.setUint16(offset + f.gs, sc.gs, true);
  view.setUint16(offset + f.fs, sc.fs, true);
  view.setUint16(offset + f.ss, sc.ss, true);
  setInt64(view, offset + f.err, sc.err);
  setInt64(view, offset + f.trapno, sc.trapno);
  setU64(view, offset + f.oldmask, sc.oldmask);
  setU64(view, offset + f.cr2, sc.cr2);
  setInt64(view, offset + f.fpstate, sc.fpstate);
  for (let i = f.reserved1; i < SIZEOF_SIGCONTEXT; i += 4) view.setUint32(offset + i, 0, true);
}

export function decodeSigcontext(view: DataView, offset: number): Sigcontext {
  const f = SIGCONTEXT_FIELDS;
  const u64 = (at: number): bigint => view.getBigUint64(offset + at, true);
  return {
    r8: u64(f.r8),
    r9: u64(f.r9),
    r10: u64(f.r10),
    r11: u64(f.r11),
    r12: u64(f.r12),
    r13: u64(f.r13),
    r14: u64(f.r14),
    r15: u64(f.r15),
    rdi: u64(f.rdi),
    rsi: u64(f.rsi),
    rbp: u64(f.rbp),
    rbx: u64(f.rbx),
    rdx: u64(f.rdx),
    rax: u64(f.rax),
    rcx: u64(f.rcx),
    rsp: u64(f.rsp),
    rip: u64(f.rip),
    eflags: u64(f.eflags),
    cs: view.getUint16(offset + f.cs, true),
    gs: view.getUint16(offset + f.gs, true),
    fs: view.getUint16(offset + f.fs, true),
    ss: view.getUint16(offset + f.ss, true),
    err: getUint64(view, offset + f.err),
    trapno: getUint64(view, offset + f.trapno),
    oldmask: u64(f.oldmask),
    cr2: u64(f.cr2),
    fpstate: getUint64(view, offset + f.fpstate),
  };
}

/** struct ucontext as the kernel writes it (asm-generic/ucontext.h): uc_sigmask is 8 bytes. */
export interface Ucontext {
  /** UC_* flags. */
  uc_flags: number;
  uc_link: number;
  uc_stack: StackT;
  uc_mcontext: Sigcontext;
  uc_sigmask: Sigset;
}
export const SIZEOF_UCONTEXT = 304;
export const UCONTEXT_FIELDS = { uc_flags: 0, uc_link: 8, uc_stack: 16, uc_mcontext: 40, uc_sigmask: 296 } as const;

/** Write all 304 bytes of a kernel struct ucontext. */
export function encodeUcontext(view: DataView, offset: number, uc: Ucontext): void {
  const f = UCONTEXT_FIELDS;
  setInt64(view, offset + f.uc_flags, uc.uc_flags);
  setInt64(view, offset + f.uc_link, uc.uc_link);
  encodeStackT(view, offset + f.uc_stack, uc.uc_stack);
  encodeSigcontext(view, offset + f.uc_mcontext, uc.uc_mcontext);
  setU64(view, offset + f.uc_sigmask, uc.uc_sigmask);
}

export function decodeUcontext(view: DataView, offset: number): Ucontext {
  const f = UCONTEXT_FIELDS;
  return {
    uc_flags: getUint64(view, offset + f.uc_flags),
    uc_link: getUint64(view, offset + f.uc_link),
    uc_stack: decodeStackT(view, offset + f.uc_stack),
    uc_mcontext: decodeSigcontext(view, offset + f.uc_mcontext),
    uc_sigmask: view.getBigUint64(offset + f.uc_sigmask, true),
  };
}

/** struct rt_sigframe (arch/x86/include/asm/sigframe.h): what rsp points at on handler entry. */
export interface RtSigframe {
  /** The return address of the handler: sa_restorer, which calls rt_sigreturn. */
  pretcode: number;
  uc: Ucontext;
  /** The siginfo; null writes zeros (the kernel writes it only for SA_SIGINFO handlers). */
  info: Siginfo | null;
}
export const SIZEOF_RT_SIGFRAME = 440;
export const RT_SIGFRAME_FIELDS = { pretcode: 0, uc: 8, info: 312 } as const;

/** Write all 440 bytes of a struct rt_sigframe at `offset` (the handler's entry rsp). */
export function encodeRtSigframe(view: DataView, offset: number, frame: RtSigframe): void {
  const f = RT_SIGFRAME_FIELDS;
  setInt64(view, offset + f.pretcode, frame.pretcode);
  encodeUcontext(view, offset + f.uc, frame.uc);
  if (frame.info !== null) encodeSiginfo(view, offset + f.info, frame.info);
  else for (let i = 0; i < SIZEOF_SIGINFO; i += 4) view.setUint32(offset + f.info + i, 0, true);
}

// Where get_sigframe() puts the frame.
/** The x86-64 ABI red zone below rsp that a signal frame skips (not on the alternate stack). */
export const SIGFRAME_REDZONE = 128;
/** The FP state (an FXSAVE/XSAVE image) is 64-byte aligned. */
export const FPSTATE_ALIGNMENT = 64;
/** The rt_sigframe is placed so that frame + 8 is a multiple of this, as after a call. */
export const FRAME_ALIGNMENT = 16;

/**
 * xstate_sigframe_size(): the bytes of FP state a frame holds. `userSize` is the FXSAVE (512)
 * or XSAVE image size; with XSAVE, FP_XSTATE_MAGIC2 follows the image.
 */
export function xstateSigframeSize(userSize: number, xsave: boolean): number {
  return xsave ? userSize + FP_XSTATE_MAGIC2_SIZE : userSize;
}

/** fpu__alloc_mathframe(): the FP state's address below stack top `sp`. */
export function allocMathframe(sp: number, fpSize: number): number {
  const at = sp - fpSize;
  return at - (at % FPSTATE_ALIGNMENT);
}

/** align_sigframe(): the frame address for a frame ending at or below `sp`: 16n - 8. */
export function alignSigframe(sp: number): number {
  return sp - (sp % FRAME_ALIGNMENT) - 8;
}

/** The rt_sigframe's address below FP state at `fpstate`. */
export function rtSigframeAddress(fpstate: number): number {
  return alignSigframe(fpstate - SIZEOF_RT_SIGFRAME);
}

/** struct _fpx_sw_bytes: software data in the last 48 bytes of the FXSAVE area. */
export interface FpxSwBytes {
  /** FP_XSTATE_MAGIC1 for an XSAVE image, 0 for a plain FXSAVE one. */
  magic1: number;
  /** Bytes from fpstate to the end of FP_XSTATE_MAGIC2. */
  extended_size: number;
  /** The XFEATURE_MASK_* bits saved. */
  xfeatures: bigint;
  /** The XSAVE image size (without FP_XSTATE_MAGIC2). */
  xstate_size: number;
}
export const SIZEOF_FPX_SW_BYTES = 48;
export const FPX_SW_BYTES_FIELDS = { magic1: 0, extended_size: 4, xfeatures: 8, xstate_size: 16, padding: 20 } as const;

/** Write all 48 bytes (padding zeroed). */
export function encodeFpxSwBytes(view: DataView, offset: number, sw: FpxSwBytes): void {
  const f = FPX_SW_BYTES_FIELDS;
  view.setUint32(offset + f.magic1, sw.magic1 >>> 0, true);
  view.setUint32(offset + f.extended_size, sw.extended_size >>> 0, true);
  setU64(view, offset + f.xfeatures, sw.xfeatures);
  view.setUint32(offset + f.xstate_size, sw.xstate_size >>> 0, true);
  for (let i = f.padding; i < SIZEOF_FPX_SW_BYTES; i += 4) view.setUint32(offset + i, 0, true);
}

export function decodeFpxSwBytes(view: DataView, offset: number): FpxSwBytes {
  const f = FPX_SW_BYTES_FIELDS;
  return {
    magic1: view.getUint32(offset + f.magic1, true),
    extended_size: view.getUint32(offset + f.extended_size, true),
    xfeatures: view.getBigUint64(offset + f.xfeatures, true),
    xstate_size: view.getUint32(offset + f.xstate_size, true),
  };
}

/**
 * struct _fpstate_64: the 512-byte FXSAVE image (glibc's struct _libc_fpstate and
 * struct user_fpregs_struct call twd "ftw" and mxcsr_mask "mxcr_mask").
 */
export interface Fpstate {
  cwd: number;
  swd: number;
  /** The abridged (FXSAVE) tag word: one bit per register, not the x87 FSAVE one. */
  twd: number;
  fop: number;
  rip: bigint;
  rdp: bigint;
  mxcsr: number;
  mxcsr_mask: number;
  /** st0..st7, 16 bytes each (10 used): 128 bytes. */
  st_space: Uint8Array;
  /** xmm0..xmm15, 16 bytes each: 256 bytes. */
  xmm_space: Uint8Array;
  sw_reserved: FpxSwBytes;
}
export const SIZEOF_FPSTATE = 512;
export const FPSTATE_FIELDS = {
  cwd: 0,
  swd: 2,
  twd: 4,
  fop: 6,
  rip: 8,
  rdp: 16,
  mxcsr: 24,
  mxcsr_mask: 28,
  st_space: 32,
  xmm_space: 160,
  reserved2: 416,
  sw_reserved: 464,
} as const;
const ST_SPACE_BYTES = 128;
const XMM_SPACE_BYTES = 256;

function copyIn(view: DataView, at: number, bytes: Uint8Array, len: number): void {
  for (let i = 0; i < len; i++) view.setUint8(at + i, bytes[i] ?? 0);
}

function copyOut(view: DataView, at: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = view.getUint8(at + i);
  return out;
}

/** Write all 512 bytes of the FXSAVE area (reserved2 zeroed; short arrays zero-filled). */
export function encodeFpstate(view: DataView, offset: number, fp: Fpstate): void {
  const f = FPSTATE_FIELDS;
  view.setUint16(offset + f.cwd, fp.cwd, true);
  view.setUint16(offset + f.swd, fp.swd, true);
  view.setUint16(offset + f.twd, fp.twd, true);
  view.setUint16(offset + f.fop, fp.fop, true);
  setU64(view, offset + f.rip, fp.rip);
  setU64(view, offset + f.rdp, fp.rdp);
  view.setUint32(offset + f.mxcsr, fp.mxcsr >>> 0, true);
  view.setUint32(offset + f.mxcsr_mask, fp.mxcsr_mask >>> 0, true);
  copyIn(view, offset + f.st_space, fp.st_space, ST_SPACE_BYTES);
  copyIn(view, offset + f.xmm_space, fp.xmm_space, XMM_SPACE_BYTES);
  for (let i = f.reserved2; i < f.sw_reserved; i += 4) view.setUint32(offset + i, 0, true);
  encodeFpxSwBytes(view, offset + f.sw_reserved, fp.sw_reserved);
}

export function decodeFpstate(view: DataView, offset: number): Fpstate {
  const f = FPSTATE_FIELDS;
  return {
    cwd: view.getUint16(offset + f.cwd, true),
    swd: view.getUint16(offset + f.swd, true),
    twd: view.getUint16(offset + f.twd, true),
    fop: view.getUint16(offset + f.fop, true),
    rip: view.getBigUint64(offset + f.rip, true),
    rdp: view.getBigUint64(offset + f.rdp, true),
    mxcsr: view.getUint32(offset + f.mxcsr, true),
    mxcsr_mask: view.getUint32(offset + f.mxcsr_mask, true),
    st_space: copyOut(view, offset + f.st_space, ST_SPACE_BYTES),
    xmm_space: copyOut(view, offset + f.xmm_space, XMM_SPACE_BYTES),
    sw_reserved: decodeFpxSwBytes(view, offset + f.sw_reserved),
  };
}

/** struct _xstate: the FXSAVE area, the 64-byte XSAVE header, then the YMM upper halves. */
export const SIZEOF_XSTATE = 832;
export const XSTATE_FIELDS = { fpstate: 0, xstate_hdr: 512, ymmh: 576 } as const;
/** struct _header, the XSAVE header. */
export const SIZEOF_XSTATE_HEADER = 64;
export const XSTATE_HEADER_FIELDS = { xfeatures: 0, reserved1: 8, reserved2: 24 } as const;

// ucontext_t as the C library declares it. Its first 304 bytes are the kernel's struct
// ucontext: gregs[REG_R8..REG_EFL] are the sigcontext registers, gregs[REG_CSGSFS] packs
// cs, gs, fs and ss, then err, trapno, oldmask and cr2, and fpregs is sigcontext.fpstate. Its
// uc_sigmask is a 128-byte sigset_t, so in a signal frame only its first 8 bytes are the
// context's: the rest overlaps rt_sigframe.info.

export const REG_R8 = 0;
export const REG_R9 = 1;
export const REG_R10 = 2;
export const REG_R11 = 3;
export const REG_R12 = 4;
export const REG_R13 = 5;
export const REG_R14 = 6;
export const REG_R15 = 7;
export const REG_RDI = 8;
export const REG_RSI = 9;
export const REG_RBP = 10;
export const REG_RBX = 11;
export const REG_RDX = 12;
export const REG_RAX = 13;
export const REG_RCX = 14;
export const REG_RSP = 15;
export const REG_RIP = 16;
export const REG_EFL = 17;
/** cs, gs, fs and ss (__pad0) as four 16-bit fields of one greg. */
export const REG_CSGSFS = 18;
export const REG_ERR = 19;
export const REG_TRAPNO = 20;
export const REG_OLDMASK = 21;
export const REG_CR2 = 22;
/** The number of gregs. */
export const NGREG = 23;

/** mcontext_t: gregs[NGREG], the fpregs pointer, __reserved1[8]: 256 bytes, as struct sigcontext. */
export const SIZEOF_MCONTEXT = 256;
export const MCONTEXT_FIELDS = { gregs: 0, fpregs: 184, __reserved1: 192 } as const;
/** ucontext_t (glibc and musl agree on these offsets). */
export const LIBC_UCONTEXT_FIELDS = {
  uc_flags: 0,
  uc_link: 8,
  uc_stack: 16,
  uc_mcontext: 40,
  uc_sigmask: 296,
  __fpregs_mem: 424,
} as const;
/** sizeof(ucontext_t) in glibc: __fpregs_mem, then __ssp[4] (shadow-stack state). */
export const SIZEOF_GLIBC_UCONTEXT = 968;
/** sizeof(ucontext_t) in musl: ends with __fpregs_mem. */
export const SIZEOF_MUSL_UCONTEXT = 936;
