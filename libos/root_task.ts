// The root task: the first task of a microkernel, holder of all its memory, which it
// divides between the user kernels that run on this thread.
//
//   RootTask.for(sizes)   boots a Kernel whose root Untyped holds every share plus the
//                         root task's own objects
//   share(bytes)          one user kernel's part: a child Untyped of `bytes`, a CNode and
//                         a native TCB whose CSpace is that CNode, laid out as the root
//                         CNode is (RootSlot.Untyped, .CNode, .Tcb), so a user kernel
//                         boots inside its share exactly as it would on a kernel of its own
//   reclaim(share)        the user kernel has ended: every object made in its share goes
//                         (revoked from the share's Untyped down), and the share's bytes
//                         return to the root Untyped, for the next kernel
//
// The root task keeps the original capabilities (its CNode); the user kernel gets copies
// made before anything was carved, and never asks the root task again (seL4's root task
// hands out Untyped the same way). `libos run` is the case of one share.

import { AllRights, Kernel, KernelError, RootSlot, type CNode, type FrameAllocator, type Tcb } from "../microkernel/mod.ts";
import { allocFrameMemory, freeFrameMemory } from "../microkernel/platform/frame_chunks.ts";
import type { HostMemory } from "./memory.ts";

/** Radix of a share's CNode, as the root CNode of a kernel of its own had. */
const SHARE_CNODE_RADIX = 16;
const ROOT_CNODE_RADIX = 12;
/** The root task's own objects besides the shares. */
const ROOT_OBJECT_BYTES = 64 * 1024;
/** The root task's own objects for one share: its CNode (2^16 slots of 32 bytes) and TCB. */
const SHARE_OVERHEAD_BYTES = 2 ** SHARE_CNODE_RADIX * 32 + 64 * 1024;

/** What the root task gives one user kernel. */
export interface KernelShare {
  readonly kernel: Kernel;
  /** The user kernel's root thread; its CSpace is `cnode`. */
  readonly authority: Tcb;
  /** RootSlot.Untyped: the share's Untyped; RootSlot.CNode: this CNode; RootSlot.Tcb: `authority`. */
  readonly cnode: CNode;
  /** The root CNode's slots that hold the share's Untyped, CNode and TCB (the root task's own capabilities). */
  readonly rootSlots: { readonly untyped: number; readonly cnode: number; readonly tcb: number };
}

const nativeFrames: FrameAllocator = {
  allocate(size: number) {
    const block = allocFrameMemory(size);
    return { bytes: block.bytes, hostAddress: block.address };
  },
  release(mem: HostMemory) {
    freeFrameMemory({ bytes: mem.bytes, address: mem.hostAddress });
  },
};

export class RootTask {
  readonly kernel: Kernel;
  #nextSlot = 16;
  /** Root CNode slots given back by reclaim(). */
  readonly #freeSlots: number[] = [];

  private constructor(untypedBytes: number) {
    this.kernel = new Kernel({ untypedBytes, rootCnodeRadix: ROOT_CNODE_RADIX, frameAllocator: nativeFrames });
  }

  /** A kernel with room for shares of `sizes` bytes. */
  static for(sizes: readonly number[]): RootTask {
    return new RootTask(sizes.reduce((sum, bytes) => sum + bytes + SHARE_OVERHEAD_BYTES, ROOT_OBJECT_BYTES));
  }

  /** One user kernel's share of `bytes`. Throws RangeError when the root Untyped cannot hold it. */
  share(bytes: number): KernelShare {
    const k = this.kernel, root = k.rootTcb;
    const untypedInRoot = this.#retype("Untyped", bytes);
    const cnodeInRoot = this.#retype("CNode", SHARE_CNODE_RADIX);
    const tcbInRoot = this.#retype("Tcb", 0);
    for (const [slot, from] of [[RootSlot.Untyped, untypedInRoot], [RootSlot.CNode, cnodeInRoot], [RootSlot.Tcb, tcbInRoot]] as const) {
      const r = k.cnodeCopy(root, cnodeInRoot, slot, RootSlot.CNode, from, AllRights);
      if (r.error !== KernelError.Ok) throw new RangeError(`Cannot give a user kernel its share: microkernel error ${r.error}`);
    }
    k.tcbConfigure(root, tcbInRoot, { cspaceRootCptr: cnodeInRoot });
    k.tcbResume(root, tcbInRoot);
    const objectAt = (slot: number): unknown => k.rootCnode.capAt(slot)!.object;
    return {
      kernel: k, authority: objectAt(tcbInRoot) as Tcb, cnode: objectAt(cnodeInRoot) as CNode,
      rootSlots: { untyped: untypedInRoot, cnode: cnodeInRoot, tcb: tcbInRoot },
    };
  }

  /**
   * Takes a share back once its user kernel has ended (and stopped its fs-tasks). Revoking
   * the share's Untyped deletes the user kernel's copy of it and every capability to what
   * was carved from it, in any CNode, so each of those objects is finalised (frames give
   * their memory back); then the root task's own three capabilities go, and the share's
   * bytes (its Untyped, CNode and TCB) are the root Untyped's again.
   */
  reclaim(share: KernelShare): void {
    const k = this.kernel, root = k.rootTcb, { untyped, cnode, tcb } = share.rootSlots;
    // The share's CNode holds copies of the three (one of them names the CNode itself):
    // revoking each deletes its copies, so the last capability to each is the root's.
    for (const slot of [untyped, tcb, cnode]) k.cnodeRevoke(root, RootSlot.CNode, slot);
    for (const slot of [tcb, cnode, untyped]) {
      k.cnodeDelete(root, RootSlot.CNode, slot);
      this.#freeSlots.push(slot);
    }
  }

  #retype(kind: "Untyped" | "CNode" | "Tcb", size: number): number {
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    const r = this.kernel.untypedRetype(this.kernel.rootTcb, RootSlot.Untyped, kind, size, 1, RootSlot.CNode, slot);
    if (r.error !== KernelError.Ok) throw new RangeError(`Cannot create the root task's ${kind}: microkernel error ${r.error}`);
    return slot;
  }
}
