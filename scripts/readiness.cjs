// Which parts of the install are missing or stale: one answer for both the launcher
// (bin/libos, on every run) and scripts/setup.sh (which then does only those parts).
//
//   node scripts/readiness.cjs      prints the stale parts, space-separated (nothing when ready)
//
// Parts, in setup's order: npm (packages), engine (Unicorn), build (dist/ and its start-up
// bundle), initfs (the root image). The checks compare mtimes in this process: no
// subprocess, no hashing, a few milliseconds. The system packages (busybox, musl-tools) are
// setup's business alone: nothing a run needs waits for them. CommonJS, as the launcher:
// see launch.cjs.

"use strict";
const { lstatSync, readdirSync, statSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");

/** Kept in step with setup.sh, which uses these names for its stamps. */
const NPM_STAMP = "node_modules/.libos-setup-stamp";
const BUILD_STAMP = "dist/.build-stamp";
const BUILD_DIRS = ["microkernel", "syscall-shim", "linux-abi", "device-ipc", "libos", "fs-task", "net-task", "bench"];
const BUILD_CONFIGS = ["tsconfig.json", "tsconfig.build.json", "package.json", "scripts/build-bundle.mjs", "scripts/bundle-loader.cjs"];
/** The start-up bundle, made with dist/ (scripts/build-bundle.mjs). */
const BUNDLE = "dist/bundle.js";
const ENGINE_LIB = ".deps/unicorn/libunicorn.so.2";
const ENGINE_FALLBACK_STAMP = ".deps/.engine-fallback";
const SYSTEM_ENGINE_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/lib", "/usr/lib"];
const INITFS_IMAGE = ".deps/initfs.img";
const INITFS_BUILDER = "dist/fs-task/initfs_builder.js";
const BUSYBOX = "/bin/busybox";

/** mtime in ms, or -1 when the path does not exist. */
function mtime(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? st.mtimeMs : -1;
}

function exists(path) {
  return mtime(path) >= 0;
}

/**
 * Whether a file under `dir` whose name passes `keep` is newer than `than` (ms). Stops at
 * the first; paths are joined by hand (path.join's normalising was a third of the walk).
 */
function anyNewer(dir, keep, than) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory() ? anyNewer(p, keep, than) : keep(e.name) && mtime(p) > than) return true;
  }
  return false;
}

function npmStale(root) {
  if (!exists(join(root, "node_modules/koffi/package.json")) || !exists(join(root, "node_modules/.bin/tsc"))) return true;
  // A node_modules linked to another tree is kept up to date there (npm ci here would empty it).
  if (lstatSync(join(root, "node_modules")).isSymbolicLink()) return false;
  let stamp = mtime(join(root, NPM_STAMP));
  if (stamp < 0) stamp = mtime(join(root, "node_modules/.package-lock.json"));
  if (stamp < 0) return true;
  const lock = exists(join(root, "package-lock.json")) ? "package-lock.json" : "package.json";
  return mtime(join(root, lock)) > stamp;
}

function engineMissing(root) {
  const explicit = process.env.LIBOS_UNICORN;
  if (explicit && exists(explicit)) return false;
  const st = statSync(join(root, ENGINE_LIB), { throwIfNoEntry: false });
  if (st && st.size > 0) return false;
  return !(exists(join(root, ENGINE_FALLBACK_STAMP)) && SYSTEM_ENGINE_DIRS.some((d) => exists(join(d, "libunicorn.so.2"))));
}

function buildStale(root) {
  const stamp = mtime(join(root, BUILD_STAMP));
  if (stamp < 0 || !exists(join(root, BUNDLE))) return true;
  if (BUILD_CONFIGS.some((f) => mtime(join(root, f)) > stamp)) return true;
  return BUILD_DIRS.some((d) => anyNewer(join(root, d), (name) => name.endsWith(".ts"), stamp));
}

function initfsStale(root) {
  if (!exists(BUSYBOX)) return false;
  const image = mtime(join(root, INITFS_IMAGE));
  if (image < 0) return true;
  return mtime(join(root, INITFS_BUILDER)) > image || mtime(BUSYBOX) > image || anyNewer(join(root, "samples"), () => true, image);
}

/** The parts that setup has to (re)do, in its order; empty when everything is in place. */
function staleParts(root = ROOT) {
  const parts = [];
  if (npmStale(root)) parts.push("npm");
  if (engineMissing(root)) parts.push("engine");
  if (buildStale(root)) parts.push("build");
  if (initfsStale(root)) parts.push("initfs");
  return parts;
}

module.exports = { ROOT, NPM_STAMP, BUILD_STAMP, staleParts };

if (require.main === module) {
  const parts = staleParts();
  if (parts.length > 0) process.stdout.write(parts.join(" ") + "\n");
}
