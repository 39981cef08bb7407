// The benchmark harness: `npm run bench` (node dist/bench/run.js [NAME-FILTER...]).
//
// Every row runs the same static program natively, under qemu-user and under the LibOS
// on each CPU platform (Unicorn; KVM where /dev/kvm opens) in this one run, and prints
// one table with the ratios. To add a row, add an entry to
// ROWS: a name, what to measure (the guest command line; per-column overrides are
// possible) and the target for the libos column.
//
// The file-system rows read host files the harness makes in a temporary folder
// (SCRATCH, deleted at the end), once per fs mode of the LibOS; their targets compare
// a mode with native or with another row's libos cell.
//
// A column whose command fails (non-zero exit status, a signal, a time-out) shows
// "failed: <reason>" in its cell and the full reason under the table; it never shows a
// number. The sample programs exit non-zero when any call they make fails or gives a
// wrong result, so an unimplemented or broken syscall cannot produce a timing.
//
// Network rows (net_rows.ts) may need more than a command: a peer on the host that the
// program talks to (started before the row's columns, stopped after; it may say why it
// cannot run here, e.g. a TAP needs root), a `wrap` before every column's command (ip netns
// exec NS), or a `server`: the program under test serves, under the column's prefix, and
// the measured commands are host clients.

import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { hostNetRows } from "./net_rows.ts";

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
/** The host's busybox; setup copies the same binary into the LibOS root image. */
const BUSYBOX = "/bin/busybox";

/**
 * Where the file-system rows' data lives on the host. The libos column mounts it at
 * the same path (-v), so that all columns run the same command line.
 */
export const SCRATCH = path.join(os.tmpdir(), `libos-bench-${process.pid}`);

// ---------------------------------------------------------------- definitions

/** A way of running a guest program: the prefix put before its command line. */
export interface ColumnDef {
  readonly id: ColumnId;
  readonly title: string;
  /** The command-line prefix, or a reason why this column cannot run here. */
  readonly prefix: () => string[] | { unavailable: string };
}
export type ColumnId = "native" | "qemu" | "libos" | "kvm";

/** Units of a per-iteration time. */
export type TimeUnit = "ns" | "µs" | "ms";
const NS_PER_UNIT: Readonly<Record<TimeUnit, number>> = { ns: 1, "µs": 1e3, ms: 1e6 };

/** What one row measures. All times are wall-clock, median over `runs` runs. */
export type Measure =
  /** Wall time of one run of the command, in ms. Lower is better. */
  | { readonly kind: "wall-ms"; readonly argv: readonly string[]; readonly runs: number }
  /**
   * Cost per iteration in `unit`: (time of argv(n) - time of argv(0)) / n, which removes
   * the start-up, set-up and exit cost. Lower is better.
   */
  | {
      readonly kind: "per-iteration";
      readonly argv: (n: number) => readonly string[];
      readonly n: number;
      readonly runs: number;
      readonly unit: TimeUnit;
    }
  /**
   * A throughput: argv(n) does n units of work (n MiB for "MiB/s") more than argv(0);
   * the value is n / (time of argv(n) - time of argv(0)) in units per second. Higher
   * is better.
   */
  | {
      readonly kind: "rate";
      readonly argv: (n: number) => readonly string[];
      readonly n: number;
      readonly runs: number;
      readonly unit: string;
    }
  /**
   * A figure a helper measures itself (host memory, say): the median of the number on
   * the last line of argv's output over `runs` runs. Lower is better. The column's
   * prefix is not used: the row runs in the columns it names (RowDef.columns).
   */
  | { readonly kind: "reported"; readonly argv: readonly string[]; readonly runs: number; readonly unit: string };

/** Whether a bigger value is better (a throughput) or worse (a time). */
export function higherIsBetter(m: Measure): boolean {
  return m.kind === "rate";
}

/** What a relative target compares with: a column of the same row, or another row's libos cell. */
export type TargetRef = { readonly column: ColumnId } | { readonly row: string };

/** The goal for the libos column. */
export type Target =
  /** Met when the libos value is at most `max` (times). */
  | { readonly kind: "at-most"; readonly text: string; readonly max: number }
  /** Met when the libos value is at least `min` (rates). */
  | { readonly kind: "at-least"; readonly text: string; readonly min: number }
  /**
   * Met when the libos is at most `max` times slower than `vs`, in the sense of the
   * slowdown columns (time: libos/vs; rate: vs/libos): `max: 2` on a rate asks for at
   * least half of the reference's throughput.
   */
  | { readonly kind: "slowdown-at-most"; readonly text: string; readonly vs: TargetRef; readonly max: number }
  /** No goal: the row is there to be measured and compared. */
  | { readonly kind: "informational"; readonly text: string };

/** Host files that rows read: `make` creates them at `path`, a folder under SCRATCH. */
export interface Fixture {
  readonly path: string;
  readonly make: (dir: string) => void;
}

