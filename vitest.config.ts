import { closeSync, openSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Two projects: every test with guests on the default platform (Unicorn), and the KVM
// pass: the differential suites whose guests exercise the CPU platform (syscalls, faults,
// signals, threads, mappings, floating point, fork and exec) again on KVM, in one fs mode
// (the fs modes do not touch the platform). Where the KVM device does not open, the pass
// is one skipped test that says why (tests/_kvm_pass_skipped.ts), and the reason is printed.
const KVM_PASS = ["busybox_diff", "sh_diff", "fs_diff", "signals", "threads", "mmap", "fp", "sqlite"];

function kvmMissing(): string | null {
  const device = process.env.LIBOS_KVM_DEVICE || "/dev/kvm";
  try {
    closeSync(openSync(device, "r+"));
    return null;
  } catch (e) {
    return `${device} does not open (${(e as NodeJS.ErrnoException).code})`;
  }
}

const missing = kvmMissing();
if (missing !== null) console.log(`KVM pass skipped: ${missing}`);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    setupFiles: ["tests/_setup.ts"],
    projects: [
      { extends: true, test: { name: "unicorn", include: ["tests/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "kvm",
          include: missing === null ? KVM_PASS.map((suite) => `tests/integration/${suite}.test.ts`) : ["tests/_kvm_pass_skipped.ts"],
          env: { LIBOS_PLATFORM: "kvm", LIBOS_FS_MODES: "inproc", LIBOS_KVM_PASS_SKIPPED: missing ?? "" },
        },
      },
    ],
  },
});
