#!/usr/bin/env node
// Builds an initfs image (the guest's read-only root; format in fs-task/initfs.ts).
//
//   node scripts/build-initfs.mjs --default              the standard root → .deps/initfs.img
//   node scripts/build-initfs.mjs --from DIR             a host directory's tree
//   node scripts/build-initfs.mjs --default --from DIR   DIR laid over the standard root
//   options: --out PATH (default .deps/initfs.img), --busybox PATH (default /bin/busybox)
//
// The standard root holds busybox and its applet links, a small /etc, the usual empty
// directories and samples/'s executables under /opt/samples. The logic lives in
// fs-task/initfs_builder.ts; this script runs its compiled form, so build first
// (`npm run build`, which `npm run setup` also does).

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const builderPath = path.join(repo, "dist/fs-task/initfs_builder.js");

/** @returns {{ out: string, from: string | null, useDefault: boolean, busybox: string }} */
function parseArgs(argv) {
  const options = { out: path.join(repo, ".deps/initfs.img"), from: null, useDefault: false, busybox: "/bin/busybox" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    if (arg === "--out") options.out = path.resolve(value());
    else if (arg === "--from") options.from = path.resolve(value());
    else if (arg === "--busybox") options.busybox = path.resolve(value());
    else if (arg === "--default") options.useDefault = true;
    else if (arg === "-h" || arg === "--help") usage(null);
    else usage(`unknown option '${arg}'`);
  }
  if (!options.useDefault && options.from === null) usage("give --default, --from DIR, or both");
  return options;
}

/** @param {string | null} problem */
function usage(problem) {
  const text = fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 12);
  if (problem !== null) console.error(`build-initfs: ${problem}`);
  console.error(text.map((line) => line.replace(/^\/\/ ?/, "")).join("\n"));
  process.exit(problem === null ? 0 : 2);
}

const options = parseArgs(process.argv.slice(2));
if (!fs.existsSync(builderPath)) {
  console.error(`build-initfs: ${path.relative(repo, builderPath)} is missing; run \`npm run build\` first`);
  process.exit(1);
}
const { defaultRootTree, overlayTree, treeFromHostDir, writeInitFsImage } = await import(builderPath);

const base = options.useDefault
  ? defaultRootTree({ busybox: options.busybox, samplesDir: path.join(repo, "samples") })
  : null;
const fromDir = options.from === null ? null : treeFromHostDir(options.from);
const root = base !== null && fromDir !== null ? overlayTree(base, fromDir) : base ?? fromDir;
writeInitFsImage(options.out, root);
console.error(`build-initfs: wrote ${path.relative(process.cwd(), options.out) || options.out} (${fs.statSync(options.out).size} bytes)`);
