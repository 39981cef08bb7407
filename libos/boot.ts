// `libos boot SYSTEM.json`: the user kernels of a system description, side by side.
//
//   main thread   one microkernel, its root task (root_task.ts) and run loop
//                 (run_loop.ts): every kernel placed "main" boots in a share of it and
//                 is scheduled with the others by priority and time slice
//   workers       each kernel placed "worker" runs on a host thread of its own
//                 (kernel_worker.ts), with its own microkernel
//
// Channels: a pipe between two kernels on the main thread is one pipe object (pipe.ts);
// across threads it is a shared-memory ring (byte_ring.ts) with a local pipe on each side.
// Root images: the image of kernels on workers is read here once, into shared memory, and
// each of them serves it from there (fs-task/initfs.ts shareImage).
//
// Consoles: a kernel's descriptors 1 and 2 are pipes drained on the main thread into
// `[name] ` lines on the host's stdout and stderr, or into its file; the kernel whose
// console is "tty" has the host terminal and stdin as `libos run` would give them.
//
// Networks: each kernel with `net` gets a net-task with lo and its interfaces; links and
// switches join interfaces (boot_network.ts: in-memory links between stacks on the main
// thread, frame rings in shared memory across threads; switches run here, on the main
// thread, from before the first kernel starts until the last one ended).
//
// The boot ends when every kernel has ended (its programs exited, or the kernel failed);
// each gets a summary. BootStop ends it early, as `docker stop` does containers: SIGTERM
// to every kernel's programs, SIGKILL at the second request.

