// A malformed-ELF corpus: deterministic mutations of the static samples, for the loader's
// tests (tests/integration/elf_corpus.test.ts writes it to a temp dir) and for longer runs
// by hand:
//
//   node scripts/elf_corpus.mjs OUTDIR [--seed N] [--random N]
//
// Mutations: truncations at every header boundary; every ELF header field and every field
// of each program header set to boundary values (0, 1, all ones, 2^31, 2^63, 2^47, 2^62);
// the program header table moved out of the file; overlapping segments; huge p_memsz,
// p_vaddr and p_offset; `#!` scripts that loop, nest too deep, name nothing, or have a line
// longer than Linux's 256-byte buffer; a PT_INTERP naming an interpreter that is missing,
// not ELF, a directory, malformed, itself dynamic, or overlapping the program, and a path
// without its NUL; and seeded random byte flips in the headers. Each
// file carries a verdict: "refused" when the loader must reject it (one `libos:` line, a
// non-zero status, an errno from execve), or "any" when the file may also run (a field the
// loader ignores, an entry point that makes the program fault).

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The samples mutated; the big one gets only the truncations and the structural cases. */
export const SAMPLES = [
  { name: "hello-musl", path: join(ROOT, "samples/hello/hello-musl"), full: true },
  { name: "true-musl", path: join(ROOT, "samples/bench/true-musl"), full: true },
  { name: "hello-glibc", path: join(ROOT, "samples/hello/hello-glibc"), full: false },
];

const PT_LOAD = 1, PT_INTERP = 3, PT_GNU_STACK = 0x6474e551, PHDR = 56, EHDR = 64;
const U64 = [0n, 1n, (1n << 64n) - 1n, 1n << 31n, 1n << 63n, 1n << 47n, 1n << 62n];
const U32 = [0n, 1n, 0xffffffffn, 1n << 31n];
const U16 = [0n, 1n, 0xffffn, 0x8000n];
const U8 = [0n, 1n, 0xffn, 0x80n, 7n];
const WIDTH_VALUES = { 1: U8, 2: U16, 4: U32, 8: U64 };

// ELF header fields: name, offset, width, whether the loader must refuse every value but the
// original (or reads the field at all: "any" when it does not).
const EHDR_FIELDS = [
  ["EI_CLASS", 4, 1, "refused"], ["EI_DATA", 5, 1, "refused"], ["EI_VERSION", 6, 1, "any"], ["EI_OSABI", 7, 1, "any"],
  ["e_type", 16, 2, "refused"], ["e_machine", 18, 2, "refused"], ["e_version", 20, 4, "any"], ["e_entry", 24, 8, "any"],
  ["e_phoff", 32, 8, "any"], ["e_shoff", 40, 8, "any"], ["e_flags", 48, 4, "any"], ["e_ehsize", 52, 2, "any"],
  ["e_phentsize", 54, 2, "refused"], ["e_phnum", 56, 2, "any"], ["e_shentsize", 58, 2, "any"], ["e_shnum", 60, 2, "any"],
  ["e_shstrndx", 62, 2, "any"],
];
// Program header fields.
const PHDR_FIELDS = [
  ["p_type", 0, 4], ["p_flags", 4, 4], ["p_offset", 8, 8], ["p_vaddr", 16, 8], ["p_paddr", 24, 8],
  ["p_filesz", 32, 8], ["p_memsz", 40, 8], ["p_align", 48, 8],
];

/** @param {Uint8Array} b @param {number} at @param {number} width @param {bigint} value */
function put(b, at, width, value) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (width === 1) v.setUint8(at, Number(value));
  else if (width === 2) v.setUint16(at, Number(value), true);
  else if (width === 4) v.setUint32(at, Number(value), true);
  else v.setBigUint64(at, value, true);
}

/** @param {Uint8Array} b @param {number} at @param {number} width */
function get(b, at, width) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return width === 1 ? BigInt(v.getUint8(at)) : width === 2 ? BigInt(v.getUint16(at, true))
    : width === 4 ? BigInt(v.getUint32(at, true)) : v.getBigUint64(at, true);
}

/** The sample's program headers: index, type, and where each ends in the file. */
function headersOf(b) {
  const phoff = Number(get(b, 32, 8)), phnum = Number(get(b, 56, 2));
  return Array.from({ length: phnum }, (_, i) => {
    const at = phoff + i * PHDR;
    return { i, at, type: Number(get(b, at, 4)), offset: get(b, at + 8, 8), vaddr: get(b, at + 16, 8), filesz: get(b, at + 32, 8), memsz: get(b, at + 40, 8) };
  });
}

