// CNodes: arrays of capability slots, and the operations on them (seL4
// src/object/cnode.c): Copy, Mint, Move, Mutate, Delete, Revoke, and MintWindow
// (a Frame capability narrowed to a page-aligned byte range, see capability.ts).
//
// Each operation decodes first (indices, source present, destination empty,
// derivation and badge rules) and changes nothing on failure; only then does
// it mutate. deleteCap() and revokeCap() are the shared teardown used by
// Delete, Revoke, object finalisation and one-shot reply capabilities:
//
//   deleteCap(cap)   unlink from the derivation tree, empty the slot, and if
//                    it was the last capability to its object, finalise it
//                    (bytes go back to the Untyped). The last capability to
//                    an Untyped first revokes it, so nothing carved from it
//                    outlives its memory.
//   revokeCap(cap)   delete every capability derived from cap, not cap.

import { Capability, deriveError, isBadgeable, type CapabilityPool, type SlotOwner } from "./capability.ts";
import { KernelError, userError, type KernelErrorCode } from "./errors.ts";
import { PAGE_BYTES } from "./frame.ts";
import { KernelObject, type MemorySource } from "./object.ts";
import { maskRights, type RightsMask } from "./rights.ts";

export const CNODE_SLOT_BYTES = 32;

export class CNode extends KernelObject implements SlotOwner {
  readonly radixBits: number;
  readonly slotCount: number;
  #slots: (Capability | null)[];

  /** The kernel's capabilities, for the ones made into this CNode. */
  readonly caps: CapabilityPool;

  constructor(radixBits: number, parent: MemorySource | null, caps: CapabilityPool) {
    super("CNode", 2 ** radixBits * CNODE_SLOT_BYTES, parent);
    this.caps = caps;
    this.radixBits = radixBits;
    this.slotCount = 2 ** radixBits;
    this.#slots = new Array<Capability | null>(this.slotCount).fill(null);
  }

  /** The capability in a slot; null when empty or out of range. */
  capAt(index: number): Capability | null {
    return this.#slots[index] ?? null;
  }

  isValidIndex(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.slotCount;
  }

  clearSlot(index: number): void {
    this.#slots[index] = null;
  }

  /** Puts a new capability into an empty slot as a child of `source`. */
  insert(index: number, cap: Capability, source: Capability | null): void {
    this.#slots[index] = cap;
    cap.place(this, index);
    cap.linkUnder(source);
  }

  /** Copy: same object and badge, rights masked by `rights`. */
  copy(destIndex: number, src: CNode, srcIndex: number, rights: RightsMask): KernelErrorCode {
    const err = this.#decodeSlots(destIndex, src, srcIndex, "Copy");
    if (err !== KernelError.Ok) return err;
    const cap = src.#slots[srcIndex] as Capability;
    const derr = deriveError(cap);
    if (derr !== KernelError.Ok) return refuse(derr, "CNode Copy: source capability cannot be derived");
    copyInto(this, destIndex, cap, maskRights(cap.rights, rights), cap.badge);
    return KernelError.Ok;
  }

  /** Mint: Copy that may badge an unbadged endpoint or notification capability. */
  mint(destIndex: number, src: CNode, srcIndex: number, rights: RightsMask, badge: number): KernelErrorCode {
    const err = this.#decodeSlots(destIndex, src, srcIndex, "Mint");
    if (err !== KernelError.Ok) return err;
    const cap = src.#slots[srcIndex] as Capability;
    const derr = deriveError(cap);
    if (derr !== KernelError.Ok) return refuse(derr, "CNode Mint: source capability cannot be derived");
    const berr = decodeBadge(cap, badge, "Mint");
    if (berr !== KernelError.Ok) return berr;
    copyInto(this, destIndex, cap, maskRights(cap.rights, rights), badge);
    return KernelError.Ok;
  }

