// Signal delivery mechanics (Linux: kernel/signal.c, arch/x86/kernel/signal*.c).
//
//   nextSignal      which pending, unblocked signal goes first: synchronous (fault)
//                   signals, then the lowest number; real-time signals in order
//                   (firstSignal: the same choice in any set, as signalfd makes it).
//   dequeue         take its siginfo from the thread's queue, else the process's.
//   setupFrame      build an rt_sigframe on the user stack (or the alternate stack):
//                   the fxsave image, a ucontext holding every register and the mask to
//                   restore, the siginfo; then point the registers at the handler, with
//                   sa_restorer as its return address.
//   restoreFrame    rt_sigreturn: read the ucontext back into the registers, the FPU
//                   state and the mask.
//
// The registers are a thread's register block (syscall-shim order, two uint32 per
// register), which the CPU platform loads when the thread next runs.

import type { Siginfo } from "../linux-abi/siginfo.ts";
import { SI_USER } from "../linux-abi/siginfo.ts";
import {
  RT_SIGFRAME_FIELDS, SIGFRAME_REDZONE, SIZEOF_FPSTATE, SIZEOF_RT_SIGFRAME, UC_SIGCONTEXT_SS,
  UC_STRICT_RESTORE_SS, X86_EFLAGS_DF, X86_EFLAGS_RF, X86_EFLAGS_TF, __USER_CS, __USER_DS, allocMathframe,
  decodeUcontext, encodeRtSigframe, rtSigframeAddress, FIX_EFLAGS, type Sigcontext,
} from "../linux-abi/signal_frame.ts";
import { SA_ONSTACK, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, SYNCHRONOUS_MASK, type Sigaction, type Sigset } from "../linux-abi/signal.ts";
import { getWord as getReg, setWord as setReg } from "../microkernel/mod.ts";
import { Msg } from "../syscall-shim/x86_64.ts";
import type { Thread } from "./process.ts";

/** A thread's user-mode state as the CPU platform keeps it between runs. */
export interface UserContext {
  readonly regs: Uint32Array;
  readFp(out: Uint8Array): void;
  writeFp(src: Uint8Array): void;
}

function getBig(regs: Uint32Array, i: number): bigint {
  return BigInt(regs[i * 2]!) | (BigInt(regs[i * 2 + 1]!) << 32n);
}

function setBig(regs: Uint32Array, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  regs[i * 2] = Number(u & 0xffffffffn);
  regs[i * 2 + 1] = Number(u >> 32n);
}

/** A signed 64-bit register value (a syscall's result in RAX). */
export function getSignedReg(regs: Uint32Array, i: number): number {
  return regs[i * 2]! + (regs[i * 2 + 1]! | 0) * 4294967296;
}

const lowestBit = (set: Sigset): number => {
  let sig = 1;
  for (let s = set; (s & 1n) === 0n; s >>= 1n) sig++;
  return sig;
};

/** Which signal of `set` goes first (Linux's next_signal), or 0 for none. */
export function firstSignal(set: Sigset): number {
  if (set === 0n) return 0;
  const sync = set & SYNCHRONOUS_MASK;
  return lowestBit(sync !== 0n ? sync : set);
}

/** The next signal to deliver to `t`, or 0. */
export function nextSignal(t: Thread): number {
  return firstSignal(t.deliverable());
}

export function dequeue(t: Thread, sig: number): Siginfo {
  return t.pending.take(sig) ?? t.process.pending.take(sig) ?? { layout: "kill", si_signo: sig, si_errno: 0, si_code: SI_USER, si_pid: 0, si_uid: 0 };
}

const SIGCONTEXT_ORDER = [
  ["r8", Msg.r8], ["r9", Msg.r9], ["r10", Msg.r10], ["r11", Msg.r11], ["r12", Msg.r12], ["r13", Msg.r13],
  ["r14", Msg.r14], ["r15", Msg.r15], ["rdi", Msg.rdi], ["rsi", Msg.rsi], ["rbp", Msg.rbp], ["rbx", Msg.rbx],
  ["rdx", Msg.rdx], ["rax", Msg.rax], ["rcx", Msg.rcx], ["rsp", Msg.rsp], ["rip", Msg.rip], ["eflags", Msg.rflags],
] as const;

function onAltStack(t: Thread, sp: number): boolean {
  const a = t.altStack;
  return a.size > 0 && sp > a.sp && sp <= a.sp + a.size;
}

/** The stack_t a frame records (and sigaltstack reports). */
export function altStackState(t: Thread, sp: number): { ss_sp: number; ss_flags: number; ss_size: number } {
  const a = t.altStack;
  if (a.size === 0) return { ss_sp: a.sp, ss_flags: SS_DISABLE, ss_size: 0 };
  return { ss_sp: a.sp, ss_flags: (onAltStack(t, sp) ? SS_ONSTACK : 0) | a.flags, ss_size: a.size };
}

