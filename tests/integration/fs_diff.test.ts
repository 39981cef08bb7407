// Differential tests for the file system: each case runs `/bin/busybox sh -c '<script>'`
// natively and under the LibOS, in each fs mode (inproc, ipc, worker), and asserts
// byte-identical stdout and the same exit status.
//
// The scripts drive busybox's file utilities (cp, mv, rm, ln, tar, gzip, find, dd, truncate,
// chmod, touch, stat, du, mkfifo, ...) inside a scratch dir and print what they did: file
// contents, md5sums, `stat -c` fields, sorted `find` listings, exit codes.
//
// How: a temp dir holds `bin/` (symlinks `<applet> -> /bin/busybox`; the native PATH is only
// that dir, so both runs use busybox's applets; the guest's PATH is the root image's bin
// dirs, which hold the same links) and `work/`, the scratch dir. `work/` is wiped and
// re-created with fixed modes and mtimes before each run, so both runs of a case start from
// identical files at the identical absolute path (the LibOS mounts the host cwd at its own
// path), and `pwd`, `realpath` and `find $PWD` print the same. The environment is fixed
// (PATH, HOME, LANG=C, TZ=UTC0).
//
// What the scripts avoid, because it legitimately differs between two runs: inode numbers,
// the current time (dates in `ls -l` are fixed by `touch -d` or blanked by `nodate`), free
// disk space, and readdir order (POSIX leaves it unspecified; listings go through `sort`).
// One case moves a tree to a `mktemp -d /tmp/...` dir and back: natively a rename within one
// file system, in the LibOS a move from the host mount to the guest's tmpfs (EXDEV, copy).
// Debian's busybox-static has no `split` or `install` applet: the split case cuts files with
// dd and head/tail instead, and install has no case.

import { chmodSync, existsSync, lutimesSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ensureBuilt, fsModesUnderTest, makeTempDir, runLibos, runNative, type RunResult } from "./_run.ts";

interface Case {
  /** Shown in the test name: "fs: <label> matches native". */
  label: string;
  script: string;
}

/** Join script lines with newlines. */
const sh = (...lines: string[]): string => lines.join("\n");

/** A shell function that blanks the date columns of `ls -l` lines (for entries the script just changed). */
const NODATE = "nodate() { sed -E 's/ [A-Z][a-z]{2} [ 0-9]{2} ( [0-9]{4}|[0-9]{2}:[0-9]{2}) / <date> /'; }";

/** Applets the scripts call by name; each gets a `bin/<name> -> /bin/busybox` symlink. */
const APPLETS = [
  "[", "cat", "chgrp", "chmod", "chown", "cmp", "cp", "cpio", "cut", "dd", "diff", "du", "echo",
  "fallocate", "find", "grep", "gunzip", "gzip", "head", "link", "ln", "ls", "md5sum", "mkdir",
  "mkfifo", "mknod", "mktemp", "mv", "od", "printf", "pwd", "readlink", "realpath", "rm", "rmdir",
  "sed", "seq", "sh", "sort", "stat", "sync", "tail", "tar", "test", "touch", "truncate", "unlink",
  "wc", "xargs", "zcat",
];

const FRUIT = "banana\napple\ncherry\napple\ndate\nelderberry\nfig\n";
const NUMS = "10\n9\n100\n-3\n0\n42\n9\n";

/** All fixture entries get this mtime/atime (2020-09-13 12:26:40 UTC). */
const FIXED_TIME = new Date(1_600_000_000 * 1000);