/** Something the row's columns need running on the host while they are measured. */
export interface PeerDef {
  /** Starts it; resolves once it serves, with how to stop it, or why it cannot run here. */
  readonly start: () => Promise<{ stop: () => Promise<void> } | { unavailable: string }>;
}

/** The program under test is a server: started per column under its prefix; the measure's commands are host clients. */
export interface ServerDef {
  /** The server's command line (after the column's prefix and, for libos, libosOptions). */
  readonly argv: (column: ColumnId) => readonly string[];
  /** Resolves once the server answers; rejects with why it will not. */
  readonly ready: () => Promise<void>;
}

export interface RowDef {
  readonly name: string;
  readonly measure: Measure;
  /** The goal for the libos column: shown as text, checked when it has a bound. */
  readonly target: Target;
  /** Replaces the guest command line for one column (rarely needed). */
  readonly override?: Partial<Record<ColumnId, Measure>>;
  /** Launcher options for the libos column, put before the program (e.g. --fs-mode). */
  readonly libosOptions?: readonly string[];
  /** Host files the row's commands read, made before the row runs. */
  readonly fixtures?: readonly Fixture[];
  /** Printed under the table: what a reader must know to read the row's figures. */
  readonly note?: string;
  /** The goal for the LibOS on KVM (the kvm column), where the row has one. */
  readonly kvmTarget?: Target;
  /** The columns that run (default: every one); the others show n/a. */
  readonly columns?: readonly ColumnId[];
  /** The launcher's command for the libos column (default run): boot runs a system description. */
  readonly libosCommand?: "run" | "boot";
  readonly peer?: PeerDef;
  /** Put before every column's command (e.g. ip netns exec NS). */
  readonly wrap?: readonly string[];
  readonly server?: ServerDef;
}

const SPAWN_LOOP_N = 100;

// ---------------------------------------------------------------- file-system rows

const READ_MIB = 256;
/**
 * How many times each read run reads its file. Host files reach a host stdout by the
 * host's sendfile, so a pass takes ~10 ms: 32 passes keep the difference well above how
 * much start-up (worker mode: ~800 ms) varies on a busy host.
 */
const READ_PASSES = 32;

/** Files named `<n>MiB` for the read rows: an empty one (the n = 0 run) and READ_MIB MiB. */
const readFiles: Fixture = {
  path: path.join(SCRATCH, "read"),
  make: (dir) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "0MiB"), "");
    const block = randomBytes(1 << 20);
    const fd = openSync(path.join(dir, `${READ_MIB}MiB`), "w");
    try {
      for (let i = 0; i < READ_MIB; i++) {
        for (let done = 0; done < block.length; ) done += writeSync(fd, block, done);
      }
    } finally {
      closeSync(fd);
    }
  },
};

/** 10 folders of 10 folders of 100 empty files each: 10,000 files in 110 folders. */
const fileTree: Fixture = {
  path: path.join(SCRATCH, "tree"),
  make: (dir) => {
    for (let a = 0; a < 10; a++) {
      for (let b = 0; b < 10; b++) {
        const sub = path.join(dir, `d${a}`, `d${b}`);
        mkdirSync(sub, { recursive: true });
        for (let f = 0; f < 100; f++) writeFileSync(path.join(sub, `f${f}`), "");
      }
    }
  },
};

export const FS_MODES = ["inproc", "ipc", "worker"] as const;
export type FsMode = (typeof FS_MODES)[number];

/**
 * One row per fs mode of the LibOS: the same commands in every column, the libos
 * column with `--fs-mode MODE` and SCRATCH mounted read-only at its own path.
 */
function fsModeRows(
  def: Omit<RowDef, "name" | "target" | "libosOptions"> & { readonly name: (mode: FsMode) => string },
  targets: Readonly<Record<FsMode, Target>>,
): RowDef[] {
  const { name, ...row } = def;
  return FS_MODES.map((mode) => ({
    ...row,
    name: name(mode),
    target: targets[mode],
    libosOptions: ["--fs-mode", mode, "-v", `${SCRATCH}:${SCRATCH}:ro`],
  }));
}

const NET_MODES = ["inproc", "ipc", "worker"] as const;

/** One row per net mode (the libos column's --net-mode), the same goal for each. */
function netModeRows(def: Omit<RowDef, "name" | "libosOptions"> & { readonly name: (mode: string) => string }): RowDef[] {
  const { name, ...row } = def;
  return NET_MODES.map((mode) => ({ ...row, name: name(mode), libosOptions: ["--net", "loopback", "--net-mode", mode] }));
}


// ---------------------------------------------------------------- CPU-bound rows

const TEXT_MIB = 8;

