// The launcher's first step (bin/libos runs it): when scripts/readiness.mjs finds a part
// of the install missing or stale, run setup (which says what it does), then hand the
// arguments to the CLI. When everything is in place this costs a few stats, no shell.
//
// The CLI runs from the start-up bundle (scripts/bundle-loader.mjs), which starts in about
// half the CPU time of dist/'s files; from dist/libos/cli.js itself when the bundle is
// missing, with --debug (so that stacks name the modules' own files) or LIBOS_BUNDLE=0.

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { haveBundle, runBundle } from "./bundle-loader.mjs";
import { ROOT, staleParts } from "./readiness.mjs";

if (staleParts().length > 0) {
  // Imported only here: node:child_process loads node:net and node:dgram (~10 ms).
  const { spawnSync } = await import("node:child_process");
  const setup = spawnSync("bash", [join(ROOT, "scripts/setup.sh"), "--quiet"], { stdio: ["ignore", "inherit", "inherit"] });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}
// Loaded only now: setup may just have built it. The CLI runs on import.
if (haveBundle() && process.env.LIBOS_BUNDLE !== "0" && !process.argv.includes("--debug")) await runBundle();
else await import(pathToFileURL(join(ROOT, "dist/libos/cli.js")).href);
