// Starting a program: execve(2) in a process, and the user kernel's first processes
// (Linux: fs/exec.c; the ELF loading itself is loader.ts, finding the file and its
// interpreters find_program.ts).
//
//   execve      find the program through the guest's file system (following `#!`, as the
//               caller: permissions, chroot), deny writers (ETXTBSY), take a set-user-ID
//               program's ids, load it into a new address space; then, past the point of
//               no return, replace the process image
//   spawnPrograms  boot: the programs the user kernel starts with, each command looked
//               up on the guest's PATH as execvp would. pid 1 is the user kernel's own
//               init (no threads; as `docker run --init`) with the programs beneath it,
//               or the one program itself (as `docker run`)
//
// What exec keeps and drops follows Linux: other threads die; close-on-exec descriptors
// close; a shared descriptor table is unshared; handled signals return to their default
// action (ignored ones stay ignored); timers other than ITIMER_REAL go; the alternate
// signal stack, clear_child_tid and the robust list are forgotten.

import { ENOMEM } from "../linux-abi/errno.ts";
import { AT_FDCWD, O_RDONLY, O_WRONLY } from "../linux-abi/fcntl.ts";
import { RLIMIT_NOFILE, RLIMIT_STACK, type Rlimit } from "../linux-abi/resource.ts";
import { SIGCHLD, SIG_IGN } from "../linux-abi/signal.ts";
import { setWord } from "../microkernel/mod.ts";
import { Msg } from "../syscall-shim/x86_64.ts";
import { execCreds } from "./capabilities.ts";
import type { Credentials } from "./creds.ts";
import { ElfError } from "./elf.ts";
import { killThread, releaseFutexes, releaseSpace, releaseVfork, setExe, type ExitContext } from "./exit.ts";
import { FdTable, OpenFile } from "./file.ts";
import { closeProgram, findProgram, type ExecAccess, type ProgramImage } from "./find_program.ts";
import { loadElf, type LoadArgs, type LoadedProgram } from "./loader.ts";
import type { GuestMemory } from "./memory.ts";
import { MAY_EXEC, permission } from "./permission.ts";
import { FsContext, ITIMER_REAL_ID, Process, SignalHandlers, Thread } from "./process.ts";
import { NR_OPEN, softLimit } from "./rlimits.ts";
import { DEFAULT_ACTION } from "./signal_delivery.ts";
import { lookupAt } from "./sys/_path.ts";
import { RESUME, type KernelServices, type SyscallResult } from "./sys/context.ts";
import { joinPath } from "./vfs.ts";

/** What exec uses of the kernel-task. */
export interface ExecContext extends ExitContext, Pick<KernelServices, "vfs"> {}