/** Text files for the CPU-bound rows: `0MiB` (empty) and `8MiB`, lines of words and numbers. */
const textFiles: Fixture = {
  path: path.join(SCRATCH, "text"),
  make: (dir) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "0MiB"), "");
    const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
    const lines: string[] = [];
    let bytes = 0, x = 12345;
    while (bytes < TEXT_MIB << 20) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const line = `${words[x % 10]} ${x} ${words[(x >> 8) % 10]} ${x % 9973}\n`;
      lines.push(line);
      bytes += line.length;
    }
    writeFileSync(path.join(dir, `${TEXT_MIB}MiB`), lines.join("").slice(0, TEXT_MIB << 20));
  },
};

/** A busybox applet over the 8 MiB text file minus the same over an empty one, as MiB/s. */
function textRow(applet: string, args: readonly string[]): RowDef {
  return {
    name: `${applet} 8 MiB text (MiB/s)`,
    measure: {
      kind: "rate",
      argv: (n) => [BUSYBOX, applet, ...args, path.join(textFiles.path, `${n}MiB`)],
      n: TEXT_MIB,
      runs: 3,
      unit: "MiB/s",
    },
    fixtures: [textFiles],
    libosOptions: ["-v", `${SCRATCH}:${SCRATCH}:ro`],
    note: "CPU-bound rows: busybox over an 8 MiB host text file (mounted with -v) minus the same over an empty file",
    target: { kind: "informational", text: "measured (no target)" },
    kvmTarget: CPU_BOUND_KVM_TARGET,
  };
}

const CPU_BOUND_KVM_TARGET: Target = { kind: "slowdown-at-most", text: "≤ 1.5× native", vs: { column: "native" }, max: 1.5 };
/** 8 kernels, each running a do-nothing static program, on the main thread or each on a worker. */
const eightKernels: Fixture = {
  path: path.join(SCRATCH, "systems"),
  make: (dir) => {
    mkdirSync(dir, { recursive: true });
    for (const thread of ["main", "worker"]) {
      const kernels = Array.from({ length: 8 }, (_, i) => ({
        name: `k${i}`, memory: "64M", thread, volumes: [{ host: path.join(ROOT, "samples/bench"), guest: "/bench", readOnly: true }],
        program: { argv: ["/bench/true-musl"] },
      }));
      writeFileSync(path.join(dir, `eight-${thread}.json`), JSON.stringify({ kernels }));
    }
  },
};
/** Busy kernels: 1, and 8 each on a worker, each running the spin loop (samples/bench/spin.c). */
const SPIN_MILLIONS = 100;
const busyKernels: Fixture = {
  path: path.join(SCRATCH, "busy-systems"),
  make: (dir) => {
    mkdirSync(dir, { recursive: true });
    for (const count of [1, 8]) {
      const kernels = Array.from({ length: count }, (_, i) => ({
        name: `k${i}`, memory: "64M", thread: "worker", volumes: [{ host: path.join(ROOT, "samples/bench"), guest: "/bench", readOnly: true }],
        program: { argv: ["/bench/spin", String(SPIN_MILLIONS)] },
      }));
      writeFileSync(path.join(dir, `busy-${count}.json`), JSON.stringify({ kernels }));
    }
  },
};
const busyRow = (count: number): string => `busy loop, ${count} kernel${count > 1 ? "s, a worker each" : ""} (ms)`;
/** 8 busy kernels share the host's cores: about 8/cores times one kernel's wall time, with 25 % to spare. */
const BUSY_SHARE = (8 / os.availableParallelism()) * 1.25;

const netHost = hostNetRows({ sample, busybox: BUSYBOX, root: ROOT, scratch: SCRATCH });

const readRow = (mode: FsMode): string => `read 256 MiB ×${READ_PASSES}, fs ${mode} (MiB/s)`;
const fstatRow = (mode: FsMode): string => `fs-task round trip (fstat), fs ${mode} (ns/call)`;
const findRow = (mode: FsMode): string => `find 10,000 files, fs ${mode} (ms)`;

