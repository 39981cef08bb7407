// A TAP interface in a network namespace of its own, for the TAP benchmark and tests: this
// process attaches to a new TAP (so it must be root), then the interface moves into the
// namespace with 10.0.0.1/24, where processes started through exec() use Linux's TCP to
// reach this stack at 10.0.0.2. Nothing touches the host's own interfaces or routes.

import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { existsSync } from "node:fs";
import { openTap, type TapNet } from "../net-task/host/tap.ts";
import { ipv4 } from "../net-task/wire/address.ts";

export const PEER_ADDRESS = "10.0.0.1";
export const STACK_ADDRESS = ipv4(10, 0, 0, 2);

/** Why a TAP namespace cannot be made here, or null when it can. */
export function tapUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (to create a TAP interface and a network namespace)";
  if (!existsSync("/dev/net/tun")) return "no /dev/net/tun";
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
  } catch {
    return "no iproute2 (ip)";
  }
  return null;
}

export interface TapNamespace {
  readonly tap: TapNet;
  readonly ns: string;
  /** Starts a command inside the namespace. */
  exec(argv: string[], options?: SpawnOptions): ChildProcess;
  close(): void;
}

/** Makes the namespace and the TAP; `mtu` sets both sides' MTU (default 1500). */
export function createTapNamespace(tag: string, mtu = 1500): TapNamespace {
  const id = `${process.pid % 100000}${tag}`.slice(0, 10);
  const ns = `libos-tap-${id}`, ifname = `ltap${id}`;
  const ip = (...args: string[]): void => void execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
  ip("netns", "add", ns);
  let tap: TapNet | null = null;
  try {
    tap = openTap({ name: ifname, mtu, address: STACK_ADDRESS, prefixLen: 24, gateway: null });
    ip("link", "set", ifname, "mtu", String(mtu));
    ip("link", "set", ifname, "netns", ns);
    ip("-n", ns, "addr", "add", `${PEER_ADDRESS}/24`, "dev", ifname);
    ip("-n", ns, "link", "set", ifname, "up");
    ip("-n", ns, "link", "set", "lo", "up");
  } catch (error) {
    void tap?.close();
    ip("netns", "del", ns);
    throw error;
  }
  const opened = tap;
  return {
    tap: opened,
    ns,
    exec: (argv, options = {}) => spawn("ip", ["netns", "exec", ns, ...argv], options),
    close: () => {
      void opened.close();
      ip("netns", "del", ns);
    },
  };
}
