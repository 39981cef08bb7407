// The program an execve names, found through the guest's file system: a `#!` script's
// interpreter (Linux: fs/binfmt_script.c), followed up to BINPRM_MAX_RECURSION levels, or
// an ELF image whose headers parseElf has checked, with its PT_INTERP program interpreter
// (ld.so) found and checked the same way: each an executable regular file the caller may
// execute (ExecAccess). The ELF files stay open so the loader reads each
// segment straight into the image (no copy of the whole file, whatever size the file
// claims); the caller closes them (closeProgram). Every failure is one ElfError: what is
// wrong, worded for the `libos:` line, and the errno execve(2) returns; a program or an
// interpreter that is not in the guest is a NotInGuest, for the CLI's hint.

import { bytesToString, displayOf } from "../linux-abi/_byte_string.ts";
import { EACCES, EIO, EISDIR, ELIBBAD, ELOOP, ENOENT, ENOEXEC, strerror } from "../linux-abi/errno.ts";
import type { FileSystem, FsStat } from "../fs-task/file_system.ts";
import { ElfError, parseElf, type ElfImage, type ProgramFile } from "./elf.ts";
import { ProcFs, REOPEN_FILE } from "./procfs.ts";
import { FsFile, type Mount, type Vfs } from "./vfs.ts";
import type { Inode } from "./write_access.ts";

/** Linux: include/linux/binfmts.h. */
const BINPRM_BUF_SIZE = 256;
const BINPRM_MAX_RECURSION = 4;

export interface OpenProgram extends ProgramFile {
  /** The file's mode, owner and group (its set-user-ID and set-group-ID bits count at execve). */
  readonly owner: Pick<FsStat, "mode" | "uid" | "gid">;
  /** Its inode, as write_access.ts counts writers and runners. */
  readonly inode: Inode;
  close(): void;
}

/** How execve finds files for its caller and checks them (the kernel-task's permission rules). */
export interface ExecAccess {
  /** The path to open for an interpreter's `path` (absolute, or from the cwd): looked up as the caller, or -errno. */
  lookup(path: string): string | number;
  /** may_open's MAY_EXEC on a regular file: 0, or -EACCES without an x bit the caller may use. */
  mayExec(st: FsStat): number;
}

export interface ProgramImage {
  elf: ElfImage;
  file: OpenProgram;
  /** PT_INTERP's file (parsed as an interpreter) and its canonical path, or null for a static program. */
  interpreter: { path: string; exe: string; elf: ElfImage; file: OpenProgram } | null;
  /** The program's own path (/proc/self/exe). */
  exe: string;
  /** argv as the program sees it: a script's interpreter and its argument come first. */
  argv: string[];
}

/** A file execve needs is missing from the guest's file system (ENOENT). */
export class NotInGuest extends ElfError {
  constructor(message: string, readonly what: "program" | "#! interpreter" | "interpreter", readonly path: string) {
    super(message, ENOENT);
  }
}

export function closeProgram(image: ProgramImage): void {
  image.file.close();
  image.interpreter?.file.close();
}

/**
 * `path` (looked up) as execve finds it; `given` is the path as the caller wrote it (a
 * script's argument); a #! interpreter and PT_INTERP are looked up through `access`.
 */
export function findProgram(vfs: Vfs, path: string, given: string, argv: string[], access: ExecAccess): ProgramImage | ElfError {
  const open = (fs: FileSystem, inner: string, mount: Mount): ReturnType<typeof openExecutable> => openExecutable(fs, inner, mount, access);
  for (let depth = 0; ; depth++) {
    if (depth > BINPRM_MAX_RECURSION) return new ElfError("too many levels of interpreter (ELOOP)", ELOOP);
    const file = vfs.call(path, open);
    if (typeof file === "object" && "follow" in file) {
      path = file.follow;
      continue;
    }
    if (typeof file === "number") {
      // Linux says EACCES for a directory; the shell's words say why.
      const what = errnoMessage(file === -EISDIR ? EISDIR : -file);
      const errno = file === -EISDIR ? EACCES : -file;
      if (depth > 0) {
        const message = `bad #! interpreter ${displayOf(given)}: ${what}`;
        return errno === ENOENT ? new NotInGuest(message, "#! interpreter", path) : new ElfError(message, errno);
      }
      return errno === ENOENT ? new NotInGuest(what, "program", path) : new ElfError(what, errno);
    }
    let opened = false;
    try {
      // Linux reads this much for every binary format; the rest of the buffer is NUL.
      const head = new Uint8Array(BINPRM_BUF_SIZE);
      if (!file.read(head.subarray(0, Math.min(file.size, BINPRM_BUF_SIZE)), 0)) return new ElfError("cannot read the file", EIO);
      if (head[0] === 0x23 && head[1] === 0x21) {
        const line = parseShebang(head);
        if (line instanceof ElfError) return line;
        argv = [line.interpreter, ...(line.argument === null ? [] : [line.argument]), given, ...argv.slice(1)];
        // A relative interpreter is found from the caller's cwd, as Linux's open_exec does.
        const next = access.lookup(line.interpreter);
        if (typeof next === "number") {
          const message = `bad #! interpreter ${displayOf(line.interpreter)}: ${errnoMessage(-next)}`;
          return next === -ENOENT ? new NotInGuest(message, "#! interpreter", line.interpreter) : new ElfError(message, -next);
        }
        path = next;
        given = line.interpreter;
        continue;
      }
      const elf = parseElf(file);
      const interpreter = elf.interpreter === null ? null : findInterpreter(vfs, elf.interpreter, access);
      if (interpreter instanceof ElfError) return interpreter;
      const exe = vfs.realpath(path);
      opened = true;
      return { elf, file, interpreter, exe: typeof exe === "string" ? exe : path, argv };
    } catch (e) {
      if (e instanceof ElfError) return e;
      throw e;
    } finally {
      if (!opened) file.close();
    }
  }
}

