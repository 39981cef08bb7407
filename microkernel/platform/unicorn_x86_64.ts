// x86-64 CpuEngine on Unicorn.
//
// One Unicorn instance per guest address space (reused from a pool of reset instances:
// unicorn_cores.ts); threads of that space are Vcpus that take turns owning its register
// file. The hooks are module-level functions shared by every instance (dispatching on the
// engine handle), so koffi registers each once.
//
// Register ownership: while a thread is off the CPU its Vcpu's register block is the
// truth; run() writes the block into the engine and starts there. The syscall hook is
// the hot path: one batched read of the trapped registers (the layout's first ones: the
// number, the arguments, RIP), the handler, at most one register write; three FFI
// crossings and no allocation. A handler that needs the others asks (readRest), and a
// run stopped from the hook loads them before it returns. Inside the hook the block's
// RIP is already the return address (the instruction after `syscall`), as in Linux's
// pt_regs; a run stopped from the hook keeps the block as the hook left it.
//
// Linux starts a process with x87 control word 0x037F, all x87 registers empty and MXCSR
// 0x1F80; the engine starts with both words zero (then printf("%f") prints garbage) and
// the x87 registers tagged valid, so every Vcpu is born with Linux's state. The engine's
// floating-point limits (exception flags, x87 precision) are in docs/architecture.md.
//
// Address translation is ours, not the engine's: with a virtual TLB the engine asks
// `fillTlb` on every TLB miss, which answers from the address space's PermissionRanges.
// Guest frames live in host chunks (frame_chunks.ts); the engine maps each chunk once,
// with every permission, at a physical address equal to its host address, and a TLB
// entry carries a guest page's host address and its real permissions. So mmap, munmap
// and mprotect are table changes and a TLB flush, never a change of the engine's
// memory regions (whose every change costs time in proportion to their number). Why (Unicorn 2.1.4, measured): a store through an executable TLB entry, or to a
// page any memory hook covers, always takes the engine's slow path (~25 ns instead of
// ~1), and with identity translation every page is executable and the fault hook covered
// everything. Now only code pages are executable, and a refused access is translated to
// a trap address, TRAP_BASE + the guest address, where nothing is mapped: the only fault
// hook covers that range alone and learns the exact faulting address from it. The trap
// entry carries only the refused access, so other accesses to the page still refill.
// Unicorn 2.0 (Debian's fallback build) has no virtual TLB: there the engine translates
// by identity with the permissions of its own mappings, and every store is slow.

import { Perm, setStop, type CpuEngine, type RegisterLayout, type StopReason, type Vcpu } from "./cpu.ts";
import { PermissionRanges } from "./permission_ranges.ts";
import { chunkAt } from "./frame_chunks.ts";
import { EngineCore } from "./unicorn_cores.ts";
import { UC, allocNative, freeNative, unicorn, type NativeBlock, type UnicornApi } from "./unicorn_ffi.ts";

export const X86_REG_ID: Readonly<Record<string, number>> = {
  rax: 35, rbx: 37, rcx: 38, rdx: 40, rsi: 43, rdi: 39, rbp: 36, rsp: 44,
  r8: 106, r9: 107, r10: 108, r11: 109, r12: 110, r13: 111, r14: 112, r15: 113,
  rip: 41, rflags: 25, fs_base: 250, gs_base: 251, fpcw: 246, fpsw: 31, fptag: 247, mxcsr: 249,
};

