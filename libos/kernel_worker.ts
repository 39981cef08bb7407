// A user kernel on a host thread of its own (`"thread": "worker"` in a system
// description): its own microkernel, root task and run loop, so it runs in parallel with
// the kernels of other threads and a hang or crash here stalls none of them.
//
// It meets the other threads only through channels in shared memory (byte_ring.ts: its
// standard input or output when a description's pipe joins it to another kernel;
// net-task/phy/frame_ring.ts: its network links) and messages to the main thread: its
// console output (fd, bytes), then its summary; from the main thread comes only a request
// to stop (BootStop). Its root image's bytes are the main thread's, in shared memory.

import { parentPort, workerData } from "node:worker_threads";
import type { KernelNet } from "./boot_network.ts";
import { KernelControl, runKernel, startStreams, type KernelSummary, type StreamEnd } from "./boot_kernel.ts";
import { RingEmptier, RingFeeder } from "./byte_ring.ts";
import { ConsoleDrain, type ConsoleSink } from "./console_drain.ts";
import { PipeFs } from "./pipe.ts";
import { adoptImage, type FsFaultSpec, type SharedImage } from "../fs-task/mod.ts";
import type { TaskFaultSpec } from "../device-ipc/fault_hook.ts";
import { RootTask } from "./root_task.ts";
import { RunLoop } from "./run_loop.ts";
import type { KernelSpec } from "./system_description.ts";
import { shareBytes } from "./user_kernel.ts";

export interface KernelWorkerData {
  spec: KernelSpec;
  defaultImage: string;
  /** Its root image, read by the main thread into shared memory (null: read it here). */
  image: SharedImage | null;
  /** Rings of the pipes that feed its standard input, or that its standard output feeds. */
  stdinRing: SharedArrayBuffer | null;
  stdoutRing: SharedArrayBuffer | null;
  /** Its net-task, whose devices are frame rings to the other threads (boot_network.ts). */
  net: KernelNet;
  traceIpc: boolean;
  stats: boolean;
  fsFault?: FsFaultSpec;
  netFault?: TaskFaultSpec;
}

/** From the main thread: SIGTERM to the kernel's programs, or with `kill` SIGKILL. */
export interface KernelWorkerCommand {
  kind: "stop";
  kill: boolean;
}

export type KernelWorkerMessage =
  | { kind: "console"; fd: 1 | 2; bytes: Uint8Array }
  | { kind: "summary"; summary: KernelSummary };

const data = workerData as KernelWorkerData;
const post = (m: KernelWorkerMessage): void => parentPort!.postMessage(m);

/** Console bytes go to the main thread, which prefixes or files them. */
function posted(fd: 1 | 2): ConsoleSink {
  return { write: (bytes) => post({ kind: "console", fd, bytes: bytes.slice() }), end() {} };
}

if (data.image !== null) adoptImage(data.image);
const root = RootTask.for([shareBytes(data.spec.memory)]);
const pipes = new PipeFs();
/** Pumps start once the program's ends exist (a pipe with no end yet reads as closed). */
const pumpStarts: (() => Promise<void>)[] = [];
const drains: ConsoleDrain[] = [];

function consoleEnd(fd: 1 | 2): StreamEnd {
  const pipe = pipes.create();
  drains.push(new ConsoleDrain(pipe, posted(fd)));
  return { kind: "pipe", pipe };
}

function ringEnd(sab: SharedArrayBuffer, feeds: boolean): StreamEnd {
  const pipe = pipes.create();
  pumpStarts.push(() => (feeds ? new RingFeeder(sab, pipe) : new RingEmptier(sab, pipe)).done);
  return { kind: "pipe", pipe };
}

// The pumps may still be moving bytes after the kernel ends: stay up until they are done.
const keepAlive = setInterval(() => {}, 1 << 30);
const stdin: StreamEnd = data.stdinRing ? ringEnd(data.stdinRing, false) : { kind: "empty" };
const stdout = data.stdoutRing ? ringEnd(data.stdoutRing, true) : consoleEnd(1);
const streams = startStreams([stdin, stdout, consoleEnd(2)], pipes);
const pumps = pumpStarts.map((start) => start());
const control = new KernelControl();
const onCommand = (m: KernelWorkerCommand): void => control.stop(m.kill);
parentPort!.on("message", onCommand);
const summary = await runKernel(data.spec, {
  control,
  host: { root, loop: new RunLoop(root.kernel) }, defaultImage: data.defaultImage, streams, consoleFd: null, hostSignals: false, net: data.net,
  traceIpc: data.traceIpc, stats: data.stats, ...(data.fsFault ? { fsFault: data.fsFault } : {}), ...(data.netFault ? { netFault: data.netFault } : {}),
});
for (const d of drains) d.finish();
await Promise.all(pumps);
parentPort!.off("message", onCommand);
post({ kind: "summary", summary });
clearInterval(keepAlive);
