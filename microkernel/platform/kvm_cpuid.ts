// What the guest's CPUID says, and the XSAVE state it may use: the host's KVM-supported
// CPUID (KVM_GET_SUPPORTED_CPUID) less what this platform does not give a user process.
//
// Removed: the KVM paravirtual leaves (0x40000000-0x4fffffff: a guest kernel's business),
// MONITOR/MWAIT and VMX/SVM (ring 0 only), WAITPKG (umwait would let a guest sleep on the
// CPU, out of the scheduler's sight), PKU (CR4.PKE is off). The XSAVE state is x87, SSE,
// AVX and AVX-512 where the host has them (XCR0), nothing else (no AMX, no PKRU), and the
// CPUID's XSAVE leaf says so. AT_HWCAP is leaf 1's EDX, as Linux reports it on x86-64.

import { KVM, type KvmApi } from "./kvm_ffi.ts";

const ENTRY_BYTES = 40;
const MAX_ENTRIES = 100;
/** x87 | SSE | AVX | AVX-512 opmask, ZMM upper halves, ZMM16-31. */
const XCR0_ALLOWED = 0x1 | 0x2 | 0x4 | 0x20 | 0x40 | 0x80;

export interface GuestCpuid {
  /** struct kvm_cpuid2 ready for KVM_SET_CPUID2. */
  readonly table: Uint8Array;
  readonly xcr0: bigint;
  readonly hwcap: number;
  /** The guest's physical address width (leaf 0x80000008). */
  readonly physBits: number;
}

let cached: GuestCpuid | null = null;

export function guestCpuid(api: KvmApi): GuestCpuid {
  if (cached) return cached;
  const s = api.scratch;
  const d = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  d.setUint32(0, MAX_ENTRIES, true);
  const rc = api.ioctl(api.fd, KVM.GET_SUPPORTED_CPUID, s.address);
  if (rc < 0) throw new Error(`Cannot read the host's CPUID for guests: errno ${-rc}`);
  const entries: Uint32Array[] = [];
  for (let i = 0; i < d.getUint32(0, true); i++) {
    const e = new Uint32Array(s.bytes.slice(8 + i * ENTRY_BYTES, 8 + (i + 1) * ENTRY_BYTES).buffer);
    const fn = e[0]!;
    if (fn >= 0x40000000 && fn <= 0x4fffffff) continue;
    entries.push(e);
  }
  // entry words: function, index, flags, eax, ebx, ecx, edx.
  const leaf = (fn: number, index = 0): Uint32Array | undefined => entries.find((e) => e[0] === fn && e[1] === index);
  const l1 = leaf(1);
  if (l1) l1[5] = l1[5]! & ~((1 << 3) | (1 << 5) | (1 << 6)); // MONITOR, VMX, SMX
  const l7 = leaf(7);
  if (l7) l7[5] = l7[5]! & ~((1 << 3) | (1 << 4) | (1 << 5)); // PKU, OSPKE, WAITPKG
  const ext = leaf(0x80000001);
  if (ext) ext[5] = ext[5]! & ~(1 << 2); // SVM
  let xcr0 = 0x3;
  const xsave = leaf(0xd, 0);
  if (xsave && l1 && (l1[5]! & (1 << 26)) !== 0) {
    xcr0 = xsave[3]! & XCR0_ALLOWED;
    xsave[3] = xcr0;
    xsave[6] = 0;
  }
  const table = new Uint8Array(8 + entries.length * ENTRY_BYTES);
  new DataView(table.buffer).setUint32(0, entries.length, true);
  entries.forEach((e, i) => table.set(new Uint8Array(e.buffer), 8 + i * ENTRY_BYTES));
  const widths = leaf(0x80000008);
  const physBits = widths ? widths[3]! & 0xff : 36;
  return (cached = { table, xcr0: BigInt(xcr0), hwcap: l1 ? l1[6]! : 0, physBits });
}
