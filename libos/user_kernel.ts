// A user kernel: one kernel-task, its file systems, its memory quota, its processes.
//
// Boot, as a root task on the microkernel: carve the user kernel's Untyped quota, an
// endpoint, and a native TCB for the kernel-task, which serves the endpoint passively.
// Each guest thread is a guest TCB whose message buffer is its vCPU's register block
// and whose fault endpoint capability is the endpoint minted with badge = tid. Guest
// memory is Frames retyped from the quota, so running out of it is ENOMEM, not a crash.
//
// Run: the scheduler picks a runnable guest TCB; its vCPU runs for a time slice. A
// syscall trap becomes deliverFault(UnknownSyscall): the kernel copies the registers to
// the kernel-task, which answers inside the same CPU run (fast path) or keeps the reply
// and answers when its Promise settles; meanwhile only that thread is blocked.

import { hostname } from "node:os";
import { DevFs, HostFs } from "../fs-task/mod.ts";
import { FaultLabel, Kernel, KernelError, Rights, RootSlot, getWord, setWord, type Frame, type Reply, type Tcb, type Untyped } from "../microkernel/mod.ts";
import type { CpuEngine, StopReason, Vcpu } from "../microkernel/platform/cpu.ts";
import { UnicornX86Engine, X86_REG_ID } from "../microkernel/platform/unicorn_x86_64.ts";
import { allocNative, freeNative } from "../microkernel/platform/unicorn_ffi.ts";
import { FSR_MAPPED, FULL_LENGTH, Msg, RESULT, UserExceptionMsg, VmFaultMsg, X86Vector, X86_64_MESSAGE_REGISTERS } from "../syscall-shim/x86_64.ts";
import { Perm } from "../microkernel/platform/cpu.ts";
import { parseElf } from "./elf.ts";
import { FdTable, OpenFile } from "./file.ts";
import { HostStream } from "./host_stream.ts";
import { KernelTask } from "./kernel_task.ts";
import { loadElf } from "./loader.ts";
import { GuestMemory, pageUp, type HostMemory, type VSpace } from "./memory.ts";
import { Process, Thread } from "./process.ts";
import { NO_REPLY } from "./sys/context.ts";
import { Vfs, resolvePath } from "./vfs.ts";

const SLICE_US = 20_000;
const O_RDONLY = 0, O_WRONLY = 1;

export interface UserKernelOptions {
  /** Bytes of memory the user kernel may use for guest frames. */
  memoryQuota: number;
  cwd: string;
  strace: boolean;
  /** Where strace lines go (default: stderr). */
  traceSink?: (line: string) => void;
}

export interface ExitInfo {
  status: number;
  signal: number;
}

/** Where the root task keeps its capabilities: one CNode, slots handed out and returned. */
class Slots {
  #next = 16;
  readonly #free: number[] = [];

  take(): number {
    return this.#free.pop() ?? this.#next++;
  }

  give(slot: number): void {
    this.#free.push(slot);
  }
}

/** Guest memory as Frame objects retyped from the user kernel's Untyped. */
class FrameVSpace implements VSpace {
  readonly #frames = new Map<number, number>();

  constructor(
    readonly kernel: Kernel,
    readonly slots: Slots,
    readonly untypedSlot: number,
    readonly engine: CpuEngine,
  ) {}

  allocate(size: number): HostMemory | null {
    const slot = this.slots.take();
    const r = this.kernel.untypedRetype(this.kernel.rootTcb, this.untypedSlot, "Frame", pageUp(size), 1, RootSlot.CNode, slot);
    if (r.error !== KernelError.Ok) {
      this.slots.give(slot);
      return null;
    }
    const frame = r.objects[0] as Frame;
    this.#frames.set(frame.hostAddress, slot);
    return frame.memory;
  }

  release(mem: HostMemory): void {
    const slot = this.#frames.get(mem.hostAddress);
    if (slot === undefined) return;
    this.#frames.delete(mem.hostAddress);
    this.kernel.cnodeDelete(this.kernel.rootTcb, RootSlot.CNode, slot);
    this.slots.give(slot);
  }

  map(vaddr: number, hostAddress: number, size: number, prot: number): boolean {
    return this.engine.map(vaddr, hostAddress, size, prot) === 0;
  }

  unmap(vaddr: number, size: number): void {
    this.engine.unmap(vaddr, size);
  }

  protect(vaddr: number, size: number, prot: number): void {
    this.engine.protect(vaddr, size, prot);
  }
}

