// A KVM VM and what it holds, and the pool that keeps VMs for the next address space.
//
// A VM is KVM_CREATE_VM, its system slot (kvm_guest.ts: 64 MiB of host memory for the
// stub and the page tables, one memory slot), a memory slot per frame chunk it maps
// (kvm_gpa.ts) and its vCPUs. Making one and closing it cost more than the rest of a
// fork on a PVM host (docs/architecture.md, "CPU platform: KVM"), so a VM outlives the
// address space it served: the engine (kvm_x86_64.ts) gives it back to its platform's
// pool when it is disposed, and the next engine takes it. What a VM keeps from one
// address space to the next, and why the next one cannot see the last one's memory:
//   - its vCPUs: a thread that takes one sets all of its state afresh (registers, FPU
//     image, TLS bases, ring-0 state with the new root);
//   - the memory slots of chunks still alive: guest code reaches memory only through the
//     page tables the host writes, and the next address space's tables start empty (a
//     fork's child in a VM that served an earlier child registers no slot at all);
//   - the page-table pages of the last address space: kvm_page_tables.ts's reset starts
//     from a fresh root on never-used pages, and hands the old ones out again only after
//     the VM has forgotten its shadow of them.
// The pool is bounded (IDLE_VMS VMs, each with at most IDLE_VCPUS vCPUs and IDLE_SLOTS
// memory slots; a VM past a bound is closed instead), counted against no guest's quota,
// and closed when its user kernel releases its resources.
//
// The VM's MMU bookkeeping lives here too: the touch list (entries the host rewrote, which
// the stub rewrites before the guest runs again) and forgetting the shadow of the tables.

import type { Chunk, ChunkUser } from "./frame_chunks.ts";
import { allocNative, freeNative, hostMadvise, type NativeBlock } from "./unicorn_ffi.ts";
import { KVM, kvm, type KvmApi } from "./kvm_ffi.ts";
import { guestCpuid } from "./kvm_cpuid.ts";
import { acquireGpa, gpaOf, limitGpa, releaseGpa } from "./kvm_gpa.ts";
import { PageTables } from "./kvm_page_tables.ts";
import { KERNEL_HIGH, KERNEL_LOW, SYS, SYSTEM_SLOT_BYTES, buildSystemSlot, ringZeroSregs, startMsrs } from "./kvm_guest.ts";
import { checkKvm, KvmVcpu } from "./kvm_vcpu.ts";
import type { RegisterLayout } from "./cpu.ts";

/** VMs a pool keeps, and the most vCPUs and memory slots a VM may hold to be kept. */
const IDLE_VMS = 4;
const IDLE_VCPUS = 4;
const IDLE_SLOTS = 32;
/** Entries the touch list holds (its ranges fit: a 16-byte header, 16 bytes a range). */
const TOUCH_LIMIT = 256;

export class KvmVm implements ChunkUser {
  readonly api: KvmApi;
  readonly fd: number;
  readonly #system: NativeBlock;
  /** The system slot as words: the stub's frames, the entry frame, the touch list, the tables. */
  readonly sys: Uint32Array;
  readonly tables: PageTables;
  /** Ranges on the touch list, and the entries they hold: entries rewritten since the guest last got past a flush. */
  #touchCount = 0;
  #touchEntries = 0;
  /** The VM's shadow of the page tables must go before the next entry (forgetShadow). */
  #forgetPending = false;
  /** Memory slot of each chunk this VM maps. */
  readonly #slots = new Map<Chunk, number>();
  readonly #freeSlots: number[] = [];
  #nextSlot = 1;
  /** Every vCPU the VM has, and those no thread holds. */
  readonly #vcpus: KvmVcpu[] = [];
  readonly #spare: KvmVcpu[] = [];

