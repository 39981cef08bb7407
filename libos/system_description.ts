// The system description `libos boot` reads: JSON checked against system.schema.json,
// then against the rules a schema cannot say (names that must exist, things at most one
// kernel may have), into a SystemSpec with every default filled in.
//
//   readSystem(file)     the file's SystemSpec; throws SystemError listing every problem,
//                        each as `field.path: what is wrong`
//   checkSystem(json)    the same for a parsed value (relative host paths against `base`)
//
// Host paths in the description (root, volumes, console files) are relative to the
// description's own directory.

import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { JsonSchema, type Json, type SchemaError } from "./json_schema.ts";
import type { FsMode, Volume } from "./mounts.ts";

export type Placement = "main" | "worker";

export interface InterfaceSpec {
  name: string;
  /** a.b.c.d */
  address: string;
  prefixLength: number;
  gateway: string | null;
  /** aa:bb:cc:dd:ee:ff; by default 02:00:00:00:KK:II, KK and II the kernel's and the interface's places, from 1. */
  mac: string;
  /** The IP MTU (default 1500, Ethernet's). */
  mtu: number;
}

export interface ConsoleSpec {
  output: "prefix" | "file" | "tty";
  /** Host path, for output "file". */
  file: string | null;
  stdin: "none" | "host";
}

export interface KernelSpec {
  name: string;
  memory: number;
  thread: Placement;
  priority: number;
  /** A root image file, or a host directory as the root. */
  root: { image: string | null } | { host: string };
  volumes: Volume[];
  tmpfs: string[];
  workdir: string | null;
  env: [string, string][];
  /** Each program's argv; the first word is the guest path or a command on PATH. */
  programs: string[][];
  /** pid 1 is the kernel's own init, with the programs beneath it; else the one program is pid 1. */
  init: boolean;
  fsMode: FsMode;
  net: { mode: FsMode; interfaces: InterfaceSpec[] } | null;
  console: ConsoleSpec;
}

/** A kernel's interface, as `kernel.interface`. */
export interface Port {
  kernel: string;
  iface: string;
}

export interface SystemSpec {
  kernels: KernelSpec[];
  links: { ends: [Port, Port] }[];
  switches: { name: string; ports: Port[] }[];
  pipes: { from: string; to: string }[];
}

export class SystemError extends Error {
  constructor(
    readonly source: string,
    readonly problems: SchemaError[],
  ) {
    super(`${source}: ${problems.map((p) => `${p.path}: ${p.message}`).join("\n  ")}`);
  }
}

