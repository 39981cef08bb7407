// Sockets (tests/integration/fixtures/socket) compared with native, in each fs mode: AF_UNIX
// names on a host volume and in the guest's /tmp (the S_IFSOCK node, rename and link,
// abstract names, autobind, errors), stream sockets (an echo server across fork, accept4,
// SO_PEERCRED, the backlog, poll, peek, waitall, shutdown, ECONNRESET, SIGPIPE, timeouts
// and signals, 10 MiB with a checksum), datagram and seqpacket records, SCM_RIGHTS and
// SCM_CREDENTIALS. One LibOS launch runs every fixture (busybox sh), as one native run does.
// AF_INET is the net-task's (tests/integration/net.test.ts); without one (--net none) it
// answers EAFNOSUPPORT, which native Linux does not, so that fixture runs under the LibOS only.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ROOT, ensureBuilt, runLibos, runNative, tempDirs } from "./_run.ts";

const FIXTURES = join(ROOT, "tests/integration/fixtures/socket");
const PROGRAMS = ["unix_names", "unix_stream", "unix_records", "unix_rights"];
const FS_MODES = ["inproc", "ipc", "worker"] as const;

/** What one run of every fixture in `dir` prints: a header, the output and the status of each. */
function nativeRuns(dir: string): string {
  return PROGRAMS.map((name) => {
    const r = runNative(join(FIXTURES, name), [dir], { cwd: dir });
    return `== ${name}\n${r.stdout}${r.stderr}exit ${r.status}\n`;
  }).join("");
}

/** The same under the LibOS, in one launch. */
function libosRuns(mode: string, cwd: string, dir: string): { stdout: string; stderr: string; status: number } {
  const script = `for p in ${PROGRAMS.join(" ")}; do echo "== $p"; "${FIXTURES}/$p" "${dir}" 2>&1; echo "exit $?"; done`;
  return runLibos(["--fs-mode", mode], BUSYBOX, ["sh", "-c", script], { cwd, timeout: 120_000 });
}

describe("AF_UNIX sockets, differential", () => {
  const fresh = tempDirs("libos-socket-");
  beforeAll(() => ensureBuilt());
  const native = nativeRuns(fresh());

  it("runs natively", () => {
    for (const name of PROGRAMS) expect(native).toContain(`== ${name}\n`);
    expect(native).not.toMatch(/exit [1-9]/);
    expect(native).toMatch(/received 10485760 bytes, checksum ([0-9a-f]{8})/);
    expect(native).toContain("child recvmsg = 3 \"fds\" controllen 24");
  });

  it.each(FS_MODES)("--fs-mode %s prints what native prints, on a host volume and in /tmp", (mode) => {
    const dir = fresh();
    for (const where of [dir, "/tmp"]) {
      const got = libosRuns(mode, dir, where);
      expect(got.stderr).toBe("");
      expect(got.stdout).toBe(native);
      expect(got.status).toBe(0);
    }
  });
});

describe("AF_INET without a net-task (--net none)", () => {
  beforeAll(() => ensureBuilt());

  it("socket(2) answers EAFNOSUPPORT and AF_UNIX still works", () => {
    const got = runLibos(["--net", "none"], join(FIXTURES, "inet"));
    expect(got.stdout).toBe(
      [
        "socket(AF_INET, SOCK_STREAM) = -1 EAFNOSUPPORT",
        "socket(AF_INET, SOCK_DGRAM) = -1 EAFNOSUPPORT",
        "socket(AF_INET6, SOCK_STREAM) = -1 EAFNOSUPPORT",
        "socket(AF_NETLINK, SOCK_RAW) = -1 EAFNOSUPPORT",
        "socketpair(AF_INET, SOCK_STREAM) = -1 EAFNOSUPPORT",
        "socket(AF_UNIX, SOCK_STREAM) still works = 3",
        "",
      ].join("\n"),
    );
    expect(got.status).toBe(0);
  });

  it("busybox nc (which has no -U for AF_UNIX) fails with the family's error", () => {
    const got = runLibos(["--net", "none"], BUSYBOX, ["nc", "127.0.0.1", "9"]);
    expect(got.stderr).toContain("Address family not supported by protocol");
    expect(got.status).toBe(1);
  });
});
