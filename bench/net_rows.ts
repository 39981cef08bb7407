// The bench rows of the guest's network beyond its own loopback (run.ts puts them in ROWS):
//
//   TCP through the gateway   samples/bench/tcp-stream against a host peer (_tcp_peer.ts) on
//                             127.0.0.1, each way; the libos column reaches it as 10.0.2.2
//                             (--net user), native and qemu-x86_64 as 127.0.0.1
//   TCP over TAP              the same against the peer in a network namespace (10.0.0.1)
//                             whose TAP the libos column attaches to (--net tap:IF); every
//                             column runs in the namespace, native and qemu over its loopback.
//                             Needs root: otherwise the cells say why
//   busybox httpd             the server under each column (the libos behind -p), a host
//                             client (_http_client.ts) making sequential small GETs
//
// Ports: fixed per bench process (from its pid), so that a row's command lines are known
// before its peer starts.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import * as path from "node:path";
import type { Fixture, PeerDef, RowDef, ServerDef } from "./run.ts";

export interface NetRowContext {
  sample(rel: string): string;
  busybox: string;
  /** The project root (dist/bench/ holds the peers). */
  root: string;
  /** Where fixtures go. */
  scratch: string;
}

const PEER_PORT = 20000 + (process.pid % 20000);
const HTTP_PORT = PEER_PORT + 1;
const TAP_NS = `libos-bench-${process.pid}`;
const TAP_IF = `lbt${process.pid % 100000}`;
const TAP_PEER = "10.0.0.1";
const STREAM_MIB = 256;
const HTTP_REQUESTS = 400;
/** 300 Mbit/s in MiB/s. */
const MBIT_300 = 300e6 / 8 / 1024 / 1024;

export function hostNetRows(cx: NetRowContext): RowDef[] {
  const stream = (verb: "send" | "recv", addr: string, port: number) => (n: number): readonly string[] =>
    [cx.sample("bench/tcp-stream"), verb, addr, String(port), String(n)];
  const rate = (argv: (n: number) => readonly string[]) => ({ kind: "rate", argv, n: STREAM_MIB, runs: 5, unit: "MiB/s" }) as const;
  const target = { kind: "at-least", text: "≥ 36 MiB/s (300 Mbit/s)", min: MBIT_300 } as const;
  const gatewayPeer = nodePeer(cx, ["127.0.0.1", String(PEER_PORT)], []);
  const gateway = (verb: "send" | "recv", name: string): RowDef => ({
    name,
    measure: rate(stream(verb, "127.0.0.1", PEER_PORT)),
    override: { libos: rate(stream(verb, "10.0.2.2", PEER_PORT)) },
    libosOptions: ["--net", "user"],
    peer: gatewayPeer,
    target,
    note: "TCP through the gateway: tcp-stream and a node peer on the host's 127.0.0.1 (the libos reaches it as 10.0.2.2 with --net user; native and qemu-x86_64 directly)",
  });
  const wrap = ["ip", "netns", "exec", TAP_NS];
  const tap = (verb: "send" | "recv", name: string): RowDef => ({
    name,
    measure: rate(stream(verb, TAP_PEER, PEER_PORT)),
    libosOptions: ["--net", `tap:${TAP_IF}`],
    wrap,
    peer: tapPeer(cx, wrap),
    target,
    note: `TCP over TAP: tcp-stream and a node peer in a network namespace (10.0.0.1, Linux's TCP); the libos column's eth0 is the namespace's TAP (MTU 1500), native and qemu-x86_64 reach the peer over the namespace's loopback; needs root`,
  });
  const site: Fixture = {
    path: path.join(cx.scratch, "httpd"),
    make: (dir) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "small.html"), `<html>${"x".repeat(500)}</html>\n`);
    },
  };
  const httpd: ServerDef = {
    argv: (column) => column === "libos"
      ? [cx.busybox, "httpd", "-f", "-p", "8080", "-h", site.path]
      : [cx.busybox, "httpd", "-f", "-p", `127.0.0.1:${HTTP_PORT}`, "-h", site.path],
    ready: () => answers(HTTP_PORT, "/small.html"),
  };
  return [
    gateway("send", "TCP guest → host, gateway (MiB/s)"),
    gateway("recv", "TCP host → guest, gateway (MiB/s)"),
    tap("send", "TCP guest → Linux, TAP (MiB/s)"),
    tap("recv", "TCP Linux → guest, TAP (MiB/s)"),
    {
      name: "busybox httpd, sequential GETs (req/s)",
      measure: {
        kind: "rate",
        argv: (n) => [process.execPath, path.join(cx.root, "dist/bench/_http_client.js"), String(HTTP_PORT), "small.html", String(n)],
        n: HTTP_REQUESTS,
        runs: 5,
        unit: "req/s",
      },
      libosOptions: ["-p", `${HTTP_PORT}:8080`, "-v", `${site.path}:${site.path}:ro`],
      fixtures: [site],
      server: httpd,
      target: { kind: "informational", text: "measured (no target)" },
      note: "busybox httpd: `httpd -f` under each column (the libos's behind -p HOSTPORT:8080), a node client on the host making sequential GETs of a 0.5 KiB page, one connection each",
    },
  ];
}

