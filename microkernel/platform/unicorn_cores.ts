// Unicorn instances that outlive an address space: a small pool of reset engines.
//
//   EngineCore.take(api, setUp)  an idle core, or a new instance (setUp adds its hooks)
//   core.release()               reset and keep it for the next address space, or close it
//
// Opening an instance costs ~1-2 ms of CPU (uc_open, then the engine's initialisation on
// its first control call) and closing one ~0.3 ms; a fork+exec+exit opens two and closes
// two. A released core is reset to what a new one is, so nothing of the address space it
// served reaches the next (in this user kernel or another on the same thread): its CPU
// state goes back to the one it was born with (a saved context), every translated block
// and TLB entry is dropped. Its hooks stay (they dispatch on the handle), and so do its
// mappings of frame chunks: a guest reaches memory only through its own engine's
// translation (unicorn_x86_64.ts), and a chunk given back to the host is unmapped from
// every core that mapped it (ChunkUser), idle ones included.
//
// Only virtual-TLB engines are kept (without it the engine's own mappings are the guest's
// pages), at most IDLE_MAX of them (~3 MB of host memory each, outside any quota). A
// backstop flag its timer raises late (unicorn_ffi.ts StopTimer) only ends the next run
// at its first block, exactly: a preemption, harmless to whichever address space it is.

import type { Chunk, ChunkUser } from "./frame_chunks.ts";
import type { StopTimer, UnicornApi } from "./unicorn_ffi.ts";

/** How many released cores wait for the next address space (a fork+exec needs two). */
const IDLE_MAX = 4;

const idle: EngineCore[] = [];

export class EngineCore implements ChunkUser {
  readonly uc: number;
  readonly stopTimer: StopTimer | null;
  /** Translation through the TLB-fill hook (Unicorn ≥ 2.1); else identity, by the engine's own mappings. */
  readonly virtualTlb: boolean;
  /** Frame chunks mapped into the instance (virtual TLB only). */
  readonly chunks = new Set<Chunk>();
  readonly #api: UnicornApi;
  /** The CPU state of the instance when new. */
  readonly #birth: number;

  private constructor(api: UnicornApi, setUp: (uc: number, virtualTlb: boolean) => void) {
    this.#api = api;
    this.uc = api.open();
    this.virtualTlb = api.useVirtualTlb(this.uc);
    setUp(this.uc, this.virtualTlb);
    this.stopTimer = api.stopTimer(this.uc);
    this.#birth = api.contextAlloc(this.uc);
    api.contextSave(this.uc, this.#birth);
  }

  /** A reset idle core, or a new instance; `setUp` adds a new instance's hooks. */
  static take(api: UnicornApi, setUp: (uc: number, virtualTlb: boolean) => void): EngineCore {
    return idle.pop() ?? new EngineCore(api, setUp);
  }

  dropChunk(chunk: Chunk): void {
    if (!this.chunks.delete(chunk)) return;
    this.#api.memUnmap(this.uc, chunk.address, chunk.size);
  }

  /** The address space is gone: keep the core, reset, or close it. */
  release(): void {
    if (this.virtualTlb && idle.length < IDLE_MAX) {
      this.#api.contextRestore(this.uc, this.#birth);
      this.#api.flushCode(this.uc);
      this.#api.flushTlb(this.uc);
      idle.push(this);
      return;
    }
    for (const chunk of this.chunks) chunk.users.delete(this);
    this.chunks.clear();
    this.stopTimer?.dispose();
    this.#api.contextFree(this.#birth);
    this.#api.close(this.uc);
  }
}
