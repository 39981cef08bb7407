// The `libos` command line.
//
//   libos run [options] PROGRAM [ARGS...]   run a static Linux program in a user kernel
//   libos syscalls                          print the syscall table (what is implemented)
//
// PROGRAM is a path in the guest's file system; until the file-system work brings the
// default root image the guest sees the host's file system (as qemu-x86_64 does) and
// starts in the host's current directory. The exit status is the guest's, or 128+N
// when a signal N killed it.

import { ElfError } from "./elf.ts";
import { EngineNotFoundError } from "../microkernel/platform/unicorn_ffi.ts";
import { SYSCALLS } from "./sys/table.ts";
import { UserKernel } from "./user_kernel.ts";

const USAGE = `Usage: libos run [options] PROGRAM [ARGS...]
       libos syscalls

Options for run:
  -e, --env K=V        set an environment variable for the guest (repeatable)
      --clear-env      start from an empty environment instead of the host's
      --strace         print each syscall, strace-style, to stderr
  -m, --memory SIZE    memory quota of the user kernel (e.g. 512M, 2G; default 2G)
  -h, --help           show this help`;

interface RunOptions {
  env: Map<string, string>;
  strace: boolean;
  memory: number;
  program: string;
  args: string[];
}

class UsageError extends Error {}

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new UsageError(`Cannot parse memory size: ${s}`);
  const mult = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Number(m[1]) * mult;
}

function parseRun(argv: string[]): RunOptions {
  const env = new Map(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const opts: RunOptions = { env, strace: false, memory: 2 * 1024 ** 3, program: "", args: [] };
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
      if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
      else if (process.env[kv] !== undefined) env.set(kv, process.env[kv]!);
    } else if (a === "--clear-env") env.clear();
    else if (a === "--strace") opts.strace = true;
    else if (a === "-m" || a === "--memory") opts.memory = parseSize(value());
    else if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else throw new UsageError(`Unknown option: ${a}`);
  }
  if (i >= argv.length) throw new UsageError("Missing PROGRAM");
  opts.program = argv[i]!;
  opts.args = argv.slice(i + 1);
  return opts;
}

async function run(argv: string[]): Promise<number> {
  const opts = parseRun(argv);
  const uk = new UserKernel({ memoryQuota: opts.memory, cwd: process.cwd(), strace: opts.strace });
  const envp = [...opts.env].map(([k, v]) => `${k}=${v}`);
  uk.spawn(opts.program, [opts.program, ...opts.args], envp);
  const exit = await uk.run();
  if (exit.signal) {
    if (opts.strace) process.stderr.write(`+++ killed by signal ${exit.signal} +++\n`);
    return 128 + exit.signal;
  }
  if (opts.strace) process.stderr.write(`+++ exited with ${exit.status} +++\n`);
  return exit.status;
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
    if (e instanceof ElfError || e instanceof EngineNotFoundError || e instanceof Error) {
      process.stderr.write(`libos: ${e.message}\n`);
      return e instanceof ElfError ? 126 : 127;
    }
    throw e;
  }
}

// Exit now: a host read of stdin the guest started may still be pending.
process.exit(await main(process.argv.slice(2)));
