// Test-only fault injection for the containment tests (docs/architecture.md §5), shared by
// the device tasks: a TaskFault makes a user kernel's fs-task or net-task fail at its Nth
// request the way a crashed task does, so the kernel-task's restart can be tested in
// every mode (each task's own hook says where it fires: fs-task/_fault_hook.ts,
// net-task/ipc/dispatcher.ts and transport.ts).
//
//   throw   the request loop throws (a TaskCrash): ipc, out of the passive server's
//           handler; worker, out of the thread's serving loop, which ends the thread;
//           inproc, out of the call
//   kill    worker mode: the client terminates the worker thread (elsewhere: as throw)
//
// Nothing outside tests sets one: the launcher reads none from its command line, only the
// variables LIBOS_TEST_FS_FAULT and LIBOS_TEST_NET_FAULT.

export interface TaskFaultSpec {
  /** The request (counted from 1 over the task's whole life) that fails. */
  at: number;
  how: "throw" | "kill";
}

/**
 * A fault variable's value: `HOW:N` (throw or kill at the Nth request), or under `libos
 * boot` `KERNEL:HOW:N` for one kernel. Null when unset; throws RangeError when malformed.
 */
export function taskFaultFromEnv(variable: string, value: string | undefined): { kernel: string | null; spec: TaskFaultSpec } | null {
  if (value === undefined || value === "") return null;
  const parts = value.split(":");
  const [how, at] = parts.slice(-2);
  if (parts.length > 3 || (how !== "throw" && how !== "kill") || !/^[1-9]\d*$/.test(at ?? "")) {
    throw new RangeError(`Cannot read ${variable}=${value}: use [KERNEL:]throw|kill:N`);
  }
  return { kernel: parts.length === 3 ? parts[0]! : null, spec: { at: Number(at), how } };
}

/** What a device task threw when its fault hook fired: a crash, not a back end's error. */
export class TaskCrash extends Error {}

/** Counts requests; next() is true for the one that fails (once). */
export class TaskFault {
  readonly spec: TaskFaultSpec;
  readonly #task: string;
  #count = 0;

  constructor(spec: TaskFaultSpec, task: string) {
    this.spec = spec;
    this.#task = task;
  }

  next(): boolean {
    return ++this.#count === this.spec.at;
  }

  /** Throws the crash when this request is the one. */
  check(): void {
    if (this.next()) throw new TaskCrash(`injected ${this.#task} fault at request ${this.spec.at}`);
  }
}
