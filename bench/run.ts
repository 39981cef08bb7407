// The benchmark harness: `npm run bench` (node dist/bench/run.js [NAME-FILTER...]).
//
// Every row runs the same static program natively, under qemu-user and under the LibOS
// in this one run, and prints one table with the ratios. To add a row, add an entry to
// ROWS: a name, what to measure (the guest command line; per-column overrides are
// possible) and the target for the libos column.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------- where things are

/** The project root: the nearest folder above this file that holds package.json. */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("bench: cannot find the project root");
    dir = up;
  }
}

export const ROOT = findRoot();
const LAUNCHER = path.join(ROOT, "bin", "libos");
const sample = (rel: string): string => path.join(ROOT, "samples", rel);

// ---------------------------------------------------------------- definitions

/** A way of running a guest program: the prefix put before its command line. */
export interface ColumnDef {
  readonly id: ColumnId;
  readonly title: string;
  /** The command-line prefix, or a reason why this column cannot run here. */
  readonly prefix: () => string[] | { unavailable: string };
}
export type ColumnId = "native" | "qemu" | "libos";

/** What one row measures. All times are wall-clock, median over `runs` runs. */
export type Measure =
  /** Wall time of one run of the command, in ms. */
  | { readonly kind: "wall-ms"; readonly argv: readonly string[]; readonly runs: number }
  /**
   * Cost per iteration in ns: (time of argv(n) - time of argv(0)) / n, which removes
   * the start-up and exit cost.
   */
  | {
      readonly kind: "per-iteration-ns";
      readonly argv: (n: number) => readonly string[];
      readonly n: number;
      readonly runs: number;
    };

export interface RowDef {
  readonly name: string;
  readonly measure: Measure;
  /** The goal for the libos column: shown as text, checked against `max`. */
  readonly target: { readonly text: string; readonly max: number };
  /** Replaces the guest command line for one column (rarely needed). */
  readonly override?: Partial<Record<ColumnId, Measure>>;
}

export const ROWS: readonly RowDef[] = [
  {
    name: "syscall getppid (ns/call)",
    measure: {
      kind: "per-iteration-ns",
      argv: (n) => [sample("bench/getppid-loop"), String(n)],
      n: 1_000_000,
      runs: 5,
    },
    target: { text: "≤ 1000 ns", max: 1000 },
  },
  {
    // The same calls without libc's syscall() wrapper: the trap, the fault IPC and the
    // reply alone, without the emulated cost of the wrapper's instructions.
    name: "syscall getppid, bare insn (ns/call)",
    measure: {
      kind: "per-iteration-ns",
      argv: (n) => [sample("bench/getppid-raw"), String(n)],
      n: 1_000_000,
      runs: 5,
    },
    target: { text: "≤ 1000 ns", max: 1000 },
  },
  {
    name: "start-up hello (ms)",
    measure: { kind: "wall-ms", argv: [sample("hello/hello-musl")], runs: 10 },
    target: { text: "≤ 400 ms", max: 400 },
  },
];

export const COLUMNS: readonly ColumnDef[] = [
  { id: "native", title: "native", prefix: () => [] },
  {
    id: "qemu",
    title: "qemu-x86_64",
    prefix: () => {
      const probe = spawnSync("qemu-x86_64", ["--version"], { stdio: "ignore" });
      return probe.error ? { unavailable: "qemu-x86_64 is not installed" } : ["qemu-x86_64"];
    },
  },
  {
    id: "libos",
    title: "libos",
    prefix: () =>
      existsSync(LAUNCHER) ? [LAUNCHER, "run"] : { unavailable: `no launcher at ${LAUNCHER}` },
  },
];

// ---------------------------------------------------------------- measuring

/** One measured value, or why there is none. */
export type Cell = { ok: true; value: number } | { ok: false; text: string; why: string };

const RUN_TIMEOUT_MS = 300_000;

/** Runs a command once; returns its wall time in ns or the reason it failed. */
function timeOnce(argv: readonly string[]): { ns: number } | { error: string } {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return { error: "empty command" };
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    stdio: ["ignore", "ignore", "pipe"],
    timeout: RUN_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  const ns = Number(process.hrtime.bigint() - t0);
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) {
    const stderr = r.stderr?.toString("utf8") ?? "";
    const first = stderr.split("\n").find((l) => l.trim() !== "") ?? "";
    const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    return { error: first ? `${how}: ${first.trim()}` : how };
  }
  return { ns };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median wall time in ns over `runs` runs, after one unrecorded warm-up run. */
