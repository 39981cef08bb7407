// The `libos` command line.
//
//   libos run [options] PROGRAM [ARGS...]   run a Linux program in a user kernel
//   libos boot [options] SYSTEM.json        user kernels side by side, as a system
//                                           description says (boot.ts)
//   libos syscalls                          print the syscall table (what is implemented)
//
// PROGRAM is a path in the guest's file system. By default the guest boots on the
// project's root image (busybox, /etc, the samples) with the host's current directory
// mounted at the same path as its working directory, so `libos run ./prog file` works as
// with qemu-x86_64; --sysroot DIR adds DIR's /usr and libraries, so that dynamically
// linked host programs run (as qemu's -L); mounts.ts has the whole layout. The exit status
// is the guest's, or 128+N when a signal N killed it (then one `libos:` line says so, as a
// shell would, unless the signal is SIGINT or SIGPIPE). A program that cannot start gets
// one `libos:` line, with a hint when the cause is the guest's file system.
//
// The host terminal (host_terminal.ts) is left as it was found on every way out: its
// modes are restored, and the launcher ends with _exit so that no pending host read of it
// outlives the guest. When the program stops (Ctrl-Z), the launcher stops with it, and
// `fg` continues both.

import { existsSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ENOENT } from "../linux-abi/errno.ts";
import { SIGHUP, SIGINT, SIGPIPE, SIGTERM, signalDescription } from "../linux-abi/signal.ts";
import { ElfError } from "./elf.ts";
import { NotInGuest } from "./find_program.ts";
import { HostTerminal, exitNow, stopSelf } from "./host_terminal.ts";
import { FS_MODES, SYSROOT_PARTS, guestLayout, type FsMode, type Sysroot, type Volume } from "./mounts.ts";
import { EngineNotFoundError } from "../microkernel/platform/unicorn_ffi.ts";
import { fsFaultFromEnv } from "../fs-task/mod.ts";
import { taskFaultFromEnv } from "../device-ipc/fault_hook.ts";
import { SYSCALLS } from "./sys/table.ts";
import { PLATFORM_CHOICES, type PlatformChoice } from "../microkernel/platform/platforms.ts";
import { UserKernel } from "./user_kernel.ts";
import { BootStop, bootSystem, type BootResult } from "./boot.ts";
import { bootReport } from "./boot_report.ts";
import { statsLines } from "./run_stats.ts";
import type { KernelSummary } from "./boot_kernel.ts";
import { SystemError, readSystem } from "./system_description.ts";
import { NET_MODES, defaultNetChoice, netConfigOf, type NetChoice } from "./net_options.ts";
import type { NetMode } from "../net-task/mod.ts";

