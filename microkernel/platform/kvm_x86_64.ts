// x86-64 CpuEngine on Linux KVM: guest code runs on the host CPU.
//
// One VM per guest address space, one KVM vCPU per thread (KVM keeps each thread's
// registers, FPU/AVX state and TLS bases; a thread switch copies nothing). KVM cannot
// destroy a single vCPU, so a VM keeps the vCPUs of threads that ended for new threads;
// a process holds at most KVM_CAP_MAX_VCPUS threads at once.
//
// Memory: the VM's guest-physical space holds its system slot at 0 (kvm_guest.ts) and
// every frame chunk (frame_chunks.ts) the address space maps, each chunk one memory slot
// at a guest-physical address of its own (kvm_gpa.ts) over the very host memory that
// backs the Frames: copy-on-write, grants and the fs-task's zero-copy path see the same
// bytes. Guest-virtual mappings are the page tables the host keeps (kvm_page_tables.ts)
// in step with map/protect/unmap, and PermissionRanges, which says whether a faulting
// page was mapped.
//
// Page-table changes the guest must see: removing or narrowing a mapping bumps the VM's
// generation, and a vCPU entering after that goes through the stub's IRET_FLUSH: it
// rewrites every page-table entry the host rewrote (the touch list) with its own value
// and reloads CR3. The rewrite is for a KVM whose MMU shadows the guest's tables (no
// EPT/NPT, or PVM): it write-protects them and learns of the guest's own writes only, not
// of the host's. On PVM each rewrite is an emulated write (~18 µs), so a change to many
// entries of a table copies the table (kvm_page_tables.ts: one entry to rewrite), and past
// TOUCH_LIMIT entries, or when a kick stopped a flush half way, the VM forgets its shadow
// of the tables instead (#forgetShadow, a few ms). With EPT a rewrite costs two memory
// accesses.
//
// Registers: the kvm_run page's synced registers (KVM_CAP_SYNC_REGS) are read and written
// as memory, so a syscall round trip is one ioctl (KVM_RUN) and no register ioctl. At a
// syscall the block is filled in Linux's view: RIP = RCX, RFLAGS = R11 (what `syscall`
// saved, and what it leaves in those registers). A syscall arrives one of two ways:
//   - the stub's SYSCALL_ENTRY exits (the CPU's SYSCALL went to LSTAR in ring 0);
//   - a page fault in user mode at SYSCALL_ENTRY's address: the host's KVM jumped to LSTAR
//     without the switch to ring 0 (measured on a PVM host, kvm_pvm "native" mode), so the
//     fetch of the supervisor page faulted. RSP then comes from the fault's frame.
// Every entry is a full entry: all registers from the block, RIP, RSP and RFLAGS through
// the iretq frame (RFLAGS with only the user's flags: no IOPL, no TF).
//
// Time: a run arms the kick timer (kvm_ffi.ts) for its budget, so a guest that never
// makes a syscall stops on time; a kick between two instructions of the stub is read back
// into the user's state it stands for (#interrupted). Faults of the stub itself, a triple
// fault, a failed entry or a KVM error end the run with "error"; the vCPU's ring-0 state
// is set again before its next run, and the host goes on.

import { Perm, type CpuEngine, type RegisterLayout, type StopReason, type Vcpu } from "./cpu.ts";
import { PermissionRanges } from "./permission_ranges.ts";
import { chunkAt, type Chunk, type ChunkUser } from "./frame_chunks.ts";
import { allocNative, freeNative, type NativeBlock } from "./unicorn_ffi.ts";
import { EINTR, KVM, kvm, type KvmApi } from "./kvm_ffi.ts";
import { guestCpuid } from "./kvm_cpuid.ts";
import { acquireGpa, gpaOf, limitGpa, releaseGpa } from "./kvm_gpa.ts";
import { PageTables, PTE, PTE_NX_HIGH } from "./kvm_page_tables.ts";
import { KERNEL_HIGH, KERNEL_LOW, MSR, PORT, SEL, SREGS_BYTES, STUB, SYS, SYSTEM_SLOT_BYTES, buildSystemSlot, ringZeroSregs, startMsrs } from "./kvm_guest.ts";

/** Engine ids of the registers outside the block (the Unicorn platform's numbers). */
export const KVM_EXTRA_REG = { fs_base: 250, gs_base: 251 } as const;
/** Map results, as the Unicorn platform's codes. */
const OK = 0, ERR_NOMEM = 1, ERR_MAP = 11, ERR_ARG = 15;

