// The TAP device against Linux's own TCP: a TAP interface in a network namespace the test
// makes (root only), busybox nc in the namespace as Linux's end, this stack on the other
// side driven on the event loop. Streams are checked byte for byte both ways; 8 MiB each
// way here, 100 MiB with LIBOS_NET_BIG=1. parseTapSpec needs no root.

import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PEER_ADDRESS, createTapNamespace, tapUnavailable, type TapNamespace } from "../../../../bench/_netns.ts";
import { parseTapSpec } from "../../../../net-task/host/tap.ts";
import { TcpListener } from "../../../../net-task/socket/tcp_listener.ts";
import { TcpSocket } from "../../../../net-task/socket/tcp.ts";
import { ipv4, parseIpv4 } from "../../../../net-task/wire/address.ts";
import { makeTempDir } from "../../../integration/_run.ts";
import { echoStep, fillStream, newResult, streamErrors, streamStep } from "./_apps.ts";
import { Guest } from "./_guest.ts";

const TOTAL = (process.env.LIBOS_NET_BIG === "1" ? 100 : 8) * 1024 * 1024;
const unavailable = tapUnavailable();
const cleanup: (() => void)[] = [];

afterEach(() => {
  for (const done of cleanup.splice(0).reverse()) done();
});

function tempDir(prefix: string): string {
  const { dir, cleanup: remove } = makeTempDir(prefix);
  cleanup.push(remove);
  return dir;
}

function setup(tag: string): { net: TapNamespace; guest: Guest } {
  const net = createTapNamespace(tag);
  cleanup.push(() => net.close());
  const g = net.tap.guest;
  const guest = new Guest(net.tap.device, {
    hardwareAddress: g.hardwareAddress, addresses: [{ address: g.address, prefixLen: g.prefixLen }], gateway: g.gateway,
  });
  cleanup.push(() => guest.stop());
  return { net, guest };
}

/** A file holding the test stream's first `n` bytes. */
function streamFile(dir: string, name: string, n: number): string {
  const file = path.join(dir, name);
  writeFileSync(file, fillStream(new Uint8Array(n), 0));
  return file;
}

function exitCode(child: ReturnType<TapNamespace["exec"]>): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", resolve));
}

describe.skipIf(unavailable !== null)(`TAP against Linux's TCP${unavailable === null ? "" : ` (skipped: ${unavailable})`}`, () => {
  it("Linux's nc sends a stream to an echo socket of this stack and gets it back intact", async () => {
    const { net, guest } = setup("e");
    const dir = tempDir("tap-echo");
    const input = streamFile(dir, "in", TOTAL), output = path.join(dir, "out");
    // busybox nc reads the socket only between blocking writes: once the echo's buffers and
    // Linux's fill, each side waits for the other (natively too). The whole stream fits here.
    const listener = guest.add(new TcpListener({ rxBufferSize: TOTAL }));
    listener.listen({ addr: 0, port: 5000 });
    const echoed = guest.run(echoStep(listener, () => guest.driver.kick()));
    const nc = net.exec(["sh", "-c", `busybox nc 10.0.0.2 5000 < ${input} > ${output}`], { stdio: "inherit" });
    expect(await exitCode(nc)).toBe(0);
    await echoed;
    const got = readFileSync(output);
    expect(got.length).toBe(TOTAL);
    expect(streamErrors(got, 0)).toBe(0);
  });

  it("this stack connects to Linux's nc -l: a stream each way, intact", async () => {
    const { net, guest } = setup("c");
    const dir = tempDir("tap-client");
    const input = streamFile(dir, "in", TOTAL), output = path.join(dir, "out");
    const nc = exitCode(net.exec(["sh", "-c", `busybox nc -l -p 5001 < ${input} > ${output}`], { stdio: "inherit" }));
    // nc may not listen yet: a refused connection is tried again (each refusal is an event).
    const result = newResult();
    for (;;) {
      const conn = guest.add(new TcpSocket({ rxBufferSize: 1 << 20, txBufferSize: 1 << 20 }));
      expect(guest.iface.connect(guest.sockets, conn.handle, { addr: parseIpv4(PEER_ADDRESS)!, port: 5001 })).toBe("ok");
      await guest.run(streamStep(conn, TOTAL, result));
      if (result.end !== "refused") break;
      guest.sockets.remove(conn.handle);
      Object.assign(result, newResult());
    }
    expect(result).toEqual({ sent: TOTAL, received: TOTAL, errors: 0, end: "eof" });
    expect(await nc).toBe(0);
    const got = readFileSync(output);
    expect(got.length).toBe(TOTAL);
    expect(streamErrors(got, 0)).toBe(0);
    expect(net.tap.device.stats.rxErrors).toBe(0);
  });

  it("answers Linux's ping", async () => {
    const { net, guest } = setup("p");
    guest.driver.kick();
    const ping = net.exec(["busybox", "ping", "-c", "2", "-W", "5", "10.0.0.2"], { stdio: "ignore" });
    expect(await exitCode(ping)).toBe(0);
  });
});

describe("parseTapSpec", () => {
  it("reads a name, an address with its prefix, and a gateway or none", () => {
    expect(parseTapSpec("tap0")).toEqual({ name: "tap0" });
    expect(parseTapSpec("tap0,192.168.7.2/16,gw=192.168.0.1")).toEqual({
      name: "tap0", address: ipv4(192, 168, 7, 2), prefixLen: 16, gateway: ipv4(192, 168, 0, 1),
    });
    expect(parseTapSpec("t,10.1.1.1,gw=none")).toEqual({ name: "t", address: ipv4(10, 1, 1, 1), prefixLen: 24, gateway: null });
  });

  it("names what is wrong", () => {
    expect(() => parseTapSpec("")).toThrow(SyntaxError);
    expect(() => parseTapSpec("a-name-longer-than-15")).toThrow(/not an interface name/);
    expect(() => parseTapSpec("tap0,10.0.0.300/24")).toThrow(/not ADDR\/PREFIX/);
    expect(() => parseTapSpec("tap0,10.0.0.2/33")).toThrow(/prefix length/);
    expect(() => parseTapSpec("tap0,gw=x")).toThrow(/not an IPv4 address/);
  });
});