const USAGE = `Usage: libos run [options] PROGRAM [ARGS...]
       libos boot [--summary FILE] [--stats] [--trace-ipc] [--report FILE.html] [--fs-mode MODE] [--net-mode MODE] SYSTEM.json
       libos syscalls

PROGRAM is a path in the guest (the root image, the host's current directory at its own
path, and what the options below mount); a name without "/" is looked up on PATH.

Options for run:
  -e, --env K=V        set an environment variable for the guest (repeatable);
                       -e K passes the host's value of K
      --clear-env      start from an empty environment
      --host-env       start from the host's environment (the default unless --isolate)
      --strace         print each syscall, strace-style, to stderr
      --trace-ipc      print each message between tasks to stderr (from, to, label,
                       size, time)
      --stats          at the end, what each task did (stderr): CPU time, syscalls
                       by name, messages per endpoint, the CPU platform and its runs
      --debug          print the stack of a LibOS internal error
  -m, --memory SIZE    memory quota of the user kernel (e.g. 512M, 2G; default 2G)
      --root DIR       a host directory as the guest's root, instead of the root image
      --sysroot DIR    show DIR's /usr, /lib, /lib64 and /etc/ld.so.cache read-only
                       in the guest, over the root: dynamically linked programs find
                       their interpreter and libraries there, and DIR's programs are
                       on PATH (--sysroot / runs the host's /usr/bin/python3, say);
                       /bin stays the root's (busybox on the image)
  -v, --volume HOST:GUEST[:ro]
                       mount a host directory in the guest (repeatable)
      --tmpfs PATH     mount an empty tmpfs at PATH (repeatable)
  -w, --workdir DIR    the guest's working directory
      --isolate        mount nothing of the host (not even the current directory) and
                       start from a guest environment of its own (PATH, HOME, TERM)
      --fs-mode MODE   how the file-system tasks run: inproc (default), ipc, worker
      --net NET        the guest's network: none (no AF_INET), loopback (lo only),
                       user (default: lo, plus eth0 10.0.2.15 through the host
                       gateway 10.0.2.2, DNS 10.0.2.3), tap:IFNAME[,ADDR/PREFIX][,gw=ADDR]
                       (eth0 on a host TAP device; default 10.0.0.2/24 gw 10.0.0.1)
  -p, --publish [ADDR:]HOSTPORT:GUESTPORT[/udp]
                       forward a host port (on 127.0.0.1, or ADDR) to the guest through
                       the gateway (--net user; repeatable); HOSTPORT 0 picks a free
                       port, which a libos: line reports
      --net-mode MODE  how the net-task runs: inproc (default), ipc, worker
      --net-faults SPEC
                       misbehave on purpose, reproducibly, e.g.
                       drop=0.1,dup=0.01,reorder=0.05,corrupt=0.01,delay=5,rate=100mbit,seed=42
      --platform P     the CPU platform guest code runs on: unicorn (an emulator; the
                       default), kvm (the host CPU, through /dev/kvm), auto (kvm where
                       /dev/kvm opens); LIBOS_PLATFORM sets the default
      --image FILE     the root image (default: the one setup builds)
  -h, --help           show this help

boot starts the user kernels a system description names (libos/system.schema.json;
examples in samples/systems/) and ends when every one has ended, with one summary line
per kernel on stderr (--summary FILE: the same as JSON). Exit status 0 when every
kernel ended with 0. --stats and --trace-ipc as for run, for every kernel;
--report FILE.html writes one page that draws the kernels, their tasks, endpoints and
channels with their message rates, and each kernel's syscall mix. --fs-mode MODE and
--net-mode MODE run every kernel's fs-tasks or net-task in MODE (inproc, ipc, worker),
whatever the description says. Ctrl-C (or SIGTERM) stops the boot as docker stop does:
SIGTERM to each kernel's programs, SIGKILL after 10 s or at the next Ctrl-C.`;

interface RunOptions {
  env: Map<string, string>;
  strace: boolean;
  traceIpc: boolean;
  stats: boolean;
  debug: boolean;
  memory: number;
  root: string | null;
  sysroot: string | null;
  volumes: Volume[];
  tmpfs: string[];
  workdir: string | null;
  isolate: boolean;
  fsMode: FsMode;
  net: NetChoice;
  platform: PlatformChoice;
  image: string;
  program: string;
  args: string[];
}

/** The host terminal as the launcher found it (null when none of fds 0, 1, 2 is one). */
const hostTerminal = HostTerminal.open();

const DEFAULT_IMAGE = fileURLToPath(new URL("../../.deps/initfs.img", import.meta.url));

function hostDir(path: string, what: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`${what}: ${path} is not a directory`);
  return path.startsWith("/") ? path : `${process.cwd()}/${path}`;
}

function guestPath(path: string, what: string): string {
  if (!path.startsWith("/")) throw new UsageError(`${what}: ${path} is not an absolute guest path`);
  return path;
}

function parseVolume(spec: string): Volume {
  const parts = spec.split(":");
  const ro = parts.length === 3 && parts[2] === "ro";
  if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && !ro && parts[2] !== "rw")) {
    throw new UsageError(`Cannot parse volume ${spec}: use HOST:GUEST or HOST:GUEST:ro`);
  }
  return { host: hostDir(parts[0]!, "Volume"), guest: guestPath(parts[1]!, "Volume"), readOnly: ro };
}

class UsageError extends Error {}

