// x86-64 trap ↔ UnknownSyscall fault message.
//
// The Vcpu's register block is laid out in message order, so after the engine's batched
// read the fault message is already complete: word 0 is the syscall number (RAX), words
// 1-6 the arguments in Linux's order (RDI RSI RDX R10 R8 R9), word 7 the return address.
// The message is those eight words. The rest of the user register set follows them in
// the block, loaded only when a handler asks for the thread's context (signals, fork,
// sigreturn), as seL4's TCB ReadRegisters would: a trap reads 8 registers, not 18.
//
// Reply convention (ours, seL4-like): a reply of length 1 rewrites RAX only; an empty
// reply resumes the thread from registers the handler rewrote through its context
// (sigreturn, exec, signal delivery).
//
// RIP in the message is the return address (past the 2-byte `syscall`), as in Linux's
// pt_regs, so a restart rewinds it by SYSCALL_INSN_BYTES. (Engine fact, Unicorn 2.1.4:
// inside the trap the engine itself reports the instruction's own address and adds its
// length afterwards, also to a RIP written inside the trap; the CPU platform hides this.)

import type { RegisterLayout } from "../microkernel/platform/cpu.ts";

export const X86_64_MESSAGE_REGISTERS = [
  "rax", "rdi", "rsi", "rdx", "r10", "r8", "r9",
  "rip", "rsp", "rflags",
  "rbx", "rcx", "rbp", "r11", "r12", "r13", "r14", "r15",
] as const;

export type X86Register = (typeof X86_64_MESSAGE_REGISTERS)[number];

/** Word index of each register in the UnknownSyscall message. */
export const Msg = Object.freeze(
  Object.fromEntries(X86_64_MESSAGE_REGISTERS.map((r, i) => [r, i])) as { readonly [K in X86Register]: number },
);

/** The UnknownSyscall message: number, six arguments, RIP. */
export const SYSCALL_MESSAGE_LENGTH = Msg.rip + 1;

/** The Vcpu register layout: the whole user register set, the message's part trapped. */
export const X86_64_REGISTER_LAYOUT: RegisterLayout = { names: X86_64_MESSAGE_REGISTERS, trapped: SYSCALL_MESSAGE_LENGTH };

export const SYSCALL_NR = 0;
export const RESULT = 0;
export const FIRST_ARG = 1;
export const SYSCALL_INSN_BYTES = 2;

/**
 * VMFault message (seL4's x86 layout): faulting IP, fault address, whether it was an
 * instruction fetch, and the access as a fault status word: bit 0 read, bit 1 write,
 * bit 2 execute, bit 3 the page was mapped (a protection fault, not a missing page).
 */
export const VmFaultMsg = { IP: 0, ADDR: 1, PREFETCH: 2, FSR: 3, LENGTH: 4 } as const;
export const FSR_MAPPED = 8;

/** UserException message: IP, SP, flags, the x86 exception vector, an error code. */
export const UserExceptionMsg = { IP: 0, SP: 1, FLAGS: 2, NUMBER: 3, CODE: 4, LENGTH: 5 } as const;

/** x86 exception vectors the CPU platform reports; 6 also stands for an undecodable instruction. */
export const X86Vector = { DivideError: 0, Breakpoint: 3, InvalidOpcode: 6, GeneralProtection: 13, AlignmentCheck: 17 } as const;
