// Path escapes: a guest given a host directory reads nothing outside it.
//
// On the host, a "secret" directory that nothing mounts holds a file with a random marker
// (and a file and a symlink target named after it). A fresh "volume" directory is planted
// with attack material made on the host: absolute and relative symlinks out (to the
// secret, /etc/hostname, /etc/shadow), chains of them, a symlink to the secret directory to
// walk through. The volume is then given to the guest three ways (-v VOL:/data, --root VOL,
// and as the current directory), in each fs-task mode, and the guest attacks with busybox
// (cat, ls, find, cp, readlink -f, ln, the shell's redirections, /proc/self/root, /dev/fd)
// and with fixtures/escape/escape (directory fds, fchdir, O_PATH, linkat's
// AT_SYMLINK_FOLLOW, overlong "..", PATH_MAX). A second run races: the guest renames a
// directory against a symlink out (busybox mv, and the fixture's fast loop) while other
// guest processes read through it; a host process swaps another directory with a symlink
// to the secret (renameat2 RENAME_EXCHANGE) while the guest reads through that; and a
// second LibOS process on the same volume does the same swap with a symlink it made.
//
// Every run must show no marker (stdout and stderr), the volume's own files must read back
// (so nothing passes by everything failing), the answers Linux gives must come back (an
// absolute symlink names the guest's file: ENOENT, or the image's /etc/hostname), and on
// the host the secret directory must be untouched and no file in the volume hold the marker.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync,
  symlinkSync, writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, CLI, ROOT, ensureBuilt, haveTool, makeTempDir, runCli, type RunResult } from "./_run.ts";

const FIXTURE_DIR = join(ROOT, "tests/integration/fixtures/escape");
const FIXTURE = join(FIXTURE_DIR, "escape");

const MODES = ["inproc", "ipc", "worker"] as const;
type Mode = (typeof MODES)[number];

const MARKER = `SECRET-${randomUUID()}`;
const LEGIT = `LEGIT-${randomUUID()}`;
/** How long each race reader runs, in seconds. */
const RACE_SECONDS = 1;

/** Applets the --root layout's own /bin needs (the image's busybox serves the others). */
const APPLETS = [
  "sh", "cat", "ls", "find", "cp", "readlink", "realpath", "ln", "mv", "mkdir", "rm", "touch", "chmod",
  "mknod", "mount", "sort", "sleep", "true", "cut",
];

// ----- the host side ------------------------------------------------------------------------

interface Secret {
  dir: string;
  file: string;
  /** Name, type, mode, mtime and content of every entry: the secret must stay as it was. */
  snapshot: string;
}

function makeSecret(dir: string): Secret {
  writeFileSync(join(dir, "secret.txt"), MARKER + "\n", { mode: 0o600 });
  writeFileSync(join(dir, `${MARKER}.name`), MARKER + "\n");
  symlinkSync(MARKER, join(dir, "lnk"));
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "sub/deep.txt"), MARKER + "\n");
  return { dir, file: join(dir, "secret.txt"), snapshot: snapshotOf(dir) };
}

function snapshotOf(dir: string): string {
  const lines: string[] = [];
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const what = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isFile() ? readFileSync(p, "utf8") : "";
      lines.push(`${p} ${st.mode.toString(8)} ${st.mtimeMs} ${what}`);
      if (st.isDirectory()) visit(p);
    }
  };
  visit(dir);
  return lines.join("\n");
}

function write(vol: string, rel: string, text: string): void {
  mkdirSync(dirname(join(vol, rel)), { recursive: true });
  writeFileSync(join(vol, rel), text);
}

function link(vol: string, target: string, rel: string): void {
  mkdirSync(dirname(join(vol, rel)), { recursive: true });
  symlinkSync(target, join(vol, rel));
}

