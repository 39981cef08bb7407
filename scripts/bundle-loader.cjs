// Runs the start-up bundle (scripts/build-bundle.mjs): dist/bundle.js through a V8 code
// cache, then its entry module, as Node would have run dist/libos/cli.js.
//
//   runBundle()  compile (with dist/bundle.cache when V8 accepts it), register, link,
//                evaluate the CLI; returns when the CLI's module body has finished
//   runBundle({ dist, entry, file, cache })   the same for another bundle or entry (a
//                worker thread's, device-ipc/worker_boot.ts; tests)
//
// Each bundled module's import.meta has `bundle`, the bundle it runs from (with the
// loader's URL): a module that starts a worker thread on an entry of the bundle has the
// worker run it from the bundle too, compiled with the same code cache, instead of
// loading dist/'s files one by one (~0.2 s of CPU per worker isolate).
//
// The System.register protocol, as much of it as TypeScript's output uses: `declare(_export,
// context)` returns one setter per import and `execute`; `_export(name, value)` (or an
// object of names) updates the module's namespace object and calls the setters of every
// module that imports it (while the module's body runs, once at its end), which is how
// live bindings and cycles work. Modules are linked depth first and evaluated in
// post-order, the order of the ES module graph; an `execute` that returns a promise
// (top-level await) is awaited before the next. Imports of Node's built-ins and of
// packages go through require (koffi is CommonJS).
//
// The code cache is written when there was none or V8 refused it (another Node, other
// flags): at the process's exit, so that it holds the functions the run compiled too
// (host_terminal.exitNow emits "exit" before _exit); not by worker threads (the bundle
// they get says `writeCache: false`), whose runs hold less of the CLI. A cache saves ~40 %
// of a hello's start-up CPU against compiling the bundle afresh.

"use strict";
const { existsSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");
const { Script } = require("node:vm");

/**
 * The entries of the worker threads the CLI may start, bundled with it (build-bundle.mjs):
 * they are reached through `new URL(...)`, not imports.
 */
const WORKER_ENTRIES = ["libos/kernel_worker.js", "fs-task/worker.js", "net-task/ipc/worker.js"];

/**
 * Where a bundle's modules live, what it runs (`entry`, and `workers`, entries bundled
 * for worker threads) and where it and its cache are.
 */
const DEFAULT_BUNDLE = (() => {
  const dist = join(__dirname, "..", "dist");
  return { dist, entry: "libos/cli.js", file: join(dist, "bundle.js"), cache: join(dist, "bundle.cache"), workers: WORKER_ENTRIES };
})();

/** Whether the bundle is there to run (else the launcher imports dist/libos/cli.js). */
function haveBundle() {
  return existsSync(DEFAULT_BUNDLE.file);
}

/** Compiles the bundle, with its code cache when there is a usable one. */
function compile({ file, cache, writeCache }) {
  const cached = existsSync(cache) ? readFileSync(cache) : undefined;
  // ASCII (build-bundle.mjs): read as latin1, the string is one byte a character at once.
  const script = new Script(readFileSync(file, "latin1"), { filename: file, cachedData: cached });
  if (writeCache !== false && (cached === undefined || script.cachedDataRejected)) {
    process.once("exit", () => {
      const tmp = `${cache}.${process.pid}`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cache);
      } catch {
        // A read-only install runs without a cache.
      }
    });
  }
  return script;
}

class Module {
  /** @param {string} name @param {string[]} deps @param {Function} declare */
  constructor(name, deps, declare) {
    this.name = name;
    this.deps = deps;
    this.declare = declare;
    /** @type {Record<string, unknown> | null} the namespace object, once declared */
    this.namespace = null;
    /** @type {((ns: object) => void)[]} the setters of the modules that import this one */
    this.importers = [];
    /** @type {(Module | null)[]} the bundled module of each import (null: required) */
    this.imports = [];
    /** @type {() => unknown} */
    this.execute = () => undefined;
    /**
     * While its body runs, its exports tell its importers once, at the end: an importer
     * holds the namespace object itself and sees every value at once; only the setter of
     * an `export *` copies values (errno.js alone would make ~20,000 setter calls).
     */
    this.executing = false;
    this.changed = false;
    /** Set once the module has its place in the evaluation order. */
    this.ordered = false;
  }
}

