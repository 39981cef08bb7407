// Host memory per idle user kernel: boots 1, then (in a fresh process) 1 + N user kernels
// side by side on the main thread, each running `sleep` in its own share, and samples this
// process's RSS while they sleep. Prints the RSS difference per extra kernel, in MiB, as
// its last line (bench/run.ts reads it).
// Run: node dist/bench/idle_kernels.js [N]           (after the build; default N = 8)
//      node dist/bench/idle_kernels.js --boot K      (one sample: K kernels, prints RSS MiB)

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { bootSystem } from "../libos/boot.ts";
import { checkSystem } from "../libos/system_description.ts";
import { ROOT } from "./run.ts";

/** How long each kernel's program sleeps: the samples are taken meanwhile. */
const SLEEP_S = 2;
const SAMPLE_MS = 50;

/** Boots `k` idle kernels and returns the highest RSS seen while they ran, bytes. */
async function bootIdle(k: number): Promise<number> {
  const spec = checkSystem({
    kernels: Array.from({ length: k }, (_, i) => ({ name: `idle${i}`, memory: "64M", program: { argv: ["/bin/sleep", String(SLEEP_S)] } })),
  }, { source: "idle_kernels", base: "/" });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), SAMPLE_MS);
  try {
    const { summaries } = await bootSystem(spec, { defaultImage: `${ROOT}/.deps/initfs.img`, terminalFd: null });
    const failed = summaries.find((s) => s.failure !== null || s.status !== 0);
    if (failed) throw new Error(`kernel ${failed.name} did not idle and exit: ${failed.failure ?? `status ${failed.status}`}`);
  } finally {
    clearInterval(sampler);
  }
  return peak;
}

/** One sample in a fresh process (so the first boot's garbage does not count in the second). */
function sample(k: number): number {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--boot", String(k)], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`idle_kernels --boot ${k}: ${r.stderr.trim() || `exit status ${r.status}`}`);
  return Number(r.stdout.trim().split("\n").at(-1));
}

const args = process.argv.slice(2);
if (args[0] === "--boot") {
  const rss = await bootIdle(Number(args[1]));
  process.stdout.write(`${(rss / 2 ** 20).toFixed(2)}\n`);
  process.exit(0);
} else {
  const n = Number(args[0] ?? 8);
  const one = sample(1);
  const many = sample(1 + n);
  process.stdout.write(`1 kernel: ${one.toFixed(1)} MiB RSS; ${1 + n} kernels: ${many.toFixed(1)} MiB\n`);
  process.stdout.write(`${((many - one) / n).toFixed(2)}\n`);
}
