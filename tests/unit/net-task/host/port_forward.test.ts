// The -p spec: [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp].

import { describe, expect, it } from "vitest";
import { parsePortForward } from "../../../../net-task/host/port_forward.ts";

describe("parsePortForward", () => {
  it("reads the forms qemu's hostfwd and docker's -p use", () => {
    expect(parsePortForward("8080:80")).toEqual({ protocol: "tcp", hostAddress: "127.0.0.1", hostPort: 8080, guestPort: 80 });
    expect(parsePortForward("5353:53/udp")).toEqual({ protocol: "udp", hostAddress: "127.0.0.1", hostPort: 5353, guestPort: 53 });
    expect(parsePortForward("0.0.0.0:2222:22/tcp")).toEqual({ protocol: "tcp", hostAddress: "0.0.0.0", hostPort: 2222, guestPort: 22 });
    expect(parsePortForward("0:22").hostPort).toBe(0);
  });

  it("names what is wrong", () => {
    expect(() => parsePortForward("8080")).toThrow(/expected \[HOSTADDR:\]HOSTPORT:GUESTPORT/);
    expect(() => parsePortForward("8080:80/sctp")).toThrow(/protocol "sctp"/);
    expect(() => parsePortForward("localhost:8080:80")).toThrow(/"localhost" is not an IPv4 address/);
    expect(() => parsePortForward("8080:0")).toThrow(/guest port "0"/);
    expect(() => parsePortForward("70000:80")).toThrow(/host port "70000"/);
    expect(() => parsePortForward("1:2:3:4")).toThrow(SyntaxError);
  });
});
