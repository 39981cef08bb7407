// Address spaces (seL4 VSpace roots). Here only a memory-accounted object
// with an opaque `backend` the CPU platform sets and interprets.

import { KernelObject, type MemorySource } from "./object.ts";

export const ADDRESS_SPACE_BYTES = 4096;

export class AddressSpace extends KernelObject {
  /** Owned by the platform (page tables, engine context, ...). */
  backend: unknown = null;

  constructor(parent: MemorySource | null) {
    super("AddressSpace", ADDRESS_SPACE_BYTES, parent);
  }
}
