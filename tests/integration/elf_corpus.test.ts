// The malformed-ELF corpus (scripts/elf_corpus.mjs: seeded mutations of the samples and
// bad `#!` scripts, generated into a temp dir, never committed). In one LibOS launch per fs
// mode, fixtures/elf_corpus/exec_each (static musl, committed prebuilt) execs every file
// from a forked child: a file the loader must refuse gets an errno from execve, and no file
// hangs, escapes its child or breaks the LibOS. A sample of the refused files is launched
// directly: one `libos: PROGRAM: <what is wrong>` line and a non-zero status each. The
// slowest direct launch is printed (no timed assert: the spawn timeout bounds each run).

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, makeTempDir, runLibos } from "./_run.ts";
// @ts-expect-error: a plain script module without type declarations
import { writeCorpus } from "../../scripts/elf_corpus.mjs";

interface CorpusFile {
  name: string;
  verdict: "refused" | "any";
}

const EXEC_EACH = join(ROOT, "tests/integration/fixtures/elf_corpus/exec_each");
const FS_MODES = ["inproc", "ipc", "worker"] as const;
/** exec_each's per-child alarm, in seconds: a mutated program that loops is killed, not waited for. */
const CHILD_SECONDS = "10";
/** Every how many refused files one is launched directly. */
const DIRECT_EVERY = 8;
const EXECVE_ERRNOS = /^execve (ENOEXEC|EINVAL|EIO|ENOMEM|ELOOP|ENOENT|EACCES|ELIBBAD)$/;
const HOST_ERROR = /Error|^\s+at |internal error|Invalid typed array/m;

describe("the malformed-ELF corpus", () => {
  let dir = "";
  let cleanup = (): void => {};
  let corpus: CorpusFile[] = [];

  beforeAll(() => {
    ensureBuilt();
    ({ dir, cleanup } = makeTempDir("libos-elf-corpus-"));
    corpus = writeCorpus(dir, { seed: 1 }) as CorpusFile[];
  });
  afterAll(() => cleanup());

  it.each(FS_MODES)("exec of every file from one guest (--fs-mode %s): refused ones fail with an errno, none hangs", (mode) => {
    const r = runLibos(["--fs-mode", mode], EXEC_EACH, [dir, CHILD_SECONDS], { cwd: dir, timeout: 600_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).not.toMatch(HOST_ERROR);
    expect(r.status).toBe(0);
    const outcome = new Map(r.stdout.trim().split("\n").map((line) => {
      const colon = line.indexOf(": ");
      return [line.slice(0, colon), line.slice(colon + 2)] as const;
    }));
    expect(outcome.get("done")).toBe(`${corpus.length} files`);
    for (const f of corpus) {
      const got = outcome.get(f.name);
      if (f.verdict === "refused") expect(got, f.name).toMatch(EXECVE_ERRNOS);
      // The alarm (SIGALRM, 14) would mean a mutated program ran on and on.
      expect(got, f.name).not.toBe("killed by signal 14");
    }
    expect(outcome.get("script.self-loop")).toBe("execve ELOOP");
    expect(outcome.get("script.chain-0")).toBe("execve ELOOP");
    expect(outcome.get("script.chain-end")).toBe("execve ENOENT");
    expect(outcome.get("hello-musl.last-segment-memsz=1TiB")).toBe("execve ENOMEM");
    expect(outcome.get("hello-musl.EI_CLASS=7")).toBe("execve ENOEXEC");
    expect(outcome.get("hello-musl.e_entry=0")).toBe("killed by signal 11");
    expect(outcome.get("hello-musl.interp-missing")).toBe("execve ENOENT");
    expect(outcome.get("hello-musl.interp-not-elf")).toBe("execve ELIBBAD");
    expect(outcome.get("hello-musl.interp-directory")).toBe("execve EACCES");
    expect(outcome.get("hello-musl.interp-malformed")).toBe("execve ELIBBAD");
    expect(outcome.get("hello-musl.interp-nested")).toBe("execve ELIBBAD");
    expect(outcome.get("hello-musl.interp-overlapping")).toBe("execve EINVAL");
    expect(outcome.get("hello-musl.interp-no-nul")).toBe("execve ENOEXEC");
  });

  it("a sample of the refused files, each launched directly: one `libos: PROGRAM:` line and a non-zero status", () => {
    const refused = corpus.filter((f) => f.verdict === "refused");
    const sample = refused.filter((_, i) => i % DIRECT_EVERY === 0);
    let slowest = { name: "", ms: 0 };
    for (const f of sample) {
      const started = performance.now();
      const r = runLibos([], `./${f.name}`, [], { cwd: dir });
      const ms = performance.now() - started;
      if (ms > slowest.ms) slowest = { name: f.name, ms };
      expect(r.error, f.name).toBeUndefined();
      expect(r.stdout, f.name).toBe("");
      expect(r.stderr, f.name).toMatch(new RegExp(`^libos: \\./${f.name.replace(/[.+]/g, "\\$&")}: [^\\n]+\\n$`));
      expect(r.stderr, f.name).not.toMatch(HOST_ERROR);
      expect([126, 127], f.name).toContain(r.status);
    }
    console.info(`${sample.length} direct launches; slowest: ${slowest.name} in ${Math.round(slowest.ms)} ms`);
  });

  it("the messages name what is wrong", () => {
    const line = (name: string): string => runLibos([], `./${name}`, [], { cwd: dir }).stderr.trim();
    expect(line("hello-musl.EI_CLASS=7")).toBe("libos: ./hello-musl.EI_CLASS=7: unknown ELF class 7");
    expect(line("hello-musl.EI_DATA=0")).toBe("libos: ./hello-musl.EI_DATA=0: invalid ELF data encoding 0");
    expect(line("script.self-loop")).toBe("libos: ./script.self-loop: too many levels of interpreter (ELOOP)");
    expect(line("hello-musl.last-segment-memsz=128TiB")).toMatch(/^libos: \S+: segment \d ends beyond the user address space$/);
    expect(line("hello-musl.last-segment-memsz=1TiB")).toMatch(/^libos: \S+: out of memory: the image needs \d+ MiB$/);
    expect(line("script.no-newline-long-path")).toMatch(/: #! line longer than 256 bytes: the interpreter path is cut$/);
    expect(line("hello-musl.interp-missing")).toBe("libos: ./hello-musl.interp-missing: dynamically linked, and its interpreter "
      + "/nonexistent/ld.so is not in the guest: pass --sysroot / (the host's libraries) or build the program with -static");
    expect(line("hello-musl.interp-not-elf")).toMatch(/^libos: \S+: interpreter \S+\/script\.not-elf: exec format error: not an ELF file or a #! script$/);
    expect(line("hello-musl.interp-nested")).toMatch(/^libos: \S+: interpreter \S+ is itself dynamically linked \(needs \/nonexistent\/ld\.so\)$/);
    expect(line("hello-musl.interp-overlapping")).toMatch(/^libos: \S+: interpreter \S+\/hello-musl overlaps the program's segments$/);
  });

  it("a 1 TiB segment under a quota that admits it: one `libos:` line, not a host abort", () => {
    // The image would be one frame larger than a host view can hold.
    const r = runLibos(["-m", "2000G"], "./hello-musl.last-segment-memsz=1TiB", [], { cwd: dir });
    expect(r.signal).toBeNull();
    expect(r.stderr).toMatch(/^libos: \S+: out of memory: the image needs \d+ MiB\n$/);
    expect(r.status).toBe(126);
  });
});
