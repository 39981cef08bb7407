// Test-only fault injection for the containment tests (docs/architecture.md §5): an
// FsFault makes a user kernel's fs-task fail at its Nth request the way a crashed task
// does, so the kernel-task's restart can be tested in every mode.
//
//   throw   the request loop throws: ipc, out of the passive server's handler; worker, out
//           of the thread's serving loop, which ends the thread; inproc, out of the back
//           end's call
//   kill    worker mode: the client terminates the worker thread (elsewhere: as throw)
//
// Nothing outside tests sets one: the launcher reads none from its command line.

import type { FileSystem } from "./file_system.ts";

export interface FsFaultSpec {
  /** The request (counted from 1 over every back end of the fs-task) that fails. */
  at: number;
  how: "throw" | "kill";
}

/**
 * LIBOS_TEST_FS_FAULT's value: `HOW:N` (throw or kill at the Nth request), or under
 * `libos boot` `KERNEL:HOW:N` for one kernel. Null when unset; throws RangeError when
 * malformed.
 */
export function fsFaultFromEnv(value: string | undefined): { kernel: string | null; spec: FsFaultSpec } | null {
  if (value === undefined || value === "") return null;
  const parts = value.split(":");
  const [how, at] = parts.slice(-2);
  if (parts.length > 3 || (how !== "throw" && how !== "kill") || !/^[1-9]\d*$/.test(at ?? "")) {
    throw new RangeError(`Cannot read LIBOS_TEST_FS_FAULT=${value}: use [KERNEL:]throw|kill:N`);
  }
  return { kernel: parts.length === 3 ? parts[0]! : null, spec: { at: Number(at), how } };
}

/** What the fs-task threw when its fault hook fired: a crash, not a back end's error. */
export class FsTaskCrash extends Error {}

/** Counts requests; next() is true for the one that fails (once). */
export class FsFault {
  readonly spec: FsFaultSpec;
  #count = 0;

  constructor(spec: FsFaultSpec) {
    this.spec = spec;
  }

  next(): boolean {
    return ++this.#count === this.spec.at;
  }

  /** Throws the crash when this request is the one. */
  check(): void {
    if (this.next()) throw new FsTaskCrash(`injected fs-task fault at request ${this.spec.at}`);
  }
}

/** Inproc mode: `fs` with every method counted, the Nth throwing. */
export function faultyBackend(fs: FileSystem, fault: FsFault): FileSystem {
  const wrapped: Record<string, unknown> = {};
  const source = fs as unknown as Record<string, unknown>;
  for (let o: object | null = fs; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const method = source[name];
      if (name === "constructor" || name in wrapped || typeof method !== "function") continue;
      wrapped[name] = (...args: unknown[]): unknown => {
        if (name !== "releaseBlocked") fault.check();
        return (method as (...a: unknown[]) => unknown).apply(fs, args);
      };
    }
  }
  return wrapped as unknown as FileSystem;
}
