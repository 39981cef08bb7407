// x86-64 CpuEngine on Unicorn.
//
// One Unicorn instance per guest address space. Hooks are installed once per instance
// and dispatch to the run in progress. The syscall hook is the hot path: one batched
// register read into the Vcpu's block, the handler, one register write; three FFI
// crossings in all and no allocation.
//
// Linux starts a process with x87 control word 0x037F and MXCSR 0x1F80; the engine
// starts both at zero (then printf("%f") prints garbage), so every Vcpu is born with
// Linux's values.

import { Perm, type CpuEngine, type StopReason, type Vcpu } from "./cpu.ts";
import { UC, allocNative, freeNative, unicorn, type NativeBlock, type UnicornApi } from "./unicorn_ffi.ts";

export const X86_REG_ID: Readonly<Record<string, number>> = {
  rax: 35, rbx: 37, rcx: 38, rdx: 40, rsi: 43, rdi: 39, rbp: 36, rsp: 44,
  r8: 106, r9: 107, r10: 108, r11: 109, r12: 110, r13: 111, r14: 112, r15: 113,
  rip: 41, rflags: 25, fs_base: 250, gs_base: 251, fpcw: 246, mxcsr: 249,
};

const MAX_REGS = 32;
// The register block doubles as the thread's IPC message buffer (microkernel MSG_MAX_WORDS).
const MESSAGE_WORDS = 120;

class UnicornVcpu implements Vcpu {
  readonly regs: Uint32Array;
  readonly pcIndex: number;
  readonly #uc: number;
  readonly #api: UnicornApi;
  readonly #block: NativeBlock;
  readonly #regIds: Int32Array;
  // Native layout: values[MESSAGE_WORDS] u64 | value pointers[MAX_REGS] u64 |
  // ids[MAX_REGS] i32 | one extra cell for registers outside the list: value, pointer, id.
  readonly #vals: number;
  readonly #ptrs: number;
  readonly #ids: number;
  readonly #extraVal: number;
  readonly #extraPtr: number;
  readonly #extraId: number;
  readonly #view: DataView;

