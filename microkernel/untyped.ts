// Untyped memory and retype (seL4 src/object/untyped.c + createObject in
// objecttype.c).
//
// An Untyped is a byte quota. retype() carves `count` objects of one kind
// out of it, or fails changing nothing (bad kind/size/count, or
// NotEnoughMemory past the quota). Each object remembers its Untyped and,
// when its last capability is deleted, finalise() gives its bytes back
// (release), so a later retype fits again. A child Untyped is simply a
// smaller quota, e.g. a user kernel's. Object sizes:
//
//   CNode 2^radix * 32   Tcb 2048   Endpoint 16   Notification 32
//   AddressSpace 4096    Frame: size rounded up to 4096   Untyped: size
//
// Reply objects are not retyped: each TCB carries its own (see reply.ts).

import { AddressSpace, ADDRESS_SPACE_BYTES } from "./address_space.ts";
import { CNode, CNODE_SLOT_BYTES } from "./cnode.ts";
import { Endpoint, ENDPOINT_BYTES } from "./endpoint.ts";
import { KernelError, userError, type KernelErrorCode } from "./errors.ts";
import { Frame, MAX_FRAME_BYTES, frameBytes, type FrameAllocator } from "./frame.ts";
import { MSG_MAX_WORDS, type MessageBuffer } from "./message.ts";
import { Notification, NOTIFICATION_BYTES } from "./notification.ts";
import { KernelObject, type MemorySource, type ObjectKind } from "./object.ts";
import type { CapabilityPool } from "./capability.ts";
import type { IpcTap } from "./ipc_tap.ts";
import type { Scheduler } from "./scheduler.ts";
import { Tcb, TCB_BYTES, type ThreadKind } from "./tcb.ts";

export const MAX_CNODE_RADIX = 20;
export const MAX_RETYPE_COUNT = 256;

/** What creating objects needs from the kernel. */
export interface ObjectEnv {
  readonly scheduler: Scheduler;
  readonly frames: FrameAllocator;
  readonly caps: CapabilityPool;
  /** The kernel's IPC tap, given to every TCB retyped (ipc_tap.ts). */
  readonly tap?: IpcTap;
}

/** Extra settings for retyped TCBs. */
export interface RetypeOptions {
  threadKind?: ThreadKind;
  /** Externally owned message buffer; only with count 1. */
  buffer?: MessageBuffer;
}

/** Kinds retype can create (decodeRetype refuses the rest). */
type RetypeKind = Exclude<ObjectKind, "Reply">;

export interface RetypeResult {
  readonly error: KernelErrorCode;
  readonly objects: readonly KernelObject[];
}

const NO_OBJECTS: readonly KernelObject[] = Object.freeze([]);

export class Untyped extends KernelObject implements MemorySource {
  #used = 0;
  readonly #env: ObjectEnv;

  constructor(sizeBytes: number, parent: MemorySource | null, env: ObjectEnv) {
    super("Untyped", sizeBytes, parent);
    this.#env = env;
  }

  get usedBytes(): number {
    return this.#used;
  }

  get freeBytes(): number {
    return this.sizeBytes - this.#used;
  }

  release(bytes: number): void {
    this.#used -= bytes;
  }

  /**
   * Takes `bytes` for memory its holder keeps outside any object (a tmpfs's file pages),
   * counted like objects; release() gives them back. False, taking nothing, if fewer are free.
   */
  reserve(bytes: number): boolean {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > this.freeBytes) return false;
    this.#used += bytes;
    return true;
  }

  /** Decodes a retype request; Ok or the reason it cannot happen. */
  decodeRetype(kind: ObjectKind, size: number, count: number, options: RetypeOptions = {}): KernelErrorCode {
    if (!Number.isInteger(count) || count < 1 || count > MAX_RETYPE_COUNT) {
      return refuse(KernelError.RangeError, `Untyped Retype: count ${count} is outside 1..${MAX_RETYPE_COUNT}`);
    }
    const each = objectBytes(kind, size);
    if (each < 0) return -each as KernelErrorCode;
    if (options.buffer !== undefined && (kind !== "Tcb" || count !== 1 || options.buffer.length < MSG_MAX_WORDS * 2)) {
      return refuse(KernelError.InvalidArgument, "Untyped Retype: a buffer is only for one TCB and needs 240 uint32");
    }
    if (each * count > this.freeBytes) {
      return refuse(KernelError.NotEnoughMemory, `Untyped Retype: ${each * count} bytes needed, ${this.freeBytes} free`);
    }
    return KernelError.Ok;
  }

  /** Creates `count` objects, or creates nothing and returns the error. */
  retype(kind: ObjectKind, size: number, count: number, options: RetypeOptions = {}): RetypeResult {
    const error = this.decodeRetype(kind, size, count, options);
    if (error !== KernelError.Ok) return { error, objects: NO_OBJECTS };
    const objects: KernelObject[] = [];
    for (let i = 0; i < count; i++) objects.push(this.#create(kind as RetypeKind, size, options));
    this.#used += objectBytes(kind, size) * count;
    return { error, objects };
  }

  #create(kind: RetypeKind, size: number, options: RetypeOptions): KernelObject {
    switch (kind) {
      case "Untyped":
        return new Untyped(size, this, this.#env);
      case "CNode":
        return new CNode(size, this, this.#env.caps);
      case "Tcb":
        return new Tcb(this, this.#env.scheduler, this.#env.tap ? { ...options, tap: this.#env.tap } : options);
      case "Endpoint":
        return new Endpoint(this);
      case "Notification":
        return new Notification(this);
      case "Frame":
        return new Frame(size, this, this.#env.frames);
      case "AddressSpace":
        return new AddressSpace(this);
    }
  }
}

/** Bytes of one object, or minus an error code when `size` is invalid for `kind`. */
export function objectBytes(kind: ObjectKind, size: number): number {
  switch (kind) {
    case "CNode":
      if (!Number.isInteger(size) || size < 1) return -refuse(KernelError.InvalidArgument, "Untyped Retype: CNode radix must be at least 1");
      if (size > MAX_CNODE_RADIX) return -refuse(KernelError.RangeError, `Untyped Retype: CNode radix ${size} exceeds ${MAX_CNODE_RADIX}`);
      return 2 ** size * CNODE_SLOT_BYTES;
    case "Untyped":
    case "Frame":
      if (!Number.isSafeInteger(size) || size < 1) return -refuse(KernelError.InvalidArgument, `Untyped Retype: ${kind} size must be a positive integer`);
      if (kind === "Frame" && frameBytes(size) > MAX_FRAME_BYTES) return -refuse(KernelError.RangeError, `Untyped Retype: Frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}`);
      return kind === "Frame" ? frameBytes(size) : size;
    case "Tcb":
      return TCB_BYTES;
    case "Endpoint":
      return ENDPOINT_BYTES;
    case "Notification":
      return NOTIFICATION_BYTES;
    case "AddressSpace":
      return ADDRESS_SPACE_BYTES;
    default:
      return -refuse(KernelError.InvalidArgument, `Untyped Retype: cannot create objects of kind ${String(kind)}`);
  }
}

function refuse(code: KernelErrorCode, msg: string): KernelErrorCode {
  userError(msg);
  return code;
}
