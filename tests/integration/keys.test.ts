// add_key(2), request_key(2) and keyctl(2) (tests/integration/fixtures/keys) compared with
// Linux: the fixture prints each call's result with serials only as relations, so the text
// is the same on any Linux with keys; where the host refuses the calls (a container's
// seccomp filter), the LibOS is compared with the text such a run recorded.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ROOT, ensureBuilt, runLibos, runNative } from "./_run.ts";

const KEYS = join(ROOT, "tests/integration/fixtures/keys/keys");

const LINUX_TEXT = `
join anonymous session ok
session id matches: 1
thread keyring without create = -1 Required key not available
thread keyring with create is stable: 1
add user alpha ok
read alpha (size) = 9
read alpha into 4 bytes = 9
buffer untouched: 1
read alpha = 9 "payload-1"
describe alpha = 24 type user perm+desc 3f010000;alpha
add user alpha again (update) ok
read alpha = 11 "payload-two"
update alpha ok
update alpha with 0 bytes = -1 Invalid argument
add user of 32767 bytes ok
add user of 32768 bytes = -1 Invalid argument
add user without payload = -1 Invalid argument
add keyring with payload = -1 Invalid argument
add logon without prefix = -1 Invalid argument
add .type = -1 Operation not permitted
add keyring .desc = -1 Operation not permitted
add unknown type = -1 No such device
add bad payload pointer = -1 Bad address
add into bad keyring id = -1 Invalid argument
add into a user key = -1 Not a directory
add logon svc:secret ok
read logon = -1 Not supported
add keyring inner ok
add user deep into inner ok
session holds 4: k0 k1 k2 1 other
search deep from session finds it: 1
search missing = -1 Required key not available
search unknown type = -1 Required key not available
request_key deep finds it: 1
link inner into itself = -1 Resource deadlock would occur
link session into inner = -1 Resource deadlock would occur
link alpha into inner ok
inner holds 2: k0 k3
unlink alpha from inner ok
unlink alpha from inner again = -1 No such file or directory
move deep from inner to session ok
inner holds 0:
setperm alpha view|search|setattr ok
read alpha without read right = 5
update alpha without write right = -1 Permission denied
setperm with bad bits = -1 Invalid argument
setperm alpha all ok
set timeout 1 s on deep ok
read deep before expiry = 1
read deep after expiry = -1 Key has expired
request_key deep after expiry = -1 Required key not available
revoke alpha ok
read alpha after revoke = -1 Key has been revoked
revoke alpha again = -1 Key has been revoked
describe alpha after revoke = -1 Key has been revoked
invalidate gamma ok
read gamma after invalidate = -1 Required key not available
request_key with callout = -1 No such file or directory
process keyring read = 4
read negative key = -1 Required key not available
request_key again = -1 Required key not available
add over the negative key ok
read it now = 3
child: same session 1
child: process keyring without create = -1 Required key not available
child: thread keyring without create = -1 Required key not available
child: finds logon key 1
clear session ok
session holds 0:
set reqkey keyring to thread = 0
set reqkey keyring no change = 1
set reqkey keyring group = -1 Invalid argument
join .builtin = -1 Operation not permitted
join named ok
join named again makes another: 1
setperm named with user search ok
link it into the process keyring ok
join the first again ok
join named finds the searchable one: 1
join it while it is the session = 0
keyctl unknown op = -1 Not supported
read bad id = -1 Required key not available
revoke id 0 = -1 Invalid argument
request_key bad type pointer = -1 Bad address
request_key .type = -1 Operation not permitted
`.slice(1);

describe("the key retention service", () => {
  beforeAll(() => ensureBuilt());
  const native = runNative(KEYS);
  const hostHasKeys = native.stdout.startsWith("join anonymous session ok");

  it.runIf(hostHasKeys)("natively prints the recorded text", () => {
    expect(native.stdout).toBe(LINUX_TEXT);
  });

  it("under the LibOS prints Linux's text", () => {
    const got = runLibos([], KEYS);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(LINUX_TEXT);
    expect(got.status).toBe(0);
  });

  it("keeps its quotas in /proc/sys/kernel/keys, which root may change, and counts users in /proc/key-users", () => {
    const script = [
      "cat /proc/sys/kernel/keys/maxkeys /proc/sys/kernel/keys/root_maxkeys",
      "echo 1234 > /proc/sys/kernel/keys/root_maxkeys && cat /proc/sys/kernel/keys/root_maxkeys",
      "echo x > /proc/sys/kernel/keys/root_maxkeys || echo refused",
      "grep -c '^    0:' /proc/key-users",
    ].join("; ");
    const got = runLibos([], BUSYBOX, ["sh", "-c", `${KEYS} >/dev/null; ${script}`]);
    expect(got.stdout).toBe("200\n1000000\n1234\nrefused\n1\n");
  });
});
