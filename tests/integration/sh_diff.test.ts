// Differential tests for the shell: each case runs `/bin/busybox sh -c '<script>'` natively
// and under the LibOS and asserts byte-identical stdout and the same exit status.
//
// The scripts exercise what a shell needs from the kernel: fork/exec/wait (pipelines,
// subshells, command substitution, background jobs), pipes (incl. multi-megabyte data and
// SIGPIPE on the writer), signals (trap, kill, timeout), fd juggling (exec, dup, here-docs)
// and the process environment (umask, ulimit, cwd, env).
//
// How: a temp dir holds `bin/` (symlinks `<applet> -> /bin/busybox` for every applet the
// scripts use; PATH is only that dir, so both runs resolve commands the same way) and
// `work/`, the fixture dir. `work/` is wiped and re-created before each run, so both runs of
// a case start from identical files at the identical path. The environment is fixed
// (PATH, HOME=work dir, LANG=C). Every script prints only deterministic facts: no pids,
// times or `jobs`/`ps` output; `$$` and `$!` are only compared, never printed.

import { existsSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ensureBuilt, makeTempDir, runLibos, runNative, type RunResult } from "./_run.ts";

interface Case {
  /** Shown in the test name: "sh: <label> matches native". */
  label: string;
  script: string;
  input?: string;
}

/** Join script lines with newlines. */
const sh = (...lines: string[]): string => lines.join("\n");

/** Applets the scripts call by name; each gets a `bin/<name> -> /bin/busybox` symlink. */
const APPLETS = [
  "[", "awk", "basename", "cat", "chmod", "cut", "dd", "dirname", "echo", "env", "expr", "false",
  "find", "grep", "head", "kill", "ln", "ls", "md5sum", "mkdir", "mv", "od", "paste", "printf",
  "pwd", "rev", "rm", "sed", "seq", "sh", "sleep", "sort", "stat", "tac", "tail", "tee", "test",
  "timeout", "touch", "tr", "true", "uniq", "wc", "xargs", "yes",
];

const LINES = "banana 3\napple 10\ncherry 2\napple 10\ndate 1\nelderberry 25\nfig\n";
const NUMS = "10\n9\n100\n-3\n0\n42\n9\n";
const WORDS = "the cat\nthe dog\na cat\nthe cat\nthe end\na dog\nthe cat\n";
const CSV = "name,qty,price\napple,3,10\npear,5,4\nplum,12,1\nkiwi,7,3\n";