const cases: Case[] = [
  // ---- cp ----
  {
    label: "cp -r copies a tree",
    script: sh("cp -r src dst", 'echo "cp $?"', "find dst | sort", "diff -r src dst && echo same", "stat -c '%n %F %a %s' $(find dst | sort)"),
  },
  {
    label: "cp -r keeps symlinks, cp -L follows them",
    script: sh("cp -r src dst", "stat -c '%N' dst/link.txt dst/sub/up", "cat dst/sub/up", "cp -L src/link.txt followed", "stat -c '%F %s' followed", "cp src/link.txt plain", "stat -c '%F' plain"),
  },
  {
    label: "cp -a preserves modes and times",
    script: sh("chmod 751 src/run.sh", "chmod 700 src/sub/deep", "cp -a src dst", "stat -c '%n %a %Y' $(find dst ! -type l | sort)", "stat -c '%N' dst/link.txt dst/sub/up", "diff -r src dst && echo same"),
  },
  {
    label: "cp -p a file; plain cp takes mode from the source",
    script: sh(
      "touch -d '2001-02-03 04:05:06' data.txt",
      "chmod 640 data.txt",
      "cp -p data.txt kept",
      "stat -c '%a %y' kept",
      "cp data.txt fresh",
      "stat -c '%a %s' fresh",
      "cmp data.txt fresh && echo equal",
    ),
  },
  {
    label: "times before 1970: touch -d, cp -p, stat",
    script: sh("touch -d '1960-01-01 00:00:01' old.txt", "stat -c '%y %Y' old.txt", "cp -p old.txt old-kept", "stat -c '%y %X' old-kept"),
  },
  {
    label: "cp onto an existing file, into a dir, -n, missing source",
    script: sh(
      "cp src/a.txt src/b.txt",
      "cat src/b.txt",
      "cp data.txt nums.txt src/sub",
      "ls src/sub | sort",
      "echo changed > x; cp -n x data.txt; head -n 1 data.txt",
      "cp no-such y 2>/dev/null; echo \"missing $?\"",
      "cp src dir-no-r 2>/dev/null; echo \"dir $?\"",
    ),
  },

  // ---- mv ----
  {
    label: "mv renames and overwrites files",
    script: sh("mv data.txt renamed.txt", "ls | sort", "echo new > other", "mv other renamed.txt", "cat renamed.txt", "mv renamed.txt src/", "ls src | sort", "mv no-such z 2>/dev/null; echo \"missing $?\""),
  },
  {
    label: "mv moves directories",
    script: sh(
      "mv src/sub moved",
      "find moved | sort",
      "mkdir box",
      "mv moved box/",
      "find box | sort",
      "mkdir full; touch full/x; mkdir other",
      "mv other full 2>/dev/null; echo \"into $?\"",
      "mkdir -p t/full; touch t/full/y",
      "mv full t/ 2>/dev/null; echo \"onto non-empty $?\"",
      "find full t | sort",
      "mv box box/moved 2>/dev/null; echo \"into itself $?\"",
    ),
  },
  {
    label: "mv keeps times, modes and links",
    script: sh("chmod 604 data.txt", "ln data.txt hard", "mv data.txt src/sub/deep/far.txt", "stat -c '%a %h %Y %s' src/sub/deep/far.txt hard", "mv src/link.txt ln2", "readlink ln2", "cat ln2 2>/dev/null; echo \"dangling $?\""),
  },

  // ---- rm / rmdir / mkdir ----
  {
    label: "rm -r and rm -rf",
    script: sh(
      "rm src 2>/dev/null; echo \"no -r $?\"",
      "rm -r src/sub; echo \"rm -r $?\"",
      "find src | sort",
      "chmod 555 src/empty",
      "rm -rf src; echo \"rm -rf $?\"",
      "ls",
      "rm no-such 2>/dev/null; echo \"missing $?\"",
      "rm -f no-such; echo \"missing -f $?\"",
      "rm -rf no-such-dir; echo \"missing -rf $?\"",
    ),
  },
  {
    label: "mkdir -p and -m",
    script: sh(
      "mkdir -p a/b/c; echo $?",
      "mkdir -p a/b/c; echo $?",
      "mkdir a 2>/dev/null; echo \"exists $?\"",
      "mkdir q/r 2>/dev/null; echo \"no parent $?\"",
      "mkdir -m 700 m7",
      "mkdir -p -m 750 x/y",
      "stat -c '%a %n' a a/b a/b/c m7 x x/y",
      "mkdir data.txt/sub 2>/dev/null; echo \"not a dir $?\"",
    ),
  },
  {
    label: "rmdir: empty, non-empty, -p",
    script: sh(
      "rmdir src 2>&1; echo $?",
      "rmdir src/empty; echo $?",
      "mkdir -p p/q/r",
      "rmdir -p p/q/r; echo $?",
      "ls | sort",
      "rmdir data.txt 2>&1; echo $?",
      "rmdir missing 2>&1; echo $?",
    ),
  },

  // ---- links ----
  {
    label: "ln -s relative, absolute, dangling",
    script: sh(
      NODATE,
      "ln -s data.txt rel",
      "ln -s \"$PWD/src/a.txt\" abs",
      "ln -s nowhere dangling",
      "stat -c '%N %F %s' rel abs dangling",
      "cat rel abs",
      "cat dangling 2>&1; echo $?",
      "test -e dangling || echo not-exists",
      "test -L dangling && echo is-link",
      "ls -l rel dangling | nodate",
      "ln -s other rel 2>/dev/null; echo \"exists $?\"",
      "ln -sf src/b.txt rel; cat rel",
    ),
  },
  {
    label: "ln -s into dirs and ln -sn",
    script: sh(
      "mkdir d",
      "ln -s ../data.txt d/up",
      "head -n 2 d/up",
      "ln -s src dirlink",
      "ls dirlink/ | sort",
      "ln -s data.txt dirlink; readlink src/data.txt",
      "ln -sfn nums.txt dirlink; readlink dirlink",
    ),
  },
  {
    label: "hard links and link counts",
    script: sh(
      "ln data.txt hard",
      "stat -c '%h %n' data.txt hard",
      "echo more >> hard",
      "tail -n 1 data.txt",
      "ln hard hard2; stat -c %h data.txt",
      "rm data.txt; stat -c '%h %s' hard hard2",
      "ln src hdir 2>/dev/null; echo \"dir $?\"",
      "link hard2 viaapplet; unlink hard2; stat -c %h viaapplet",
      "stat -c '%h %n' src src/sub src/empty",
    ),
  },
  {
    label: "readlink and realpath",
    script: sh(
      "ln -s src/link.txt chain",
      "ln -s chain chain2",
      "readlink chain2; readlink -f chain2",
      "realpath src/../src/sub/./deep/d.txt",
      "realpath chain2 src/sub/up",
      "readlink data.txt; echo \"not a link $?\"",
      "ln -s missing/x dangle",
      "readlink -f dangle; echo $?",
      "cd src/sub && realpath ../link.txt .",
    ),
  },
  {
    label: "symlink loops",
    script: sh(
      "ln -s self self",
      "cat self 2>&1; echo $?",
      "ln -s ping pong; ln -s pong ping",
      "cat ping 2>&1; echo $?",
      "echo x > ping 2>&1; echo $?",
      "stat -c '%N' self ping",
      "stat -L self 2>&1; echo $?",
      "readlink -f self; echo $?",
      "test -e self || echo no-target",
      "rm self ping pong; ls | sort",
    ),
  },

  // ---- tar / gzip / cpio ----
  {
    label: "tar create, list, extract",
    script: sh(
      "tar cf a.tar --no-recursion $(find src | sort)",
      "tar tvf a.tar",
      "md5sum a.tar",
      "mkdir out",
      "tar xf a.tar -C out",
      "diff -r src out/src && echo same",
      "stat -c '%n %a %Y' $(find out -type f | sort)",
      "stat -c '%n %a' $(find out -type d | sort)",
      "stat -c '%N' out/src/link.txt out/src/sub/up",
    ),
  },
  {
    label: "tar -z",
    script: sh(
      "tar czf a.tgz --no-recursion $(find src | sort)",
      "md5sum a.tgz",
      "tar tzf a.tgz",
      "mkdir x && cd x && tar xzf ../a.tgz && echo extracted",
      "find . | sort",
      "md5sum src/a.txt src/sub/deep/d.txt",
      "gunzip -c ../a.tgz | tar tf - | wc -l",
    ),
  },
  {
    label: "tar through a pipe, -O, --strip-components",
    script: sh("tar cf - src | tar tf - | sort", "tar cf - src | tar xOf - src/sub/c.txt", "mkdir s", "tar cf - src/sub | tar xf - -C s --strip-components 2", "find s | sort"),
  },
  {
    label: "gzip, gunzip, zcat",
    script: sh(
      "seq 1 2000 > n.txt",
      "touch -d '2010-05-06 07:08:09' n.txt",
      "gzip n.txt; echo $?",
      "ls | sort",
      "stat -c '%s' n.txt.gz",
      "zcat n.txt.gz | md5sum",
      "gzip -t n.txt.gz && echo ok",
      "gunzip n.txt.gz",
      "stat -c '%s' n.txt",
      "gzip -c data.txt > d.gz; md5sum d.gz",
      "gzip -d < d.gz | cmp - data.txt && echo round-trip",
      "echo garbage > bad.gz; gunzip bad.gz 2>/dev/null; echo \"bad $?\"",
      "ls | sort",
    ),
  },
  {
    label: "cpio out and in",
    script: sh("find src | sort | cpio -o -H newc > a.cpio 2>/dev/null", "cpio -t < a.cpio 2>/dev/null", "mkdir x && cd x && cpio -i -d < ../a.cpio 2>/dev/null", "find . | sort", "diff -r ../src src && echo same"),
  },

  // ---- find / xargs ----
  {
    label: "find -name and -type",
    script: sh("find src -name '*.txt' | sort", "find src -type d | sort", "find src -type l | sort", "find . -type f -name 'd*' | sort", "find src -iname 'A.TXT'", "find $PWD/src -type f -name run.sh"),
  },
  {
    label: "find -newer",
    script: sh("touch -d '2021-01-01' ref", "touch -d '2022-01-01' src/b.txt src/sub/c.txt", "find src -newer ref | sort", "find src ! -newer ref -type f | sort"),
  },
  {
    label: "find -maxdepth and -mindepth",
    script: sh("find src -maxdepth 1 | sort", "find src -mindepth 2 | sort", "find . -maxdepth 0", "find src -mindepth 1 -maxdepth 2 -type d | sort"),
  },
  {
    label: "find -exec",
    script: sh("find src -type f -exec md5sum {} \\; | sort", "find src -name '*.txt' -exec wc -c {} + | sort", "find src -type f -exec test -x {} \\; -print", "find src -name c.txt -exec rm {} \\;", "find src -type f | sort"),
  },
  {
    label: "find -size, -empty, -perm, -links",
    script: sh(
      "seq 1 1000 > src/sub/big.txt",
      "chmod 600 src/b.txt",
      "ln src/a.txt src/hard.txt",
      "find src -size +1k | sort",
      "find src -type f -size -2 | sort",
      "find src -empty | sort",
      "find src -perm 600; find src -type f -perm -100 | sort",
      "find src -type f -links 2 | sort",
      "find src -type f ! -name '*.txt' -o -type l | sort",
    ),
  },
  {
    label: "find -print0 | xargs -0 with spaces in names",
    script: sh(
      "mkdir 'sp ace'",
      "touch 'sp ace/a b' 'sp ace/c  d' 'sp ace/e'",
      "find 'sp ace' -type f -print0 | xargs -0 -n 1 echo | sort",
      "find 'sp ace' -type f -print0 | xargs -0 rm",
      "ls 'sp ace' | wc -l",
      "find src -type f -print0 | xargs -0 cat | sort | md5sum",
    ),
  },

  // ---- content tools ----
  {
    label: "sort -o in place",
    script: sh("sort -o data.txt data.txt", "cat data.txt", "sort -rn -o nums.txt nums.txt", "cat nums.txt", "sort -u data.txt -o data.txt; wc -l < data.txt"),
  },
  {
    label: "cat with redirections and >>",
    script: sh(
      "cat src/a.txt src/b.txt > both",
      "cat both",
      "cat src/a.txt >> both; cat src/a.txt >> both",
      "wc -l < both",
      "cat - src/a.txt < src/b.txt",
      "cat < both > copy; cmp both copy && echo same",
      "echo x > missing-dir/f 2>/dev/null; echo \"no dir $?\"",
    ),
  },
  {
    label: "head and tail -c on files",
    script: sh("head -c 10 data.txt | od -c", "tail -c 7 data.txt", "tail -c +40 data.txt", "head -c 0 data.txt | wc -c", "head -n 3 data.txt", "tail -n 2 data.txt", "tail -n +6 data.txt"),
  },
  {
    label: "cmp and diff",
    script: sh(
      "cp data.txt d2",
      "cmp data.txt d2; echo \"same $?\"",
      "sed 's/cherry/CHERRY/' data.txt > d3",
      "cmp data.txt d3; echo \"differ $?\"",
      "cmp -l data.txt d3",
      "diff data.txt d3 | tail -n +3; echo \"diff $?\"",
      "diff -q src/a.txt src/b.txt; echo \"q $?\"",
      "head -c 20 data.txt > short; cmp data.txt short 2>&1; echo \"eof $?\"",
    ),
  },
  {
    label: "wc on files",
    script: sh("wc data.txt nums.txt", "wc -l src/b.txt", "wc -c < data.txt", "wc -w src/*.txt", "cat data.txt | wc"),
  },
  {
    label: "mktemp in .",
    script: sh(
      "f=$(mktemp ./tmp.XXXXXX); echo $?",
      'echo "$f" | sed -E "s/[A-Za-z0-9]{6}$/XXXXXX/"',
      'stat -c "%a %F %s" "$f"',
      "d=$(mktemp -d ./dir.XXXXXX)",
      'stat -c "%a %F" "$d"',
      'touch "$d/in"; ls "$d"',
      'g=$(mktemp -p . q.XXXXXX); [ -f "$g" ] && echo in-dot',
      "ls | sed -E 's/[A-Za-z0-9]{6}$/XXXXXX/' | sort",
    ),
  },
  {
    label: "seq into a multi-megabyte file + md5sum",
    script: sh(
      "seq 1 10000 > s",
      "cat s s s s s s s s > s8",
      "cat s8 s8 s8 s8 s8 s8 s8 s8 > big",
      "stat -c %s big",
      "md5sum big",
      "wc -l < big",
      "tail -n 1 big",
      "cp big big2 && cmp big big2 && echo copied",
      "cat big | md5sum",
    ),
  },

  // ---- dd / truncate / fallocate ----
  {
    label: "dd bs, count, skip, seek",
    script: sh(
      "printf 0123456789abcdefghij > in",
      "dd if=in of=out bs=4 count=2 skip=1 2>/dev/null; cat out; echo",
      "dd if=in of=seeked bs=1 seek=5 count=3 2>/dev/null; od -c seeked",
      "dd if=in bs=3 skip=5 2>/dev/null; echo",
      "dd if=/dev/zero of=zeros bs=512 count=4 2>/dev/null; stat -c %s zeros; md5sum zeros",
      "dd if=in of=/dev/null 2>&1 | head -n 2",
    ),
  },
  {
    label: "dd conv=notrunc",
    script: sh(
      "printf 0123456789 > f",
      // Not `cat f` straight to stdout: cat's sendfile into a pipe passes page-cache pages,
      // and the next dd would change what the reader still has to read.
      "printf AB | dd of=f bs=1 seek=3 conv=notrunc 2>/dev/null; echo \"$(cat f)\"",
      "printf CD | dd of=f bs=1 seek=3 2>/dev/null; echo \"$(cat f)\"",
      "printf XY | dd of=f bs=1 seek=8 conv=notrunc 2>/dev/null; od -c f",
      "printf EF | dd of=f bs=1 seek=1 conv=notrunc,fsync 2>/dev/null; echo \"fsync $?\"; cat f | od -c",
    ),
  },
  {
    label: "truncate grows and shrinks",
    script: sh(
      "truncate -s 100 data.txt; stat -c %s data.txt",
      "truncate -s 12 data.txt; cat data.txt; echo",
      "truncate -s 20 data.txt; od -c data.txt",
      "truncate -s 0 data.txt; stat -c %s data.txt",
      "truncate -s 5 new; stat -c '%s %F' new",
      "truncate -c -s 5 absent; ls absent 2>/dev/null; echo \"-c $?\"",
    ),
  },
  {
    label: "sparse files: du vs ls size",
    script: sh(
      "truncate -s 4M sparse",
      "stat -c '%s %b' sparse",
      "du -k sparse",
      "ls -s sparse",
      "printf x | dd of=sparse bs=1 seek=3000000 conv=notrunc 2>/dev/null",
      "stat -c %s sparse",
      "du -k sparse",
      "md5sum sparse",
    ),
  },
  {
    label: "fallocate",
    script: sh("fallocate -l 1M fa; echo $?", "stat -c %s fa", "du -k fa", "fallocate -o 1048576 -l 4096 fa; echo $?", "stat -c %s fa", "md5sum fa"),
  },

  // ---- modes and times ----
  {
    label: "chmod octal and symbolic",
    script: sh(
      "chmod 640 data.txt; stat -c '%a %A' data.txt",
      "chmod u+x,g-r,o=r data.txt; stat -c '%a %A' data.txt",
      "chmod a-w data.txt; stat -c '%a %A' data.txt",
      "chmod =rwx,g-w,o-wx data.txt; stat -c '%a %A' data.txt",
      "chmod 4755 data.txt; stat -c '%a %A' data.txt",
      "chmod +t src/empty; stat -c '%a %A' src/empty",
      "chmod g+s src/empty; stat -c '%a %A' src/empty",
      "chmod 644 src/link.txt; stat -c '%a %N' src/a.txt src/link.txt",
      "chmod 777 no-such 2>/dev/null; echo \"missing $?\"",
    ),
  },
  {
    label: "chmod -R",
    script: sh("chmod -R 700 src", "find src | sort | xargs stat -c '%a %n'", "chmod -R go+rX src", "find src | sort | xargs stat -c '%a %n'"),
  },
  {
    label: "touch -d then stat -c %y %Y",
    script: sh(
      "touch -d '2020-01-02 03:04:05' data.txt; stat -c '%y %Y' data.txt",
      "touch -d '1999-12-31 23:59:59' new; stat -c '%s %y' new",
      "touch -r data.txt nums.txt; stat -c %Y nums.txt",
      "touch -c absent; ls absent 2>/dev/null; echo \"-c $?\"",
      "touch -d '2005-06-07 08:09:10' src; stat -c '%y' src",
      "touch -d '1970-01-01 00:00:00' epoch; stat -c %Y epoch",
      "touch -h -d '2003-03-03 03:03:03' src/link.txt; stat -c '%Y' src/link.txt src/a.txt",
    ),
  },
  {
    label: "touch -a and -m",
    script: sh("touch -a -d '2011-11-11 11:11:11' data.txt", "stat -c '%X %Y' data.txt", "touch -m -d '2012-12-12 12:12:12' data.txt", "stat -c '%X %Y' data.txt", "cat data.txt > /dev/null; stat -c %Y data.txt"),
  },
  {
    label: "stat -c formats",
    script: sh(
      "mkfifo fifo",
      "stat -c '%n|%s|%a|%A|%F|%h|%N' data.txt src src/link.txt src/empty fifo",
      "stat -c '%U %G %u %g' data.txt src",
      "stat -c '%F %t %T %a' /dev/null /dev/zero",
      "stat -L -c '%F %s %N' src/link.txt",
      "stat -c '%Y %X' src/a.txt",
      "stat -f -c '%l %S' .",
      "stat no-such 2>/dev/null; echo \"missing $?\"",
    ),
  },
  {
    label: "chown and chgrp with numeric ids",
    script: sh(
      "chown 1000:1001 data.txt; stat -c '%u %g' data.txt",
      "chgrp 7 data.txt; stat -c '%u %g' data.txt",
      "chown -h 5:6 src/link.txt; stat -c '%u %g %N' src/link.txt; stat -L -c '%u %g' src/link.txt",
      "chown -R 42:43 src/sub; find src/sub | sort | xargs stat -c '%u %g %n'",
      "ls -ln src/sub/deep",
      "chown 0:0 no-such 2>/dev/null; echo \"missing $?\"",
    ),
  },
  {
    label: "du -s -k -a",
    script: sh(
      "seq 1 3000 > src/sub/n.txt",
      "du -s src",
      "du -k src | sort -k2",
      "du -a src | sort -k2",
      "du -sk data.txt src/sub/n.txt",
      "du -sb src",
    ),
  },

  // ---- split emulated ----
  {
    label: "split by bytes (dd) and lines (head/tail), cat back",
    script: sh(
      "seq 1 1000 > whole",
      "for i in 0 1 2 3; do dd if=whole of=part.$i bs=1000 skip=$i count=1 2>/dev/null; done",
      "wc -c part.*",
      "cat part.* > joined; cmp whole joined && echo bytes-same",
      "head -n 300 whole > l.a; tail -n +301 whole | head -n 300 > l.b; tail -n +601 whole > l.c",
      "wc -l l.a l.b l.c",
      "cat l.a l.b l.c | md5sum; md5sum < whole",
    ),
  },

  // ---- fifos ----
  {
    label: "mkfifo with a background writer",
    script: sh(
      "mkfifo p",
      "stat -c '%F %a' p",
      "(echo through-fifo > p) &",
      "cat p",
      "wait; echo \"writer $?\"",
      "ls -l p | cut -c1",
      "test -p p && echo is-fifo",
      "mknod q p; stat -c '%F' q",
    ),
  },
  {
    label: "mkfifo: reader first, many lines",
    script: sh("mkfifo -m 600 p", "stat -c '%a' p", "cat p > out &", "seq 1 5000 > p", "wait", "wc -l < out", "md5sum out", "rm p; ls | sort"),
  },

  // ---- permissions (natively root: compare whatever happens) ----
  {
    label: "chmod 000 then read and write",
    script: sh(
      "echo secret > f",
      "chmod 000 f",
      "cat f; echo \"cat $?\"",
      "echo more >> f; echo \"append $?\"",
      "stat -c '%a %s' f",
      "mkdir d; touch d/x; chmod 000 d",
      "ls d; echo \"ls $?\"",
      "touch d/y; echo \"touch $?\"",
      "chmod 755 d; ls d | sort",
      "test -r f && echo readable; test -w f && echo writable; test -x f || echo not-exec",
    ),
  },

  // ---- directories and the cwd ----
  {
    label: "cd through symlinks: pwd and pwd -P",
    script: sh(
      "ln -s src/sub lnk",
      "cd lnk; pwd; pwd -P",
      "cd ..; pwd",
      "cd -P lnk; pwd",
      "cd \"$OLDPWD\" 2>/dev/null || cd ..; cd lnk/deep && pwd && pwd -P",
      "sh -c pwd",
      "cd /; cd \"$HOME/lnk\"; ls | sort",
    ),
  },
  {
    label: "ls -la of subdirs",
    script: sh(NODATE, "ls -la src", "ls -la src/sub", "ls -lR src | nodate", "ls -ld src src/empty", "ls -lan src/sub/deep"),
  },
  {
    label: "ls -l with times fixed by touch -d, sorted by time and size",
    script: sh(
      "touch -d '2019-03-04 05:06:07' src/a.txt",
      "touch -d '2021-08-09 10:11:12' src/b.txt",
      "ls -l src",
      "ls -lt src",
      "ls -lS src",
      "ls -l --full-time src/a.txt",
      "ls -1F src",
    ),
  },
  {
    label: "many directory entries",
    script: sh(
      "mkdir many; cd many",
      "for i in $(seq 1 400); do : > entry_with_a_rather_long_name_number_$i; done",
      "ls | wc -l",
      "ls | sort | md5sum",
      "find . -type f | wc -l",
      "rm entry_with_a_rather_long_name_number_1*",
      "ls | wc -l",
      "cd .. && rm -r many && echo removed",
    ),
  },
  {
    label: "deep paths (over 1000 bytes)",
    script: sh(
      "p=$(for i in $(seq 1 30); do printf 'a_directory_name_of_40_characters_long_%02d/' $i; done)",
      'mkdir -p "$p"; echo "mkdir $?"',
      'echo deep > "$p/leaf"',
      'cd "$p" && pwd | wc -c && cat leaf && pwd -P | md5sum && cd "$HOME"',
      "find . -name leaf | wc -c",
      "du -s a_directory_name_of_40_characters_long_01 | cut -f1",
      "rm -rf a_directory_name_of_40_characters_long_01; echo \"rm $?\"",
      "ls | sort",
    ),
  },
  {
    label: "concurrent appends from two processes",
    script: sh(
      "(for i in $(seq 1 100); do echo a$i >> log; done) &",
      "(for i in $(seq 1 100); do echo b$i >> log; done) &",
      "wait",
      "wc -l < log",
      "sort log | md5sum",
      "grep -c '^a' log",
    ),
  },
  {
    label: "absolute and dotted paths",
    script: sh("cat \"$PWD/src/../src/./a.txt\"", "cat src//sub///c.txt", "ls \"$PWD\"/src/sub/. | sort", "cd src/sub/deep && cat ../../a.txt ../c.txt && cd ../../.. && pwd", "find \"$PWD/src\" -name d.txt"),
  },
  {
    label: "devices in /dev",
    script: sh(NODATE, "ls -l /dev/null /dev/zero | nodate", "head -c 8 /dev/zero | od -An -tx1", "head -c 64 /dev/urandom | wc -c", "echo gone > /dev/null; echo $?", "cat /dev/null | wc -c"),
  },
  {
    label: "mv and cp -a to a dir under /tmp and back",
    script: sh(
      "t=$(mktemp -d /tmp/fsdiff.XXXXXX)",
      "chmod 750 src/sub",
      'mv src "$t/"; echo "mv $?"',
      '(cd "$t" && find . | sort && stat -c "%n %a %Y" $(find src ! -type l | sort) && stat -c "%n %s" $(find src -type f | sort))',
      'cp -a data.txt "$t/"; stat -c "%a %Y %s" "$t/data.txt"',
      'mv "$t/src" back; echo "back $?"',
      "find back | sort",
      "stat -c '%a %Y' back/sub back/a.txt; readlink back/link.txt",
      'rm -r "$t"; echo "rm $?"',
    ),
  },
  {
    label: "sync, sync -d, sync -f",
    script: sh("echo data > f", "sync; echo \"sync $?\"", "sync -d f; echo \"-d $?\"", "sync -f f; echo \"-f $?\"", "cat f"),
  },
  {
    label: "overwriting a file keeps its mode and links",
    script: sh("chmod 600 data.txt", "ln data.txt h", "echo replaced > data.txt", "stat -c '%a %h %s' data.txt h", "cat h", "set -C; echo no > data.txt 2>/dev/null; echo \"noclobber $?\"", "cat data.txt"),
  },
];

