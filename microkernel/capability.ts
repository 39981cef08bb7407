// Capabilities and the capability derivation tree (seL4 cte_t + mdb_node_t).
//
// A Capability names a KernelObject with some rights and a badge, and sits
// in exactly one slot (a CNode index). Every copy, mint or transfer makes the
// new capability a child of its source; Revoke walks those children.
//
// Lifecycle: Capability.create() (takes a reference on the object) →
// place() in a slot → linkUnder() its source → ... → unlink() (children move
// up to the parent, as seL4's MDB does) → release() (drops the reference and
// recycles the object). Capabilities are pooled so cap transfer in IPC does
// not allocate; never keep a reference to one after it was deleted. Each Kernel
// has its own pool (its CNodes carry it), and a capability goes back to the pool
// it came from: a stale reference can only ever meet its own kernel's objects.
//
// A Frame capability also carries a window: the byte range [windowOffset,
// windowOffset + windowLength) of the frame it lets its holder touch (the whole
// frame when created). CNode.mintWindow derives a capability with a narrower,
// page-aligned window; copies and transfers keep the window, so a derived
// capability never reaches more of the frame than its source (seL4 gets the same
// effect by mapping a subset of a large page's frames; here a frame is one
// object however many pages it spans).

import type { KernelObject } from "./object.ts";
import { KernelError, type KernelErrorCode } from "./errors.ts";
import type { RightsMask } from "./rights.ts";

/** Whatever holds the slot a capability sits in (a CNode). */
export interface SlotOwner {
  clearSlot(index: number): void;
}

const POOL_LIMIT = 4096;

/** Released capabilities of one Kernel, for reuse. */
export class CapabilityPool {
  readonly #free: Capability[] = [];

  /** A fresh unplaced, unlinked capability holding a reference on `object`. */
  create(object: KernelObject, rights: RightsMask, badge: number): Capability {
    return Capability.create(this, this.#free.pop() ?? null, object, rights, badge);
  }

  /** @internal Capability.release() */
  recycle(cap: Capability): void {
    if (this.#free.length < POOL_LIMIT) this.#free.push(cap);
  }
}

export class Capability {
  #pool: CapabilityPool | null = null;

  #object: KernelObject | null = null;
  #rights: RightsMask = 0;
  #badge = 0;
  #windowOffset = 0;
  #windowLength = 0;
  // Where it lives.
  #owner: SlotOwner | null = null;
  #index = -1;
  // Derivation tree: parent plus a doubly linked list of siblings.
  #parent: Capability | null = null;
  #firstChild: Capability | null = null;
  #prev: Capability | null = null;
  #next: Capability | null = null;
  // Bumped on release so walkers can tell a recycled capability.
  #generation = 0;

  /** @internal CapabilityPool.create(): `reused` or a new one, from `pool`. */
  static create(pool: CapabilityPool, reused: Capability | null, object: KernelObject, rights: RightsMask, badge: number): Capability {
    const cap = reused ?? new Capability();
    cap.#pool = pool;
    cap.#object = object;
    cap.#rights = rights;
    cap.#badge = badge;
    cap.#windowOffset = 0;
    cap.#windowLength = object.sizeBytes;
    object.addCapRef();
    return cap;
  }

  get object(): KernelObject {
    return this.#object as KernelObject;
  }
  get rights(): RightsMask {
    return this.#rights;
  }
  get badge(): number {
    return this.#badge;
  }
  /** First byte of the object this capability reaches (Frames; 0 for the rest). */
  get windowOffset(): number {
    return this.#windowOffset;
  }
  /** Bytes from windowOffset this capability reaches (the object's size unless narrowed). */
  get windowLength(): number {
    return this.#windowLength;
  }
  get owner(): SlotOwner | null {
    return this.#owner;
  }
  get index(): number {
    return this.#index;
  }
  get parent(): Capability | null {
    return this.#parent;
  }
  get firstChild(): Capability | null {
    return this.#firstChild;
  }
  get nextSibling(): Capability | null {
    return this.#next;
  }
  get generation(): number {
    return this.#generation;
  }

  /** Mutate: changes rights and badge in place, keeping the tree position. */
  update(rights: RightsMask, badge: number): void {
    this.#rights = rights;
    this.#badge = badge;
  }

  /** Narrows the window; only CNode code calls it, after checking it lies inside the source's. */
  setWindow(offset: number, length: number): void {
    this.#windowOffset = offset;
    this.#windowLength = length;
  }

  /** True when [offset, offset + length) lies inside the window (safe integers only). */
  covers(offset: number, length: number): boolean {
    return (
      Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= this.#windowOffset && length >= 0 &&
      offset + length <= this.#windowOffset + this.#windowLength
    );
  }

  place(owner: SlotOwner | null, index: number): void {
    this.#owner = owner;
    this.#index = index;
  }

  /** Makes this capability a child of `parent` (no-op for a root). */
  linkUnder(parent: Capability | null): void {
    this.#parent = parent;
    if (parent === null) return;
    const head = parent.#firstChild;
    this.#next = head;
    if (head !== null) head.#prev = this;
    parent.#firstChild = this;
  }

  /** Leaves the tree; its children become children of its parent. */
  unlink(): void {
    const parent = this.#parent;
    let child = this.#firstChild;
    while (child !== null) {
      const next = child.#next;
      child.#prev = null;
      child.#next = null;
      child.#parent = null;
      child.linkUnder(parent);
      child = next;
    }
    this.#firstChild = null;
    if (this.#prev !== null) this.#prev.#next = this.#next;
    else if (parent !== null) parent.#firstChild = this.#next;
    if (this.#next !== null) this.#next.#prev = this.#prev;
    this.#prev = null;
    this.#next = null;
    this.#parent = null;
  }

  /** Drops the object reference and recycles this capability; true if it was the last. */
  release(): boolean {
    const last = (this.#object as KernelObject).dropCapRef();
    this.#object = null;
    this.#owner = null;
    this.#index = -1;
    this.#generation++;
    this.#pool!.recycle(this);
    return last;
  }
}

/**
 * seL4 deriveCap: may `cap` be copied? Reply capabilities are one-shot and
 * an Untyped with objects carved from it cannot be copied.
 */
export function deriveError(cap: Capability): KernelErrorCode {
  const kind = cap.object.kind;
  if (kind === "Reply") return KernelError.IllegalOperation;
  if (kind === "Untyped" && cap.firstChild !== null) return KernelError.RevokeFirst;
  return KernelError.Ok;
}

/** True for the object kinds whose capabilities carry a badge. */
export function isBadgeable(cap: Capability): boolean {
  const kind = cap.object.kind;
  return kind === "Endpoint" || kind === "Notification";
}
