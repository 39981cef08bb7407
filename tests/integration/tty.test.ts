// The host terminal as the guest's controlling terminal, driven the way a person uses
// it: busybox sh runs interactively inside a tmux pane under the LibOS; keys go in with
// send-keys and the screen comes back with capture-pane. Checks line editing input, a
// command, Ctrl-C interrupting `sleep 100` (status 130), Ctrl-Z stopping a job and fg
// resuming it, a pipeline, and the exit status reaching the host.

import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, CLI, ensureBuilt, haveTool, makeTempDir } from "./_run.ts";

const HAVE = haveTool("tmux");
const SESSION = `libos-tty-${process.pid}`;
const tmux = (...args: string[]): string => spawnSync("tmux", ["-L", SESSION, ...args], { encoding: "utf8" }).stdout;

/** Poll the pane until `pattern` shows (the emulated shell takes a moment to answer). */
async function waitFor(pattern: RegExp, ms = 20_000): Promise<string> {
  const until = Date.now() + ms;
  let screen = "";
  while (Date.now() < until) {
    screen = tmux("capture-pane", "-p", "-t", SESSION);
    if (pattern.test(screen)) return screen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern} on screen:\n${screen}`);
}

describe.skipIf(!HAVE)("interactive busybox sh on a real terminal (needs tmux)", () => {
  const tmp = makeTempDir("libos-tty-");

  beforeAll(() => {
    ensureBuilt();
    // The guest finds its commands as busybox applets, not the host's dynamic binaries.
    const bin = join(tmp.dir, "bin");
    mkdirSync(bin);
    for (const applet of ["sleep", "tr", "cat"]) symlinkSync(BUSYBOX, join(bin, applet));
    const cmd = `cd ${tmp.dir} && PATH=${bin} PS1='$ ' ${process.execPath} ${CLI} run ${BUSYBOX} sh; echo "EXITED=$?"; sleep 60`;
    tmux("new-session", "-d", "-s", SESSION, "-x", "100", "-y", "40", cmd);
  });

  afterAll(() => {
    tmux("kill-server");
    tmp.cleanup();
  });

  it("runs commands, interrupts, stops and resumes jobs, pipes, and exits with a status", async () => {
    await waitFor(/^\$\s*$/m);
    tmux("send-keys", "-t", SESSION, "echo hello $((6*7))", "Enter");
    await waitFor(/^hello 42$/m);

    tmux("send-keys", "-t", SESSION, "sleep 100", "Enter");
    await new Promise((r) => setTimeout(r, 1000));
    tmux("send-keys", "-t", SESSION, "C-c");
    tmux("send-keys", "-t", SESSION, "echo status=$?", "Enter");
    await waitFor(/^status=130$/m);

    tmux("send-keys", "-t", SESSION, "sleep 100", "Enter");
    await new Promise((r) => setTimeout(r, 1000));
    tmux("send-keys", "-t", SESSION, "C-z");
    await waitFor(/Stopped\s+sleep 100/);
    tmux("send-keys", "-t", SESSION, "fg", "Enter");
    await new Promise((r) => setTimeout(r, 500));
    tmux("send-keys", "-t", SESSION, "C-c");
    tmux("send-keys", "-t", SESSION, "echo fg=$?", "Enter");
    await waitFor(/^fg=130$/m);

    tmux("send-keys", "-t", SESSION, "echo abc | tr a-z A-Z | cat", "Enter");
    await waitFor(/^ABC$/m);

    tmux("send-keys", "-t", SESSION, "exit 7", "Enter");
    await waitFor(/^EXITED=7$/m);
  }, 90_000);
});