export const ROWS: readonly RowDef[] = [
  {
    name: "syscall getppid (ns/call)",
    measure: {
      kind: "per-iteration",
      argv: (n) => [sample("bench/getppid-loop"), String(n)],
      n: 1_000_000,
      runs: 5,
      unit: "ns",
    },
    target: { kind: "at-most", text: "≤ 1000 ns", max: 1000 },
  },
  {
    // The same calls without libc's syscall() wrapper: the trap, the fault IPC and the
    // reply alone, without the emulated cost of the wrapper's instructions.
    name: "syscall getppid, bare insn (ns/call)",
    measure: {
      kind: "per-iteration",
      argv: (n) => [sample("bench/getppid-raw"), String(n)],
      n: 1_000_000,
      runs: 5,
      unit: "ns",
    },
    target: { kind: "at-most", text: "≤ 1000 ns", max: 1000 },
  },
  {
    name: "start-up hello (ms)",
    measure: { kind: "wall-ms", argv: [sample("hello/hello-musl")], runs: 10 },
    target: { kind: "at-most", text: "≤ 400 ms", max: 400 },
  },
  {
    // One fork, an execve of a do-nothing static program in the child, and the parent's
    // waitpid, per iteration (spawn-loop checks every child's exit status).
    name: "fork+exec+wait (µs/iter)",
    measure: {
      kind: "per-iteration",
      argv: (n) => [sample("bench/spawn-loop"), String(n), sample("bench/true-musl")],
      n: SPAWN_LOOP_N,
      runs: 5,
      unit: "µs",
    },
    // qemu-user runs an exec'd x86-64 program natively on an x86-64 host (it simply
    // calls the host's execve), so its column execs the child through qemu-x86_64 too:
    // like the LibOS, it then emulates both the parent and the exec'd program.
    override: {
      qemu: {
        kind: "per-iteration",
        argv: (n) => [sample("bench/spawn-loop"), String(n), "qemu-x86_64", sample("bench/true-musl")],
        n: SPAWN_LOOP_N,
        runs: 5,
        unit: "µs",
      },
    },
    note: "fork+exec+wait: the qemu-x86_64 column runs the exec'd child under qemu-x86_64 as well (qemu-user would run it natively)",
    target: { kind: "informational", text: "measured (no target)" },
  },
  {
    // A forked child write()s n MiB into a pipe in 64 KiB blocks; the parent read()s them
    // (pipe-pump checks the byte count and the child's exit status).
    name: "pipe throughput (MiB/s)",
    measure: {
      kind: "rate",
      argv: (n) => [sample("bench/pipe-pump"), String(n)],
      n: 256,
      runs: 5,
      unit: "MiB/s",
    },
    target: { kind: "informational", text: "measured (no target)" },
  },
  ...netModeRows({
    // A forked child connect()s to the parent over 127.0.0.1 and write()s n MiB in 64 KiB
    // blocks; the parent accept()s and read()s them (tcp-pump checks the byte count and the
    // child's exit status). The libos column runs its net-task in each mode.
    name: (mode) => `TCP over loopback, net ${mode} (MiB/s)`,
    measure: {
      kind: "rate",
      argv: (n) => [sample("bench/tcp-pump"), String(n)],
      n: 256,
      runs: 5,
      unit: "MiB/s",
    },
    note: "TCP over loopback: the guest's own 127.0.0.1 (lo of its net-task) against the host's; ≥ 1 Gbit/s is ≥ 119 MiB/s",
    target: { kind: "at-least", text: "≥ 119 MiB/s (1 Gbit/s)", min: 119 },
  }),
  ...netHost,
  {
    // fork of a process with 64 MiB of written heap + the child's _exit(0) + waitpid;
    // the set-up (malloc and writing the 64 MiB) is in both runs and cancels out.
    name: "fork 64 MiB (ms/iter)",
    measure: {
      kind: "per-iteration",
      argv: (n) => [sample("bench/fork-big"), String(n), "64"],
      n: 50,
      runs: 5,
      unit: "ms",
    },
    target: { kind: "at-most", text: "≤ 20 ms", max: 20 },
  },
  {
    // busybox seq 1 N to /dev/null: formatting numbers, one write per 4 KiB or so.
    name: "seq 1 300000 (ns/number)",
    measure: { kind: "per-iteration", argv: (n) => [BUSYBOX, "seq", "1", String(n)], n: 300_000, runs: 3, unit: "ns" },
    target: { kind: "informational", text: "measured (no target)" },
    kvmTarget: CPU_BOUND_KVM_TARGET,
  },
  textRow("sha256sum", []),
  textRow("gzip", ["-c"]),
  textRow("sort", []),
  // One fs-task request per iteration: the round trip of each fs mode (the inproc row is the
  // same call without a message).
  ...fsModeRows(
    {
      name: fstatRow,
      measure: {
        kind: "per-iteration",
        argv: (n) => [sample("bench/fstat-loop"), String(n), path.join(readFiles.path, "0MiB")],
        n: 200_000,
        runs: 5,
        unit: "ns",
      },
      fixtures: [readFiles],
      note: "fs-task round trip: fstat(2) of a host file in a loop (samples/bench/fstat-loop.c); each call is one request to the fs-task, so ipc and worker minus inproc is the message's round trip",
    },
    {
      inproc: { kind: "informational", text: "measured (no target)" },
      ipc: { kind: "informational", text: "measured (no target)" },
      worker: { kind: "informational", text: "measured (no target)" },
    },
  ),
  // `busybox cat FILE FILE FILE FILE` to /dev/null, minus the same with an empty file.
  // busybox cat copies with sendfile(2): natively the data never reaches user space, and
  // in the LibOS it never enters guest memory. Native and qemu are measured once for the
  // three modes.
  ...fsModeRows(
    {
      name: readRow,
      measure: {
        kind: "rate",
        argv: (n) => [BUSYBOX, "cat", ...Array<string>(READ_PASSES).fill(path.join(readFiles.path, `${n / READ_PASSES}MiB`))],
        n: READ_MIB * READ_PASSES,
        runs: 5,
        unit: "MiB/s",
      },
      fixtures: [readFiles],
      note: `read 256 MiB: \`busybox cat FILE ×${READ_PASSES} >/dev/null\` (sendfile(2)) minus the same with an empty file; FILE is on the host, the libos mounts it with -v; ≤ 2× is ≥ 50 % of the MiB/s`,
    },
    {
      inproc: { kind: "slowdown-at-most", text: "≤ 2× native", vs: { column: "native" }, max: 2 },
      ipc: { kind: "slowdown-at-most", text: "≤ 1.2× inproc", vs: { row: readRow("inproc") }, max: 1.2 },
      worker: { kind: "slowdown-at-most", text: "≤ 2× inproc", vs: { row: readRow("inproc") }, max: 2 },
    },
  ),
  // The whole run of `busybox find DIR` to /dev/null, start-up included.
  ...fsModeRows(
    {
      name: findRow,
      measure: { kind: "wall-ms", argv: [BUSYBOX, "find", fileTree.path], runs: 5 },
      fixtures: [fileTree],
      note: "find 10,000 files: `busybox find DIR >/dev/null` over 10 × 10 folders of 100 empty host files, a whole run with start-up",
    },
    {
      inproc: { kind: "informational", text: "measured (no target)" },
      ipc: { kind: "slowdown-at-most", text: "≤ 1.2× inproc", vs: { row: findRow("inproc") }, max: 1.2 },
      worker: { kind: "slowdown-at-most", text: "≤ 2× inproc", vs: { row: findRow("inproc") }, max: 2 },
    },
  ),
  // User kernels side by side (libos boot): the whole boot of 8 kernels, each running a
  // do-nothing program, start-up of the launcher included; and the host memory an idle
  // kernel costs.
  ...(["main", "worker"] as const).map((thread): RowDef => ({
    name: `boot 8 kernels, ${thread === "main" ? "one thread" : "a worker each"} (ms)`,
    measure: { kind: "wall-ms", argv: [path.join(eightKernels.path, `eight-${thread}.json`)], runs: 5 },
    columns: ["libos"],
    libosCommand: "boot",
    fixtures: [eightKernels],
    note: "boot 8 kernels: `libos boot` of 8 kernels that each run a static do-nothing program, the launcher's start-up included",
    target: { kind: "at-most", text: "≤ 2000 ms", max: 2000 },
  })),
  ...[1, 8].map((count): RowDef => ({
    name: busyRow(count),
    measure: { kind: "wall-ms", argv: [path.join(busyKernels.path, `busy-${count}.json`)], runs: 3 },
    columns: ["libos"],
    libosCommand: "boot",
    fixtures: [busyKernels],
    note: `busy loop: \`libos boot\` of kernels on workers that each run ${SPIN_MILLIONS} million iterations of a loop without syscalls (samples/bench/spin); 8 of them share the host's cores`,
    target: count === 1
      ? { kind: "informational", text: "measured (no target)" }
      : { kind: "slowdown-at-most", text: `≤ ${BUSY_SHARE.toFixed(1)}× one (8/cores, +25 %)`, vs: { row: busyRow(1) }, max: BUSY_SHARE },
  })),
  {
    name: "host memory per idle kernel (MiB)",
    measure: { kind: "reported", argv: [process.execPath, path.join(ROOT, "dist/bench/idle_kernels.js"), "8"], runs: 3, unit: "MiB" },
    columns: ["libos"],
    note: "host memory per idle kernel: peak RSS of a process booting 9 kernels that sleep, minus one booting 1, over 8 (bench/idle_kernels.ts)",
    target: { kind: "at-most", text: "≤ 10 MiB", max: 10 },
  },
];