// The fxsave image (Intel SDM vol. 1 §10.5.1) as Linux puts it in a signal frame.
export const FXSAVE_BYTES = 512;
const FX = { cwd: 0, swd: 2, ftw: 4, mxcsr: 24, mxcsrMask: 28, st: 32, xmm: 160 } as const;
const ST0 = 114, XMM0 = 122;
// fpcw, fpsw, fptag, mxcsr, st0-7, xmm0-15: each read into its own 16-byte cell.
const FP_REG_IDS = [246, 31, 247, 249, ...Array.from({ length: 8 }, (_, i) => ST0 + i), ...Array.from({ length: 16 }, (_, i) => XMM0 + i)];
const FP_CELL = 16;
// The FPU state Linux gives a new process (fpstate_init: FNINIT's, plus MXCSR 0x1F80):
// control word 0x037F, every x87 register empty, MXCSR 0x1F80, the rest zero. The engine
// starts with control word and MXCSR zero and the x87 tags "valid".
const LINUX_INITIAL_FP_STATE = new Uint8Array(FXSAVE_BYTES);
new DataView(LINUX_INITIAL_FP_STATE.buffer).setUint16(FX.cwd, 0x037f, true);
new DataView(LINUX_INITIAL_FP_STATE.buffer).setUint32(FX.mxcsr, 0x1f80, true);
const SYSCALL_INSN_BYTES = 2;
// A slice ends at the first syscall past its budget (a stop asked for inside the syscall
// hook is exact); code that makes no syscalls is stopped by the StopTimer (unicorn_ffi.ts)
// at a translation block's boundary, also exactly. (uc_emu_stop from another thread,
// which uc_emu_start's own timeout uses, can land after a store and run its instruction
// twice: unicorn#1565, and the StopTimer's comment.)

// Guest addresses below 2^47 (user space) and the canonical upper half fold into
// [TRAP_BASE, TRAP_BASE + 2^48), beyond any guest mapping; every non-canonical address
// shares the one page after it, where an access is a general-protection fault as on x86
// (the engine itself does not check canonical form). The trap range is non-canonical too,
// so a guest that jumps there lands on that page as well.
const USER_END = 2 ** 47;
const TRAP_BASE = 2 ** 48;
const NON_CANONICAL_TRAP = TRAP_BASE + 2 * USER_END;
const TRAP_END = NON_CANONICAL_TRAP + 4096;
const UPPER_HALF = 2 ** 64 - USER_END;
const UPPER_HALF_BIG = BigInt(UPPER_HALF);
const GENERAL_PROTECTION = 13;
// The run's end address (uc_emu_start's `until`): non-canonical, so the only way to reach
// it is a jump there, which x86 answers with a general-protection fault. (It was 0: a call
// through a NULL pointer then ended the run as if preempted, and the next run from 0
// ended at once, forever.)
const UNTIL = 2 ** 63;

/** What a TLB entry allows for each Perm combination: on x86 write and execute imply read. */
const ENTRY_PERMS = Array.from({ length: 8 }, (_, p) => (p & (Perm.Write | Perm.Exec) ? p | Perm.Read : p));

const MAX_REGS = 32;
// The register block doubles as the thread's IPC message buffer (microkernel MSG_MAX_WORDS).
const MESSAGE_WORDS = 120;

// Native blocks of released Vcpus (register and FPU cells), zeroed and reused: an mmap
// and a koffi view per block cost ~0.1-0.4 ms, twice per fork.
const BLOCK_BYTES = 4096;
const SPARE_BLOCKS_MAX = 64;
const spareBlocks: NativeBlock[] = [];

function takeBlock(): NativeBlock {
  const b = spareBlocks.pop();
  if (b === undefined) return allocNative(BLOCK_BYTES);
  b.bytes.fill(0);
  return b;
}

function giveBlock(b: NativeBlock): void {
  if (spareBlocks.length < SPARE_BLOCKS_MAX) spareBlocks.push(b);
  else freeNative(b);
}

class UnicornVcpu implements Vcpu {
  readonly regs: Uint32Array;
  readonly pcIndex: number;
  readonly #uc: number;
  readonly #api: UnicornApi;
  readonly #block: NativeBlock;
  readonly #regIds: Int32Array;
  readonly #trapped: number;
  /** Only the trapped registers are loaded (inside the syscall hook). */
  #partial = false;
  // Native layout: values[MESSAGE_WORDS] u64 | value pointers[MAX_REGS] u64 |
  // ids[MAX_REGS] i32 | one extra cell for registers outside the list: value, pointer, id.
  readonly #vals: number;
  readonly #ptrs: number;
  readonly #ids: number;
  readonly #extraVal: number;
  readonly #extraPtr: number;
  readonly #extraId: number;
  readonly #view: DataView;
  #fp: NativeBlock | null = null;

