import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  COLUMNS,
  FS_MODES,
  ROOT,
  ROWS,
  SCRATCH,
  failedCell,
  failureReason,
  formatCell,
  formatRatio,
  formatSlowdown,
  formatTarget,
  formatValue,
  higherIsBetter,
  median,
  renderTable,
  selectRows,
  shorten,
  slowdown,
  unavailableCell,
  valueFromDifference,
  type Cell,
  type Measure,
  type RowDef,
} from "../../../bench/run.ts";

const ok = (value: number): Cell => ({ ok: true, value });
const argv = (n: number): string[] => ["prog", String(n)];

describe("bench harness", () => {
  it("takes the median of odd and even counts", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("formats values and ratios, with n/a where a side is missing", () => {
    expect(formatValue(1234.4)).toBe("1234");
    expect(formatValue(12.34)).toBe("12.3");
    expect(formatValue(0.781)).toBe("0.78");
    expect(formatValue(Infinity)).toBe("n/a");
    expect(formatRatio(ok(300), ok(100))).toBe("3.0×");
    expect(formatRatio(ok(3000), ok(100))).toBe("30×");
    expect(formatRatio(failedCell("x"), ok(1))).toBe("n/a");
    expect(formatRatio(ok(1), ok(0))).toBe("n/a");
  });

  it("shows a slowdown factor in the same direction for times and rates", () => {
    // A time: the libos takes 3× as long.
    expect(formatSlowdown(ok(300), ok(100), false)).toBe("3.0×");
    // A rate: the libos moves a third as many MiB/s, also 3× slower.
    expect(formatSlowdown(ok(100), ok(300), true)).toBe("3.0×");
    // A faster libos shows below 1× either way.
    expect(formatSlowdown(ok(50), ok(100), false)).toBe("0.5×");
    expect(formatSlowdown(ok(200), ok(100), true)).toBe("0.5×");
    // A failed or zero side gives n/a, never a number.
    expect(formatSlowdown(failedCell("x"), ok(100), true)).toBe("n/a");
    expect(formatSlowdown(ok(0), ok(100), true)).toBe("n/a");
    expect(formatSlowdown(ok(100), failedCell("x"), false)).toBe("n/a");
  });

  it("knows which measures are better when higher", () => {
    expect(higherIsBetter({ kind: "rate", argv, n: 1, runs: 1, unit: "MiB/s" })).toBe(true);
    expect(higherIsBetter({ kind: "per-iteration", argv, n: 1, runs: 1, unit: "µs" })).toBe(false);
    expect(higherIsBetter({ kind: "wall-ms", argv: ["p"], runs: 1 })).toBe(false);
  });

  it("renders an aligned table", () => {
    const out = renderTable(["a", "bbb"], [["xx", "y"]]).split("\n");
    expect(out).toEqual(["| a  | bbb |", "|----|-----|", "| xx | y   |"]);
  });

  it("shows a failed column as 'failed: <reason>', shortened, with the full reason kept", () => {
    const cell = failedCell("exit status 1: libos: unsupported syscall fork (57): returning ENOSYS");
    expect(cell.ok).toBe(false);
    expect(formatCell(cell)).toBe("failed: exit status 1: libos: unsupported syscall fork (57): return…");
    expect(formatCell(cell).length).toBe("failed: ".length + 60);
    if (!cell.ok) expect(cell.why).toBe("exit status 1: libos: unsupported syscall fork (57): returning ENOSYS");
    expect(formatCell(failedCell("exit status 1"))).toBe("failed: exit status 1");
    expect(formatCell(unavailableCell("qemu-x86_64 is not installed"))).toBe("n/a");
    expect(formatCell(undefined)).toBe("n/a");
    expect(formatCell(ok(12.34))).toBe("12.3");
    expect(shorten("a\n  b", 10)).toBe("a b");
    expect(shorten("abcdef", 4)).toBe("abc…");
  });

  it("explains why a command failed from its status, signal, time-out and stderr", () => {
    expect(failureReason({ status: 0, signal: null, stderr: "warning\n" })).toBeUndefined();
    expect(failureReason({ status: 1, signal: null, stderr: "" })).toBe("exit status 1");
    expect(failureReason({ status: 1, signal: null, stderr: "\n  only line  \n" })).toBe("exit status 1: only line");
    expect(
      failureReason({
        status: 1,
        signal: null,
        stderr: "libos: unsupported syscall fork (57): returning ENOSYS\nspawn-loop: fork: Function not implemented\n",
      }),
    ).toBe("exit status 1: libos: unsupported syscall fork (57): returning ENOSYS … spawn-loop: fork: Function not implemented");
    expect(failureReason({ status: null, signal: "SIGSEGV", stderr: "" })).toBe("killed by SIGSEGV");
    expect(failureReason({ status: null, signal: "SIGTERM", stderr: "", timedOutAfterMs: 300_000 })).toBe(
      "timed out after 300 s",
    );
  });

  it("turns the n=0 and n=N times into per-iteration values in the row's unit", () => {
    const per = (unit: "ns" | "µs" | "ms", n: number): Measure & { kind: "per-iteration" } => ({
      kind: "per-iteration",
      argv,
      n,
      runs: 1,
      unit,
    });
    // 1 ms of start-up, then 1000 iterations in 250 ms more: 250 µs each.
    expect(valueFromDifference(per("ns", 1000), 1e6, 251e6)).toEqual(ok(250_000));
    expect(valueFromDifference(per("µs", 1000), 1e6, 251e6)).toEqual(ok(250));
    expect(valueFromDifference(per("ms", 1000), 1e6, 251e6)).toEqual(ok(0.25));
  });

  it("turns the n=0 and n=N times into a rate", () => {
    const rate: Measure & { kind: "rate" } = { kind: "rate", argv, n: 256, runs: 1, unit: "MiB/s" };
    // 256 MiB in 0.5 s more than the empty run: 512 MiB/s.
    expect(valueFromDifference(rate, 2e6, 502e6)).toEqual(ok(512));
  });

  it("gives no number when the n=N run is not slower than the n=0 run", () => {
    const rate: Measure & { kind: "rate" } = { kind: "rate", argv, n: 256, runs: 1, unit: "MiB/s" };
    const per: Measure & { kind: "per-iteration" } = { kind: "per-iteration", argv, n: 10, runs: 1, unit: "ms" };
    for (const cell of [valueFromDifference(rate, 5e6, 5e6), valueFromDifference(per, 5e6, 4e6)]) {
      expect(cell.ok).toBe(false);
      expect(formatCell(cell)).toMatch(/^failed: the n=\d+ run .* was not slower than the n=0 run/);
    }
  });

  it("checks targets in their direction, and shows informational ones as text only", () => {
    expect(formatTarget({ kind: "at-most", text: "≤ 20 ms", max: 20 }, ok(12))).toBe("≤ 20 ms ✓");
    expect(formatTarget({ kind: "at-most", text: "≤ 20 ms", max: 20 }, ok(21))).toBe("≤ 20 ms ✗");
    expect(formatTarget({ kind: "at-least", text: "≥ 100 MiB/s", min: 100 }, ok(150))).toBe("≥ 100 MiB/s ✓");
    expect(formatTarget({ kind: "at-least", text: "≥ 100 MiB/s", min: 100 }, ok(50))).toBe("≥ 100 MiB/s ✗");
    expect(formatTarget({ kind: "at-most", text: "≤ 20 ms", max: 20 }, failedCell("x"))).toBe("≤ 20 ms");
    expect(formatTarget({ kind: "informational", text: "measured (no target)" }, ok(5))).toBe("measured (no target)");
  });

  it("checks a relative target as a slowdown against its reference cell", () => {
    const twice = { kind: "slowdown-at-most", text: "≤ 2× native", vs: { column: "native" }, max: 2 } as const;
    // A rate: at least half the reference's MiB/s.
    expect(formatTarget(twice, ok(600), { reference: ok(1000), higherBetter: true })).toBe("≤ 2× native: 1.7× ✓");
    expect(formatTarget(twice, ok(400), { reference: ok(1000), higherBetter: true })).toBe("≤ 2× native: 2.5× ✗");
    // A time: at most twice the reference's ms.
    expect(formatTarget(twice, ok(150), { reference: ok(100), higherBetter: false })).toBe("≤ 2× native: 1.5× ✓");
    expect(formatTarget(twice, ok(250), { reference: ok(100), higherBetter: false })).toBe("≤ 2× native: 2.5× ✗");
    // No verdict without both cells.
    expect(formatTarget(twice, ok(150), { reference: failedCell("x"), higherBetter: false })).toBe("≤ 2× native");
    expect(formatTarget(twice, ok(150), { reference: undefined, higherBetter: false })).toBe("≤ 2× native");
    expect(formatTarget(twice, ok(150))).toBe("≤ 2× native");
    expect(formatTarget(twice, failedCell("x"), { reference: ok(100), higherBetter: false })).toBe("≤ 2× native");
    expect(slowdown(ok(100), ok(300), true)).toBe(3);
    expect(slowdown(ok(300), ok(100), false)).toBe(3);
    expect(slowdown(ok(0), ok(100), true)).toBeUndefined();
  });

  it("selectRows() adds the rows that the chosen rows' targets compare with", () => {
    const row = (name: string, vs?: string): RowDef => ({
      name,
      measure: { kind: "wall-ms", argv: ["p"], runs: 1 },
      target: vs
        ? { kind: "slowdown-at-most", text: "t", vs: { row: vs }, max: 1 }
        : { kind: "informational", text: "t" },
    });
    const rows = [row("a"), row("b x", "a"), row("c x", "b x"), row("d")];
    const names = (f: string[]): string[] => selectRows(rows, f).map((r) => r.name);
    expect(names([])).toEqual(["a", "b x", "c x", "d"]);
    expect(names(["c"])).toEqual(["a", "b x", "c x"]);
    expect(names(["X"])).toEqual(["a", "b x", "c x"]);
    expect(names(["d"])).toEqual(["d"]);
    expect(names(["nothing"])).toEqual([]);
  });

  it("has the required rows and columns, and their sample programs exist", () => {
    expect(COLUMNS.map((c) => c.title)).toEqual(["native", "qemu-x86_64", "libos", "libos kvm"]);
    expect(ROWS.map((r) => r.name)).toEqual([
      "syscall getppid (ns/call)",
      "syscall getppid, bare insn (ns/call)",
      "start-up hello (ms)",
      "fork+exec+wait (µs/iter)",
      "pipe throughput (MiB/s)",
      "TCP over loopback, net inproc (MiB/s)",
      "TCP over loopback, net ipc (MiB/s)",
      "TCP over loopback, net worker (MiB/s)",
      "TCP guest → host, gateway (MiB/s)",
      "TCP host → guest, gateway (MiB/s)",
      "TCP guest → Linux, TAP (MiB/s)",
      "TCP Linux → guest, TAP (MiB/s)",
      "busybox httpd, sequential GETs (req/s)",
      "fork 64 MiB (ms/iter)",
      "seq 1 300000 (ns/number)",
      "sha256sum 8 MiB text (MiB/s)",
      "gzip 8 MiB text (MiB/s)",
      "sort 8 MiB text (MiB/s)",
      "fs-task round trip (fstat), fs inproc (ns/call)",
      "fs-task round trip (fstat), fs ipc (ns/call)",
      "fs-task round trip (fstat), fs worker (ns/call)",
      "read 256 MiB ×32, fs inproc (MiB/s)",
      "read 256 MiB ×32, fs ipc (MiB/s)",
      "read 256 MiB ×32, fs worker (MiB/s)",
      "find 10,000 files, fs inproc (ms)",
      "find 10,000 files, fs ipc (ms)",
      "find 10,000 files, fs worker (ms)",
      "boot 8 kernels, one thread (ms)",
      "boot 8 kernels, a worker each (ms)",
      "busy loop, 1 kernel (ms)",
      "busy loop, 8 kernels, a worker each (ms)",
      "host memory per idle kernel (MiB)",
    ]);
    // Files under SCRATCH are made by the row's fixtures when the bench runs.
    const made = (a: string): boolean => a.startsWith(`${SCRATCH}${path.sep}`);
    for (const row of ROWS) {
      for (const m of [row.measure, ...Object.values(row.override ?? {})]) {
        const args = m.kind === "wall-ms" || m.kind === "reported" ? m.argv : m.argv(0);
        // Every absolute path on the command line (the program, an exec'd program) exists.
        for (const a of args.filter((x) => path.isAbsolute(x) && !made(x))) expect(existsSync(a), a).toBe(true);
        expect(path.isAbsolute(args[0]!), args[0]).toBe(true);
        if (m.kind !== "wall-ms" && m.kind !== "reported") {
          // argv(n) differs from argv(0) only in the count.
          expect(m.argv(m.n).length).toBe(args.length);
          expect(m.n).toBeGreaterThan(0);
        }
      }
    }
    expect(existsSync(path.join(ROOT, "package.json"))).toBe(true);
  });

  it("gives the new rows their units, directions and targets", () => {
    const byName = new Map(ROWS.map((r) => [r.name, r]));
    const spawn = byName.get("fork+exec+wait (µs/iter)")!;
    expect(spawn.measure).toMatchObject({ kind: "per-iteration", unit: "µs" });
    expect(spawn.target.kind).toBe("informational");
    // The qemu column execs the child through qemu-x86_64 so that both are emulated.
    const q = spawn.override?.qemu;
    expect(q && q.kind !== "wall-ms" && q.kind !== "reported" ? q.argv(3).slice(1, 3) : []).toEqual(["3", "qemu-x86_64"]);
    const pipe = byName.get("pipe throughput (MiB/s)")!;
    expect(pipe.measure).toMatchObject({ kind: "rate", unit: "MiB/s" });
    expect(higherIsBetter(pipe.measure)).toBe(true);
    const big = byName.get("fork 64 MiB (ms/iter)")!;
    expect(big.measure).toMatchObject({ kind: "per-iteration", unit: "ms" });
    expect(big.target).toEqual({ kind: "at-most", text: "≤ 20 ms", max: 20 });
    // The rows of user kernels side by side run in the libos column only, with their targets.
    const boot = byName.get("boot 8 kernels, one thread (ms)")!;
    expect(boot).toMatchObject({ columns: ["libos"], libosCommand: "boot", target: { kind: "at-most", max: 2000 } });
    // 8 busy kernels on workers against one: about 8/cores times as long.
    const busy = byName.get("busy loop, 8 kernels, a worker each (ms)")!;
    expect(busy).toMatchObject({ columns: ["libos"], libosCommand: "boot", target: { kind: "slowdown-at-most", vs: { row: "busy loop, 1 kernel (ms)" } } });
    const idle = byName.get("host memory per idle kernel (MiB)")!;
    expect(idle).toMatchObject({ columns: ["libos"], measure: { kind: "reported", unit: "MiB" }, target: { kind: "at-most", max: 10 } });
  });

  it("runs the file-system rows once per fs mode, on files under SCRATCH mounted in the libos", () => {
    const fsRows = ROWS.filter((r) => r.fixtures !== undefined && r.name.includes(" fs "));
    expect(fsRows.length).toBe(3 * FS_MODES.length);
    for (const row of fsRows) {
      const mode = FS_MODES.find((m) => row.name.includes(`fs ${m}`));
      expect(mode, row.name).toBeDefined();
      expect(row.libosOptions).toEqual(["--fs-mode", mode, "-v", `${SCRATCH}:${SCRATCH}:ro`]);
      for (const f of row.fixtures ?? []) expect(path.dirname(f.path)).toBe(SCRATCH);
      const m = row.measure;
      const args = m.kind === "wall-ms" || m.kind === "reported" ? m.argv : m.argv(m.n);
      expect(args.some((a) => (row.fixtures ?? []).some((f) => a.startsWith(f.path))), row.name).toBe(true);
    }
    expect(SCRATCH.startsWith(os.tmpdir())).toBe(true);
    const read = ROWS.find((r) => r.name === "read 256 MiB ×32, fs inproc (MiB/s)")!;
    // The 256 MiB file, read 32 times per run; the n = 0 run reads an empty file as often.
    expect(read.measure).toMatchObject({ kind: "rate", unit: "MiB/s", n: 8192 });
    const cat = (n: number): string[] => (read.measure.kind === "rate" ? read.measure.argv(n).slice(1) : []);
    expect(cat(8192)).toEqual(["cat", ...Array<string>(32).fill(path.join(SCRATCH, "read", "256MiB"))]);
    expect(cat(0)).toEqual(["cat", ...Array<string>(32).fill(path.join(SCRATCH, "read", "0MiB"))]);
    expect(read.target).toMatchObject({ kind: "slowdown-at-most", vs: { column: "native" }, max: 2 });
  });

  it("runs the CPU-bound rows over the 8 MiB text file, with the KVM target of 1.5× native", () => {
    const cpuRows = ROWS.filter((r) => r.kvmTarget !== undefined);
    expect(cpuRows.map((r) => r.name)).toEqual(["seq 1 300000 (ns/number)", "sha256sum 8 MiB text (MiB/s)", "gzip 8 MiB text (MiB/s)", "sort 8 MiB text (MiB/s)"]);
    for (const row of cpuRows) expect(row.kvmTarget).toMatchObject({ kind: "slowdown-at-most", vs: { column: "native" }, max: 1.5 });
    const sha = cpuRows[1]!;
    expect(sha.measure.kind === "rate" && sha.measure.argv(8)).toEqual(["/bin/busybox", "sha256sum", path.join(SCRATCH, "text", "8MiB")]);
    expect(sha.libosOptions).toEqual(["-v", `${SCRATCH}:${SCRATCH}:ro`]);
  });

  it("compares each relative target with a row that exists", () => {
    const names = new Set(ROWS.map((r) => r.name));
    for (const row of ROWS) {
      if (row.target.kind !== "slowdown-at-most" || !("row" in row.target.vs)) continue;
      expect(names.has(row.target.vs.row), row.target.vs.row).toBe(true);
      expect(row.target.vs.row).not.toBe(row.name);
    }
    const ipc = ROWS.find((r) => r.name === "find 10,000 files, fs ipc (ms)")!;
    expect(ipc.target).toMatchObject({ vs: { row: "find 10,000 files, fs inproc (ms)" }, max: 1.2 });
    const worker = ROWS.find((r) => r.name === "read 256 MiB ×32, fs worker (MiB/s)")!;
    expect(worker.target).toMatchObject({ vs: { row: "read 256 MiB ×32, fs inproc (MiB/s)" }, max: 2 });
  });
});
