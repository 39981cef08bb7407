// Linux KVM bindings through koffi: /dev/kvm, a VM's and a vCPU's ioctls, the vCPU's
// shared kvm_run page, and the host timer that kicks a running vCPU.
//
// Every pointer crosses the FFI as a number (unicorn_ffi.ts says why); structures are
// built in native scratch blocks and read back through DataViews. The ioctl numbers and
// structure layouts are those of linux/kvm.h (x86) and asm/kvm.h.
//
// The kick: KVM_RUN returns EINTR when a signal is pending for the thread that runs it.
// KICK_SIGNAL is blocked in that thread outside KVM_RUN and unblocked inside it
// (KVM_SET_SIGNAL_MASK), so a POSIX timer aimed at the thread (SIGEV_THREAD_ID) ends a
// run on time however the guest spins, and a kick that arrives between runs stays
// pending and ends the next run at once. The signal is never delivered to a handler: the
// run loop takes it back with sigtimedwait.

import { koffi as loadKoffi } from "./koffi.ts";
import { allocNative, hostMunmap, nativeView, type NativeBlock } from "./unicorn_ffi.ts";

const koffi = loadKoffi();

const io = (nr: number): number => 0xae00 | nr;
const ior = (nr: number, size: number): number => (2 * 2 ** 30) + size * 65536 + 0xae00 + nr;
const iow = (nr: number, size: number): number => 2 ** 30 + size * 65536 + 0xae00 + nr;
const iowr = (nr: number, size: number): number => (3 * 2 ** 30) + size * 65536 + 0xae00 + nr;

export const KVM = {
  GET_API_VERSION: io(0x00),
  CREATE_VM: io(0x01),
  CHECK_EXTENSION: io(0x03),
  GET_VCPU_MMAP_SIZE: io(0x04),
  GET_SUPPORTED_CPUID: iowr(0x05, 8),
  CREATE_VCPU: io(0x41),
  SET_USER_MEMORY_REGION: iow(0x46, 32),
  RUN: io(0x80),
  GET_SREGS: ior(0x83, 312),
  SET_SREGS: iow(0x84, 312),
  GET_MSRS: iowr(0x88, 8),
  SET_MSRS: iow(0x89, 8),
  SET_SIGNAL_MASK: iow(0x8b, 4),
  SET_CPUID2: iow(0x90, 8),
  GET_XSAVE: ior(0xa4, 4096),
  SET_XSAVE: iow(0xa5, 4096),
  SET_XCRS: iow(0xa7, 392),
  SET_VCPU_EVENTS: iow(0xa0, 64),
  CAP_SYNC_REGS: 74,
  CAP_MAX_VCPUS: 66,
  SYNC_X86_REGS: 1,
  EXIT_IO: 2,
  EXIT_HLT: 5,
  EXIT_MMIO: 6,
  EXIT_SHUTDOWN: 8,
  EXIT_FAIL_ENTRY: 9,
  EXIT_INTR: 10,
  EXIT_INTERNAL_ERROR: 17,
  /** struct kvm_run: exit_reason, the io exit's (direction, size, port), kvm_valid_regs, kvm_dirty_regs, s.regs. */
  RUN_EXIT_REASON: 8,
  RUN_IO: 32,
  RUN_VALID_REGS: 288,
  RUN_DIRTY_REGS: 296,
  RUN_SYNC_REGS: 304,
} as const;

export const EINTR = 4;
const O_RDWR_CLOEXEC = 2 | 0o2000000;
const PROT_RW = 3, MAP_SHARED = 1;
const CLOCK_MONOTONIC = 1, SIGEV_THREAD_ID = 4;
const SIG_BLOCK = 0, SIG_SETMASK = 2;
/** The signal that kicks a vCPU out of KVM_RUN (SIGRTMAX - 4; glibc, Node and libuv leave it alone). */
export const KICK_SIGNAL = 60;

export class KvmUnavailableError extends Error {
  constructor(detail: string) {
    super(`Cannot use KVM: ${detail}`);
    this.name = "KvmUnavailableError";
  }
}

