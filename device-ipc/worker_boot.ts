// How a worker thread starts (the fs-task's, the net-task's, a user kernel's), from the
// build (dist/…/worker.js) or from the TypeScript sources (tests, `vitest`, a source
// checkout).
//
// Node 20 cannot run .ts files, and a worker thread is a fresh isolate that vitest's
// transformer does not reach. So when this module is itself a .ts file, the worker's boot
// script first registers module hooks (node:module register) that transpile .ts files
// with the project's own `typescript` (transpileModule: types stripped, nothing else
// changed), caching the output on disk by path, size and mtime so that later workers
// start without loading the compiler. From the build the hooks are not needed.
//
// When this module runs from the start-up bundle (scripts/bundle-loader.cjs), a worker
// whose entry is bundled runs it from the same bundle and code cache (the loader's
// runBundle) rather than importing dist/'s files one by one: each worker isolate starts
// afresh, and loading ~300 modules cost it ~0.2 s of CPU.
//
// The boot script imports the entry inside try/catch and reports a failure to load it
// through the ring's error area, so the client fails fast with the reason instead of
// waiting for a worker that will never be ready.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ERROR_AT, ERROR_BYTES, Ctl, WorkerState } from "./ring.ts";

const HOOKS = `
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
let typescriptPath;
let ts;
const cacheDir = join(tmpdir(), "libos-ts-cache-" + (process.getuid?.() ?? 0));
export function initialize(data) { typescriptPath = data.typescript; }
export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const file = fileURLToPath(url);
  const st = statSync(file);
  const key = createHash("sha256").update(typescriptPath + "\\0" + file + "\\0" + st.size + "\\0" + st.mtimeMs).digest("hex");
  const cached = join(cacheDir, key + ".js");
  try { return { format: "module", source: readFileSync(cached, "utf8"), shortCircuit: true }; } catch {}
  ts ??= createRequire(typescriptPath)(typescriptPath);
  const out = ts.transpileModule(readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false },
  }).outputText;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = cached + "." + process.pid + "." + Math.random().toString(36).slice(2);
    writeFileSync(tmp, out);
    renameSync(tmp, cached);
  } catch {}
  return { format: "module", source: out, shortCircuit: true };
}
`;

const BOOT = `
import { workerData } from "node:worker_threads";
const boot = workerData.boot;
try {
  if (boot.typescript !== null) {
    const { register } = await import("node:module");
    register("data:text/javascript," + encodeURIComponent(boot.hooks), { data: { typescript: boot.typescript } });
  }
  if (boot.bundle !== null) await (await import(boot.bundle.loader)).runBundle(boot.bundle);
  else await import(boot.entry);
} catch (err) {
  const text = new TextEncoder().encode(String(err && err.stack || err));
  const n = Math.min(text.length, boot.errorBytes);
  new Uint8Array(workerData.sab, boot.errorAt, boot.errorBytes).set(text.subarray(0, n));
  const ctl = new Int32Array(workerData.sab, 0, 16);
  Atomics.store(ctl, boot.errorLength, n);
  Atomics.store(ctl, boot.state, boot.failed);
  Atomics.add(ctl, boot.bell, 1);
  Atomics.notify(ctl, boot.bell);
}
`;

/** Whether this code runs from the TypeScript sources (a worker then needs the hooks). */
export const FROM_SOURCE = import.meta.url.endsWith(".ts");

/** What the bundle loader tells its modules: the bundle they run from. */
interface RunningBundle {
  loader: string;
  dist: string;
  file: string;
  cache: string;
  writeCache: false;
  workers: readonly string[];
}
const BUNDLE = (import.meta as ImportMeta & { bundle?: RunningBundle }).bundle ?? null;

/** The bundle and entry a worker runs `entry` from, or null to import the file itself. */
function bundled(entry: URL): (RunningBundle & { entry: string }) | null {
  if (BUNDLE === null || entry.protocol !== "file:") return null;
  const file = fileURLToPath(entry);
  const name = file.startsWith(BUNDLE.dist + "/") ? file.slice(BUNDLE.dist.length + 1) : null;
  return name !== null && BUNDLE.workers.includes(name) ? { ...BUNDLE, entry: name } : null;
}

/**
 * The script URL and workerData.boot for a worker that runs `entry`; workerData.sab must
 * hold a ring's control words and error area (bootError reads it back).
 */
export function workerBoot(entry: URL): { url: URL; boot: Record<string, unknown> } {
  let typescript: string | null = null;
  if (FROM_SOURCE) typescript = createRequire(import.meta.url).resolve("typescript");
  return {
    url: new URL("data:text/javascript," + encodeURIComponent(BOOT)),
    boot: {
      entry: entry.href,
      bundle: bundled(entry),
      typescript,
      hooks: HOOKS,
      errorAt: ERROR_AT,
      errorBytes: ERROR_BYTES,
      errorLength: Ctl.ErrorLength,
      state: Ctl.State,
      failed: WorkerState.Failed,
      bell: Ctl.ClientBell,
    },
  };
}

/** A ring (or any buffer of RING's layout) big enough for a boot error: control words and error area. */
export const BOOT_AREA_BYTES = ERROR_AT + ERROR_BYTES;

/** The error a worker's boot script wrote when its entry failed to load; null if none. */
export function bootError(sab: SharedArrayBuffer): string | null {
  const n = Atomics.load(new Int32Array(sab, 0, 16), Ctl.ErrorLength);
  return n === 0 ? null : new TextDecoder().decode(new Uint8Array(sab, ERROR_AT, n));
}