/** A parser's SyntaxError is a usage error. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw e instanceof SyntaxError ? new UsageError(e.message) : e;
  }
}

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new UsageError(`Cannot parse memory size: ${s}`);
  const mult = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Number(m[1]) * mult;
}

/** The host's environment, as the guest's (qemu-x86_64 passes it the same way). */
function hostEnv(): Map<string, string> {
  return new Map(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** An isolated guest's own environment, as a container runtime gives one: nothing of the host but the terminal type. */
function guestEnv(): Map<string, string> {
  const env = new Map([["PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], ["HOME", "/root"]]);
  if (process.env.TERM !== undefined) env.set("TERM", process.env.TERM);
  return env;
}

function platformChoice(name: string, from: string): PlatformChoice {
  if (!(PLATFORM_CHOICES as readonly string[]).includes(name)) throw new UsageError(`Unknown platform in ${from}: ${name} (use ${PLATFORM_CHOICES.join(", ")})`);
  return name as PlatformChoice;
}

function parseRun(argv: string[]): RunOptions {
  // The environment is decided once the options are read: --isolate changes its start.
  const edits: ((env: Map<string, string>) => void)[] = [];
  let base: "host" | "guest" | null = null;
  const opts: RunOptions = {
    env: new Map(), strace: false, traceIpc: false, stats: false, debug: false, memory: 2 * 1024 ** 3, root: null, sysroot: null, volumes: [], tmpfs: [], workdir: null,
    isolate: false, fsMode: "inproc", net: defaultNetChoice(), platform: platformChoice(process.env.LIBOS_PLATFORM || "unicorn", "LIBOS_PLATFORM"),
    image: DEFAULT_IMAGE, program: "", args: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`Option ${a} needs a value`);
      return v;
    };
    if (a === "-e" || a === "--env") {
      const kv = value();
      const eq = kv.indexOf("=");
      const host = process.env[kv];
      if (eq > 0) edits.push((env) => env.set(kv.slice(0, eq), kv.slice(eq + 1)));
      else if (host !== undefined) edits.push((env) => env.set(kv, host));
    } else if (a === "--clear-env") edits.push((env) => env.clear());
    else if (a === "--host-env") base = "host";
    else if (a === "--strace") opts.strace = true;
    else if (a === "--trace-ipc") opts.traceIpc = true;
    else if (a === "--stats") opts.stats = true;
    else if (a === "--debug") opts.debug = true;
    else if (a === "-m" || a === "--memory") opts.memory = parseSize(value());
    else if (a === "--root") opts.root = hostDir(value(), "Root");
    else if (a === "--sysroot") opts.sysroot = hostDir(value(), "Sysroot");
    else if (a === "-v" || a === "--volume") opts.volumes.push(parseVolume(value()));
    else if (a === "--tmpfs") opts.tmpfs.push(guestPath(value(), "tmpfs"));
    else if (a === "-w" || a === "--workdir") opts.workdir = guestPath(value(), "Working directory");
    else if (a === "--isolate") opts.isolate = true;
    else if (a === "--image") opts.image = value();
    else if (a === "--platform") opts.platform = platformChoice(value(), "--platform");
    else if (a === "--fs-mode") {
      const mode = value();
      if (!(FS_MODES as readonly string[]).includes(mode)) throw new UsageError(`Unknown fs mode: ${mode} (use ${FS_MODES.join(", ")})`);
      opts.fsMode = mode as FsMode;
    }
    else if (a === "--net") {
      opts.net.net = value();
    } else if (a === "--net-mode") {
      const mode = value();
      if (!(NET_MODES as readonly string[]).includes(mode)) throw new UsageError(`Unknown net mode: ${mode} (use ${NET_MODES.join(", ")})`);
      opts.net.mode = mode as NetMode;
    } else if (a === "--net-faults") opts.net.faults = value();
    else if (a === "-p" || a === "--publish") opts.net.forwards.push(value());
    else if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else throw new UsageError(`Unknown option: ${a}`);
  }
  if (i >= argv.length) throw new UsageError("Missing PROGRAM");
  opts.env = (base ?? (opts.isolate ? "guest" : "host")) === "host" ? hostEnv() : guestEnv();
  for (const edit of edits) edit(opts.env);
  opts.program = argv[i]!;
  opts.args = argv.slice(i + 1);
  return opts;
}

async function run(argv: string[]): Promise<number> {
  const opts = parseRun(argv);
  if (opts.root === null && !existsSync(opts.image)) {
    throw new Error(`no root image at ${opts.image}: run \`npm run setup\`, or pass --root DIR`);
  }
  const layout = guestLayout({
    root: opts.root, image: opts.image, volumes: opts.volumes, tmpfs: opts.tmpfs, workdir: opts.workdir,
    isolate: opts.isolate, hostCwd: process.cwd(), sysroot: opts.sysroot === null ? null : sysrootOf(opts.sysroot),
  });
  const net = usage(() => netConfigOf(opts.net));
  const fault = fsFaultFromEnv(process.env.LIBOS_TEST_FS_FAULT);
  const netFault = taskFaultFromEnv("LIBOS_TEST_NET_FAULT", process.env.LIBOS_TEST_NET_FAULT);
  const uk: UserKernel = await UserKernel.create({
    ...(fault ? { fsFault: fault.spec } : {}),
    ...(netFault ? { netFault: netFault.spec } : {}),
    memoryQuota: opts.memory, layout, fsMode: opts.fsMode, net, strace: opts.strace, debug: opts.debug, stats: opts.stats, platform: opts.platform,
    ...(opts.traceIpc ? { traceIpc: (line: string) => process.stderr.write(line + "\n") } : {}),
    consoleFd: hostTerminal?.fd ?? null,
    onInitStopped: (sig) => {
      if (hostTerminal) hostTerminal.suspend(sig);
      else stopSelf(sig);
      uk.continueInit();
    },
  });
  for (const f of uk.network?.forwards ?? []) {
    if (f.hostPort === 0) process.stderr.write(`libos: -p ${f.hostAddress}:0:${f.guestPort}/${f.protocol} listens on port ${f.boundPort}\n`);
  }
  const envp = [...opts.env].map(([k, v]) => `${k}=${v}`);
  let exit;
  try {
    uk.spawn([[opts.program, ...opts.args]], envp);
    exit = await uk.run();
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    // As a shell reports a program it cannot run: 127 when it is not there, 126 otherwise.
    process.stderr.write(`libos: ${opts.program}: ${e.message}${e instanceof NotInGuest ? hintFor(e, opts) : ""}\n`);
    return e.errno === ENOENT ? 127 : 126;
  } finally {
    hostTerminal?.restore();
    await uk.shutdown();
  }
  const stats = uk.runStats();
  if (stats !== null) process.stderr.write(statsLines(stats, false).join("\n") + "\n");
  if (opts.stats) {
    const s = uk.stats;
    process.stderr.write(`libos: stats: platform ${uk.platform.name}, ${s.runs} CPU runs, ${s.fastSyscalls} syscalls answered inside a run, ${s.faults} faults\n`);
  }
  if (exit.failure !== undefined) {
    process.stderr.write(`libos: ${opts.program}: the user kernel failed: ${exit.failure}\n`);
    return 70;
  }
  if (exit.signal) {
    if (opts.strace) process.stderr.write(`+++ killed by signal ${exit.signal} +++\n`);
    // As a shell reports a job a signal ended (not for Ctrl-C, nor a closed pipe).
    if (exit.signal !== SIGINT && exit.signal !== SIGPIPE) {
      process.stderr.write(`libos: ${opts.program}: killed by signal ${exit.signal} (${signalDescription(exit.signal)})\n`);
    }
    return 128 + exit.signal;
  }
  if (opts.strace) process.stderr.write(`+++ exited with ${exit.status} +++\n`);
  return exit.status;
}

/** The parts of SYSROOT_PARTS that `dir` has. */
function sysrootOf(dir: string): Sysroot {
  return { source: dir, parts: SYSROOT_PARTS.filter((part) => existsSync(dir + part)) };
}

/** What to do about a program or interpreter missing from the guest, for the `libos:` line. */
function hintFor(e: NotInGuest, opts: RunOptions): string {
  if (e.what === "interpreter") {
    return opts.sysroot === null
      ? ": pass --sysroot / (the host's libraries) or build the program with -static"
      : ` nor in the sysroot ${opts.sysroot}`;
  }
  const host = e.what === "program" ? opts.program : e.path;
  if (!host.includes("/") || !existsSync(host)) return "";
  const sysroot = opts.sysroot === null ? ", --sysroot / for the host's /usr," : "";
  const where = e.what === "program" ? " in the guest" : " (in the guest)";
  return `${where}; the host has it: pass -v DIR:DIR for its directory${sysroot} or --root /`;
}

/** One summary line: how the kernel ended and what it used. */
function summaryLine(s: KernelSummary): string {
  const end = s.failure !== null ? `failed: ${s.failure}`
    : s.signal !== 0 ? `killed by signal ${s.signal} (${signalDescription(s.signal)})` : `exited with ${s.status}`;
  const mib = (s.peakBytes / 1024 ** 2).toFixed(1);
  const refused = s.quotaRefusals > 0 ? `, memory quota exhausted ${s.quotaRefusals} time${s.quotaRefusals === 1 ? "" : "s"}` : "";
  const restarted = (task: string, n: number): string => (n > 0 ? `, ${task} restarted ${n} time${n === 1 ? "" : "s"}` : "");
  return `libos: [${s.name}] ${end}; cpu ${(s.cpuUs / 1e6).toFixed(2)} s, peak memory ${mib} MiB, ${s.syscalls} syscalls${refused}` +
    `${restarted("fs-task", s.fsRestarts)}${restarted("net-task", s.netRestarts)}\n`;
}

async function boot(argv: string[]): Promise<number> {
  let summaryFile: string | null = null;
  let reportFile: string | null = null;
  let stats = false, traceIpc = false;
  let netMode: NetMode | undefined;
  let fsMode: FsMode | undefined;
  const rest = [...argv];
  while (rest[0]?.startsWith("-")) {
    const a = rest.shift()!;
    if (a === "--summary" && rest.length > 0) summaryFile = rest.shift()!;
    else if (a === "--report" && rest.length > 0) reportFile = rest.shift()!;
    else if (a === "--stats") stats = true;
    else if (a === "--trace-ipc") traceIpc = true;
    else if (a === "--net-mode" && rest.length > 0) {
      const mode = rest.shift()!;
      if (!(NET_MODES as readonly string[]).includes(mode)) throw new UsageError(`Unknown net mode: ${mode} (use ${NET_MODES.join(", ")})`);
      netMode = mode as NetMode;
    } else if (a === "--fs-mode" && rest.length > 0) {
      const mode = rest.shift()!;
      if (!(FS_MODES as readonly string[]).includes(mode)) throw new UsageError(`Unknown fs mode: ${mode} (use ${FS_MODES.join(", ")})`);
      fsMode = mode as FsMode;
    } else throw new UsageError(`Unknown option for boot: ${a}`);
  }
  if (rest.length !== 1) throw new UsageError("boot takes one SYSTEM.json");
  let spec;
  try {
    spec = readSystem(rest[0]!);
    if (fsMode) spec = { ...spec, kernels: spec.kernels.map((k) => ({ ...k, fsMode })) };
  } catch (e) {
    if (!(e instanceof SystemError)) throw e;
    process.stderr.write(`libos: ${e.message}\n`);
    return 2;
  }
  if (!existsSync(DEFAULT_IMAGE) && spec.kernels.some((k) => "image" in k.root && k.root.image === null)) {
    throw new Error(`no root image at ${DEFAULT_IMAGE}: run \`npm run setup\``);
  }
  let result: BootResult;
  const stop = new BootStop();
  // A kernel that owns the terminal or stdin gets the host's signals; else they stop the boot.
  const stopSignals = spec.kernels.some((k) => k.console.output === "tty" || k.console.stdin === "host") ? null : onStopSignals(stop);
  try {
    const fault = fsFaultFromEnv(process.env.LIBOS_TEST_FS_FAULT);
    const netFault = taskFaultFromEnv("LIBOS_TEST_NET_FAULT", process.env.LIBOS_TEST_NET_FAULT);
    result = await bootSystem(spec, {
      defaultImage: DEFAULT_IMAGE, terminalFd: hostTerminal?.fd ?? null, stats: stats || reportFile !== null, traceIpc,
      stop, ...(netMode ? { netMode } : {}),
      ...(fault?.kernel ? { fsFault: new Map([[fault.kernel, fault.spec]]) } : {}),
      ...(netFault?.kernel ? { netFault: new Map([[netFault.kernel, netFault.spec]]) } : {}),
    });
  } finally {
    stopSignals?.off();
    hostTerminal?.restore();
  }
  const { summaries } = result;
  for (const s of summaries) process.stderr.write(summaryLine(s));
  if (stats) for (const s of summaries) if (s.stats) process.stderr.write(statsLines(s.stats, true).join("\n") + "\n");
  if (reportFile !== null) writeFileSync(reportFile, bootReport(spec, result));
  if (summaryFile !== null) writeFileSync(summaryFile, JSON.stringify(summaries, null, 2) + "\n");
  // Stopped by a signal: as a shell reports a program that signal ended.
  if (stopSignals?.first) return 128 + stopSignals.first;
  return summaries.every((s) => s.failure === null && s.signal === 0 && s.status === 0) ? 0 : 1;
}

/** How long the kernels have between SIGTERM and SIGKILL when the boot is stopped (docker stop's default). */
const STOP_GRACE_MS = 10_000;

/**
 * SIGINT, SIGTERM and SIGHUP stop the boot as `docker stop` does: SIGTERM to every kernel's
 * programs, then SIGKILL after STOP_GRACE_MS or at the next signal.
 */
function onStopSignals(stop: BootStop): { off(): void; readonly first: number } {
  let first = 0;
  let grace: NodeJS.Timeout | null = null;
  const installed = ([["SIGINT", SIGINT], ["SIGTERM", SIGTERM], ["SIGHUP", SIGHUP]] as const).map(([name, sig]) => {
    const handler = (): void => {
      first ||= sig;
      if (stop.request()) {
        process.stderr.write("libos: killing every kernel (SIGKILL)\n");
        return;
      }
      process.stderr.write(`libos: stopping every kernel: SIGTERM to their programs, SIGKILL in ${STOP_GRACE_MS / 1000} s or at the next ${name === "SIGINT" ? "Ctrl-C" : name}\n`);
      grace = setTimeout(() => stop.request(), STOP_GRACE_MS);
      grace.unref();
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return {
    off() {
      installed.forEach((off) => off());
      if (grace !== null) clearTimeout(grace);
    },
    get first() {
      return first;
    },
  };
}

function printSyscalls(): number {
  const rows = SYSCALLS.filter((e) => e !== undefined);
  for (const e of rows) process.stdout.write(`${String(e.nr).padStart(3)}  ${e.name.padEnd(20)} ${e.support.padEnd(8)} ${e.note}\n`);
  process.stdout.write(`${rows.length} syscalls implemented; every other number returns ENOSYS and is reported once.\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === "run") return await run(rest);
    if (cmd === "boot") return await boot(rest);
    if (cmd === "syscalls") return printSyscalls();
    if (cmd === "-h" || cmd === "--help" || cmd === "help") {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    throw new UsageError(cmd ? `Unknown command: ${cmd}` : "Missing command");
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`libos: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof EngineNotFoundError || e instanceof Error) {
      process.stderr.write(`libos: ${e.message}\n`);
      return 127;
    }
    throw e;
  }
}

/**
 * Leave with `status`: the terminal's modes back, and at once, without waiting for a host
 * read of stdin the guest started (still pending in a pool thread, exit(3) would wait for
 * it, and for the user's next line, which it would then swallow).
 */
function leave(status: number): never {
  hostTerminal?.restore();
  exitNow(status);
}

// A LibOS bug outside any guest's syscall: reported, then the same way out.
process.on("uncaughtException", (e) => {
  process.stderr.write(`libos: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  leave(1);
});

leave(await main(process.argv.slice(2)));
