// The guest's network reaching the host, through the launcher (`libos run --net ...`), with
// every byte checked by SHA-256:
//
//   --net user, in each net mode: busybox httpd in the guest behind `-p 0:8080` serves a
//   10 MiB file to this test (Node's http client on the host's 127.0.0.1); busybox wget in
//   the guest fetches 10 MiB from this test's HTTP server through 10.0.2.2, and by a name
//   the gateway's DNS resolves ("localhost." skips the guest's /etc/hosts; the gateway
//   answers the host's 127.0.0.1 as 10.0.2.2); /etc/resolv.conf names 10.0.2.3
//   --net-faults on the gateway's link (10 % drop, reordering, duplication, corruption):
//   10 MiB each way between the guest (wget; nc) and this test's servers
//   --net tap:IF (root only), inproc and worker: in a network namespace this test makes,
//   Linux's TCP (node there) and the guest's busybox nc exchange a file each way (8 MiB;
//   100 MiB with LIBOS_NET_BIG=1)
//
// Every wait ends on an event: a line the guest prints, a response, the launcher's exit.

import { spawn as spawnChild, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { get, createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ensureBuilt, runLibos, startLibos, tempDirs } from "./_run.ts";

const NET_MODES = ["inproc", "ipc", "worker"] as const;
const MIB = 1024 * 1024;
const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

const fresh = tempDirs("libos-net-host-");
const dir = fresh();
const big = randomBytes(10 * MIB);
const bigHash = sha256(big);
writeFileSync(join(dir, "big.bin"), big);

/** This test's HTTP server on 127.0.0.1: GET /big.bin. */
function hostServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== "/big.bin") return void res.writeHead(404).end();
    res.writeHead(200, { "content-length": big.length });
    res.end(big);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/** GET http://127.0.0.1:port/path: the status and the body's SHA-256 and length. */
