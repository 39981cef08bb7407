import { describe, expect, it } from "vitest";
import {
  FIRST_ARG, FSR_MAPPED, Msg, RESULT, SYSCALL_MESSAGE_LENGTH, SYSCALL_NR, UserExceptionMsg, VmFaultMsg, X86Vector,
  X86_64_MESSAGE_REGISTERS, X86_64_REGISTER_LAYOUT,
} from "../../../syscall-shim/x86_64.ts";

describe("UnknownSyscall message", () => {
  it("Msg puts RAX first, the six arguments in Linux's order, then RIP", () => {
    expect([Msg.rax, Msg.rdi, Msg.rsi, Msg.rdx, Msg.r10, Msg.r8, Msg.r9, Msg.rip]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([Msg.rsp, Msg.rflags]).toEqual([8, 9]);
  });

  it("SYSCALL_NR and RESULT are RAX and FIRST_ARG is RDI", () => {
    expect(SYSCALL_NR).toBe(Msg.rax);
    expect(RESULT).toBe(Msg.rax);
    expect(FIRST_ARG).toBe(Msg.rdi);
  });

  it("Msg indexes every register once", () => {
    expect(X86_64_MESSAGE_REGISTERS.length).toBe(18);
    expect(new Set(X86_64_MESSAGE_REGISTERS).size).toBe(18);
    X86_64_MESSAGE_REGISTERS.forEach((r, i) => expect(Msg[r]).toBe(i));
    expect(Object.isFrozen(Msg)).toBe(true);
  });

  it("the message is the number, the six arguments and RIP; a trap loads only those", () => {
    expect(SYSCALL_MESSAGE_LENGTH).toBe(8);
    expect(X86_64_REGISTER_LAYOUT.names).toBe(X86_64_MESSAGE_REGISTERS);
    expect(X86_64_REGISTER_LAYOUT.trapped).toBe(SYSCALL_MESSAGE_LENGTH);
  });

  it("Msg holds the registers Linux's syscall clobbers and the callee-saved ones", () => {
    for (const r of ["rcx", "r11", "rbx", "rbp", "r12", "r13", "r14", "r15"] as const) {
      expect(Msg[r]).toBeGreaterThan(Msg.rflags);
    }
  });
});

describe("fault messages", () => {
  it("VmFaultMsg follows seL4's x86 layout", () => {
    expect(VmFaultMsg).toEqual({ IP: 0, ADDR: 1, PREFETCH: 2, FSR: 3, LENGTH: 4 });
    expect(FSR_MAPPED).toBe(8);
  });

  it("UserExceptionMsg and X86Vector use the architecture's vector numbers", () => {
    expect(UserExceptionMsg).toEqual({ IP: 0, SP: 1, FLAGS: 2, NUMBER: 3, CODE: 4, LENGTH: 5 });
    expect(X86Vector).toEqual({ DivideError: 0, Breakpoint: 3, InvalidOpcode: 6, GeneralProtection: 13, AlignmentCheck: 17 });
  });
});
