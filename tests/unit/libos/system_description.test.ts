import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JsonSchema, type Json } from "../../../libos/json_schema.ts";
import { SystemError, checkSystem, readSystem, sizeOf } from "../../../libos/system_description.ts";

const ROOT = join(import.meta.dirname, "../../..");
const SAMPLES = join(ROOT, "samples/systems");
const where = { source: "test.json", base: "/descriptions" };
const sh = (script: string): Json => ({ argv: ["/bin/sh", "-c", script] });

/** The problems checkSystem() reports for `json`, as `path: message` lines. */
function problems(json: Json): string[] {
  try {
    checkSystem(json, where);
  } catch (e) {
    if (e instanceof SystemError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe("system descriptions", () => {
  it("every sample in samples/systems/ is valid, web-and-client.json's links included", () => {
    const files = readdirSync(SAMPLES).filter((f) => f.endsWith(".json"));
    expect(files).toEqual(expect.arrayContaining(["pipeline.json", "quota.json", "web-and-client.json"]));
    for (const f of files) expect(() => readSystem(join(SAMPLES, f)), f).not.toThrow();
    const web = readSystem(join(SAMPLES, "web-and-client.json"));
    expect(web.links).toEqual([{ ends: [{ kernel: "web", iface: "eth0" }, { kernel: "client", iface: "eth0" }] }]);
    expect(web.kernels[1]!.net!.interfaces[0]).toEqual({
      name: "eth0", address: "10.0.0.2", prefixLength: 24, gateway: "10.0.0.1", mac: "02:00:00:00:02:01", mtu: 1500,
    });
  });

  it("fills in the defaults and resolves host paths against the description's folder", () => {
    const spec = checkSystem({
      kernels: [{ name: "a", program: sh("true"), volumes: [{ host: "data", guest: "/data" }], console: { output: "file", file: "a.log" } }],
    }, where);
    expect(spec.kernels[0]).toMatchObject({
      memory: 256 * 1024 ** 2, thread: "main", priority: 100, fsMode: "inproc", root: { image: null }, net: null,
      volumes: [{ host: "/descriptions/data", guest: "/data", readOnly: false }],
      console: { output: "file", file: "/descriptions/a.log", stdin: "none" },
    });
    expect(spec.pipes).toEqual([]);
    expect([sizeOf("64M"), sizeOf("2G"), sizeOf(1 << 24), sizeOf("100")]).toEqual([64 << 20, 2 * 1024 ** 3, 1 << 24, 100]);
  });

  it("names each field the schema refuses", () => {
    expect(problems({ kernels: [{ name: "A", memory: "12X", program: {}, extra: 1, fs: { mode: "fast" } }], pipe: [] })).toEqual([
      "kernels[0].name: \"A\" does not match ^[a-z][a-z0-9-]{0,31}$",
      "kernels[0].memory: \"12X\" does not match ^[0-9]{1,6}[KMG]?$",
      "kernels[0].program.argv: is required",
      "kernels[0].extra: is not a known field",
      "kernels[0].fs.mode: must be one of \"inproc\", \"ipc\", \"worker\"",
      "pipe: is not a known field",
    ]);
    expect(problems({ kernels: [] })).toEqual(["kernels: must have at least 1 item"]);
    expect(problems([])).toEqual(["(top): must be object, not array"]);
    expect(problems({ kernels: [{ name: "a", memory: 4096, priority: 300, program: { argv: [] } }] })).toEqual([
      "kernels[0].memory: must be at least 16777216",
      "kernels[0].priority: must be at most 254",
      "kernels[0].program.argv: must have at least 1 item",
    ]);
  });

  it("starts one program as pid 1, several under the kernel's init, and says when a kernel has neither or both", () => {
    const kernels = checkSystem({
      kernels: [
        { name: "one", program: sh("a") },
        { name: "under-init", program: sh("b"), init: true },
        { name: "several", programs: [sh("c"), { argv: ["sleep", "1"] }] },
      ],
    }, where).kernels;
    expect(kernels.map((k) => [k.programs, k.init])).toEqual([
      [[["/bin/sh", "-c", "a"]], false],
      [[["/bin/sh", "-c", "b"]], true],
      [[["/bin/sh", "-c", "c"], ["sleep", "1"]], true],
    ]);
    expect(problems({
      kernels: [
        { name: "a" },
        { name: "b", program: sh("x"), programs: [sh("y")] },
        { name: "c", programs: [sh("x"), sh("y")], init: false },
        { name: "d", programs: [] },
      ],
    })).toEqual(["kernels[3].programs: must have at least 1 item"]);
    expect(problems({
      kernels: [
        { name: "a" },
        { name: "b", program: sh("x"), programs: [sh("y")] },
        { name: "c", programs: [sh("x"), sh("y")], init: false },
        { name: "d", programs: [sh("x")], init: false },
      ],
    })).toEqual([
      "kernels[0]: needs program or programs",
      "kernels[1].programs: is instead of program: give one of them",
      "kernels[2].init: must be true for several programs (pid 1 is one program or the kernel's init)",
    ]);
  });

  it("names each field that breaks a rule across fields", () => {
    const net = (address: string, extra: object = {}): Json => ({ interfaces: [{ name: "eth0", address, ...extra }] });
    expect(problems({
      kernels: [
        { name: "a", program: sh("x"), console: { output: "file" }, net: net("10.0.0.300/24") },
        { name: "a", program: sh("x"), console: { stdin: "host" } },
        { name: "b", program: sh("x"), console: { output: "tty" }, net: net("10.0.0.2/24", { gateway: "10.0.1.1" }) },
        { name: "c", program: sh("x"), thread: "worker", console: { stdin: "host" }, memory: "1K" },
      ],
      pipes: [{ from: "a", to: "nobody" }, { from: "b", to: "b" }, { from: "a", to: "b" }],
      links: [{ ends: ["a.eth0", "a.eth1"] }, { ends: ["b.eth0", "a.eth0"] }],
    })).toEqual([
      "kernels[0].console.file: is required with output file",
      "kernels[0].net.interfaces[0].address: 10.0.0.300 is not an IPv4 address",
      "kernels[1].name: another kernel is named a",
      "kernels[2].net.interfaces[0].gateway: 10.0.1.1 is not in 10.0.0.2/24",
      "kernels[3].memory: must be at least 16M",
      "kernels[3].console: the host terminal and stdin stay on the main thread",
      "kernels[2].console: only one kernel may own the host's stdin, and kernels[1] does",
      "kernels[3].console: only one kernel may own the host's stdin, and kernels[1] does",
      "pipes[0].to: no kernel is named nobody",
      "pipes[1].to: a pipe joins two kernels",
      "pipes[1].to: b reads the host's stdin",
      "pipes[1].from: b writes to the host terminal",
      "pipes[2].from: a's standard output already feeds a pipe",
      "pipes[2].to: b's standard input already reads a pipe",
      "pipes[2].to: b reads the host's stdin",
      "links[0].ends[1]: kernel a has no interface eth1",
      "links[0].ends: a link joins two kernels",
      "links[1].ends[1]: a.eth0 is already on links[0].ends[0]",
    ]);
  });

  it("names each network field that breaks a rule: unplugged interfaces, shared MACs, group MACs, one address twice on a segment", () => {
    const iface = (name: string, address: string, mac?: string): Json => ({ name, address, ...(mac ? { mac } : {}) });
    expect(problems({
      kernels: [
        { name: "a", program: sh("x"), net: { interfaces: [iface("eth0", "10.0.0.1/24"), iface("eth1", "10.0.1.1/24", "03:00:00:00:00:01")] } },
        { name: "b", program: sh("x"), net: { interfaces: [iface("eth0", "10.0.0.1/24", "02:00:00:00:01:01")] } },
        { name: "c", program: sh("x"), net: { interfaces: [iface("eth0", "10.0.0.3/24")] } },
        { name: "d", program: sh("x"), net: { interfaces: [iface("eth0", "10.0.0.3/24")] } },
      ],
      links: [{ ends: ["a.eth0", "b.eth0"] }],
      switches: [{ name: "s", ports: ["c.eth0", "d.eth0"] }],
    })).toEqual([
      "links[0].ends[1]: 10.0.0.1 is also the address of a.eth0",
      "switches[0].ports[1]: 10.0.0.3 is also the address of c.eth0",
      "kernels[0].net.interfaces[1]: a.eth1 is on no link or switch",
      "kernels[0].net.interfaces[1].mac: 03:00:00:00:00:01 is a group (multicast) address",
      "kernels[1].net.interfaces[0].mac: 02:00:00:00:01:01 is also the MAC of kernels[0].net.interfaces[0]",
    ]);
  });

  it("the validator refuses a schema keyword it does not check", () => {
    expect(() => new JsonSchema({ type: "object", properties: { a: { type: "string", format: "ipv4" } } })).toThrow(/keyword format/);
    const schema = JSON.parse(readFileSync(join(ROOT, "libos/system.schema.json"), "utf8")) as Json;
    expect(() => new JsonSchema(schema)).not.toThrow();
  });
});