/** Write the scratch tree into `work` (wiped first) with fixed modes and times. */
function createScratch(work: string): void {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const files: string[] = [];
  const file = (rel: string, text: string, mode = 0o644): void => {
    writeFileSync(join(work, rel), text);
    chmodSync(join(work, rel), mode);
    files.push(rel);
  };
  file("data.txt", FRUIT);
  file("nums.txt", NUMS);
  const dirs = ["src/sub/deep", "src/sub", "src/empty", "src"];
  for (const d of dirs) mkdirSync(join(work, d), { recursive: true });
  file("src/a.txt", "alpha\n");
  file("src/b.txt", "bravo\nbeta\n");
  file("src/run.sh", "#!/bin/sh\necho run\n", 0o755);
  file("src/sub/c.txt", "charlie\n");
  file("src/sub/deep/d.txt", "delta\n");
  symlinkSync("a.txt", join(work, "src/link.txt"));
  symlinkSync("../a.txt", join(work, "src/sub/up"));
  for (const f of files) utimesSync(join(work, f), FIXED_TIME, FIXED_TIME);
  for (const l of ["src/link.txt", "src/sub/up"]) lutimesSync(join(work, l), FIXED_TIME, FIXED_TIME);
  for (const d of [...dirs, "."]) {
    chmodSync(join(work, d), 0o755);
    utimesSync(join(work, d), FIXED_TIME, FIXED_TIME);
  }
}

