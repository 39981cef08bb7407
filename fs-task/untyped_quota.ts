// untypedQuota(): a tmpfs's MemoryQuota drawn from an Untyped capability, not from a
// callback handed in by whoever built the back end. Each charge looks the capability up
// in its slot and reserves bytes on the Untyped it names (Untyped.reserve: bytes held
// outside any object), so deleting or revoking that capability takes the allowance away
// at once; bytes already charged still go back to that Untyped when the pages are freed.
// The fs-task server (ipc mode) holds one in its own CNode; an in-process tmpfs charges
// through the kernel-task's.

import type { MemoryQuota } from "./_paged_bytes.ts";
import type { CNode, Untyped } from "../microkernel/mod.ts";

/** The quota of the Untyped capability in `slot` of `cnode`. Throws TypeError if the slot holds none. */
export function untypedQuota(cnode: CNode, slot: number): MemoryQuota {
  const current = (): Untyped | null => {
    const cap = cnode.capAt(slot);
    return cap !== null && cap.object.kind === "Untyped" ? (cap.object as Untyped) : null;
  };
  const charged = current();
  if (charged === null) throw new TypeError(`Cannot draw a quota from slot ${slot}: it holds no Untyped capability`);
  return {
    charge: (bytes) => current() === charged && charged.reserve(bytes),
    release: (bytes) => charged.release(bytes),
    available: () => (current() === charged ? charged.freeBytes : 0),
  };
}