/** Fills a fresh volume with legitimate files and attack material aimed at `s`. */
function plantVolume(vol: string, s: Secret): void {
  const sbase = basename(s.dir);
  write(vol, "legit.txt", LEGIT + "\n");
  write(vol, "dir/file.txt", "DIR-LEGIT\n");
  write(vol, "sub/file.txt", "SUB-LEGIT\n");
  write(vol, "back\\slash.txt", "BACKSLASH-LEGIT\n");
  mkdirSync(join(vol, "sub/a/b/c"), { recursive: true });
  link(vol, "dir/file.txt", "rel_legit");
  link(vol, "../../../../legit.txt", "sub/a/b/c/up_legit");

  link(vol, s.file, "abs_secret");
  link(vol, s.dir, "outdir");
  link(vol, join(s.dir, "new.txt"), "abs_newfile");
  link(vol, "/etc/hostname", "abs_hostname");
  link(vol, "/etc/shadow", "abs_shadow");
  link(vol, "../".repeat(12) + s.file.slice(1), "rel_climb");
  link(vol, `../${sbase}/secret.txt`, "rel_sibling");
  link(vol, `../${sbase}`, "outdir_rel");
  link(vol, `../../../../../${sbase}/secret.txt`, "sub/a/b/c/up_out");
  link(vol, "chain_b", "chain_a");
  link(vol, "sub/chain_c", "chain_b");
  link(vol, s.file, "sub/chain_c");
  link(vol, "sub/a/chain_r2", "chain_r1");
  link(vol, "../../rel_sibling", "sub/a/chain_r2");
  link(vol, "loop", "loop");

  // The race material: a directory shaped like the secret one, and symlinks out to swap in.
  for (const race of ["hrace", "grace", "gflip", "g2race"]) {
    write(vol, `${race}/dir/secret.txt`, `${race.toUpperCase()}-LEGIT\n`);
    link(vol, "legit-target", `${race}/dir/lnk`);
    if (race !== "g2race") link(vol, s.dir, `${race}/evil`);
  }
  link(vol, "../".repeat(12) + s.dir.slice(1), "grace/evil_rel");

  // For --root: the guest's own /etc, busybox and the fixture.
  write(vol, "etc/hostname", "volume-hostname\n");
  write(vol, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  mkdirSync(join(vol, "bin"), { recursive: true });
  copyFileSync(BUSYBOX, join(vol, "bin/busybox"));
  copyFileSync(FIXTURE, join(vol, "bin/escape"));
  for (const applet of APPLETS) symlinkSync("busybox", join(vol, "bin", applet));
}

/** Host paths below `vol` (not following symlinks) whose lstat fails `ok`. */
function findInVolume(vol: string, bad: (p: string) => boolean): string[] {
  const found: string[] = [];
  const visit = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (bad(p)) found.push(p);
      if (lstatSync(p).isDirectory()) visit(p);
    }
  };
  visit(vol);
  return found;
}

function holdsMarker(p: string): boolean {
  const st = lstatSync(p);
  if (p.includes(MARKER)) return true;
  if (st.isSymbolicLink()) return readlinkSync(p).includes(MARKER);
  return st.isFile() && st.size < 1 << 20 && readFileSync(p, "latin1").includes(MARKER);
}

function isDevice(p: string): boolean {
  const st = lstatSync(p);
  return st.isBlockDevice() || st.isCharacterDevice();
}

/** The host's own secrets the image does not share: /etc/shadow's lines, if readable. */
function hostShadowLines(): string[] {
  try {
    return readFileSync("/etc/shadow", "utf8").split("\n").filter((l) => l.length > 8);
  } catch {
    return [];
  }
}

// ----- the layouts ----------------------------------------------------------------------------

interface Layout {
  name: "volume" | "root" | "cwd";
  /** CLI options (before the program) for volume `vol`. */
  args(vol: string): string[];
  /** The host directory the CLI runs in. */
  cwd(vol: string, elsewhere: string): string;
  /** The volume's guest path, "" for the root (so `${d}/x` is a path). */
  guestPath(vol: string): string;
}

const LAYOUTS: Layout[] = [
  { name: "volume", args: (vol) => ["--isolate", "-v", `${vol}:/data`], cwd: (_v, e) => e, guestPath: () => "/data" },
  { name: "root", args: (vol) => ["--root", vol], cwd: (vol) => vol, guestPath: () => "" },
  { name: "cwd", args: () => [], cwd: (vol) => vol, guestPath: (vol) => vol },
];

// ----- the guest side -------------------------------------------------------------------------

/** A shell word for `s`. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface Attack {
  name: string;
  /** Shell text; its stdout and stderr become the section's output. */
  sh: string;
}

