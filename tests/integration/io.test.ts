// File I/O fixtures (tests/integration/fixtures/io) compared with native, in each fs mode:
// sendfile(2) and copy_file_range(2) (offsets, short counts, host and /tmp files, host
// pipe, guest pipe and file targets), openat2(2) resolve flags, *at() through a renamed
// or removed directory, renameat2(2) flags, named pipes, fallocate(2), memfd_create(2) and
// pipe I/O through buffers that span mappings.
// The guest's stdout is a host pipe here, so sendfile to fd 1 takes the host-to-host path
// (the host's own sendfile) for files on a host volume.

import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ROOT, ensureBuilt, makeTempDir, runLibos, runNative, tempDirs } from "./_run.ts";

const SENDFILE = join(ROOT, "tests/integration/fixtures/io/sendfile");
const FS_MODES = ["inproc", "ipc", "worker"] as const;

describe("sendfile and copy_file_range", () => {
  const { dir, cleanup } = makeTempDir("libos-io-");
  beforeAll(() => ensureBuilt());
  afterAll(cleanup);

  const native = runNative(SENDFILE, [dir], { cwd: dir });

  it("runs natively", () => {
    expect(native.status).toBe(0);
    expect(native.stdout).toContain("copy sum");
  });

  it.each(FS_MODES)("--fs-mode %s prints what native prints", (mode) => {
    const got = runLibos(["--fs-mode", mode], SENDFILE, [dir], { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(0);
  });

  it.each(FS_MODES)("busybox cat of a 5 MiB host file to a host pipe is byte-exact (--fs-mode %s)", (mode) => {
    const data = Buffer.alloc(5 * 1024 * 1024 + 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
    const file = join(dir, "big");
    writeFileSync(file, data);
    const got = runLibos(["--fs-mode", mode], BUSYBOX, ["cat", "big", "big"], { cwd: dir, encoding: "latin1" });
    expect(got.status, `LibOS stderr: ${got.stderr}`).toBe(0);
    expect(Buffer.from(got.stdout, "latin1").equals(Buffer.concat([data, data]))).toBe(true);
    expect(readFileSync(file).equals(data)).toBe(true);
  });
});

// Each fixture takes an empty directory, works in it and prints one line per check, the
// same wherever it runs: natively in a host temp dir, and in the LibOS on a host volume
// (hostfs) and in the guest's /tmp (tmpfs). FIFOs on a host volume are the host's own, so
// the FIFO fixture runs on /tmp only.
describe.each([
  { name: "openat2", what: "openat2 resolve flags", sample: /BENEATH +\.\.\/outside += -1 EXDEV/, onHost: true },
  { name: "dirfd", what: "directory descriptors after rename and rmdir", sample: /getcwd = \/other\/moved/, onHost: true },
  { name: "rename2", what: "renameat2 NOREPLACE and EXCHANGE", sample: /exchange file with file\(a, b\) = 0/, onHost: true },
  { name: "fifo", what: "named pipes: opens that wait, data, EPIPE, poll, a signal in open", sample: /open\(O_RDONLY\), waits for a writer = 0/, onHost: false },
  { name: "fallocate", what: "fallocate: reservations, KEEP_SIZE, holes, ZERO_RANGE and errors", sample: /blocks dropped: yes, hole reads zeros: yes/, onHost: true },
  // memfd_create's files live in an fs-task of the chosen mode, as every file system's do.
  { name: "memfd", what: "memfd_create: data, fstat, truncation, mapping, /proc/self/fd", sample: /read back equal: yes/, onHost: false },
  // Pipe reads and writes copy straight between guest memory and the pipe (FileOps.inPlace).
  { name: "pipeio", what: "pipes through buffers that span mappings", sample: /same bytes: yes/, onHost: false },
])("$what", ({ name, sample, onHost }) => {
  const program = join(ROOT, "tests/integration/fixtures/io", name);
  const fresh = tempDirs(`libos-${name}-`);

  const native = (() => {
    const dir = fresh();
    return runNative(program, [dir], { cwd: dir });
  })();

  it("runs natively", () => {
    expect(native.stderr).toBe("");
    expect(native.status).toBe(0);
    expect(native.stdout).toMatch(sample);
  });

  it.each(FS_MODES)("--fs-mode %s prints what native prints", (mode) => {
    const dir = fresh();
    for (const where of onHost ? [dir, "/tmp"] : ["/tmp"]) {
      const got = runLibos(["--fs-mode", mode], program, [where], { cwd: dir });
      expect(got.stderr).toBe("");
      expect(got.stdout).toBe(native.stdout);
      expect(got.status).toBe(0);
    }
  });
});

describe.each(FS_MODES)("busybox with a FIFO in /tmp (--fs-mode %s)", (mode) => {
  it("mkfifo, a background writer and cat", () => {
    const got = runLibos(["--fs-mode", mode], BUSYBOX, ["sh", "-c", "mkfifo /tmp/p; (echo hi > /tmp/p &); cat /tmp/p"]);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe("hi\n");
    expect(got.status).toBe(0);
  });
});

describe.each(FS_MODES)("a host FIFO on a volume (--fs-mode %s)", (mode) => {
  it("a signal ends an open waiting for the other end, and the LibOS exits", () => {
    const { dir, cleanup } = makeTempDir("libos-hostfifo-");
    try {
      execFileSync("mkfifo", [join(dir, "p")]);
      const script = "cat p & pid=$!; sleep 0.3; kill $pid; wait $pid; echo status $?";
      const got = runLibos(["--fs-mode", mode], BUSYBOX, ["sh", "-c", script], { cwd: dir });
      expect(got.stdout).toBe("status 143\n");
      expect(got.status).toBe(0);
      // Left waiting when the guest exits: the LibOS ends the host's open and exits too.
      const orphan = runLibos(["--fs-mode", mode], BUSYBOX, ["sh", "-c", "cat p & echo started"], { cwd: dir });
      expect(orphan.stdout).toBe("started\n");
      expect(orphan.status).toBe(0);
      // More waiting opens than the host has pool threads (the last ones wait in its queue),
      // some of whose names are then renamed, removed or replaced: every one still ends.
      for (let i = 1; i <= 8; i++) execFileSync("mkfifo", [join(dir, `w${i}`)]);
      const crowd = "for i in 1 2 3 4 5 6 7 8; do cat w$i & done; sleep 0.3; mv w1 moved; rm w2; rm w3; mkfifo w3; echo started";
      const crowded = runLibos(["--fs-mode", mode], BUSYBOX, ["sh", "-c", crowd], { cwd: dir });
      expect(crowded.stdout).toBe("started\n");
      expect(crowded.status).toBe(0);
      // A read left blocked (a host writer holds the FIFO open and writes nothing) ends too.
      const writer = spawn("sh", ["-c", "exec sleep 60 > p"], { cwd: dir, stdio: "ignore" });
      try {
        const reader = runLibos(["--fs-mode", mode], BUSYBOX, ["sh", "-c", "cat p & sleep 0.3; kill $!; echo killed"], { cwd: dir });
        expect(reader.stdout).toBe("killed\n");
        expect(reader.status).toBe(0);
      } finally {
        writer.kill("SIGKILL");
      }
    } finally {
      cleanup();
    }
  });
});
