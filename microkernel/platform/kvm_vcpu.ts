// A KVM vCPU as the engine's Vcpu: the register block, the kvm_run page, and the vCPU's
// own state ioctls (FPU image, MSRs).
//
// The block is always whole and is the truth off the CPU: every entry loads all of it
// (store), every exit fills it in the view the exit calls for: a syscall's (RIP = RCX,
// RFLAGS = R11, what `syscall` saved), an exception's (RIP, RSP, RFLAGS from the CPU's
// frame), or the registers as they are (a kick). The kvm_run page's synced registers
// (KVM_CAP_SYNC_REGS) are read and written as memory, so none of this costs an ioctl.
//
// A vCPU outlives the thread it ran (KVM cannot destroy one): its VM (kvm_vm.ts) keeps it
// for the next thread, of the same process or of the next one the VM serves.

import type { RegisterLayout, Vcpu } from "./cpu.ts";
import { KVM, type KvmApi } from "./kvm_ffi.ts";
import type { NativeBlock } from "./unicorn_ffi.ts";
import { KERNEL_HIGH, KERNEL_LOW, MSR, SEL, SYS } from "./kvm_guest.ts";

/** Engine ids of the registers outside the block (the Unicorn platform's numbers). */
export const KVM_EXTRA_REG = { fs_base: 250, gs_base: 251 } as const;

const MAX_REGS = 32;
const MESSAGE_WORDS = 120;
const XSAVE_BYTES = 4096;
const FXSAVE_BYTES = 512;
// RFLAGS a user may set: CF PF AF ZF SF DF OF AC ID; IF and bit 1 always.
const USER_FLAGS = 0x240cd5, ALWAYS_FLAGS = 0x202;

// struct kvm_regs order, and where each shim register is in it.
const KVM_REGS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"];
const K = Object.fromEntries(KVM_REGS.map((r, i) => [r, i])) as Record<string, number>;
/** Word index of kvm_run.s.regs.regs in the run page, and of its RIP, RSP and RFLAGS. */
const SYNC = KVM.RUN_SYNC_REGS / 4;
export const RIP = SYNC + K.rip! * 2, RSP = SYNC + K.rsp! * 2, RFLAGS = SYNC + K.rflags! * 2;
/** Exception frame words (after any error code): RIP, CS, RFLAGS, RSP, SS. */
export const FRAME_RIP = 0, FRAME_CS = 2, FRAME_RFLAGS = 4, FRAME_RSP = 6;

export class KvmVcpu implements Vcpu {
  readonly regs = new Uint32Array(MESSAGE_WORDS * 2);
  /** The run page as words (exit reason, synced registers). */
  readonly run32: Uint32Array;
  /** Per block index: the kvm_regs index of the same register. */
  readonly #same: Int8Array;
  /** Per block index: where a syscall leaves it (RIP in RCX, RFLAGS in R11). */
  readonly #fromSyscall: Int8Array;
  readonly #ripIndex: number;
  readonly #rspIndex: number;
  readonly #flagsIndex: number;
  /** The vCPU's ring-0 state must be set again (a kick in user mode, a triple fault). */
  sregsStale = false;
  /** The VM generation of page tables this vCPU's TLB was last flushed at, and the one its entry flushes to. */
  flushedAt = 0;
  flushingTo = 0;
  fsBase = 0n;
  gsBase = 0n;

