// Differential tests of file permissions, capabilities and chroot (fixtures/dac/): each
// program starts as root and drops privileges itself (setgroups, setgid, setuid, capset),
// then prints each operation's result or errno. Natively that needs root; where the
// suite does not run as root it is skipped.
//   perms   search permission on each directory of a path, open/creat/unlink/rename/
//           mkdir/mknod/link/symlink/truncate/chmod/chown/utimes/access/exec/chdir as
//           uid 65534; root, a real uid of 65534, an fs uid of 65534, root without
//           CAP_DAC_OVERRIDE and friends; on a host directory and on the guest's tmpfs
//   caps    capget/capset (v1, v2, v3), the bounding and ambient sets, securebits and
//           keep-capabilities, the sets after set*id calls and after execve, and the
//           checks that ask for a capability (chroot, mknod, sethostname, kill, rlimits)
//   chroot  chroot's errors, absolute paths and symlinks and ".." inside the new root,
//           getcwd, a cwd left outside, a #! interpreter found inside

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/dac");

interface Case {
  name: string;
  /** Arguments; "$DIR" is a fresh host directory (the same one for both runs, and their cwd). */
  args: string[];
  /** LibOS options and arguments of each run under the LibOS (default: the native arguments, inproc). */
  runs: { libos: string[]; args?: string[] }[];
}

const INPROC = ["--fs-mode", "inproc"];
const WORKER = ["--fs-mode", "worker"];

const CASES: Case[] = [
  // On the host volume (hostfs) in one mode, on the guest's own /tmp (tmpfs) in the other.
  { name: "perms", args: ["$DIR"], runs: [{ libos: INPROC }, { libos: WORKER, args: ["/tmp"] }] },
  { name: "caps", args: [], runs: [{ libos: INPROC }] },
  { name: "chroot", args: ["$DIR"], runs: [{ libos: INPROC }, { libos: WORKER, args: ["/tmp"] }] },
];

const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot).each(CASES)("$name", ({ name, args, runs }) => {
  const fresh = tempDirs(`libos-dac-${name}-`);
  beforeAll(() => ensureBuilt());
  const prog = join(FIXTURES, name);
  const dir = fresh();
  const withDir = (list: string[]): string[] => list.map((a) => (a === "$DIR" ? dir : a));
  const native = runNative(prog, withDir(args), { cwd: dir });

  it("runs natively", () => {
    expect(native.stderr).toBe("");
    expect(native.stdout).toMatch(/done\n$/);
    expect(native.status).toBe(0);
  });

  it.each(runs.map((r) => [r.libos.join(" "), r] as const))("under the LibOS (%s) prints what native prints", (_, run) => {
    const got = runLibos(run.libos, prog, withDir(run.args ?? args), { cwd: dir });
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(native.status);
  });
});
