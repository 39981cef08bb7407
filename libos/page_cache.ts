// Shared file mappings: the page cache of the files that have MAP_SHARED mappings
// (Linux: mm/filemap.c, mm/page-writeback.c).
//
//   PageCache    one per user kernel: the SharedFile of each (file system, inode) that
//                has a MAP_SHARED mapping now.
//   SharedFile   the file's pages in CHUNK-sized chunks, each a HostBlock (memory.ts) that
//                every mapping of those pages maps, in every process: a store by one is
//                seen by all. It holds the open file the first mapping came from, as
//                Linux's vm_file does.
//   Coherence    read(2) of the file overlays the chunks on what the file system returns
//                (FsFile.read), write(2) lands in them too (FsFile.write), and a truncate
//                zeroes what lies past the new end (pages there become SIGBUS).
//   Write-back   a chunk's engine mapping is read-only while it is clean; the first store
//                marks it dirty (memory.ts). msync, fsync, the last unmap of a chunk (exit
//                and exec included) and the end of the LibOS write dirty chunks back.
//
// Changes made to the file outside the LibOS (host processes) reach a chunk only when it is
// read again, after its last mapping is gone.

import { EIO, ENOMEM, EOPNOTSUPP } from "../linux-abi/errno.ts";
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from "../linux-abi/fs.ts";
import type { FileSystem } from "../fs-task/file_system.ts";
import type { OpenFile } from "./file.ts";
import { O_ACCMODE, O_RDWR } from "../linux-abi/fcntl.ts";
import { PROT_WRITE, pageUp, type FileChunk, type GuestMemory, type HostBlock, type Vma } from "./memory.ts";

/** Bytes per chunk: one block, one Vma per mapping that reaches it. */
export const CHUNK = 64 * 1024;

/** What the page cache needs of a file: FsFile's raw access to its fs-task handle. */
export interface CachedFileOps {
  readonly fs: FileSystem;
  readonly handle: number;
  readonly path: string;
}

class Chunk implements FileChunk {
  valid = 0;
  dirty = false;
  block: HostBlock | null = null;

  constructor(
    readonly owner: SharedFile,
    readonly index: number,
  ) {}

  get path(): string {
    return this.owner.path;
  }

  get start(): number {
    return this.index * CHUNK;
  }

  unmapped(): void {
    this.owner.writeBack(this);
    this.owner.forget(this);
  }

  /** Re-applies the engine's protection in every address space that maps the chunk. */
  refresh(): void {
    const block = this.block;
    if (block !== null) for (const mem of block.users.keys()) mem.refreshBlock(block);
  }
}

export class SharedFile {
  readonly #chunks = new Map<number, Chunk>();
  /** The file's size as the LibOS last set or saw it. */
  #size: number;
  #file: OpenFile;

  constructor(
    readonly cache: PageCache,
    readonly fs: FileSystem,
    readonly ino: number,
    file: OpenFile,
    size: number,
  ) {
    this.#file = file.ref();
    this.#size = size;
  }

  get path(): string {
    return this.#ops.path;
  }