export interface KvmApi {
  /** The /dev/kvm descriptor. */
  readonly fd: number;
  readonly vcpuMmapSize: number;
  /** ioctl(2) with a number or an address argument: its result, or -errno (never EINTR: made again). */
  ioctl(fd: number, request: number, arg: number): number;
  /** KVM_RUN on a vCPU: 0, or -errno. */
  run(vcpuFd: number): number;
  /** The vCPU's kvm_run page (and what follows it) mapped into the host. */
  mapRun(vcpuFd: number): NativeBlock;
  unmapRun(block: NativeBlock): void;
  close(fd: number): void;
  /** Scratch native memory for ioctl arguments (one page, reused by every call). */
  readonly scratch: NativeBlock;
  /** The calling thread's signal mask with KICK_SIGNAL blocked, and the mask a vCPU runs with (kernel sigset, 8 bytes). */
  kickMaskFor(vcpuFd: number): void;
  /** The kick timer of the calling thread. */
  kick: KickTimer;
}

/** A one-shot timer that sends KICK_SIGNAL to the thread that made it. */
export interface KickTimer {
  arm(us: number): void;
  /** Disarm; true when it had fired, and then its signal is taken back. */
  disarm(): boolean;
}

let api: KvmApi | null = null;
let failure: string | null = null;

/** The KVM device: /dev/kvm, or the path in LIBOS_KVM_DEVICE (a test points it at a missing file). */
export function kvmDevicePath(): string {
  return process.env.LIBOS_KVM_DEVICE || "/dev/kvm";
}

/** Opens the KVM device once; throws KvmUnavailableError with the reason when it cannot. */
export function kvm(): KvmApi {
  if (api) return api;
  if (failure !== null) throw new KvmUnavailableError(failure);
  try {
    return (api = openKvm());
  } catch (e) {
    failure = e instanceof KvmUnavailableError ? e.message.replace(/^Cannot use KVM: /, "") : String(e);
    throw e instanceof KvmUnavailableError ? e : new KvmUnavailableError(failure);
  }
}

/** Whether /dev/kvm opens and speaks the API this platform needs. */
export function kvmAvailable(): boolean {
  try {
    kvm();
    return true;
  } catch {
    return false;
  }
}

