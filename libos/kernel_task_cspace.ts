// The kernel-task's own CSpace: a task reaches only what its CNode holds (seL4), so the
// kernel-task works in a CNode of its own, not in the root task's.
//
// The user kernel's root thread (user_kernel.ts, in the share root_task.ts gave it) builds
// it at boot and keeps in its root CNode what the kernel-task must not reach: the share's Untyped, the original quota Untyped, the
// kernel-task's CNode, TCBs and endpoint (originals), and the fs-task's endpoint, server
// TCB, server CNode and quota capability. The kernel-task's CNode (radix 16):
//
//   1   the CNode itself (names its own slots in invocations)
//   2   the quota Untyped (a copy made before anything was carved from it): guest frames,
//       guest TCBs, the fs-task client's channels, byte area and bounce frames
//   3   the kernel-task's endpoint (all rights: its server TCB receives on it, and guest
//       fault capabilities are minted from it)
//   4   the guests' CNode (below)
//   16… what it creates and manages: guest memory frames, guest TCBs, one badged fs-task
//       endpoint capability per mount (minted by the root task's fs-task server into this
//       CNode), the fs-task client's channel TCBs, byte area and bounce frames, and for
//       the length of one call a data grant (a window of a guest frame)
//
// The guests' CNode (radix 16) is every guest TCB's CSpace and holds nothing but their
// fault endpoint capabilities (Write|GrantReply, badge = tid): a guest thread reaches no
// frame, Untyped or TCB (and guest code has no way to invoke the microkernel anyway: its
// syscalls are faults, sent through that capability).
//
// The kernel-task invokes through `authority`, a native TCB of its own that never blocks:
// the passive server TCB sits in Recv between calls, and a blocked thread cannot invoke.

import type { IpcHost, SlotAllocator } from "../device-ipc/mod.ts";
import { AllRights, KernelError, Rights, RootSlot, type Kernel, type KernelObject, type RetypeOptions, type Tcb } from "../microkernel/mod.ts";
import type { KernelShare } from "./root_task.ts";

export const KtSlot = { CNode: 1, Untyped: 2, Endpoint: 3, Guests: 4 } as const;

const KT_CNODE_RADIX = 16;
const GUESTS_CNODE_RADIX = 16;

/** Slots of one CNode, handed out from 16 up and returned. */
export class Slots implements SlotAllocator {
  #next = 16;
  readonly #free: number[] = [];

  take(): number {
    return this.#free.pop() ?? this.#next++;
  }

  give(slot: number): void {
    this.#free.push(slot);
  }
}

export class KernelTaskCSpace {
  readonly kernel: Kernel;
  /** The kernel-task's invoking thread (CSpace root: the kernel-task's CNode). */
  readonly authority: Tcb;
  readonly slots = new Slots();
  /** Slots of the guests' CNode. */
  readonly guestSlots = new Slots();
  /** The kernel-task's CNode as the root task names it. */
  readonly cnodeInRoot: number;

  /**
   * Builds the CNode and the invoking thread from the root Untyped; copies the quota
   * Untyped (root slot `quotaSlot`, nothing carved from it yet) and the endpoint in.
   */
  constructor(share: KernelShare, rootSlots: SlotAllocator, quotaSlot: number, endpointSlot: number) {
    const kernel = (this.kernel = share.kernel);
    const root = share.authority;
    this.cnodeInRoot = rootRetype(share, rootSlots, "CNode", KT_CNODE_RADIX);
    const c = this.cnodeInRoot;
    check(kernel.cnodeCopy(root, c, KtSlot.CNode, RootSlot.CNode, c, AllRights).error, "its CNode");
    check(kernel.cnodeCopy(root, c, KtSlot.Untyped, RootSlot.CNode, quotaSlot, AllRights).error, "its quota");
    check(kernel.cnodeCopy(root, c, KtSlot.Endpoint, RootSlot.CNode, endpointSlot, AllRights).error, "its endpoint");
    const guests = rootRetype(share, rootSlots, "CNode", GUESTS_CNODE_RADIX);
    check(kernel.cnodeCopy(root, c, KtSlot.Guests, RootSlot.CNode, guests, AllRights).error, "the guests' CNode");
    const tcbSlot = rootRetype(share, rootSlots, "Tcb", 0);
    this.authority = share.cnode.capAt(tcbSlot)!.object as Tcb;
    kernel.tcbConfigure(root, tcbSlot, { cspaceRootCptr: c });
    kernel.tcbResume(root, tcbSlot);
  }

  /** Retypes one object from the quota into a fresh slot: the slot, or -1 when the quota is spent. */
  retype(kind: "Frame" | "Tcb", size: number, options: RetypeOptions = {}): number {
    const slot = this.slots.take();
    const r = this.kernel.untypedRetype(this.authority, KtSlot.Untyped, kind, size, 1, KtSlot.CNode, slot, options);
    if (r.error === KernelError.Ok) return slot;
    this.slots.give(slot);
    return -1;
  }

  objectAt(slot: number): KernelObject {
    return this.authority.cspaceRoot!.capAt(slot)!.object;
  }

  /** A guest thread's fault capability: the endpoint, Write|GrantReply, badge = tid, in the guests' CNode. */
  mintFaultCap(tid: number): number {
    const slot = this.guestSlots.take();
    const r = this.kernel.cnodeMint(this.authority, KtSlot.Guests, slot, KtSlot.CNode, KtSlot.Endpoint, Rights.Write | Rights.GrantReply, tid);
    check(r.error, "a fault capability");
    return slot;
  }

  deleteFaultCap(slot: number): void {
    this.kernel.cnodeDelete(this.authority, KtSlot.Guests, slot);
    this.guestSlots.give(slot);
  }

  delete(slot: number): void {
    this.kernel.cnodeDelete(this.authority, KtSlot.CNode, slot);
    this.slots.give(slot);
  }

  /** How the fs-task client (ipc mode) reaches the microkernel: through this CSpace. */
  ipcHost(): IpcHost & { clientCnode: number } {
    return {
      kernel: this.kernel, authority: this.authority, untypedCptr: KtSlot.Untyped, cnodeCptr: KtSlot.CNode, slots: this.slots,
      clientCnode: this.cnodeInRoot,
    };
  }
}

/** The user kernel's root thread retypes from its share's Untyped into its own CNode. Throws RangeError on failure. */
export function rootRetype(share: KernelShare, slots: SlotAllocator, kind: "Untyped" | "CNode" | "Endpoint" | "Tcb", size: number): number {
  const slot = slots.take();
  const r = share.kernel.untypedRetype(share.authority, RootSlot.Untyped, kind, size, 1, RootSlot.CNode, slot);
  if (r.error !== KernelError.Ok) {
    slots.give(slot);
    throw new RangeError(`Cannot create ${kind}: microkernel error ${r.error}`);
  }
  return slot;
}

function check(error: number, what: string): void {
  if (error !== KernelError.Ok) throw new RangeError(`Cannot give the kernel-task ${what}: microkernel error ${error}`);
}