const cases: Case[] = [
  // ---- pipelines ----
  { label: "pipeline: 2 stages", script: "echo hello world | tr a-z A-Z" },
  { label: "pipeline: 4 stages", script: "seq 1 100 | grep 7 | sort -rn | head -n 3" },
  { label: "pipeline: 8 cats", script: "seq 1 1000 | cat | cat | cat | cat | cat | cat | cat | md5sum" },
  {
    label: "pipeline: status is the last stage's",
    script: sh('false | true; echo "a=$?"', 'true | false; echo "b=$?"', '! true; echo "c=$?"', '! false | false; echo "d=$?"'),
  },
  {
    label: "pipeline: set -o pipefail",
    script: sh("set -o pipefail", "false | true; echo $?", "true | (exit 3) | true; echo $?", "true | true; echo $?"),
  },
  { label: "pipeline: every stage is a subshell", script: sh("x=1", "echo 2 | read x", 'echo "x=$x"') },
  { label: "pipeline: sort | uniq -c", script: "sort words.txt | uniq -c | sort -k1,1nr -k2" },
  {
    label: "pipeline: awk one-liners",
    script: sh(
      "awk -F, 'NR > 1 { s += $2 * $3 } END { print s, NR }' data.csv",
      "awk '{ print NF \": \" $1 }' lines.txt | head -n 3",
      "awk 'BEGIN { for (i = 1; i <= 5; i++) printf \"%d%s\", i * i, (i < 5 ? \",\" : \"\\n\") }'",
      "seq 1 10 | awk '$1 % 3 == 0 { n++ } END { print n }'",
    ),
  },
  {
    label: "pipeline: sed stages",
    script: "cat lines.txt | sed -e 's/a/A/g' -e '/cherry/d' | sed -n '1p;3p;$p' | sed 's/^/> /'",
  },
  { label: "pipeline: tee in the middle", script: sh("seq 3 | tee t.txt | wc -l", "cat t.txt") },
  { label: "pipeline: function as a stage", script: sh('g() { while read -r l; do echo "g:$l"; done; }', "seq 3 | g | tac") },
  { label: "SIGPIPE: yes | head -n 5", script: sh("yes | head -n 5", 'echo "status $?"') },
  { label: "SIGPIPE: pipefail reports 141", script: sh("set -o pipefail", "yes abc | head -n 2", 'echo "status $?"') },
  { label: "large: seq 1 100000 | md5sum", script: "seq 1 100000 | md5sum" },
  { label: "large: dd 4 MiB of zeros | md5sum", script: "dd if=/dev/zero bs=64k count=64 2>/dev/null | md5sum" },
  { label: "large: head -c 3000000 /dev/zero | tr | wc -c", script: "head -c 3000000 /dev/zero | tr '\\0' a | wc -c" },
  { label: "large: command substitution of 20000 lines", script: sh("v=$(seq 1 20000)", "echo ${#v}", 'echo "$v" | tail -n 1') },

  // ---- reading loops ----
  { label: "while read fed by a pipe", script: 'seq 1 5 | while read n; do echo "n=$n sq=$((n * n))"; done' },
  {
    label: "while read from a redirect keeps variables",
    script: sh("count=0", "while read -r line; do count=$((count + 1)); last=$line; done < lines.txt", 'echo "$count [$last]"'),
  },
  {
    label: "read -r with IFS",
    script: sh(
      "printf 'a:b:c d:e\\n' | { IFS=: read -r x y z; echo \"[$x][$y][$z]\"; }",
      "printf 'back\\\\slash\\n' | { read -r v; echo \"$v\"; }",
      "printf 'back\\\\slash\\n' | { read v; echo \"$v\"; }",
      "printf '  lead and trail  \\n' | { read v; echo \"[$v]\"; }",
      "printf '  lead and trail  \\n' | { IFS= read -r v; echo \"[$v]\"; }",
    ),
  },
  {
    label: "IFS field splitting",
    script: sh("IFS=,", "set -- $(echo a,b,,c)", "echo $#", 'for i in "$@"; do echo "<$i>"; done'),
  },
  {
    label: "read from a here-document inside a function",
    script: sh("sum() { t=0; while read a b; do t=$((t + a * b)); done; echo $t; }", "sum <<EOF", "2 3", "4 5", "10 10", "EOF"),
  },

  // ---- subshells and groups ----
  { label: "subshell isolates variables", script: sh('x=1; (x=2; echo "in $x"); echo "out $x"') },
  { label: "{ } group shares variables", script: sh('x=1; { x=2; echo "in $x"; }; echo "out $x"') },
  { label: "exit 7 from a subshell", script: sh("(exit 7); echo $?", "(echo inside; exit 3); echo $?", "(false); echo $?") },
  {
    label: "nested sh -c exit statuses",
    script: sh("sh -c 'exit 3'; echo $?", "sh -c 'sh -c \"exit 4\"; echo inner $?; exit 5'; echo outer $?"),
  },
  { label: "{ } group with a redirect", script: sh("{ echo one; echo two; } > g.txt", "cat g.txt", "wc -l < g.txt") },
  {
    label: "cd in a subshell does not move the parent",
    script: sh('(cd sub && pwd | sed "s|^$HOME|~|")', 'pwd | sed "s|^$HOME|~|"', "(cd /; pwd)", 'cd sub/deeper; basename "$(pwd)"; cd; [ "$(pwd)" = "$HOME" ] && echo home'),
  },
  { label: "pwd is the work dir", script: sh("pwd", "echo $PWD") },

  // ---- command substitution ----
  { label: "$( ) nested three deep", script: "echo $(echo a $(echo b $(echo c)))" },
  { label: "backticks nested", script: "echo `echo x \\`echo y \\\\\\`echo z\\\\\\`\\``" },
  { label: "$( ) inside backticks and back", script: "echo `echo $(echo mixed \\`echo inner\\`)`" },
  { label: "$(cat file)", script: sh("v=$(cat lines.txt)", 'echo "$v" | wc -l', "echo ${#v}", 'echo "$(cat sub/a.txt)-$(cat sub/b.txt | head -n 1)"') },
  { label: "command substitution strips trailing newlines", script: sh("v=$(printf 'a\\n\\n\\n')", 'echo "[$v]"', "w=$(printf '\\n\\nb')", 'echo "[$w]"') },
  { label: "$? after command substitution", script: sh("v=$(exit 4); echo $?", "v=$(false) || echo failed", 'v=$(echo ok; exit 0) && echo "$v"') },

  // ---- here-documents ----
  {
    label: "here-doc: unquoted delimiter expands",
    script: sh("name=World", "cat <<EOF", "Hello $name", "$((6 * 7)) $(echo sub) `echo tick`", "\\$name literal", "EOF"),
  },
  { label: "here-doc: quoted delimiter is literal", script: sh("cat <<'EOF'", "$HOME $(echo no) `echo no` \\n", "EOF") },
  { label: "here-doc: <<- strips leading tabs", script: sh("cat <<-EOF", "\tindented", "\t\tdouble", "  spaces stay", "\tEOF", "echo after") },
  { label: "here-doc into a pipeline", script: sh("cat <<EOF | sort | tr a-z A-Z", "bravo", "alpha", "charlie", "EOF") },
  { label: "two here-docs on one command", script: sh("cat <<A - 3<<B", "from A", "A", "from B", "B", "cat <<X; cat <<Y", "x body", "X", "y body", "Y") },

  // ---- functions ----
  {
    label: "function: local variable and return code",
    script: sh('f() { local x=1; x=2; echo "in $x"; return 4; }', "x=0", "f", 'echo "$? $x"'),
  },
  {
    label: "function: recursion (factorial)",
    script: sh("fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(($1 - 1))) )); fi; }", "fact 10", "fact 20"),
  },
  { label: "function: arguments, $#, shift", script: sh('f() { echo "$# [$1] [$2] [$*]"; shift; echo "$@"; }', 'f a "b c" d') },
  { label: "function: return status in conditions", script: sh("even() { return $(( $1 % 2 )); }", "for n in 1 2 3 4; do if even $n; then echo $n even; else echo $n odd; fi; done") },

  // ---- traps and signals ----
  { label: "trap EXIT on normal end", script: sh("trap 'echo cleanup' EXIT", "echo body") },
  { label: "trap EXIT sees the exit status", script: sh("trap 'echo \"exiting with $?\"' EXIT", "(exit 3)", "exit 5") },
  { label: "trap EXIT in a subshell", script: sh("(trap 'echo sub-exit' EXIT; echo in-sub)", "echo after") },
  { label: "trap EXIT runs when set -e stops", script: sh("trap 'echo trap-on-exit' EXIT", "set -e", "false", "echo no") },
  { label: "trap INT, kill -INT $$", script: sh("trap 'echo got INT' INT", "kill -INT $$", "echo continued") },
  { label: "trap USR1, kill -USR1 $$", script: sh("trap 'echo got USR1' USR1", "kill -USR1 $$", "kill -s USR1 $$", "echo done") },
  { label: "trap USR1 sent by a child subshell", script: sh("trap 'echo got USR1' USR1", "(kill -USR1 $$)", "echo done") },
  {
    label: "a trapped signal interrupts wait",
    script: sh("trap 'echo got USR1' USR1", "sleep 3 & pid=$!", "(sleep 0.3; kill -USR1 $$) &", "wait $pid; echo \"wait returned $?\"", "kill $pid", "wait", "echo end"),
  },
  { label: "trap '' ignores USR1", script: sh("trap '' USR1", "kill -USR1 $$", "echo survived", "sh -c 'kill -USR1 $$; echo child survived'") },
  { label: "trap - restores default: USR1 kills (138)", script: sh("trap 'echo h' USR1", "trap - USR1", "kill -USR1 $$", "echo not reached") },
  { label: "trap TERM and continue", script: sh("trap 'echo got TERM' TERM", "kill $$", "echo after") },
  { label: "trap listing", script: sh("trap 'echo x' USR2", "trap 'echo y' EXIT", "trap") },
  { label: "TERM kills a nested sh -c (143)", script: sh("sh -c 'kill $$; echo no'", 'echo "status $?"') },
  {
    label: "trap in a background subshell, signalled by the parent",
    script: sh(
      "( trap 'echo sub got USR1; exit 9' USR1; touch ready; while :; do sleep 0.05; done ) &",
      "p=$!",
      "while [ ! -e ready ]; do sleep 0.01; done",
      "kill -USR1 $p",
      "wait $p",
      'echo "status $?"',
    ),
  },
  { label: "kill a background job: wait $! is 143", script: sh("sleep 10 &", "kill $!", "wait $!", 'echo "status $?"') },
  { label: "kill -9 a background job: wait is 137", script: sh("sleep 10 &", "p=$!", "kill -9 $p", "wait $p", 'echo "status $?"') },
  { label: "kill -0 probes", script: sh("kill -0 $$ && echo alive", 'kill -0 2147483647 2>/dev/null || echo "no such pid"') },
  {
    label: "wait for several background jobs",
    script: sh('for i in 3 1 2; do (sleep 0.$i; echo "job $i" >> jobs.txt) & done', "wait", 'echo "wait status $?"', "sort jobs.txt"),
  },
  {
    label: "wait $pid returns each job's status",
    script: sh("(exit 3) & a=$!", "(sleep 0.1; exit 4) & b=$!", 'wait $b; echo "b=$?"', 'wait $a; echo "a=$?"', 'wait; echo "none=$?"'),
  },
  {
    label: "$! is set per job",
    script: sh("sleep 0 & p1=$!", "sleep 0 & p2=$!", "wait", '[ "$p1" != "$p2" ] && echo distinct', '[ "$p1" -gt 0 ] && [ "$p2" -gt 0 ] && echo positive'),
  },
  {
    label: "$$ is the same in subshells, differs in a child sh",
    script: sh(
      "a=$$",
      "b=$(echo $$)",
      '(c=$$; [ "$a" = "$c" ] && echo subshell-same)',
      '[ "$a" = "$b" ] && echo subst-same',
      "sh -c 'echo $$' > inner.txt",
      '[ "$(cat inner.txt)" != "$a" ] && echo child-differs',
    ),
  },
  { label: "background output ordered by wait", script: sh("(sleep 0.2; echo second) &", "echo first", "wait", "echo third") },
  { label: "background job's stdin is /dev/null", script: sh("echo data | { cat & wait; }", "echo end") },
  { label: "timeout 1 sleep 5 is 143", script: sh("timeout 1 sleep 5", 'echo "status $?"') },
  { label: "timeout 5 true is 0", script: sh("timeout 5 true", 'echo "status $?"', "timeout 5 sh -c 'exit 9'", 'echo "status $?"') },
  { label: "sleep 0.1", script: sh("sleep 0.1", 'echo "status $?"', "sleep 0", "echo done") },

  // ---- control flow and options ----
  { label: "set -e stops at the first failure", script: sh("set -e", "echo a", "false", "echo b") },
  {
    label: "set -e exceptions (||, if, !, &&)",
    script: sh("set -e", 'false || echo "or-ok"', 'if false; then :; else echo "if-ok"; fi', "! true", "false && echo no", "echo survived", "(exit 2)", "echo unreachable"),
  },
  { label: "set -u aborts on an unset variable", script: sh("set -u", "echo ${UNSET_VAR:-default}", "echo $UNSET_VAR", "echo not reached") },
  {
    label: "arithmetic: operators, bit ops, bases",
    script: sh(
      "echo $((0xff & 0x0f)) $((0xf0 | 0x0f)) $((7 ^ 2)) $((~5)) $((1 << 10)) $((1024 >> 3))",
      "echo $((2#1011)) $((8#17)) $((16#ff)) $((36#z)) $((010)) $((0x10))",
      "echo $((-7 / 2)) $((-7 % 3)) $((2 ** 10)) $((3 > 2 && 1)) $((!0)) $((5 == 5)) $((10 > 3 ? 100 : 200))",
      "echo $((9223372036854775807 + 1)) $((-9223372036854775807 - 1))",
    ),
  },
  {
    label: "arithmetic: assignments and increments",
    script: sh("i=5", ": $((i += 3))", "echo $i", "echo $((i++)) $i $((--i)) $i", "x=$(( (1 + 2) * 3 ))", "echo $x", "echo $((x = 5, x * 2)) $x", "n=0; while [ $n -lt 5 ]; do n=$((n + 1)); done; echo $n"),
  },
  {
    label: "case patterns",
    script: "for w in apple Banana 42 x.txt notes.md '' zzz; do case $w in [Aa]*) echo \"$w: a-word\";; [0-9]*) echo \"$w: number\";; *.txt|*.md) echo \"$w: doc\";; '') echo empty;; *) echo \"$w: other\";; esac; done",
  },
  {
    label: "for loops, nested and over globs",
    script: sh('for i in 1 2 3; do for j in a b; do printf "%s%s " $i $j; done; done; echo', 'for f in *.txt; do echo "$f"; done', 'for f in sub/*; do echo "$f"; done', 'for f in no-match-*; do echo "[$f]"; done'),
  },
  {
    label: "while/until with break and continue",
    script: sh("i=0", "while :; do i=$((i + 1)); [ $i -eq 2 ] && continue; [ $i -gt 5 ] && break; echo $i; done", "until [ $i -le 0 ]; do i=$((i - 2)); done; echo $i"),
  },
  {
    label: "test and [",
    script: sh(
      "[ -f lines.txt ] && echo f; [ -d sub ] && echo d; [ -e nope ] || echo no-e; [ -s empty.txt ] || echo empty-s",
      "[ -L link.txt ] && echo L; [ -r lines.txt ] && echo r; [ -x lines.txt ] || echo not-x",
      '[ abc = abc ] && echo eq; [ abc != abd ] && echo ne; [ -z "" ] && echo z; [ -n x ] && echo n',
      "[ 10 -gt 9 ] && echo gt; [ 3 -le 3 ] && echo le; [ 2 -ne 2 ] || echo not-ne",
      "test 1 -eq 1 -a 2 -eq 2 && echo and; test 1 -eq 2 -o 2 -eq 2 && echo or; [ ! -d lines.txt ] && echo not-dir",
      '[ lines.txt -nt nothing ] ; echo "nt $?"; [ 1 -eq x ] 2>/dev/null; echo "bad $?"',
    ),
  },
  {
    label: "|| && chains",
    script: sh("true && echo a || echo b", "false && echo c || echo d", "false || false || echo e", "true && false && echo f", 'echo "status $?"', "{ false || true; } && echo g"),
  },
  { label: "command not found 127, not executable 126", script: sh("no-such-command 2>/dev/null; echo $?", "./lines.txt 2>/dev/null; echo $?", "/no/such/path 2>/dev/null; echo $?") },
  {
    label: "executable #! script run by the shell",
    script: sh("printf '#!/bin/busybox sh\\necho \"script $0 $1\"\\nexit 3\\n' > s.sh", "chmod +x s.sh", "./s.sh hi; echo $?", "sh s.sh there; echo $?"),
  },
  { label: ". sources a file", script: sh("echo 'v=sourced; f() { echo from-f; }' > inc.sh", ". ./inc.sh", "echo $v", "f") },
  { label: "eval", script: sh("cmd='echo $((1 + 2))'", 'eval "$cmd"', 'for i in 1 2 3; do eval "v$i=$((i * 10))"; done', "echo $v1 $v2 $v3", "eval 'echo one; echo two' | wc -l", "eval '(exit 6)'; echo $?") },
  { label: "shift", script: sh("set -- a b c d e", 'shift; echo "$# $*"', 'shift 2; echo "$# $*"', "shift 5 2>/dev/null; echo \"status $?\"", 'echo "$# $*"') },
  {
    label: "getopts",
    script: sh(
      "set -- -a -b val -c -bx rest1 rest2",
      'while getopts ab:c o; do case $o in b) echo "b=$OPTARG";; *) echo "flag $o";; esac; done',
      "shift $((OPTIND - 1))",
      'echo "rest=$*"',
      "OPTIND=1; set -- -z",
      'getopts ab o 2>/dev/null; echo "bad=$o"',
    ),
  },
  {
    label: "printf formats",
    script: sh(
      "printf '%s|%5s|%-5s|%05d|%x|%X|%o|%c|%%\\n' abc de fg 42 255 255 8 xyz",
      "printf '%s\\n' one two three",
      "printf '%b\\n' 'tab\\there' 'nl\\\\n'",
      "printf '%.2f %e %g\\n' 3.14159 1234.5 0.0001",
      "printf '%d %i\\n' 0x1f 010",
      "printf '%3d|%-3d|%+d\\n' 5 5 5",
    ),
  },
  {
    label: "string ops ${var#} ${var%%} ${#var} ...",
    script: sh(
      "p=/usr/local/lib/archive.tar.gz",
      'echo "${p#*/}" "${p##*/}" "${p%.*}" "${p%%.*}" "${#p}"',
      "v=abcdef",
      'echo "${v:2:3}" "${v:4}" "${v/cd/XX}" "${v//[ace]/_}"',
    ),
  },
  {
    label: "parameter defaults ${var:-x} ${var:=x} ${var:+x} ${var:?}",
    script: sh(
      "unset u",
      "echo ${u:-def} ${u-def2}",
      "echo ${u:=set}; echo $u",
      "e=",
      'echo "[${e:-x}] [${e-y}] [${e:+z}] [${u:+alt}]"',
      "(: ${nope:?custom message}) 2>/dev/null",
      'echo "status $?"',
    ),
  },
  { label: "expr", script: sh("expr 6 \\* 7", "expr length hello", "expr 10 / 3", "expr abc : 'a\\(.\\)'", "expr 1 = 2; echo $?") },

  // ---- redirections and fds ----
  { label: "exec 3>file; echo >&3", script: sh("exec 3>out.txt", "echo x >&3", "echo y >&3", "exec 3>&-", "cat out.txt", "echo z >&3 2>/dev/null || echo closed") },
  { label: "exec 4<file; read <&4", script: sh("exec 4< lines.txt", "read -r a <&4", "read -r b <&4", "exec 4<&-", 'echo "$a|$b"') },
  {
    label: "exec >file then restore stdout",
    script: sh("exec 5>&1", "exec > redir.txt", "echo hidden", "exec 1>&5 5>&-", "echo visible", "cat redir.txt"),
  },
  { label: "exec <> read-write fd", script: sh("echo hello > rw.txt", "exec 6<> rw.txt", "read -r w <&6", "echo world >&6", "exec 6>&-", 'echo "$w"', "cat rw.txt") },
  {
    label: "2>&1 ordering",
    script: sh("{ echo out; echo err >&2; } 2>&1 >/dev/null", "{ echo out2; echo err2 >&2; } >/dev/null 2>&1", "echo ---", "ls no-such-file 2>&1 | wc -l", "(echo e >&2) 2>&1 | tr e E"),
  },
  { label: "stderr to a file", script: sh("cat no-such 2> err.txt", 'echo "status $?"', "wc -l < err.txt") },
  { label: ">> append", script: sh("echo a > ap.txt", "echo b >> ap.txt", "echo c >> ap.txt", "cat ap.txt", ": > ap.txt", "wc -c < ap.txt") },
  { label: "< input and wc -l < file", script: sh("wc -l < lines.txt", "tr a-z A-Z < lines.txt | head -n 2", "sort -n < nums.txt | tail -n 2") },
  { label: "set -C noclobber and >|", script: sh("set -C", "echo a > nc.txt", "echo b > nc.txt 2>/dev/null", 'echo "status $?"', "echo c >| nc.txt", "cat nc.txt") },
  {
    label: "reading /dev/null",
    script: sh("cat /dev/null | wc -c", "read x < /dev/null", 'echo "read status $?"', "echo gone > /dev/null", "wc -c < /dev/null", "head -n 1 /dev/null; echo $?"),
  },

  // ---- external tools in pipelines ----
  { label: "xargs -n", script: sh("seq 1 7 | xargs -n 3 echo", "echo a b c d | xargs -n 2 echo pair:") },
  { label: "xargs -I", script: "printf 'a\\nb c\\n' | xargs -I{} echo '<{}>'" },
  { label: "xargs status 123 when a command fails", script: sh("echo 1 2 | xargs sh -c 'exit 1'", "echo $?", "echo 1 2 | xargs sh -c 'exit 0'", "echo $?") },
  {
    label: "env in a pipeline",
    script: sh('env | grep -E "^(LANG|HOME)=" | sed "s|$HOME|<home>|" | sort', "FOO=bar env | grep '^FOO='", "env -i A=1 B=2 \"$(command -v env)\" | sort"),
  },
  { label: "export reaches children", script: sh("export X=exported", "Y=plain", "sh -c 'echo \"[$X] [$Y]\"'", "Z=inline sh -c 'echo \"[$Z]\"'", 'echo "[$Z]"') },
  { label: "umask", script: sh("umask 027", "umask", "touch f1; mkdir d1", "stat -c '%a %n' f1 d1", "(umask 077; touch f2)", "stat -c '%a %n' f2", "umask") },
  { label: "ulimit -n", script: sh("ulimit -n 64", "ulimit -n", "(ulimit -n 32; ulimit -n)", "ulimit -n") },
  { label: "find | sort", script: "find sub -type f | sort" },
  { label: "cut and paste", script: sh("cut -d, -f1,3 data.csv | tail -n +2", "seq 1 3 | paste -s -d+", "paste -d: sub/a.txt sub/b.txt") },
  { label: "od of a pipe", script: "printf 'AB\\001\\377' | od -An -tx1" },
  { label: "ls of the fixture", script: sh("ls", "ls sub | rev") },
];

