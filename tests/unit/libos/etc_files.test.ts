// The guest's /etc/resolv.conf and /etc/hosts as each network makes them (libos/etc_files.ts).

import { describe, expect, it } from "vitest";
import { hostsText, resolvConfText } from "../../../libos/etc_files.ts";
import { type ExternalNetInfo } from "../../../net-task/mod.ts";

const user: ExternalNetInfo = {
  guest: { hardwareAddress: 0x525400123456, address: 0x0a00020f, prefixLen: 24, gateway: 0x0a000202, dns: [0x0a000203], mtu: 65520 },
  forwards: [],
};
const tap: ExternalNetInfo = { guest: { ...user.guest, address: 0x0a000002, gateway: 0x0a000001, dns: [], mtu: 1500 }, forwards: [] };
const HOST = "# the host's\nsearch example.org\nnameserver 127.0.0.53\nnameserver 192.0.2.1\n  nameserver 198.51.100.7 \nnameserver ::1\n";

describe("resolvConfText()", () => {
  it("names the gateway's DNS with --net user, whatever the host has", () => {
    expect(resolvConfText(user, HOST)).toBe("nameserver 10.0.2.3\n");
  });

  it("keeps the host's name servers a TAP guest can reach (not the host's loopback)", () => {
    expect(resolvConfText(tap, HOST)).toBe("nameserver 192.0.2.1\nnameserver 198.51.100.7\n");
    expect(resolvConfText(tap, "nameserver 127.0.0.53\n")).not.toMatch(/^nameserver/m);
    expect(resolvConfText(tap, null)).not.toMatch(/^nameserver/m);
  });

  it("names no server for lo only", () => {
    expect(resolvConfText(null, HOST)).not.toMatch(/^nameserver/m);
  });
});

describe("hostsText()", () => {
  it("has localhost, and the hostname at eth0's address when there is one", () => {
    expect(hostsText("box", user)).toBe("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.2.15\tbox\n");
    expect(hostsText("box", null)).toBe("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  });
});
