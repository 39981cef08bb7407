// Bind mounts of a host volume never reach past it, in each fs mode.
//
// A bind mount holds its source as an open handle of the volume's back end (libos/vfs.ts
// Vfs.bind), so no host path is looked up again when a guest binds a directory of the
// volume, or binds that bind. Two ways a guest (uid 0) could once turn a bind into the
// host's "/":
//  - the sequence: bind DIR at /tmp/m, rename DIR away, put a symlink to "/" (or to a
//    directory outside the volume) in its place, bind /tmp/m at /tmp/n;
//  - the race: swap DIR and such a symlink with renameat2(RENAME_EXCHANGE) in a loop (a
//    host process, and a guest process in a second LibOS on the same volume) while a
//    guest binds DIR again and again.
// Outside the volume a "secret" directory holds a random marker; it must never show, the
// binds must only ever list the directory's own entries, and writes through a bind must
// land in the volume.

import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, ensureBuilt, makeTempDir, runLibos, type RunResult } from "./_run.ts";

const FS_MODES = ["inproc", "ipc", "worker"] as const;
const FIXTURE = join(ROOT, "tests/integration/fixtures/escape/escape");
const MARKER = `SECRET-${randomUUID()}`;
/** A file the sequence writes through the bind: in the volume, never in the host's "/". */
const WRITTEN = `w-${randomUUID()}.txt`;
/** Binds per racing directory. */
const BINDS = 300;
/** What a bind of a race directory may list: its own entries. */
const RACE_ENTRIES = [".", "..", "legit.txt", "secret.txt", "lnk"];

/** Lines of a script, joined. */
const lines = (...l: string[]): string => l.join("\n");

/** A fresh volume: a/, b/, c/ and file.txt for the sequences, hx/ and gx/ for the races (a directory and a symlink to the secret each). */
function plantVolume(vol: string, secretDir: string): void {
  for (const d of ["a", "b", "c"]) {
    mkdirSync(join(vol, d));
    writeFileSync(join(vol, d, "legit.txt"), `${d.toUpperCase()}-LEGIT\n`);
  }
  writeFileSync(join(vol, "file.txt"), "FILE-LEGIT\n");
  // An absolute symlink, and a relative one that climbs out (in the guest both name nothing).
  for (const [race, out] of [["hx", secretDir], ["gx", "../".repeat(12) + secretDir.slice(1)]] as const) {
    mkdirSync(join(vol, race, "dir"), { recursive: true });
    writeFileSync(join(vol, race, "dir/legit.txt"), `${race.toUpperCase()}-LEGIT\n`);
    writeFileSync(join(vol, race, "dir/secret.txt"), `${race.toUpperCase()}-NOT-SECRET\n`);
    symlinkSync("legit.txt", join(vol, race, "dir/lnk"));
    symlinkSync(out, join(vol, race, "evil"));
  }
  mkdirSync(join(vol, "bin"));
  copyFileSync(FIXTURE, join(vol, "bin/escape"));
}

/** Output by section ("== name" lines start them). */
function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of stdout.split(/^== /m).slice(1)) {
    const nl = part.indexOf("\n");
    out.set(part.slice(0, nl), part.slice(nl + 1).replace(/\n$/, ""));
  }
  return out;
}

/**
 * One side of a race: `command` exchanges a directory and a symlink until the guest that
 * binds creates the stop file. Resolves with its output when it exits.
 */
function startExchange(command: string, args: string[]): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (b: Buffer) => (text += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (text += b.toString()));
  return { child, output: new Promise((resolve) => child.on("close", () => resolve(text))) };
}