/** mulberry32: a small seeded generator, so a corpus is the same on every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @typedef {{ name: string, bytes: Uint8Array, verdict: "refused" | "any" }} CorpusFile
 * @param {{ dir: string, seed?: number, random?: number }} opts  dir: where the files will be (the `#!` lines name it)
 * @returns {CorpusFile[]}
 */
export function makeCorpus(opts) {
  const seed = opts.seed ?? 1;
  const files = [];
  const add = (name, bytes, verdict) => files.push({ name: name.replace(/[^A-Za-z0-9_.=+-]/g, "_"), bytes, verdict });
  for (const sample of SAMPLES) {
    const original = new Uint8Array(readFileSync(sample.path));
    const headers = headersOf(original);
    const loads = headers.filter((h) => h.type === PT_LOAD);
    const mutate = (name, edit, verdict) => {
      const b = new Uint8Array(original);
      edit(b);
      add(`${sample.name}.${name}`, b, verdict);
    };
    const tableEnd = Number(get(original, 32, 8)) + headers.length * PHDR;
    const needed = Math.max(tableEnd, ...headers.filter((h) => h.type === PT_LOAD || h.type === PT_INTERP).map((h) => Number(h.offset + h.filesz)));

    // Truncations: refused while they cut into the headers or a segment's bytes.
    const cuts = new Set([0, 1, 3, 4, 16, EHDR - 1, EHDR, EHDR + 1, tableEnd - 1, tableEnd, original.length >> 1, original.length - 1]);
    for (const h of loads) cuts.add(Number(h.offset + h.filesz) - 1);
    for (const n of [...cuts].sort((x, y) => x - y)) add(`${sample.name}.truncated-${n}`, original.slice(0, n), n < needed ? "refused" : "any");

    // Every ELF header field at every boundary value of its width (the original value left out).
    for (const [field, at, width, verdict] of sample.full ? EHDR_FIELDS : []) {
      for (const value of WIDTH_VALUES[width]) {
        if (value === get(original, at, width)) continue;
        mutate(`${field}=${value}`, (b) => put(b, at, width, value), verdict);
      }
    }

    // Every program header field of each PT_LOAD (and the first other header) at every boundary value.
    const targets = sample.full ? [...loads, headers.find((h) => h.type !== PT_LOAD)].filter(Boolean) : [];
    for (const h of targets) {
      for (const [field, off, width] of PHDR_FIELDS) {
        for (const value of WIDTH_VALUES[width]) {
          if (value === get(original, h.at + off, width)) continue;
          // Huge offsets, sizes and addresses of a loadable segment cannot load.
          const huge = value >= 1n << 47n && h.type === PT_LOAD && ["p_offset", "p_vaddr", "p_filesz", "p_memsz"].includes(field);
          mutate(`phdr${h.i}.${field}=${value}`, (b) => put(b, h.at + off, width, value), huge ? "refused" : "any");
        }
      }
    }

    // The program header table out of the file, and the structural cases.
    for (const phoff of [original.length - PHDR, original.length, original.length + 1, 1 << 30]) {
      mutate(`e_phoff-out-of-file=${phoff}`, (b) => put(b, 32, 8, BigInt(phoff)), "refused");
    }
    mutate("e_phnum-past-file", (b) => put(b, 56, 2, BigInt(Math.ceil((original.length - tableEnd) / PHDR) + headers.length + 1)), "refused");
    mutate("e_phnum=1171", (b) => put(b, 56, 2, 1171n), "refused");
    const [first, second] = loads;
    mutate("overlapping-segments", (b) => {
      put(b, second.at + 8, 8, first.offset);
      put(b, second.at + 16, 8, first.vaddr);
    }, "refused");
    const last = loads[loads.length - 1];
    for (const [what, memsz] of [["1TiB", 1n << 40n], ["64TiB", 1n << 46n], ["128TiB", 1n << 47n], ["-1", (1n << 64n) - 1n]]) {
      mutate(`last-segment-memsz=${what}`, (b) => put(b, last.at + 40, 8, memsz), "refused");
    }
    mutate("segment-vaddr-in-stack", (b) => put(b, last.at + 16, 8, 0x7fffff800000n + (last.vaddr % 4096n)), "refused");
    mutate("segment-vaddr-page-zero", (b) => put(b, first.at + 16, 8, first.offset % 4096n), "refused");
    mutate("segment-misaligned", (b) => put(b, last.at + 16, 8, last.vaddr + 1n), "refused");
    mutate("segment-offset-2^62", (b) => put(b, last.at + 8, 8, 1n << 62n), "refused");
    mutate("filesz-above-memsz", (b) => put(b, last.at + 32, 8, last.memsz + 1n), "refused");
    mutate("no-loadable-segment", (b) => loads.forEach((h) => put(b, h.at, 4, 0n)), "refused");
    mutate("interp-huge", (b) => {
      put(b, first.at, 4, BigInt(PT_INTERP));
      put(b, first.at + 32, 8, 1n << 40n);
    }, "refused");

    // A PT_INTERP (the PT_GNU_STACK header retyped) naming `path`, appended to the file.
    const stack = headers.find((h) => h.type === PT_GNU_STACK);
    const withInterpreter = (name, path, nul = true) => {
      const text = new TextEncoder().encode(nul ? `${path}\0` : path);
      const b = new Uint8Array(original.length + text.length);
      b.set(original);
      b.set(text, original.length);
      put(b, stack.at, 4, BigInt(PT_INTERP));
      put(b, stack.at + 8, 8, BigInt(original.length));
      put(b, stack.at + 32, 8, BigInt(text.length));
      add(`${sample.name}.interp-${name}`, b, "refused");
    };
    if (sample.full && stack) {
      const inDir = (name) => join(opts.dir, name);
      withInterpreter("missing", "/nonexistent/ld.so");
      withInterpreter("not-elf", inDir("script.not-elf"));
      withInterpreter("directory", opts.dir);
      withInterpreter("malformed", inDir(`${sample.name}.EI_CLASS=7`));
      withInterpreter("nested", inDir(`${sample.name}.interp-missing`));
      withInterpreter("overlapping", sample.path);
      withInterpreter("no-nul", "/nonexistent/ld.so", false);
    }

    // Seeded random byte flips in the headers.
    const rand = random(seed + sample.name.length);
    for (let n = 0; n < (sample.full ? opts.random ?? 30 : 0); n++) {
      mutate(`random-${seed}-${n}`, (b) => {
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips; k++) b[Math.floor(rand() * tableEnd)] = Math.floor(rand() * 256);
      }, "any");
    }
  }

  // `#!` scripts.
  const script = (name, text, verdict) => add(`script.${name}`, new TextEncoder().encode(text), verdict);
  const at = (name) => join(opts.dir, `script.${name}`);
  script("self-loop", `#!${at("self-loop")}\n`, "refused");
  script("loop-a", `#!${at("loop-b")}\n`, "refused");
  script("loop-b", `#!${at("loop-a")}\n`, "refused");
  for (let i = 0; i < 6; i++) script(`chain-${i}`, `#!${i === 5 ? at("chain-end") : at(`chain-${i + 1}`)}\n`, "refused");
  script("chain-end", "#!/nonexistent/interpreter\n", "refused");
  script("empty", "#!\n", "refused");
  script("spaces-only", "#!    \t  \n", "refused");
  script("no-newline-long-path", `#!/${"a".repeat(300)}`, "refused");
  script("long-line-long-path", `#!/${"b".repeat(400)}\necho\n`, "refused");
  script("long-line-long-argument", `#!/nonexistent ${"c".repeat(400)}\n`, "refused");
  script("directory", `#!${opts.dir}\n`, "refused");
  script("interpreter-malformed", `#!${join(opts.dir, "hello-musl.EI_CLASS=7")}\n`, "refused");
  script("not-elf", "plain text, no #! line\n", "refused");
  return files;
}

/** Write the corpus into `dir` (executable files); returns it. */
export function writeCorpus(dir, opts = {}) {
  const files = makeCorpus({ ...opts, dir });
  for (const f of files) writeFileSync(join(dir, f.name), f.bytes, { mode: 0o755 });
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dir = args.find((a, i) => !a.startsWith("--") && !(args[i - 1] ?? "").startsWith("--"));
  if (!dir) {
    process.stderr.write("usage: node scripts/elf_corpus.mjs OUTDIR [--seed N] [--random N]\n");
    process.exit(2);
  }
  const option = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const files = writeCorpus(resolve(dir), { seed: option("--seed"), random: option("--random") });
  process.stdout.write(`${files.length} files in ${resolve(dir)} (${files.filter((f) => f.verdict === "refused").length} must be refused)\n`);
}
