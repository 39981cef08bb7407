// A mount's fs-task under the kernel-task's supervision: when the fs-task dies (its
// server's loop threw, its worker thread ended, or, inproc, its back end threw), the calls
// in flight end with EIO, and a new instance is started from the same description.
//
//   new SupervisedFs(start, epoch)   start() makes an instance (createFsTask in the mode
//                             of now); epoch() counts the deaths of the fs-task the
//                             instances run in (ipc: its server; worker: its thread)
//   catchUp()                 an instance started before the last death is replaced
//   restart()                 stop the old instance (its waiting calls end with -EIO),
//                             start a new one, show it the mount views the old one had
// Every call catches up first, so the call after a death already reaches a new instance.
//
// Handles carry the instance they came from: handle + generation × 2^32 (generation 0
// until a first restart, so nothing changes for a file system that never died). A handle
// of a dead instance answers -EIO (isatty: false) and never reaches the new one, which
// may hand out the same small numbers; a new open works. What a dead instance held in its
// own memory (a tmpfs's files) is gone with it, as after a device reset.
//
// Mount views (bind mounts inside the file system) are kept as paths: each
// setMountView's root handle is asked for its path when it is set, and reopened in the
// new instance.

import { EIO } from "../linux-abi/errno.ts";
import { O_PATH } from "../linux-abi/fcntl.ts";
import { NO_HANDLE, type FileSystem } from "../fs-task/file_system.ts";
import { stopFsTask } from "../fs-task/fs_task.ts";
import { methodEntries } from "../fs-task/protocol.ts";

/** Handles of one instance lie below this; the generation is above it. */
const GENERATION_SPAN = 2 ** 32;

/** Methods whose first argument is a handle. */
const BY_HANDLE = new Set([
  "close", "pread", "pwrite", "fstat", "readdir", "ftruncate", "futimens", "isatty", "fsync", "sendToHost", "pathOf", "fallocate",
  "fgetxattr", "flistxattr", "fsetxattr", "fremovexattr",
]);

interface View {
  /** The root's path in the file system; null for its whole root. */
  path: string | null;
  atRoot: boolean;
  covered: string;
}

/** A FileSystem method: five arguments at most (FS_PROTOCOL's longest), passed without an array. */
type Method = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) => unknown;

export class SupervisedFs {
  readonly #start: () => FileSystem;
  readonly #epoch: () => number;
  /** Told when an instance of its own threw (inproc: the fs-task is the back end). */
  readonly #died: (err: unknown) => void;
  /** epoch() when the instance started. */
  #startedAt: number;
  #instance: FileSystem;
  #generation = 0;
  /** The mount point and views the vfs set, to show a new instance. */
  #mountPoint: [boolean, string] | null = null;
  readonly #views = new Map<number, View>();
  /** Times its fs-task was started again. */
  restarts = 0;