function createBin(bin: string): void {
  mkdirSync(bin);
  for (const applet of APPLETS) symlinkSync(BUSYBOX, join(bin, applet));
}

const FS_MODES = fsModesUnderTest();

describe.skipIf(!existsSync(BUSYBOX))(`busybox file utilities differential (needs ${BUSYBOX})`, () => {
  let work = "";
  let nativeEnv: Record<string, string> = {};
  let libosEnvArgs: string[] = [];
  let cleanup = (): void => {};

  beforeAll(() => {
    ensureBuilt();
    const tmp = makeTempDir("libos-fsdiff-");
    cleanup = tmp.cleanup;
    work = join(tmp.dir, "work");
    const bin = join(tmp.dir, "bin");
    createBin(bin);
    const common = { HOME: work, LANG: "C", TZ: "UTC0" };
    nativeEnv = { PATH: bin, ...common };
    const guestEnv = { PATH: "/bin:/sbin:/usr/bin:/usr/sbin", ...common };
    libosEnvArgs = ["--clear-env", ...Object.entries(guestEnv).flatMap(([k, v]) => ["-e", `${k}=${v}`])];
  });
  afterAll(() => cleanup());

  it("has at least 40 cases with unique names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.label)).size).toBe(cases.length);
  });

  describe.each(FS_MODES)("--fs-mode %s", (mode) => {
    it.each(cases.map((c) => [c.label, c] as const))(
      "fs: %s matches native",
      (_label, { script }) => {
        const args = ["sh", "-c", script];
        const opts = { cwd: work, encoding: "latin1" as const, timeout: 20_000 };
        createScratch(work);
        const native: RunResult = runNative(BUSYBOX, args, { ...opts, env: nativeEnv });
        expect(native.error).toBeUndefined();
        createScratch(work);
        const libos: RunResult = runLibos(["--fs-mode", mode, ...libosEnvArgs], BUSYBOX, args, opts);
        expect(libos.error).toBeUndefined();
        const stderrTail = `LibOS stderr (tail):\n${libos.stderr.slice(-1500)}`;
        expect({ stdout: libos.stdout, status: libos.status }, stderrTail).toEqual({ stdout: native.stdout, status: native.status });
      },
      45_000,
    );
  });
});
