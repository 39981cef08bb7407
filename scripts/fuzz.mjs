// `npm run fuzz`: a long syscall-fuzzing campaign under the LibOS (tests/fuzz/syscall_fuzz).
//
//   npm run fuzz -- [--seed N]... [--calls N] [--fs-mode inproc|ipc|worker] [--net-mode inproc|ipc|worker]
//                   [--hang SECONDS] [--cli PATH]
//
// Each seed runs in its own LibOS process, in a fresh host directory mounted as the guest's
// working directory, with the guest's network on its loopback only (--net loopback: fuzzed
// connects and sendtos must not reach the host's network through the gateway). While it runs, the LibOS's host RSS is sampled from /proc/<pid>/status.
// A run fails on: a host exception (a JS error or stack trace on stderr), an
// "internal error" line, no advance of the fuzzer's progress for --hang seconds, an exit
// status other than the fuzzer's 0, or no summary line. The exit status is 1 when any run failed.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FUZZER = join(ROOT, "tests/fuzz/syscall_fuzz");
const RSS_EVERY_MS = 1000;

/** Lines on the LibOS's stderr that mean the host, not the guest, failed. */
const HOST_FAILURE = [
  /internal error/,
  /^\s+at .*(\.js|\.ts|node:)/,
  /^(Uncaught )?[A-Z][A-Za-z]*Error( \[[A-Z_]+\])?: /,
  /^Node\.js v\d/,
  /FATAL ERROR|Segmentation fault|Aborted/,
];

function usage(message) {
  console.error(`fuzz: ${message}`);
  console.error("usage: npm run fuzz -- [--seed N]... [--calls N] [--fs-mode inproc|ipc|worker] [--net-mode inproc|ipc|worker] [--hang SECONDS] [--cli PATH]");
  process.exit(2);
}

function parse(argv) {
  const opts = { seeds: [], calls: 1_000_000, fsMode: "inproc", netMode: "inproc", hangSeconds: 120, cli: join(ROOT, "dist/libos/cli.js") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    const count = () => {
      const v = Number(value());
      if (!Number.isSafeInteger(v) || v < 0) usage(`${a} takes a whole number`);
      return v;
    };
    if (a === "--seed") opts.seeds.push(count());
    else if (a === "--calls") opts.calls = count();
    else if (a === "--fs-mode") opts.fsMode = value();
    else if (a === "--net-mode") opts.netMode = value();
    else if (a === "--hang") opts.hangSeconds = count();
    else if (a === "--cli") opts.cli = resolve(value());
    else usage(`unknown option ${a}`);
  }
  if (!["inproc", "ipc", "worker"].includes(opts.fsMode)) usage(`unknown fs mode ${opts.fsMode}`);
  if (!["inproc", "ipc", "worker"].includes(opts.netMode)) usage(`unknown net mode ${opts.netMode}`);
  if (opts.seeds.length === 0) opts.seeds.push(1);
  return opts;
}

function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Calls `onLine` for each complete line of a stream. */
function lines(stream, onLine) {
  let rest = "";
  stream.setEncoding("latin1");
  stream.on("data", (chunk) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop();
    parts.forEach(onLine);
  });
  stream.on("end", () => rest && onLine(rest));
}

const mib = (kib) => (kib === null ? "?" : `${(kib / 1024).toFixed(0)} MiB`);

function runSeed(opts, seed) {
  const dir = mkdtempSync(join(tmpdir(), "libos-fuzz-"));
  const args = [opts.cli, "run", "--fs-mode", opts.fsMode, "--net", "loopback", "--net-mode", opts.netMode, "-v", `${ROOT}:${ROOT}:ro`, FUZZER, "--seed", String(seed), "--calls", String(opts.calls)];
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const run = { seed, failures: [], summary: null, progress: 0, rss: { start: null, end: null, max: 0 }, unsupported: 0 };
  let advancedAt = Date.now();

  lines(child.stdout, (line) => {
    const progress = /^fuzz: progress (\d+)\//.exec(line);
    if (progress) {
      if (Number(progress[1]) > run.progress) advancedAt = Date.now();
      run.progress = Number(progress[1]);
      console.log(`fuzz: seed ${seed}: ${run.progress}/${opts.calls} calls, ${((Date.now() - started) / 1000).toFixed(0)} s, host RSS ${mib(run.rss.end)}`);
    } else if (line.startsWith("fuzz: summary")) {
      run.summary = line;
      console.log(line);
    } else if (/^fuzz: (signals|parent-signals|results|syscalls)/.test(line)) console.log(line);
    else if (/^fuzz: call \d+/.test(line)) console.log(`fuzz: seed ${seed}: ${line.slice(6)}`);
  });
  lines(child.stderr, (line) => {
    if (/^libos: (unsupported syscall|more unsupported syscalls)/.test(line)) {
      run.unsupported++;
      return;
    }
    if (HOST_FAILURE.some((re) => re.test(line))) run.failures.push(`host: ${line}`);
    console.error(`fuzz: seed ${seed}: stderr: ${line}`);
  });

  const sampler = setInterval(() => {
    const kib = rssKiB(child.pid);
    if (kib === null) return;
    run.rss.start ??= kib;
    run.rss.end = kib;
    run.rss.max = Math.max(run.rss.max, kib);
    if (Date.now() - advancedAt > opts.hangSeconds * 1000) {
      run.failures.push(`hang: no progress for ${opts.hangSeconds} s after ${run.progress} calls`);
      child.kill("SIGKILL");
    }
  }, RSS_EVERY_MS);

  return new Promise((done) => {
    child.on("close", (status, signal) => {
      clearInterval(sampler);
      rmSync(dir, { recursive: true, force: true });
      run.seconds = (Date.now() - started) / 1000;
      if (status !== 0) run.failures.push(`exit: status ${status ?? `signal ${signal}`} (the fuzzer exits 0)`);
      if (!run.summary) run.failures.push("no summary line");
      done(run);
    });
  });
}

const opts = parse(process.argv.slice(2));
let failed = false;
for (const seed of opts.seeds) {
  console.log(`fuzz: seed ${seed}: ${opts.calls} calls, --fs-mode ${opts.fsMode} --net-mode ${opts.netMode}`);
  const run = await runSeed(opts, seed);
  const calls = /calls (\d+) returned (\d+)/.exec(run.summary ?? "");
  console.log(
    `fuzz: seed ${seed}: ${calls ? `${calls[1]} calls (${calls[2]} returned)` : `${run.progress} calls`} in ${run.seconds.toFixed(0)} s; ` +
      `host RSS start ${mib(run.rss.start)}, end ${mib(run.rss.end)}, max ${mib(run.rss.max)}; ` +
      `${run.unsupported} unsupported syscalls reported; ${run.failures.length ? "FAILED" : "ok"}`,
  );
  for (const f of run.failures) console.log(`fuzz: seed ${seed}: ${f}`);
  if (run.failures.length) failed = true;
}
process.exit(failed ? 1 : 0);