/**
 * The rows whose name contains one of `filters` (every row when there is none), plus
 * the rows their targets compare with, in ROWS order.
 */
export function selectRows(rows: readonly RowDef[], filters: readonly string[]): RowDef[] {
  const lower = filters.map((f) => f.toLowerCase());
  const byName = new Map(rows.map((r) => [r.name, r]));
  const todo = rows.filter((r) => lower.length === 0 || lower.some((f) => r.name.toLowerCase().includes(f)));
  const wanted = new Set<RowDef>();
  for (let r = todo.pop(); r !== undefined; r = todo.pop()) {
    if (wanted.has(r)) continue;
    wanted.add(r);
    const ref = r.target.kind === "slowdown-at-most" && "row" in r.target.vs ? byName.get(r.target.vs.row) : undefined;
    if (ref) todo.push(ref);
  }
  return rows.filter((r) => wanted.has(r));
}

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
      existsSync(LAUNCHER) ? [LAUNCHER, "run", "--platform", "unicorn"] : { unavailable: `no launcher at ${LAUNCHER}` },
  },
  {
    id: "kvm",
    title: "libos kvm",
    prefix: () => {
      if (!existsSync(LAUNCHER)) return { unavailable: `no launcher at ${LAUNCHER}` };
      try {
        closeSync(openSync("/dev/kvm", fsConstants.O_RDWR));
      } catch (e) {
        return { unavailable: `/dev/kvm does not open (${(e as NodeJS.ErrnoException).code})` };
      }
      return [LAUNCHER, "run", "--platform", "kvm"];
    },
  },
];