  constructor(
    readonly api: KvmApi,
    readonly fd: number,
    readonly runPage: NativeBlock,
    layout: RegisterLayout,
  ) {
    const names = layout.names;
    if (names.length > MAX_REGS) throw new RangeError(`Cannot hold ${names.length} registers: at most ${MAX_REGS}`);
    this.run32 = new Uint32Array(runPage.bytes.buffer, runPage.bytes.byteOffset, runPage.bytes.byteLength / 4);
    this.#same = Int8Array.from(names, (n) => {
      const k = K[n];
      if (k === undefined) throw new RangeError(`Cannot map register: unknown name ${n}`);
      return k;
    });
    this.#fromSyscall = Int8Array.from(names, (n) => (n === "rip" ? K.rcx! : n === "rflags" ? K.r11! : K[n]!));
    this.#ripIndex = names.indexOf("rip");
    this.#rspIndex = names.indexOf("rsp");
    this.#flagsIndex = names.indexOf("rflags");
  }

  get layoutLength(): number {
    return this.#same.length;
  }

  /** The block from the synced registers, in the view `map` gives. */
  #load(map: Int8Array): void {
    const r = this.regs, w = this.run32;
    for (let i = 0; i < map.length; i++) {
      const k = SYNC + map[i]! * 2;
      r[i * 2] = w[k]!;
      r[i * 2 + 1] = w[k + 1]!;
    }
  }

  /** A syscall: RIP and RFLAGS as `syscall` saved them. */
  loadSyscall(): void {
    this.#load(this.#fromSyscall);
  }

  /** A kick in user mode: the registers as they are. */
  loadSame(): void {
    this.#load(this.#same);
  }

  /** The words `at` (RIP, RSP or RFLAGS of an exception frame) into block register `index`. */
  #fromFrame(index: number, sys: Uint32Array, at: number): void {
    this.regs[index * 2] = sys[at]!;
    this.regs[index * 2 + 1] = sys[at + 1]!;
  }

  /** An exception in user mode: RIP, RSP, RFLAGS from the CPU's frame at word `frame`. */
  loadException(sys: Uint32Array, frame: number): void {
    this.loadSame();
    this.#fromFrame(this.#ripIndex, sys, frame + FRAME_RIP);
    this.#fromFrame(this.#rspIndex, sys, frame + FRAME_RSP);
    this.#fromFrame(this.#flagsIndex, sys, frame + FRAME_RFLAGS);
  }

  /** A syscall seen as a fault at LSTAR: RSP from the fault's frame. */
  loadFaultedSyscall(sys: Uint32Array, frame: number): void {
    this.loadSyscall();
    this.#fromFrame(this.#rspIndex, sys, frame + FRAME_RSP);
  }

  // The block is always whole and is the truth off the CPU: every entry loads it all.
  readAll(): void {}
  readRest(): void {}
  writeAll(): void {}
  writeOne(): void {}

  /** An entry: every register from the block; RIP, RSP, RFLAGS through the entry frame. */
  store(sys: Uint32Array, entryOffset: number): void {
    const r = this.regs, w = this.run32, same = this.#same;
    for (let i = 0; i < same.length; i++) {
      const k = SYNC + same[i]! * 2;
      w[k] = r[i * 2]!;
      w[k + 1] = r[i * 2 + 1]!;
    }
    const ip = this.#ripIndex * 2, sp = this.#rspIndex * 2, fl = this.#flagsIndex * 2;
    const frame = SYS.ENTRY_FRAME >>> 2;
    sys[frame] = r[ip]!;
    sys[frame + 1] = r[ip + 1]!;
    sys[frame + 2] = SEL.USER_CS;
    sys[frame + 3] = 0;
    sys[frame + 4] = ((r[fl]! & USER_FLAGS) | ALWAYS_FLAGS) >>> 0;
    sys[frame + 5] = 0;
    sys[frame + 6] = r[sp]!;
    sys[frame + 7] = r[sp + 1]!;
    sys[frame + 8] = SEL.USER_DS;
    sys[frame + 9] = 0;
    setKernel(w, RIP, SYS.CODE + entryOffset);
    setKernel(w, RSP, SYS.ENTRY_FRAME);
    w[RFLAGS] = 2;
    w[RFLAGS + 1] = 0;
    w[KVM.RUN_DIRTY_REGS / 4] = KVM.SYNC_X86_REGS;
  }

  /** Back to the `syscall` instruction: a kick came before the stub reported it. */
  rewindSyscall(): void {
    const lo = this.#ripIndex * 2;
    const at = this.regs[lo]! + this.regs[lo + 1]! * 2 ** 32 - 2;
    this.regs[lo] = at >>> 0;
    this.regs[lo + 1] = Math.floor(at / 2 ** 32);
  }

  readFpState(out: Uint8Array): void {
    out.set(this.xsave(null).subarray(0, FXSAVE_BYTES));
  }

  writeFpState(src: Uint8Array): void {
    const image = this.xsave(null);
    const d = new DataView(image.buffer, image.byteOffset, XSAVE_BYTES);
    const mask = d.getUint32(28, true);
    image.set(src.subarray(0, FXSAVE_BYTES));
    // Reserved MXCSR bits would make the load fail; the CPU's own mask stays.
    d.setUint32(24, d.getUint32(24, true) & mask, true);
    d.setUint32(28, mask, true);
    d.setBigUint64(FXSAVE_BYTES, d.getBigUint64(FXSAVE_BYTES, true) | 3n, true); // XSTATE_BV: x87, SSE
    this.xsave(image);
  }

  readExtra(regId: number): bigint {
    if (regId === KVM_EXTRA_REG.fs_base) return this.fsBase;
    if (regId === KVM_EXTRA_REG.gs_base) return this.gsBase;
    throw new RangeError(`Cannot read register ${regId} on KVM: only the FS and GS bases`);
  }

  writeExtra(regId: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    if (regId === KVM_EXTRA_REG.fs_base) this.fsBase = v;
    else if (regId === KVM_EXTRA_REG.gs_base) this.gsBase = v;
    else throw new RangeError(`Cannot write register ${regId} on KVM: only the FS and GS bases`);
    this.setMsrs([[regId === KVM_EXTRA_REG.fs_base ? MSR.FS_BASE : MSR.GS_BASE, v]]);
  }

  setMsrs(msrs: [number, bigint][]): void {
    const s = this.api.scratch;
    const d = new DataView(s.bytes.buffer, s.bytes.byteOffset, 8 + msrs.length * 16);
    d.setUint32(0, msrs.length, true);
    d.setUint32(4, 0, true);
    msrs.forEach(([index, value], i) => {
      d.setUint32(8 + i * 16, index, true);
      d.setUint32(12 + i * 16, 0, true);
      d.setBigUint64(16 + i * 16, value, true);
    });
    const rc = this.api.ioctl(this.fd, KVM.SET_MSRS, s.address);
    if (rc !== msrs.length) throw new Error(`Cannot set the vCPU's MSRs: KVM set ${rc} of ${msrs.length}`);
  }

  /** Read (image null: into the returned scratch view) or write the vCPU's XSAVE image. */
  xsave(image: Uint8Array | null): Uint8Array {
    const s = this.api.scratch;
    const view = s.bytes.subarray(0, XSAVE_BYTES);
    if (image !== null) {
      if (image !== view) view.set(image.subarray(0, XSAVE_BYTES));
      checkKvm(this.api.ioctl(this.fd, KVM.SET_XSAVE, s.address), "set the vCPU's FPU state");
    } else {
      checkKvm(this.api.ioctl(this.fd, KVM.GET_XSAVE, s.address), "read the vCPU's FPU state");
    }
    return view;
  }

  dispose(): void {
    // The VM closes the vCPU (kvm_vm.ts).
  }
}

export function checkKvm(rc: number, what: string): void {
  if (rc < 0) throw new Error(`Cannot ${what}: KVM errno ${-rc}`);
}

/** The system-slot offset a kernel address (words at `at`) stands for, or -1 for any other address. */
export function kernelOffset(w: Uint32Array, at: number): number {
  return w[at + 1] === KERNEL_HIGH && w[at]! >= KERNEL_LOW ? w[at]! - KERNEL_LOW : -1;
}

export function setKernel(w: Uint32Array, at: number, offset: number): void {
  w[at] = KERNEL_LOW + offset;
  w[at + 1] = KERNEL_HIGH;
}

