// HostFs against a host process that keeps swapping a directory of the root for a symlink
// out of it (the loop below). Reading, stat-ing, listing, changing and creating through
// that directory meanwhile must only ever reach the directory itself: the walk and the
// host call go through directory fds, so a swap between them changes nothing.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HostFs } from "../../../fs-task/hostfs.ts";
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY } from "../../../fs-task/_flags.ts";

const RACE_MS = 2000;
const SECRET = "OUTSIDE-SECRET";

/** Node, not sh: a rename loop in one process swaps thousands of times more often. */
const SWAPPER = `
const fs = require("node:fs");
const [dir, out] = process.argv.slice(1);
process.stdout.write("ready\\n");
for (;;) {
  fs.renameSync(dir, dir + ".x");
  fs.symlinkSync(out, dir);
  fs.unlinkSync(dir);
  fs.renameSync(dir + ".x", dir);
}`;

let base: string;
let root: string;
let outside: string;
let swapper: ChildProcess | undefined;

/** Starts the swap loop on root/dir and resolves once it runs. */
function startSwapper(): Promise<void> {
  const child = spawn(process.execPath, ["-e", SWAPPER, path.join(root, "dir"), outside], { stdio: ["ignore", "pipe", "inherit"] });
  swapper = child;
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`Cannot race: the swapper exited with ${code}`)));
  });
}

function read(hfs: HostFs, guestPath: string): string | number {
  const h = hfs.open(guestPath, O_RDONLY, 0) as number;
  if (h < 0) return h;
  const buf = new Uint8Array(64);
  const n = hfs.pread(h, buf, 0) as number;
  hfs.close(h);
  return n < 0 ? n : new TextDecoder().decode(buf.subarray(0, n));
}

function list(hfs: HostFs, guestPath: string): string[] | number {
  const h = hfs.open(guestPath, O_RDONLY | O_DIRECTORY, 0) as number;
  if (h < 0) return h;
  const page = hfs.readdir(h, 0, 100);
  hfs.close(h);
  return typeof page === "number" ? page : page.entries.map((e) => e.name);
}

describe("HostFs against a host process swapping a directory for a symlink out", () => {
  beforeEach(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-race-")));
    root = path.join(base, "root");
    outside = path.join(base, "outside");
    fs.mkdirSync(path.join(root, "dir"), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(root, "dir", "file"), "LEGIT");
    fs.writeFileSync(path.join(outside, "file"), SECRET, { mode: 0o600 });
    fs.writeFileSync(path.join(outside, "outside-only"), "");
  });

  afterEach(() => {
    swapper?.kill("SIGKILL");
    swapper = undefined;
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("never reads, stats, lists, changes or creates outside the root", async () => {
    const hfs = new HostFs({ root });
    const secretIno = fs.statSync(path.join(outside, "file")).ino;
    const seen = { legit: 0, leaks: [] as string[] };
    await startSwapper();
    for (const end = Date.now() + RACE_MS; Date.now() < end; ) {
      const text = read(hfs, "/dir/file");
      if (text === "LEGIT") seen.legit++;
      else if (typeof text === "string") seen.leaks.push(`read ${text}`);
      const st = hfs.stat("/dir/file", true);
      if (typeof st !== "number" && st.ino === secretIno) seen.leaks.push("stat");
      const names = list(hfs, "/dir");
      if (typeof names !== "number" && names.includes("outside-only")) seen.leaks.push("readdir");
      hfs.chmod("/dir/file", 0o644);
      const h = hfs.open("/dir/new", O_WRONLY | O_CREAT, 0o644) as number;
      if (h >= 0) hfs.close(h);
      hfs.unlink("/dir/new");
    }
    swapper!.kill("SIGKILL");
    expect(seen.leaks.slice(0, 5)).toEqual([]);
    expect(seen.legit).toBeGreaterThan(0);
    expect(fs.statSync(path.join(outside, "file")).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(outside).sort()).toEqual(["file", "outside-only"]);
  });
});
