import { beforeEach, describe, expect, it } from "vitest";
import { SEGV_MAPERR, SI_QUEUE, SI_USER, SIZEOF_SIGINFO, decodeSiginfo, type Siginfo } from "../../../linux-abi/siginfo.ts";
import {
  SA_ONSTACK, SA_RESTORER, SA_SIGINFO, SIGBUS, SIGCHLD, SIGRTMIN, SIGSEGV, SIGTERM, SIGUSR1, SIGUSR2, SS_AUTODISARM,
  sigmask, type Sigaction,
} from "../../../linux-abi/signal.ts";
import {
  FIX_EFLAGS, RT_SIGFRAME_FIELDS, SIZEOF_FPSTATE, SIZEOF_RT_SIGFRAME, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS,
  X86_EFLAGS_CF, X86_EFLAGS_DF, X86_EFLAGS_ID, X86_EFLAGS_IF, X86_EFLAGS_OF, X86_EFLAGS_RF, X86_EFLAGS_TF,
  X86_EFLAGS_ZF, __USER_CS, __USER_DS, decodeUcontext,
} from "../../../linux-abi/signal_frame.ts";
import { Msg, X86_64_MESSAGE_REGISTERS } from "../../../syscall-shim/x86_64.ts";
import { GuestMemory, MemoryIds, PROT_READ, PROT_WRITE } from "../../../libos/memory.ts";
import { SigPending, type Thread } from "../../../libos/process.ts";
import { getWord as getReg, setWord as setReg } from "../../../microkernel/mod.ts";
import { dequeue, nextSignal, restoreFrame, setupFrame, type UserContext } from "../../../libos/signals.ts";
import { FakeVSpace } from "./_fake_vspace.ts";
import { killInfo, makeProcess, makeThread } from "./_fake_process.ts";

const RW = PROT_READ | PROT_WRITE;

function rtInfo(sig: number, value: bigint): Siginfo {
  return { layout: "rt", si_signo: sig, si_errno: 0, si_code: SI_QUEUE, si_pid: 7, si_uid: 1000, si_value: value };
}

describe("SigPending", () => {
  it("holds a standard signal once: a second one merges", () => {
    const p = new SigPending();
    const first = killInfo(SIGUSR1, 11);
    expect(p.add(first)).toBe(true);
    expect(p.add(killInfo(SIGUSR1, 22))).toBe(false);
    expect(p.set).toBe(sigmask(SIGUSR1));
    expect(p.take(SIGUSR1)).toBe(first);
    expect(p.set).toBe(0n);
    expect(p.take(SIGUSR1)).toBeNull();
    expect(p.add(killInfo(SIGUSR1, 33))).toBe(true);
  });

  it("queues real-time signals and hands them out in order", () => {
    const p = new SigPending();
    expect(p.add(rtInfo(SIGRTMIN + 1, 1n))).toBe(true);
    expect(p.add(rtInfo(SIGRTMIN + 1, 2n))).toBe(true);
    expect(p.add(rtInfo(SIGRTMIN, 3n))).toBe(true);
    expect(p.add(rtInfo(SIGRTMIN + 1, 4n))).toBe(true);
    expect(p.set).toBe(sigmask(SIGRTMIN) | sigmask(SIGRTMIN + 1));
    const values = (sig: number): bigint[] => {
      const out: bigint[] = [];
      for (let i = p.take(sig); i; i = p.take(sig)) out.push((i as { si_value: bigint }).si_value);
      return out;
    };
    const one = p.take(SIGRTMIN + 1) as { si_value: bigint };
    expect(one.si_value).toBe(1n);
    expect(p.set & sigmask(SIGRTMIN + 1)).not.toBe(0n);
    expect(values(SIGRTMIN + 1)).toEqual([2n, 4n]);
    expect(p.set).toBe(sigmask(SIGRTMIN));
    expect(values(SIGRTMIN)).toEqual([3n]);
    expect(p.set).toBe(0n);
  });

  it("discard() drops every record of one signal only", () => {
    const p = new SigPending();
    p.add(rtInfo(SIGRTMIN, 1n));
    p.add(rtInfo(SIGRTMIN, 2n));
    p.add(killInfo(SIGUSR2));
    p.add(killInfo(SIGTERM));
    p.discard(SIGRTMIN);
    p.discard(SIGUSR2);
    expect(p.set).toBe(sigmask(SIGTERM));
    expect(p.take(SIGRTMIN)).toBeNull();
    expect(p.take(SIGUSR2)).toBeNull();
    expect(p.take(SIGTERM)?.si_signo).toBe(SIGTERM);
    p.discard(SIGCHLD); // not pending: nothing happens
    expect(p.set).toBe(0n);
  });

  it("bounds the real-time queue but still takes standard signals", () => {
    const p = new SigPending();
    let accepted = 0;
    for (let i = 0; i < 1100; i++) if (p.add(rtInfo(SIGRTMIN + 2, BigInt(i)))) accepted++;
    expect(accepted).toBe(1024);
    expect(p.add(killInfo(SIGUSR1))).toBe(true);
    expect((p.take(SIGRTMIN + 2) as { si_value: bigint }).si_value).toBe(0n);
    expect(p.add(rtInfo(SIGRTMIN + 2, 5000n))).toBe(false); // SIGUSR1 took the freed place
    p.take(SIGUSR1);
    expect(p.add(rtInfo(SIGRTMIN + 2, 5001n))).toBe(true);
  });
});