function createFixtures(work: string): void {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  writeFileSync(join(work, "lines.txt"), LINES);
  writeFileSync(join(work, "nums.txt"), NUMS);
  writeFileSync(join(work, "words.txt"), WORDS);
  writeFileSync(join(work, "data.csv"), CSV);
  writeFileSync(join(work, "empty.txt"), "");
  symlinkSync("lines.txt", join(work, "link.txt"));
  mkdirSync(join(work, "sub"));
  writeFileSync(join(work, "sub", "a.txt"), "alpha\n");
  writeFileSync(join(work, "sub", "b.txt"), "bravo\nbeta\n");
  mkdirSync(join(work, "sub", "deeper"));
  writeFileSync(join(work, "sub", "deeper", "c.txt"), "charlie\n");
  // Old, fixed mtimes so `-nt` style tests do not depend on when the fixture was made.
  const t = new Date(1_600_000_000 * 1000);
  for (const f of ["lines.txt", "nums.txt", "words.txt", "data.csv", "empty.txt"]) utimesSync(join(work, f), t, t);
}

function createBin(bin: string): void {
  mkdirSync(bin);
  for (const applet of APPLETS) symlinkSync(BUSYBOX, join(bin, applet));
}

describe.skipIf(!existsSync(BUSYBOX))(`busybox sh differential (needs ${BUSYBOX})`, () => {
  let work = "";
  let env: Record<string, string> = {};
  let libosEnvArgs: string[] = [];
  let cleanup = (): void => {};

  beforeAll(() => {
    ensureBuilt();
    const tmp = makeTempDir("libos-shdiff-");
    cleanup = tmp.cleanup;
    work = join(tmp.dir, "work");
    const bin = join(tmp.dir, "bin");
    createBin(bin);
    env = { PATH: bin, HOME: work, LANG: "C" };
    libosEnvArgs = ["--clear-env", ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`])];
  });
  afterAll(() => cleanup());

  it("has at least 70 cases with unique names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
    expect(new Set(cases.map((c) => c.label)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.label, c] as const))(
    "sh: %s matches native",
    (_label, { script, input }) => {
      const args = ["sh", "-c", script];
      const opts = { cwd: work, input: input ?? "", encoding: "latin1" as const, timeout: 55_000 };
      createFixtures(work);
      const native: RunResult = runNative(BUSYBOX, args, { ...opts, env });
      expect(native.error).toBeUndefined();
      createFixtures(work);
      const libos: RunResult = runLibos(libosEnvArgs, BUSYBOX, args, opts);
      expect(libos.error).toBeUndefined();
      expect({ stdout: libos.stdout, status: libos.status }).toEqual({ stdout: native.stdout, status: native.status });
    },
    60_000,
  );
});