/**
 * PT_INTERP's file, opened and checked as Linux's load_elf_binary does: an executable
 * regular file, an x86-64 ELF executable (else ELIBBAD). This loader maps one interpreter
 * level, so an interpreter that names its own interpreter is refused (ELIBBAD) rather
 * than started with its needs unmet.
 */
function findInterpreter(vfs: Vfs, name: string, access: ExecAccess): ProgramImage["interpreter"] | ElfError {
  const what = `interpreter ${displayOf(name)}`;
  const found = access.lookup(name.startsWith("/") ? name : "/" + name);
  const path = typeof found === "number" ? name : found;
  const file = typeof found === "number" ? found : vfs.call(path, (fs, inner, mount) => openExecutable(fs, inner, mount, access));
  if (typeof file === "object" && "follow" in file) return new ElfError(`${what}: not a regular file`, ELIBBAD);
  if (typeof file === "number") {
    if (file === -ENOENT) return new NotInGuest(`dynamically linked, and its ${what} is not in the guest`, "interpreter", name);
    return new ElfError(`${what}: ${errnoMessage(file === -EISDIR ? EISDIR : -file)}`, file === -EISDIR ? EACCES : -file);
  }
  try {
    const elf = parseElf(file, { interpreter: true });
    if (elf.interpreter !== null) {
      file.close();
      return new ElfError(`${what} is itself dynamically linked (needs ${displayOf(elf.interpreter)})`, ELIBBAD);
    }
    const exe = vfs.realpath(path);
    return { path: name, exe: typeof exe === "string" ? exe : path, elf, file };
  } catch (e) {
    file.close();
    if (e instanceof ElfError) return new ElfError(`${what}: ${e.message}`, e.errno === ENOEXEC ? ELIBBAD : e.errno);
    throw e;
  }
}

const isSpaceTab = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * A `#!` line in the first BINPRM_BUF_SIZE bytes (NUL-padded), split as Linux's
 * load_script does: the interpreter path ends at a space, tab or NUL, and the rest of the
 * line, trimmed, is one argument. Without a newline in the buffer the argument may be cut,
 * but an interpreter path that reaches the end of the buffer is refused.
 */
function parseShebang(buf: Uint8Array): { interpreter: string; argument: string | null } | ElfError {
  const bufEnd = buf.length - 1;
  let end = buf.indexOf(0x0a);
  if (end < 0) {
    let i = 2;
    while (i < bufEnd && isSpaceTab(buf[i]!)) i++;
    if (i >= bufEnd) return new ElfError("#! line names no interpreter");
    while (i < bufEnd && !isSpaceTab(buf[i]!) && buf[i] !== 0) i++;
    if (i >= bufEnd) return new ElfError(`#! line longer than ${BINPRM_BUF_SIZE} bytes: the interpreter path is cut`);
    end = bufEnd;
  }
  while (end > 2 && isSpaceTab(buf[end - 1]!)) end--;
  let name = 2;
  while (name < end && isSpaceTab(buf[name]!)) name++;
  let sep = name;
  while (sep < end && !isSpaceTab(buf[sep]!) && buf[sep] !== 0) sep++;
  if (sep === name) return new ElfError("#! line names no interpreter");
  let argument: string | null = null;
  if (sep < end && buf[sep] !== 0) {
    let a = sep;
    while (a < end && isSpaceTab(buf[a]!)) a++;
    const nul = buf.subarray(a, end).indexOf(0);
    argument = bytesToString(buf.subarray(a, nul < 0 ? end : a + nul));
  }
  return { interpreter: bytesToString(buf.subarray(name, sep)), argument };
}


/** strerror's words, starting lower-case as they follow the program's name: "no such file or directory". */
function errnoMessage(errno: number): string {
  const text = strerror(errno);
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** An executable regular file, open for the loader (the walk follows symlinks; MAY_EXEC is checked); -EISDIR for a directory. */
function openExecutable(fs: FileSystem, inner: string, mount: Mount, access: ExecAccess): OpenProgram | { follow: string } | number {
  const st = fs.stat(inner, true);
  if (typeof st === "number") return st;
  if ((st.mode & 0o170000) === 0o040000) return -EISDIR;
  if ((st.mode & 0o170000) !== 0o100000) return -EACCES;
  const ok = access.mayExec(st);
  if (ok < 0) return ok;
  const h = fs.open(inner, 0, 0);
  if (h === REOPEN_FILE && fs instanceof ProcFs) {
    // /proc/self/fd/N: the file that descriptor has open, found again by its path (fexecve).
    const target = fs.reopenTarget()?.ops;
    return target instanceof FsFile ? { follow: target.path } : -EACCES;
  }
  if (typeof h !== "number") return -ENOEXEC;
  if (h < 0) return h;
  const fst = fs.fstat(h);
  if (typeof fst === "number") {
    fs.close(h);
    return fst;
  }
  return {
    size: fst.size,
    owner: { mode: fst.mode, uid: fst.uid, gid: fst.gid },
    inode: { fs: mount.fs, ino: fst.ino },
    read(dst, offset) {
      for (let at = 0; at < dst.length; ) {
        const n = fs.pread(h, dst.subarray(at), offset + at);
        if (typeof n !== "number" || n <= 0) return false;
        at += n;
      }
      return true;
    },
    close: () => void fs.close(h),
  };
}
