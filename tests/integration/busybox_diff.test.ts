// Differential tests: each case runs `/bin/busybox <applet> ...` natively and under the
// LibOS, in the same temp directory of fixture files with the same environment, and
// asserts identical stdout (byte-exact) and identical exit status.

import { existsSync, lutimesSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ensureBuilt, makeTempDir, runLibos, runNative } from "./_run.ts";

interface Case {
  /** Shown in the test name: "busybox <label> matches native". */
  label: string;
  args: string[];
  input?: string;
}

const LINES = "banana 3\napple 10\ncherry 2\napple 10\ndate 1\nelderberry 25\nfig\n";
const NUMS = "10\n9\n100\n-3\n2.5\n0\n42\n9\n";
const PASSWD = "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nuser:x:1000:1000:A User:/home/user:/bin/bash\n";
const BINARY = Buffer.from([...Array(256).keys()].map((i) => (i * 37 + 11) & 0xff));

const cases: Case[] = [
  // echo
  { label: "echo", args: ["echo", "hello", "world"] },
  { label: "echo -n", args: ["echo", "-n", "no newline"] },
  { label: "echo -e escapes", args: ["echo", "-e", "tab\\there\\nnew\\x41\\0101\\\\"] },
  { label: "echo -e \\c", args: ["echo", "-e", "stop\\cnot printed"] },
  // cat
  { label: "cat one file", args: ["cat", "lines.txt"] },
  { label: "cat several files", args: ["cat", "lines.txt", "nums.txt", "sub/a.txt"] },
  { label: "cat binary file", args: ["cat", "bin.dat"] },
  { label: "cat missing file exits 1", args: ["cat", "lines.txt", "no-such-file", "nums.txt"] },
  { label: "cat through a symlink", args: ["cat", "link.txt"] },
  // ls
  { label: "ls", args: ["ls"] },
  { label: "ls -l", args: ["ls", "-l"] },
  { label: "ls -l sub", args: ["ls", "-l", "sub"] },
  { label: "ls -la", args: ["ls", "-la"] },
  { label: "ls -R", args: ["ls", "-R"] },
  { label: "ls -ln --full-time style -e", args: ["ls", "-lne", "sub"] },
  { label: "ls missing exits non-zero", args: ["ls", "no-such-dir"] },
  // wc
  { label: "wc -l", args: ["wc", "-l", "lines.txt"] },
  { label: "wc -w", args: ["wc", "-w", "lines.txt"] },
  { label: "wc -c", args: ["wc", "-c", "bin.dat"] },
  { label: "wc several files", args: ["wc", "lines.txt", "nums.txt", "passwd.txt"] },
  // sort
  { label: "sort", args: ["sort", "lines.txt"] },
  { label: "sort -r", args: ["sort", "-r", "lines.txt"] },
  { label: "sort -n", args: ["sort", "-n", "nums.txt"] },
  { label: "sort -u", args: ["sort", "-u", "lines.txt"] },
  { label: "sort -t: -k3 -n", args: ["sort", "-t:", "-k3", "-n", "-r", "passwd.txt"] },
  // checksums
  { label: "md5sum", args: ["md5sum", "lines.txt", "bin.dat"] },
  { label: "sha256sum", args: ["sha256sum", "lines.txt", "bin.dat"] },
  { label: "sha1sum", args: ["sha1sum", "bin.dat"] },
  // head / tail
  { label: "head -n 2", args: ["head", "-n", "2", "lines.txt"] },
  { label: "head -c 16 binary", args: ["head", "-c", "16", "bin.dat"] },
  { label: "tail -n 3", args: ["tail", "-n", "3", "lines.txt"] },
  { label: "tail -n +5", args: ["tail", "-n", "+5", "lines.txt"] },
  // seq
  { label: "seq 5", args: ["seq", "5"] },
  { label: "seq 3 7", args: ["seq", "3", "7"] },
  { label: "seq 1 4 30", args: ["seq", "1", "4", "30"] },
  { label: "seq 10 -3 1", args: ["seq", "10", "-3", "1"] },
  { label: "seq -s , 1 6", args: ["seq", "-s", ",", "1", "6"] },
  { label: "seq -w 8 11", args: ["seq", "-w", "8", "11"] },
  { label: "seq 0.5 0.25 1.5", args: ["seq", "0.5", "0.25", "1.5"] },
  // system information and time
  { label: "uname -a", args: ["uname", "-a"] },
  { label: "uname -s -m", args: ["uname", "-s", "-m"] },
  { label: "date -d @0 -u", args: ["date", "-d", "@0", "-u"] },
  { label: "date -u -d @1700000000 +%F %T", args: ["date", "-u", "-d", "@1700000000", "+%F %T %j %a"] },
  { label: "date +%Y", args: ["date", "+%Y"] },
  { label: "id -u", args: ["id", "-u"] },
  // paths
  { label: "basename", args: ["basename", "/usr/local/lib/file.tar.gz"] },
  { label: "basename with suffix", args: ["basename", "/a/b/c.txt", ".txt"] },
  { label: "dirname", args: ["dirname", "/usr/local/lib/file.tar.gz"] },
  { label: "dirname relative", args: ["dirname", "file"] },
  { label: "readlink", args: ["readlink", "link.txt"] },
  { label: "readlink -f", args: ["readlink", "-f", "sub/link-a"] },
  { label: "readlink of a regular file exits 1", args: ["readlink", "lines.txt"] },
  { label: "realpath", args: ["realpath", "link.txt", "sub/../sub/a.txt"] },
  { label: "pwd", args: ["pwd"] },
  // text processing
  { label: "tr a-z A-Z (stdin)", args: ["tr", "a-z", "A-Z"], input: LINES },
  { label: "tr -d (stdin)", args: ["tr", "-d", "aeiou"], input: LINES },
  { label: "tr -s (stdin)", args: ["tr", "-s", "p"], input: LINES },
  { label: "cut -d: -f1,3", args: ["cut", "-d:", "-f1,3", "passwd.txt"] },
  { label: "cut -c1-4", args: ["cut", "-c1-4", "lines.txt"] },
  { label: "grep match exits 0", args: ["grep", "apple", "lines.txt"] },
  { label: "grep no match exits 1", args: ["grep", "zucchini", "lines.txt"] },
  { label: "grep missing file exits 2", args: ["grep", "apple", "no-such-file"] },
  { label: "grep -n -i", args: ["grep", "-n", "-i", "APPLE", "lines.txt"] },
  { label: "grep -c -v", args: ["grep", "-c", "-v", "a", "lines.txt"] },
  { label: "grep -E", args: ["grep", "-E", "^[a-c].* [0-9]+$", "lines.txt"] },
  { label: "sed s///g", args: ["sed", "s/a/A/g", "lines.txt"] },
  { label: "sed -n 2,3p", args: ["sed", "-n", "2,3p", "lines.txt"] },
  { label: "sed 1d;$d", args: ["sed", "1d;$d", "lines.txt"] },
  { label: "uniq -c", args: ["uniq", "-c", "lines.txt"] },
  { label: "rev", args: ["rev", "lines.txt"] },
  { label: "od -x", args: ["od", "-x", "bin.dat"] },
  { label: "od -c", args: ["od", "-c", "lines.txt"] },
  { label: "hexdump -C", args: ["hexdump", "-C", "bin.dat"] },
  // stat
  { label: "stat -c '%s %a %F' file", args: ["stat", "-c", "%s %a %F", "lines.txt"] },
  { label: "stat -c '%s %a %F' dir and symlink", args: ["stat", "-c", "%n %a %F", "sub", "link.txt"] },
  { label: "stat -c '%Y %n' fixed mtimes", args: ["stat", "-c", "%Y %n", "sub/a.txt", "sub/b.txt"] },
  { label: "stat missing exits 1", args: ["stat", "no-such-file"] },
  // exit codes
  { label: "true", args: ["true"] },
  { label: "false", args: ["false"] },
  { label: "expr 6 * 7", args: ["expr", "6", "*", "7"] },
  { label: "expr 0 exits 1", args: ["expr", "3", "-", "3"] },
  { label: "expr length", args: ["expr", "length", "hello world"] },
  { label: "test -f file", args: ["test", "-f", "lines.txt"] },
  { label: "test -f dir exits 1", args: ["test", "-f", "sub"] },
  { label: "test -d dir", args: ["test", "-d", "sub"] },
  { label: "test -d missing exits 1", args: ["test", "-d", "no-such-dir"] },
  { label: "test -L symlink", args: ["test", "-L", "link.txt"] },
  { label: "test string compare", args: ["test", "abc", "=", "abd"] },
  // printf
  { label: "printf %f", args: ["printf", "%f %.3f %e %g\\n", "3.14159", "2.5", "12345.678", "0.0001"] },
  { label: "printf %s %d repeated", args: ["printf", "%s=%05d|%-4x|\\n", "a", "42", "255", "b", "-7", "16"] },
  // env
  { label: "env", args: ["env"] },
  { label: "env -i with a var", args: ["env", "-i", "FOO=bar", "BAZ=qux quux"] },
  { label: "printenv", args: ["printenv", "FIXED_VAR"] },
  // disk usage and comparison
  { label: "du -s", args: ["du", "-s", "sub"] },
  { label: "cmp identical", args: ["cmp", "lines.txt", "copy.txt"] },
  { label: "cmp different exits 1", args: ["cmp", "lines.txt", "other.txt"] },
  // stdin piping
  { label: "cat (stdin)", args: ["cat"], input: LINES },
  { label: "cat - (stdin among files)", args: ["cat", "sub/a.txt", "-", "sub/b.txt"], input: "from stdin\n" },
  { label: "wc -l (stdin)", args: ["wc", "-l"], input: LINES },
  { label: "sort (stdin)", args: ["sort"], input: LINES },
  { label: "sort -n (stdin)", args: ["sort", "-n"], input: NUMS },
  { label: "md5sum (stdin)", args: ["md5sum"], input: LINES },
  { label: "head -n 1 (empty stdin)", args: ["head", "-n", "1"], input: "" },
];