const USER_END = 2 ** 47;
const MAX_REGS = 32;
const MESSAGE_WORDS = 120;
const XSAVE_BYTES = 4096;
const FXSAVE_BYTES = 512;
/** Entries the touch list holds (its ranges fit: a 16-byte header, 16 bytes a range). */
const TOUCH_LIMIT = 256;
const GENERAL_PROTECTION = 13, PAGE_FAULT = 14, DOUBLE_FAULT = 8;
/** The page-fault error code's bit for an access made in user mode. */
const PF_USER = 4;
// Vectors whose frame starts with an error code.
const HAS_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
// RFLAGS a user may set: CF PF AF ZF SF DF OF AC ID; IF and bit 1 always.
const USER_FLAGS = 0x240cd5, ALWAYS_FLAGS = 0x202;

// struct kvm_regs order, and where each shim register is in it.
const KVM_REGS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"];
const K = Object.fromEntries(KVM_REGS.map((r, i) => [r, i])) as Record<string, number>;
/** Word index of kvm_run.s.regs.regs in the run page, and of its RIP, RSP and RFLAGS. */
const SYNC = KVM.RUN_SYNC_REGS / 4;
const RIP = SYNC + K.rip! * 2, RSP = SYNC + K.rsp! * 2, RFLAGS = SYNC + K.rflags! * 2;
/** Exception frame words (after any error code): RIP, CS, RFLAGS, RSP, SS. */
const FRAME_RIP = 0, FRAME_CS = 2, FRAME_RFLAGS = 4, FRAME_RSP = 6;

class KvmVcpu implements Vcpu {
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
    readonly engine: KvmX86Engine,
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
    out.set(this.engine.xsave(this, null).subarray(0, FXSAVE_BYTES));
  }

  writeFpState(src: Uint8Array): void {
    const image = this.engine.xsave(this, null);
    const d = new DataView(image.buffer, image.byteOffset, XSAVE_BYTES);
    const mask = d.getUint32(28, true);
    image.set(src.subarray(0, FXSAVE_BYTES));
    // Reserved MXCSR bits would make the load fail; the CPU's own mask stays.
    d.setUint32(24, d.getUint32(24, true) & mask, true);
    d.setUint32(28, mask, true);
    d.setBigUint64(FXSAVE_BYTES, d.getBigUint64(FXSAVE_BYTES, true) | 3n, true); // XSTATE_BV: x87, SSE
    this.engine.xsave(this, image);
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
    this.engine.setMsrs(this, [[regId === KVM_EXTRA_REG.fs_base ? MSR.FS_BASE : MSR.GS_BASE, v]]);
  }

  dispose(): void {
    // The engine closes the vCPU with its VM.
  }
}

/** The system-slot offset a kernel address (words at `at`) stands for, or -1 for any other address. */
function kernelOffset(w: Uint32Array, at: number): number {
  return w[at + 1] === KERNEL_HIGH && w[at]! >= KERNEL_LOW ? w[at]! - KERNEL_LOW : -1;
}

function setKernel(w: Uint32Array, at: number, offset: number): void {
  w[at] = KERNEL_LOW + offset;
  w[at + 1] = KERNEL_HIGH;
}

/** Offset of the stub's instruction at the address in words `at`, or -1 outside the stub. */
function stubOffset(w: Uint32Array, at: number): number {
  const off = kernelOffset(w, at);
  return off >= SYS.CODE && off < SYS.CODE + STUB.END ? off - SYS.CODE : -1;
}

function hex(w: Uint32Array, at: number): string {
  return "0x" + ((BigInt(w[at + 1]!) << 32n) | BigInt(w[at]!)).toString(16);
}

/** Leaf flags of a page with `perms`: low word, high word (NX). */
function leafFlags(perms: number): [number, number] {
  if (perms === Perm.None) return [0, 0];
  const low = PTE.P | PTE.US | PTE.A | PTE.D | ((perms & Perm.Write) !== 0 ? PTE.RW : 0);
  return [low, (perms & Perm.Exec) !== 0 ? 0 : PTE_NX_HIGH];
}

/**
 * What an exit says: a syscall to answer, an entry to make again (the host's KVM faulted
 * it, see #exception), or a stop.
 */
type Exit = StopReason | "syscall" | "again";
/** Entries made again in a row before the run ends with an error instead. */
const MAX_AGAIN = 8;