function openKvm(): KvmApi {
  const libc = koffi.load("libc.so.6");
  const open = libc.func("int open(const char *path, int flags)");
  const close = libc.func("int close(int fd)");
  const ioctlRaw = libc.func("int ioctl(int fd, unsigned long request, uintptr_t arg)");
  const mmap = libc.func("uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, intptr_t off)");
  const gettid = libc.func("int gettid(void)");
  const timerCreate = libc.func("int timer_create(int clock, uintptr_t sevp, uintptr_t timerid)");
  const timerSettime = libc.func("int timer_settime(uint64_t timer, int flags, uintptr_t newValue, uintptr_t oldValue)");
  const sigmask = libc.func("int pthread_sigmask(int how, uintptr_t set, uintptr_t old)");
  const sigtimedwait = libc.func("int sigtimedwait(uintptr_t set, uintptr_t info, uintptr_t timeout)");
  const errno = (): number => koffi.errno() as number;

  const device = kvmDevicePath();
  const fd = open(device, O_RDWR_CLOEXEC) as number;
  if (fd < 0) {
    const e = errno();
    const why = ({ 2: "no such file", 6: "no such device", 13: "permission denied", 19: "no such device" } as Record<number, string>)[e] ?? `errno ${e}`;
    throw new KvmUnavailableError(`${device} does not open (${why})`);
  }
  // A signal (a profiler's, the host's) may interrupt any of them: they are made again.
  const ioctl = (f: number, request: number, arg: number): number => {
    for (;;) {
      const rc = ioctlRaw(f, request, arg) as number;
      if (rc >= 0) return rc;
      const e = errno();
      if (e !== EINTR) return -e;
    }
  };
  const version = ioctl(fd, KVM.GET_API_VERSION, 0);
  if (version !== 12) throw new KvmUnavailableError(`${device} does not answer as KVM API version 12 (${version < 0 ? `errno ${-version}` : version})`);
  if ((ioctl(fd, KVM.CHECK_EXTENSION, KVM.CAP_SYNC_REGS) & KVM.SYNC_X86_REGS) === 0) {
    throw new KvmUnavailableError("the host's KVM cannot share registers through kvm_run (KVM_CAP_SYNC_REGS)");
  }
  const vcpuMmapSize = ioctl(fd, KVM.GET_VCPU_MMAP_SIZE, 0);
  const scratch = allocNative(4096 * 2);

  // Kick timer and masks, in a block of their own: sigevent | timer_t | itimerspec new, old |
  // sigset (glibc, 128 bytes) kick alone | sigset old mask | zero timespec | kvm_signal_mask.
  const SEV = 0, TIMER = 64, NEW = 96, OLD = 128, KICK_SET = 160, OLD_SET = 288, ZERO_TS = 416, KVM_MASK = 448;
  const tb = allocNative(4096);
  const tv = new DataView(tb.bytes.buffer, tb.bytes.byteOffset, 4096);
  tv.setInt32(SEV + 8, KICK_SIGNAL, true);
  tv.setInt32(SEV + 12, SIGEV_THREAD_ID, true);
  tv.setInt32(SEV + 16, gettid() as number, true);
  if ((timerCreate(CLOCK_MONOTONIC, tb.address + SEV, tb.address + TIMER) as number) !== 0) {
    throw new KvmUnavailableError(`no kick timer (errno ${errno()})`);
  }
  const timer = tv.getBigUint64(TIMER, true);
  const bit = KICK_SIGNAL - 1;
  tv.setUint8(KICK_SET + (bit >> 3), 1 << (bit & 7));
  // Blocked in this thread from now on, except inside KVM_RUN.
  sigmask(SIG_BLOCK, tb.address + KICK_SET, tb.address + OLD_SET);
  const settime = (us: number): void => {
    tv.setBigUint64(NEW + 16, BigInt(Math.floor(us / 1e6)), true);
    tv.setBigUint64(NEW + 24, BigInt(Math.floor(us % 1e6) * 1000), true);
    timerSettime(timer, 0, tb.address + NEW, tb.address + OLD);
  };
  const kick: KickTimer = {
    arm: (us) => settime(Math.max(us, 1)),
    disarm() {
      settime(0);
      const fired = tv.getBigUint64(OLD + 16, true) === 0n && tv.getBigUint64(OLD + 24, true) === 0n;
      if (fired) sigtimedwait(tb.address + KICK_SET, 0, tb.address + ZERO_TS);
      return fired;
    },
  };

  return {
    fd,
    vcpuMmapSize,
    ioctl,
    run: (vcpuFd) => ((ioctlRaw(vcpuFd, KVM.RUN, 0) as number) < 0 ? -errno() : 0),
    mapRun(vcpuFd) {
      const address = mmap(0, vcpuMmapSize, PROT_RW, MAP_SHARED, vcpuFd, 0) as unknown;
      if (typeof address !== "number" || address === 0 || address > 2 ** 53) throw new RangeError(`Cannot map the vCPU's run page (errno ${errno()})`);
      return { address, bytes: nativeView(address, vcpuMmapSize) };
    },
    unmapRun: (block) => hostMunmap(block.address, block.bytes.byteLength),
    close: (f) => void close(f),
    scratch,
    kickMaskFor(vcpuFd) {
      // The mask KVM_RUN runs with: this thread's usual one (as it was before the kick was
      // blocked), so the kick and the host's own signals (Ctrl-C) end a run.
      sigmask(SIG_SETMASK, 0, tb.address + OLD_SET);
      tv.setUint32(KVM_MASK, 8, true);
      for (let i = 0; i < 8; i++) tv.setUint8(KVM_MASK + 4 + i, tv.getUint8(OLD_SET + i) & ~tv.getUint8(KICK_SET + i));
      const rc = ioctl(vcpuFd, KVM.SET_SIGNAL_MASK, tb.address + KVM_MASK);
      if (rc < 0) throw new KvmUnavailableError(`KVM_SET_SIGNAL_MASK failed (errno ${-rc})`);
    },
    kick,
  };
}