const ENV: Record<string, string> = { PATH: "/usr/bin:/bin", TZ: "UTC", LC_ALL: "C", FIXED_VAR: "fixed value" };
const LIBOS_ENV_ARGS = ["--clear-env", ...Object.entries(ENV).flatMap(([k, v]) => ["-e", `${k}=${v}`])];

function createFixtures(root: string): string {
  const work = join(root, "work");
  mkdirSync(work);
  writeFileSync(join(work, "lines.txt"), LINES);
  writeFileSync(join(work, "copy.txt"), LINES);
  writeFileSync(join(work, "other.txt"), LINES.replace("cherry", "chErry"));
  writeFileSync(join(work, "nums.txt"), NUMS);
  writeFileSync(join(work, "passwd.txt"), PASSWD);
  writeFileSync(join(work, "bin.dat"), BINARY);
  symlinkSync("lines.txt", join(work, "link.txt"));
  const sub = join(work, "sub");
  mkdirSync(sub);
  writeFileSync(join(sub, "a.txt"), "alpha\n");
  writeFileSync(join(sub, "b.txt"), "bravo\nbravo\n");
  writeFileSync(join(sub, "empty"), "");
  mkdirSync(join(sub, "deeper"));
  writeFileSync(join(sub, "deeper", "c.txt"), "charlie\n".repeat(1000));
  symlinkSync("a.txt", join(sub, "link-a"));

  // Fixed mtimes, children before their directories (creating entries changes a directory's mtime).
  const t = (s: number): Date => new Date(s * 1000);
  lutimesSync(join(sub, "link-a"), t(1_600_000_000), t(1_600_000_000));
  utimesSync(join(sub, "deeper", "c.txt"), t(1_500_000_000), t(1_500_000_000));
  utimesSync(join(sub, "deeper"), t(1_500_000_100), t(1_500_000_100));
  utimesSync(join(sub, "a.txt"), t(1_000_000_000), t(1_000_000_000));
  utimesSync(join(sub, "b.txt"), t(1_234_567_890), t(1_234_567_890));
  utimesSync(join(sub, "empty"), t(86_400), t(86_400));
  utimesSync(sub, t(1_650_000_000), t(1_650_000_000));
  lutimesSync(join(work, "link.txt"), t(1_600_000_500), t(1_600_000_500));
  for (const f of ["lines.txt", "copy.txt", "other.txt", "nums.txt", "passwd.txt", "bin.dat"])
    utimesSync(join(work, f), t(1_700_000_000), t(1_700_000_000));
  utimesSync(work, t(1_700_000_100), t(1_700_000_100));
  utimesSync(root, t(1_700_000_200), t(1_700_000_200));
  return work;
}

describe.skipIf(!existsSync(BUSYBOX))(`busybox differential (needs ${BUSYBOX}, Debian busybox-static)`, () => {
  let work = "";
  let cleanup = (): void => {};

  beforeAll(() => {
    ensureBuilt();
    const tmp = makeTempDir("libos-bbdiff-");
    cleanup = tmp.cleanup;
    work = createFixtures(tmp.dir);
  });
  afterAll(() => cleanup());

  it("has at least 40 cases with unique names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.label)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.label, c] as const))("busybox %s matches native", (_label, { args, input }) => {
    const opts = { cwd: work, input: input ?? "", encoding: "latin1" as const };
    const native = runNative(BUSYBOX, args, { ...opts, env: ENV });
    expect(native.error).toBeUndefined();
    // The host's file system as the guest's root, as qemu-x86_64 shows it: `ls -la` lists "..".
    const libos = runLibos(["--root", "/", ...LIBOS_ENV_ARGS], BUSYBOX, args, opts);
    expect(libos.error).toBeUndefined();
    expect({ stdout: libos.stdout, status: libos.status }).toEqual({ stdout: native.stdout, status: native.status });
  });
});