describe("nextSignal() and dequeue()", () => {
  let t: Thread;
  beforeEach(() => {
    t = makeThread();
  });

  it("is 0 with nothing pending", () => {
    expect(nextSignal(t)).toBe(0);
    expect(t.signalPending()).toBe(false);
  });

  it("takes synchronous (fault) signals first", () => {
    t.process.pending.add(killInfo(SIGUSR1));
    t.pending.add(killInfo(SIGSEGV));
    expect(nextSignal(t)).toBe(SIGSEGV);
    t.pending.add(killInfo(SIGBUS));
    expect(nextSignal(t)).toBe(SIGBUS);
  });

  it("otherwise takes the lowest number, from the thread's or the process's set", () => {
    t.pending.add(killInfo(SIGTERM));
    t.process.pending.add(killInfo(SIGUSR2));
    expect(nextSignal(t)).toBe(SIGUSR2);
    t.pending.add(rtInfo(SIGRTMIN + 3, 0n));
    t.process.pending.add(killInfo(SIGUSR1));
    expect(nextSignal(t)).toBe(SIGUSR1);
  });

  it("takes real-time signals lowest first, after the standard ones", () => {
    t.pending.add(rtInfo(SIGRTMIN + 5, 0n));
    t.process.pending.add(rtInfo(SIGRTMIN + 1, 0n));
    expect(nextSignal(t)).toBe(SIGRTMIN + 1);
    t.pending.add(killInfo(SIGCHLD));
    expect(nextSignal(t)).toBe(SIGCHLD);
  });

  it("honours the mask, also for synchronous signals", () => {
    t.pending.add(killInfo(SIGSEGV));
    t.pending.add(killInfo(SIGUSR1));
    t.pending.add(killInfo(SIGTERM));
    t.sigmask = sigmask(SIGSEGV) | sigmask(SIGUSR1);
    expect(nextSignal(t)).toBe(SIGTERM);
    t.sigmask |= sigmask(SIGTERM);
    expect(nextSignal(t)).toBe(0);
    expect(t.signalPending()).toBe(false);
    t.sigmask = 0n;
    expect(nextSignal(t)).toBe(SIGSEGV);
    expect(t.signalPending()).toBe(true);
  });

  it("dequeue() takes the thread's record first, then the process's", () => {
    const mine = killInfo(SIGUSR1, 1), shared = killInfo(SIGUSR1, 2);
    t.pending.add(mine);
    t.process.pending.add(shared);
    expect(dequeue(t, SIGUSR1)).toBe(mine);
    expect(nextSignal(t)).toBe(SIGUSR1);
    expect(dequeue(t, SIGUSR1)).toBe(shared);
    expect(nextSignal(t)).toBe(0);
  });

  it("dequeue() of a signal with no record makes up a kill(2) one", () => {
    expect(dequeue(t, SIGTERM)).toEqual({ layout: "kill", si_signo: SIGTERM, si_errno: 0, si_code: SI_USER, si_pid: 0, si_uid: 0 });
  });
});