/**
 * Built-ins that a run may never use and that cost milliseconds to load (worker_threads
 * ~10 ms, tty and net ~7 ms, child_process ~3 ms): imported at link time, required when
 * their namespace is first read.
 */
const ON_FIRST_USE = new Set(["node:worker_threads", "node:child_process", "node:zlib", "node:dns", "node:dgram", "node:net", "node:tty"]);

/** The namespace of a built-in or package import: its exports, and them as `default`. */
function external(specifier, linker) {
  let ns = linker.externals.get(specifier);
  if (ns === undefined) {
    ns = ON_FIRST_USE.has(specifier) ? requiredOnUse(() => linker.require(specifier)) : namespaceOf(linker.require(specifier));
    linker.externals.set(specifier, ns);
  }
  return ns;
}

function namespaceOf(exports) {
  return Object.assign(Object.create(null), exports, { default: exports });
}

/** A namespace that is `load()`'s once anything of it is read. */
function requiredOnUse(load) {
  let ns;
  const real = () => (ns ??= namespaceOf(load()));
  return new Proxy(Object.create(null), {
    get: (_, key) => real()[key],
    has: (_, key) => key in real(),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(real(), key);
      return d === undefined ? undefined : { ...d, configurable: true };
    },
  });
}

/** Declares `m` and, depth first, what it imports; wires every import's setter. */
function link(m, linker) {
  const ns = Object.create(null);
  m.namespace = ns;
  const exportBinding = (name, value) => {
    if (typeof name === "string") ns[name] = value;
    else for (const key in name) ns[key] = name[key];
    if (m.executing) m.changed = true;
    else for (const setter of m.importers) setter(ns);
    return value;
  };
  // Its URL when asked: few modules use import.meta, and pathToFileURL is not cheap.
  let url;
  const urlOf = () => (url ??= pathToFileURL(join(linker.dist, m.name)).href);
  const context = {
    id: m.name,
    meta: {
      get url() {
        return urlOf();
      },
      bundle: linker.bundle,
    },
    import: (specifier) => import(specifier.startsWith(".") ? new URL(specifier, urlOf()).href : specifier),
  };
  const { setters, execute } = m.declare(exportBinding, context);
  m.execute = execute;
  m.deps.forEach((specifier, i) => {
    const setter = setters[i];
    // A bundled module's name after a "/" (build-bundle.mjs resolved it), else a built-in or package.
    const dep = specifier.startsWith("/") ? linker.modules.get(specifier.slice(1)) : undefined;
    if (specifier.startsWith("/") && dep === undefined) throw new Error(`Cannot link ${m.name}: ${specifier.slice(1)} is not in the bundle`);
    m.imports.push(dep ?? null);
    if (dep === undefined) {
      setter?.(external(specifier, linker));
      return;
    }
    if (dep.namespace === null) link(dep, linker);
    if (setter) {
      dep.importers.push(setter);
      setter(dep.namespace);
    }
  });
}

/** `m` and what it imports, in evaluation order: post-order, a cycle's module once. */
function evaluationOrder(m, order) {
  if (m.ordered) return order;
  m.ordered = true;
  for (const dep of m.imports) if (dep !== null) evaluationOrder(dep, order);
  order.push(m);
  return order;
}

/**
 * Runs `bundle` (default: the CLI's) and returns its entry module's namespace once the
 * entry's body has finished.
 */
async function runBundle(bundle = DEFAULT_BUNDLE) {
  /** @type {Map<string, Module>} */
  const modules = new Map();
  const register = (name, deps, declare) => void modules.set(name, new Module(name, deps, declare));
  compile(bundle).runInThisContext()({ register });
  const entry = modules.get(bundle.entry);
  if (entry === undefined) throw new Error(`Cannot run the bundle: it has no ${bundle.entry}`);
  const require = createRequire(join(bundle.dist, bundle.entry));
  const { dist, file, cache, workers = [] } = bundle;
  const running = { loader: pathToFileURL(__filename).href, dist, file, cache, writeCache: false, workers };
  link(entry, { dist: bundle.dist, modules, externals: new Map(), require, bundle: running });
  for (const m of evaluationOrder(entry, [])) {
    m.executing = true;
    const done = m.execute();
    m.executing = false;
    if (m.changed) for (const setter of m.importers) setter(m.namespace);
    if (done !== undefined) await done;
  }
  return entry.namespace;
}

module.exports = { DEFAULT_BUNDLE, haveBundle, runBundle };
