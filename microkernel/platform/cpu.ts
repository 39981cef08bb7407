// The CPU platform interface: what the microkernel needs from whatever executes guest code.
//
//   CpuEngine  one guest address space (a Unicorn instance, later a KVM VM): map host
//              memory at guest addresses with permissions, run a Vcpu for a time budget.
//   Vcpu       one thread's register file. Its registers live in native memory laid out
//              as pairs of uint32 (lo, hi) in the order the syscall shim chose, so the
//              fault message IS the register block: no copy between them.
//
// A run returns a StopReason; the engine never interprets a syscall itself, it hands the
// trap to `onSyscall`, which answers "resume now" (fast path) or "stop" (the thread blocks).

export const Perm = { None: 0, Read: 1, Write: 2, Exec: 4 } as const;

export type StopKind =
  | "syscall" // onSyscall asked to stop: the thread blocked or changed state
  | "preempted" // the time budget ran out
  | "memory" // access to unmapped or protected memory
  | "interrupt" // CPU exception or software interrupt (intno)
  | "invalid" // undecodable instruction
  | "error"; // the engine failed for another reason

export interface StopReason {
  kind: StopKind;
  /** Faulting address for "memory"; interrupt number for "interrupt". */
  address: number;
  /** For "memory": Perm bit of the attempted access; whether the page was mapped. */
  access: number;
  mapped: boolean;
  message: string;
}

/** Fills an engine's one StopReason in place (a stop allocates nothing); returns it. */
export function setStop(s: StopReason, kind: StopKind, address: number, access: number, mapped: boolean, message: string): StopReason {
  s.kind = kind;
  s.address = address;
  s.access = access;
  s.mapped = mapped;
  s.message = message;
  return s;
}

/**
 * The register block's layout, the syscall shim's choice: `names` in block order, of which
 * the first `trapped` are all a syscall needs (number, arguments, return address) and are
 * the only ones a trap loads.
 */
export interface RegisterLayout {
  readonly names: readonly string[];
  readonly trapped: number;
}

export interface Vcpu {
  /** Register block: two uint32 per register in the shim's order, sized as a whole IPC
   *  message so it can serve as the thread's message buffer. */
  readonly regs: Uint32Array;
  /** Load every listed register from the engine into `regs`. */
  readAll(): void;
  /** Inside onSyscall the block holds only the trapped registers: load the others (once). */
  readRest(): void;
  /** Store every listed register from `regs` into the engine. */
  writeAll(): void;
  /** Store the register at one index of the list (the syscall result). */
  writeOne(index: number): void;
  /** The x87/SSE state in fxsave layout (512 bytes), as a signal frame holds it. */
  readFpState(out: Uint8Array): void;
  writeFpState(src: Uint8Array): void;
  /** Registers outside the list (TLS bases, control registers), by engine id. */
  readExtra(regId: number): bigint;
  writeExtra(regId: number, value: bigint): void;
  dispose(): void;
}

export interface CpuEngine {
  readonly name: string;
  /** Map host memory (a NativeBlock slice) at a page-aligned guest address. */
  map(guestAddress: number, hostAddress: number, size: number, perms: number): number;
  unmap(guestAddress: number, size: number): number;
  protect(guestAddress: number, size: number, perms: number): number;
  /**
   * A new thread context with the shim's register layout. With `copyOf`, a copy of that
   * Vcpu's whole state (possibly from another engine): fork and thread creation.
   */
  createVcpu(layout: RegisterLayout, copyOf?: Vcpu): Vcpu;
  /** The thread is gone: free its context. */
  releaseVcpu(vcpu: Vcpu): void;
  /**
   * Run `vcpu` from the registers in its block until it stops or `budgetUs` elapses
   * (0 = no limit); a slice ends at the first syscall past the budget. `backstopUs`
   * (default: the budget) bounds a run that makes no syscalls; an engine may stop such
   * a run less exactly (see unicorn_x86_64.ts). Inside `onSyscall` the block holds the
   * trapped registers with RIP past the syscall (readRest loads the others); a stop
   * requested by onSyscall leaves the block as it is, with every register loaded.
   */
  run(vcpu: Vcpu, budgetUs: number, onSyscall: (vcpu: Vcpu) => boolean, backstopUs?: number): StopReason;
  dispose(): void;
}
