// What a thread's CPU fault means (Linux: arch/x86/mm/fault.c, arch/x86/kernel/traps.c).
//
//   faultSignal      a VMFault or UserException message: a write to a copy-on-write page
//                    is resolved here, a failed copy is out of memory, anything else is
//                    the siginfo of the signal Linux raises (SIGSEGV, SIGBUS, SIGFPE…)
//   describeSignal   that siginfo as strace prints it ("--- SIGSEGV {…} ---")
//
// The kernel-task (kernel_task.ts faulted()) raises the signal or ends the process.

import {
  BUS_ADRALN, BUS_ADRERR, FPE_INTDIV, ILL_ILLOPN, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL, TRAP_BRKPT, type Siginfo,
} from "../linux-abi/siginfo.ts";
import { SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, signalName } from "../linux-abi/signal.ts";
import { FSR_MAPPED, UserExceptionMsg, VmFaultMsg, X86Vector } from "../syscall-shim/x86_64.ts";
import type { GuestMemory } from "./memory.ts";

/** The fault message of thread memory `mem`: "resolved" (resume), "oom" (a copy on write failed), or the signal to raise. */
export function faultSignal(mem: GuestMemory, kind: "VMFault" | "UserException", words: Uint32Array): Siginfo | "resolved" | "oom" {
  if (kind === "UserException") {
    const ip = words[UserExceptionMsg.IP * 2]! + words[UserExceptionMsg.IP * 2 + 1]! * 4294967296;
    return exceptionInfo(words[UserExceptionMsg.NUMBER * 2]!, ip);
  }
  const addr = words[VmFaultMsg.ADDR * 2]! + words[VmFaultMsg.ADDR * 2 + 1]! * 4294967296;
  const fsr = words[VmFaultMsg.FSR * 2]!;
  const write = (fsr & 2) !== 0;
  if (write && mem.resolveWriteFault(addr)) return "resolved";
  if (write && mem.isCopyOnWrite(addr)) return "oom";
  if (mem.isPastEndOfFile(addr)) return { layout: "fault", si_signo: SIGBUS, si_errno: 0, si_code: BUS_ADRERR, si_addr: BigInt(addr) };
  const code = (fsr & FSR_MAPPED) !== 0 ? SEGV_ACCERR : SEGV_MAPERR;
  return { layout: "fault", si_signo: SIGSEGV, si_errno: 0, si_code: code, si_addr: BigInt(addr) };
}

/** The signal and si_code of a CPU exception (arch/x86/kernel/traps.c). */
function exceptionInfo(vector: number, ip: number): Siginfo {
  const fault = (si_signo: number, si_code: number, addr: number): Siginfo => ({ layout: "fault", si_signo, si_errno: 0, si_code, si_addr: BigInt(addr) });
  switch (vector) {
    case X86Vector.DivideError:
      return fault(SIGFPE, FPE_INTDIV, ip);
    case X86Vector.Breakpoint:
      return fault(SIGTRAP, TRAP_BRKPT, 0);
    case X86Vector.InvalidOpcode:
      return fault(SIGILL, ILL_ILLOPN, ip);
    case X86Vector.AlignmentCheck:
      return fault(SIGBUS, BUS_ADRALN, 0);
    default:
      return { layout: "kill", si_signo: SIGSEGV, si_errno: 0, si_code: SI_KERNEL, si_pid: 0, si_uid: 0 };
  }
}

const CODE_NAMES: Record<number, Record<number, string>> = {
  [SIGSEGV]: { [SEGV_MAPERR]: "SEGV_MAPERR", [SEGV_ACCERR]: "SEGV_ACCERR" },
  [SIGFPE]: { [FPE_INTDIV]: "FPE_INTDIV" },
  [SIGILL]: { [ILL_ILLOPN]: "ILL_ILLOPN" },
  [SIGTRAP]: { [TRAP_BRKPT]: "TRAP_BRKPT" },
  [SIGBUS]: { [BUS_ADRALN]: "BUS_ADRALN", [BUS_ADRERR]: "BUS_ADRERR" },
};

/** A fault's siginfo as strace prints it between the `---` marks. */
export function describeSignal(info: Siginfo): string {
  const name = signalName(info.si_signo) ?? `SIG${info.si_signo}`;
  if (info.layout !== "fault") return `${name} {si_signo=${name}, si_code=${info.si_code === SI_KERNEL ? "SI_KERNEL" : info.si_code}}`;
  const code = CODE_NAMES[info.si_signo]?.[info.si_code] ?? String(info.si_code);
  return `${name} {si_signo=${name}, si_code=${code}, si_addr=0x${info.si_addr.toString(16)}}`;
}