  constructor(api: UnicornApi, uc: number, layout: RegisterLayout, readonly engine: UnicornX86Engine) {
    const names = layout.names;
    if (names.length > MAX_REGS) throw new RangeError(`Cannot hold ${names.length} registers: at most ${MAX_REGS}`);
    this.#api = api;
    this.#uc = uc;
    this.#block = takeBlock();
    const base = this.#block.address;
    this.#vals = base;
    this.#ptrs = base + MESSAGE_WORDS * 8;
    this.#ids = this.#ptrs + MAX_REGS * 8;
    this.#extraVal = this.#ids + MAX_REGS * 4;
    this.#extraPtr = this.#extraVal + 8;
    this.#extraId = this.#extraVal + 16;
    const view = new DataView(this.#block.bytes.buffer, this.#block.bytes.byteOffset, BLOCK_BYTES);
    this.#view = view;
    this.#regIds = new Int32Array(names.length);
    this.#trapped = Math.min(layout.trapped, names.length);
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
    this.#partial = false;
  }

  /** The syscall trap's read: the registers a syscall needs, the rest on demand. */
  readTrapped(): void {
    this.#api.regReadBatch(this.#uc, this.#ids, this.#ptrs, this.#trapped);
    this.#partial = this.#trapped < this.#regIds.length;
  }

  readRest(): void {
    if (!this.#partial) return;
    const from = this.#trapped;
    this.#api.regReadBatch(this.#uc, this.#ids + from * 4, this.#ptrs + from * 8, this.#regIds.length - from);
    this.#partial = false;
  }

  writeAll(): void {
    this.#api.regWriteBatch(this.#uc, this.#ids, this.#ptrs, this.#regIds.length);
  }

  writeOne(index: number): void {
    this.#api.regWrite(this.#uc, this.#regIds[index]!, this.#vals + index * 8);
  }

  readExtra(regId: number): bigint {
    this.engine.select(this);
    const base = this.#block.address;
    this.#view.setInt32(this.#extraId - base, regId, true);
    this.#api.regReadBatch(this.#uc, this.#extraId, this.#extraPtr, 1);
    return this.#view.getBigUint64(this.#extraVal - base, true);
  }

  writeExtra(regId: number, value: bigint): void {
    this.engine.select(this);
    this.#view.setBigUint64(this.#extraVal - this.#block.address, BigInt.asUintN(64, value), true);
    this.#api.regWrite(this.#uc, regId, this.#extraVal);
  }

  get pc(): number {
    return this.regs[this.pcIndex * 2]! + this.regs[this.pcIndex * 2 + 1]! * 2 ** 32;
  }

  /** Past the `syscall` instruction: what the hook's block shows as RIP. */
  skipSyscall(): void {
    const lo = this.pcIndex * 2;
    const next = this.regs[lo]! + SYSCALL_INSN_BYTES;
    this.regs[lo] = next >>> 0;
    if (next > 0xffffffff) this.regs[lo + 1] = this.regs[lo + 1]! + 1;
  }

  // Native cells for the FPU registers: ids | pointers | 16-byte values.
  #fpBlock(): NativeBlock {
    if (this.#fp) return this.#fp;
    const n = FP_REG_IDS.length;
    const fp = takeBlock();
    const view = new DataView(fp.bytes.buffer, fp.bytes.byteOffset, BLOCK_BYTES);
    FP_REG_IDS.forEach((id, i) => {
      view.setInt32(i * 4, id, true);
      view.setBigUint64(n * 4 + i * 8, BigInt(fp.address + fpValues(n) + i * FP_CELL), true);
    });
    return (this.#fp = fp);
  }

  readFpState(out: Uint8Array): void {
    this.engine.select(this);
    const fp = this.#fpBlock(), n = FP_REG_IDS.length, base = fpValues(n);
    this.#api.regReadBatch(this.#uc, fp.address, fp.address + n * 4, n);
    const cell = (i: number): Uint8Array => fp.bytes.subarray(base + i * FP_CELL, base + (i + 1) * FP_CELL);
    const d = new DataView(out.buffer, out.byteOffset, FXSAVE_BYTES);
    out.fill(0, 0, FXSAVE_BYTES);
    const word = (i: number): number => cell(i)[0]! | (cell(i)[1]! << 8);
    d.setUint16(FX.cwd, word(0), true);
    d.setUint16(FX.swd, word(1), true);
    // fxsave keeps one "valid" bit per register; the full tag word has 3 for "empty".
    const tags = word(2);
    let abridged = 0;
    for (let r = 0; r < 8; r++) if (((tags >> (r * 2)) & 3) !== 3) abridged |= 1 << r;
    d.setUint16(FX.ftw, abridged, true);
    d.setUint32(FX.mxcsr, cell(3)[0]! | (cell(3)[1]! << 8) | (cell(3)[2]! << 16) | (cell(3)[3]! << 24), true);
    d.setUint32(FX.mxcsrMask, 0xffff, true);
    for (let r = 0; r < 8; r++) out.set(cell(4 + r).subarray(0, 10), FX.st + r * 16);
    for (let r = 0; r < 16; r++) out.set(cell(12 + r), FX.xmm + r * 16);
  }

  writeFpState(src: Uint8Array): void {
    this.engine.select(this);
    const fp = this.#fpBlock(), n = FP_REG_IDS.length, base = fpValues(n);
    const d = new DataView(src.buffer, src.byteOffset, FXSAVE_BYTES);
    const cells = new DataView(fp.bytes.buffer, fp.bytes.byteOffset + base, n * FP_CELL);
    cells.setBigUint64(0, BigInt(d.getUint16(FX.cwd, true)), true);
    cells.setBigUint64(FP_CELL, BigInt(d.getUint16(FX.swd, true)), true);
    const abridged = d.getUint16(FX.ftw, true);
    let tags = 0;
    for (let r = 0; r < 8; r++) if ((abridged & (1 << r)) === 0) tags |= 3 << (r * 2);
    cells.setBigUint64(2 * FP_CELL, BigInt(tags), true);
    // Reserved MXCSR bits would make the real CPU fault; keep the defined ones.
    cells.setBigUint64(3 * FP_CELL, BigInt(d.getUint32(FX.mxcsr, true) & 0xffff), true);
    for (let r = 0; r < 8; r++) fp.bytes.set(src.subarray(FX.st + r * 16, FX.st + r * 16 + 10), base + (4 + r) * FP_CELL);
    for (let r = 0; r < 16; r++) fp.bytes.set(src.subarray(FX.xmm + r * 16, FX.xmm + r * 16 + 16), base + (12 + r) * FP_CELL);
    this.#api.regWriteBatch(this.#uc, fp.address, fp.address + n * 4, n);
  }

  dispose(): void {
    giveBlock(this.#block);
    if (this.#fp) giveBlock(this.#fp);
  }
}

const fpValues = (n: number): number => Math.ceil((n * 12) / FP_CELL) * FP_CELL;

// Engines by Unicorn handle, for the shared hook functions. Shared by every user kernel
// on this thread, yet nothing crosses: a hook is called with the handle of the engine
// that is running, a native pointer no other engine has, so it reaches only that engine.
const engines = new Map<number, UnicornX86Engine>();

function onSyscallHook(uc: number): void {
  engines.get(uc)!.trapSyscall();
}

function onInterruptHook(uc: number, intno: number): void {
  engines.get(uc)!.halt("interrupt", intno, 0, true, `interrupt ${intno}`);
}

// An idle instance (unicorn_cores.ts) has no engine: the engine asks it for translations
// when it unmaps a chunk, and nothing is mapped there.
const NOTHING_MAPPED = new PermissionRanges();

function onTlbFillHook(uc: number, vaddr: number | bigint, type: number, entry: number): boolean {
  const engine = engines.get(uc);
  return engine !== undefined ? engine.fillTlb(vaddr, type, entry) : fillTlbEntry(unicorn(), NOTHING_MAPPED, vaddr, type, entry);
}

/** A TLB miss at page `vaddr`: the page itself when `ranges` allow the access, else its trap address. */
function fillTlbEntry(api: UnicornApi, ranges: PermissionRanges, vaddr: number | bigint, type: number, entry: number): boolean {
  const access = type === UC.MEM_WRITE ? Perm.Write : type === UC.MEM_FETCH ? Perm.Exec : Perm.Read;
  let target: number, allowed: number = access;
  if (typeof vaddr === "number" && vaddr < USER_END) {
    const i = ranges.find(vaddr);
    const entryPerms = i >= 0 ? ENTRY_PERMS[ranges.permsOf(i)]! : 0;
    const permitted = (entryPerms & access) !== 0;
    if (permitted) allowed = entryPerms;
    target = permitted ? vaddr + ranges.offsetOf(i) : TRAP_BASE + vaddr;
  } else if (typeof vaddr === "bigint" && vaddr >= UPPER_HALF_BIG) {
    target = TRAP_BASE + USER_END + Number(vaddr - UPPER_HALF_BIG);
  } else {
    target = NON_CANONICAL_TRAP;
  }
  const cells = api.tlbEntryCells(entry);
  cells[0] = target >>> 0;
  cells[1] = target / 2 ** 32;
  cells[2] = allowed;
  return true;
}

/** The fault hook under identity translation (Unicorn 2.0): the engine's own report. */
function onMemFaultHook(uc: number, type: number, address: number): boolean {
  const access = type === UC.MEM_WRITE_UNMAPPED || type === UC.MEM_WRITE_PROT ? Perm.Write
    : type === UC.MEM_FETCH_UNMAPPED || type === UC.MEM_FETCH_PROT ? Perm.Exec : Perm.Read;
  engines.get(uc)!.halt("memory", address, access, type >= UC.MEM_WRITE_PROT, "");
  return false;
}

function onTrapHook(uc: number, type: number, trapAddress: number): boolean {
  const access = type === UC.MEM_WRITE_UNMAPPED ? Perm.Write : type === UC.MEM_FETCH_UNMAPPED ? Perm.Exec : Perm.Read;
  engines.get(uc)!.refusedAccess(trapAddress - TRAP_BASE, access);
  return false;
}

/** A new engine's hooks: the same module-level functions for every engine. */
function setUpHooks(uc: number, virtualTlb: boolean): void {
  const api = unicorn();
  if (virtualTlb) {
    api.hookTlbFill(uc, onTlbFillHook);
    api.hookMemInvalid(uc, onTrapHook, TRAP_BASE, TRAP_END - 1);
  } else {
    api.hookMemInvalid(uc, onMemFaultHook, 1, 0);
  }
  api.hookSyscall(uc, onSyscallHook);
  api.hookIntr(uc, onInterruptHook);
}

export class UnicornX86Engine implements CpuEngine {
  readonly name: string;
  readonly #api: UnicornApi;
  /** The engine instance, taken from the pool of idle ones when there is one (unicorn_cores.ts). */
  readonly #core: EngineCore;
  readonly #uc: number;
  #running: UnicornVcpu | null = null;
  #onSyscall: ((vcpu: Vcpu) => boolean) | null = null;
  #stop: StopReason = { kind: "preempted", address: 0, access: 0, mapped: false, message: "" };
  #stopped = false;
  /** performance.now() after which the next syscall ends the slice. */
  #deadline = Infinity;
  #resident: UnicornVcpu | null = null;
  readonly #contexts = new Map<UnicornVcpu, number>();
  readonly #vcpus = new Set<UnicornVcpu>();
  readonly #ranges = new PermissionRanges();
  readonly #virtualTlb: boolean;

  constructor() {
    this.#api = unicorn();
    this.name = `unicorn ${this.#api.version}`;
    this.#core = EngineCore.take(this.#api, setUpHooks);
    this.#uc = this.#core.uc;
    this.#virtualTlb = this.#core.virtualTlb;
    engines.set(this.#uc, this);
  }

  /** A TLB miss at page `vaddr`: the page itself when its permissions allow the access, else its trap address. */
  fillTlb(vaddr: number | bigint, type: number, entry: number): boolean {
    return fillTlbEntry(this.#api, this.#ranges, vaddr, type, entry);
  }

  /** A refused access reached its trap address; `offset` is the guest address folded as in fillTlb. */
  refusedAccess(offset: number, access: number): void {
    if (offset >= NON_CANONICAL_TRAP - TRAP_BASE) return this.halt("interrupt", GENERAL_PROTECTION, 0, false, "non-canonical address");
    const address = offset < USER_END ? offset : UPPER_HALF + (offset - USER_END);
    const mapped = offset < USER_END && this.#ranges.permsAt(offset) >= 0;
    this.halt("memory", address, access, mapped, "");
  }

  trapSyscall(): void {
    const vcpu = this.#running!;
    vcpu.readTrapped();
    vcpu.skipSyscall();
    if (!this.#onSyscall!(vcpu)) this.halt("syscall", 0, 0, false, "");
    else if (performance.now() >= this.#deadline) this.halt("preempted", 0, 0, false, "");
  }

  halt(kind: StopReason["kind"], address: number, access: number, mapped: boolean, message: string): void {
    if (!this.#stopped) {
      this.#stopped = true;
      setStop(this.#stop, kind, address, access, mapped, message);
    }
    this.#api.emuStop(this.#uc);
  }

  /** Maps guest pages onto frame memory (frame_chunks.ts); UC.ERR_MAP if any of them is mapped already. */
  map(guestAddress: number, hostAddress: number, size: number, perms: number): number {
    if (!this.#virtualTlb) {
      const rc = this.#api.memMapPtr(this.#uc, guestAddress, size, perms, hostAddress);
      if (rc !== UC.ERR_OK) return rc;
      this.#ranges.assign(guestAddress, guestAddress + size, perms);
      if ((perms & Perm.Exec) !== 0) this.#api.removeCodeCache(this.#uc, guestAddress, guestAddress + size);
      return rc;
    }
    const chunk = chunkAt(hostAddress);
    if (!chunk || hostAddress + size > chunk.address + chunk.size || guestAddress + size > USER_END) return UC.ERR_ARG;
    if (this.#ranges.overlaps(guestAddress, guestAddress + size)) return UC.ERR_MAP;
    const core = this.#core;
    if (!core.chunks.has(chunk)) {
      const rc = this.#api.memMapPtr(this.#uc, chunk.address, chunk.size, UC.PROT_ALL, chunk.address);
      if (rc !== UC.ERR_OK) return rc;
      core.chunks.add(chunk);
      chunk.users.add(core);
    }
    this.#ranges.assign(guestAddress, guestAddress + size, perms, hostAddress - guestAddress);
    this.#api.flushTlb(this.#uc);
    if ((perms & Perm.Exec) !== 0) this.#api.removeCodeCache(this.#uc, guestAddress, guestAddress + size);
    return UC.ERR_OK;
  }

  /** UC.ERR_NOMEM, changing nothing, unless every page of the range is mapped. */
  unmap(guestAddress: number, size: number): number {
    if (!this.#virtualTlb) {
      const rc = this.#api.memUnmap(this.#uc, guestAddress, size);
      if (rc === UC.ERR_OK) this.#ranges.assign(guestAddress, guestAddress + size, -1);
      return rc;
    }
    const end = guestAddress + size;
    if (!this.#ranges.covers(guestAddress, end)) return UC.ERR_NOMEM;
    // Code translated from the pages goes with them (a thread returning into an unmapped
    // page must fault, not run what was cached), as the engine's own unmap did.
    this.#ranges.forEach(guestAddress, end, (start, pieceEnd, perms) => {
      if ((perms & Perm.Exec) !== 0) this.#api.removeCodeCache(this.#uc, start, pieceEnd);
    });
    this.#ranges.assign(guestAddress, end, -1);
    this.#api.flushTlb(this.#uc);
    return UC.ERR_OK;
  }

  // Code translated from a page is not invalidated by the kernel-task's writes to it, nor
  // (virtual TLB) by guest stores while the page is not executable, nor when its frame is
  // reused: code that becomes executable is translated afresh. The TLB is flushed first,
  // since the engine finds the code's host page through it.
  protect(guestAddress: number, size: number, perms: number): number {
    if (!this.#ranges.covers(guestAddress, guestAddress + size)) return UC.ERR_NOMEM;
    if (!this.#virtualTlb) {
      const rc = this.#api.memProtect(this.#uc, guestAddress, size, perms);
      if (rc !== UC.ERR_OK) return rc;
    }
    this.#ranges.protect(guestAddress, guestAddress + size, perms);
    if (this.#virtualTlb) this.#api.flushTlb(this.#uc);
    if ((perms & Perm.Exec) !== 0) {
      this.#ranges.forEach(guestAddress, guestAddress + size, (start, end) => this.#api.removeCodeCache(this.#uc, start, end));
    }
    return UC.ERR_OK;
  }

  createVcpu(layout: RegisterLayout, copyOf?: Vcpu): Vcpu {
    const vcpu = new UnicornVcpu(this.#api, this.#uc, layout, this);
    this.#vcpus.add(vcpu);
    if (!copyOf) {
      this.#switchTo(vcpu, true);
      vcpu.writeFpState(LINUX_INITIAL_FP_STATE);
      return vcpu;
    }
    // A fork or a new thread: every register the engine keeps (FPU, SSE, segment bases)
    // comes from the parent's saved context, copied, so no register file changes hands
    // (the parent may be in the middle of its run, inside the syscall hook).
    const from = copyOf as UnicornVcpu;
    from.readRest();
    from.engine.#saveResident();
    const ctx = this.#api.contextAlloc(this.#uc);
    this.#api.copyMemory(ctx, from.engine.#contexts.get(from)!, this.#api.contextSize(this.#uc));
    this.#contexts.set(vcpu, ctx);
    vcpu.regs.set(from.regs.subarray(0, layout.names.length * 2));
    return vcpu;
  }

  #saveResident(): void {
    const r = this.#resident;
    if (!r) return;
    let ctx = this.#contexts.get(r);
    if (ctx === undefined) {
      ctx = this.#api.contextAlloc(this.#uc);
      this.#contexts.set(r, ctx);
    }
    this.#api.contextSave(this.#uc, ctx);
  }

  // Threads sharing this address space take turns owning the engine's register file.
  #switchTo(vcpu: UnicornVcpu, fresh = false): void {
    if (this.#resident === vcpu) return;
    this.#saveResident();
    const saved = this.#contexts.get(vcpu);
    if (saved !== undefined && !fresh) this.#api.contextRestore(this.#uc, saved);
    this.#resident = vcpu;
  }

  /** Make `vcpu` the engine's resident register file (its FPU state, TLS base). */
  select(vcpu: Vcpu): void {
    if (this.#running !== null && vcpu !== this.#running) {
      throw new Error("Cannot switch register files while another thread of the engine runs");
    }
    this.#switchTo(vcpu as UnicornVcpu);
  }

  releaseVcpu(vcpu: Vcpu): void {
    const v = vcpu as UnicornVcpu;
    const ctx = this.#contexts.get(v);
    if (ctx !== undefined) this.#api.contextFree(ctx);
    this.#contexts.delete(v);
    this.#vcpus.delete(v);
    if (this.#resident === v) this.#resident = null;
    v.dispose();
  }

  run(vcpu: Vcpu, budgetUs: number, onSyscall: (vcpu: Vcpu) => boolean, backstopUs = budgetUs): StopReason {
    const v = vcpu as UnicornVcpu;
    this.#switchTo(v);
    this.#running = v;
    this.#onSyscall = onSyscall;
    this.#stopped = false;
    const started = performance.now();
    this.#deadline = budgetUs > 0 ? started + budgetUs / 1000 : Infinity;
    v.writeAll();
    const timer = backstopUs > 0 ? this.#core.stopTimer : null;
    timer?.arm(backstopUs);
    // Without a StopTimer, the engine's own timeout: the host has no better deadline.
    const rc = this.#api.emuStart(this.#uc, v.pc, UNTIL, timer ? 0 : backstopUs, 0);
    const preempted = timer !== null ? timer.disarm() : backstopUs > 0 && (performance.now() - started) * 1000 >= backstopUs;
    this.#running = null;
    if (!this.#stopped) {
      if (rc === UC.ERR_OK && preempted) this.halt("preempted", 0, 0, false, "");
      // Stopped, but not by us: the engine halted by itself (hlt, or a jump to UNTIL),
      // which a user-mode x86 program meets as a general-protection fault.
      else if (rc === UC.ERR_OK) this.halt("interrupt", GENERAL_PROTECTION, 0, false, "the engine halted");
      else if (rc === UC.ERR_INSN_INVALID) this.halt("invalid", 0, 0, true, this.#api.strerror(rc));
      else this.halt("error", 0, 0, false, this.#api.strerror(rc));
    }
    if (this.#stop.kind !== "syscall") v.readAll();
    else v.readRest();
    return this.#stop;
  }

  dispose(): void {
    for (const ctx of this.#contexts.values()) this.#api.contextFree(ctx);
    for (const v of this.#vcpus) v.dispose();
    this.#contexts.clear();
    this.#vcpus.clear();
    this.#ranges.clear();
    this.#resident = null;
    engines.delete(this.#uc);
    this.#core.release();
  }
}