describe.skipIf(!existsSync(FIXTURE))("bind mounts of a host volume (fixtures/escape)", () => {
  const secret = makeTempDir("libos-bind-secret-");
  const cleanups = [secret.cleanup];
  let secretDir = "";

  beforeAll(() => {
    ensureBuilt();
    secretDir = realpathSync(secret.dir);
    writeFileSync(join(secretDir, "secret.txt"), MARKER + "\n");
    writeFileSync(join(secretDir, `${MARKER}.name`), MARKER + "\n");
  });
  afterAll(() => cleanups.forEach((c) => c()));

  describe.each(FS_MODES)("--fs-mode %s", (mode) => {
    let vol = "";
    let seq: RunResult;
    let out = new Map<string, string>();
    let raced: RunResult;
    let races = new Map<string, string>();
    let hostExchanges = "";
    let guestExchanges = "";

    beforeAll(async () => {
      const v = makeTempDir(`libos-bind-vol-${mode}-`);
      cleanups.push(v.cleanup);
      vol = realpathSync(v.dir);
      plantVolume(vol, secretDir);
      const secretInGuest = `/tmp/n${secretDir}`;
      const script = [
        ["sequence", lines(
          "mkdir -p /tmp/m /tmp/n; mount --bind /data/a /tmp/m && mv /data/a /data/a.moved && ln -s / /data/a",
          "mount --bind /tmp/m /tmp/n && echo bound",
          `ls /tmp/n; cat /tmp/n/legit.txt; echo written > /tmp/n/${WRITTEN}`,
          `ls ${secretInGuest} 2>&1; ls /tmp/n/etc 2>&1`,
          "ls /tmp/n/.. | grep -c -x -e n -e m",
        )],
        ["sequence-out", lines(
          "mkdir -p /tmp/p /tmp/q; mount --bind /data/b /tmp/p && mv /data/b /data/b.moved",
          `ln -s ${secretDir} /data/b; mount --bind /tmp/p /tmp/q && cat /tmp/q/legit.txt; ls /tmp/q`,
          "mount --bind /data/b /tmp/q 2>&1",
        )],
        ["follows-rename", lines(
          "mkdir -p /tmp/c; mount --bind /data/c /tmp/c && mv /data/c /data/c.moved && mkdir /data/c",
          "cat /tmp/c/legit.txt; ls /data/c | wc -l; echo through > /tmp/c/t.txt; cat /data/c.moved/t.txt",
          "cd /tmp/c && pwd && cd /; umount /tmp/c && ls /tmp/c | wc -l",
        )],
        ["removed-source", lines(
          "mkdir -p /data/r /tmp/r; mount --bind /data/r /tmp/r && rmdir /data/r && ls -A /tmp/r | wc -l",
          "touch /tmp/r/x 2>&1; umount /tmp/r; ls /data",
        )],
        ["file-bind", lines(
          "touch /tmp/f; mount --bind /data/file.txt /tmp/f && cat /tmp/f; echo more >> /tmp/f; cat /data/file.txt",
          "umount /tmp/f; cat /tmp/f | wc -c",
        )],
      ].map(([name, sh]) => `echo '== ${name}'\n{ ${sh}\n} 2>&1`).join("\n");
      seq = runLibos(["--isolate", "--fs-mode", mode, "-v", `${vol}:/data`], "/bin/busybox", ["sh", "-c", script], { cwd: vol });
      out = sections(seq.stdout);

      const volume = ["--isolate", "--fs-mode", mode, "-v", `${vol}:/data`];
      const host = startExchange(FIXTURE, ["exchange", ...["hx/dir", "hx/evil", "hx.stop"].map((p) => join(vol, p))]);
      const guest = startExchange(process.execPath, [CLI, "run", ...volume, "/data/bin/escape", "exchange", "/data/gx/dir", "/data/gx/evil", "/data/gx.stop"]);
      try {
        raced = runLibos(volume, "/bin/busybox", ["sh", "-c", lines(
          "mkdir -p /tmp/h /tmp/g",
          `echo '== hx'; /data/bin/escape bindrace ${BINDS} /data/hx/dir /tmp/h /data/hx.stop`,
          `echo '== gx'; /data/bin/escape bindrace ${BINDS} /data/gx/dir /tmp/g /data/gx.stop`,
        )], { cwd: vol, timeout: 120_000 });
      } finally {
        // The guest creates the stop files when its binds are done; if it never ran that far, stop here.
        if (!existsSync(join(vol, "hx.stop"))) host.child.kill("SIGKILL");
        if (!existsSync(join(vol, "gx.stop"))) guest.child.kill("SIGKILL");
      }
      hostExchanges = await host.output;
      guestExchanges = await guest.output;
      races = sections(raced.stdout);
    }, 180_000);

    it("a bind of a bind whose source was renamed and replaced by a symlink to / shows only the volume", () => {
      expect(seq.stderr).not.toMatch(/kernel-task error|internal error/);
      expect(out.get("sequence")).toBe(lines(
        "bound", "legit.txt", "A-LEGIT",
        `ls: ${`/tmp/n${secretDir}`}: No such file or directory`, "ls: /tmp/n/etc: No such file or directory", "2",
      ));
      // The write landed in the directory the bind holds, inside the volume, not in the host's /.
      expect(readFileSync(join(vol, "a.moved", WRITTEN), "utf8")).toBe("written\n");
      expect(existsSync(join("/", WRITTEN))).toBe(false);
    });

    it("a bind of a bind whose source became a symlink out of the volume shows the directory; binding the symlink itself finds nothing", () => {
      expect(out.get("sequence-out")).toBe(lines(
        "B-LEGIT", "legit.txt", `mount: mounting /data/b on /tmp/q failed: No such file or directory`,
      ));
    });

    it("a bind follows its directory when it is renamed, as Linux does", () => {
      expect(out.get("follows-rename")).toBe(lines("C-LEGIT", "0", "through", "/tmp/c", "0"));
    });

    it("a bind of a directory that is then removed shows it empty, and nothing can be created in it", () => {
      expect(out.get("removed-source")).toBe(lines(
        "0", "touch: /tmp/r/x: No such file or directory", "a", "a.moved", "b", "b.moved", "bin", "c", "c.moved", "file.txt", "gx", "hx",
      ));
    });

    it("binds a single file of the volume, for reading and writing", () => {
      expect(out.get("file-bind")).toBe(lines("FILE-LEGIT", "FILE-LEGIT", "more", "0"));
    });

    it("races: binding a directory that a host process, or a guest in another LibOS, keeps exchanging with a symlink out never shows anything outside the volume", () => {
      expect(raced.error).toBeUndefined();
      const all = raced.stdout + raced.stderr;
      expect(all).not.toContain(MARKER);
      for (const race of ["hx", "gx"]) {
        const text = races.get(race) ?? "";
        expect(Number(/^binds (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(BINDS);
        // Some binds caught the directory, and each showed only what it holds.
        expect(text).toContain(`legit ${race.toUpperCase()}-LEGIT`);
        const entries = text.split("\n").filter((l) => l.startsWith("entry ")).map((l) => l.slice(6));
        expect(entries.filter((e) => !RACE_ENTRIES.includes(e))).toEqual([]);
        expect(text.split("\n").filter((l) => l.startsWith("read ") && l !== `read ${race.toUpperCase()}-NOT-SECRET` && l !== "read ENOENT")).toEqual([]);
      }
      expect(hostExchanges).toMatch(/^exchanges [1-9]/m);
      expect(guestExchanges).toMatch(/^exchanges [1-9]/m);
    });
  });
});