function medianNs(argv: readonly string[], runs: number, warmUp: boolean): { ns: number } | { error: string } {
  if (warmUp) {
    const w = timeOnce(argv);
    if ("error" in w) return w;
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = timeOnce(argv);
    if ("error" in t) return t;
    times.push(t.ns);
  }
  return { ns: median(times) };
}

function measureCell(m: Measure, prefix: readonly string[]): Cell {
  const fail = (why: string): Cell => ({ ok: false, text: "fail", why });
  if (m.kind === "wall-ms") {
    const r = medianNs([...prefix, ...m.argv], m.runs, true);
    return "error" in r ? fail(r.error) : { ok: true, value: r.ns / 1e6 };
  }
  const base = medianNs([...prefix, ...m.argv(0)], m.runs, true);
  if ("error" in base) return fail(base.error);
  const full = medianNs([...prefix, ...m.argv(m.n)], m.runs, false);
  if ("error" in full) return fail(full.error);
  return { ok: true, value: Math.max(0, full.ns - base.ns) / m.n };
}

// ---------------------------------------------------------------- output

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function formatRatio(num: Cell | undefined, den: Cell | undefined): string {
  if (!num?.ok || !den?.ok || den.value <= 0) return "n/a";
  const r = num.value / den.value;
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(1)}×`;
}

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

function engineNote(): string {
  const explicit = process.env["LIBOS_UNICORN"];
  if (explicit) return `${explicit} (LIBOS_UNICORN)${existsSync(explicit) ? "" : " — missing"}`;
  const pinned = path.join(ROOT, ".deps", "unicorn", "libunicorn.so.2");
  if (existsSync(pinned)) return "Unicorn 2.1.4 (.deps/unicorn/libunicorn.so.2)";
  return "the system's libunicorn.so.2";
}

// ---------------------------------------------------------------- main

function main(argv: readonly string[]): number {
  const filters = argv.map((a) => a.toLowerCase());
  const rows = ROWS.filter((r) => filters.length === 0 || filters.some((f) => r.name.toLowerCase().includes(f)));
  if (rows.length === 0) {
    console.error(`bench: no row matches ${argv.join(" ")}; rows: ${ROWS.map((r) => r.name).join(", ")}`);
    return 2;
  }

  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`engine: ${engineNote()}`);
  console.log(`machine: ${cpu}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}, node ${process.version}`);

  const prefixes = new Map<ColumnId, string[] | { unavailable: string }>();
  for (const c of COLUMNS) {
    const p = c.prefix();
    prefixes.set(c.id, p);
    if (!Array.isArray(p)) console.log(`${c.title}: n/a (${p.unavailable})`);
  }

  const header = ["benchmark", ...COLUMNS.map((c) => c.title), "libos/native", "libos/qemu", "target"];
  const table: string[][] = [];
  const failures: string[] = [];
  for (const row of rows) {
    process.stderr.write(`bench: ${row.name} ...\n`);
    const cells = new Map<ColumnId, Cell>();
    for (const c of COLUMNS) {
      const p = prefixes.get(c.id);
      if (!p || !Array.isArray(p)) {
        cells.set(c.id, { ok: false, text: "n/a", why: p ? p.unavailable : "unavailable" });
        continue;
      }
      const cell = measureCell(row.override?.[c.id] ?? row.measure, p);
      cells.set(c.id, cell);
      if (!cell.ok && cell.text === "fail") failures.push(`  ${row.name}, ${c.title}: ${cell.why}`);
    }
    const libos = cells.get("libos");
    const met = libos?.ok ? (libos.value <= row.target.max ? " ✓" : " ✗") : "";
    table.push([
      row.name,
      ...COLUMNS.map((c) => {
        const cell = cells.get(c.id);
        return cell === undefined ? "n/a" : cell.ok ? formatValue(cell.value) : cell.text;
      }),
      formatRatio(libos, cells.get("native")),
      formatRatio(libos, cells.get("qemu")),
      row.target.text + met,
    ]);
  }

  console.log("");
  console.log(renderTable(header, table));
  if (failures.length > 0) {
    console.log("");
    console.log("failures:");
    for (const f of failures) console.log(f);
  }
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));