export class KvmX86Engine implements CpuEngine, ChunkUser {
  readonly name = "kvm";
  readonly #api: KvmApi;
  readonly #vm: number;
  readonly #system: NativeBlock;
  readonly #sys: Uint32Array;
  readonly #tables: PageTables;
  readonly #ranges = new PermissionRanges();
  /** Ranges on the touch list, and the entries they hold: entries rewritten since the guest last got past a flush. */
  #touchCount = 0;
  #touchEntries = 0;
  /** The VM's shadow of the page tables must go before the next entry (forgetShadow). */
  #forgetPending = false;
  /** Memory slot of each chunk this VM maps. */
  readonly #slots = new Map<Chunk, number>();
  readonly #freeSlots: number[] = [];
  #nextSlot = 1;
  readonly #vcpus = new Set<KvmVcpu>();
  readonly #spare: KvmVcpu[] = [];
  #nextVcpuId = 0;
  /** Bumped when a mapping is removed or narrowed: vCPUs flush their TLB before running. */
  #generation = 1;
  readonly #stop: StopReason = { kind: "preempted", address: 0, access: 0, mapped: false, message: "" };
  #disposed = false;

  constructor() {
    this.#api = kvm();
    limitGpa(guestCpuid(this.#api).physBits);
    const vm = this.#api.ioctl(this.#api.fd, KVM.CREATE_VM, 0);
    if (vm < 0) throw new Error(`Cannot create a KVM VM: errno ${-vm}`);
    this.#vm = vm;
    this.#system = allocNative(SYSTEM_SLOT_BYTES);
    this.#sys = new Uint32Array(this.#system.bytes.buffer, this.#system.bytes.byteOffset, SYSTEM_SLOT_BYTES / 4);
    buildSystemSlot(this.#system.bytes);
    const events = { changed: (entry: number) => this.#touch(entry), recycled: () => void (this.#forgetPending = true) };
    this.#tables = new PageTables(this.#sys, events, SYS.PML4, SYS.POOL, SYSTEM_SLOT_BYTES);
    const rc = this.#setSlot(0, 0, SYSTEM_SLOT_BYTES, this.#system.address);
    if (rc < 0) {
      this.#api.close(vm);
      freeNative(this.#system);
      throw new Error(`Cannot give the VM its system memory: errno ${-rc}`);
    }
  }

  #setSlot(slot: number, gpa: number, size: number, host: number): number {
    const s = this.#api.scratch;
    const d = new DataView(s.bytes.buffer, s.bytes.byteOffset, 32);
    d.setUint32(0, slot, true);
    d.setUint32(4, 0, true);
    d.setBigUint64(8, BigInt(gpa), true);
    d.setBigUint64(16, BigInt(size), true);
    d.setBigUint64(24, BigInt(host), true);
    return this.#api.ioctl(this.#vm, KVM.SET_USER_MEMORY_REGION, s.address);
  }

  /**
   * A page-table entry the host rewrote (guest-physical address `entry`) goes on the touch
   * list, as a range of entries. Past TOUCH_LIMIT entries the VM forgets its shadow of
   * the tables instead (one host call, a few ms, against ~18 µs an entry the guest
   * rewrites on PVM).
   */
  #touch(entry: number): void {
    if (this.#forgetPending) return;
    if (++this.#touchEntries > TOUCH_LIMIT) {
      this.#forgetPending = true;
      return;
    }
    const list = SYS.TOUCH >>> 2, sys = this.#sys;
    if (this.#touchCount > 0) {
      const last = list + 4 + (this.#touchCount - 1) * 4;
      const end = sys[last]! - KERNEL_LOW + sys[last + 2]! * 8;
      if (entry >= sys[last]! - KERNEL_LOW && entry < end) return;
      if (entry === end) {
        sys[last + 2]!++;
        return;
      }
    }
    const at = list + 4 + this.#touchCount * 4;
    sys.set([KERNEL_LOW + entry, KERNEL_HIGH, 1, 0], at);
    this.#touchCount++;
  }

  /**
   * The VM forgets its shadow of every page table: the system slot leaves the VM and
   * comes back (KVM drops the shadow pages of a deleted slot), and the guest's MMU reads
   * the tables afresh. The touch list is then moot.
   */
  #forgetShadow(): void {
    this.#check(this.#setSlot(0, 0, 0, this.#system.address), "take the system memory out of the VM");
    this.#check(this.#setSlot(0, 0, SYSTEM_SLOT_BYTES, this.#system.address), "give the VM its system memory again");
    this.#forgetPending = false;
    this.#touchCount = this.#touchEntries = 0;
  }

  /** The chunk's guest-physical address in this VM, giving it a memory slot the first time; -1 if it cannot. */
  #chunkInVm(chunk: Chunk): number {
    if (this.#slots.has(chunk)) return gpaOf(chunk);
    const gpa = acquireGpa(chunk);
    if (gpa < 0) return -1;
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    if (this.#setSlot(slot, gpa, chunk.size, chunk.address) < 0) {
      this.#freeSlots.push(slot);
      releaseGpa(chunk);
      return -1;
    }
    this.#slots.set(chunk, slot);
    chunk.users.add(this);
    return gpa;
  }

  map(guestAddress: number, hostAddress: number, size: number, perms: number): number {
    const chunk = chunkAt(hostAddress);
    if (!chunk || hostAddress + size > chunk.address + chunk.size || guestAddress + size > USER_END || size <= 0) return ERR_ARG;
    if (this.#ranges.overlaps(guestAddress, guestAddress + size)) return ERR_MAP;
    const base = this.#chunkInVm(chunk);
    if (base < 0) return ERR_NOMEM;
    const [low, high] = leafFlags(perms);
    if (!this.#tables.set(guestAddress, base + (hostAddress - chunk.address), size, low, high)) {
      this.#tables.clear(guestAddress, size);
      this.#generation++;
      return ERR_NOMEM;
    }
    this.#ranges.assign(guestAddress, guestAddress + size, perms, hostAddress - guestAddress);
    return OK;
  }

  unmap(guestAddress: number, size: number): number {
    const end = guestAddress + size;
    if (!this.#ranges.covers(guestAddress, end)) return ERR_NOMEM;
    this.#ranges.assign(guestAddress, end, -1);
    this.#tables.clear(guestAddress, size);
    this.#generation++;
    return OK;
  }

  protect(guestAddress: number, size: number, perms: number): number {
    if (!this.#ranges.covers(guestAddress, guestAddress + size)) return ERR_NOMEM;
    this.#ranges.protect(guestAddress, guestAddress + size, perms);
    this.#tables.prepare(guestAddress, size);
    const [low, high] = leafFlags(perms);
    this.#ranges.forEach(guestAddress, guestAddress + size, (start, end, _perms, offset) => {
      const host = start + offset, chunk = chunkAt(host)!;
      // The tables of mapped pages exist (map made them), so this cannot run out.
      this.#tables.set(start, gpaOf(chunk) + (host - chunk.address), end - start, low, high);
    });
    this.#generation++;
    return OK;
  }

  dropChunk(chunk: Chunk): void {
    const slot = this.#slots.get(chunk);
    if (slot === undefined) return;
    this.#slots.delete(chunk);
    this.#setSlot(slot, gpaOf(chunk), 0, chunk.address);
    this.#freeSlots.push(slot);
    releaseGpa(chunk);
  }

  // ----- vCPUs ----------------------------------------------------------------------------

  createVcpu(layout: RegisterLayout, copyOf?: Vcpu): Vcpu {
    if (copyOf !== undefined && !(copyOf instanceof KvmVcpu)) throw new TypeError("Cannot copy a thread from another CPU platform");
    const v = this.#spare.pop() ?? this.#newVcpu(layout);
    v.regs.fill(0);
    v.flushedAt = 0;
    if (copyOf) {
      v.regs.set(copyOf.regs.subarray(0, copyOf.layoutLength * 2));
      this.xsave(v, copyOf.engine.xsave(copyOf, null));
      v.fsBase = copyOf.fsBase;
      v.gsBase = copyOf.gsBase;
    } else {
      this.xsave(v, initialXsave!);
      v.fsBase = v.gsBase = 0n;
    }
    this.#resetRingZero(v);
    this.#vcpus.add(v);
    return v;
  }

  #newVcpu(layout: RegisterLayout): KvmVcpu {
    const api = this.#api;
    const fd = api.ioctl(this.#vm, KVM.CREATE_VCPU, this.#nextVcpuId);
    if (fd < 0) throw new RangeError(`Cannot create a KVM vCPU (thread ${this.#nextVcpuId + 1} of this address space): errno ${-fd}`);
    this.#nextVcpuId++;
    const cpuid = guestCpuid(api);
    const s = api.scratch;
    s.bytes.set(cpuid.table);
    this.#check(api.ioctl(fd, KVM.SET_CPUID2, s.address), "set the guest CPUID");
    const v = new KvmVcpu(this, fd, api.mapRun(fd), layout);
    v.run32[KVM.RUN_VALID_REGS / 4] = KVM.SYNC_X86_REGS;
    api.kickMaskFor(fd);
    this.#resetRingZero(v);
    const d = new DataView(s.bytes.buffer, s.bytes.byteOffset, 392);
    s.bytes.fill(0, 0, 392);
    d.setUint32(0, 1, true);
    d.setBigUint64(16, cpuid.xcr0, true);
    this.#check(api.ioctl(fd, KVM.SET_XCRS, s.address), "enable the guest's XSAVE state");
    initialXsave ??= this.xsave(v, null).slice();
    return v;
  }

  #check(rc: number, what: string): void {
    if (rc < 0) throw new Error(`Cannot ${what}: KVM errno ${-rc}`);
  }

  /** The vCPU waits in ring 0 with the stub's MSRs and its TLS bases (a new vCPU, or one that left ring 0 or died). */
  #resetRingZero(v: KvmVcpu): void {
    const s = this.#api.scratch;
    ringZeroSregs(s.bytes, v.fsBase, v.gsBase, guestCpuid(this.#api).xcr0 > 3n);
    this.#check(this.#api.ioctl(v.fd, KVM.SET_SREGS, s.address), "set the vCPU's ring-0 state");
    this.setMsrs(v, startMsrs(v.fsBase, v.gsBase));
    v.sregsStale = false;
  }

  setMsrs(v: KvmVcpu, msrs: [number, bigint][]): void {
    const s = this.#api.scratch;
    const d = new DataView(s.bytes.buffer, s.bytes.byteOffset, 8 + msrs.length * 16);
    d.setUint32(0, msrs.length, true);
    d.setUint32(4, 0, true);
    msrs.forEach(([index, value], i) => {
      d.setUint32(8 + i * 16, index, true);
      d.setUint32(12 + i * 16, 0, true);
      d.setBigUint64(16 + i * 16, value, true);
    });
    const rc = this.#api.ioctl(v.fd, KVM.SET_MSRS, s.address);
    if (rc !== msrs.length) throw new Error(`Cannot set the vCPU's MSRs: KVM set ${rc} of ${msrs.length}`);
  }

  /** Read (image null: into the returned scratch view) or write the vCPU's XSAVE image. */
  xsave(v: KvmVcpu, image: Uint8Array | null): Uint8Array {
    const s = this.#api.scratch;
    const view = s.bytes.subarray(0, XSAVE_BYTES);
    if (image !== null) {
      if (image !== view) view.set(image.subarray(0, XSAVE_BYTES));
      this.#check(this.#api.ioctl(v.fd, KVM.SET_XSAVE, s.address), "set the vCPU's FPU state");
    } else {
      this.#check(this.#api.ioctl(v.fd, KVM.GET_XSAVE, s.address), "read the vCPU's FPU state");
    }
    return view;
  }

  releaseVcpu(vcpu: Vcpu): void {
    const v = vcpu as KvmVcpu;
    if (!this.#vcpus.delete(v)) return;
    this.#spare.push(v);
  }

  // ----- running ----------------------------------------------------------------------------

  /** Load the block into the vCPU, through IRET_FLUSH when the page tables changed since its last entry. */
  #enter(v: KvmVcpu): void {
    if (v.sregsStale) this.#resetRingZero(v);
    if (this.#forgetPending) this.#forgetShadow();
    this.#tables.entered();
    const flush = v.flushedAt !== this.#generation;
    v.flushingTo = this.#generation;
    this.#sys[SYS.TOUCH >>> 2] = flush ? this.#touchCount : 0;
    this.#sys[(SYS.TOUCH >>> 2) + 1] = 0;
    v.store(this.#sys, flush ? STUB.IRET_FLUSH : STUB.IRET);
  }

  run(vcpu: Vcpu, budgetUs: number, onSyscall: (vcpu: Vcpu) => boolean, backstopUs = budgetUs): StopReason {
    const v = vcpu as KvmVcpu, api = this.#api;
    // KVM stops a run exactly: the kick comes at the budget (the backstop only without one).
    const timerUs = budgetUs > 0 ? budgetUs : backstopUs;
    if (timerUs > 0) api.kick.arm(timerUs);
    const deadline = budgetUs > 0 ? performance.now() + budgetUs / 1000 : Infinity;
    let stop: StopReason;
    for (let again = 0; ; ) {
      this.#enter(v);
      const exit = this.#runOnce(v);
      if (exit === "again") {
        if (++again <= MAX_AGAIN) continue;
        stop = this.#fail(v, `the host's KVM faulted ${MAX_AGAIN} entries to user mode in a row`);
        break;
      }
      again = 0;
      if (exit !== "syscall") {
        stop = exit;
        break;
      }
      if (!onSyscall(v)) {
        stop = this.#halt("syscall", 0, 0, false, "");
        break;
      }
      if (performance.now() >= deadline) {
        stop = this.#halt("preempted", 0, 0, false, "");
        break;
      }
    }
    if (timerUs > 0) api.kick.disarm();
    return stop;
  }

  /** One KVM_RUN, and what its exit means for the user's state (loaded into the block). */
  #runOnce(v: KvmVcpu): Exit {
    const rc = this.#api.run(v.fd);
    const w = v.run32;
    const at = stubOffset(w, RIP);
    // The guest got past its entry (a kick may stop a long flush half way: it goes again).
    if (!(at >= STUB.IRET_FLUSH && at <= STUB.IRET)) {
      if (v.flushedAt !== v.flushingTo) this.#touchCount = this.#touchEntries = 0;
      v.flushedAt = v.flushingTo;
    } else if (this.#touchCount > 0) {
      // A kick inside a flush: the next entry would start it over, so make sure it ends.
      this.#forgetPending = true;
    }
    if (rc < 0) return rc === -EINTR ? this.#interrupted(v, at) : this.#fail(v, `KVM_RUN failed: errno ${-rc}`);
    const reason = w[KVM.RUN_EXIT_REASON / 4]!;
    if (reason !== KVM.EXIT_IO) return this.#fail(v, exitMessage(reason, v));
    const port = w[KVM.RUN_IO / 4]! >>> 16;
    // The exit's RIP is the `out` or, on some hosts, the instruction after it.
    const outAt = at - (at & 3);
    if (port === PORT.SYSCALL && outAt === STUB.SYSCALL_ENTRY) {
      v.loadSyscall();
      return "syscall";
    }
    return this.#exception(v, port - PORT.VECTOR, outAt, false);
  }

  #halt(kind: StopReason["kind"], address: number, access: number, mapped: boolean, message: string): StopReason {
    const s = this.#stop;
    s.kind = kind;
    s.address = address;
    s.access = access;
    s.mapped = mapped;
    s.message = message;
    return s;
  }

  /** The guest cannot go on from where it is: its ring-0 state is rebuilt before its next run. */
  #fail(v: KvmVcpu, message: string): StopReason {
    v.sregsStale = true;
    return this.#halt("error", 0, 0, false, message);
  }

  /**
   * Exception `vector` reached the stub's handler at `at` (its `out` ran, or, `kicked`, a
   * kick came just before it): the CPU's frame is on the exception stack. A fault at the
   * syscall entry is a syscall (see the file's head); a fault of the stub's iretq is the
   * user's (an entry to a non-canonical address); a user-mode page fault at the stub's
   * iretq is the host's KVM failing the switch to user mode (seen on PVM about once in
   * 10^5 entries, CR2 0): the entry is made again, with the ring-0 state set afresh; any
   * other fault in ring 0 is a platform bug, reported as an error.
   */
  #exception(v: KvmVcpu, vector: number, at: number, kicked: boolean): Exit {
    if (vector < 0 || vector >= 32 || at !== STUB.VECTOR + 4 * vector) {
      if (vector === PORT.GENERIC - PORT.VECTOR) return this.#fail(v, "the guest raised an interrupt vector above 31");
      return this.#fail(v, `unexpected I/O exit at ${hex(v.run32, RIP)}`);
    }
    const sys = this.#sys;
    let frame = kernelOffset(v.run32, RSP) >>> 2;
    const code = HAS_ERROR_CODE.has(vector) ? sys[frame]! : 0;
    if (HAS_ERROR_CODE.has(vector)) frame += 2;
    const faultAt = stubOffset(sys, frame + FRAME_RIP);
    if ((sys[frame + FRAME_CS]! & 3) !== 3) {
      if (vector === GENERAL_PROTECTION && faultAt >= STUB.IRET_FLUSH && faultAt <= STUB.IRET) {
        return this.#halt("interrupt", GENERAL_PROTECTION, 0, false, "entry at a non-canonical address");
      }
      if (vector === PAGE_FAULT && (code & PF_USER) !== 0 && faultAt === STUB.IRET) {
        v.sregsStale = true;
        return "again";
      }
      return this.#fail(v, `ring-0 exception ${vector} at ${hex(sys, frame)} (error code 0x${code.toString(16)})`);
    }
    if (vector === PAGE_FAULT && faultAt === STUB.SYSCALL_ENTRY) {
      v.loadFaultedSyscall(sys, frame);
      if (!kicked) return "syscall";
      v.rewindSyscall();
      return this.#halt("preempted", 0, 0, false, "");
    }
    v.loadException(sys, frame);
    if (vector === DOUBLE_FAULT) return this.#fail(v, "double fault");
    if (vector !== PAGE_FAULT) return this.#halt("interrupt", vector, 0, false, `exception ${vector}`);
    const address = this.#faultAddress(v);
    const access = (code & 0x10) !== 0 ? Perm.Exec : (code & 2) !== 0 ? Perm.Write : Perm.Read;
    const mapped = address < USER_END && this.#ranges.permsAt(address) >= 0;
    return this.#halt("memory", address, access, mapped, "");
  }

  /** CR2 (KVM_GET_SREGS: page faults only, so the exits of syscalls do not pay for it). */
  #faultAddress(v: KvmVcpu): number {
    const s = this.#api.scratch;
    this.#check(this.#api.ioctl(v.fd, KVM.GET_SREGS, s.address), "read the fault address");
    return Number(new DataView(s.bytes.buffer, s.bytes.byteOffset, SREGS_BYTES).getBigUint64(232, true));
  }

  /**
   * KVM_RUN ended on a signal (the kick, or a host signal such as Ctrl-C). Where the vCPU
   * stopped says what the user's state is: inside an entry, the block as it was loaded;
   * at an exception handler, that exception; at the syscall entry before its `out`, the
   * syscall not yet made (rewound, to be made again); anywhere else, the user's code as
   * it is. In the last two the vCPU may be in ring 3 (a host that reaches LSTAR without
   * the switch to ring 0 can be kicked right there), so its ring-0 state is set again.
   */
  #interrupted(v: KvmVcpu, at: number): StopReason {
    if (at >= STUB.VECTOR && at < STUB.VECTOR + 4 * 32 && at % 4 === 0) {
      const exit = this.#exception(v, (at - STUB.VECTOR) / 4, at, true);
      if (exit === "again") return this.#halt("preempted", 0, 0, false, "");
      return exit === "syscall" ? this.#fail(v, "syscall seen twice") : exit;
    }
    if (!(at >= STUB.IRET_FLUSH && at <= STUB.IRET)) {
      if (at === STUB.SYSCALL_ENTRY) {
        v.loadSyscall();
        v.rewindSyscall();
      } else {
        v.loadSame();
      }
      v.sregsStale = true;
    }
    return this.#halt("preempted", 0, 0, false, "");
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const api = this.#api;
    for (const v of [...this.#vcpus, ...this.#spare]) {
      api.unmapRun(v.runPage);
      api.close(v.fd);
    }
    this.#vcpus.clear();
    this.#spare.length = 0;
    for (const chunk of this.#slots.keys()) {
      chunk.users.delete(this);
      releaseGpa(chunk);
    }
    this.#slots.clear();
    this.#ranges.clear();
    api.close(this.#vm);
    freeNative(this.#system);
  }
}

/** The XSAVE image of a vCPU as KVM creates it (Linux's initial FPU state). */
let initialXsave: Uint8Array | null = null;

function exitMessage(reason: number, v: KvmVcpu): string {
  const where = hex(v.run32, RIP);
  switch (reason) {
    case KVM.EXIT_SHUTDOWN:
      return `the guest triple-faulted at ${where}`;
    case KVM.EXIT_HLT:
      return `the guest halted at ${where}`;
    case KVM.EXIT_MMIO:
      return `guest access to memory no slot holds, at ${where}`;
    case KVM.EXIT_FAIL_ENTRY:
      return "KVM could not enter the guest";
    case KVM.EXIT_INTERNAL_ERROR:
      return `KVM internal error at ${where}`;
    default:
      return `unexpected KVM exit ${reason} at ${where}`;
  }
}