/**
 * Set up a handler frame for `info` and aim the registers at the handler. `oldMask` is the
 * mask the handler's return restores. False when the frame cannot be written (the caller
 * then forces SIGSEGV, as Linux's signal_setup_done does).
 */
export function setupFrame(t: Thread, ctx: UserContext, info: Siginfo, action: Sigaction, oldMask: Sigset): boolean {
  const regs = ctx.regs;
  const mem = t.process.memory;
  const sp = getReg(regs, Msg.rsp);
  const altState = altStackState(t, sp);
  const alt = t.altStack;
  const entering = (action.sa_flags & SA_ONSTACK) !== 0 && alt.size > 0 && !onAltStack(t, sp);
  const top = entering ? alt.sp + alt.size : sp - SIGFRAME_REDZONE;
  const fpAddr = allocMathframe(top, SIZEOF_FPSTATE);
  const frameAddr = rtSigframeAddress(fpAddr);
  // A frame that does not fit on the alternate stack is refused (Linux ≥ 5.14), not
  // written over whatever lies below it.
  if ((entering || onAltStack(t, sp)) && frameAddr < alt.sp) return false;
  if (entering && alt.flags & SS_AUTODISARM) t.altStack = { sp: 0, size: 0, flags: 0 };
  const fx = new Uint8Array(SIZEOF_FPSTATE);
  ctx.readFp(fx);
  const mc = {} as Record<string, bigint>;
  for (const [name, i] of SIGCONTEXT_ORDER) mc[name] = getBig(regs, i);
  const sc: Sigcontext = {
    ...(mc as unknown as Pick<Sigcontext, (typeof SIGCONTEXT_ORDER)[number][0]>),
    cs: __USER_CS, gs: 0, fs: 0, ss: __USER_DS, err: 0, trapno: 0, oldmask: oldMask,
    cr2: info.layout === "fault" ? info.si_addr : 0n, fpstate: fpAddr,
  };
  const bytes = new Uint8Array(fpAddr + SIZEOF_FPSTATE - frameAddr);
  const view = new DataView(bytes.buffer);
  encodeRtSigframe(view, 0, {
    pretcode: action.sa_restorer,
    uc: { uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, uc_link: 0, uc_stack: altState, uc_mcontext: sc, uc_sigmask: oldMask },
    info,
  });
  bytes.set(fx, fpAddr - frameAddr);
  if (frameAddr < 0 || !mem.write(frameAddr, bytes)) return false;
  setReg(regs, Msg.rsp, frameAddr);
  setReg(regs, Msg.rip, action.sa_handler);
  setReg(regs, Msg.rdi, info.si_signo);
  setReg(regs, Msg.rsi, frameAddr + RT_SIGFRAME_FIELDS.info);
  setReg(regs, Msg.rdx, frameAddr + RT_SIGFRAME_FIELDS.uc);
  setReg(regs, Msg.rax, 0);
  setReg(regs, Msg.rflags, getReg(regs, Msg.rflags) & ~(X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_RF));
  // The handler starts with Linux's fresh FPU state (fpu__clear_user_states).
  fx.fill(0);
  new DataView(fx.buffer).setUint16(0, 0x037f, true);
  new DataView(fx.buffer).setUint32(24, 0x1f80, true);
  ctx.writeFp(fx);
  return true;
}

/**
 * rt_sigreturn: the frame sits where the handler's `ret` left rsp (8 bytes above the frame
 * start). Restores registers, FPU state, mask and alternate stack; null if the frame is
 * unreadable (the caller forces SIGSEGV).
 */
export function restoreFrame(t: Thread, ctx: UserContext): { mask: Sigset } | null {
  const regs = ctx.regs;
  const frameAddr = getReg(regs, Msg.rsp) - 8;
  const mem = t.process.memory;
  const raw = mem.view(frameAddr, SIZEOF_RT_SIGFRAME, 1);
  if (!raw) return null;
  const uc = decodeUcontext(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), RT_SIGFRAME_FIELDS.uc);
  const sc = uc.uc_mcontext;
  const flags = getBig(regs, Msg.rflags);
  for (const [name, i] of SIGCONTEXT_ORDER) setBig(regs, i, sc[name]);
  // User space may change only the arithmetic and direction flags (FIX_EFLAGS).
  setBig(regs, Msg.rflags, (flags & ~BigInt(FIX_EFLAGS)) | (sc.eflags & BigInt(FIX_EFLAGS)));
  if (sc.fpstate !== 0) {
    const fx = mem.view(sc.fpstate, SIZEOF_FPSTATE, 1);
    if (!fx) return null;
    ctx.writeFp(fx.slice());
  }
  const ss = uc.uc_stack;
  if ((ss.ss_flags & SS_DISABLE) === 0 && ss.ss_size > 0) t.altStack = { sp: ss.ss_sp, size: ss.ss_size, flags: ss.ss_flags & SS_AUTODISARM };
  else if (ss.ss_flags & SS_DISABLE) t.altStack = { sp: 0, size: 0, flags: 0 };
  return { mask: uc.uc_sigmask };
}
