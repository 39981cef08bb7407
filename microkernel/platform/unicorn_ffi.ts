// Unicorn engine bindings through koffi.
//
// Every pointer crosses the FFI as a plain number (uintptr_t): koffi converts a
// number in ~70 ns but a pointer object in ~250 ns, and the syscall round trip
// makes three of these calls. Native scratch memory is allocated once and
// addressed by number from then on.
//
// Library resolution order (docs/architecture.md): LIBOS_UNICORN, the pinned
// official 2.1.4 build in the project's .deps/unicorn, the system's libunicorn.so.2.

import { constants } from "node:buffer";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { koffi as loadKoffi } from "./koffi.ts";

const koffi = loadKoffi();

export const UC = {
  ARCH_X86: 4,
  MODE_64: 8,
  HOOK_INTR: 1,
  HOOK_INSN: 2,
  HOOK_BLOCK: 8,
  HOOK_MEM_INVALID: 1008,
  HOOK_TLB_FILL: 1 << 17,
  X86_INS_SYSCALL: 699,
  PROT_ALL: 7,
  MEM_WRITE: 17,
  MEM_FETCH: 18,
  MEM_WRITE_UNMAPPED: 20,
  MEM_FETCH_UNMAPPED: 21,
  MEM_WRITE_PROT: 22,
  MEM_FETCH_PROT: 24,
  ERR_OK: 0,
  ERR_NOMEM: 1,
  ERR_MAP: 11,
  ERR_ARG: 15,
  ERR_INSN_INVALID: 10,
  TLB_VIRTUAL: 1,
  // uc_ctl requests: UC_CTL_WRITE(type, argument count) = type | count << 26 | 1 << 30.
  CTL_TB_REMOVE_CACHE: 9 | (2 << 26) | (1 << 30),
  CTL_TB_FLUSH: 10 | (1 << 30),
  CTL_TLB_FLUSH: 11 | (1 << 30),
  CTL_TLB_TYPE: 12 | (1 << 26) | (1 << 30),
  CTL_TCG_BUFFER_SIZE: 13 | (1 << 26) | (1 << 30),
} as const;

const MAX_VIEW_BYTES = constants.MAX_LENGTH;

export class EngineNotFoundError extends Error {
  constructor(tried: string[]) {
    super(
      "Cannot find the Unicorn CPU engine (libunicorn.so.2): tried " + tried.join(", ") +
        ". Run `bash scripts/setup.sh` (installs the pinned unicorn 2.1.4), or `apt-get install libunicorn2`, or set LIBOS_UNICORN",
    );
    this.name = "EngineNotFoundError";
  }
}

function projectRoot(): string {
  // This file lives at <root>/microkernel/platform/ (sources) or <root>/dist/microkernel/platform/ (build).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function resolveEnginePath(): string {
  const tried: string[] = [];
  const explicit = process.env.LIBOS_UNICORN;
  if (explicit) {
    if (existsSync(explicit)) return explicit;
    tried.push(explicit);
  }
  const pinned = join(projectRoot(), ".deps", "unicorn", "libunicorn.so.2");
  if (existsSync(pinned)) return pinned;
  tried.push(pinned);
  for (const dir of ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"]) {
    const p = join(dir, "libunicorn.so.2");
    if (existsSync(p)) return p;
    tried.push(p);
  }
  throw new EngineNotFoundError(tried);
}

export type HookSyscallFn = (uc: number, user: number) => void;
export type HookIntrFn = (uc: number, intno: number, user: number) => void;
export type HookMemFn = (uc: number, type: number, address: number, size: number, value: number, user: number) => boolean;
/** `entry` is the address of the engine's `uc_tlb_entry` to fill (see tlbEntryCells). */
export type HookTlbFillFn = (uc: number, vaddr: number | bigint, type: number, entry: number, user: number) => boolean;