  /** Where its instances run (ipc, worker; undefined inproc), as the unsupervised clients say. */
  get mode(): string | undefined {
    return (this.#instance as { mode?: string }).mode;
  }

  constructor(start: () => FileSystem, epoch: () => number = () => 0, died: (err: unknown) => void = () => {}) {
    this.#start = start;
    this.#epoch = epoch;
    this.#died = died;
    this.#startedAt = epoch();
    this.#instance = start();
    const self = this as unknown as Record<string, unknown>;
    const inner = this.#instance as unknown as Record<string, unknown>;
    for (const { name } of methodEntries()) {
      if (typeof inner[name] !== "function" || name === "setMountView" || name === "setMountPoint") continue;
      self[name] = BY_HANDLE.has(name)
        ? (h: number, b?: unknown, c?: unknown, d?: unknown, e?: unknown) => this.#byHandle(name, h, b, c, d, e)
        : (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) => this.#call(name, a, b, c, d, e);
    }
    if (typeof inner.setMountView === "function") self.setMountView = this.#setMountView;
    if (typeof inner.setMountPoint === "function") self.setMountPoint = this.#setMountPoint;
  }

  /** A new instance, if the fs-task died since this one started. */
  catchUp(): void {
    if (this.#startedAt !== this.#epoch()) this.restart();
  }

  /** The fs-task behind it died: a new instance takes over. */
  restart(): void {
    const old = this.#instance;
    void stopFsTask(old).catch(() => {});
    this.#startedAt = this.#epoch();
    this.#instance = this.#start();
    this.#generation++;
    this.restarts++;
    if (this.#mountPoint) this.#inner("setMountPoint")(...this.#mountPoint);
    for (const [view, v] of this.#views) {
      let root = NO_HANDLE;
      if (v.path !== null) {
        const h = this.#inner("open")(v.path, O_PATH, 0);
        if (typeof h !== "number" || h < 0) continue;
        root = h;
      }
      this.#inner("setMountView")(view, root, v.atRoot, v.covered);
    }
  }

  releaseBlocked(): void {
    this.#instance.releaseBlocked?.();
  }

  /** Stops the current instance (stopFsTask's part for a client). */
  async stop(): Promise<void> {
    await stopFsTask(this.#instance);
  }

  #inner(name: string): Method {
    const inner = this.#instance as unknown as Record<string, Method>;
    return inner[name]!.bind(inner);
  }

  #byHandle(name: string, h: number, b: unknown, c: unknown, d: unknown, e: unknown): unknown {
    if (this.#startedAt !== this.#epoch()) this.restart();
    if (h >= GENERATION_SPAN || this.#generation > 0) {
      if (Math.floor(h / GENERATION_SPAN) !== this.#generation) return name === "isatty" ? false : -EIO;
      h %= GENERATION_SPAN;
    }
    return this.#call(name, h, b, c, d, e);
  }

  #call(name: string, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown): unknown {
    if (this.#startedAt !== this.#epoch()) this.restart();
    const inst = this.#instance;
    const generation = this.#generation;
    let r: unknown;
    try {
      r = (inst as unknown as Record<string, Method>)[name]!.call(inst, a, b, c, d, e);
    } catch (err) {
      return this.#threw(inst, name, err);
    }
    if (r instanceof Promise) {
      return r.then(
        (v: unknown) => (name === "open" ? this.#outer(v as number, generation) : v),
        (err: unknown) => this.#threw(inst, name, err),
      );
    }
    return name === "open" ? this.#outer(r as number, generation) : r;
  }

  /** An inproc back end threw: that instance is dead; the call gets EIO. */
  #threw(inst: FileSystem, name: string, err: unknown): unknown {
    if (inst === this.#instance) {
      this.#died(err);
      this.restart();
    }
    return name === "isatty" ? false : -EIO;
  }

  #outer(handle: number, generation: number): number {
    return handle >= 0 ? handle + generation * GENERATION_SPAN : handle;
  }

  #setMountPoint = (atRoot: boolean, covered: string): number => {
    this.#mountPoint = [atRoot, covered];
    return this.#inner("setMountPoint")(atRoot, covered) as number;
  };

  #setMountView = (view: number, rootHandle: number, atRoot: boolean, covered: string): number => {
    let path: string | null = null;
    let inner = rootHandle;
    if (rootHandle !== NO_HANDLE) {
      if (Math.floor(rootHandle / GENERATION_SPAN) !== this.#generation) return -EIO;
      inner = rootHandle % GENERATION_SPAN;
      const p = this.#instance.pathOf?.(inner);
      path = typeof p === "string" ? p : null;
    }
    if (rootHandle === NO_HANDLE || path !== null) this.#views.set(view, { path, atRoot, covered });
    return this.#inner("setMountView")(view, inner, atRoot, covered) as number;
  };
}

/** A supervised mount's FileSystem face (its methods are the instance's). */
export function asFileSystem(fs: SupervisedFs): FileSystem {
  return fs as unknown as FileSystem;
}