import { openSync, closeSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { FROM_SOURCE, BOOT_AREA_BYTES, bootError, workerBoot } from "../device-ipc/mod.ts";
import { shareImage, type FsFaultSpec, type SharedImage } from "../fs-task/mod.ts";
import type { TaskFaultSpec } from "../device-ipc/fault_hook.ts";
import type { NetMode } from "../net-task/mod.ts";
import { wireNetwork, type KernelNet, type SegmentTraffic } from "./boot_network.ts";
import { KernelControl, kernelImage, runKernel, startStreams, type KernelSummary, type StreamEnd } from "./boot_kernel.ts";
import { RingEmptier, RingFeeder, newByteRing, ringBytesMoved } from "./byte_ring.ts";
import { ConsoleDrain, PrefixedLines, RawBytes, type ConsoleSink } from "./console_drain.ts";
import type { KernelWorkerCommand, KernelWorkerData, KernelWorkerMessage } from "./kernel_worker.ts";
import { PipeFs, type Pipe } from "./pipe.ts";
import { RootTask } from "./root_task.ts";
import { RunLoop } from "./run_loop.ts";
import type { KernelSpec, Port, SystemSpec } from "./system_description.ts";
import { shareBytes } from "./user_kernel.ts";

export interface BootOptions {
  /** The root image for kernels that name none. */
  defaultImage: string;
  /** The launcher's terminal, for the kernel whose console is "tty". */
  terminalFd: number | null;
  /** Test hooks: per kernel name (main thread only), run before each syscall its kernel-task serves. */
  beforeSyscall?: ReadonlyMap<string, (nr: number) => void>;
  /** Test hook: per kernel name, its fs-task fails at its Nth request (fs-task/_fault_hook.ts). */
  fsFault?: ReadonlyMap<string, FsFaultSpec>;
  /** Test hook: per kernel name, its net-task fails at its Nth request (device-ipc/fault_hook.ts). */
  netFault?: ReadonlyMap<string, TaskFaultSpec>;
  /** --trace-ipc: a line per message on stderr. */
  traceIpc?: boolean;
  /** --stats (and --report): each summary gets what its tasks did. */
  stats?: boolean;
  /** --net-mode: every kernel's net-task in this mode, whatever its description says. */
  netMode?: NetMode;
  /** How the caller stops the boot early (the CLI's Ctrl-C). */
  stop?: BootStop;
}

/** Stops every kernel of a boot: the first request sends SIGTERM to their programs, the next SIGKILL. */
export class BootStop {
  readonly #kernels: ((kill: boolean) => void)[] = [];
  #requests = 0;

  /** Asks again; true when this one kills. */
  request(): boolean {
    const kill = ++this.#requests > 1;
    for (const stop of this.#kernels) stop(kill);
    return kill;
  }

  get requested(): boolean {
    return this.#requests > 0;
  }

  /** A kernel of the boot; a request made before it started reaches it at once. */
  add(stop: (kill: boolean) => void): void {
    this.#kernels.push(stop);
    if (this.#requests > 0) stop(this.#requests > 1);
  }
}

/**
 * A channel of the description and what went through it: a pipe's bytes from one kernel
 * to another; a link's frames and bytes both ways; a switch port's, in and out (`to` is
 * the switch). `label` names the ends as the description does.
 */
export interface ChannelTraffic {
  kind: "pipe" | "link" | "switch";
  from: string;
  to: string;
  label: string;
  bytes: number;
  /** Links and switch ports: Ethernet frames. */
  frames?: number;
}

export interface BootResult {
  summaries: KernelSummary[];
  channels: ChannelTraffic[];
  /** How long the boot ran, ms. */
  elapsedMs: number;
}

/** Where a kernel's standard streams go, decided from the description. */
interface Wiring {
  ends: [StreamEnd, StreamEnd, StreamEnd];
  /** Worker kernels: the rings of their pipes. */
  stdinRing: SharedArrayBuffer | null;
  stdoutRing: SharedArrayBuffer | null;
  /** Console sinks on this thread, for fds 1 and 2 (a worker's bytes come by message). */
  sinks: [ConsoleSink, ConsoleSink] | null;
  /** A main-thread kernel's console pipes, by fd (1, 2), drained into `sinks`. */
  consolePipes: (Pipe | null)[];
}

export async function bootSystem(spec: SystemSpec, opts: BootOptions): Promise<BootResult> {
  const started = performance.now();
  /** Each pipe's byte count, read once the boot is over. */
  const traffic: (() => ChannelTraffic)[] = [];
  const pipes = new PipeFs();
  const onMain = (name: string): boolean => spec.kernels.find((k) => k.name === name)!.thread === "main";
  const files: number[] = [];
  // Pumps start once the programs' ends exist (a pipe with no end yet reads as closed).
  const pumpStarts: (() => Promise<void>)[] = [];
  const wiring = new Map<string, Wiring>(spec.kernels.map((k) => [k.name, consoleWiring(k, pipes, files)]));
  for (const p of spec.pipes) {
    const from = wiring.get(p.from)!, to = wiring.get(p.to)!;
    if (onMain(p.from) && onMain(p.to)) {
      const pipe = pipes.create();
      from.ends[1] = to.ends[0] = { kind: "pipe", pipe };
      traffic.push(() => ({ kind: "pipe", from: p.from, to: p.to, label: `${p.from} → ${p.to}`, bytes: pipe.written }));
      continue;
    }
    const sab = newByteRing();
    traffic.push(() => ({ kind: "pipe", from: p.from, to: p.to, label: `${p.from} → ${p.to}`, bytes: ringBytesMoved(sab) }));
    const local = (feeds: boolean): StreamEnd => {
      const pipe: Pipe = pipes.create();
      pumpStarts.push(() => (feeds ? new RingFeeder(sab, pipe) : new RingEmptier(sab, pipe)).done);
      return { kind: "pipe", pipe };
    };
    if (onMain(p.from)) from.ends[1] = local(true);
    else from.stdoutRing = sab;
    if (onMain(p.to)) to.ends[0] = local(false);
    else to.stdinRing = sab;
  }
  const mains = spec.kernels.filter((k) => k.thread === "main");
  const root = RootTask.for(mains.map((k) => shareBytes(k.memory)));
  const host = { root, loop: new RunLoop(root.kernel) };
  const drains = new Map<string, ConsoleDrain[]>();
  const streams = new Map(mains.map((k) => {
    const w = wiring.get(k.name)!;
    const made = startStreams(w.ends, pipes);
    // A console's drain holds its pipe's read end; the program holds the write end
    // (unless a channel took its stdout).
    drains.set(k.name, ([1, 2] as const).flatMap((fd) => {
      const end = w.ends[fd], pipe = w.consolePipes[fd];
      return end.kind === "pipe" && pipe && end.pipe === pipe ? [new ConsoleDrain(pipe, w.sinks![fd - 1]!)] : [];
    }));
    return [k.name, made];
  }));
  const network = wireNetwork(spec, opts.netMode);
  const images = new Map<string, SharedImage | null>();
  const pumps = pumpStarts.map((start) => start());
  for (const sw of network.switches) sw.start();
  // The pumps may still be moving bytes after a kernel ends: stay up until they are done.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    const runs = spec.kernels.map(async (k): Promise<KernelSummary> => {
      const w = wiring.get(k.name)!;
      const net = network.nets.get(k.name)!;
      if (k.thread === "worker") return runOnWorker(k, w, net, sharedImage(kernelImage(k, opts.defaultImage), images), opts);
      const tty = k.console.output === "tty";
      const hook = opts.beforeSyscall?.get(k.name);
      const control = new KernelControl();
      opts.stop?.add((kill) => control.stop(kill));
      const summary = await runKernel(k, {
        control,
        host, defaultImage: opts.defaultImage, streams: streams.get(k.name)!, consoleFd: tty ? opts.terminalFd : null, net,
        hostSignals: tty || k.console.stdin === "host", traceIpc: opts.traceIpc ?? false, stats: opts.stats ?? false,
        ...(opts.fsFault?.has(k.name) ? { fsFault: opts.fsFault.get(k.name)! } : {}),
        ...(opts.netFault?.has(k.name) ? { netFault: opts.netFault.get(k.name)! } : {}),
        ...(hook ? { beforeSyscall: hook } : {}),
      });
      for (const d of drains.get(k.name)!) d.finish();
      return summary;
    });
    const summaries = await Promise.all(runs);
    await Promise.all(pumps);
    const channels = [...traffic.map((read) => read()), ...network.traffic.map((read) => segmentChannel(read()))];
    return { summaries, channels, elapsedMs: Math.round(performance.now() - started) };
  } finally {
    for (const sw of network.switches) sw.stop();
    clearInterval(keepAlive);
    for (const fd of files) closeSync(fd);
  }
}

