// The launcher's first step (bin/libos runs it): when scripts/readiness.cjs finds a part
// of the install missing or stale, run setup (which says what it does), then hand the
// arguments to the CLI. When everything is in place this costs a few stats, no shell.
//
// The CLI runs from the start-up bundle (scripts/bundle-loader.cjs), which starts in about
// half the CPU time of dist/'s files; from dist/libos/cli.js itself when the bundle is
// missing, with --debug (so that stacks name the modules' own files) or LIBOS_BUNDLE=0.
//
// The launcher, readiness.cjs and bundle-loader.cjs are CommonJS: an ES module entry
// brings up Node's ES module loader and compiles its files without a cache, ~10 ms of CPU
// a start. The CLI's promise stands for the ES entry's top-level await: when the event
// loop empties before it settles, the exit status is 13, as Node gives an unsettled one.

"use strict";
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");
const { haveBundle, runBundle } = require("./bundle-loader.cjs");
const { ROOT, staleParts } = require("./readiness.cjs");

if (staleParts().length > 0) {
  // Required only here: node:child_process loads node:net and node:dgram (~10 ms).
  const { spawnSync } = require("node:child_process");
  const setup = spawnSync("bash", [join(ROOT, "scripts/setup.sh"), "--quiet"], { stdio: ["ignore", "inherit", "inherit"] });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}
// Loaded only now: setup may just have built it. The CLI runs on import.
const cli = haveBundle() && process.env.LIBOS_BUNDLE !== "0" && !process.argv.includes("--debug")
  ? runBundle()
  : import(pathToFileURL(join(ROOT, "dist/libos/cli.js")).href);
let settled = false;
cli.then(() => (settled = true), (error) => {
  settled = true;
  throw error;
});
// Emitted when the event loop empties (not on process.exit, nor the CLI's own _exit).
process.once("beforeExit", () => {
  if (settled) return;
  process.stderr.write("libos: the CLI did not finish: nothing was left to wait for\n");
  process.exitCode = 13;
});