/** PATH when the environment has none (Linux's execvp default, as busybox has it). */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** execve(2): `path` resolved; `given` as the caller wrote it (a #! script's argument). */
export function execve(k: ExecContext, t: Thread, path: string, given: string, argv: string[], envp: string[]): SyscallResult {
  const p = t.process;
  const access: ExecAccess = {
    lookup: (name) => {
      const lk = lookupAt(k, t, AT_FDCWD, name, "follow");
      return typeof lk === "number" ? lk : lk.path;
    },
    mayExec: (st) => permission(t.creds, st, MAY_EXEC),
  };
  const image = findProgram(k.vfs, path, given, argv, access);
  if (image instanceof ElfError) return -image.errno;
  // No descriptor may have the program open for writing (ETXTBSY), nor open it so while it runs.
  const busy = k.writeAccess.deny(image.file.inode);
  if (busy < 0) {
    closeProgram(image);
    return busy;
  }
  // A set-user-ID or set-group-ID program's ids, and the capability sets the program starts with.
  const creds = execCreds(t.creds, image.file.owner);
  const memory = k.machine.newSpace();
  if (!memory) {
    closeProgram(image);
    k.writeAccess.allow(image.file.inode);
    return -ENOMEM;
  }
  let loaded;
  try {
    loaded = loadProgram(k, memory, image, p, { envp, execfn: given, creds });
  } catch (e) {
    memory.release();
    k.machine.shareSpace(memory);
    k.machine.releaseSpace(memory);
    k.writeAccess.allow(image.file.inode);
    if (e instanceof ElfError) return -e.errno;
    throw e;
  }
  // Point of no return.
  for (const other of [...p.threads.values()]) {
    if (other === t) continue;
    releaseFutexes(k, other);
    killThread(k, other);
  }
  releaseFutexes(k, t);
  const old = p.memory;
  p.memory = memory;
  k.machine.shareSpace(memory);
  k.machine.execThread(t, loaded.entry, loaded.stackPointer);
  releaseSpace(k, p, old);
  if (p.fds.shared) p.fds = p.fds.unshare();
  for (const [id, timer] of p.timers) {
    if (id === ITIMER_REAL_ID) continue;
    timer.disarm();
    p.timers.delete(id);
  }
  p.fds.closeOnExec();
  p.handlers = p.handlers.copy();
  for (const [sig, a] of p.sigactions) if (a.sa_handler !== SIG_IGN) p.sigactions.set(sig, DEFAULT_ACTION);
  t.altStack = { sp: 0, size: 0, flags: 0 };
  t.clearChildTid = 0;
  t.robustList = 0;
  p.membarrierPrivate = false;
  k.keys.execed(t);
  setExe(k, p, image.file.inode);
  t.commitCreds(creds);
  p.creds = creds;
  p.exe = image.exe;
  p.interpreter = image.interpreter?.exe ?? null;
  p.argv = image.argv;
  p.envp = envp;
  t.name = baseName(image.exe);
  releaseVfork(p);
  return RESUME;
}

/** What every program the user kernel starts with gets. */
export interface ProgramRun {
  envp: string[];
  cwd: string;
  creds: Credentials;
  rlimits: Map<number, Rlimit>;
}

/**
 * Boot the process tree. With `kernelInit`, pid 1 is the user kernel's init (a process
 * of the kernel-task with no threads: it adopts orphans and reaps them) and the programs
 * are its children, pids 2, 3, …; without, the one program is pid 1 and init itself, as
 * in a Linux pid namespace. The programs share descriptors 0, 1 and 2 (the host's
 * streams, or what the caller wired), as children of one parent would; the first takes
 * the console and the host's job control. Throws on a program that cannot run, before
 * any process exists.
 */
export function spawnPrograms(k: ExecContext, programs: { path: string; argv: string[] }[], run: ProgramRun, kernelInit: boolean): Process[] {
  const { envp, cwd, creds } = run;
  const table = k.table;
  if (programs.length === 0 || (!kernelInit && programs.length > 1)) throw new TypeError("pid 1 is one program or the kernel's own init");
  const images: ProgramImage[] = [];
  try {
    for (const { path, argv } of programs) {
      const guestPath = path.includes("/") ? joinPath(cwd, path) : searchPath(k, path, envp);
      const access: ExecAccess = { lookup: (p) => joinPath(cwd, p), mayExec: (st) => permission(creds, st, MAY_EXEC) };
      const image = findProgram(k.vfs, guestPath, path, argv, access);
      if (image instanceof ElfError) {
        image.program = path;
        throw image;
      }
      images.push(image);
    }
  } catch (e) {
    images.forEach(closeProgram);
    throw e;
  }
  let init: Process | null = null;
  if (kernelInit) {
    init = new Process(table.allocPid(), null, table.noMemory, new FdTable(), new FsContext("/"), new SignalHandlers(), creds, "/sbin/init", ["init"], 0);
    table.processes.set(init.pid, init);
  }
  table.init = init;
  table.kernelInit = kernelInit;
  const streams = k.terminals.hostStreams().map((ops, fd) => new OpenFile(ops, fd === 0 ? O_RDONLY : O_WRONLY));
  // Images from `taken` on are still open; loadProgram closes the one it loads.
  let taken = 0;
  try {
    return images.map((image, i) => {
      const memory = k.machine.reserveProcess() ? k.machine.newSpace() : null;
      if (!memory) throw new ElfError("out of memory: the memory quota is too small", ENOMEM);
      const fds = new FdTable();
      streams.forEach((f) => fds.install(i === 0 ? f : f.ref(), false));
      const pid = table.allocPid();
      const p = new Process(pid, init, memory, fds, new FsContext(cwd), new SignalHandlers(), creds, image.exe, image.argv, SIGCHLD);
      p.interpreter = image.interpreter?.exe ?? null;
      p.rlimits = run.rlimits;
      fds.limit = Math.min(softLimit(p, RLIMIT_NOFILE), NR_OPEN);
      init?.children.add(p);
      table.init ??= p;
      k.machine.shareSpace(memory);
      p.envp = envp;
      if (i === 0) {
        k.terminals.attachConsole(p);
        table.main = p;
      }
      taken = i + 1;
      const loaded = loadProgram(k, memory, image, p, { envp, execfn: programs[i]!.path, creds });
      if (k.writeAccess.deny(image.file.inode) === 0) p.exeInode = image.file.inode;
      const t = new Thread(pid, p);
      t.name = baseName(image.exe);
      table.register(t);
      table.processes.set(pid, p);
      table.programs.add(p);
      if (!k.machine.startThread(t, null, null, (regs) => {
        setWord(regs, Msg.rip, loaded.entry);
        setWord(regs, Msg.rsp, loaded.stackPointer);
        setWord(regs, Msg.rflags, 0x202);
      })) throw new ElfError("out of memory: the memory quota is too small", ENOMEM);
      return p;
    });
  } finally {
    images.slice(taken).forEach(closeProgram);
  }
}

/** `image` loaded into `memory` for process `p` (its RLIMIT_STACK); the image's files close either way. */
function loadProgram(
  k: ExecContext, memory: GuestMemory, image: ProgramImage, p: Process, run: Pick<LoadArgs, "envp" | "execfn" | "creds">,
): LoadedProgram {
  try {
    return loadElf(memory, image.elf, image.file, {
      ...run, argv: image.argv, interpreter: image.interpreter, stackSize: softLimit(p, RLIMIT_STACK), hwcap: k.machine.hwcap,
    });
  } finally {
    closeProgram(image);
  }
}

/** A command name found on the guest's PATH (as execvp and `docker run` look it up). */
function searchPath(k: ExecContext, name: string, envp: string[]): string {
  const path = envp.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of path.split(":")) {
    const candidate = joinPath(dir === "" ? "." : dir, name);
    const st = k.vfs.call(candidate, (fs, inner) => fs.stat(inner, true));
    if (typeof st !== "number" && (st.mode & 0o170000) === 0o100000 && st.mode & 0o111) return candidate;
  }
  return name;
}

/** A thread's name after exec: the program's base name, cut to TASK_COMM_LEN - 1. */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1).slice(0, 15);
}
