// Where the ipc mode's objects come from: the microkernel, the thread whose authority
// creates them (the user kernel's root task), the Untyped they are retyped from and the
// CNode (with a slot allocator) their capabilities live in. Both the fs-task server and
// its clients are set up this way; the client's cptrs are slots of that same CNode.

import { KernelError, RootSlot, type CNode, type Kernel, type KernelObject, type ObjectKind, type Tcb } from "../microkernel/mod.ts";

export interface SlotAllocator {
  take(): number;
  give(slot: number): void;
}

export interface IpcHost {
  kernel: Kernel;
  /** The thread that retypes, mints and deletes (default: the kernel's root task). */
  authority?: Tcb;
  /** Untyped to retype from, in the authority's CSpace (default RootSlot.Untyped). */
  untypedCptr?: number;
  /** The CNode that holds the capabilities, in the authority's CSpace (default RootSlot.CNode). */
  cnodeCptr?: number;
  /**
   * Free slots of that CNode. Pass the owner's allocator when the CNode is shared (the
   * user kernel's root CNode is); the default takes empty slots from 1024 up.
   */
  slots?: SlotAllocator;
}

/** An IpcHost with every default filled in, plus retype/delete helpers. */
export class HostCSpace {
  readonly kernel: Kernel;
  readonly authority: Tcb;
  readonly untypedCptr: number;
  readonly cnodeCptr: number;
  readonly slots: SlotAllocator;

  constructor(host: IpcHost) {
    this.kernel = host.kernel;
    this.authority = host.authority ?? host.kernel.rootTcb;
    this.untypedCptr = host.untypedCptr ?? RootSlot.Untyped;
    this.cnodeCptr = host.cnodeCptr ?? RootSlot.CNode;
    this.slots = host.slots ?? new ScanningSlots(this.cnode, 1024);
  }

  get cnode(): CNode {
    const cap = this.authority.cspaceRoot?.capAt(this.cnodeCptr) ?? null;
    if (cap === null || cap.object.kind !== "CNode") throw new TypeError(`Cannot use CSpace: slot ${this.cnodeCptr} is not a CNode`);
    return cap.object as CNode;
  }

  /** Retypes one object into a fresh slot; null when the Untyped is exhausted. */
  retype<T extends KernelObject>(kind: ObjectKind, size: number): { object: T; slot: number } | null {
    const slot = this.slots.take();
    const r = this.kernel.untypedRetype(this.authority, this.untypedCptr, kind, size, 1, this.cnodeCptr, slot);
    if (r.error !== KernelError.Ok) {
      this.slots.give(slot);
      return null;
    }
    return { object: r.objects[0] as T, slot };
  }

  /** Mints the capability in `src` into a fresh slot with these rights and badge. */
  mint(src: number, rights: number, badge: number): number {
    const slot = this.slots.take();
    const r = this.kernel.cnodeMint(this.authority, this.cnodeCptr, slot, this.cnodeCptr, src, rights, badge);
    if (r.error !== KernelError.Ok) {
      this.slots.give(slot);
      throw new RangeError(`Cannot mint a capability: microkernel error ${r.error}`);
    }
    return slot;
  }

  /** Deletes the capability in a slot and gives the slot back. */
  free(slot: number): void {
    this.kernel.cnodeDelete(this.authority, this.cnodeCptr, slot);
    this.slots.give(slot);
  }

  /** A running native thread whose CSpace is this CNode. */
  thread(): { tcb: Tcb; slot: number } | null {
    const made = this.retype<Tcb>("Tcb", 0);
    if (made === null) return null;
    this.kernel.tcbConfigure(this.authority, made.slot, { cspaceRootCptr: this.cnodeCptr });
    this.kernel.tcbResume(this.authority, made.slot);
    return { tcb: made.object, slot: made.slot };
  }
}

/** Hands out slots that are empty now, from `first` up; given-back slots first. */
class ScanningSlots implements SlotAllocator {
  readonly #cnode: CNode;
  readonly #free: number[] = [];
  #next: number;

  constructor(cnode: CNode, first: number) {
    this.#cnode = cnode;
    this.#next = Math.min(first, cnode.slotCount >> 1);
  }

  take(): number {
    const given = this.#free.pop();
    if (given !== undefined) return given;
    while (this.#next < this.#cnode.slotCount && this.#cnode.capAt(this.#next) !== null) this.#next++;
    if (this.#next >= this.#cnode.slotCount) throw new RangeError("Cannot take a CNode slot: the CNode is full");
    return this.#next++;
  }

  give(slot: number): void {
    this.#free.push(slot);
  }
}
