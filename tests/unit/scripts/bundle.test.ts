// The start-up bundle (scripts/build-bundle.mjs, scripts/bundle-loader.cjs): a module graph
// run from its bundle gives what Node gives importing the same files (live bindings,
// cycles, `export *`, defaults, built-ins, those required on first use among them,
// import.meta.url, top-level await, evaluation order, text past ASCII), worker entries
// bundled and run from it, and the launcher runs a guest from the CLI's bundle as the CLI
// does, on the main thread and on worker threads.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { HELLO_MUSL, ROOT, runNative } from "../../integration/_run.ts";

interface Bundle {
  readonly dist: string;
  readonly entry: string;
  readonly file: string;
  readonly cache: string;
  readonly workers?: readonly string[];
}
// Plain JavaScript modules of the launcher, imported by URL (they carry no types).
const LOADER = pathToFileURL(join(ROOT, "scripts/bundle-loader.cjs")).href;
const { buildBundle } = (await import(pathToFileURL(join(ROOT, "scripts/build-bundle.mjs")).href)) as {
  buildBundle: (b: Bundle) => void;
};
const { runBundle } = (await import(LOADER)) as { runBundle: (b: Bundle) => Promise<unknown> };

const dir = mkdtempSync(join(tmpdir(), "libos-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each module records itself in `order` when its body runs. */
const MODULES: Record<string, string> = {
  "package.json": `{ "type": "module" }`,
  "order.js": `export const order = [];`,
  "counter.js": `import { order } from "./order.js";
order.push("counter");
export let count = 0;
export function bump() { count++; }`,
  "parts/x.js": `import { order } from "../order.js"; order.push("x"); export const x = 40;`,
  "parts/y.js": `import { order } from "../order.js"; order.push("y"); export let y = 1; y = 2;`,
  "parts/all.js": `export * from "./x.js"; export * from "./y.js"; export const own = "own";`,
  "cycle_a.js": `import { order } from "./order.js";
import { b } from "./cycle_b.js";
order.push("a");
export const A = "A";
export function a() { return b() + A; }`,
  "cycle_b.js": `import { order } from "./order.js";
import { A } from "./cycle_a.js";
order.push("b");
export function b() { return "B" + A; }`,
  "def.js": `import { order } from "./order.js"; order.push("def"); export default class Named { static tag = "default"; }`,
  "sub/meta.js": `export const here = new URL("./data.txt", import.meta.url).pathname;`,
  "tla.js": `import { order } from "./order.js";
order.push("tla start");
export const late = await new Promise((resolve) => setTimeout(() => resolve(7), 5));
order.push("tla end");`,
  // Reached by no import: a worker thread's entry.
  "worker_entry.js": `import { order } from "./order.js";
order.push("worker");
export const from = import.meta.bundle;
export { order };`,
  "main.js": `import { order } from "./order.js";
import { count, bump } from "./counter.js";
import * as all from "./parts/all.js";
import { a } from "./cycle_a.js";
import Named from "./def.js";
import { basename } from "node:path";
import zlib, { crc32 } from "node:zlib";
import * as dns from "node:dns";
import { here } from "./sub/meta.js";
import { late } from "./tla.js";
order.push("main");
const before = count;
bump();
bump();
export const results = {
  counts: [before, count],
  star: Object.keys(all).sort().join(","),
  sum: all.x + all.y,
  cycle: a(),
  def: Named.tag,
  base: basename("/a/b.txt"),
  lazy: [typeof zlib.gzipSync, typeof crc32, typeof dns.lookup, "lookup" in dns, Object.keys(dns).includes("lookup")],
  text: "a · b → c ☃ 😀",
  here,
  late,
  order,
};`,
};

for (const [name, text] of Object.entries(MODULES)) {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  writeFileSync(join(dir, name), text);
}
const bundle: Bundle = { dist: dir, entry: "main.js", file: join(dir, "bundle.js"), cache: join(dir, "bundle.cache") };

describe("the start-up bundle", () => {
  it("runs a module graph as Node's own loader does", async () => {
    buildBundle(bundle);
    const native = (await import(pathToFileURL(join(dir, "main.js")).href)) as { results: unknown };
    const bundled = (await runBundle(bundle)) as { results: unknown };
    expect(bundled.results).toEqual(native.results);
    // What the comparison covers, spelled out.
    expect(native.results).toMatchObject({ counts: [0, 2], star: "own,x,y", sum: 42, cycle: "BAA", def: "default", late: 7 });
    expect(native.results).toMatchObject({ lazy: ["function", "function", "function", true, true], text: "a · b → c ☃ 😀" });
    // The bundle is ASCII: the loader reads it as latin1.
    expect(/[^\x00-\x7f]/.test(readFileSync(bundle.file, "latin1"))).toBe(false);
    expect((native.results as { here: string }).here).toBe(join(dir, "sub/data.txt"));
  });

  it("writes its code cache at exit and runs the same with it", () => {
    const script = `import(${JSON.stringify(LOADER)})
      .then((l) => l.runBundle(${JSON.stringify(bundle)}))
      .then((ns) => console.log(JSON.stringify(ns.results)));`;
    const run = (): string => {
      const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 30_000 });
      expect(r.stderr).toBe("");
      return r.stdout;
    };
    rmSync(bundle.cache, { force: true });
    const first = run();
    expect(existsSync(bundle.cache)).toBe(true);
    expect(run()).toBe(first);
    expect(JSON.parse(first)).toMatchObject({ counts: [0, 2], cycle: "BAA" });
  });

  it("bundles the worker entries and tells each module the bundle it runs from, which runs them", async () => {
    const withWorker: Bundle = { ...bundle, workers: ["worker_entry.js"] };
    buildBundle(withWorker);
    expect(readFileSync(bundle.file, "latin1")).toContain(`System.register("worker_entry.js"`);
    const main = (await runBundle(withWorker)) as { results: { order: string[] } };
    expect(main.results.order).not.toContain("worker");
    // What a worker thread started from a bundled module does (device-ipc/worker_boot.ts).
    const worker = (await runBundle({ ...withWorker, entry: "worker_entry.js" })) as { from: Record<string, unknown>; order: string[] };
    expect(worker.order).toEqual(["worker"]);
    const { entry: _, ...rest } = withWorker;
    expect(worker.from).toEqual({ ...rest, loader: LOADER, writeCache: false });
  });

  it("is what the launcher runs: hello prints as natively", () => {
    const launch = join(ROOT, "scripts/launch.cjs");
    expect(existsSync(join(ROOT, "dist/bundle.js"))).toBe(true);
    const native = runNative(HELLO_MUSL, ["x"], { env: {} });
    const r = spawnSync(process.execPath, [launch, "run", "--clear-env", HELLO_MUSL, "x"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
  });

  it("runs the worker threads' entries from it: kernel, fs-task and net-task workers print as from dist/", () => {
    const launch = join(ROOT, "scripts/launch.cjs");
    const launcher = (args: string[], env: NodeJS.ProcessEnv): string => {
      const r = spawnSync(process.execPath, [launch, ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const boot = ["boot", "--fs-mode", "worker", join(ROOT, "samples/systems/pipeline.json")];
    const bundled = launcher(boot, {});
    expect(bundled).toContain("[consumer] lines 100000");
    expect(bundled).toBe(launcher(boot, { LIBOS_BUNDLE: "0" }));
    const run = ["run", "--clear-env", "--net-mode", "worker", "--fs-mode", "worker", "/bin/busybox", "ifconfig", "lo"];
    const lo = launcher(run, {});
    expect(lo).toContain("inet addr:127.0.0.1");
    expect(lo).toBe(launcher(run, { LIBOS_BUNDLE: "0" }));
  });
});