export interface UnicornApi {
  readonly path: string;
  readonly version: string;
  open(): number;
  close(uc: number): void;
  strerror(code: number): string;
  memMapPtr(uc: number, addr: number, size: number, perms: number, host: number): number;
  memUnmap(uc: number, addr: number, size: number): number;
  memProtect(uc: number, addr: number, size: number, perms: number): number;
  regWrite(uc: number, regid: number, valueAddr: number): number;
  regReadBatch(uc: number, idsAddr: number, valsAddr: number, count: number): number;
  regWriteBatch(uc: number, idsAddr: number, valsAddr: number, count: number): number;
  emuStart(uc: number, begin: number, until: number, timeoutUs: number, count: number): number;
  emuStop(uc: number): number;
  hookSyscall(uc: number, fn: HookSyscallFn): void;
  hookIntr(uc: number, fn: HookIntrFn): void;
  /** Memory-fault hook for accesses whose physical address is in [begin, end]. */
  hookMemInvalid(uc: number, fn: HookMemFn, begin: number, end: number): void;
  /** Virtual TLB: `fn` translates every TLB miss (UC_TLB_VIRTUAL must be set). */
  hookTlbFill(uc: number, fn: HookTlbFillFn): void;
  /** Translate guest addresses through the TLB-fill hook instead of identity; false before Unicorn 2.1. */
  useVirtualTlb(uc: number): boolean;
  flushTlb(uc: number): void;
  /** Drop translated code of guest addresses [begin, end). */
  removeCodeCache(uc: number, begin: number, end: number): void;
  /** Drop every translated block (and the TLB). */
  flushCode(uc: number): void;
  /**
   * The engine's `uc_tlb_entry` at `address` as uint32 cells: paddr low, paddr high,
   * perms. The entry lives on the engine's stack, at one of a few addresses, so the views
   * are made once per address.
   */
  tlbEntryCells(address: number): Uint32Array;
  contextAlloc(uc: number): number;
  contextSave(uc: number, ctx: number): number;
  contextRestore(uc: number, ctx: number): number;
  contextFree(ctx: number): number;
  /** Bytes of a context (header and CPU state), for copying one. */
  contextSize(uc: number): number;
  copyMemory(dst: number, src: number, size: number): void;
  /** A backstop for runs of `uc`, or null when the host cannot make one (see StopTimer). */
  stopTimer(uc: number): StopTimer | null;
}

/**
 * A deadline for a run of `uc`, exact to the instruction. Engine fact (Unicorn 2.1.4):
 * uc_emu_stop from another thread lands wherever the engine next checks for an exit,
 * which includes the check after every guest load and store; there the engine rewinds
 * the guest's PC to the instruction in progress, whose store has happened, so the
 * instruction runs again when the guest resumes (a `lock cmpxchg` that took a lock then
 * finds it taken: a single-threaded program waited on its own lock forever). So the
 * timer's host thread only raises a flag (a POSIX timer whose SIGEV_THREAD notification
 * is a 7-byte stub), and a block hook, another stub run by the engine on its own thread
 * before each translation block, calls uc_emu_stop when the flag is up: the block's
 * exit check then ends the run before its first instruction, with the PC synced to it.
 * The stubs are machine code in one executable page (preemptStubs); the cost is a call
 * per block executed. Arming and disarming are one timer_settime each (~0.5 µs); glibc
 * starts a thread per expiry, and when the host's thread limit is reached that stop is
 * lost (the run then ends at its next syscall).
 */
export interface StopTimer {
  /** Stops the engine's next block boundary `us` microseconds from now. */
  arm(us: number): void;
  /** Cancels the deadline; true when it stopped the run (the flags are cleared for the next one). */
  disarm(): boolean;
  dispose(): void;
}

/** Native memory the process owns, reachable both as bytes and by address. */
export interface NativeBlock {
  readonly bytes: Uint8Array;
  readonly address: number;
}

let api: UnicornApi | null = null;

/**
 * The engine's translated-code buffer. Unicorn's default is 1 GiB per engine (touched as
 * code is translated, so an engine's memory grew with the code it ran, outside any
 * quota); when the buffer fills, the engine drops its translations and starts over.
 * Measured: busybox workloads (gzip, sort, sh) run as fast with 4 MiB as with the default.
 */
export const TRANSLATION_BUFFER_BYTES = 4 * 1024 * 1024;
/** How long after the last engine close the C heap is trimmed. */
const TRIM_AFTER_CLOSE_MS = 100;