const DEFAULT_MEMORY = 256 * 1024 ** 2;
const MIN_MEMORY = 16 * 1024 ** 2;
const DEFAULT_PRIORITY = 100;
const DEFAULT_MTU = 1500;
const DEFAULT_ENV: [string, string][] = [["PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], ["HOME", "/root"]];

/** system.schema.json, from the sources or from the build (dist/libos/ → libos/). */
function schemaPath(): string {
  const beside = fileURLToPath(new URL("./system.schema.json", import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL("../../libos/system.schema.json", import.meta.url));
}

let schema: JsonSchema | null = null;

/** The schema, read once: a constant of the build, the same for every kernel. */
export function systemSchema(): JsonSchema {
  return (schema ??= new JsonSchema(JSON.parse(readFileSync(schemaPath(), "utf8")) as Json));
}

export function readSystem(file: string): SystemSpec {
  let json: Json;
  try {
    json = JSON.parse(readFileSync(file, "utf8")) as Json;
  } catch (e) {
    throw new SystemError(file, [{ path: "(file)", message: (e as Error).message }]);
  }
  return checkSystem(json, { source: file, base: dirname(resolve(file)) });
}

export function checkSystem(json: Json, where: { source: string; base: string }): SystemSpec {
  const problems = systemSchema().validate(json);
  if (problems.length > 0) throw new SystemError(where.source, problems);
  const programs = checkPrograms(json as unknown as RawSystem);
  if (programs.length > 0) throw new SystemError(where.source, programs);
  const spec = toSpec(json as unknown as RawSystem, where.base);
  const rules = checkRules(spec);
  if (rules.length > 0) throw new SystemError(where.source, rules);
  return spec;
}

// ----- the shape the schema guarantees ------------------------------------------------------

interface RawKernel {
  name: string;
  memory?: number | string;
  thread?: Placement;
  priority?: number;
  root?: { image?: string; host?: string };
  volumes?: { host: string; guest: string; readOnly?: boolean }[];
  tmpfs?: string[];
  workdir?: string;
  env?: Record<string, string>;
  program?: { argv: string[] };
  programs?: { argv: string[] }[];
  init?: boolean;
  fs?: { mode?: FsMode };
  net?: { mode?: FsMode; interfaces?: { name: string; address: string; gateway?: string; mac?: string; mtu?: number }[] };
  console?: { output?: ConsoleSpec["output"]; file?: string; stdin?: ConsoleSpec["stdin"] };
}

interface RawSystem {
  kernels: RawKernel[];
  links?: { ends: string[] }[];
  switches?: { name: string; ports: string[] }[];
  pipes?: { from: string; to: string }[];
}

/** Bytes of a size the schema let through: an integer, or digits with an optional K/M/G. */
export function sizeOf(v: number | string): number {
  if (typeof v === "number") return v;
  const unit = v.at(-1)!;
  const mult = unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1;
  return Number(mult === 1 ? v : v.slice(0, -1)) * mult;
}

function hexByte(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function portOf(s: string): Port {
  const dot = s.indexOf(".");
  return { kernel: s.slice(0, dot), iface: s.slice(dot + 1) };
}

function toSpec(raw: RawSystem, base: string): SystemSpec {
  const host = (p: string): string => resolve(base, p);
  return {
    kernels: raw.kernels.map((k, ki) => ({
      name: k.name,
      memory: k.memory === undefined ? DEFAULT_MEMORY : sizeOf(k.memory),
      thread: k.thread ?? "main",
      priority: k.priority ?? DEFAULT_PRIORITY,
      root: k.root?.host !== undefined ? { host: host(k.root.host) } : { image: k.root?.image === undefined ? null : host(k.root.image) },
      volumes: (k.volumes ?? []).map((v) => ({ host: host(v.host), guest: v.guest, readOnly: v.readOnly ?? false })),
      tmpfs: k.tmpfs ?? [],
      workdir: k.workdir ?? null,
      env: k.env === undefined ? DEFAULT_ENV : Object.entries(k.env),
      programs: k.program ? [k.program.argv] : k.programs!.map((p) => p.argv),
      init: k.init ?? k.programs !== undefined,
      fsMode: k.fs?.mode ?? "inproc",
      net: k.net === undefined ? null : {
        mode: k.net.mode ?? "inproc",
        interfaces: (k.net.interfaces ?? []).map((i, ii) => {
          const [address, prefix] = i.address.split("/") as [string, string];
          const mac = i.mac ?? `02:00:00:00:${hexByte(ki + 1)}:${hexByte(ii + 1)}`;
          return { name: i.name, address, prefixLength: Number(prefix), gateway: i.gateway ?? null, mac, mtu: i.mtu ?? DEFAULT_MTU };
        }),
      },
      console: { output: k.console?.output ?? "prefix", file: k.console?.file === undefined ? null : host(k.console.file), stdin: k.console?.stdin ?? "none" },
    })),
    links: (raw.links ?? []).map((l) => ({ ends: [portOf(l.ends[0]!), portOf(l.ends[1]!)] })),
    switches: (raw.switches ?? []).map((s) => ({ name: s.name, ports: s.ports.map(portOf) })),
    pipes: raw.pipes ?? [],
  };
}

/** Each kernel has program or programs, and more than one program only under its own init. */
function checkPrograms(raw: RawSystem): SchemaError[] {
  const problems: SchemaError[] = [];
  raw.kernels.forEach((k, i) => {
    const at = `kernels[${i}]`;
    if (k.program === undefined && k.programs === undefined) problems.push({ path: at, message: "needs program or programs" });
    if (k.program !== undefined && k.programs !== undefined) problems.push({ path: `${at}.programs`, message: "is instead of program: give one of them" });
    if ((k.programs?.length ?? 0) > 1 && k.init === false) problems.push({ path: `${at}.init`, message: "must be true for several programs (pid 1 is one program or the kernel's init)" });
  });
  return problems;
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

function ipv4(s: string): number {
  return s.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/** The rules across fields: each problem named by the field that breaks it. */
function checkRules(spec: SystemSpec): SchemaError[] {
  const problems: SchemaError[] = [];
  const fail = (path: string, message: string): void => void problems.push({ path, message });
  const byName = new Map<string, KernelSpec>();
  spec.kernels.forEach((k, i) => {
    const at = `kernels[${i}]`;
    if (byName.has(k.name)) fail(`${at}.name`, `another kernel is named ${k.name}`);
    else byName.set(k.name, k);
    if (k.memory < MIN_MEMORY) fail(`${at}.memory`, "must be at least 16M");
    const c = k.console;
    if (c.output === "file" && c.file === null) fail(`${at}.console.file`, "is required with output file");
    if (c.output !== "file" && c.file !== null) fail(`${at}.console.file`, "is only for output file");
    if ((c.output === "tty" || c.stdin === "host") && k.thread !== "main") fail(`${at}.console`, "the host terminal and stdin stay on the main thread");
    const names = new Set<string>();
    k.net?.interfaces.forEach((iface, j) => {
      const ifAt = `${at}.net.interfaces[${j}]`;
      if (names.has(iface.name)) fail(`${ifAt}.name`, `another interface of ${k.name} is named ${iface.name}`);
      names.add(iface.name);
      if (!IPV4.test(iface.address)) fail(`${ifAt}.address`, `${iface.address} is not an IPv4 address`);
      if (iface.gateway !== null && IPV4.test(iface.address) && !sameSubnet(iface.address, iface.gateway, iface.prefixLength)) {
        fail(`${ifAt}.gateway`, `${iface.gateway} is not in ${iface.address}/${iface.prefixLength}`);
      }
    });
  });
  const hostInput = spec.kernels.flatMap((k, i) => (k.console.output === "tty" || k.console.stdin === "host" ? [i] : []));
  for (const i of hostInput.slice(1)) fail(`kernels[${i}].console`, `only one kernel may own the host's stdin, and kernels[${hostInput[0]}] does`);
  checkPipes(spec, byName, fail);
  checkSegments(spec, byName, fail);
  return problems;
}

function sameSubnet(a: string, b: string, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((ipv4(a) & mask) >>> 0) === ((ipv4(b) & mask) >>> 0);
}

function checkPipes(spec: SystemSpec, byName: Map<string, KernelSpec>, fail: (path: string, message: string) => void): void {
  const from = new Set<string>(), to = new Set<string>();
  spec.pipes.forEach((p, i) => {
    const at = `pipes[${i}]`;
    for (const end of ["from", "to"] as const) if (!byName.has(p[end])) fail(`${at}.${end}`, `no kernel is named ${p[end]}`);
    if (p.from === p.to) fail(`${at}.to`, "a pipe joins two kernels");
    if (from.has(p.from)) fail(`${at}.from`, `${p.from}'s standard output already feeds a pipe`);
    if (to.has(p.to)) fail(`${at}.to`, `${p.to}'s standard input already reads a pipe`);
    from.add(p.from);
    to.add(p.to);
    const reader = byName.get(p.to);
    if (reader && (reader.console.stdin === "host" || reader.console.output === "tty")) fail(`${at}.to`, `${p.to} reads the host's stdin`);
    const writer = byName.get(p.from);
    if (writer && writer.console.output === "tty") fail(`${at}.from`, `${p.from} writes to the host terminal`);
  });
}

/**
 * Links and switches: each port names an interface that exists and is used once, every
 * interface is on one, no two interfaces share a MAC, and no two ports of a segment share
 * an address.
 */
function checkSegments(spec: SystemSpec, byName: Map<string, KernelSpec>, fail: (path: string, message: string) => void): void {
  const used = new Map<string, string>();
  const checkPort = (port: Port, at: string): void => {
    const k = byName.get(port.kernel);
    const key = `${port.kernel}.${port.iface}`;
    if (!k) fail(at, `no kernel is named ${port.kernel}`);
    else if (!k.net?.interfaces.some((i) => i.name === port.iface)) fail(at, `kernel ${port.kernel} has no interface ${port.iface}`);
    else if (used.has(key)) fail(at, `${key} is already on ${used.get(key)}`);
    used.set(key, at);
  };
  /** One address per segment: the ports' paths by address. */
  const checkAddresses = (ports: Port[], at: (j: number) => string): void => {
    const seen = new Map<string, string>();
    ports.forEach((p, j) => {
      const address = byName.get(p.kernel)?.net?.interfaces.find((i) => i.name === p.iface)?.address;
      if (address === undefined) return;
      const other = seen.get(address);
      if (other !== undefined) fail(at(j), `${address} is also the address of ${other}`);
      else seen.set(address, `${p.kernel}.${p.iface}`);
    });
  };
  spec.links.forEach((l, i) => {
    l.ends.forEach((p, j) => checkPort(p, `links[${i}].ends[${j}]`));
    if (l.ends[0].kernel === l.ends[1].kernel) fail(`links[${i}].ends`, "a link joins two kernels");
    checkAddresses(l.ends, (j) => `links[${i}].ends[${j}]`);
  });
  spec.switches.forEach((s, i) => {
    if (spec.switches.findIndex((o) => o.name === s.name) !== i) fail(`switches[${i}].name`, `another switch is named ${s.name}`);
    s.ports.forEach((p, j) => checkPort(p, `switches[${i}].ports[${j}]`));
    checkAddresses(s.ports, (j) => `switches[${i}].ports[${j}]`);
  });
  const macs = new Map<string, string>();
  spec.kernels.forEach((k, i) => k.net?.interfaces.forEach((iface, j) => {
    const at = `kernels[${i}].net.interfaces[${j}]`;
    if (!used.has(`${k.name}.${iface.name}`)) fail(at, `${k.name}.${iface.name} is on no link or switch`);
    if ((parseInt(iface.mac.slice(0, 2), 16) & 1) !== 0) fail(`${at}.mac`, `${iface.mac} is a group (multicast) address`);
    const other = macs.get(iface.mac);
    if (other !== undefined) fail(`${at}.mac`, `${iface.mac} is also the MAC of ${other}`);
    else macs.set(iface.mac, at);
  }));
}
