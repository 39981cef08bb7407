// The launcher on a real terminal, as a host shell sees it: bash runs in a tmux pane and
// starts `node dist/libos/cli.js run ...` like any program; keys go in with send-keys and
// the screen comes back with capture-pane. After a guest that was reading the terminal
// dies (Ctrl-C on cat, on sh's read; vi's :wq; a guest killed in raw mode), the very next
// line typed must reach the host shell, and the terminal must be back in its modes. Ctrl-Z
// stops the launcher like a native program (the shell's `jobs` says Stopped) and `fg`
// brings it back. Every wait polls the screen for what must appear.

import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, CLI, ensureBuilt, haveTool, makeTempDir } from "./_run.ts";

const HAVE = haveTool("tmux") && haveTool("bash") && tmuxWorks();
const SOCKET = `libos-launcher-${process.pid}`;
const PANE = "main";
const tmux = (...args: string[]): string => spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" }).stdout;
const keys = (...k: string[]): void => void tmux("send-keys", "-t", PANE, ...k);
const line = (text: string): void => keys(text, "Enter");
const LIBOS = `${process.execPath} ${CLI} run`;

function tmuxWorks(): boolean {
  const probe = `libos-probe-${process.pid}`;
  const ok = spawnSync("tmux", ["-L", probe, "new-session", "-d", "-s", "p", "true"], { encoding: "utf8" }).status === 0;
  spawnSync("tmux", ["-L", probe, "kill-server"]);
  return ok;
}

/** Poll the pane until `pattern` shows; the emulated guest takes a moment to start. */
async function waitFor(pattern: RegExp, ms = 30_000): Promise<string> {
  const until = Date.now() + ms;
  let screen = "";
  while (Date.now() < until) {
    screen = tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", PANE);
    if (pattern.test(screen)) return screen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern} on screen:\n${screen}`);
}

/**
 * Wait until the pane's foreground process is `command`: the host shell has handed the
 * terminal over, so what is typed next waits for the program instead of being taken by
 * the shell's line editor as typeahead.
 */
async function waitForeground(command: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (tmux("display-message", "-p", "-t", PANE, "#{pane_current_command}").trim() === command) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${command} in the foreground`);
}

/** The host shell's terminal is in cooked mode with echo (what the launcher found). */
async function expectCookedModes(tag: string): Promise<void> {
  line(`stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e -echo -e -isig -e -opost || echo modes-${tag}-ok`);
  await waitFor(new RegExp(`^modes-${tag}-ok$`, "m"));
}

describe.skipIf(!HAVE)("the launcher on a real terminal (needs tmux and bash)", () => {
  const tmp = makeTempDir("libos-launcher-");

  beforeAll(async () => {
    ensureBuilt();
    tmux("new-session", "-d", "-s", PANE, "-x", "120", "-y", "50", "bash --norc --noprofile");
    line(`cd ${tmp.dir} && PS1='HOST$ '`);
    await waitFor(/^HOST\$ $/m);
  });

  afterAll(() => {
    tmux("kill-server");
    tmp.cleanup();
  });

  it("Ctrl-C on `cat`: the launcher is gone at once and the next line reaches the host shell", async () => {
    line(`${LIBOS} ${BUSYBOX} cat`);
    await waitForeground("node");
    line("typed-to-cat");
    await waitFor(/^typed-to-cat\n(?:.*\n)?typed-to-cat$/m);
    keys("C-c");
    line("echo next-1 rc=$?");
    await waitFor(/^next-1 rc=130$/m);
    await expectCookedModes("cat");
  }, 60_000);

  it("Ctrl-C on sh's `read`: the same, typed without waiting for the launcher to end", async () => {
    line(`${LIBOS} ${BUSYBOX} sh -c 'echo reading; read x; echo never'`);
    await waitFor(/^reading$/m);
    keys("C-c");
    line("echo next-2");
    await waitFor(/^next-2$/m);
    expect(await waitFor(/next-2/)).not.toMatch(/^never$/m);
  }, 60_000);

  it("busybox vi: :wq writes the file, the terminal leaves raw mode, the next line is the shell's", async () => {
    line(`${LIBOS} ${BUSYBOX} vi f.txt`);
    await waitFor(/^~$/m);
    keys("i", "written-in-vi");
    await waitFor(/written-in-vi/);
    keys("Escape");
    await waitFor(/^- f\.txt/m);
    keys(":wq");
    keys("Enter");
    line("echo next-3; cat f.txt");
    await waitFor(/^next-3\nwritten-in-vi$/m);
    await expectCookedModes("vi");
  }, 60_000);

  it("a guest killed while the terminal is raw: the launcher restores the modes", async () => {
    line(`${LIBOS} ${BUSYBOX} sh -c 'stty raw -echo; kill -TERM $$'; echo next-4 rc=$?`);
    await waitFor(/next-4 rc=143/);
    await expectCookedModes("killed");
  }, 60_000);

  it("Ctrl-Z stops the launcher like a native program; fg continues it and Ctrl-C ends it", async () => {
    line(`${LIBOS} ${BUSYBOX} sh -c 'echo sleeping; exec sleep 100'`);
    await waitFor(/^sleeping$/m);
    keys("C-z");
    await waitFor(/^\[1\]\+\s+Stopped\s+.*sleep 100'\nHOST\$ $/m);
    await expectCookedModes("stopped");
    line("jobs; echo jobs-listed");
    await waitFor(/^\[1\]\+\s+Stopped\s+.*\njobs-listed$/m);
    line("fg");
    // bash prints the job's command as it continues it; the guest is running sleep again.
    await waitFor(/^HOST\$ fg\n.*sleep 100'$/m);
    keys("C-c");
    line("echo next-5 rc=$?");
    await waitFor(/^next-5 rc=130$/m);
    line("jobs; echo no-jobs-left");
    expect(await waitFor(/^no-jobs-left$/m)).not.toMatch(/Stopped.*\n.*no-jobs-left/);
  }, 90_000);
});
