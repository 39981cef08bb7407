// A three-page guest on any CPU platform, for the platform tests: code at CODE (R|X), data
// at DATA (R|W), read-only data at RODATA (R), RIP at CODE and RSP near the data page's top.
import { expect } from "vitest";
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