/** The busybox attacks on volume `d` (its guest path) aimed at secret `s`. */
function attacks(d: string, s: Secret, layout: Layout["name"]): Attack[] {
  const sbase = basename(s.dir);
  const up = (n: number): string => "../".repeat(n);
  const list: Attack[] = [
    // What the volume legitimately shows.
    { name: "legit-cat", sh: `cat ${q(`${d}/legit.txt`)}` },
    { name: "legit-subdir", sh: `cat ${q(`${d}/dir/file.txt`)}` },
    { name: "legit-rel-link", sh: `cat ${q(`${d}/rel_legit`)}` },
    { name: "legit-deep-up", sh: `cat ${q(`${d}/sub/a/b/c/up_legit`)}` },
    { name: "legit-guest-abs-link", sh: `ln -s ${q(`${d}/legit.txt`)} ${q(`${d}/g_abs_legit`)} && cat ${q(`${d}/g_abs_legit`)}` },
    { name: "legit-backslash", sh: `cat ${q(`${d}/back\\slash.txt`)}` },
    { name: "legit-ls", sh: `ls ${q(d || "/")}` },
    { name: "legit-find", sh: `find ${q(`${d}/sub`)}` },
    { name: "legit-cp", sh: `cp ${q(`${d}/legit.txt`)} /dev/shm/c0 && cat /dev/shm/c0` },
    { name: "legit-readlink-f", sh: `readlink -f ${q(`${d}/rel_legit`)}` },
    { name: "legit-proc-root", sh: `cat ${q(`/proc/self/root${d}/legit.txt`)}` },
    { name: "legit-proc-cwd", sh: `cd ${q(d || "/")} && cat /proc/self/cwd/legit.txt` },
    { name: "legit-dev-fd", sh: `exec 3<${q(d || "/")}; cat /dev/fd/3/legit.txt; exec 3<&-` },
    { name: "guest-hostname", sh: "cat /etc/hostname" },
    { name: "guest-shadow", sh: "cat /etc/shadow" },
    { name: "mount-parent", sh: `ls -a ${q(`${d}/..`)}` },

    // ".." and strange spellings of it.
    { name: "dotdot-root", sh: `cat ${q(`${d}/${up(6)}${s.file.slice(1)}`)}` },
    { name: "dotdot-long", sh: `cat ${q(`${d}/${up(300)}${s.file.slice(1)}`)}` },
    { name: "dotdot-too-long", sh: `cat ${q(`${d}/${up(1400)}${s.file.slice(1)}`)} 2>&1 | cut -c1-20,4200-` },
    { name: "dotdot-backslash", sh: `cat ${q(`${d}/..\\..\\..\\..\\..${s.file.replace(/\//g, "\\")}`)}` },
    { name: "dotdot-percent", sh: `cat ${q(`${d}/%2e%2e/%2e%2e/%2e%2e/%2e%2e${s.file}`)} ${q(`${d}/..%2f..%2f..%2f..${s.file}`)}` },

    // Symlinks the host planted.
    { name: "abs-secret", sh: `cat ${q(`${d}/abs_secret`)}` },
    { name: "abs-hostname", sh: `cat ${q(`${d}/abs_hostname`)}` },
    { name: "abs-shadow", sh: `cat ${q(`${d}/abs_shadow`)}` },
    { name: "rel-climb", sh: `cat ${q(`${d}/rel_climb`)}` },
    { name: "rel-sibling", sh: `cat ${q(`${d}/rel_sibling`)}` },
    { name: "rel-deep", sh: `cat ${q(`${d}/sub/a/b/c/up_out`)}` },
    { name: "chain-abs", sh: `cat ${q(`${d}/chain_a`)}` },
    { name: "chain-rel", sh: `cat ${q(`${d}/chain_r1`)}` },
    { name: "loop", sh: `cat ${q(`${d}/loop`)}` },
    { name: "outdir-cat", sh: `cat ${q(`${d}/outdir/secret.txt`)} ${q(`${d}/outdir/sub/deep.txt`)}` },
    { name: "outdir-ls", sh: `ls -la ${q(`${d}/outdir/`)}` },
    { name: "outdir-rel-cat", sh: `cat ${q(`${d}/outdir_rel/secret.txt`)}` },
    { name: "outdir-rel-ls", sh: `ls -la ${q(`${d}/outdir_rel/`)}` },
    { name: "outdir-dotdot", sh: `cat ${q(`${d}/outdir/../legit.txt`)}` },
    { name: "find-follow", sh: `find -L ${["outdir", "outdir_rel", "chain_a", "sub"].map((x) => q(`${d}/${x}`)).join(" ")}` },
    { name: "find-cat", sh: `find -L ${q(`${d}/sub`)} ${q(`${d}/outdir_rel`)} -type f -exec cat {} +` },
    { name: "cp-file", sh: `cp ${q(`${d}/abs_secret`)} /dev/shm/c1; cat /dev/shm/c1` },
    { name: "cp-dir", sh: `cp -r ${q(`${d}/outdir`)} /dev/shm/c2; ls -R /dev/shm/c2; cat /dev/shm/c2/secret.txt` },
    { name: "cp-deref", sh: `cp -rL ${q(`${d}/sub`)} /dev/shm/c3; cat /dev/shm/c3/a/b/c/up_out /dev/shm/c3/chain_c` },
    { name: "cp-archive", sh: `cp -a ${q(`${d}/outdir`)} /dev/shm/c4; cat /dev/shm/c4/secret.txt` },
    {
      name: "readlink-f",
      sh: ["abs_secret", "rel_climb", "outdir/secret.txt", "chain_a", "outdir_rel"].map((x) => `readlink -f ${q(`${d}/${x}`)}`).join("; ") +
        `; realpath ${q(`${d}/chain_r1`)}`,
    },

    // /proc and /dev/fd.
    { name: "proc-root", sh: `cat ${q(`/proc/self/root${s.file}`)} ${q(`/proc/1/root${s.file}`)}` },
    { name: "proc-cwd", sh: `cd ${q(d || "/")} && cat ${q(`/proc/self/cwd/${up(8)}${s.file.slice(1)}`)}` },
    { name: "proc-root-dotdot", sh: `cat ${q(`/proc/self/root/${up(4)}${s.file.slice(1)}`)}` },
    { name: "dev-fd", sh: `exec 3<${q(d || "/")}; cat ${q(`/dev/fd/3/${up(8)}${s.file.slice(1)}`)} /dev/fd/3/outdir/secret.txt; exec 3<&-` },

    // Hard links across mounts.
    { name: "ln-to-shm", sh: `ln ${q(`${d}/legit.txt`)} /dev/shm/y` },
    { name: "ln-from-dev", sh: `ln /dev/null ${q(`${d}/p_null`)}` },

    // Changes through the planted symlinks: the secret must stay as it was.
    { name: "write-abs", sh: `echo pwned > ${q(`${d}/abs_secret`)}; echo pwned >> ${q(`${d}/outdir/new.txt`)}` },
    {
      name: "change-outdir",
      sh: [
        `mkdir ${q(`${d}/outdir/newdir`)}`, `touch ${q(`${d}/abs_newfile`)}`, `chmod 777 ${q(`${d}/abs_secret`)}`,
        `rm ${q(`${d}/outdir/secret.txt`)}`, `mv ${q(`${d}/outdir/secret.txt`)} ${q(`${d}/stolen`)}`,
        `ln -s x ${q(`${d}/outdir/planted`)}`,
      ].join("; "),
    },

    // Symlinks the guest makes, whose text would climb out on the host.
    { name: "guest-link-rel", sh: `ln -s ${q(up(12) + s.file.slice(1))} ${q(`${d}/g_rel`)} && cat ${q(`${d}/g_rel`)}` },
    { name: "guest-link-abs", sh: `ln -s ${q(s.dir)} ${q(`${d}/g_abs`)} && cat ${q(`${d}/g_abs/secret.txt`)}; ls ${q(`${d}/g_abs/`)}` },
    { name: "guest-link-up", sh: `ln -s .. ${q(`${d}/g_up`)} && cat ${q(`${d}/g_up/g_up/g_up/g_up/${sbase}/secret.txt`)}` },

    // Device nodes and mounts.
    { name: "mknod", sh: `mknod ${q(`${d}/blk`)} b 8 0; mknod ${q(`${d}/chr`)} c 1 1` },
    { name: "mount-bind", sh: `mkdir -p ${q(`${d}/mnt`)} && mount --bind ${q(`${d}/outdir`)} ${q(`${d}/mnt`)}; cat ${q(`${d}/mnt/secret.txt`)}` },

    { name: "probe", sh: `${q(`${d}/bin/escape`)} probe ${q(d || "/")} ${q(s.dir)}` },
  ];
  // The image's files, on another mount than the volume (with --root they are the volume's).
  if (layout !== "root") {
    list.push({ name: "ln-to-tmp", sh: `ln ${q(`${d}/legit.txt`)} /tmp/y` });
    list.push({ name: "ln-from-image", sh: `ln /etc/passwd ${q(`${d}/p`)}` });
  }
  return list;
}

function script(list: Attack[]): string {
  return list.map((a) => `echo ${q(`== ${a.name}`)}\n{ ${a.sh}\n} 2>&1\n`).join("");
}

/** Output by section ("== name" lines start them). */
function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = "";
  let lines: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.startsWith("== ")) {
      if (name) out.set(name, lines.join("\n"));
      name = line.slice(3);
      lines = [];
    } else lines.push(line);
  }
  if (name) out.set(name, lines.join("\n").replace(/\n$/, ""));
  return out;
}