// ---------------------------------------------------------------- measuring

/** One measured value, or why there is none (`text` is what the table shows). */
export type Cell = { ok: true; value: number } | { ok: false; text: string; why: string };

const RUN_TIMEOUT_MS = 300_000;
/** The longest failure reason shown in a table cell; the full one is listed below it. */
const CELL_REASON_MAX = 60;

/** Shortens `s` to at most `max` characters, marking a cut with "…". */
export function shorten(s: string, max: number): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length <= max ? one : `${one.slice(0, Math.max(0, max - 1))}…`;
}

/** The cell of a column whose command failed: "failed: <reason>", never a number. */
export function failedCell(why: string): Cell {
  return { ok: false, text: `failed: ${shorten(why, CELL_REASON_MAX)}`, why };
}

/** The cell of a column that cannot run here at all (no qemu, no launcher). */
export function unavailableCell(why: string): Cell {
  return { ok: false, text: "n/a", why };
}

/**
 * Why a finished command counts as failed, or undefined when it succeeded: its exit
 * status or signal, and the first and last lines of its stderr (the first usually
 * names the cause, the last is often the program's own message).
 */
export function failureReason(r: {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly timedOutAfterMs?: number;
}): string | undefined {
  if (r.timedOutAfterMs === undefined && r.status === 0) return undefined;
  const how =
    r.timedOutAfterMs !== undefined
      ? `timed out after ${Math.round(r.timedOutAfterMs / 1000)} s`
      : r.signal
        ? `killed by ${r.signal}`
        : `exit status ${r.status}`;
  const lines = r.stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (first === undefined) return how;
  return first === last ? `${how}: ${first}` : `${how}: ${first} … ${last}`;
}

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
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
  if (r.error && !timedOut) return { error: r.error.message };
  const why = failureReason({
    status: r.status,
    signal: r.signal,
    stderr: r.stderr?.toString("utf8") ?? "",
    ...(timedOut ? { timedOutAfterMs: RUN_TIMEOUT_MS } : {}),
  });
  return why === undefined ? { ns } : { error: why };
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

/**
 * The value of a per-iteration or rate measure from the median times of argv(0) and
 * argv(n). When argv(n) was not measurably slower than argv(0) there is no honest
 * figure, and the cell says so rather than showing 0 or infinity.
 */
export function valueFromDifference(
  m: Extract<Measure, { kind: "per-iteration" | "rate" }>,
  baseNs: number,
  fullNs: number,
): Cell {
  const diff = fullNs - baseNs;
  if (!(diff > 0) || !(m.n > 0)) {
    return failedCell(
      `the n=${m.n} run (${formatValue(fullNs / 1e6)} ms) was not slower than the n=0 run (${formatValue(baseNs / 1e6)} ms); raise n`,
    );
  }
  if (m.kind === "rate") return { ok: true, value: m.n / (diff / 1e9) };
  return { ok: true, value: diff / m.n / NS_PER_UNIT[m.unit] };
}

/** What identifies a measurement: two with the same key run the same commands. */
function measureKey(m: Measure, prefix: readonly string[]): string {
  const argvs = m.kind === "wall-ms" || m.kind === "reported" ? [m.argv] : [m.argv(0), m.argv(m.n)];
  return JSON.stringify({ ...m, argv: argvs, prefix });
}

/** The number on the last line a command prints, median over `runs` runs. */
function reportedValue(argv: readonly string[], runs: number): Cell {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    const why = r.error ? r.error.message : failureReason({ status: r.status, signal: r.signal, stderr: r.stderr ?? "" });
    if (why !== undefined) return failedCell(why);
    const v = Number((r.stdout ?? "").trim().split("\n").at(-1));
    if (!Number.isFinite(v)) return failedCell(`no number on the last line of ${argv.join(" ")}`);
    values.push(v);
  }
  return { ok: true, value: median(values) };
}

function measureCell(m: Measure, prefix: readonly string[]): Cell {
  if (m.kind === "reported") return reportedValue(m.argv, m.runs);
  if (m.kind === "wall-ms") {
    const r = medianNs([...prefix, ...m.argv], m.runs, true);
    return "error" in r ? failedCell(r.error) : { ok: true, value: r.ns / 1e6 };
  }
  const base = medianNs([...prefix, ...m.argv(0)], m.runs, true);
  if ("error" in base) return failedCell(base.error);
  const n = iterationsWithin(m, prefix, base.ns);
  const full = medianNs([...prefix, ...m.argv(n)], m.runs, false);
  if ("error" in full) return failedCell(full.error);
  return valueFromDifference({ ...m, n }, base.ns, full.ns);
}