  constructor() {
    this.api = kvm();
    limitGpa(guestCpuid(this.api).physBits);
    const vm = this.api.ioctl(this.api.fd, KVM.CREATE_VM, 0);
    if (vm < 0) throw new Error(`Cannot create a KVM VM: errno ${-vm}`);
    this.fd = vm;
    this.#system = allocNative(SYSTEM_SLOT_BYTES);
    this.sys = new Uint32Array(this.#system.bytes.buffer, this.#system.bytes.byteOffset, SYSTEM_SLOT_BYTES / 4);
    buildSystemSlot(this.#system.bytes);
    const events = {
      changed: (entry: number) => this.#touch(entry),
      recycled: () => void (this.#forgetPending = true),
      released: (from: number, to: number) => hostMadvise(this.#system.address + from, to - from),
    };
    this.tables = new PageTables(this.sys, events, SYS.PML4, SYS.POOL, SYSTEM_SLOT_BYTES);
    const rc = this.#setSlot(0, 0, SYSTEM_SLOT_BYTES, this.#system.address);
    if (rc < 0) {
      this.api.close(vm);
      freeNative(this.#system);
      throw new Error(`Cannot give the VM its system memory: errno ${-rc}`);
    }
  }

  #setSlot(slot: number, gpa: number, size: number, host: number): number {
    const s = this.api.scratch;
    const d = new DataView(s.bytes.buffer, s.bytes.byteOffset, 32);
    d.setUint32(0, slot, true);
    d.setUint32(4, 0, true);
    d.setBigUint64(8, BigInt(gpa), true);
    d.setBigUint64(16, BigInt(size), true);
    d.setBigUint64(24, BigInt(host), true);
    return this.api.ioctl(this.fd, KVM.SET_USER_MEMORY_REGION, s.address);
  }

  // ----- memory -----------------------------------------------------------------------------

  /** The chunk's guest-physical address in this VM, giving it a memory slot the first time; -1 if it cannot. */
  chunkInVm(chunk: Chunk): number {
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

  dropChunk(chunk: Chunk): void {
    const slot = this.#slots.get(chunk);
    if (slot === undefined) return;
    this.#slots.delete(chunk);
    chunk.users.delete(this);
    this.#setSlot(slot, gpaOf(chunk), 0, chunk.address);
    this.#freeSlots.push(slot);
    releaseGpa(chunk);
  }

  // ----- the VM's MMU -----------------------------------------------------------------------

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
    const list = SYS.TOUCH >>> 2, sys = this.sys;
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

  /** A vCPU is about to enter: the ranges on the touch list (the shadow forgotten first when due). */
  entering(): number {
    if (this.#forgetPending) this.#forgetShadow();
    this.tables.entered();
    return this.#touchCount;
  }

  /** A vCPU got past a flush of the touch list: the entries on it are the guest's now. */
  flushed(): void {
    this.#touchCount = this.#touchEntries = 0;
  }

  /** A kick stopped a flush half way: the next entry would start it over, so the shadow goes instead. */
  flushInterrupted(): void {
    if (this.#touchCount > 0) this.#forgetPending = true;
  }

  /**
   * The VM forgets its shadow of every page table: the system slot leaves the VM and
   * comes back (KVM drops the shadow pages of a deleted slot), and the guest's MMU reads
   * the tables afresh. The touch list is then moot.
   */
  #forgetShadow(): void {
    checkKvm(this.#setSlot(0, 0, 0, this.#system.address), "take the system memory out of the VM");
    checkKvm(this.#setSlot(0, 0, SYSTEM_SLOT_BYTES, this.#system.address), "give the VM its system memory again");
    this.#forgetPending = false;
    this.#touchCount = this.#touchEntries = 0;
  }

  // ----- vCPUs ------------------------------------------------------------------------------

  /** A vCPU for a new thread: one an ended thread left, or a new one. Its state is the caller's to set. */
  takeVcpu(layout: RegisterLayout): KvmVcpu {
    const v = this.#spare.pop();
    if (v === undefined) return this.#newVcpu(layout);
    // An exception or interrupt the last thread left being delivered (it stopped in the
    // middle) must not reach the next one, which may be another process's: all cleared
    // (struct kvm_vcpu_events zeroed; with no flags only these are applied).
    const s = this.api.scratch;
    s.bytes.fill(0, 0, 64);
    checkKvm(this.api.ioctl(v.fd, KVM.SET_VCPU_EVENTS, s.address), "clear the vCPU's pending events");
    return v;
  }

  giveVcpu(v: KvmVcpu): void {
    this.#spare.push(v);
  }

  #newVcpu(layout: RegisterLayout): KvmVcpu {
    const api = this.api, id = this.#vcpus.length;
    const fd = api.ioctl(this.fd, KVM.CREATE_VCPU, id);
    if (fd < 0) throw new RangeError(`Cannot create a KVM vCPU (thread ${id + 1} of this address space): errno ${-fd}`);
    const cpuid = guestCpuid(api);
    const s = api.scratch;
    s.bytes.set(cpuid.table);
    checkKvm(api.ioctl(fd, KVM.SET_CPUID2, s.address), "set the guest CPUID");
    const v = new KvmVcpu(api, fd, api.mapRun(fd), layout);
    this.#vcpus.push(v);
    v.run32[KVM.RUN_VALID_REGS / 4] = KVM.SYNC_X86_REGS;
    api.kickMaskFor(fd);
    this.resetRingZero(v);
    const d = new DataView(s.bytes.buffer, s.bytes.byteOffset, 392);
    s.bytes.fill(0, 0, 392);
    d.setUint32(0, 1, true);
    d.setBigUint64(16, cpuid.xcr0, true);
    checkKvm(api.ioctl(fd, KVM.SET_XCRS, s.address), "enable the guest's XSAVE state");
    initialXsave ??= v.xsave(null).slice();
    return v;
  }

  /** The vCPU waits in ring 0 with the stub's MSRs, the current root and its TLS bases (a new vCPU, one that left ring 0 or died, a new thread's). */
  resetRingZero(v: KvmVcpu): void {
    const s = this.api.scratch;
    ringZeroSregs(s.bytes, { fsBase: v.fsBase, gsBase: v.gsBase, osxsave: guestCpuid(this.api).xcr0 > 3n, root: this.tables.root });
    checkKvm(this.api.ioctl(v.fd, KVM.SET_SREGS, s.address), "set the vCPU's ring-0 state");
    v.setMsrs(startMsrs(v.fsBase, v.gsBase));
    v.sregsStale = false;
  }

  // ----- from one address space to the next --------------------------------------------------

  /**
   * The address space ended: the VM is made ready for the next one (its tables start over,
   * the touch list is empty). False when it holds more than a kept VM may (it is closed).
   */
  recycle(): boolean {
    if (this.#vcpus.length > IDLE_VCPUS || this.#spare.length !== this.#vcpus.length) return false;
    if (this.#slots.size > IDLE_SLOTS) for (const chunk of [...this.#slots.keys()]) this.dropChunk(chunk);
    this.tables.reset();
    this.#touchCount = this.#touchEntries = 0;
    return true;
  }

  close(): void {
    const api = this.api;
    for (const v of this.#vcpus) {
      api.unmapRun(v.runPage);
      api.close(v.fd);
    }
    this.#vcpus.length = this.#spare.length = 0;
    for (const chunk of this.#slots.keys()) {
      chunk.users.delete(this);
      releaseGpa(chunk);
    }
    this.#slots.clear();
    api.close(this.fd);
    freeNative(this.#system);
  }
}

/** The XSAVE image of a vCPU as KVM creates it (Linux's initial FPU state). */
export let initialXsave: Uint8Array | null = null;

/** The VMs of ended address spaces, ready for new ones (one pool per platform, so per user kernel). */
export class KvmVmPool {
  readonly #idle: KvmVm[] = [];

  /** VMs waiting for an address space. */
  get idle(): number {
    return this.#idle.length;
  }

  take(): KvmVm {
    return this.#idle.pop() ?? new KvmVm();
  }

  /** A VM whose address space ended: kept for the next one, or closed past the pool's bounds. */
  give(vm: KvmVm): void {
    if (this.#idle.length < IDLE_VMS && vm.recycle()) this.#idle.push(vm);
    else vm.close();
  }

  /** Closes the idle VMs (the user kernel is done with the platform). */
  release(): void {
    for (const vm of this.#idle.splice(0)) vm.close();
  }
}