const nativeFrames = {
  allocate(size: number) {
    const block = allocNative(size);
    return { bytes: block.bytes, hostAddress: block.address };
  },
  release(mem: HostMemory) {
    freeNative({ bytes: mem.bytes, address: mem.hostAddress });
  },
};

// Room for the microkernel's own objects besides the guest memory quota.
const KERNEL_OBJECT_BYTES = 16 * 1024 * 1024;

interface GuestThread {
  thread: Thread;
  tcb: Tcb;
  tcbSlot: number;
  engine: CpuEngine;
  vcpu: Vcpu;
  /** A reply arrived while the thread was off the CPU: RAX must be written before it runs. */
  replyPending: boolean;
  dead: boolean;
}

export class UserKernel {
  readonly vfs = new Vfs();
  readonly kernelTask: KernelTask;
  readonly #opts: UserKernelOptions;
  readonly kernel: Kernel;
  readonly #slots = new Slots();
  readonly #untypedSlot: number;
  readonly #endpointSlot: number;
  readonly #guests = new Map<number, GuestThread>();
  readonly #byTcb = new Map<Tcb, GuestThread>();
  #nextPid = 1;
  #wake: (() => void) | null = null;
  #init: Process | null = null;
  #exit: ExitInfo | null = null;

  constructor(opts: UserKernelOptions) {
    this.#opts = opts;
    this.vfs.mount("/", new HostFs({ root: "/" }));
    this.vfs.mount("/dev", new DevFs());
    const sink = opts.traceSink ?? ((line: string) => process.stderr.write(line + "\n"));
    this.kernelTask = new KernelTask({
      vfs: this.vfs,
      hostname: hostname(),
      trace: opts.strace ? sink : null,
      hooks: {
        exitProcess: (p, status, signal) => this.#exitProcess(p, status, signal),
        exitThread: (t) => this.#exitThread(t),
        setTlsBase: (t, base) => this.#guests.get(t.tid)!.vcpu.writeExtra(X86_REG_ID.fs_base!, BigInt(base)),
        memoryQuota: () => ({ total: opts.memoryQuota, free: this.#quota().free }),
      },
    });
    this.kernel = new Kernel({ untypedBytes: opts.memoryQuota + KERNEL_OBJECT_BYTES, rootCnodeRadix: 16, frameAllocator: nativeFrames });
    const k = this.kernel, root = k.rootTcb;
    this.#untypedSlot = this.#retype("Untyped", opts.memoryQuota);
    this.#endpointSlot = this.#retype("Endpoint", 0);
    const serverSlot = this.#retype("Tcb", 0);
    const server = this.#objectAt(serverSlot) as Tcb;
    k.tcbConfigure(root, serverSlot, { cspaceRootCptr: RootSlot.CNode, priority: 200 });
    k.tcbResume(root, serverSlot);
    const served = k.serve(server, this.#endpointSlot, {
      protected: (tcb, badge, reply) => this.#serveSyscall(tcb, badge, reply),
    });
    if (served.error !== KernelError.Ok) throw new Error(`Cannot start the kernel-task: microkernel error ${served.error}`);
  }

  #retype(kind: "Untyped" | "Endpoint" | "Tcb", size: number, options = {}): number {
    const slot = this.#slots.take();
    const r = this.kernel.untypedRetype(this.kernel.rootTcb, RootSlot.Untyped, kind, size, 1, RootSlot.CNode, slot, options);
    if (r.error !== KernelError.Ok) throw new RangeError(`Cannot create ${kind}: microkernel error ${r.error}`);
    return slot;
  }

