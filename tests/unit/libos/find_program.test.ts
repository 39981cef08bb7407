import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EACCES, ELIBBAD, ELOOP, ENOENT, ENOEXEC } from "../../../linux-abi/errno.ts";
import type { FileSystem, FsStat } from "../../../fs-task/file_system.ts";
import { ElfError } from "../../../libos/elf.ts";
import { NotInGuest, closeProgram, findProgram as findWith, type ExecAccess, type ProgramImage } from "../../../libos/find_program.ts";
import type { Vfs } from "../../../libos/vfs.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const HELLO = new Uint8Array(readFileSync(join(ROOT, "samples/hello/hello-musl")));

interface FakeFile {
  bytes: Uint8Array;
  /** What fstat claims; the bytes' length by default. */
  size?: number;
  mode?: number;
}

/** A Vfs over a map of paths: counts opens, closes and bytes read. */
function fakeVfs(files: Record<string, FakeFile>): { vfs: Vfs; stats: { opens: number; closes: number; bytesRead: number } } {
  const stats = { opens: 0, closes: 0, bytesRead: 0 };
  const handles: string[] = [];
  const statOf = (f: FakeFile): FsStat => ({
    dev: 1, ino: 1, mode: f.mode ?? 0o100755, nlink: 1, uid: 0, gid: 0, rdev: 0, size: f.size ?? f.bytes.length,
    blksize: 4096, blocks: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n,
  });
  const fs = {
    stat: (p: string) => (files[p] ? statOf(files[p]) : -ENOENT),
    open(p: string) {
      stats.opens++;
      return handles.push(p) - 1;
    },
    fstat: (h: number) => statOf(files[handles[h]!]!),
    pread(h: number, dst: Uint8Array, offset: number) {
      const src = files[handles[h]!]!.bytes.subarray(offset, offset + dst.length);
      dst.set(src);
      stats.bytesRead += src.length;
      return src.length;
    },
    close() {
      stats.closes++;
      return 0;
    },
  } as unknown as FileSystem;
  // One mount holding every file (call passes it, as the real Vfs does, for per-inode state).
  const mount = { fs };
  const vfs = { call: (p: string, op: (fs: FileSystem, inner: string, m: unknown) => unknown) => op(fs, p, mount), realpath: (p: string) => p } as unknown as Vfs;
  return { vfs, stats };
}

/** What root's execve finds and may run: any file with an x bit, paths as written. */
const ROOT_ACCESS: ExecAccess = { lookup: (p) => (p.startsWith("/") ? p : "/" + p), mayExec: (st) => (st.mode & 0o111 ? 0 : -EACCES) };
const findProgram = (vfs: Vfs, path: string, given: string, argv: string[]): ProgramImage | ElfError => findWith(vfs, path, given, argv, ROOT_ACCESS);

const text = (s: string): FakeFile => ({ bytes: new TextEncoder().encode(s) });

/** HELLO with a PT_INTERP naming `path`: its PT_GNU_STACK header retyped, the path appended (`nul`: with its NUL). */
function withInterpreter(path: string, nul = true): FakeFile {
  const name = new TextEncoder().encode(path + (nul ? "\0" : ""));
  const bytes = new Uint8Array(HELLO.length + name.length);
  bytes.set(HELLO);
  bytes.set(name, HELLO.length);
  const v = new DataView(bytes.buffer);
  const phoff = Number(v.getBigUint64(32, true));
  for (let i = 0; i < v.getUint16(56, true); i++) {
    const at = phoff + i * 56;
    if (v.getUint32(at, true) !== 0x6474e551) continue;
    v.setUint32(at, 3, true);
    v.setBigUint64(at + 8, BigInt(HELLO.length), true);
    v.setBigUint64(at + 32, BigInt(name.length), true);
    return { bytes };
  }
  throw new Error("hello-musl has no PT_GNU_STACK to retype");
}

const DIRECTORY: FakeFile = { bytes: new Uint8Array(0), mode: 0o040755 };

function found(r: ProgramImage | ElfError): ProgramImage {
  if (r instanceof ElfError) throw r;
  r.file.close();
  return r;
}

function refused(r: ProgramImage | ElfError): ElfError {
  expect(r).toBeInstanceOf(ElfError);
  return r as ElfError;
}

