// A VSpace for unit tests: frames are plain Uint8Arrays with made-up host addresses,
// every call is recorded, and allocation can be capped by a byte quota.
import type { HostMemory, VSpace } from "../../../libos/memory.ts";

export interface MapCall {
  vaddr: number;
  hostAddress: number;
  size: number;
  prot: number;
}

export class FakeVSpace implements VSpace {
  readonly maps: MapCall[] = [];
  readonly unmaps: { vaddr: number; size: number }[] = [];
  readonly protects: { vaddr: number; size: number; prot: number }[] = [];
  readonly allocations: HostMemory[] = [];
  readonly releases: HostMemory[] = [];
  /** Bytes that may be live at once; Infinity for no limit. */
  quota: number;
  /** Return false from map() when this says so. */
  refuseMap: (call: MapCall) => boolean = () => false;
  live = 0;
  #nextHost = 0x7f0000000000;

  constructor(quota = Infinity) {
    this.quota = quota;
  }

  allocate(size: number): HostMemory | null {
    if (this.live + size > this.quota) return null;
    this.live += size;
    const mem = { bytes: new Uint8Array(size), hostAddress: this.#nextHost };
    this.#nextHost += size + 0x10000;
    this.allocations.push(mem);
    return mem;
  }

  release(mem: HostMemory): void {
    this.live -= mem.bytes.length;
    this.releases.push(mem);
  }

  map(vaddr: number, hostAddress: number, size: number, prot: number): boolean {
    const call = { vaddr, hostAddress, size, prot };
    if (this.refuseMap(call)) return false;
    this.maps.push(call);
    return true;
  }

  unmap(vaddr: number, size: number): void {
    this.unmaps.push({ vaddr, size });
  }

  protect(vaddr: number, size: number, prot: number): void {
    this.protects.push({ vaddr, size, prot });
  }
}