const CLOCK_MONOTONIC = 1;
const SIGEV_THREAD = 2;
const RTLD_NOW_NOLOAD = 2 | 4;
// One native block per timer: struct sigevent | timer_t | struct itimerspec (new) | (old) |
// the preemption cell the stubs share: u32 requested, u32 honoured, u64 uc_emu_stop.
const SIGEVENT = 0, TIMER_ID = 64, ITIMERSPEC = 96, OLD_ITIMERSPEC = 128, PREEMPT = 160, TIMER_BLOCK = 176;
/** How long a timer's block outlives it: a notification thread already started may still raise its flag. */
const NOTIFY_IN_FLIGHT_MS = 1000;

// The stubs, x86-64 System V. fire(union sigval cell): cell.requested = 1.
// check(uc, address, size, cell), the block hook: unless cell.requested, return; else
// clear it, set cell.honoured, and tail-call uc_emu_stop(uc) through the cell.
const FIRE_STUB = [0xc7, 0x07, 0x01, 0x00, 0x00, 0x00, 0xc3]; // mov dword [rdi], 1; ret
const CHECK_STUB = [
  0x8b, 0x01, // mov eax, [rcx]
  0x85, 0xc0, // test eax, eax
  0x75, 0x01, // jnz +1
  0xc3, // ret
  0xc7, 0x01, 0x00, 0x00, 0x00, 0x00, // mov dword [rcx], 0
  0xc7, 0x41, 0x04, 0x01, 0x00, 0x00, 0x00, // mov dword [rcx + 4], 1
  0xff, 0x61, 0x08, // jmp [rcx + 8]
];
const CHECK_STUB_AT = 16;

// Callbacks stay registered for the life of the process: koffi trampolines are a limited
// resource, so engines share module-level hook functions (dispatching on the engine
// handle) and each function is registered once.
const trampolines = new Map<unknown, unknown>();

