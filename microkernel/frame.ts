// Frames: page-granular memory objects. Here they only account memory
// against an Untyped and hold their bytes; mapping them into an address
// space belongs to the CPU platform (microkernel/platform/).
//
// The bytes come from an injectable FrameAllocator so the platform can hand
// out host memory it can map natively; the default uses ArrayBuffers.

import { constants } from "node:buffer";
import { KernelObject, type MemorySource } from "./object.ts";

export const PAGE_BYTES = 4096;
/**
 * The largest Frame: what one typed array can view (4 GiB on Node 20). A larger native
 * view is not an exception but a fatal error in the host process, so it is never asked for.
 */
export const MAX_FRAME_BYTES = constants.MAX_LENGTH;

export interface FrameMemory {
  bytes: Uint8Array;
  /** Host address of bytes when the allocator knows it, else 0. */
  hostAddress: number;
}

export interface FrameAllocator {
  allocate(size: number): FrameMemory;
  release(mem: FrameMemory): void;
}

export const defaultFrameAllocator: FrameAllocator = {
  allocate(size: number): FrameMemory {
    return { bytes: new Uint8Array(size), hostAddress: 0 };
  },
  release(): void {},
};

/** Frame size for a requested byte count: rounded up to whole pages. */
export function frameBytes(size: number): number {
  return Math.ceil(size / PAGE_BYTES) * PAGE_BYTES;
}

export class Frame extends KernelObject {
  readonly memory: FrameMemory;
  readonly #allocator: FrameAllocator;

  constructor(size: number, parent: MemorySource | null, allocator: FrameAllocator) {
    const bytes = frameBytes(size);
    super("Frame", bytes, parent);
    this.#allocator = allocator;
    this.memory = allocator.allocate(bytes);
  }

  get bytes(): Uint8Array {
    return this.memory.bytes;
  }

  get hostAddress(): number {
    return this.memory.hostAddress;
  }

  override finalise(): void {
    if (this.destroyed) return;
    this.#allocator.release(this.memory);
    super.finalise();
  }
}
