import { describe, expect, it } from "vitest";
import { describeSignal, faultSignal } from "../../../libos/cpu_faults.ts";
import { GuestMemory, MemoryIds } from "../../../libos/memory.ts";
import { BUS_ADRALN, FPE_INTDIV, ILL_ILLOPN, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL, TRAP_BRKPT } from "../../../linux-abi/siginfo.ts";
import { SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP } from "../../../linux-abi/signal.ts";
import { FSR_MAPPED, UserExceptionMsg, VmFaultMsg, X86Vector } from "../../../syscall-shim/x86_64.ts";
import { FakeVSpace } from "./_fake_vspace.ts";

/** A fault message's words: each field is two uint32 words, low half first. */
function message(fields: Record<number, number>, length: number): Uint32Array {
  const words = new Uint32Array(length * 2);
  for (const [i, v] of Object.entries(fields)) {
    words[Number(i) * 2] = v % 2 ** 32;
    words[Number(i) * 2 + 1] = Math.floor(v / 2 ** 32);
  }
  return words;
}

const memory = (): GuestMemory => new GuestMemory(new FakeVSpace(), new MemoryIds());

describe("faultSignal()", () => {
  it("a VMFault on an unmapped page is SIGSEGV SEGV_MAPERR, on a mapped one SEGV_ACCERR, with the address", () => {
    const addr = 0x7f12_3456_7000;
    const unmapped = faultSignal(memory(), "VMFault", message({ [VmFaultMsg.ADDR]: addr, [VmFaultMsg.FSR]: 2 }, VmFaultMsg.LENGTH));
    expect(unmapped).toEqual({ layout: "fault", si_signo: SIGSEGV, si_errno: 0, si_code: SEGV_MAPERR, si_addr: BigInt(addr) });
    const mapped = faultSignal(memory(), "VMFault", message({ [VmFaultMsg.ADDR]: addr, [VmFaultMsg.FSR]: FSR_MAPPED }, VmFaultMsg.LENGTH));
    expect(mapped).toMatchObject({ si_signo: SIGSEGV, si_code: SEGV_ACCERR });
  });

  it("a UserException is the signal of its vector (traps.c), at the instruction for #DE and #UD", () => {
    const ip = 0x401000;
    const raise = (vector: number) => faultSignal(memory(), "UserException", message({ [UserExceptionMsg.IP]: ip, [UserExceptionMsg.NUMBER]: vector }, UserExceptionMsg.LENGTH));
    expect(raise(X86Vector.DivideError)).toMatchObject({ si_signo: SIGFPE, si_code: FPE_INTDIV, si_addr: BigInt(ip) });
    expect(raise(X86Vector.InvalidOpcode)).toMatchObject({ si_signo: SIGILL, si_code: ILL_ILLOPN, si_addr: BigInt(ip) });
    expect(raise(X86Vector.Breakpoint)).toMatchObject({ si_signo: SIGTRAP, si_code: TRAP_BRKPT, si_addr: 0n });
    expect(raise(X86Vector.AlignmentCheck)).toMatchObject({ si_signo: SIGBUS, si_code: BUS_ADRALN });
    expect(raise(X86Vector.GeneralProtection)).toMatchObject({ layout: "kill", si_signo: SIGSEGV, si_code: SI_KERNEL });
  });
});

describe("describeSignal()", () => {
  it("prints a fault's code by name and its address in hex, a kernel signal's SI_KERNEL, as strace does", () => {
    expect(describeSignal({ layout: "fault", si_signo: SIGSEGV, si_errno: 0, si_code: SEGV_MAPERR, si_addr: 0x10n }))
      .toBe("SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10}");
    expect(describeSignal({ layout: "kill", si_signo: SIGSEGV, si_errno: 0, si_code: SI_KERNEL, si_pid: 0, si_uid: 0 }))
      .toBe("SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL}");
  });
});