export function unicorn(): UnicornApi {
  if (api) return api;
  const path = resolveEnginePath();
  const lib = koffi.load(path);
  const ucVersion = lib.func("unsigned int uc_version(uintptr_t major, uintptr_t minor)");
  const v = ucVersion(0, 0) >>> 0;
  const open = lib.func("int uc_open(int arch, int mode, _Out_ uintptr_t *uc)");
  const close = lib.func("int uc_close(uintptr_t uc)");
  const strerror = lib.func("const char *uc_strerror(int code)");
  const memMapPtr = lib.func("int uc_mem_map_ptr(uintptr_t uc, uint64_t addr, size_t size, uint32_t perms, uintptr_t ptr)");
  const memUnmap = lib.func("int uc_mem_unmap(uintptr_t uc, uint64_t addr, size_t size)");
  const memProtect = lib.func("int uc_mem_protect(uintptr_t uc, uint64_t addr, size_t size, uint32_t perms)");
  const regWrite = lib.func("int uc_reg_write(uintptr_t uc, int regid, uintptr_t value)");
  const regReadBatch = lib.func("int uc_reg_read_batch(uintptr_t uc, uintptr_t regs, uintptr_t vals, int count)");
  const regWriteBatch = lib.func("int uc_reg_write_batch(uintptr_t uc, uintptr_t regs, uintptr_t vals, int count)");
  const emuStart = lib.func("int uc_emu_start(uintptr_t uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)");
  const emuStop = lib.func("int uc_emu_stop(uintptr_t uc)");
  const SyscallProto = koffi.proto("void LibosHookSyscall(uintptr_t uc, uintptr_t user)");
  const IntrProto = koffi.proto("void LibosHookIntr(uintptr_t uc, uint32_t intno, uintptr_t user)");
  const MemProto = koffi.proto("bool LibosHookMem(uintptr_t uc, int type, uint64_t address, int size, int64_t value, uintptr_t user)");
  const TlbFillProto = koffi.proto("bool LibosHookTlbFill(uintptr_t uc, uint64_t vaddr, int type, uintptr_t entry, uintptr_t user)");
  const ctl = lib.func("int uc_ctl(uintptr_t uc, int control, ...)");
  const hookAdd = lib.func("int uc_hook_add(uintptr_t uc, _Out_ size_t *hh, int type, void *cb, uintptr_t user, uint64_t begin, uint64_t end, ...)");
  const hookAddNative = lib.func("int uc_hook_add(uintptr_t uc, _Out_ size_t *hh, int type, uintptr_t cb, uintptr_t user, uint64_t begin, uint64_t end)");
  const contextAlloc = lib.func("int uc_context_alloc(uintptr_t uc, _Out_ uintptr_t *ctx)");
  const contextSave = lib.func("int uc_context_save(uintptr_t uc, uintptr_t ctx)");
  const contextRestore = lib.func("int uc_context_restore(uintptr_t uc, uintptr_t ctx)");
  const contextFree = lib.func("int uc_context_free(uintptr_t ctx)");
  const contextSize = lib.func("size_t uc_context_size(uintptr_t uc)");
  const libcLib = koffi.load("libc.so.6");
  const memcpy = libcLib.func("void *memcpy(uintptr_t dst, uintptr_t src, size_t n)");
  // memmove(p, p, 0) returns p as a pointer object, which koffi.view needs.
  const asPointer = libcLib.func("void *memmove(uintptr_t dst, uintptr_t src, size_t n)");
  const TLB_ENTRY_BYTES = 16;
  const entryViews = new Map<number, Uint32Array>();
  const timerCreate = libcLib.func("int timer_create(int clock, uintptr_t sevp, uintptr_t timerid)");
  // timer_t is an opaque 64-bit word (glibc sets its top bit): kept as a bigint, never rounded.
  const timerSettime = libcLib.func("int timer_settime(uint64_t timer, int flags, uintptr_t newValue, uintptr_t oldValue)");
  const timerDelete = libcLib.func("int timer_delete(uint64_t timer)");
  const dlopen = libcLib.func("uintptr_t dlopen(const char *file, int mode)");
  const dlsym = libcLib.func("uintptr_t dlsym(uintptr_t handle, const char *name)");
  const ucEmuStop = ((): number => {
    const handle = dlopen(path, RTLD_NOW_NOLOAD) as number;
    return handle === 0 ? 0 : (dlsym(handle, "uc_emu_stop") as number);
  })();

  const check = (what: string, rc: number): void => {
    if (rc !== UC.ERR_OK) throw new Error(`Cannot ${what}: ${strerror(rc) as string}`);
  };
  // One trampoline per callback function, however many engines use it.
  const trampoline = (fn: (...args: never[]) => unknown, proto: unknown): unknown => {
    let cb = trampolines.get(fn);
    if (cb === undefined) {
      cb = koffi.register(fn, koffi.pointer(proto as never));
      trampolines.set(fn, cb);
    }
    return cb;
  };
  const addHook = (uc: number, type: number, cb: unknown, extra: unknown[], begin = 1, end = 0): void => {
    const hh = [0];
    check("add engine hook", hookAdd(uc, hh, type, cb, 0, begin, end, ...extra) as number);
  };

  api = {
    path,
    version: `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}`,
    open() {
      const out = [0];
      check("open the x86-64 engine", open(UC.ARCH_X86, UC.MODE_64, out) as number);
      // Before anything else: the buffer is allocated when the engine first initialises.
      ctl(out[0]!, UC.CTL_TCG_BUFFER_SIZE, "uint32_t", TRANSLATION_BUFFER_BYTES);
      return out[0]!;
    },
    close(uc) {
      close(uc);
      trimHeapSoon();
    },
    strerror: (code) => strerror(code) as string,
    memMapPtr: (uc, addr, size, perms, host) => memMapPtr(uc, addr, size, perms, host) as number,
    memUnmap: (uc, addr, size) => memUnmap(uc, addr, size) as number,
    memProtect: (uc, addr, size, perms) => memProtect(uc, addr, size, perms) as number,
    regWrite: regWrite as UnicornApi["regWrite"],
    regReadBatch: regReadBatch as UnicornApi["regReadBatch"],
    regWriteBatch: regWriteBatch as UnicornApi["regWriteBatch"],
    emuStart: emuStart as UnicornApi["emuStart"],
    emuStop: emuStop as UnicornApi["emuStop"],
    hookSyscall(uc, fn) {
      addHook(uc, UC.HOOK_INSN, trampoline(fn, SyscallProto), ["int", UC.X86_INS_SYSCALL]);
    },
    hookIntr(uc, fn) {
      addHook(uc, UC.HOOK_INTR, trampoline(fn, IntrProto), []);
    },
    hookMemInvalid(uc, fn, begin, end) {
      addHook(uc, UC.HOOK_MEM_INVALID, trampoline(fn, MemProto), [], begin, end);
    },
    hookTlbFill(uc, fn) {
      addHook(uc, UC.HOOK_TLB_FILL, trampoline(fn, TlbFillProto), []);
    },
    useVirtualTlb: (uc) => ctl(uc, UC.CTL_TLB_TYPE, "int", UC.TLB_VIRTUAL) === UC.ERR_OK,
    flushTlb: (uc) => void ctl(uc, UC.CTL_TLB_FLUSH),
    removeCodeCache: (uc, begin, end) => void ctl(uc, UC.CTL_TB_REMOVE_CACHE, "uint64_t", begin, "uint64_t", end),
    flushCode: (uc) => void ctl(uc, UC.CTL_TB_FLUSH),
    stopTimer(uc) {
      const stubs = preemptStubs();
      if (ucEmuStop === 0 || stubs === 0) return null;
      const block = allocNative(TIMER_BLOCK);
      const view = new DataView(block.bytes.buffer, block.bytes.byteOffset, TIMER_BLOCK);
      const cell = new Uint32Array(block.bytes.buffer, block.bytes.byteOffset + PREEMPT, 2);
      view.setBigUint64(PREEMPT + 8, BigInt(ucEmuStop), true);
      view.setBigUint64(SIGEVENT, BigInt(block.address + PREEMPT), true);
      view.setInt32(SIGEVENT + 12, SIGEV_THREAD, true);
      view.setBigUint64(SIGEVENT + 16, BigInt(stubs), true);
      const hh = [0];
      if (hookAddNative(uc, hh, UC.HOOK_BLOCK, stubs + CHECK_STUB_AT, block.address + PREEMPT, 1, 0) !== UC.ERR_OK ||
        (timerCreate(CLOCK_MONOTONIC, block.address + SIGEVENT, block.address + TIMER_ID) as number) !== 0) {
        freeNative(block);
        return null;
      }
      const timer = view.getBigUint64(TIMER_ID, true);
      const set = (us: number): void => {
        view.setUint32(ITIMERSPEC + 16, us / 1e6, true);
        view.setUint32(ITIMERSPEC + 24, (us % 1e6) * 1000, true);
        timerSettime(timer, 0, block.address + ITIMERSPEC, block.address + OLD_ITIMERSPEC);
      };
      return {
        arm: set,
        disarm() {
          set(0);
          const stopped = cell[1] !== 0;
          cell[0] = cell[1] = 0;
          return stopped;
        },
        dispose() {
          timerDelete(timer);
          setTimeout(() => freeNative(block), NOTIFY_IN_FLIGHT_MS).unref();
        },
      };
    },
    tlbEntryCells(address) {
      let cells = entryViews.get(address);
      if (cells === undefined) {
        if (entryViews.size >= 64) entryViews.clear();
        cells = new Uint32Array(koffi.view(asPointer(address, address, 0), TLB_ENTRY_BYTES));
        entryViews.set(address, cells);
      }
      return cells;
    },
    contextAlloc(uc) {
      const out = [0];
      check("allocate a CPU context", contextAlloc(uc, out) as number);
      return out[0]!;
    },
    contextSave: contextSave as UnicornApi["contextSave"],
    contextRestore: contextRestore as UnicornApi["contextRestore"],
    contextFree: contextFree as UnicornApi["contextFree"],
    contextSize: (uc) => Number(contextSize(uc)),
    copyMemory: (dst, src, size) => void memcpy(dst, src, size),
  };
  return api;
}