// ----- signal frames -------------------------------------------------------------------

const STACK_LO = 0x7ff000000000;
const STACK_SIZE = 0x10000;
const STACK_HI = STACK_LO + STACK_SIZE;
const ALT_LO = 0x7ff000100000;
const ALT_SIZE = 0x4000;
const HANDLER = 0x401000;
const RESTORER = 0x401800;
const NREGS = X86_64_MESSAGE_REGISTERS.length;

class FakeContext implements UserContext {
  readonly regs = new Uint32Array(240);
  readonly fp = new Uint8Array(SIZEOF_FPSTATE);
  readFp(out: Uint8Array): void {
    out.set(this.fp);
  }
  writeFp(src: Uint8Array): void {
    expect(src.length).toBe(SIZEOF_FPSTATE);
    this.fp.set(src);
  }
}

const action = (flags = 0): Sigaction => ({ sa_handler: HANDLER, sa_flags: SA_RESTORER | SA_SIGINFO | flags, sa_restorer: RESTORER, sa_mask: 0n });

function reg64(regs: Uint32Array, i: number): bigint {
  return BigInt(regs[i * 2]!) | (BigInt(regs[i * 2 + 1]!) << 32n);
}

describe("setupFrame() and restoreFrame()", () => {
  let mem: GuestMemory;
  let t: Thread;
  let ctx: FakeContext;
  const ORIG_RSP = STACK_HI - 0x1000 + 0x123; // deliberately misaligned
  const ORIG_FLAGS = X86_EFLAGS_IF | 0x2 | X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_RF;

  beforeEach(() => {
    mem = new GuestMemory(new FakeVSpace(), new MemoryIds());
    expect(mem.mmapAnonymous(STACK_LO, STACK_SIZE, RW, true)).toBe(STACK_LO);
    expect(mem.mmapAnonymous(ALT_LO, 0x10000, RW, true)).toBe(ALT_LO);
    t = makeThread(makeProcess(mem));
    ctx = new FakeContext();
    // Every register a distinct full 64-bit value; words past the register block too.
    for (let i = 0; i < ctx.regs.length; i++) ctx.regs[i] = (0x9e3779b9 * (i + 1)) >>> 0;
    setReg(ctx.regs, Msg.rsp, ORIG_RSP);
    setReg(ctx.regs, Msg.rip, 0x402345);
    setReg(ctx.regs, Msg.rflags, ORIG_FLAGS);
    for (let i = 0; i < ctx.fp.length; i++) ctx.fp[i] = (i * 13 + 1) & 0xff;
  });

  function frameBytes(addr: number, len: number): DataView {
    const b = mem.view(addr, len, PROT_READ)!;
    expect(b).not.toBeNull();
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  it("aims the registers at the handler with the frame below the red zone", () => {
    const info = rtInfo(SIGUSR1, 0x1122334455667788n);
    expect(setupFrame(t, ctx, info, action(), sigmask(SIGTERM))).toBe(true);
    const frame = getReg(ctx.regs, Msg.rsp);
    expect(getReg(ctx.regs, Msg.rip)).toBe(HANDLER);
    expect(getReg(ctx.regs, Msg.rdi)).toBe(SIGUSR1);
    expect(getReg(ctx.regs, Msg.rsi)).toBe(frame + RT_SIGFRAME_FIELDS.info);
    expect(getReg(ctx.regs, Msg.rdx)).toBe(frame + RT_SIGFRAME_FIELDS.uc);
    expect(getReg(ctx.regs, Msg.rax)).toBe(0);
    // As after a call: rsp + 8 is 16-byte aligned.
    expect((frame + 8) % 16).toBe(0);
    // The whole frame and its FP state lie below the red zone, inside the stack.
    const uc = decodeUcontext(frameBytes(frame, SIZEOF_RT_SIGFRAME), RT_SIGFRAME_FIELDS.uc);
    const fpstate = uc.uc_mcontext.fpstate;
    expect(fpstate % 64).toBe(0);
    expect(frame + SIZEOF_RT_SIGFRAME).toBeLessThanOrEqual(fpstate);
    expect(fpstate + SIZEOF_FPSTATE).toBeLessThanOrEqual(ORIG_RSP - 128);
    expect(frame).toBeGreaterThan(ORIG_RSP - 128 - SIZEOF_FPSTATE - SIZEOF_RT_SIGFRAME - 64 - 16);
    // DF, TF and RF are cleared for the handler; the rest of the flags stay.
    expect(getReg(ctx.regs, Msg.rflags)).toBe(ORIG_FLAGS & ~(X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_RF));
  });

  it("writes sa_restorer as the return address, the siginfo, and a ucontext of every register", () => {
    const before = ctx.regs.slice();
    const info = rtInfo(SIGUSR1, 0xfedcba9876543210n);
    const oldMask = sigmask(SIGTERM) | sigmask(SIGRTMIN + 3);
    expect(setupFrame(t, ctx, info, action(), oldMask)).toBe(true);
    const frame = getReg(ctx.regs, Msg.rsp);
    expect(mem.u64(frame)).toBe(RESTORER);
    expect(decodeSiginfo(frameBytes(getReg(ctx.regs, Msg.rsi), SIZEOF_SIGINFO), 0)).toEqual(info);
    const uc = decodeUcontext(frameBytes(getReg(ctx.regs, Msg.rdx), SIZEOF_RT_SIGFRAME - 8), 0);
    expect(uc.uc_flags).toBe(UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
    expect(uc.uc_link).toBe(0);
    expect(uc.uc_sigmask).toBe(oldMask);
    const sc = uc.uc_mcontext;
    expect(sc.oldmask).toBe(oldMask);
    expect([sc.cs, sc.ss]).toEqual([__USER_CS, __USER_DS]);
    expect(sc.cr2).toBe(0n);
    for (const name of X86_64_MESSAGE_REGISTERS) {
      const key = name === "rflags" ? "eflags" : name;
      expect([name, sc[key]]).toEqual([name, reg64(before, Msg[name])]);
    }
    // The FP state in the frame is the interrupted one; the handler starts with a fresh one.
    const saved = mem.view(sc.fpstate, SIZEOF_FPSTATE, PROT_READ)!;
    const expectedFp = new Uint8Array(SIZEOF_FPSTATE);
    for (let i = 0; i < expectedFp.length; i++) expectedFp[i] = (i * 13 + 1) & 0xff;
    expect(Buffer.compare(saved, expectedFp)).toBe(0);
    const fresh = new DataView(ctx.fp.buffer);
    expect(fresh.getUint16(0, true)).toBe(0x037f);
    expect(fresh.getUint32(24, true)).toBe(0x1f80);
    expect(ctx.fp.subarray(32).every((b) => b === 0)).toBe(true);
  });

  it("records the faulting address of a fault signal in cr2", () => {
    const info: Siginfo = { layout: "fault", si_signo: SIGSEGV, si_errno: 0, si_code: SEGV_MAPERR, si_addr: 0xdead000n };
    expect(setupFrame(t, ctx, info, action(), 0n)).toBe(true);
    const uc = decodeUcontext(frameBytes(getReg(ctx.regs, Msg.rdx), SIZEOF_RT_SIGFRAME - 8), 0);
    expect(uc.uc_mcontext.cr2).toBe(0xdead000n);
    expect(decodeSiginfo(frameBytes(getReg(ctx.regs, Msg.rsi), SIZEOF_SIGINFO), 0)).toEqual(info);
  });

  it("round trip: after the handler's ret, rt_sigreturn restores every register, the FPU and the mask", () => {
    const before = ctx.regs.slice();
    const fpBefore = ctx.fp.slice();
    const oldMask = sigmask(SIGUSR2);
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(), oldMask)).toBe(true);
    const frame = getReg(ctx.regs, Msg.rsp);
    // The handler clobbers every register and the FPU, keeps the non-FIX_EFLAGS flags, then returns.
    for (let i = 0; i < NREGS * 2; i++) ctx.regs[i] = 0xdeadbeef;
    setReg(ctx.regs, Msg.rflags, ORIG_FLAGS & ~FIX_EFLAGS);
    ctx.fp.fill(0x55);
    setReg(ctx.regs, Msg.rsp, frame + 8);
    expect(restoreFrame(t, ctx)).toEqual({ mask: oldMask });
    for (const name of X86_64_MESSAGE_REGISTERS) expect([name, reg64(ctx.regs, Msg[name])]).toEqual([name, reg64(before, Msg[name])]);
    expect(Array.from(ctx.regs)).toEqual(Array.from(before)); // nothing past the register block changed either
    expect(Buffer.compare(ctx.fp, fpBefore)).toBe(0);
  });

  it("rt_sigreturn takes only the FIX_EFLAGS bits from the frame", () => {
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(), 0n)).toBe(true);
    const frame = getReg(ctx.regs, Msg.rsp);
    // The handler edits the saved eflags (uc_mcontext) and runs with ID set and IF clear.
    const eflagsAt = frame + RT_SIGFRAME_FIELDS.uc + 40 + 136;
    const edited = X86_EFLAGS_OF | X86_EFLAGS_ID | 0x2;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, edited, true);
    expect(mem.write(eflagsAt, b)).toBe(true);
    setReg(ctx.regs, Msg.rflags, X86_EFLAGS_ID | 0x2);
    setReg(ctx.regs, Msg.rsp, frame + 8);
    expect(restoreFrame(t, ctx)).not.toBeNull();
    // OF comes from the frame; ID stays as the handler had it; IF is not taken from the frame.
    expect(getReg(ctx.regs, Msg.rflags)).toBe(X86_EFLAGS_OF | X86_EFLAGS_ID | 0x2);
  });

  it("restoreFrame() returns null when the frame is not readable", () => {
    setReg(ctx.regs, Msg.rsp, 0x900000 + 8);
    expect(restoreFrame(t, ctx)).toBeNull();
  });

  it("with SA_ONSTACK puts the frame on the alternate stack and records it in uc_stack", () => {
    t.altStack = { sp: ALT_LO, size: ALT_SIZE, flags: 0 };
    const before = ctx.regs.slice();
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(SA_ONSTACK), 0n)).toBe(true);
    const frame = getReg(ctx.regs, Msg.rsp);
    expect(frame).toBeGreaterThanOrEqual(ALT_LO);
    expect(frame + SIZEOF_RT_SIGFRAME + SIZEOF_FPSTATE).toBeLessThanOrEqual(ALT_LO + ALT_SIZE);
    expect((frame + 8) % 16).toBe(0);
    const uc = decodeUcontext(frameBytes(getReg(ctx.regs, Msg.rdx), SIZEOF_RT_SIGFRAME - 8), 0);
    expect(uc.uc_stack.ss_sp).toBe(ALT_LO);
    expect(uc.uc_stack.ss_size).toBe(ALT_SIZE);
    expect(uc.uc_mcontext.rsp).toBe(BigInt(ORIG_RSP));
    setReg(ctx.regs, Msg.rsp, frame + 8);
    expect(restoreFrame(t, ctx)).not.toBeNull();
    expect(getReg(ctx.regs, Msg.rsp)).toBe(ORIG_RSP);
    expect(Array.from(ctx.regs.subarray(0, NREGS * 2))).toEqual(Array.from(before.subarray(0, NREGS * 2)));
    expect(t.altStack).toEqual({ sp: ALT_LO, size: ALT_SIZE, flags: 0 });
  });

  it("without SA_ONSTACK stays on the normal stack even with an alternate stack set", () => {
    t.altStack = { sp: ALT_LO, size: ALT_SIZE, flags: 0 };
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(), 0n)).toBe(true);
    const frame = getReg(ctx.regs, Msg.rsp);
    expect(frame).toBeGreaterThan(STACK_LO);
    expect(frame).toBeLessThan(ORIG_RSP - 128);
  });

  it("a nested signal already on the alternate stack goes below the current rsp there", () => {
    t.altStack = { sp: ALT_LO, size: ALT_SIZE, flags: 0 };
    const inside = ALT_LO + 0x3000;
    setReg(ctx.regs, Msg.rsp, inside);
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(SA_ONSTACK), 0n)).toBe(true);
    const frame = getReg(ctx.regs, Msg.rsp);
    expect(frame).toBeGreaterThanOrEqual(ALT_LO);
    expect(frame + SIZEOF_RT_SIGFRAME + SIZEOF_FPSTATE).toBeLessThanOrEqual(inside - 128);
  });

  // Linux (arch/x86/kernel/signal.c get_sigframe(), since 5.14): a frame that would not fit
  // on the alternate stack it is entering or already on ("overflowed sigaltstack") is not
  // written; delivery fails and the thread gets SIGSEGV. Here the frame is written below
  // ss_sp, over whatever the program keeps there.
  it("a nested frame that would overflow the alternate stack is refused, not written below it", () => {
    const ss = ALT_LO + 0x1000;
    t.altStack = { sp: ss, size: 2048, flags: 0 }; // MINSIGSTKSZ
    setReg(ctx.regs, Msg.rsp, ss + 0x200); // a handler already running near the bottom of it
    const below = mem.view(ALT_LO, 0x1000, PROT_READ)!.slice();
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(SA_ONSTACK), 0n)).toBe(false);
    expect(Buffer.compare(mem.view(ALT_LO, 0x1000, PROT_READ)!, below)).toBe(0);
  });

  it("SS_AUTODISARM: the alternate stack is disarmed for the handler and re-armed by rt_sigreturn", () => {
    t.altStack = { sp: ALT_LO, size: ALT_SIZE, flags: SS_AUTODISARM };
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(SA_ONSTACK), 0n)).toBe(true);
    expect(t.altStack.size).toBe(0);
    const frame = getReg(ctx.regs, Msg.rsp);
    expect(frame).toBeGreaterThanOrEqual(ALT_LO);
    const uc = decodeUcontext(frameBytes(getReg(ctx.regs, Msg.rdx), SIZEOF_RT_SIGFRAME - 8), 0);
    expect(uc.uc_stack.ss_flags & SS_AUTODISARM).not.toBe(0);
    setReg(ctx.regs, Msg.rsp, frame + 8);
    expect(restoreFrame(t, ctx)).not.toBeNull();
    expect([t.altStack.sp, t.altStack.size]).toEqual([ALT_LO, ALT_SIZE]);
    expect(t.altStack.flags & SS_AUTODISARM).not.toBe(0);
    // Armed again: the next SA_ONSTACK signal uses it (and disarms it) once more.
    setReg(ctx.regs, Msg.rsp, ORIG_RSP);
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(SA_ONSTACK), 0n)).toBe(true);
    expect(getReg(ctx.regs, Msg.rsp)).toBeGreaterThanOrEqual(ALT_LO);
    expect(t.altStack.size).toBe(0);
  });

  it("returns false and changes no register when the stack is unmapped", () => {
    setReg(ctx.regs, Msg.rsp, 0x900000);
    const before = ctx.regs.slice();
    const fpBefore = ctx.fp.slice();
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(), 0n)).toBe(false);
    expect(Array.from(ctx.regs)).toEqual(Array.from(before));
    expect(Buffer.compare(ctx.fp, fpBefore)).toBe(0);
  });

  it("returns false when the stack is read-only", () => {
    expect(mem.protect(STACK_LO, STACK_SIZE, PROT_READ)).toBe(0);
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(), 0n)).toBe(false);
    expect(getReg(ctx.regs, Msg.rsp)).toBe(ORIG_RSP);
  });

  it("returns false when the frame would run off the bottom of the stack", () => {
    setReg(ctx.regs, Msg.rsp, STACK_LO + 0x200);
    expect(setupFrame(t, ctx, killInfo(SIGUSR1), action(), 0n)).toBe(false);
    expect(getReg(ctx.regs, Msg.rip)).toBe(0x402345);
  });
});