  constructor(api: UnicornApi, uc: number, names: readonly string[]) {
    if (names.length > MAX_REGS) throw new RangeError(`Cannot hold ${names.length} registers: at most ${MAX_REGS}`);
    this.#api = api;
    this.#uc = uc;
    this.#block = allocNative(4096);
    const base = this.#block.address;
    this.#vals = base;
    this.#ptrs = base + MESSAGE_WORDS * 8;
    this.#ids = this.#ptrs + MAX_REGS * 8;
    this.#extraVal = this.#ids + MAX_REGS * 4;
    this.#extraPtr = this.#extraVal + 8;
    this.#extraId = this.#extraVal + 16;
    const view = new DataView(this.#block.bytes.buffer, this.#block.bytes.byteOffset, 4096);
    this.#view = view;
    this.#regIds = new Int32Array(names.length);
    names.forEach((name, i) => {
      const id = X86_REG_ID[name];
      if (id === undefined) throw new RangeError(`Cannot map register: unknown name ${name}`);
      this.#regIds[i] = id;
      view.setBigUint64(this.#ptrs - base + i * 8, BigInt(base + i * 8), true);
      view.setInt32(this.#ids - base + i * 4, id, true);
    });
    view.setBigUint64(this.#extraPtr - base, BigInt(this.#extraVal), true);
    this.regs = new Uint32Array(this.#block.bytes.buffer, this.#block.bytes.byteOffset, MESSAGE_WORDS * 2);
    this.pcIndex = names.indexOf("rip");
  }

  readAll(): void {
    this.#api.regReadBatch(this.#uc, this.#ids, this.#ptrs, this.#regIds.length);
  }

  writeAll(): void {
    this.#api.regWriteBatch(this.#uc, this.#ids, this.#ptrs, this.#regIds.length);
  }

  writeOne(index: number): void {
    this.#api.regWrite(this.#uc, this.#regIds[index]!, this.#vals + index * 8);
  }

  readExtra(regId: number): bigint {
    const base = this.#block.address;
    this.#view.setInt32(this.#extraId - base, regId, true);
    this.#api.regReadBatch(this.#uc, this.#extraId, this.#extraPtr, 1);
    return this.#view.getBigUint64(this.#extraVal - base, true);
  }

  writeExtra(regId: number, value: bigint): void {
    this.#view.setBigUint64(this.#extraVal - this.#block.address, BigInt.asUintN(64, value), true);
    this.#api.regWrite(this.#uc, regId, this.#extraVal);
  }

  get pc(): number {
    return this.regs[this.pcIndex * 2]! + this.regs[this.pcIndex * 2 + 1]! * 2 ** 32;
  }

  dispose(): void {
    freeNative(this.#block);
  }
}

export class UnicornX86Engine implements CpuEngine {
  readonly name: string;
  readonly #api: UnicornApi;
  readonly #uc: number;
  #running: UnicornVcpu | null = null;
  #onSyscall: ((vcpu: Vcpu) => boolean) | null = null;
  #stop: StopReason = { kind: "preempted", address: 0, access: 0, mapped: false, message: "" };
  #stopped = false;
  #resident: UnicornVcpu | null = null;
  #contexts = new Map<UnicornVcpu, number>();

  constructor() {
    this.#api = unicorn();
    this.name = `unicorn ${this.#api.version}`;
    this.#uc = this.#api.open();
    const api = this.#api;
    const uc = this.#uc;
    api.hookSyscall(uc, () => {
      const vcpu = this.#running!;
      vcpu.readAll();
      if (!this.#onSyscall!(vcpu)) this.#halt("syscall", 0, 0, false, "");
    });
    api.hookIntr(uc, (_uc, intno) => {
      this.#halt("interrupt", intno, 0, true, `interrupt ${intno}`);
    });
    api.hookMemInvalid(uc, (_uc, type, address) => {
      const access = type === UC.MEM_WRITE_UNMAPPED || type === UC.MEM_WRITE_PROT ? Perm.Write
        : type === UC.MEM_FETCH_UNMAPPED || type === UC.MEM_FETCH_PROT ? Perm.Exec : Perm.Read;
      const mapped = type >= UC.MEM_WRITE_PROT && type <= UC.MEM_FETCH_PROT;
      this.#halt("memory", address, access, mapped, "");
      return false;
    });
  }

  #halt(kind: StopReason["kind"], address: number, access: number, mapped: boolean, message: string): void {
    if (!this.#stopped) {
      this.#stopped = true;
      const s = this.#stop;
      s.kind = kind;
      s.address = address;
      s.access = access;
      s.mapped = mapped;
      s.message = message;
    }
    this.#api.emuStop(this.#uc);
  }

  map(guestAddress: number, hostAddress: number, size: number, perms: number): number {
    return this.#api.memMapPtr(this.#uc, guestAddress, size, perms, hostAddress);
  }

  unmap(guestAddress: number, size: number): number {
    return this.#api.memUnmap(this.#uc, guestAddress, size);
  }

  protect(guestAddress: number, size: number, perms: number): number {
    return this.#api.memProtect(this.#uc, guestAddress, size, perms);
  }

  createVcpu(names: readonly string[]): Vcpu {
    const vcpu = new UnicornVcpu(this.#api, this.#uc, names);
    this.#switchTo(vcpu, true);
    vcpu.writeExtra(X86_REG_ID.fpcw!, 0x037fn);
    vcpu.writeExtra(X86_REG_ID.mxcsr!, 0x1f80n);
    return vcpu;
  }

  // Threads sharing this address space take turns owning the engine's register file.
  #switchTo(vcpu: UnicornVcpu, fresh = false): void {
    if (this.#resident === vcpu) return;
    const api = this.#api;
    if (this.#resident) {
      let ctx = this.#contexts.get(this.#resident);
      if (ctx === undefined) {
        ctx = api.contextAlloc(this.#uc);
        this.#contexts.set(this.#resident, ctx);
      }
      api.contextSave(this.#uc, ctx);
    }
    const saved = this.#contexts.get(vcpu);
    if (saved !== undefined && !fresh) api.contextRestore(this.#uc, saved);
    this.#resident = vcpu;
  }

  run(vcpu: Vcpu, budgetUs: number, onSyscall: (vcpu: Vcpu) => boolean): StopReason {
    const v = vcpu as UnicornVcpu;
    this.#switchTo(v);
    this.#running = v;
    this.#onSyscall = onSyscall;
    this.#stopped = false;
    v.readAll();
    const rc = this.#api.emuStart(this.#uc, v.pc, 0, budgetUs, 0);
    this.#running = null;
    if (!this.#stopped) {
      if (rc === UC.ERR_OK) this.#halt("preempted", 0, 0, false, "");
      else if (rc === UC.ERR_INSN_INVALID) this.#halt("invalid", 0, 0, true, this.#api.strerror(rc));
      else this.#halt("error", 0, 0, false, this.#api.strerror(rc));
    }
    v.readAll();
    return this.#stop;
  }

  dispose(): void {
    for (const ctx of this.#contexts.values()) this.#api.contextFree(ctx);
    this.#api.close(this.#uc);
  }
}

