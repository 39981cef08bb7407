// Guest-physical addresses of frame chunks, shared by every KVM VM of the process.
//
// A chunk (frame_chunks.ts) is one memory slot in each VM that maps it, at the same
// guest-physical address in all of them; the address is taken when the first VM maps the
// chunk and given back when the last one lets it go. Addresses start above the system
// slot (kvm_guest.ts) with room to spare and are 2 MiB-aligned; the space is first fit
// over free runs, bounded by the guest's physical address width.

const FIRST = 4 * 1024 ** 3;
const ALIGN = 2 * 1024 * 1024;

interface Held {
  gpa: number;
  size: number;
  users: number;
}

const held = new Map<object, Held>();
/** Free runs [start, end), sorted; the last one ends at the address width's limit. */
const freeStarts: number[] = [FIRST];
const freeEnds: number[] = [2 ** 46];

/** The guest's physical address width (CPUID 0x80000008): addresses stay below it. */
export function limitGpa(bits: number): void {
  freeEnds[freeEnds.length - 1] = Math.min(freeEnds[freeEnds.length - 1]!, 2 ** bits);
}

/** The chunk's address, one more VM holding it; -1 when the space is full. */
export function acquireGpa(chunk: { size: number }): number {
  const h = held.get(chunk);
  if (h) {
    h.users++;
    return h.gpa;
  }
  const size = Math.ceil(chunk.size / ALIGN) * ALIGN;
  for (let i = 0; i < freeStarts.length; i++) {
    const at = freeStarts[i]!;
    if (freeEnds[i]! - at < size) continue;
    if (freeEnds[i]! - at === size) {
      freeStarts.splice(i, 1);
      freeEnds.splice(i, 1);
    } else freeStarts[i] = at + size;
    held.set(chunk, { gpa: at, size, users: 1 });
    return at;
  }
  return -1;
}

/** The address of a chunk some VM holds. */
export function gpaOf(chunk: object): number {
  return held.get(chunk)!.gpa;
}

/** One VM fewer holds the chunk; the last gives its address back. */
export function releaseGpa(chunk: object): void {
  const h = held.get(chunk);
  if (!h || --h.users > 0) return;
  held.delete(chunk);
  let i = 0;
  while (i < freeStarts.length && freeStarts[i]! < h.gpa) i++;
  freeStarts.splice(i, 0, h.gpa);
  freeEnds.splice(i, 0, h.gpa + h.size);
  // Coalesce with the neighbours.
  if (i + 1 < freeStarts.length && freeEnds[i] === freeStarts[i + 1]) {
    freeEnds[i] = freeEnds[i + 1]!;
    freeStarts.splice(i + 1, 1);
    freeEnds.splice(i + 1, 1);
  }
  if (i > 0 && freeEnds[i - 1] === freeStarts[i]) {
    freeEnds[i - 1] = freeEnds[i]!;
    freeStarts.splice(i, 1);
    freeEnds.splice(i, 1);
  }
}
