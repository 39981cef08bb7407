// A three-page guest on any CPU platform, for the platform tests: code at CODE (R|X), data
// at DATA (R|W), read-only data at RODATA (R), RIP at CODE and RSP near the data page's top;
// SYSCALL_PROGRAM, and the syscall cases both platforms pass alike (syscallCases).
import { expect, it, type TestContext } from "vitest";
import { Perm, type CpuEngine, type StopReason, type Vcpu } from "../../../../microkernel/platform/cpu.ts";
import { allocFrameMemory, freeFrameMemory } from "../../../../microkernel/platform/frame_chunks.ts";
import type { NativeBlock } from "../../../../microkernel/platform/unicorn_ffi.ts";
import { Msg, X86_64_REGISTER_LAYOUT } from "../../../../syscall-shim/x86_64.ts";

export const CODE = 0x10000;
export const DATA = 0x11000;
export const RODATA = 0x12000;
export const PAGE = 4096;

export interface Guest<E extends CpuEngine> {
  engine: E;
  vcpu: Vcpu;
  text: Uint8Array;
  data: Uint8Array;
  rodata: Uint8Array;
  run(budgetUs: number, onSyscall?: (vcpu: Vcpu) => boolean, backstopUs?: number): StopReason;
}

export function reg(vcpu: Vcpu, index: number): number {
  return vcpu.regs[index * 2]! + vcpu.regs[index * 2 + 1]! * 2 ** 32;
}

export function setReg(vcpu: Vcpu, index: number, value: number): void {
  vcpu.regs[index * 2] = value >>> 0;
  vcpu.regs[index * 2 + 1] = Math.floor(value / 2 ** 32);
}

/**
 * `engine` with the code page holding `code`; its undoing goes on `cleanups`. `budget`
 * maps a run's budget to the one the engine gets (a platform may want every run bounded).
 */
export function bootGuest<E extends CpuEngine>(
  engine: E, code: readonly number[], cleanups: (() => void)[], budget: (us: number) => number = (us) => us,
): Guest<E> {
  const blocks: NativeBlock[] = [allocFrameMemory(PAGE), allocFrameMemory(PAGE), allocFrameMemory(PAGE)];
  const [text, data, rodata] = blocks as [NativeBlock, NativeBlock, NativeBlock];
  text.bytes.set(code);
  expect(engine.map(CODE, text.address, PAGE, Perm.Read | Perm.Exec)).toBe(0);
  expect(engine.map(DATA, data.address, PAGE, Perm.Read | Perm.Write)).toBe(0);
  expect(engine.map(RODATA, rodata.address, PAGE, Perm.Read)).toBe(0);
  const vcpu = engine.createVcpu(X86_64_REGISTER_LAYOUT);
  vcpu.readAll();
  setReg(vcpu, Msg.rip, CODE);
  setReg(vcpu, Msg.rsp, DATA + PAGE - 64);
  vcpu.writeAll();
  cleanups.push(() => {
    engine.dispose();
    blocks.forEach(freeFrameMemory);
  });
  return {
    engine, vcpu, text: text.bytes, data: data.bytes, rodata: rodata.bytes,
    run: (budgetUs, onSyscall = () => false, backstopUs = budgetUs) => ({ ...engine.run(vcpu, budget(budgetUs), onSyscall, backstopUs) }),
  };
}

// mov eax, 39 · mov edi, 0x1234 · movabs rsi, 0x1122334455667788 · syscall (at +0x14)
// mov qword ptr [0x11000], rax · mov eax, 60 · syscall (at +0x23) · jmp $ (at +0x25)
export const SYSCALL_PROGRAM = [
  0xb8, 0x27, 0x00, 0x00, 0x00,
  0xbf, 0x34, 0x12, 0x00, 0x00,
  0x48, 0xbe, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
  0x0f, 0x05,
  0x48, 0x89, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00,
  0xb8, 0x3c, 0x00, 0x00, 0x00,
  0x0f, 0x05,
  0xeb, 0xfe,
];

/** Cases every platform passes alike, with `boot` its own way to make a guest of `code`. */
export function syscallCases(boot: (ctx: TestContext, code: readonly number[]) => Guest<CpuEngine>): void {
  it("run() makes a result stored with writeOne(0) visible to the guest after the syscall", (ctx) => {
    const g = boot(ctx, SYSCALL_PROGRAM);
    const numbers: number[] = [];
    const stop = g.run(0, (vcpu) => {
      numbers.push(reg(vcpu, Msg.rax));
      if (numbers.length > 1) return false;
      setReg(vcpu, Msg.rax, 0x1_0000_beef);
      vcpu.writeOne(Msg.rax);
      return true;
    });
    expect(numbers).toEqual([39, 60]);
    expect(stop.kind).toBe("syscall");
    expect(new DataView(g.data.buffer, g.data.byteOffset).getBigUint64(0, true)).toBe(0x1_0000_beefn);
  });

  it("run() resumes after a syscall stop from the saved RIP", (ctx) => {
    const g = boot(ctx, SYSCALL_PROGRAM);
    expect(g.run(0, () => false).kind).toBe("syscall");
    g.vcpu.regs[Msg.rax * 2] = 7;
    const second = g.run(0, (vcpu) => reg(vcpu, Msg.rax) !== 60);
    expect(second.kind).toBe("syscall");
    expect(g.data[0]).toBe(7);
    expect(reg(g.vcpu, Msg.rip)).toBe(CODE + 0x25);
  });
}
