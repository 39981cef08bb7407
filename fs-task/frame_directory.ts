// FrameDirectory: the frames a file-system client knows, so that pread/pwrite on a view
// into one of them travel as a frame grant (ipc) or a host address (worker) instead of
// through the client's bounce frame.
//
// The kernel-task adds each guest-memory frame when it creates it (its capability slot
// and host address) and removes it before releasing the frame. A Uint8Array is looked
// up by its ArrayBuffer, then by its offset in it: the frames carved out of one chunk of
// host memory share the chunk's ArrayBuffer (frame_chunks.ts; thousands of them with
// thousands of thread stacks), so each buffer's frames are kept sorted by offset and
// found by binary search. Frames never overlap, and any view into a frame shares its
// buffer.
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
  /** Per buffer: its known frames, sorted by byteOffset. */
  readonly #byBuffer = new Map<ArrayBufferLike, KnownFrame[]>();

  add(frame: KnownFrame): void {
    const list = this.#byBuffer.get(frame.bytes.buffer);
    if (list === undefined) this.#byBuffer.set(frame.bytes.buffer, [frame]);
    else list.splice(after(list, frame.bytes.byteOffset), 0, frame);
  }

  /** Forgets the frame whose bytes these are; false if it was not known. */
  delete(bytes: Uint8Array): boolean {
    const list = this.#byBuffer.get(bytes.buffer);
    const i = list === undefined ? -1 : after(list, bytes.byteOffset) - 1;
    if (list === undefined || i < 0 || list[i]!.bytes.byteOffset !== bytes.byteOffset) return false;
    list.splice(i, 1);
    if (list.length === 0) this.#byBuffer.delete(bytes.buffer);
    return true;
  }

  /** The known frame that wholly contains `view`, or null. */
  find(view: Uint8Array): FrameHit | null {
    const list = this.#byBuffer.get(view.buffer);
    if (list === undefined) return null;
    const frame = list[after(list, view.byteOffset) - 1];
    if (frame === undefined) return null;
    const offset = view.byteOffset - frame.bytes.byteOffset;
    return offset + view.byteLength <= frame.bytes.byteLength ? { frame, offset } : null;
  }
}

/** Index of the first frame of `list` that starts past `offset`. */
function after(list: readonly KnownFrame[], offset: number): number {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.bytes.byteOffset <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