describe("findProgram()", () => {
  it("findProgram() opens an ELF file, reads its headers only, and leaves it open for the loader", () => {
    const { vfs, stats } = fakeVfs({ "/bin/hello": { bytes: HELLO } });
    const r = findProgram(vfs, "/bin/hello", "hello", ["hello", "x"]);
    if (r instanceof ElfError) throw r;
    expect(r.argv).toEqual(["hello", "x"]);
    expect(r.exe).toBe("/bin/hello");
    expect(stats.closes).toBe(0);
    expect(stats.bytesRead).toBeLessThan(1024);
    r.file.close();
  });

  it("findProgram() never reads a file whole, whatever size it claims", () => {
    const { vfs, stats } = fakeVfs({ "/big": { bytes: HELLO, size: 2 ** 40 } });
    found(findProgram(vfs, "/big", "/big", ["/big"]));
    expect(stats.bytesRead).toBeLessThan(1024);
  });

  it("findProgram() runs a #! script's interpreter with its one argument, the script and the rest of argv", () => {
    const { vfs } = fakeVfs({ "/s": text("#!  /bin/hello   -x  y \t\nbody\n"), "/bin/hello": { bytes: HELLO } });
    expect(found(findProgram(vfs, "/s", "./s", ["./s", "a", "b"])).argv).toEqual(["/bin/hello", "-x  y", "./s", "a", "b"]);
  });

  it("findProgram() accepts a #! line longer than 256 bytes when the interpreter path ends inside them", () => {
    const { vfs } = fakeVfs({ "/s": text(`#!/bin/hello ${"a".repeat(400)}`), "/bin/hello": { bytes: HELLO } });
    const argv = found(findProgram(vfs, "/s", "/s", ["/s"])).argv;
    expect(argv[0]).toBe("/bin/hello");
    expect(argv[1]).toBe("a".repeat(256 - 1 - "#!/bin/hello ".length));
  });

  it("findProgram() refuses a #! line whose interpreter path the 256-byte buffer cuts (ENOEXEC)", () => {
    const { vfs, stats } = fakeVfs({ "/s": text(`#!/${"a".repeat(300)}`) });
    const e = refused(findProgram(vfs, "/s", "/s", ["/s"]));
    expect(e.errno).toBe(ENOEXEC);
    expect(e.message).toBe("#! line longer than 256 bytes: the interpreter path is cut");
    expect(stats.closes).toBe(stats.opens);
  });

  it("findProgram() refuses an empty #! line and one of spaces only (ENOEXEC)", () => {
    for (const line of ["#!\n", "#!   \t \n", "#!"]) {
      const { vfs } = fakeVfs({ "/s": text(line) });
      expect(refused(findProgram(vfs, "/s", "/s", ["/s"]))).toMatchObject({ errno: ENOEXEC, message: "#! line names no interpreter" });
    }
  });

  it("findProgram() gives ELOOP for a #! loop, after Linux's four levels, and closes every file", () => {
    const { vfs, stats } = fakeVfs({ "/a": text("#!/b\n"), "/b": text("#!/a\n") });
    expect(refused(findProgram(vfs, "/a", "/a", ["/a"]))).toMatchObject({ errno: ELOOP, message: "too many levels of interpreter (ELOOP)" });
    expect(stats.opens).toBe(5);
    expect(stats.closes).toBe(5);
  });

  it("findProgram() names a missing program and a missing #! interpreter with the errno's words", () => {
    const { vfs } = fakeVfs({ "/s": text("#!/nowhere arg\n") });
    expect(refused(findProgram(vfs, "/gone", "/gone", ["/gone"]))).toMatchObject({ errno: ENOENT, message: "no such file or directory" });
    expect(refused(findProgram(vfs, "/s", "/s", ["/s"]))).toMatchObject({ errno: ENOENT, message: "bad #! interpreter /nowhere: no such file or directory" });
  });

  it("findProgram() passes on parseElf's verdict and closes the file", () => {
    const bad = new Uint8Array(HELLO);
    bad[4] = 7;
    const { vfs, stats } = fakeVfs({ "/bad": { bytes: bad }, "/txt": text("hello\n") });
    expect(refused(findProgram(vfs, "/bad", "/bad", ["/bad"]))).toMatchObject({ errno: ENOEXEC, message: "unknown ELF class 7" });
    expect(refused(findProgram(vfs, "/txt", "/txt", ["/txt"])).errno).toBe(ENOEXEC);
    expect(stats.closes).toBe(stats.opens);
  });

  it("findProgram() opens a dynamic program's interpreter and leaves both files open until closeProgram()", () => {
    const { vfs, stats } = fakeVfs({ "/bin/dyn": withInterpreter("/lib/ld.so"), "/lib/ld.so": { bytes: HELLO } });
    const r = findProgram(vfs, "/bin/dyn", "dyn", ["dyn"]);
    if (r instanceof ElfError) throw r;
    expect(r.elf.interpreter).toBe("/lib/ld.so");
    expect(r.interpreter?.path).toBe("/lib/ld.so");
    expect(r.interpreter?.elf.entry).toBe(r.elf.entry);
    expect(stats).toMatchObject({ opens: 2, closes: 0 });
    closeProgram(r);
    expect(stats.closes).toBe(2);
  });

  it("findProgram() says a missing interpreter is not in the guest (ENOENT), and closes the program", () => {
    const { vfs, stats } = fakeVfs({ "/bin/dyn": withInterpreter("/lib64/ld-linux-x86-64.so.2") });
    const e = refused(findProgram(vfs, "/bin/dyn", "dyn", ["dyn"]));
    expect(e).toBeInstanceOf(NotInGuest);
    expect(e).toMatchObject({ errno: ENOENT, what: "interpreter", path: "/lib64/ld-linux-x86-64.so.2" });
    expect(e.message).toBe("dynamically linked, and its interpreter /lib64/ld-linux-x86-64.so.2 is not in the guest");
    expect(stats.closes).toBe(stats.opens);
  });

  it("findProgram() refuses an interpreter that is not an x86-64 executable, or has an interpreter itself, with ELIBBAD", () => {
    const arm = new Uint8Array(HELLO);
    arm[18] = 183;
    const { vfs, stats } = fakeVfs({
      "/text": withInterpreter("/lib/text"), "/lib/text": text("#!/bin/sh\n"),
      "/arm": withInterpreter("/lib/arm"), "/lib/arm": { bytes: arm },
      "/nested": withInterpreter("/lib/dyn"), "/lib/dyn": withInterpreter("/lib/ld.so"), "/lib/ld.so": { bytes: HELLO },
    });
    expect(refused(findProgram(vfs, "/text", "/text", ["/text"]))).toMatchObject({
      errno: ELIBBAD, message: "interpreter /lib/text: exec format error: not an ELF file or a #! script",
    });
    expect(refused(findProgram(vfs, "/arm", "/arm", ["/arm"]))).toMatchObject({
      errno: ELIBBAD, message: "interpreter /lib/arm: wrong architecture: aarch64 (this LibOS runs x86-64 programs)",
    });
    expect(refused(findProgram(vfs, "/nested", "/nested", ["/nested"]))).toMatchObject({
      errno: ELIBBAD, message: "interpreter /lib/dyn is itself dynamically linked (needs /lib/ld.so)",
    });
    expect(stats.closes).toBe(stats.opens);
  });

  it("findProgram() refuses a directory as the program or the interpreter with EACCES, in the shell's words", () => {
    const { vfs } = fakeVfs({ "/d": DIRECTORY, "/dyn": withInterpreter("/d") });
    expect(refused(findProgram(vfs, "/d", "/d", ["/d"]))).toMatchObject({ errno: EACCES, message: "is a directory" });
    expect(refused(findProgram(vfs, "/dyn", "/dyn", ["/dyn"]))).toMatchObject({ errno: EACCES, message: "interpreter /d: is a directory" });
  });

  it("findProgram() refuses an interpreter path without its NUL (ENOEXEC), as Linux", () => {
    const { vfs } = fakeVfs({ "/dyn": withInterpreter("/lib/ld.so", false), "/lib/ld.so": { bytes: HELLO } });
    expect(refused(findProgram(vfs, "/dyn", "/dyn", ["/dyn"]))).toMatchObject({ errno: ENOEXEC, message: "interpreter path is not NUL-terminated" });
  });
});