/** How long the iterations of one run may take: the row's n, fewer where each costs more. */
const ITERATIONS_BUDGET_NS = 10e9;

/**
 * The row's n, or fewer so that one run's iterations take about ITERATIONS_BUDGET_NS,
 * from a run of n/100 against the n=0 run: where an iteration costs far more than the row
 * was sized for (a syscall on KVM under PVM: 60-150 µs, not ~1 µs), the row still ends.
 */
function iterationsWithin(m: Extract<Measure, { kind: "per-iteration" | "rate" }>, prefix: readonly string[], baseNs: number): number {
  const probeN = Math.max(1, Math.floor(m.n / 100));
  const probe = timeOnce([...prefix, ...m.argv(probeN)]);
  if ("error" in probe) return m.n;
  const perIteration = (probe.ns - baseNs) / probeN;
  if (!(perIteration * m.n > ITERATIONS_BUDGET_NS)) return m.n;
  return Math.max(probeN, Math.floor(ITERATIONS_BUDGET_NS / perIteration));
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

/**
 * How many times slower the libos is than another column, whatever the unit: the time
 * ratio libos/other, or for a rate (higher is better) other/libos. Above 1× the libos
 * is slower, below 1× faster.
 */
export function formatSlowdown(libos: Cell | undefined, other: Cell | undefined, higherBetter: boolean): string {
  return higherBetter ? formatRatio(other, libos) : formatRatio(libos, other);
}

/** The slowdown as a number, or undefined when a side is missing or zero. */
export function slowdown(libos: Cell | undefined, other: Cell | undefined, higherBetter: boolean): number | undefined {
  const [num, den] = higherBetter ? [other, libos] : [libos, other];
  return num?.ok && den?.ok && den.value > 0 ? num.value / den.value : undefined;
}

/** A table cell: the value, or the failure text ("failed: …", "n/a"). */
export function formatCell(cell: Cell | undefined): string {
  return cell === undefined ? "n/a" : cell.ok ? formatValue(cell.value) : cell.text;
}

/**
 * The target column: its text, with ✓ or ✗ when it has a bound and libos has a value.
 * A relative target needs `relative`, the reference cell it names and the measure's
 * direction, and shows the slowdown it checked ("≤ 1.2× inproc: 1.1× ✓").
 */
export function formatTarget(
  target: Target,
  libos: Cell | undefined,
  relative?: { readonly reference: Cell | undefined; readonly higherBetter: boolean },
): string {
  if (!libos?.ok) return target.text;
  switch (target.kind) {
    case "informational":
      return target.text;
    case "at-most":
      return `${target.text} ${libos.value <= target.max ? "✓" : "✗"}`;
    case "at-least":
      return `${target.text} ${libos.value >= target.min ? "✓" : "✗"}`;
    case "slowdown-at-most": {
      if (!relative) return target.text;
      const s = slowdown(libos, relative.reference, relative.higherBetter);
      if (s === undefined) return target.text;
      const shown = formatSlowdown(libos, relative.reference, relative.higherBetter);
      return `${target.text}: ${shown} ${s <= target.max ? "✓" : "✗"}`;
    }
  }
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

/** The cells of each row (by name), and the failure lines to list under the table. */
interface Results {
  readonly cells: Map<string, Map<ColumnId, Cell>>;
  readonly failures: string[];
}

/**
 * Measures every column of `rows`, making their fixtures (and starting their peers) first.
 * A column whose command lines an earlier row already measured (native and qemu in the
 * fs-mode rows) reuses that cell instead of running them again.
 */
async function measureRows(rows: readonly RowDef[], prefixes: ReadonlyMap<ColumnId, string[] | { unavailable: string }>): Promise<Results> {
  const results: Results = { cells: new Map(), failures: [] };
  const made = new Set<Fixture>();
  const measured = new Map<string, Cell>();
  for (const row of rows) {
    process.stderr.write(`bench: ${row.name} ...\n`);
    let fixtureError: string | undefined;
    try {
      for (const f of row.fixtures ?? []) {
        if (!made.has(f)) f.make(f.path);
        made.add(f);
      }
    } catch (e) {
      fixtureError = `cannot make the row's files: ${e instanceof Error ? e.message : String(e)}`;
    }
    let peer: { stop: () => Promise<void> } | null = null;
    let peerUnavailable: string | undefined;
    if (row.peer && fixtureError === undefined) {
      try {
        const started = await row.peer.start();
        if ("unavailable" in started) peerUnavailable = started.unavailable;
        else peer = started;
      } catch (e) {
        fixtureError = `cannot start the row's peer: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    const cells = new Map<ColumnId, Cell>();
    for (const c of COLUMNS) {
      const p = prefixes.get(c.id);
      if (!p || !Array.isArray(p) || peerUnavailable !== undefined) {
        cells.set(c.id, unavailableCell(peerUnavailable ?? (p && !Array.isArray(p) ? p.unavailable : "unavailable")));
        continue;
      }
      if (row.columns && !row.columns.includes(c.id)) {
        cells.set(c.id, unavailableCell("not measured in this column"));
        continue;
      }
      const m = row.override?.[c.id] ?? row.measure;
      const libosLike = c.id === "libos" || c.id === "kvm";
      const launcher = libosLike && row.libosCommand === "boot" ? [p[0]!, "boot"] : p;
      const prefix = [...(row.wrap ?? []), ...(libosLike ? [...launcher, ...(row.libosOptions ?? [])] : launcher)];
      const key = measureKey(m, row.server ? [...prefix, ...row.server.argv(c.id)] : prefix);
      let cell = fixtureError === undefined ? measured.get(key) : failedCell(fixtureError);
      if (cell === undefined) {
        try {
          cell = row.server ? await measureServed(row.server, c.id, m, prefix, row.wrap ?? []) : measureCell(m, prefix);
        } catch (e) {
          cell = failedCell(`harness error: ${e instanceof Error ? e.message : String(e)}`);
        }
        measured.set(key, cell);
      }
      cells.set(c.id, cell);
      if (!cell.ok && cell.text !== "n/a") results.failures.push(`  ${row.name}, ${c.title}: ${cell.why}`);
    }
    await peer?.stop();
    results.cells.set(row.name, cells);
  }
  return results;
}

/**
 * A server row's cell: the server started under the column's prefix (its own process
 * group, so that a launcher and what it started stop together), the client measured on
 * the host once the server answers, then the server stopped.
 */
async function measureServed(server: ServerDef, column: ColumnId, m: Measure, prefix: readonly string[], wrap: readonly string[]): Promise<Cell> {
  const [cmd, ...args] = [...prefix, ...server.argv(column)];
  const child = spawn(cmd!, args, { stdio: ["pipe", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  let ended = false;
  void exited.then(() => (ended = true));
  try {
    const why = await Promise.race([
      server.ready().then(() => undefined, (e: Error) => e.message),
      exited.then(() => `the server ended: ${shorten(stderr, 200) || "no message"}`),
    ]);
    if (why !== undefined) return failedCell(why);
    return measureCell(m, wrap);
  } finally {
    if (!ended) {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // Gone meanwhile.
      }
      await exited;
    }
  }
}

/** The cell a relative target compares with, if the row has one and it was measured. */
function referenceCell(row: RowDef, cells: Results["cells"]): Cell | undefined {
  const t = row.target;
  if (t.kind !== "slowdown-at-most") return undefined;
  return "column" in t.vs ? cells.get(row.name)?.get(t.vs.column) : cells.get(t.vs.row)?.get("libos");
}

/**
 * Deletes the scratch folders of earlier runs that were killed before they could
 * (libos-bench-PID where no process PID is left).
 */
function removeStaleScratch(): void {
  const dir = path.dirname(SCRATCH);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^libos-bench-(\d+)$/.exec(name)?.[1];
    if (pid === undefined) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const rows = selectRows(ROWS, argv);
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

  let results: Results;
  removeStaleScratch();
  try {
    results = await measureRows(rows, prefixes);
  } finally {
    rmSync(SCRATCH, { recursive: true, force: true });
  }

  const header = ["benchmark", ...COLUMNS.map((c) => c.title), "slowdown vs native", "slowdown vs qemu", "kvm vs native", "target"];
  const table = rows.map((row) => {
    const cells = results.cells.get(row.name);
    const libos = cells?.get("libos");
    const higherBetter = higherIsBetter(row.measure);
    return [
      row.name,
      ...COLUMNS.map((c) => formatCell(cells?.get(c.id))),
      formatSlowdown(libos, cells?.get("native"), higherBetter),
      formatSlowdown(libos, cells?.get("qemu"), higherBetter),
      formatSlowdown(cells?.get("kvm"), cells?.get("native"), higherBetter),
      formatTarget(row.target, libos, { reference: referenceCell(row, results.cells), higherBetter }) +
        (row.kvmTarget ? `; kvm ${formatTarget(row.kvmTarget, cells?.get("kvm"), { reference: cells?.get("native"), higherBetter })}` : ""),
    ];
  });

  console.log("");
  console.log(renderTable(header, table));
  console.log("");
  console.log("slowdown: how many times slower the libos (Unicorn; kvm: on KVM) is (time: libos/other; rate: other/libos); < 1× is faster");
  // The fs-mode rows of one benchmark share their note.
  const notes = [...new Set(rows.flatMap((r) => (r.note ? [`  ${r.note}`] : [])))];
  if (notes.length > 0) {
    console.log("notes:");
    for (const n of notes) console.log(n);
  }
  if (results.failures.length > 0) {
    console.log("");
    console.log("failures:");
    for (const f of results.failures) console.log(f);
  }
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