/** The fixture's "name: outcome" lines. */
function probeOutcomes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([a-z-]+): (.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * The race run. hrace: a host process swaps the directory (startHostSwap); grace: busybox
 * mv in a loop; gflip: the fixture renames as fast as it can, in the same guest; g2race:
 * another guest on the same volume swaps (startAccomplice). Readers go through each
 * directory meanwhile, and print what they saw in sections named after the races.
 */
function raceScript(d: string): string {
  const escape = q(`${d}/bin/escape`);
  const g = (x: string): string => q(`${d}/grace/${x}`);
  const h = (x: string): string => q(`${d}/hrace/${x}`);
  const swapOnce = `mv ${g("dir")} ${g("real")}; mv ${g("evil")} ${g("dir")}; mv ${g("dir")} ${g("evil")}; ` +
    `mv ${g("evil_rel")} ${g("dir")}; mv ${g("dir")} ${g("evil_rel")}; mv ${g("real")} ${g("dir")}`;
  const reader = (r: string): string => `${escape} race ${RACE_SECONDS} ${q(`${d}/${r}/dir`)} > /dev/shm/${r} 2>&1`;
  const started = q(`${d}/g2race/started`);
  return [
    ...["hrace", "grace", "gflip"].map((r) => `${reader(r)} &`),
    // The second guest's reader waits (up to 10 s) until the first one swaps.
    `(i=0; while [ ! -e ${started} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; ${reader("g2race")}) &`,
    `${escape} swap ${RACE_SECONDS} ${q(`${d}/gflip/dir`)} ${q(`${d}/gflip/evil`)} > /dev/shm/flip 2>&1 &`,
    `(sleep ${RACE_SECONDS}; : > /dev/shm/stop) &`,
    `(n=0; while [ ! -e /dev/shm/stop ]; do ${swapOnce}; n=$((n+1)); done; echo "renames $n") > /dev/shm/mv 2>&1 &`,
    `(while [ ! -e /dev/shm/stop ]; do cat ${g("dir/secret.txt")}; ls ${g("dir")}; done) > /dev/shm/sh-grace 2>&1 &`,
    `(while [ ! -e /dev/shm/stop ]; do cat ${h("dir/secret.txt")}; ls ${h("dir")}; done) > /dev/shm/sh-hrace 2>&1 &`,
    "wait",
    ...["hrace", "grace", "gflip", "g2race", "flip", "mv"].map((r) => `echo '== ${r}'; cat /dev/shm/${r}`),
    ...["sh-grace", "sh-hrace"].map((r) => `echo '== ${r}'; sort -u /dev/shm/${r}`),
  ].join("\n");
}

// ----- the runs -------------------------------------------------------------------------------

const ENV_ARGS = ["--clear-env", "-e", "PATH=/bin:/usr/bin", "-e", "LANG=C"];

function runGuest(mode: Mode, layout: Layout, vol: string, elsewhere: string, sh: string): RunResult {
  return runCli(["run", ...ENV_ARGS, "--fs-mode", mode, ...layout.args(vol), "/bin/sh", "-c", sh], {
    cwd: layout.cwd(vol, elsewhere),
    timeout: 60_000,
  });
}

/** Starts the host side of the host race: `escape swap` on the host, until killed. */
function startHostSwap(vol: string): ChildProcess {
  const child = spawn(FIXTURE, ["swap", "60", join(vol, "hrace/dir"), join(vol, "hrace/evil")], { stdio: "ignore" });
  child.on("error", () => {});
  return child;
}

/**
 * Starts a second guest on the same volume (another LibOS process, as two containers
 * sharing a volume are): it makes a symlink whose text names the secret on the host and
 * swaps it with g2race/dir. Resolves with its output when it exits.
 */
function startAccomplice(mode: Mode, layout: Layout, vol: string, elsewhere: string, secret: string): Promise<string> {
  const d = layout.guestPath(vol);
  const sh = `ln -s ${q(secret)} ${q(`${d}/g2race/evil`)} && : > ${q(`${d}/g2race/started`)} && ` +
    `${q(`${d}/bin/escape`)} swap ${RACE_SECONDS + 4} ${q(`${d}/g2race/dir`)} ${q(`${d}/g2race/evil`)}`;
  const child = spawn(process.execPath, [CLI, "run", ...ENV_ARGS, "--fs-mode", mode, ...layout.args(vol), "/bin/sh", "-c", sh], {
    cwd: layout.cwd(vol, elsewhere),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr.on("data", (b: Buffer) => (output += b.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) => {
    child.on("close", () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

/** Strings that must appear nowhere in a run's output. */
function leaksIn(text: string, shadow: readonly string[]): string[] {
  const found: string[] = [];
  if (text.includes(MARKER)) found.push("the marker");
  for (const line of shadow) if (text.includes(line)) found.push(`/etc/shadow line ${line.split(":")[0]}`);
  return found;
}

const missingFixture = !existsSync(FIXTURE) && !haveTool("musl-gcc");

describe.skipIf(missingFixture)("path escapes (fixtures/escape, prebuilt or built with musl-gcc)", () => {
  const secretDir = makeTempDir("libos-escape-secret-");
  const elsewhere = makeTempDir("libos-escape-cwd-");
  const cleanups = [secretDir.cleanup, elsewhere.cleanup];
  let secret: Secret;
  const shadow = hostShadowLines();
  const hostHostname = existsSync("/etc/hostname") ? readFileSync("/etc/hostname", "utf8").trim() : "";

  beforeAll(() => {
    ensureBuilt();
    if (!existsSync(FIXTURE)) {
      const r = spawnSync("make", ["-C", FIXTURE_DIR], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`make -C ${FIXTURE_DIR} failed: ${r.stderr}`);
    }
    secret = makeSecret(realpathSync(secretDir.dir));
  });
  afterAll(() => cleanups.forEach((c) => c()));

  describe.each(MODES)("--fs-mode %s", (mode) => {
    describe.each(LAYOUTS.map((l) => [l.name, l] as const))("%s layout", (_name, layout) => {
      let vol = "";
      let d = "";
      let attacked: RunResult;
      let out = new Map<string, string>();
      let probe = new Map<string, string>();
      let raced: RunResult;
      let races = new Map<string, string>();
      let accomplice = "";

      beforeAll(async () => {
        const v = makeTempDir(`libos-escape-vol-${layout.name}-`);
        cleanups.push(v.cleanup);
        vol = realpathSync(v.dir);
        plantVolume(vol, secret);
        d = layout.guestPath(vol);
        attacked = runGuest(mode, layout, vol, elsewhere.dir, script(attacks(d, secret, layout.name)));
        out = sections(attacked.stdout);
        probe = probeOutcomes(out.get("probe") ?? "");
        const swapper = startHostSwap(vol);
        const second = startAccomplice(mode, layout, vol, elsewhere.dir, secret.dir);
        try {
          raced = runGuest(mode, layout, vol, elsewhere.dir, raceScript(d));
        } finally {
          swapper.kill("SIGKILL");
        }
        accomplice = await second;
        races = sections(raced.stdout);
      }, 120_000);

      it("runs every attack", () => {
        expect(attacked.error).toBeUndefined();
        expect(attacked.stderr).not.toMatch(/kernel-task error|CPU engine error/);
        expect([...out.keys()]).toEqual(attacks(d, secret, layout.name).map((a) => a.name));
        expect(out.get("probe")).toMatch(/\ndone$/);
      });

      it("shows no secret in any attack", () => {
        const leaks = [...out].flatMap(([name, text]) => leaksIn(text, shadow).map((what) => `${name}: ${what}`));
        leaks.push(...leaksIn(attacked.stderr, shadow).map((what) => `stderr: ${what}`));
        expect(leaks).toEqual([]);
      });

      it("reads the volume's own files", () => {
        expect(out.get("legit-cat")).toBe(LEGIT);
        expect(out.get("legit-subdir")).toBe("DIR-LEGIT");
        expect(out.get("legit-rel-link")).toBe("DIR-LEGIT");
        expect(out.get("legit-deep-up")).toBe(LEGIT);
        expect(out.get("legit-guest-abs-link")).toBe(LEGIT);
        expect(out.get("legit-backslash")).toBe("BACKSLASH-LEGIT");
        expect(out.get("legit-ls")?.split("\n")).toEqual(expect.arrayContaining(["legit.txt", "outdir", "sub"]));
        expect(out.get("legit-find")?.split("\n")).toContain(`${d}/sub/a/b/c/up_out`);
        expect(out.get("legit-cp")).toBe(LEGIT);
        expect(out.get("legit-readlink-f")).toBe(`${d}/dir/file.txt`);
        expect(out.get("find-cat")).toContain("SUB-LEGIT");
        expect(probe.get("openat-legit")).toBe(`read ${LEGIT}`);
        expect(probe.get("fchdir-legit")).toBe(`read ${LEGIT}`);
        expect(probe.get("opath-legit")).toBe(`read ${LEGIT}`);
      });

      it("reads the volume's own files through /proc and /dev/fd", () => {
        expect(out.get("legit-proc-root")).toBe(LEGIT);
        expect(out.get("legit-proc-cwd")).toBe(LEGIT);
        expect(out.get("legit-dev-fd")).toBe(LEGIT);
        expect(probe.get("procfd-legit")).toBe(`read ${LEGIT}`);
      });

      it("resolves absolute symlinks in the guest's namespace, as Linux does", () => {
        // The guest's /etc/hostname: the image's, or the volume's own with --root.
        if (layout.name === "root") expect(out.get("guest-hostname")).toBe("volume-hostname");
        else expect(out.get("guest-hostname")).toMatch(/^[a-z0-9.-]+$/);
        expect(out.get("abs-hostname")).toBe(out.get("guest-hostname"));
        if (hostHostname !== out.get("guest-hostname")) expect(out.get("abs-hostname")).not.toBe(hostHostname);
        expect(out.get("guest-shadow")).toMatch(/No such file or directory/);
        expect(out.get("abs-shadow")).toMatch(/No such file or directory/);
        expect(probe.get("readlink-abs")).toBe(`read ${secret.file}`);
        expect(probe.get("nofollow-abs")).toBe("ELOOP");
      });

      it("gives Linux's errors for every path out", () => {
        const enoent = [
          "dotdot-root", "dotdot-long", "dotdot-backslash", "dotdot-percent", "abs-secret", "rel-climb", "rel-sibling",
          "rel-deep", "chain-abs", "chain-rel", "outdir-cat", "outdir-ls", "outdir-rel-cat", "outdir-rel-ls",
          "outdir-dotdot", "cp-file", "cp-dir", "cp-archive", "proc-root", "proc-cwd", "proc-root-dotdot", "dev-fd",
          "guest-link-rel", "guest-link-abs", "guest-link-up",
        ];
        const wrong = enoent.filter((name) => !/No such file or directory/.test(out.get(name) ?? ""));
        expect(wrong).toEqual([]);
        expect(out.get("dotdot-too-long")).toMatch(/File name too long/);
        expect(out.get("loop")).toMatch(/Symbolic link loop|Too many levels of symbolic links/);
        // find -L lists a dangling symlink as itself, and nothing below it.
        expect(out.get("find-follow")?.split("\n")).toContain(`${d}/outdir`);
        expect(out.get("find-follow")).not.toMatch(/\/outdir(_rel)?\//);
        expect(out.get("ln-to-shm")).toMatch(/Invalid cross-device link/);
        expect(out.get("ln-from-dev")).toMatch(/Invalid cross-device link/);
        if (layout.name !== "root") {
          expect(out.get("ln-to-tmp")).toMatch(/Invalid cross-device link/);
          expect(out.get("ln-from-image")).toMatch(/Invalid cross-device link/);
        }
        // The mount's parent is the guest's, never the host's directory holding the volume.
        expect(out.get("mount-parent")).not.toContain(basename(secret.dir));
        expect(out.get("mount-parent")?.split("\n")).toContain(layout.name === "cwd" ? basename(vol) : "bin");
      });

      it("gives Linux's errors for the syscall-level attacks (fixtures/escape probe)", () => {
        const expected: Record<string, string> = {
          "open-volume": "ok", "openat-dotdot": "ENOENT", "openat-absolute": "ENOENT", "fchdir-volume": "ok",
          "fchdir-dotdot": "ENOENT", "chdir-climb": "cwd /", "opath-dotdot": "ENOENT", "procfd-dotdot": "ENOENT",
          "abs-secret": "ENOENT", "outdir-file": "ENOENT", "outdir-dotdot": "ENOENT", "outdir-opendir": "ENOENT",
          "creat-dangling": "ENOENT", "truncate-abs": "ENOENT", "chmod-abs": "ENOENT", "utimens-abs": "ENOENT",
          "mkdir-outdir": "ENOENT", "unlink-outdir": "ENOENT", "rename-outdir": "ENOENT", "symlink-outdir": "ENOENT",
          "linkat-follow-abs": "ENOENT", "linkat-follow-read": "ENOENT", "linkat-follow-rel": "ENOENT",
          "linkat-follow-rel-read": "ENOENT", "link-from-devfs": "EXDEV", "link-to-shm": "EXDEV", "rename-to-shm": "EXDEV",
          "symlink-climb": "ok", "symlink-climb-read": "ENOENT", "swap-move-dir": "ok", "swap-move-link": "ok",
          "swap-dirfd-secret": "ENOENT", "renameat-plain": "ok", "overlong-dot": "ENOENT",
          "percent-dot": "ENOENT", "backslash-dot": "ENOENT", "long-dotdot": "ENOENT", "too-long-dotdot": "ENAMETOOLONG",
        };
        expect(Object.fromEntries(Object.keys(expected).map((k) => [k, probe.get(k)]))).toEqual(expected);
      });

      it("an *at() call through a directory fd follows the directory after a rename", () => {
        expect(probe.get("swap-dirfd-legit")).toBe("read SUB-LEGIT");
      });

      it("leaves the secret untouched and the volume free of it and of device nodes", () => {
        expect(snapshotOf(secret.dir)).toBe(secret.snapshot);
        expect(findInVolume(vol, holdsMarker)).toEqual([]);
        expect(findInVolume(vol, isDevice)).toEqual([]);
      });

      it("races: a guest renaming directories against symlinks out never shows the secret", () => {
        expect(raced.error).toBeUndefined();
        const leaks = ["grace", "gflip", "mv", "flip", "sh-grace"].flatMap((name) => leaksIn(races.get(name) ?? "", shadow).map((what) => `${name}: ${what}`));
        expect(leaks).toEqual([]);
        // The readers did read, and read the legitimate files; the renamers renamed.
        for (const race of ["grace", "gflip"]) {
          expect(races.get(race)).toMatch(/^iterations [1-9]/m);
          expect(races.get(race)).toContain(`read ${race.toUpperCase()}-LEGIT`);
        }
        expect(races.get("mv")).toMatch(/^renames [1-9]/m);
        expect(races.get("flip")).toMatch(/^swaps [1-9]/m);
        expect(races.get("sh-grace")).toMatch(/GRACE-LEGIT|No such file or directory/);
      });

      it("races: a host process swapping a directory for a symlink out never shows the secret", () => {
        const leaks = ["hrace", "sh-hrace"].flatMap((name) => leaksIn(races.get(name) ?? "", shadow).map((what) => `${name}: ${what}`));
        expect(leaks).toEqual([]);
        expect(races.get("hrace")).toMatch(/^iterations [1-9]/m);
        expect(races.get("hrace")).toContain("read HRACE-LEGIT");
        expect(races.get("sh-hrace")).toMatch(/HRACE-LEGIT|No such file or directory/);
      });

      it("races: a second guest on the same volume swapping in a symlink out never shows the secret", () => {
        expect(accomplice).toMatch(/^swaps [1-9]/m);
        expect(leaksIn(races.get("g2race") ?? "", shadow)).toEqual([]);
        expect(races.get("g2race")).toMatch(/^iterations [1-9]/m);
        expect(races.get("g2race")).toContain("read G2RACE-LEGIT");
      });

      it("races: no metadata of the secret shows either (its size)", () => {
        const size = `size ${MARKER.length + 1}`;
        for (const race of ["hrace", "grace", "gflip", "g2race"]) expect(races.get(race)?.split("\n") ?? []).not.toContain(size);
      });

      it("races: leave the secret untouched and the volume free of it", () => {
        expect(leaksIn(raced.stderr, shadow)).toEqual([]);
        expect(snapshotOf(secret.dir)).toBe(secret.snapshot);
        expect(findInVolume(vol, holdsMarker)).toEqual([]);
      });
    });
  });
});
