// Shared helpers for the integration and differential suites: run the LibOS CLI
// (`node dist/libos/cli.js run ...`) and the same static binary natively.

import { spawn as spawnAsync, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = join(ROOT, "dist/libos/cli.js");
export const BUSYBOX = "/bin/busybox";
export const HELLO_MUSL = join(ROOT, "samples/hello/hello-musl");
export const HELLO_GLIBC = join(ROOT, "samples/hello/hello-glibc");
export const GETPPID_LOOP = join(ROOT, "samples/bench/getppid-loop");

/** Per-run time limit; the emulated CPU is slower than native. */
export const RUN_TIMEOUT_MS = 30_000;

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status; 128+N when killed by signal N (as a shell reports it). */
  status: number;
  /** Set when the process was killed by a signal (native) or timed out. */
  signal: NodeJS.Signals | null;
  /** Set when spawning itself failed (e.g. ENOENT, ETIMEDOUT). */
  error?: Error;
}

export interface RunOptions {
  cwd?: string;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeout?: number;
  /** How stdout/stderr are decoded; "latin1" keeps binary output byte-exact. Default utf8. */
  encoding?: BufferEncoding;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
};

function toResult(r: SpawnSyncReturns<string>): RunResult {
  let status = r.status ?? -1;
  if (r.status === null && r.signal) status = 128 + (SIGNAL_NUMBERS[r.signal] ?? 0);
  const res: RunResult = { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status, signal: r.signal };
  if (r.error) res.error = r.error;
  return res;
}

/** Ensure dist/libos/cli.js exists; build it once if not. Call from beforeAll. */
export function ensureBuilt(): void {
  if (existsSync(CLI)) return;
  // Type errors from folders under development may be reported; tsc still emits JS.
  spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
  if (!existsSync(CLI)) throw new Error(`build did not produce ${CLI}`);
}

function spawn(command: string, args: string[], opts: RunOptions): RunResult {
  return toResult(
    spawnSync(command, args, {
      cwd: opts.cwd ?? ROOT,
      input: opts.input ?? "",
      env: opts.env ?? process.env,
      encoding: opts.encoding ?? "utf8",
      timeout: opts.timeout ?? RUN_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    }),
  );
}

/**
 * `node dist/libos/cli.js run [libosArgs...] program [args...]`. The guest boots on the
 * root image with its cwd mounted; the project directory is mounted at its own path too
 * (read-only), so samples and fixtures keep their host paths.
 */
export function runLibos(libosArgs: string[], program: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  const cwd = opts.cwd ?? ROOT;
  const project = cwd === ROOT || cwd.startsWith(ROOT + "/") ? [] : ["-v", `${ROOT}:${ROOT}:ro`];
  return spawn(process.execPath, [CLI, "run", ...PLATFORM_ARGS, ...project, ...libosArgs, program, ...args], opts);
}

/** LIBOS_PLATFORM=kvm (or unicorn, auto) runs every suite's guests on that CPU platform. */
const PLATFORM_ARGS = process.env.LIBOS_PLATFORM ? ["--platform", process.env.LIBOS_PLATFORM] : [];

/** A LibOS launch that runs while the test goes on (its peer on the host is the test itself). */
export interface LibosProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  readonly out: { stdout: string; stderr: string };
  /** Resolves with the first match of `re` in stdout (or stderr), as soon as it is printed; rejects if the launcher ends first. */
  waitFor(re: RegExp, stream?: "stdout" | "stderr"): Promise<RegExpExecArray>;
  /** Resolves with the exit status (128+N for a signal) once the launcher ended. */
  readonly exited: Promise<number>;
}

/** runLibos, started and not waited for: `prefix` runs before node (e.g. ip netns exec NS). */
export function startLibos(libosArgs: string[], program: string, args: string[] = [], prefix: string[] = []): LibosProcess {
  const argv = [...prefix, process.execPath, CLI, "run", ...PLATFORM_ARGS, "-v", `${ROOT}:${ROOT}:ro`, ...libosArgs, program, ...args];
  const child = spawnAsync(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  const waiters = new Set<() => void>();
  const changed = (): void => waiters.forEach((w) => w());
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { out.stdout += d; changed(); });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { out.stderr += d; changed(); });
  const exited = new Promise<number>((resolve) => child.on("close", (code, signal) => {
    resolve(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0));
    changed();
  }));
  let ended = false;
  void exited.then(() => { ended = true; changed(); });
  const waitFor = (re: RegExp, stream: "stdout" | "stderr" = "stdout"): Promise<RegExpExecArray> => new Promise((resolve, reject) => {
    const check = (): void => {
      const m = re.exec(out[stream]);
      if (m !== null || ended) waiters.delete(check);
      if (m !== null) resolve(m);
      else if (ended) reject(new Error(`The launcher ended before ${re} (stdout: ${out.stdout.slice(-500)} stderr: ${out.stderr.slice(-500)})`));
    };
    waiters.add(check);
    check();
  });
  return { child, out, waitFor, exited };
}

const ALL_FS_MODES = ["inproc", "ipc", "worker"] as const;
export type FsMode = (typeof ALL_FS_MODES)[number];

/**
 * The fs modes a suite runs its cases in: all three, or those LIBOS_FS_MODES names
 * (comma-separated; the KVM pass runs one, since the modes do not touch the CPU platform).
 */
export function fsModesUnderTest(): readonly FsMode[] {
  const named = process.env.LIBOS_FS_MODES?.split(",").filter((m): m is FsMode => (ALL_FS_MODES as readonly string[]).includes(m));
  return named && named.length > 0 ? named : ALL_FS_MODES;
}

/** Any other `node dist/libos/cli.js ...` command (e.g. `syscalls`). */
export function runCli(args: string[], opts: RunOptions = {}): RunResult {
  return spawn(process.execPath, [CLI, ...args], opts);
}

/** Run the program directly on the host. */
export function runNative(program: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  return spawn(program, args, opts);
}

/** Whether an executable is on PATH. */
export function haveTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

/** Fresh temp dirs for one describe block, all removed after it: `const fresh = tempDirs("libos-x-"); fresh()`. */
export function tempDirs(prefix: string): () => string {
  const made: Array<() => void> = [];
  afterAll(() => made.splice(0).forEach((c) => c()));
  return () => {
    const t = makeTempDir(prefix);
    made.push(t.cleanup);
    return t.dir;
  };
}

/** A fresh temp dir; returns its path and a cleanup function. */
export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