  #objectAt(slot: number): unknown {
    return this.kernel.rootCnode.capAt(slot)!.object;
  }

  #quota(): { free: number } {
    return { free: (this.#objectAt(this.#untypedSlot) as Untyped).freeBytes };
  }

  /** The kernel-task's protected() entry: answer now, later, or never (the thread is gone). */
  #serveSyscall(server: Tcb, badge: number, reply: Reply | null): void {
    const words = server.buffer;
    const label = server.info.label;
    if (label === FaultLabel.VMFault || label === FaultLabel.UserException) {
      this.kernelTask.faulted(badge, label === FaultLabel.VMFault ? "VMFault" : "UserException", words);
      return;
    }
    const result = this.kernelTask.protected(badge, words);
    if (result === NO_REPLY || reply === null) return;
    if (typeof result === "number") {
      setWord(words, RESULT, result);
      this.kernel.replyWith(reply, 0, 1);
      return;
    }
    result.then((r) => {
      setWord(server.buffer, RESULT, r);
      this.kernel.replyWith(reply, 0, 1);
      this.#wake?.();
    });
  }

  /** Load `path` (a guest path) as the first process. Throws ElfError/RangeError on bad input. */
  spawn(path: string, argv: string[], envp: string[]): Process {
    const guestPath = resolvePath(this.#opts.cwd, path);
    const { fs, inner } = this.vfs.route(guestPath);
    const st = fs.stat(inner, true);
    if (typeof st === "number") throw new Error(`Cannot run ${path}: ${st === -2 ? "no such file" : `error ${-st}`}`);
    if ((st.mode & 0o170000) !== 0o100000) throw new Error(`Cannot run ${path}: not a regular file`);
    const file = this.#readWhole(guestPath);
    const elf = parseElf(file);

    const engine = new UnicornX86Engine();
    const memory = new GuestMemory(new FrameVSpace(this.kernel, this.#slots, this.#untypedSlot, engine));
    const uid = process.getuid?.() ?? 0, gid = process.getgid?.() ?? 0;
    const pid = this.#nextPid++;
    const fds = new FdTable();
    fds.install(new OpenFile(new HostStream(0, "/dev/stdin"), O_RDONLY), false);
    fds.install(new OpenFile(new HostStream(1, "/dev/stdout"), O_WRONLY), false);
    fds.install(new OpenFile(new HostStream(2, "/dev/stderr"), O_WRONLY), false);
    const p = new Process(pid, 0, memory, fds, this.#opts.cwd, { uid, gid }, guestPath, argv);
    const loaded = loadElf(memory, elf, file, { argv, envp, execfn: path, creds: { uid, gid } });

    const t = new Thread(pid, p);
    t.name = guestPath.slice(guestPath.lastIndexOf("/") + 1).slice(0, 15);
    p.threads.set(t.tid, t);
    this.kernelTask.threads.set(t.tid, t);
    const vcpu = engine.createVcpu(X86_64_MESSAGE_REGISTERS);
    setWord(vcpu.regs, Msg.rip, loaded.entry);
    setWord(vcpu.regs, Msg.rsp, loaded.stackPointer);
    setWord(vcpu.regs, Msg.rflags, 0x202);
    vcpu.writeAll();
    this.#startThread(t, engine, vcpu);
    this.#init = p;
    return p;
  }

  /** A guest TCB over the vCPU, faulting to the kernel-task with badge = tid. */
  #startThread(t: Thread, engine: CpuEngine, vcpu: Vcpu): void {
    const k = this.kernel, root = k.rootTcb;
    const tcbSlot = this.#retype("Tcb", 0, { threadKind: "guest", buffer: vcpu.regs });
    const faultSlot = this.#slots.take();
    k.cnodeMint(root, RootSlot.CNode, faultSlot, RootSlot.CNode, this.#endpointSlot, Rights.Write | Rights.GrantReply, t.tid);
    k.tcbConfigure(root, tcbSlot, { cspaceRootCptr: RootSlot.CNode, faultEndpointCptr: faultSlot, priority: 100 });
    const tcb = this.#objectAt(tcbSlot) as Tcb;
    tcb.vcpu = vcpu;
    const g: GuestThread = { thread: t, tcb, tcbSlot, engine, vcpu, replyPending: false, dead: false };
    this.#guests.set(t.tid, g);
    this.#byTcb.set(tcb, g);
    k.tcbResume(root, tcbSlot);
  }

  #readWhole(guestPath: string): Uint8Array {
    const { fs, inner } = this.vfs.route(guestPath);
    const h = fs.open(inner, O_RDONLY, 0);
    if (typeof h !== "number" || h < 0) throw new Error(`Cannot run ${guestPath}: cannot open (${typeof h === "number" ? -h : "busy"})`);
    try {
      const st = fs.fstat(h);
      if (typeof st === "number") throw new Error(`Cannot run ${guestPath}: cannot stat`);
      const buf = new Uint8Array(st.size);
      let at = 0;
      while (at < buf.length) {
        const n = fs.pread(h, buf.subarray(at), at);
        if (typeof n !== "number" || n <= 0) break;
        at += n;
      }
      return buf.subarray(0, at);
    } finally {
      fs.close(h);
    }
  }

  /** Run until the first process exits; resolves with its status. */
  async run(): Promise<ExitInfo> {
    const scheduler = this.kernel.scheduler;
    while (!this.#exit) {
      const tcb = scheduler.pickNext();
      if (!tcb) {
        // Every thread waits on a reply (timer, host I/O): sleep until one arrives.
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = null;
        continue;
      }
      const g = this.#byTcb.get(tcb);
      if (!g || g.dead) continue;
      if (g.replyPending) {
        g.replyPending = false;
        applyReply(g);
      }
      const others = scheduler.size > 0;
      const stop = g.engine.run(g.vcpu, others ? SLICE_US : SLICE_US * 5, (vcpu) => this.#onSyscall(g, vcpu));
      this.#afterStop(g, stop);
      // Let host I/O completions and timers run between slices.
      if (others && !this.#exit) await new Promise<void>((r) => setImmediate(r));
    }
    return this.#exit;
  }

  /** The syscall trap: deliver the fault; resume at once if the answer is already here. */
  #onSyscall(g: GuestThread, vcpu: Vcpu): boolean {
    const r = this.kernel.deliverFault(g.tcb, "UnknownSyscall", FULL_LENGTH);
    if (r.status === "completed" && !g.dead) {
      applyReply(g);
      return true;
    }
    if (r.status === "blocked") g.replyPending = true;
    return false;
  }

  #afterStop(g: GuestThread, stop: StopReason): void {
    if (g.dead || g.tcb.state !== "Running") return;
    switch (stop.kind) {
      case "preempted":
        this.kernel.scheduler.enqueue(g.tcb);
        return;
      case "syscall":
        return;
      case "memory":
      case "interrupt":
      case "invalid":
        return this.#deliverException(g, stop);
      case "error":
        process.stderr.write(`libos: CPU engine error: ${stop.message}\n`);
        return this.#deliverException(g, stop);
    }
  }

  /** A CPU fault becomes a VMFault or UserException message to the kernel-task. */
  #deliverException(g: GuestThread, stop: StopReason): void {
    const regs = g.vcpu.regs;
    const ip = getWord(regs, Msg.rip), sp = getWord(regs, Msg.rsp), flags = getWord(regs, Msg.rflags);
    // The register block doubles as the message buffer; the engine keeps the registers.
    if (stop.kind === "memory") {
      setWord(regs, VmFaultMsg.IP, ip);
      setWord(regs, VmFaultMsg.ADDR, stop.address);
      setWord(regs, VmFaultMsg.PREFETCH, stop.access === Perm.Exec ? 1 : 0);
      setWord(regs, VmFaultMsg.FSR, stop.access | (stop.mapped ? FSR_MAPPED : 0));
      this.kernel.deliverFault(g.tcb, "VMFault", VmFaultMsg.LENGTH);
      return;
    }
    const vector = stop.kind === "interrupt" ? stop.address : stop.kind === "invalid" ? X86Vector.InvalidOpcode : X86Vector.GeneralProtection;
    setWord(regs, UserExceptionMsg.IP, ip);
    setWord(regs, UserExceptionMsg.SP, sp);
    setWord(regs, UserExceptionMsg.FLAGS, flags);
    setWord(regs, UserExceptionMsg.NUMBER, vector);
    setWord(regs, UserExceptionMsg.CODE, 0);
    this.kernel.deliverFault(g.tcb, "UserException", UserExceptionMsg.LENGTH);
  }

  #exitThread(t: Thread): void {
    this.#stopThread(t);
    t.process.threads.delete(t.tid);
    this.kernelTask.threads.delete(t.tid);
    if (t.process.threads.size === 0) this.#exitProcess(t.process, 0, 0);
  }

  /** TCB Suspend: the thread never runs again; its reply, if any, is cancelled. */
  #stopThread(t: Thread): void {
    const g = this.#guests.get(t.tid);
    if (g && !g.dead) {
      g.dead = true;
      this.kernel.tcbSuspend(this.kernel.rootTcb, g.tcbSlot);
    }
    this.kernelTask.threads.delete(t.tid);
  }

  #exitProcess(p: Process, status: number, signal: number): void {
    if (!p.alive) return;
    p.exitStatus = status;
    p.killedBy = signal;
    for (const t of p.threads.values()) this.#stopThread(t);
    p.fds.closeAll();
    if (p === this.#init) {
      this.#exit = { status, signal };
      this.#wake?.();
    }
  }
}

/** seL4 UnknownSyscall reply: length 1 rewrites RAX; a full-length reply every register. */
function applyReply(g: GuestThread): void {
  if (g.tcb.info.length >= FULL_LENGTH) g.vcpu.writeAll();
  else g.vcpu.writeOne(RESULT);
}