function segmentChannel(t: SegmentTraffic): ChannelTraffic {
  const [a, b] = t.ends;
  const name = (p: Port): string => `${p.kernel}.${p.iface}`;
  return typeof b === "string"
    ? { kind: "switch", from: a.kernel, to: b, label: `${name(a)} ↔ switch ${b}`, bytes: t.bytes, frames: t.frames }
    : { kind: "link", from: a.kernel, to: b.kernel, label: `${name(a)} ↔ ${name(b)}`, bytes: t.bytes, frames: t.frames };
}

/** The console part of a kernel's wiring; pipes between kernels replace ends later. */
function consoleWiring(k: KernelSpec, pipes: PipeFs, files: number[]): Wiring {
  const c = k.console;
  const stdin: StreamEnd = c.output === "tty" || c.stdin === "host" ? { kind: "host" } : { kind: "empty" };
  if (c.output === "tty") {
    return { ends: [stdin, { kind: "host" }, { kind: "host" }], stdinRing: null, stdoutRing: null, sinks: null, consolePipes: [] };
  }
  let sinks: [ConsoleSink, ConsoleSink];
  if (c.output === "file") {
    const fd = openSync(c.file!, "w");
    files.push(fd);
    sinks = [new RawBytes(fd), new RawBytes(fd)];
  } else sinks = [new PrefixedLines(1, k.name), new PrefixedLines(2, k.name)];
  // A worker kernel makes its console pipes on its own thread.
  const consolePipes = k.thread === "main" ? [null, pipes.create(), pipes.create()] : [];
  const end = (fd: number): StreamEnd => (consolePipes[fd] ? { kind: "pipe", pipe: consolePipes[fd] } : { kind: "empty" });
  return { ends: [stdin, end(1), end(2)], stdinRing: null, stdoutRing: null, sinks, consolePipes };
}

/**
 * The bytes of the image at `path`, read once for all worker kernels; null when it cannot
 * be read (the kernel then fails to mount it as it would have alone).
 */
function sharedImage(path: string | null, images: Map<string, SharedImage | null>): SharedImage | null {
  if (path === null) return null;
  if (!images.has(path)) {
    try {
      images.set(path, shareImage(path));
    } catch {
      images.set(path, null);
    }
  }
  return images.get(path)!;
}

/**
 * A kernel on a worker thread of its own; its console bytes come back by message. Its
 * net-task's devices are frame rings (boot_network.ts), which its start-up data shares.
 */
function runOnWorker(spec: KernelSpec, w: Wiring, net: KernelNet, image: SharedImage | null, opts: BootOptions): Promise<KernelSummary> {
  const sab = new SharedArrayBuffer(BOOT_AREA_BYTES);
  const { url, boot } = workerBoot(new URL(FROM_SOURCE ? "./kernel_worker.ts" : "./kernel_worker.js", import.meta.url));
  const data: KernelWorkerData & { sab: SharedArrayBuffer; boot: unknown } = {
    spec, defaultImage: opts.defaultImage, image, stdinRing: w.stdinRing, stdoutRing: w.stdoutRing, sab, boot, net,
    traceIpc: opts.traceIpc ?? false, stats: opts.stats ?? false,
    ...(opts.fsFault?.has(spec.name) ? { fsFault: opts.fsFault.get(spec.name)! } : {}),
    ...(opts.netFault?.has(spec.name) ? { netFault: opts.netFault.get(spec.name)! } : {}),
  };
  const worker = new Worker(url, { workerData: data });
  opts.stop?.add((kill) => worker.postMessage({ kind: "stop", kill } satisfies KernelWorkerCommand));
  const failed = (failure: string): KernelSummary => ({
    name: spec.name, thread: "worker", hostThread: 0, status: 0, signal: 0, failure, cpuUs: 0, peakBytes: 0, syscalls: 0, quotaRefusals: 0, fsRestarts: 0, netRestarts: 0,
  });
  return new Promise<KernelSummary>((resolve) => {
    let summary: KernelSummary | null = null;
    let error: string | null = null;
    worker.on("message", (m: KernelWorkerMessage) => {
      if (m.kind === "console") w.sinks?.[m.fd - 1]!.write(m.bytes);
      else summary = m.summary;
    });
    worker.on("error", (e) => (error = `worker thread error: ${e.message}`));
    worker.on("exit", (code) => {
      w.sinks?.forEach((s) => s.end());
      resolve(summary ?? failed(error ?? bootError(sab) ?? `worker thread ended with code ${code}`));
    });
  });
}
