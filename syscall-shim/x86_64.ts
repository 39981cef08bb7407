// x86-64 trap ↔ UnknownSyscall fault message.
//
// The Vcpu's register block is laid out in message order, so after the engine's batched
// read the fault message is already complete: word 0 is the syscall number (RAX), words
// 1-6 the arguments in Linux's order (RDI RSI RDX R10 R8 R9), then the rest of the user
// register set so a handler that needs it (signals, fork, exec) has it without asking.
//
// Reply convention (ours, seL4-like): a reply of length 1 rewrites RAX only; a reply of
// length FULL_LENGTH rewrites every register in the message (sigreturn, exec, signal
// delivery).
//
// RIP in the message is the return address (past the 2-byte `syscall`), as in Linux's
// pt_regs, so a restart rewinds it by SYSCALL_INSN_BYTES. (Engine fact, Unicorn 2.1.4:
// inside the trap the engine itself reports the instruction's own address and adds its
// length afterwards, also to a RIP written inside the trap; the CPU platform hides this.)

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

export const SYSCALL_NR = 0;
export const RESULT = 0;
export const FIRST_ARG = 1;
export const FULL_LENGTH = X86_64_MESSAGE_REGISTERS.length;
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
