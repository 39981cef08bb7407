#!/usr/bin/env node
// Builds the launcher's start-up bundle: the CLI's modules from dist/ in one file.
//
//   node scripts/build-bundle.mjs     dist/libos/cli.js and what it imports → dist/bundle.js
//
// Node 20 loads an ES module graph file by file (resolve, read, compile, ~300 modules: about
// half of a `libos run`'s CPU time) and keeps no compiled code between runs. One script
// file, loaded by scripts/bundle-loader.cjs, needs one read, and V8 can reuse its compiled
// code through a code cache. Each module keeps its own scope and live bindings: TypeScript
// rewrites it to the System.register form (`System.register(name, deps, declare)`), named
// by its path under dist/, whose `import.meta.url` the loader sets to the module's own file
// in dist/ (so paths relative to a module resolve as before). Taken: the modules the CLI
// reaches by static imports, and those of the worker threads' entries it starts
// (`bundle.workers`), which run from the bundle too.
//
// The bundle is ASCII (see asciiOnly). Removes the code cache of the previous bundle
// (bundle-loader.cjs writes a new one).
// setup.sh runs this after the TypeScript build.

import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";

import { DEFAULT_BUNDLE } from "./bundle-loader.cjs";

const ts = createRequire(fileURLToPath(import.meta.url))("typescript");
const OPTIONS = { module: ts.ModuleKind.System, target: ts.ScriptTarget.ES2022, removeComments: true };
const REGISTER = /^System\.register\("[^"]*", (\[[^\]]*\])/m;

/**
 * Module `name`'s System.register text and the names of the bundled modules it imports.
 * Its relative imports are written as `/` and the imported module's name, resolved here
 * once rather than by every run's linking (a path join per import: ~5 ms of a start).
 */
function transpile(dist, name) {
  const source = readFileSync(join(dist, name), "utf8");
  const text = ts.transpileModule(source, { compilerOptions: OPTIONS, moduleName: name, fileName: name }).outputText;
  const deps = REGISTER.exec(text);
  if (deps === null) throw new Error(`Cannot bundle ${name}: no System.register in its output`);
  const resolved = JSON.parse(deps[1]).map((d) => (d.startsWith(".") ? `/${posix.join(posix.dirname(name), d)}` : d));
  const registered = text.slice(0, deps.index) + deps[0].slice(0, -deps[1].length) + JSON.stringify(resolved) + text.slice(deps.index + deps[0].length);
  return { text: registered, imports: resolved.filter((d) => d.startsWith("/")).map((d) => d.slice(1)) };
}

/**
 * `text` with every character past ASCII written as its \\u escape, which means the same
 * in the string, template and regular expression literals (and identifiers) where
 * TypeScript's output can hold one (comments are gone). The loader reads an ASCII file as
 * latin1, a one-byte string at once: read as UTF-8, one "·" made the 2 MB file a two-byte
 * string, decoded on every start (~10 ms, more than compiling it with the code cache).
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Writes `bundle.file` from `bundle.entry`, `bundle.workers` (if any) and the modules
 * under `bundle.dist` they import.
 */
export function buildBundle(bundle = DEFAULT_BUNDLE) {
  const parts = [];
  const entries = [bundle.entry, ...(bundle.workers ?? [])];
  const seen = new Set(entries);
  for (const todo = [...entries]; todo.length > 0; ) {
    const { text, imports } = transpile(bundle.dist, todo.pop());
    parts.push(text);
    for (const i of imports) if (!seen.has(i)) seen.add(i), todo.push(i);
  }
  // One expression: the loader calls it with its `System` (the register function).
  const tmp = `${bundle.file}.tmp`;
  writeFileSync(tmp, asciiOnly(`(function (System) {\n${parts.join("\n")}\n})\n`));
  rmSync(bundle.cache, { force: true });
  renameSync(tmp, bundle.file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildBundle();
