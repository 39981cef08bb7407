// A user kernel: one kernel-task, its file systems, its memory quota, its processes.
//
// Boot: make the VFS (host root through the fs-task's HostFs, /dev through DevFs), the
// kernel-task, and the first process from an ELF file. Then run: pick a runnable
// thread, run its vCPU for a time slice; a syscall trap becomes an UnknownSyscall fault
// delivered to the kernel-task; an immediate answer resumes the thread inside the same
// CPU run (fast path), a Promise leaves it blocked until the answer comes.

import { hostname } from "node:os";
import { DevFs, HostFs } from "../fs-task/mod.ts";
import type { CpuEngine, StopReason, Vcpu } from "../microkernel/platform/cpu.ts";
import { UnicornX86Engine, X86_REG_ID } from "../microkernel/platform/unicorn_x86_64.ts";
import { allocNative, freeNative } from "../microkernel/platform/unicorn_ffi.ts";
import { Msg, RESULT, X86_64_MESSAGE_REGISTERS } from "../syscall-shim/x86_64.ts";
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
const SIGSEGV = 11, SIGILL = 4, SIGFPE = 8, SIGTRAP = 5, SIGBUS = 7;

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

/** Frames for guest memory, counted against the quota. */
class QuotaVSpace implements VSpace {
  used = 0;

  constructor(
    readonly engine: CpuEngine,
    readonly quota: number,
  ) {}

  allocate(size: number): HostMemory | null {
    const bytes = pageUp(size);
    if (this.used + bytes > this.quota) return null;
    this.used += bytes;
    const block = allocNative(bytes);
    return { bytes: block.bytes, hostAddress: block.address };
  }

  release(mem: HostMemory): void {
    this.used -= mem.bytes.byteLength;
    freeNative({ bytes: mem.bytes, address: mem.hostAddress });
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

interface GuestThread {
  thread: Thread;
  engine: CpuEngine;
  vcpu: Vcpu;
  state: "runnable" | "blocked" | "dead";
}

export class UserKernel {
  readonly vfs = new Vfs();
  readonly kernelTask: KernelTask;
  readonly #opts: UserKernelOptions;
  readonly #guests = new Map<number, GuestThread>();
  readonly #runQueue: GuestThread[] = [];
  #nextPid = 1;
  #vspace: QuotaVSpace | null = null;
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
        memoryQuota: () => ({ total: opts.memoryQuota, free: opts.memoryQuota - (this.#vspace?.used ?? 0) }),
      },
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
    const vspace = new QuotaVSpace(engine, this.#opts.memoryQuota);
    this.#vspace = vspace;
    const memory = new GuestMemory(vspace);
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
    const g: GuestThread = { thread: t, engine, vcpu, state: "runnable" };
    this.#guests.set(t.tid, g);
    this.#runQueue.push(g);
    this.#init = p;
    return p;
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
    while (!this.#exit) {
      const g = this.#runQueue.shift();
      if (!g) {
        // Everyone is blocked: wait for a reply to arrive (timer, host I/O).
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = null;
        continue;
      }
      if (g.state !== "runnable") continue;
      const others = this.#runQueue.length > 0;
      const stop = g.engine.run(g.vcpu, others ? SLICE_US : SLICE_US * 5, (vcpu) => this.#onSyscall(g, vcpu));
      this.#afterStop(g, stop);
      // Let host I/O completions and timers run between slices.
      if (this.#runQueue.length > 0 && !this.#exit) await new Promise<void>((r) => setImmediate(r));
    }
    return this.#exit;
  }

  #onSyscall(g: GuestThread, vcpu: Vcpu): boolean {
    const result = this.kernelTask.protected(g.thread.tid, vcpu.regs);
    if (typeof result === "number") {
      setWord(vcpu.regs, RESULT, result);
      vcpu.writeOne(RESULT);
      return true;
    }
    if (result === NO_REPLY) return false;
    g.state = "blocked";
    result.then((r) => this.#replyLater(g, r));
    return false;
  }

  #replyLater(g: GuestThread, result: number): void {
    if (g.state === "dead") return;
    setWord(g.vcpu.regs, RESULT, result);
    g.vcpu.writeOne(RESULT);
    g.state = "runnable";
    this.#runQueue.push(g);
    this.#wake?.();
  }

  #afterStop(g: GuestThread, stop: StopReason): void {
    if (g.state === "dead" || g.state === "blocked") return;
    switch (stop.kind) {
      case "preempted":
        this.#runQueue.push(g);
        return;
      case "syscall":
        return;
      case "memory":
        return this.#fatalSignal(g, stop.mapped ? SIGSEGV : SIGSEGV);
      case "interrupt":
        return this.#fatalSignal(g, stop.address === 0 ? SIGFPE : stop.address === 3 ? SIGTRAP : stop.address === 6 ? SIGILL : stop.address === 17 ? SIGBUS : SIGSEGV);
      case "invalid":
        return this.#fatalSignal(g, SIGILL);
      case "error":
        process.stderr.write(`libos: CPU engine error: ${stop.message}\n`);
        return this.#fatalSignal(g, SIGSEGV);
    }
  }

  #fatalSignal(g: GuestThread, sig: number): void {
    this.#exitProcess(g.thread.process, 0, sig);
  }

  #exitThread(t: Thread): void {
    const g = this.#guests.get(t.tid);
    if (g) g.state = "dead";
    t.process.threads.delete(t.tid);
    this.kernelTask.threads.delete(t.tid);
    if (t.process.threads.size === 0) this.#exitProcess(t.process, 0, 0);
  }

  #exitProcess(p: Process, status: number, signal: number): void {
    if (!p.alive) return;
    p.exitStatus = status;
    p.killedBy = signal;
    for (const t of p.threads.values()) {
      const g = this.#guests.get(t.tid);
      if (g) g.state = "dead";
      this.kernelTask.threads.delete(t.tid);
    }
    p.fds.closeAll();
    if (p === this.#init) {
      this.#exit = { status, signal };
      this.#wake?.();
    }
  }
}

function setWord(regs: Uint32Array, index: number, value: number): void {
  regs[index * 2] = value >>> 0;
  regs[index * 2 + 1] = Math.floor(value / 4294967296) >>> 0;
}