function fetchHash(port: number, path: string): Promise<{ status: number; hash: string; length: number }> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, agent: false }, (res: IncomingMessage) => {
      const hash = createHash("sha256");
      let length = 0;
      res.on("data", (d: Buffer) => {
        hash.update(d);
        length += d.length;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, hash: hash.digest("hex"), length }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** This test's TCP sink on 127.0.0.1: each connection's SHA-256 and length, answered once the peer's FIN came. */
function hashSink(): Promise<{ server: NetServer; port: number }> {
  const server = createNetServer({ allowHalfOpen: true }, (s) => {
    const hash = createHash("sha256");
    let n = 0;
    s.on("data", (d: Buffer) => {
      hash.update(d);
      n += d.length;
    });
    s.on("end", () => s.end(`${hash.digest("hex")} ${n}\n`));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

let host: { server: Server; port: number };
let sink: { server: NetServer; port: number };
beforeAll(async () => {
  ensureBuilt();
  host = await hostServer();
  sink = await hashSink();
});
afterAll(() => {
  host?.server.close();
  sink?.server.close();
});

describe("--net user: the host gateway", () => {
  it.each(NET_MODES)("httpd behind -p serves 10 MiB to the host, wget fetches 10 MiB from it by address and by name (net %s)", async (mode) => {
    const url = (name: string): string => `http://${name}:${host.port}/big.bin`;
    const script = [
      `httpd -p 8080 -h ${dir} && echo httpd ready`,
      `wget -q -O - ${url("10.0.2.2")} | sha256sum`,
      `wget -q -O - ${url("localhost.")} | sha256sum`,
      "nslookup -type=a localhost. | tail -n 3",
      "cat /etc/resolv.conf",
      "echo done",
      // Until the test closes stdin: httpd serves meanwhile.
      "exec cat",
    ].join("\n");
    const guest = startLibos(["--net", "user", "--net-mode", mode, "-p", "0:8080", "-v", `${dir}:${dir}`], BUSYBOX, ["sh", "-c", script]);
    try {
      const port = Number((await guest.waitFor(/-p 127\.0\.0\.1:0:8080\/tcp listens on port (\d+)/, "stderr"))[1]);
      await guest.waitFor(/httpd ready\n/);
      expect(await fetchHash(port, "/big.bin")).toEqual({ status: 200, hash: bigHash, length: big.length });
      await guest.waitFor(/done\n/);
    } finally {
      guest.child.stdin!.end();
    }
    expect(await guest.exited).toBe(0);
    const lines = guest.out.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual(["httpd ready", `${bigHash}  -`, `${bigHash}  -`]);
    expect(guest.out.stdout).toMatch(/Name:\s+localhost\s+Address:\s+10\.0\.2\.2\n/);
    expect(guest.out.stdout).toContain("nameserver 10.0.2.3\n");
  });

  it.each(["inproc", "worker"])("a -p whose host port is taken stops the launch with the reason (net %s)", (mode) => {
    const got = runLibos(["--net-mode", mode, "-p", `${host.port}:80`], BUSYBOX, ["echo", "ran"]);
    expect(got.stdout).toBe("");
    expect(got.stderr).toMatch(/^libos: Cannot start the network: .*EADDRINUSE.*\n$/);
    expect(got.status).not.toBe(0);
  });

  it("10 MiB each way intact with 10 % drop, reordering, duplication and corruption on the link", async () => {
    const faults = "drop=0.1,reorder=0.05,dup=0.05,corrupt=0.05,seed=13";
    const script = [
      `wget -q -O - http://10.0.2.2:${host.port}/big.bin | sha256sum`,
      `nc 10.0.2.2 ${sink.port} < ${dir}/big.bin`,
    ].join("\n");
    const guest = startLibos(["--net", "user", "--net-faults", faults, "-v", `${dir}:${dir}`], BUSYBOX, ["sh", "-c", script]);
    guest.child.stdin!.end();
    expect(await guest.exited).toBe(0);
    expect(guest.out.stdout).toBe(`${bigHash}  -\n${bigHash} ${big.length}\n`);
  });
});

/** Why the TAP test cannot run here, or null. */
function tapUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (a TAP interface in a network namespace)";
  if (!existsSync("/dev/net/tun")) return "no /dev/net/tun";
  if (spawnSync("ip", ["-V"], { stdio: "ignore" }).status !== 0) return "no iproute2 (ip)";
  return null;
}

const tapWhy = tapUnavailable();

describe.skipIf(tapWhy !== null)(`--net tap: Linux's TCP in a network namespace${tapWhy ? ` (skipped: ${tapWhy})` : ""}`, () => {
  const size = (process.env.LIBOS_NET_BIG === "1" ? 100 : 8) * MIB;
  const ns = `libos-nh-${process.pid}`, ifname = `lnh${process.pid % 100000}`;
  const ip = (...args: string[]): void => {
    const r = spawnSync("ip", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
  };

  beforeAll(() => {
    ip("netns", "add", ns);
    ip("-n", ns, "tuntap", "add", "dev", ifname, "mode", "tap");
    ip("-n", ns, "addr", "add", "10.0.0.1/24", "dev", ifname);
    ip("-n", ns, "link", "set", ifname, "up");
    ip("-n", ns, "link", "set", "lo", "up");
  });
  afterAll(() => spawnSync("ip", ["netns", "del", ns]));

  // Worker mode too: its thread must close the TAP (and its pending poll) before it ends.
  it.each(["inproc", "worker"])(`the guest and Linux exchange ${size / MIB} MiB each way intact (net %s)`, async (mode) => {
    const data = randomBytes(size);
    const src = join(dir, "tap-src.bin");
    writeFileSync(src, data);
    // Linux's end of guest → Linux: prints "listening", then the stream's SHA-256 and length.
    const sink = startInNs(ns, SINK);
    await sink.waitFor(/listening\n/);
    const script = [
      `nc 10.0.0.1 5000 < ${src}`,
      // -e: the listener hands the connection to sha256sum, which reads it to its end.
      "nc -l -p 5001 -e sh -c 'sha256sum > /tmp/got.sum' &",
      "until netstat -tln | grep -q ':5001 '; do usleep 10000; done",
      "echo listening",
      "wait",
      "cat /tmp/got.sum",
    ].join("\n");
    const guest = startLibos(["--net", `tap:${ifname}`, "--net-mode", mode, "-v", `${dir}:${dir}`], BUSYBOX, ["sh", "-c", script], ["ip", "netns", "exec", ns]);
    guest.child.stdin!.end();
    await guest.waitFor(/listening\n/);
    const source = startInNs(ns, SOURCE, [src]);
    expect(await source.exited).toBe(0);
    expect(await guest.exited).toBe(0);
    expect(await sink.exited).toBe(0);
    expect(sink.out).toBe(`listening\n${sha256(data)} ${size}\n`);
    expect(guest.out.stdout).toBe(`listening\n${sha256(data)}  -\n`);
    expect(guest.out.stderr).toBe("");
  });
});

/** Linux's side of guest → Linux, run by node in the namespace: one connection on 10.0.0.1:5000, hashed. */
const SINK = `
const server = require("node:net").createServer((s) => {
  const hash = require("node:crypto").createHash("sha256");
  let n = 0;
  s.on("data", (d) => { hash.update(d); n += d.length; });
  s.on("end", () => { console.log(hash.digest("hex") + " " + n); s.end(); server.close(); });
});
server.listen(5000, "10.0.0.1", () => console.log("listening"));
`;

/** Linux's side of Linux → guest: the file given, to 10.0.0.2:5001, then FIN. */
const SOURCE = `
const s = require("node:net").connect(5001, "10.0.0.2", () => require("node:fs").createReadStream(process.argv[1]).pipe(s));
s.on("error", (e) => { console.error(e.message); process.exitCode = 1; });
`;

/** node -e SCRIPT in the namespace: its stdout, a wait for a line of it, its exit. */
function startInNs(ns: string, script: string, args: string[] = []): { out: string; waitFor(re: RegExp): Promise<void>; exited: Promise<number> } {
  const child = spawnChild("ip", ["netns", "exec", ns, process.execPath, "-e", script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const self = {
    out: "",
    waitFor: (re: RegExp): Promise<void> => new Promise((resolve, reject) => {
      const check = (): void => {
        if (re.test(self.out)) resolve();
      };
      child.stdout!.on("data", check);
      child.on("close", () => reject(new Error(`node in ${ns} ended before ${re}: ${self.out}`)));
      check();
    }),
    exited: new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1))),
  };
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (self.out += d));
  return self;
}
