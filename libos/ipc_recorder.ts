// What the messages of a user kernel carried, for `--trace-ipc`, `--stats` and the boot
// report. The microkernel's IPC tap (microkernel/ipc_tap.ts) tells one observer per
// microkernel, so per host thread; the user kernels on that thread share it:
//
//   IpcRecorder.of(kernel)   the thread's observer, installed on first use
//   register(obj, role)      an endpoint (its calls) or a server thread (its replies)
//                            belongs to a role of one user kernel: kernel-task, fs-task
//   KernelIpc                one user kernel's counts per endpoint, and its trace lines
//
// A message is one trace line: `ipc TIME ms FROM -> TO LABEL SIZE B`, where TIME is
// counted from the user kernel's boot, FROM and TO are task names (a guest thread is
// `name[tid]`), LABEL is the fault or request the message carries (a reply says
// `reply`), and SIZE its words' bytes. Messages that cross no microkernel endpoint (the
// fs-task's shared-memory ring in worker mode) are recorded by their transport through
// the same KernelIpc.

import { FaultLabel, type IpcObserver, type Kernel, type KernelObject, type Tcb } from "../microkernel/mod.ts";
import { SYSCALL_NR } from "../syscall-shim/x86_64.ts";
import { nameOf } from "./sys/table.ts";

/** Messages and their bytes. */
export interface Traffic {
  messages: number;
  bytes: number;
}

/** One endpoint of a user kernel: the calls that came in, the replies that went out. */
export interface EndpointTraffic {
  /** The task that serves it. */
  server: string;
  calls: Traffic;
  replies: Traffic;
}

/** What a registered object is to the user kernel it belongs to. */
export interface IpcRole {
  readonly ipc: KernelIpc;
  /** The serving task's name: the endpoint's name too. */
  readonly server: string;
  /** Who calls it, for threads without a name of their own. */
  readonly client: string;
  /** The label of a call, for the trace. */
  labelName(label: number, words: Uint32Array): string;
}

export class KernelIpc {
  /** By server name. */
  readonly endpoints = new Map<string, EndpointTraffic>();
  /** Task names start with this (the kernel's name and a slash under `libos boot`). */
  readonly prefix: string;
  readonly #sink: ((line: string) => void) | null;
  readonly #startMs = performance.now();

  constructor(prefix: string, sink: ((line: string) => void) | null) {
    this.prefix = prefix;
    this.#sink = sink;
  }

  get tracing(): boolean {
    return this.#sink !== null;
  }

  /** One message to (a call) or from (a reply) `server`'s endpoint. */
  count(server: string, reply: boolean, bytes: number): void {
    let e = this.endpoints.get(server);
    if (e === undefined) {
      e = { server, calls: { messages: 0, bytes: 0 }, replies: { messages: 0, bytes: 0 } };
      this.endpoints.set(server, e);
    }
    const t = reply ? e.replies : e.calls;
    t.messages++;
    t.bytes += bytes;
  }

  /** Its trace line (when tracing). */
  trace(from: string, to: string, label: string, bytes: number): void {
    this.#sink?.(`ipc ${(performance.now() - this.#startMs).toFixed(3)} ms ${from} -> ${to} ${label} ${bytes} B`);
  }
}

/** A fault message's label: the fault, and for a syscall its name. */
export function faultLabelName(label: number, words: Uint32Array): string {
  if (label === FaultLabel.UnknownSyscall) return `UnknownSyscall(${nameOf(words[SYSCALL_NR * 2]!)})`;
  if (label === FaultLabel.VMFault) return "VMFault";
  if (label === FaultLabel.UserException) return "UserException";
  return `label ${label}`;
}

export class IpcRecorder implements IpcObserver {
  readonly #roles = new Map<KernelObject, IpcRole>();

  private constructor() {}

  /** The recorder of `kernel`'s messages, installed as its IPC observer on first use. */
  static of(kernel: Kernel): IpcRecorder {
    const current = kernel.ipcObserver;
    if (current instanceof IpcRecorder) return current;
    const made = new IpcRecorder();
    kernel.ipcObserver = made;
    return made;
  }

  register(obj: KernelObject, role: IpcRole): void {
    this.#roles.set(obj, role);
  }

  unregister(obj: KernelObject): void {
    this.#roles.delete(obj);
  }

  message(from: Tcb, to: Tcb, label: number, length: number, _caps: number, endpoint: KernelObject | null): void {
    // A call is known by its endpoint, a reply by the server thread it comes from.
    const role = this.#roles.get(endpoint ?? from);
    if (role === undefined) return;
    const reply = endpoint === null;
    const ipc = role.ipc;
    ipc.count(role.server, reply, length * 8);
    if (!ipc.tracing) return;
    const fromName = from.debugName || ipc.prefix + (reply ? role.server : role.client);
    const toName = to.debugName || ipc.prefix + (reply ? role.client : role.server);
    ipc.trace(fromName, toName, reply ? "reply" : role.labelName(label, to.buffer), length * 8);
  }
}
