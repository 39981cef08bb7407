// Base class of every kernel object (seL4 src/object/objecttype.c's view).
//
// Lifecycle: an Untyped's retype() creates the object and the first
// capability to it; every capability copied from that one adds a reference
// (addCapRef); deleting a capability drops one (dropCapRef). When the last
// one goes, the CNode code calls finalise(): the subclass tears down its
// kernel state (queued threads, bindings, slots) and the base returns the
// object's bytes to the Untyped it was carved from.

export type ObjectKind =
  | "Untyped"
  | "CNode"
  | "Tcb"
  | "Endpoint"
  | "Notification"
  | "Reply"
  | "Frame"
  | "AddressSpace";

/** Where an object's bytes go back to when it dies (an Untyped). */
export interface MemorySource {
  release(bytes: number): void;
}

export abstract class KernelObject {
  readonly kind: ObjectKind;
  readonly sizeBytes: number;
  /** The Untyped this object was carved from; null for boot-time objects. */
  readonly parent: MemorySource | null;
  #capRefs = 0;
  #destroyed = false;

  constructor(kind: ObjectKind, sizeBytes: number, parent: MemorySource | null) {
    this.kind = kind;
    this.sizeBytes = sizeBytes;
    this.parent = parent;
  }

  /** Number of capabilities that name this object. */
  get capRefs(): number {
    return this.#capRefs;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  addCapRef(): void {
    this.#capRefs++;
  }

  /** Drops one capability reference; true when it was the last. */
  dropCapRef(): boolean {
    return --this.#capRefs === 0;
  }

  /** Tears the object down; subclasses clean up first, then call super. */
  finalise(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.parent?.release(this.sizeBytes);
  }
}
