// Seeing a run (docs/architecture.md §5, "Seeing it"): `--trace-ipc` prints one line per
// message, `--stats` what each task did, and `libos boot --report` one page that draws the
// kernels, opened in headless Chromium (installed by scripts/chromium.sh when missing).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { KernelSummary } from "../../libos/boot_kernel.ts";
import { CLI, ROOT, RUN_TIMEOUT_MS, ensureBuilt, makeTempDir, runLibos } from "./_run.ts";

const HIGHBITS = join(ROOT, "tests/integration/fixtures/strace/highbits");
/** Where tests leave files for a person to look at (a screenshot). */
const OUTPUT = process.env.LIBOS_TEST_OUTPUT ?? join(ROOT, "test-output");

beforeAll(() => ensureBuilt());

/** `libos: stats: ` lines, without the tag. */
function statsOf(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("libos: stats: ")).map((l) => l.slice("libos: stats: ".length));
}

describe("libos run --stats and --trace-ipc", () => {
  for (const mode of ["inproc", "ipc", "worker"] as const) {
    it(`fs ${mode}: the program's syscalls by name, the kernel-task's and the fs-task's endpoints; stdout untouched`, () => {
      const plain = runLibos(["--fs-mode", mode], HIGHBITS);
      const r = runLibos(["--fs-mode", mode, "--stats"], HIGHBITS);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(plain.stdout);
      const stats = statsOf(r.stderr);
      expect(stats[0]).toMatch(/^kernel: cpu \d+\.\d\d s, \d+ syscalls, \d+ messages in \d+\.\d\d s$/);
      const task = stats.find((l) => l.startsWith("task highbits "));
      // The fixture's own calls, counted exactly: three getpid (one through RAX with its
      // high bits set), one kill, one dup3, two umask.
      expect(task).toMatch(/^task highbits \(pid \d+\): cpu \d+\.\d ms, \d+ syscalls: /);
      for (const [name, n] of [["getpid", 3], ["kill", 1], ["dup3", 1], ["umask", 2]] as const) expect(task).toContain(`${name} ${n}`);
      expect(stats).toContainEqual(mode === "inproc" ? "task fs-task: inproc mode, direct calls from the kernel-task" : expect.stringMatching(new RegExp(`^task fs-task: ${mode} mode, [1-9]\\d* requests$`)));
      expect(stats.some((l) => /^endpoint kernel-task: [1-9]\d* calls \(.*\), [1-9]\d* replies/.test(l))).toBe(true);
      expect(stats.some((l) => l.startsWith("endpoint fs-task: "))).toBe(mode !== "inproc");
    });
  }

  it("fs ipc: a line per message, from, to, label, size and time, for syscalls and fs-task requests", () => {
    const r = runLibos(["--fs-mode", "ipc", "--trace-ipc"], HIGHBITS);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("ipc "));
    for (const l of lines) expect(l).toMatch(/^ipc \d+\.\d{3} ms \S+ -> \S+ \S+ \d+ B$/);
    expect(lines).toContainEqual(expect.stringMatching(/^ipc [\d.]+ ms highbits\[\d+\] -> kernel-task UnknownSyscall\(dup3\) \d+ B$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ipc [\d.]+ ms kernel-task -> highbits\[\d+\] reply 8 B$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ipc [\d.]+ ms kernel-task -> fs-task open \d+ B$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ipc [\d.]+ ms fs-task -> kernel-task reply \d+ B$/));
  });
});

/** Headless Chromium's path, or why there is none (scripts/chromium.sh installs it if it can). */
function chromium(): { path: string } | { missing: string } {
  const r = spawnSync("bash", [join(ROOT, "scripts/chromium.sh")], { encoding: "utf8", timeout: 600_000 });
  return r.status === 0 ? { path: r.stdout.trim() } : { missing: r.stderr.trim() || `scripts/chromium.sh exited with ${r.status}` };
}

describe("libos boot --report", () => {
  // A system with every kind of channel: pipes, a switch and a link (fixtures/kernels/net-isolation.json).
  it("writes one self-contained page; headless Chromium draws every kernel and channel (screenshot in test-output/)", ({ skip }) => {
    const { dir, cleanup } = makeTempDir("report-");
    try {
      const page = join(dir, "run.html"), summary = join(dir, "summary.json");
      const r = spawnSync(process.execPath, [CLI, "boot", "--report", page, "--summary", summary, join(ROOT, "tests/integration/fixtures/kernels/net-isolation.json")], {
        encoding: "utf8", timeout: 4 * RUN_TIMEOUT_MS,
      });
      expect(r.status, r.stderr).toBe(0);
      const html = readFileSync(page, "utf8");
      // Self-contained: nothing is fetched.
      expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//);
      const summaries = JSON.parse(readFileSync(summary, "utf8")) as KernelSummary[];
      const kernels = ["inside", "peer", "prober", "other"];
      expect(summaries.map((s) => s.stats?.kernel)).toEqual(kernels);

      const browser = chromium();
      if ("missing" in browser) {
        if (process.env.CI) throw new Error(`headless Chromium is needed in CI: ${browser.missing}`);
        skip(`no headless Chromium: ${browser.missing}`);
        return;
      }
      const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + join(dir, "profile")];
      const dom = spawnSync(browser.path, [...flags, "--dump-dom", `file://${page}`], { encoding: "utf8", timeout: 120_000 });
      expect(dom.status, dom.stderr).toBe(0);
      expect(dom.stdout).toContain('data-rendered="yes"');
      for (const name of kernels) {
        expect(dom.stdout).toMatch(new RegExp(`<g data-kernel="${name}"[^>]*>.*?<text [^>]*class="title"[^>]*>${name}</text>`, "s"));
      }
      expect(dom.stdout).toMatch(/pipe inside → prober: 3 B, /);
      // The link carried ARP and a TCP exchange; each switch port at least inside's ARP answers and peer's silence.
      expect(dom.stdout).toMatch(/link prober\.eth0 ↔ other\.eth0: [\d.]+\/s frames, [\d.]+ (B|KiB)/);
      expect(dom.stdout).toMatch(/<g data-channel="switch" data-switch="lan">.*?inside\.eth0 ↔ switch lan: .*?switch lan<\/text>/s);
      mkdirSync(OUTPUT, { recursive: true });
      const shot = join(OUTPUT, "boot-report.png");
      const png = spawnSync(browser.path, [...flags, `--screenshot=${shot}`, "--window-size=1000,900", `file://${page}`], { encoding: "utf8", timeout: 120_000 });
      expect(png.status, png.stderr).toBe(0);
      expect(existsSync(shot)).toBe(true);
    } finally {
      cleanup();
    }
  });
});
