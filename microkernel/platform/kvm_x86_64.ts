// x86-64 CpuEngine on Linux KVM: guest code runs on the host CPU.
//
// One VM per guest address space, one KVM vCPU per thread (KVM keeps each thread's
// registers, FPU/AVX state and TLS bases; a thread switch copies nothing). The VM and its
// vCPUs are kvm_vm.ts's: KVM cannot destroy a single vCPU, so a VM keeps the vCPUs of
// threads that ended for new threads (a process holds at most KVM_CAP_MAX_VCPUS threads
// at once), and an engine takes its VM from its platform's pool and gives it back when
// disposed, for the next address space (a fork's child, an execve's new image).
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
// a bound of entries, or when a kick stopped a flush half way, the VM forgets its shadow
// of the tables instead (kvm_vm.ts, a few ms). With EPT a rewrite costs two memory
// accesses.
//
// Registers (kvm_vcpu.ts): the kvm_run page's synced registers (KVM_CAP_SYNC_REGS) are
// read and written as memory, so a syscall round trip is one ioctl (KVM_RUN). At a
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

import { Perm, setStop, type CpuEngine, type RegisterLayout, type StopReason, type Vcpu } from "./cpu.ts";
import { PermissionRanges } from "./permission_ranges.ts";
import { chunkAt } from "./frame_chunks.ts";
import { EINTR, KVM } from "./kvm_ffi.ts";
import { gpaOf } from "./kvm_gpa.ts";
import { PTE, PTE_NX_HIGH } from "./kvm_page_tables.ts";
import { PORT, SREGS_BYTES, STUB, SYS } from "./kvm_guest.ts";
import { FRAME_CS, FRAME_RIP, KvmVcpu, RIP, RSP, checkKvm, kernelOffset } from "./kvm_vcpu.ts";
import { KvmVm, initialXsave, type KvmVmPool } from "./kvm_vm.ts";

export { KVM_EXTRA_REG } from "./kvm_vcpu.ts";
/** Map results, as the Unicorn platform's codes. */
const OK = 0, ERR_NOMEM = 1, ERR_MAP = 11, ERR_ARG = 15;

const USER_END = 2 ** 47;
const GENERAL_PROTECTION = 13, PAGE_FAULT = 14, DOUBLE_FAULT = 8;
/** The page-fault error code's bit for an access made in user mode. */
const PF_USER = 4;
// Vectors whose frame starts with an error code.
const HAS_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);

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

export class KvmX86Engine implements CpuEngine {
  readonly name = "kvm";
  /** The VM this address space runs in; null once disposed (it went back to the pool). */
  #vm: KvmVm | null;
  readonly #pool: KvmVmPool | null;
  readonly #ranges = new PermissionRanges();
  /** vCPUs of this address space's threads. */
  readonly #vcpus = new Set<KvmVcpu>();
  /** Bumped when a mapping is removed or narrowed: vCPUs flush their TLB before running. */
  #generation = 1;
  readonly #stop: StopReason = { kind: "preempted", address: 0, access: 0, mapped: false, message: "" };

  /** A VM from `pool` (a new one without), given back to it when disposed. */
  constructor(pool: KvmVmPool | null = null) {
    this.#pool = pool;
    this.#vm = pool ? pool.take() : new KvmVm();
  }

  get #live(): KvmVm {
    if (this.#vm === null) throw new Error("Cannot use a disposed KVM engine");
    return this.#vm;
  }

