// One kernel of a system description, from its spec to its summary, on whatever thread
// runs it (boot.ts for the main thread, kernel_worker.ts for a worker of its own):
//
//   startStreams(spec, ends)   the first program's descriptors 0, 1, 2: the host's, a
//                              console pipe the caller drains, or a channel pipe's end
//   runKernel(spec, …)         boots the user kernel in the thread's root task (its
//                              net-task as the boot wired it), starts the program, runs
//                              until it exits (or the kernel fails), stops its file
//                              systems and net-task and returns what it used
//   KernelControl              how the boot stops a running kernel (SIGTERM, then SIGKILL)
//
// A program that cannot start ends its kernel with a failure, not the boot.

import { O_RDONLY, O_WRONLY } from "../linux-abi/fcntl.ts";
import { osThreadId } from "../device-ipc/mod.ts";
import type { FsFaultSpec } from "../fs-task/mod.ts";
import type { TaskFaultSpec } from "../device-ipc/fault_hook.ts";
import { ElfError } from "./elf.ts";
import type { FileOps } from "./file.ts";
import { guestLayout } from "./mounts.ts";
import { PipeEnd, type Pipe, type PipeFs } from "./pipe.ts";
import type { KernelNet } from "./boot_network.ts";
import type { KernelSpec } from "./system_description.ts";
import { UserKernel, type KernelHost } from "./user_kernel.ts";
import type { RunStats } from "./run_stats.ts";

export interface KernelSummary {
  name: string;
  thread: "main" | "worker";
  /** The host OS thread it ran on (Linux gettid; 0 if unknown). */
  hostThread: number;
  status: number;
  signal: number;
  /** Why the kernel itself failed; null when its program exited. */
  failure: string | null;
  cpuUs: number;
  peakBytes: number;
  syscalls: number;
  /** Requests its memory quota could not meet. */
  quotaRefusals: number;
  /** Times its fs-task died and was started again. */
  fsRestarts: number;
  /** Times its net-task died and was started again. */
  netRestarts: number;
  /** What each of its tasks did (with --stats or --report). */
  stats?: RunStats;
}

/** Where one descriptor of the first program goes, as the caller wired it. */
export type StreamEnd = { kind: "host" } | { kind: "pipe"; pipe: Pipe } | { kind: "empty" };

/** The three descriptors; a pipe end reads (0) or writes (1, 2) the pipe given. */
export function startStreams(ends: readonly [StreamEnd, StreamEnd, StreamEnd], pipes: PipeFs): (FileOps | null)[] {
  return ends.map((end, fd) => {
    if (end.kind === "host") return null;
    // No writer: the program reads end of file at once.
    const pipe = end.kind === "pipe" ? end.pipe : pipes.create();
    return new PipeEnd(pipe, fd === 0 ? O_RDONLY : O_WRONLY);
  });
}

/**
 * The boot's hold on a kernel it runs: stop() asks for SIGTERM to its programs, or with
 * `kill` SIGKILL (UserKernel.stop); a request made before its programs started waits for
 * them.
 */
export class KernelControl {
  #kernel: UserKernel | null = null;
  #asked: boolean | null = null;

  stop(kill: boolean): void {
    this.#asked = kill || (this.#asked ?? false);
    this.#kernel?.stop(kill);
  }

  /** Its programs run: a stop asked for already acts now. */
  started(uk: UserKernel): void {
    this.#kernel = uk;
    if (this.#asked !== null) uk.stop(this.#asked);
  }

  ended(): void {
    this.#kernel = null;
  }
}

export interface RunKernelOptions {
  host: KernelHost;
  /** The root image for kernels whose spec names none. */
  defaultImage: string;
  streams: (FileOps | null)[];
  /** The host terminal's descriptor when this kernel owns it. */
  consoleFd: number | null;
  /** Its net-task (boot_network.ts); null for none. */
  net: KernelNet;
  /** Host signals reach this kernel's programs (it owns the host's stdin). */
  hostSignals: boolean;
  /** Test hook (UserKernelOptions.beforeSyscall). */
  beforeSyscall?: (nr: number) => void;
  /** --trace-ipc: a line per message on stderr; --stats: the summary gets `stats`. */
  traceIpc?: boolean;
  stats?: boolean;
  /** Test hooks (UserKernelOptions.fsFault, netFault). */
  fsFault?: FsFaultSpec;
  netFault?: TaskFaultSpec;
  /** The boot's way to stop it. */
  control?: KernelControl;
}

/** The image a kernel's root is, or null when its root is a host directory. */
export function kernelImage(spec: KernelSpec, defaultImage: string): string | null {
  return "image" in spec.root ? (spec.root.image ?? defaultImage) : null;
}

export async function runKernel(spec: KernelSpec, opts: RunKernelOptions): Promise<KernelSummary> {
  const summary: KernelSummary = {
    name: spec.name, thread: spec.thread, hostThread: osThreadId(), status: 0, signal: 0, failure: null, cpuUs: 0, peakBytes: 0, syscalls: 0, quotaRefusals: 0, fsRestarts: 0, netRestarts: 0,
  };
  const root = "host" in spec.root ? spec.root.host : null;
  const image = kernelImage(spec, opts.defaultImage) ?? opts.defaultImage;
  let uk: UserKernel;
  try {
    const layout = guestLayout({ root, image, volumes: spec.volumes, tmpfs: spec.tmpfs, workdir: spec.workdir, isolate: true, hostCwd: "/" });
    uk = await UserKernel.create({
      memoryQuota: spec.memory, layout, fsMode: spec.fsMode, strace: false, consoleFd: opts.consoleFd, host: opts.host, net: opts.net,
      priority: spec.priority, hostSignals: opts.hostSignals, streams: opts.streams, name: spec.name, stats: opts.stats ?? false,
      ...(opts.traceIpc ? { traceIpc: (line: string) => process.stderr.write(line + "\n") } : {}),
      ...(opts.beforeSyscall ? { beforeSyscall: opts.beforeSyscall } : {}),
      ...(opts.fsFault ? { fsFault: opts.fsFault } : {}),
      ...(opts.netFault ? { netFault: opts.netFault } : {}),
    });
  } catch (e) {
    return { ...summary, failure: `cannot boot: ${(e as Error).message}` };
  }
  try {
    uk.spawn(spec.programs, spec.env.map(([k, v]) => `${k}=${v}`), spec.init);
    opts.control?.started(uk);
    const exit = await uk.run();
    Object.assign(summary, { status: exit.status, signal: exit.signal, failure: exit.failure ?? null });
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    summary.failure = `cannot start ${e.program ?? spec.programs[0]![0]}: ${e.message}`;
  } finally {
    opts.control?.ended();
    await uk.shutdown();
    // Its memory returns to this thread's root task.
    uk.release();
    // Ends the program never took (it did not start) close too: a pipe it would have fed
    // sees end of file.
    for (const end of opts.streams) end?.release();
  }
  const { cpuUs, peakBytes, syscalls, quotaRefusals, fsRestarts, netRestarts } = uk.stats;
  const stats = uk.runStats();
  return { ...summary, cpuUs: Math.round(cpuUs), peakBytes, syscalls, quotaRefusals, fsRestarts, netRestarts, ...(stats ? { stats } : {}) };
}