/** The TCP peer (_tcp_peer.ts) on ADDR PORT, under `wrap`; ready once it prints "listening". */
function nodePeer(cx: NetRowContext, args: string[], wrap: readonly string[]): PeerDef {
  return {
    start: () => new Promise((resolve, reject) => {
      const argv = [...wrap, process.execPath, path.join(cx.root, "dist/bench/_tcp_peer.js"), ...args];
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      const exited = new Promise<void>((done) => child.on("close", () => done()));
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.on("close", () => reject(new Error(`the peer ended: ${out.trim() || "no message"}`)));
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        if (!d.includes("listening")) return;
        resolve({
          stop: async () => {
            child.kill();
            await exited;
          },
        });
      });
    }),
  };
}

/** The namespace with its TAP (10.0.0.1/24 on Linux's side) and the TCP peer in it; removed at stop. */
function tapPeer(cx: NetRowContext, wrap: readonly string[]): PeerDef {
  return {
    start: async () => {
      if (process.getuid?.() !== 0) return { unavailable: "TAP rows need root (a TAP interface in a network namespace)" };
      if (!existsSync("/dev/net/tun")) return { unavailable: "no /dev/net/tun" };
      const ip = (...args: string[]): void => {
        const r = spawnSync("ip", args, { encoding: "utf8" });
        if (r.error || r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.error?.message ?? r.stderr.trim()}`);
      };
      ip("netns", "add", TAP_NS);
      try {
        ip("-n", TAP_NS, "tuntap", "add", "dev", TAP_IF, "mode", "tap");
        ip("-n", TAP_NS, "addr", "add", `${TAP_PEER}/24`, "dev", TAP_IF);
        ip("-n", TAP_NS, "link", "set", TAP_IF, "up");
        ip("-n", TAP_NS, "link", "set", "lo", "up");
        const peer = await nodePeer(cx, [TAP_PEER, String(PEER_PORT)], wrap).start();
        if ("unavailable" in peer) throw new Error(peer.unavailable);
        return {
          stop: async () => {
            await peer.stop();
            ip("netns", "del", TAP_NS);
          },
        };
      } catch (error) {
        ip("netns", "del", TAP_NS);
        throw error;
      }
    },
  };
}

/** Resolves once GET http://127.0.0.1:port/path answers 200 (a server still starting resets or refuses: tried again). */
async function answers(port: number, urlPath: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      get({ host: "127.0.0.1", port, path: urlPath, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      }).on("error", () => resolve(0));
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the server did not answer GET ${urlPath} on port ${port} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
