// FrameDirectory: the frames a file-system client knows, so that pread/pwrite on a view
// into one of them travel as a frame grant (ipc) or a host address (worker) instead of
// through the client's bounce frame.
//
// The kernel-task adds each guest-memory frame when it creates it (its capability slot
// and host address) and removes it before releasing the frame. A Uint8Array is looked
// up by its ArrayBuffer, then by its offset: frames are parts of their chunk's one
// ArrayBuffer (frame_chunks.ts), or have one of their own (the default allocator), and
// any view into a frame shares it. Each buffer's frames are kept sorted by offset (they
// never overlap), so a lookup is a binary search however many frames a chunk holds.
//
// Rule for callers: a pread/pwrite that answers with a Promise keeps using its frame
// until it settles. In ipc mode the fs-task then holds a capability to the frame, which
// keeps it alive; in worker mode nothing does, so do not release a frame under a pending
// operation (the kernel-task reads streams through its own bounce buffer, §8).

export interface KnownFrame {
  /** The frame's bytes, as the client sees them. */
  readonly bytes: Uint8Array;
  /** Host address of bytes[0], 0 if the memory is not native (worker mode cannot share it). */
  readonly hostAddress: number;
  /** The frame capability's slot in the client's CSpace, -1 if none (ipc mode cannot grant it). */
  readonly cptr: number;
}

export interface FrameHit {
  frame: KnownFrame;
  /** Offset of the view inside the frame. */
  offset: number;
}

export class FrameDirectory {
  readonly #byBuffer = new Map<ArrayBufferLike, KnownFrame[]>();

  add(frame: KnownFrame): void {
    const list = this.#byBuffer.get(frame.bytes.buffer);
    if (list === undefined) this.#byBuffer.set(frame.bytes.buffer, [frame]);
    else list.splice(firstAfter(list, frame.bytes.byteOffset), 0, frame);
  }

  /** Forgets the frame whose bytes these are; false if it was not known. */
  delete(bytes: Uint8Array): boolean {
    const list = this.#byBuffer.get(bytes.buffer);
    const i = list === undefined ? -1 : firstAfter(list, bytes.byteOffset) - 1;
    if (list === undefined || i < 0 || list[i]!.bytes.byteOffset !== bytes.byteOffset) return false;
    list.splice(i, 1);
    if (list.length === 0) this.#byBuffer.delete(bytes.buffer);
    return true;
  }

  /** The known frame that wholly contains `view`, or null. */
  find(view: Uint8Array): FrameHit | null {
    const list = this.#byBuffer.get(view.buffer);
    if (list === undefined) return null;
    const i = firstAfter(list, view.byteOffset) - 1;
    if (i < 0) return null;
    const frame = list[i]!;
    const offset = view.byteOffset - frame.bytes.byteOffset;
    return offset + view.byteLength <= frame.bytes.byteLength ? { frame, offset } : null;
  }
}

/** The index of the first frame of `list` (sorted by offset) that starts after `offset`. */
function firstAfter(list: readonly KnownFrame[], offset: number): number {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.bytes.byteOffset <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
