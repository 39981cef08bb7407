// Stands for the KVM pass (vitest.config.ts) where the KVM device does not open: one
// skipped test whose name says why.

import { it } from "vitest";

it.skip(`KVM pass skipped: ${process.env.LIBOS_KVM_PASS_SKIPPED}`, () => {});
