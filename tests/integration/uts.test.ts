// sethostname(2), setdomainname(2), uname(2) and sysfs(2) (tests/integration/fixtures/uts)
// compared with native. Natively the fixture changes the names, so it runs as root in a
// UTS namespace of its own (unshare -u); where that cannot be had, with the text Linux
// prints, recorded from such a run.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuilt, haveTool, runLibos, runNative } from "./_run.ts";

const UTS = join(ROOT, "tests/integration/fixtures/uts/uts");

const LINUX_TEXT = `sethostname("guest-a") = 0
setdomainname("example") = 0
after setting: nodename "guest-a" (7 bytes) domainname "example" proc domainname "example"
sethostname of 64 bytes = 0
64 bytes: nodename "${"h".repeat(64)}" (64 bytes) domainname "example" proc domainname "example"
sethostname of 65 bytes = -1 Invalid argument
sethostname of length -1 = -1 Invalid argument
sethostname from PROT_NONE memory = -1 Bad address
sethostname from PROT_NONE memory, length 0 = 0
after the errors: nodename "" (0 bytes) domainname "example" proc domainname "example"
sethostname with a NUL inside = 0
setdomainname of length 0 = 0
cut at the NUL, empty domain: nodename "ab" (2 bytes) domainname "" proc domainname ""
unprivileged sethostname = -1 Operation not permitted
unprivileged setdomainname = -1 Operation not permitted
unchanged by the child: nodename "ab" (2 bytes) domainname "" proc domainname ""
sysfs(1, "proc") is an index
sysfs(2, that index) = 0 "proc"
sysfs(3) counts some types
sysfs(1, "ext0") = -1 Invalid argument
sysfs(1, NULL) = -1 Bad address
sysfs(2, 1000) = -1 Invalid argument
sysfs(2, 0, bad buffer) = -1 Bad address
sysfs(4) = -1 Invalid argument
`;

describe("UTS names and sysfs(2)", () => {
  beforeAll(() => ensureBuilt());
  const canUnshare = process.getuid?.() === 0 && haveTool("unshare") && runNative("unshare", ["-u", "true"]).status === 0;

  it.runIf(canUnshare)("natively, in a UTS namespace, prints Linux's text", () => {
    const native = runNative("unshare", ["-u", UTS]);
    expect(native.stderr).toBe("");
    expect(native.stdout).toBe(LINUX_TEXT);
  });

  it("under the LibOS prints Linux's text, and the names are the user kernel's own", () => {
    const got = runLibos([], UTS);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(LINUX_TEXT);
    expect(got.status).toBe(0);
    // A second user kernel starts with the host's name again.
    const again = runLibos([], "/bin/uname", ["-n"]);
    expect(again.stdout.trim()).not.toBe("ab");
  });
});