  get #ops(): CachedFileOps {
    return this.#file.ops as unknown as CachedFileOps;
  }

  /** A writable mapping's stores are written back through a description open for writing. */
  holdWritable(file: OpenFile): void {
    if ((this.#file.flags & O_ACCMODE) === O_RDWR) return;
    this.#file.unref();
    this.#file = file.ref();
  }

  /** The blocks for file bytes [offset, offset+size), as mapBlocks pieces; null: no memory or the file cannot be read. */
  pieces(mem: GuestMemory, offset: number, size: number): { block: HostBlock; offset: number; size: number }[] | null {
    const out: { block: HostBlock; offset: number; size: number }[] = [];
    for (let at = offset; at < offset + size;) {
      const chunk = this.#chunk(mem, Math.floor(at / CHUNK));
      if (chunk === null) return null;
      const end = Math.min(offset + size, chunk.start + CHUNK);
      out.push({ block: chunk.block!, offset: at - chunk.start, size: end - at });
      at = end;
    }
    return out;
  }

  /** The chunk, read from the file when it is not in the cache. */
  #chunk(mem: GuestMemory, index: number): Chunk | null {
    const have = this.#chunks.get(index);
    if (have !== undefined) return have;
    const chunk = new Chunk(this, index);
    const block = mem.newFileBlock(CHUNK, chunk);
    if (block === null) return null;
    const inFile = Math.max(0, Math.min(CHUNK, this.#size - chunk.start));
    const n = inFile > 0 ? this.#ops.fs.pread(this.#ops.handle, block.mem.bytes.subarray(0, inFile), chunk.start) : 0;
    if (typeof n !== "number" || n < 0) {
      block.owner.release(block.mem);
      return null;
    }
    chunk.block = block;
    chunk.valid = pageUp(inFile);
    this.#chunks.set(index, chunk);
    return chunk;
  }

  /** read(2) of [offset, offset+dst.length) got `dst` from the file: the chunks' bytes are newer. */
  overlay(dst: Uint8Array, offset: number): void {
    this.#eachCached(offset, dst.length, (bytes, done) => dst.set(bytes, done));
  }

  /** write(2) put `src` at `offset` in the file: the chunks take the same bytes, and the file may have grown. */
  wrote(src: Uint8Array, offset: number): void {
    if (offset + src.length > this.#size) this.resized(offset + src.length);
    this.#eachCached(offset, src.length, (bytes, done) => bytes.set(src.subarray(done, done + bytes.length)));
  }

  /** The file is now `size` bytes long: what lies past it reads as zero when it grows again, and faults until then. */
  resized(size: number): void {
    const old = this.#size;
    this.#size = size;
    for (const chunk of this.#chunks.values()) {
      const bytes = chunk.block!.mem.bytes;
      const keep = Math.max(0, Math.min(CHUNK, size - chunk.start));
      if (size < old && keep < CHUNK) bytes.fill(0, keep);
      const valid = pageUp(keep);
      if (valid !== chunk.valid) {
        chunk.valid = valid;
        chunk.refresh();
      }
    }
  }

  /** Frees file bytes [offset, offset+length) (fallocate PUNCH_HOLE): 0 or -errno. */
  punch(offset: number, length: number): number {
    const ops = this.#ops;
    const r = ops.fs.fallocate?.(ops.handle, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) ?? -EOPNOTSUPP;
    if (r === 0) this.zeroed(offset, length);
    return r;
  }

  /** File bytes [offset, offset+length) were freed (a punched hole): the chunks read zero there too. */
  zeroed(offset: number, length: number): void {
    this.#eachCached(offset, length, (bytes) => bytes.fill(0));
  }

  /**
   * Calls `fn` with each cached piece of [offset, offset+length) below the file's end and
   * where it falls in the range. The walk goes over the range's chunk numbers or over the
   * cached chunks, whichever is fewer: a guest's range may be far larger than what is mapped.
   */
  #eachCached(offset: number, length: number, fn: (bytes: Uint8Array, done: number) => void): void {
    const end = Math.min(offset + length, Math.max(this.#size, offset));
    const piece = (chunk: Chunk): void => {
      const s = Math.max(offset, chunk.start), e = Math.min(end, chunk.start + CHUNK);
      if (s < e) fn(chunk.block!.mem.bytes.subarray(s - chunk.start, e - chunk.start), s - offset);
    };
    const first = Math.floor(offset / CHUNK), last = Math.ceil(end / CHUNK);
    if (last - first > this.#chunks.size) {
      for (const chunk of this.#chunks.values()) piece(chunk);
      return;
    }
    for (let index = first; index < last; index++) {
      const chunk = this.#chunks.get(index);
      if (chunk !== undefined) piece(chunk);
    }
  }

  /**
   * Writes the dirty chunks that overlap file bytes [offset, offset+length) back to the
   * file (all of them by default): 0, or -EIO if the file system refused some.
   */
  sync(offset = 0, length = Infinity): number {
    let result = 0;
    for (const chunk of this.#chunks.values()) {
      if (chunk.start + CHUNK <= offset || chunk.start >= offset + length) continue;
      if (this.writeBack(chunk) < 0) result = -EIO;
    }
    return result;
  }

  /** Writes a dirty chunk's bytes below the file's end back; it is clean (read-only in the engines) after. */
  writeBack(chunk: Chunk): number {
    if (!chunk.dirty) return 0;
    chunk.dirty = false;
    chunk.refresh();
    const len = Math.max(0, Math.min(CHUNK, this.#size - chunk.start));
    const bytes = chunk.block!.mem.bytes;
    for (let done = 0; done < len;) {
      const n = this.#ops.fs.pwrite(this.#ops.handle, bytes.subarray(done, len), chunk.start + done);
      if (typeof n !== "number" || n <= 0) return typeof n === "number" && n < 0 ? n : -EIO;
      done += n;
    }
    return 0;
  }

  /** A chunk's last mapping is gone: the last chunk takes the SharedFile with it. */
  forget(chunk: Chunk): void {
    this.#chunks.delete(chunk.index);
    if (this.#chunks.size === 0) this.#end();
  }

  /** After a failed mmap: chunks it read that nothing maps are freed. */
  dropUnmapped(): void {
    for (const chunk of [...this.#chunks.values()]) {
      const block = chunk.block!;
      if (block.users.size > 0) continue;
      block.owner.release(block.mem);
      this.#chunks.delete(chunk.index);
    }
    if (this.#chunks.size === 0) this.#end();
  }

  #end(): void {
    this.cache.forget(this);
    this.#file.unref();
  }
}

export class PageCache {
  readonly #files = new Map<FileSystem, Map<number, SharedFile>>();

  /** The mapped file with inode `ino` on `fs`, if it has MAP_SHARED mappings now. */
  lookup(fs: FileSystem, ino: number): SharedFile | undefined {
    return this.#files.size === 0 ? undefined : this.#files.get(fs)?.get(ino);
  }

  /**
   * mmap(MAP_SHARED) of file bytes [offset, offset+size) of `file` (an fs-task file, inode
   * `ino`, `fileSize` bytes long) at `start` (free, page-aligned): 0 or -ENOMEM.
   */
  map(mem: GuestMemory, file: OpenFile, ino: number, fileSize: number, start: number, offset: number, size: number, prot: number, mayProt: number): number {
    const ops = file.ops as unknown as CachedFileOps;
    let byIno = this.#files.get(ops.fs);
    if (byIno === undefined) this.#files.set(ops.fs, (byIno = new Map()));
    let shared = byIno.get(ino);
    if (shared === undefined) byIno.set(ino, (shared = new SharedFile(this, ops.fs, ino, file, fileSize)));
    const pieces = shared.pieces(mem, offset, size);
    if (pieces === null || !mem.mapBlocks(start, pieces, prot, mayProt)) {
      shared.dropUnmapped();
      return -ENOMEM;
    }
    if (mayProt & PROT_WRITE) shared.holdWritable(file);
    return 0;
  }

  /**
   * mremap growing a shared file mapping whose last Vma is `last`: the file's next
   * `size` bytes mapped at `start` (free) with the same protection. 0 or -ENOMEM.
   */
  extend(mem: GuestMemory, last: Vma, start: number, size: number): number {
    const chunk = last.block.file as Chunk;
    const pieces = chunk.owner.pieces(mem, chunk.start + last.offset + (last.end - last.start), size);
    if (pieces === null || !mem.mapBlocks(start, pieces, last.prot, last.mayProt)) {
      chunk.owner.dropUnmapped();
      return -ENOMEM;
    }
    return 0;
  }

  /** msync(2) of a shared file mapping's Vma: its chunk written back if dirty. 0 or -EIO. */
  syncVma(v: Vma): number {
    const chunk = v.block.file as Chunk;
    return chunk.owner.writeBack(chunk);
  }

  /** madvise(MADV_REMOVE) of [s, e) of a shared file mapping's Vma: a hole punched in the file there. */
  removeRange(v: Vma, s: number, e: number): number {
    const chunk = v.block.file as Chunk;
    return chunk.owner.punch(chunk.start + v.offset + (s - v.start), e - s);
  }

  /** The SharedFile's last chunk is gone. */
  forget(shared: SharedFile): void {
    const byIno = this.#files.get(shared.fs);
    byIno?.delete(shared.ino);
    if (byIno?.size === 0) this.#files.delete(shared.fs);
  }

  /** The end of the LibOS: every dirty chunk reaches its file. */
  syncAll(): void {
    for (const byIno of this.#files.values()) for (const shared of byIno.values()) shared.sync();
  }
}