interface HostLibc {
  mmap: (addr: number, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  munmap: (addr: number, len: number) => number;
  mprotect: (addr: number, len: number, prot: number) => number;
  madvise: (addr: number, len: number, advice: number) => number;
  mallocTrim: (pad: number) => number;
  /** memmove(p, p, 0) returns p as a pointer object, which koffi.view needs. */
  asPointer: (dst: number, src: number, n: number) => unknown;
}
let libc: HostLibc | null = null;

function hostLibc(): HostLibc {
  if (!libc) {
    const lib = koffi.load("libc.so.6");
    libc = {
      mmap: lib.func("void *mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, intptr_t off)"),
      munmap: lib.func("int munmap(uintptr_t addr, size_t len)"),
      mprotect: lib.func("int mprotect(uintptr_t addr, size_t len, int prot)"),
      madvise: lib.func("int madvise(uintptr_t addr, size_t len, int advice)"),
      mallocTrim: lib.func("int malloc_trim(size_t pad)"),
      asPointer: lib.func("void *memmove(uintptr_t dst, uintptr_t src, size_t n)"),
    };
  }
  return libc;
}

let stubsPage: number | null = null;

/** The page holding FIRE_STUB (at 0) and CHECK_STUB, made executable once; 0 when the host refuses. */
function preemptStubs(): number {
  if (stubsPage !== null) return stubsPage;
  const PAGE = 4096, PROT_READ_EXEC = 5;
  const page = allocNative(PAGE);
  page.bytes.set(FIRE_STUB, 0);
  page.bytes.set(CHECK_STUB, CHECK_STUB_AT);
  stubsPage = hostLibc().mprotect(page.address, PAGE, PROT_READ_EXEC) === 0 ? page.address : 0;
  return stubsPage;
}

/** The address of `size` bytes of page-aligned, zero-filled host memory from mmap (MAP_NORESERVE: untouched pages cost nothing). */
export function hostMmap(size: number): number {
  const PROT_RW = 3, MAP_PRIVATE_ANON_NORESERVE = 0x22 | 0x4000;
  const ptr = hostLibc().mmap(0, size, PROT_RW, MAP_PRIVATE_ANON_NORESERVE, -1, 0);
  const address = Number(koffi.address(ptr));
  if (address === 0 || address === 2 ** 64 - 1 || address > 2 ** 53) throw new RangeError(`Cannot allocate ${size} bytes of host memory`);
  return address;
}

export function hostMunmap(address: number, size: number): void {
  hostLibc().munmap(address, size);
}

/** Gives the pages back to the host; they read as zero when touched again (MADV_DONTNEED). */
export function hostMadvise(address: number, size: number): void {
  const MADV_DONTNEED = 4;
  hostLibc().madvise(address, size, MADV_DONTNEED);
}

/** A view larger than a typed array can be aborts the host process (a fatal N-API error): refuse it first. */
function checkViewSize(size: number): void {
  if (!(size > 0 && size <= MAX_VIEW_BYTES)) throw new RangeError(`Cannot view ${size} bytes of host memory: one view holds at most ${MAX_VIEW_BYTES}`);
}

/** Bytes at a host address the process owns, as their own ArrayBuffer. */
export function nativeView(address: number, size: number): Uint8Array {
  checkViewSize(size);
  return new Uint8Array(koffi.view(hostLibc().asPointer(address, address, 0), size));
}

/** Page-aligned, zero-filled host memory from mmap, never moved by the JS heap. */
export function allocNative(size: number): NativeBlock {
  checkViewSize(size);
  const address = hostMmap(size);
  return { bytes: nativeView(address, size), address };
}

export function freeNative(block: NativeBlock): void {
  hostMunmap(block.address, block.bytes.byteLength);
}

// A closed engine's many small C allocations stay in the C heap (measured: ~310 KB of
// ~2.9 MB per engine), so without a trim every exited process kept that much host memory.
let trimTimer: ReturnType<typeof setTimeout> | null = null;

function trimHeapSoon(): void {
  if (trimTimer) return;
  trimTimer = setTimeout(() => {
    trimTimer = null;
    hostLibc().mallocTrim(0);
  }, TRIM_AFTER_CLOSE_MS);
  trimTimer.unref();
}