  /**
   * MintWindow: a child of a Frame capability with rights masked by `rights` and a window
   * of `length` bytes at `offset` in the frame, both page multiples and inside the source's
   * window. Granting it and revoking it afterwards lends a frame's pages one call at a time.
   */
  mintWindow(destIndex: number, src: CNode, srcIndex: number, rights: RightsMask, offset: number, length: number): KernelErrorCode {
    const err = this.#decodeSlots(destIndex, src, srcIndex, "MintWindow");
    if (err !== KernelError.Ok) return err;
    const cap = src.#slots[srcIndex] as Capability;
    if (cap.object.kind !== "Frame") return refuse(KernelError.IllegalOperation, "CNode MintWindow: source is not a Frame capability");
    if (offset % PAGE_BYTES !== 0 || length % PAGE_BYTES !== 0 || length <= 0 || !cap.covers(offset, length)) {
      return refuse(KernelError.RangeError, "CNode MintWindow: window is not whole pages inside the source's window");
    }
    copyInto(this, destIndex, cap, maskRights(cap.rights, rights), 0);
    (this.#slots[destIndex] as Capability).setWindow(offset, length);
    return KernelError.Ok;
  }

  /** Move: the capability changes slot, keeping its place in the tree. */
  move(destIndex: number, src: CNode, srcIndex: number): KernelErrorCode {
    const err = this.#decodeSlots(destIndex, src, srcIndex, "Move");
    if (err !== KernelError.Ok) return err;
    this.#moveIn(destIndex, src, srcIndex);
    return KernelError.Ok;
  }

  /** Mutate: Move that also masks rights and may badge an unbadged capability. */
  mutate(destIndex: number, src: CNode, srcIndex: number, rights: RightsMask, badge: number): KernelErrorCode {
    const err = this.#decodeSlots(destIndex, src, srcIndex, "Mutate");
    if (err !== KernelError.Ok) return err;
    const cap = src.#slots[srcIndex] as Capability;
    if (badge !== 0) {
      const berr = decodeBadge(cap, badge, "Mutate");
      if (berr !== KernelError.Ok) return berr;
    }
    this.#moveIn(destIndex, src, srcIndex);
    cap.update(maskRights(cap.rights, rights), badge !== 0 ? badge : cap.badge);
    return KernelError.Ok;
  }

  /** Delete: empties the slot (an empty slot is fine, as in seL4). */
  delete(index: number): KernelErrorCode {
    if (!this.isValidIndex(index)) return refuse(KernelError.FailedLookup, "CNode Delete: index out of range");
    const cap = this.#slots[index];
    if (cap !== null && cap !== undefined) deleteCap(cap);
    return KernelError.Ok;
  }

  /** Revoke: deletes every capability derived from the one in the slot. */
  revoke(index: number): KernelErrorCode {
    if (!this.isValidIndex(index)) return refuse(KernelError.FailedLookup, "CNode Revoke: index out of range");
    const cap = this.#slots[index];
    if (cap !== null && cap !== undefined) revokeCap(cap);
    return KernelError.Ok;
  }

  /** Last capability gone: delete every capability this CNode holds. */
  override finalise(): void {
    if (this.destroyed) return;
    for (let i = 0; i < this.slotCount; i++) {
      const cap = this.#slots[i];
      if (cap !== null && cap !== undefined) deleteCap(cap);
    }
    super.finalise();
  }

  #decodeSlots(destIndex: number, src: CNode, srcIndex: number, op: string): KernelErrorCode {
    if (!this.isValidIndex(destIndex)) return refuse(KernelError.FailedLookup, `CNode ${op}: destination index out of range`);
    if (!src.isValidIndex(srcIndex)) return refuse(KernelError.FailedLookup, `CNode ${op}: source index out of range`);
    if (src.#slots[srcIndex] === null) return refuse(KernelError.FailedLookup, `CNode ${op}: source slot is empty`);
    if (this.#slots[destIndex] !== null) return refuse(KernelError.DeleteFirst, `CNode ${op}: destination slot is occupied`);
    return KernelError.Ok;
  }

  #moveIn(destIndex: number, src: CNode, srcIndex: number): void {
    const cap = src.#slots[srcIndex] as Capability;
    src.#slots[srcIndex] = null;
    this.#slots[destIndex] = cap;
    cap.place(this, destIndex);
  }
}

/** Inserts a copy of `source` (already decoded) into an empty slot; it keeps the source's window. */
export function copyInto(dest: CNode, index: number, source: Capability, rights: RightsMask, badge: number): void {
  const cap = dest.caps.create(source.object, rights, badge);
  cap.setWindow(source.windowOffset, source.windowLength);
  dest.insert(index, cap, source);
}

export function deleteCap(cap: Capability): void {
  const object = cap.object;
  if (object.kind === "Untyped" && object.capRefs === 1) {
    const generation = cap.generation;
    revokeCap(cap);
    if (cap.generation !== generation) return; // deleted while revoking
  }
  cap.unlink();
  cap.owner?.clearSlot(cap.index);
  if (cap.release()) object.finalise();
}

export function revokeCap(cap: Capability): void {
  // Deleting a child moves its own children up to cap, so the loop reaches
  // grandchildren too. Finalising objects may delete cap itself: stop then.
  const generation = cap.generation;
  let child = cap.firstChild;
  while (child !== null && cap.generation === generation) {
    deleteCap(child);
    child = cap.firstChild;
  }
}

function decodeBadge(cap: Capability, badge: number, op: string): KernelErrorCode {
  if (!Number.isSafeInteger(badge) || badge < 0) return refuse(KernelError.InvalidArgument, `CNode ${op}: badge must be a non-negative safe integer`);
  if (isBadgeable(cap) ? cap.badge !== 0 : badge !== 0) {
    return refuse(KernelError.IllegalOperation, `CNode ${op}: only an unbadged endpoint or notification capability can be badged`);
  }
  return KernelError.Ok;
}

function refuse(code: KernelErrorCode, msg: string): KernelErrorCode {
  userError(msg);
  return code;
}
