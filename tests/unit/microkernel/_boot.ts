// Test helpers: boot a kernel and carve objects into the root CNode.

import { expect } from "vitest";
import { Kernel, RootSlot } from "../../../microkernel/kernel.ts";
import { KernelError } from "../../../microkernel/errors.ts";
import type { KernelObject, ObjectKind } from "../../../microkernel/object.ts";
import type { Tcb } from "../../../microkernel/tcb.ts";
import type { RetypeOptions } from "../../../microkernel/untyped.ts";

export function boot(untypedBytes = 1 << 20): Kernel {
  return new Kernel({ untypedBytes, rootCnodeRadix: 8 });
}

/** Retypes one object into root CNode slot `slot`. */
export function make<T extends KernelObject>(k: Kernel, kind: ObjectKind, slot: number, size = 0, options?: RetypeOptions): T {
  const r = k.untypedRetype(k.rootTcb, RootSlot.Untyped, kind, size, 1, RootSlot.CNode, slot, options);
  expect(r.error).toBe(KernelError.Ok);
  return r.objects[0] as T;
}

/** A running thread sharing the root CSpace (cptrs mean the same to it). */
export function thread(k: Kernel, slot: number, options?: RetypeOptions): Tcb {
  const t = make<Tcb>(k, "Tcb", slot, 0, options);
  expect(k.tcbConfigure(k.rootTcb, slot, { cspaceRootCptr: RootSlot.CNode }).error).toBe(KernelError.Ok);
  expect(k.tcbResume(k.rootTcb, slot).error).toBe(KernelError.Ok);
  return t;
}

/** Mints a copy of the cap in `src` into `dest` with these rights and badge. */
export function mint(k: Kernel, dest: number, src: number, rights: number, badge = 0): void {
  expect(k.cnodeMint(k.rootTcb, RootSlot.CNode, dest, RootSlot.CNode, src, rights, badge).error).toBe(KernelError.Ok);
}