  map(guestAddress: number, hostAddress: number, size: number, perms: number): number {
    const chunk = chunkAt(hostAddress);
    if (!chunk || hostAddress + size > chunk.address + chunk.size || guestAddress + size > USER_END || size <= 0) return ERR_ARG;
    if (this.#ranges.overlaps(guestAddress, guestAddress + size)) return ERR_MAP;
    const vm = this.#live;
    const base = vm.chunkInVm(chunk);
    if (base < 0) return ERR_NOMEM;
    const [low, high] = leafFlags(perms);
    if (!vm.tables.set(guestAddress, base + (hostAddress - chunk.address), size, low, high)) {
      vm.tables.clear(guestAddress, size);
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
    this.#live.tables.clear(guestAddress, size);
    this.#generation++;
    return OK;
  }

  protect(guestAddress: number, size: number, perms: number): number {
    if (!this.#ranges.covers(guestAddress, guestAddress + size)) return ERR_NOMEM;
    this.#ranges.protect(guestAddress, guestAddress + size, perms);
    const tables = this.#live.tables;
    tables.prepare(guestAddress, size);
    const [low, high] = leafFlags(perms);
    this.#ranges.forEach(guestAddress, guestAddress + size, (start, end, _perms, offset) => {
      const host = start + offset, chunk = chunkAt(host)!;
      // The tables of mapped pages exist (map made them), so this cannot run out.
      tables.set(start, gpaOf(chunk) + (host - chunk.address), end - start, low, high);
    });
    this.#generation++;
    return OK;
  }

  // ----- vCPUs ----------------------------------------------------------------------------

  createVcpu(layout: RegisterLayout, copyOf?: Vcpu): Vcpu {
    if (copyOf !== undefined && !(copyOf instanceof KvmVcpu)) throw new TypeError("Cannot copy a thread from another CPU platform");
    const vm = this.#live;
    const v = vm.takeVcpu(layout);
    v.regs.fill(0);
    v.flushedAt = 0;
    if (copyOf) {
      v.regs.set(copyOf.regs.subarray(0, copyOf.layoutLength * 2));
      v.xsave(copyOf.xsave(null));
      v.fsBase = copyOf.fsBase;
      v.gsBase = copyOf.gsBase;
    } else {
      v.xsave(initialXsave!);
      v.fsBase = v.gsBase = 0n;
    }
    vm.resetRingZero(v);
    this.#vcpus.add(v);
    return v;
  }

  releaseVcpu(vcpu: Vcpu): void {
    const v = vcpu as KvmVcpu;
    if (!this.#vcpus.delete(v)) return;
    this.#live.giveVcpu(v);
  }

  // ----- running ----------------------------------------------------------------------------

  /** Load the block into the vCPU, through IRET_FLUSH when the page tables changed since its last entry. */
  #enter(vm: KvmVm, v: KvmVcpu): void {
    if (v.sregsStale) vm.resetRingZero(v);
    const touched = vm.entering();
    const flush = v.flushedAt !== this.#generation;
    v.flushingTo = this.#generation;
    vm.sys[SYS.TOUCH >>> 2] = flush ? touched : 0;
    vm.sys[(SYS.TOUCH >>> 2) + 1] = 0;
    v.store(vm.sys, flush ? STUB.IRET_FLUSH : STUB.IRET);
  }

  run(vcpu: Vcpu, budgetUs: number, onSyscall: (vcpu: Vcpu) => boolean, backstopUs = budgetUs): StopReason {
    const v = vcpu as KvmVcpu, api = v.api, vm = this.#live;
    // KVM stops a run exactly: the kick comes at the budget (the backstop only without one).
    const timerUs = budgetUs > 0 ? budgetUs : backstopUs;
    if (timerUs > 0) api.kick.arm(timerUs);
    const deadline = budgetUs > 0 ? performance.now() + budgetUs / 1000 : Infinity;
    let stop: StopReason;
    for (let again = 0; ; ) {
      this.#enter(vm, v);
      const exit = this.#runOnce(vm, v);
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
  #runOnce(vm: KvmVm, v: KvmVcpu): Exit {
    const rc = v.api.run(v.fd);
    const w = v.run32;
    const at = stubOffset(w, RIP);
    // The guest got past its entry (a kick may stop a long flush half way: it goes again).
    if (!(at >= STUB.IRET_FLUSH && at <= STUB.IRET)) {
      if (v.flushedAt !== v.flushingTo) vm.flushed();
      v.flushedAt = v.flushingTo;
    } else {
      vm.flushInterrupted();
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
    return setStop(this.#stop, kind, address, access, mapped, message);
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
    const sys = this.#live.sys;
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
    const s = v.api.scratch;
    checkKvm(v.api.ioctl(v.fd, KVM.GET_SREGS, s.address), "read the fault address");
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

  /** The VM goes back to the pool (or is closed without one), with every vCPU of this address space. */
  dispose(): void {
    const vm = this.#vm;
    if (vm === null) return;
    this.#vm = null;
    for (const v of this.#vcpus) vm.giveVcpu(v);
    this.#vcpus.clear();
    this.#ranges.clear();
    if (this.#pool) this.#pool.give(vm);
    else vm.close();
  }
}

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
