// Which CPU platform runs guest code: the choice a user kernel makes once, at its start.
//
//   unicorn  the Unicorn emulator (unicorn_x86_64.ts): runs anywhere, each guest
//            instruction translated; cheap exits, so syscall-heavy programs do well
//   kvm      Linux KVM (kvm_x86_64.ts): guest code on the host CPU; each exit costs a
//            VM exit, so compute-heavy programs do well
//   auto     kvm when /dev/kvm opens, else unicorn
//
// One platform per user kernel: a fork copies a thread within its platform. A KVM
// platform keeps the VMs of ended address spaces for new ones (kvm_vm.ts's pool) until
// the user kernel releases it.

import type { CpuEngine } from "./cpu.ts";
import { KvmX86Engine } from "./kvm_x86_64.ts";
import { KvmVmPool } from "./kvm_vm.ts";
import { guestCpuid } from "./kvm_cpuid.ts";
import { kvm, KvmUnavailableError } from "./kvm_ffi.ts";
import { UnicornX86Engine } from "./unicorn_x86_64.ts";

export const PLATFORM_CHOICES = ["unicorn", "kvm", "auto"] as const;
export type PlatformChoice = (typeof PLATFORM_CHOICES)[number];
export type PlatformName = Exclude<PlatformChoice, "auto">;

/** CPUID.1:EDX of the Unicorn engine's default CPU: fpu … sse sse2. */
const UNICORN_HWCAP = 0x178bfbff;

export interface Platform {
  readonly name: PlatformName;
  /** AT_HWCAP: what the guest's CPUID leaf 1 says in EDX. */
  readonly hwcap: number;
  newEngine(): CpuEngine;
  /** Gives back what the platform keeps between engines (KVM's idle VMs); engines may still be made after. */
  release(): void;
}

/** The platform for `choice`; throws KvmUnavailableError (one line, the reason) when kvm is asked for and cannot be used. */
export function choosePlatform(choice: PlatformChoice): Platform {
  if (choice === "kvm" || choice === "auto") {
    try {
      const api = kvm();
      const pool = new KvmVmPool();
      return { name: "kvm", hwcap: guestCpuid(api).hwcap, newEngine: () => new KvmX86Engine(pool), release: () => pool.release() };
    } catch (e) {
      if (choice === "kvm" || !(e instanceof KvmUnavailableError)) throw e;
    }
  }
  return { name: "unicorn", hwcap: UNICORN_HWCAP, newEngine: () => new UnicornX86Engine(), release: () => {} };
}
