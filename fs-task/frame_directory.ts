// FrameDirectory: the frames a file-system client knows, so that pread/pwrite on a view
// into one of them travel as a frame grant (ipc) or a host address (worker) instead of
// through the client's bounce frame.
//
// The kernel-task adds each guest-memory frame when it creates it (its capability slot
// and host address) and removes it before releasing the frame. A Uint8Array is looked
// up by its ArrayBuffer: every frame's bytes are their own ArrayBuffer (an mmap block
// from allocNative, or a plain one from the default allocator), and any view into a
// frame shares it.
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
    else list.push(frame);
  }

  /** Forgets the frame whose bytes these are; false if it was not known. */
  delete(bytes: Uint8Array): boolean {
    const list = this.#byBuffer.get(bytes.buffer);
    const i = list === undefined ? -1 : list.findIndex((f) => f.bytes.byteOffset === bytes.byteOffset);
    if (list === undefined || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.#byBuffer.delete(bytes.buffer);
    return true;
  }

  /** The known frame that wholly contains `view`, or null. */
  find(view: Uint8Array): FrameHit | null {
    const list = this.#byBuffer.get(view.buffer);
    if (list === undefined) return null;
    for (const frame of list) {
      const offset = view.byteOffset - frame.bytes.byteOffset;
      if (offset >= 0 && offset + view.byteLength <= frame.bytes.byteLength) return { frame, offset };
    }
    return null;
  }
}
