// The network of a system description, wired at boot (boot.ts): each kernel's net-task
// configuration (lo, plus one device per interface of the description, with its address,
// gateway, MAC and MTU) and the switches.
//
//   wireNetwork(spec, mode?)   every kernel's { config, mode } (null without `net`: no
//                              net-task, AF_INET is EAFNOSUPPORT), the switches to start
//                              before the kernels run and to stop after they ended, and
//                              what went over each link and switch port (read at the end)
//
// Where a net-task's stack runs decides what its devices are. It runs on the main thread
// when its kernel does and its mode is inproc or ipc; on its kernel's worker thread when
// that kernel has one (inproc, ipc); on a thread of its own in worker mode.
//   a link between two main-thread stacks   an in-memory link (phy/link.ts): LinkEnds
//                                           passing frame references, each end waking
//                                           its own stack
//   any other link                          a frame ring in shared memory (phy/frame_ring.ts),
//                                           named in the configuration by kind
//                                           (net-task/ipc/devices.ts), which each stack
//                                           opens on its own thread
// A switch belongs to the boot, not to a kernel: it runs on the main thread, and each of
// its ports is the switch's end of a link of the same two kinds.

import {
  FrameRingEnd, LearningSwitch, LinkEnd, createFrameRing, frameRingTraffic, parseIpv4, parseMac, type ExternalDevice, type ExternalNetConfig,
  type GuestNetConfig, type NetConfig, type NetMode,
} from "../net-task/mod.ts";
import type { InterfaceSpec, KernelSpec, Port, SystemSpec } from "./system_description.ts";

export type KernelNet = { config: NetConfig; mode: NetMode } | null;

/** What crossed a link (both ways) or a switch port (in and out). */
export interface SegmentTraffic {
  kind: "link" | "switch";
  /** A link's two ends; a switch port's interface and the switch. */
  ends: [Port, Port | string];
  frames: number;
  bytes: number;
}

export interface BootNetwork {
  /** Per kernel name. */
  nets: Map<string, KernelNet>;
  switches: LearningSwitch[];
  /** Read once the kernels have ended. */
  traffic: (() => SegmentTraffic)[];
}

/** Frames an in-memory link end holds before it drops (as a NIC ring). */
const LINK_QUEUE = 1000;

/**
 * The description's network; `mode` (--net-mode) replaces every kernel's net mode. The
 * description was checked (system_description.ts): every interface is on exactly one link
 * or switch.
 */
export function wireNetwork(spec: SystemSpec, mode?: NetMode): BootNetwork {
  const kernels = new Map(spec.kernels.map((k) => [k.name, k]));
  const modeOf = (k: KernelSpec): NetMode => mode ?? k.net!.mode;
  const onMain = (p: Port): boolean => {
    const k = kernels.get(p.kernel)!;
    return k.thread === "main" && modeOf(k) !== "worker";
  };
  const ifaceOf = (p: Port): InterfaceSpec => kernels.get(p.kernel)!.net!.interfaces.find((i) => i.name === p.iface)!;
  const devices = new Map<string, ExternalNetConfig>();
  const attach = (p: Port, device: ExternalNetConfig["device"]): void => void devices.set(`${p.kernel}.${p.iface}`, { name: p.iface, device });
  /** One end on a frame ring, opened by the stack on its own thread. */
  const ringEnd = (p: Port, ring: SharedArrayBuffer, side: 0 | 1): void => attach(p, { kind: "frame-ring", options: { ring, side, guest: guestOf(ifaceOf(p)) } });
  /** One end of an in-memory link, handed to a main-thread stack. */
  const linkEnd = (p: Port, end: LinkEnd): void => attach(p, inMemory(end, guestOf(ifaceOf(p))));

  const traffic: (() => SegmentTraffic)[] = [];
  for (const { ends: [a, b] } of spec.links) {
    const ends: [Port, Port] = [a, b];
    if (onMain(a) && onMain(b)) {
      const ea = new LinkEnd(ifaceOf(a).mtu, LINK_QUEUE), eb = new LinkEnd(ifaceOf(b).mtu, LINK_QUEUE);
      LinkEnd.connect(ea, eb);
      linkEnd(a, ea);
      linkEnd(b, eb);
      traffic.push(() => ({ kind: "link", ends, frames: ea.sentFrames + eb.sentFrames, bytes: ea.sentBytes + eb.sentBytes }));
    } else {
      const ring = createFrameRing(Math.max(ifaceOf(a).mtu, ifaceOf(b).mtu));
      ringEnd(a, ring, 0);
      ringEnd(b, ring, 1);
      traffic.push(() => {
        const t = frameRingTraffic(ring);
        return { kind: "link", ends, frames: t.frames[0] + t.frames[1], bytes: t.bytes[0] + t.bytes[1] };
      });
    }
  }
  const switches = spec.switches.map((s) => {
    const sw = new LearningSwitch(s.name);
    const mtu = Math.max(...s.ports.map((p) => ifaceOf(p).mtu));
    for (const p of s.ports) {
      if (onMain(p)) {
        const theirs = new LinkEnd(ifaceOf(p).mtu, LINK_QUEUE), ours = new LinkEnd(mtu, LINK_QUEUE);
        LinkEnd.connect(theirs, ours);
        linkEnd(p, theirs);
        sw.addPort(ours);
      } else {
        const ring = createFrameRing(mtu);
        ringEnd(p, ring, 0);
        sw.addPort(new FrameRingEnd(ring, 1));
      }
    }
    sw.stats.ports.forEach((port, i) => traffic.push(() => ({
      kind: "switch", ends: [s.ports[i]!, s.name], frames: port.rxFrames + port.txFrames, bytes: port.rxBytes + port.txBytes,
    })));
    return sw;
  });
  const nets = new Map<string, KernelNet>(spec.kernels.map((k) => [k.name, k.net === null ? null : {
    config: { devices: k.net.interfaces.map((i) => devices.get(`${k.name}.${i.name}`)!), faults: null },
    mode: modeOf(k),
  }]));
  return { nets, switches, traffic };
}

/** A description's interface as the guest's settings on its device. */
function guestOf(i: InterfaceSpec): GuestNetConfig {
  return {
    hardwareAddress: parseMac(i.mac)!, address: parseIpv4(i.address)!, prefixLen: i.prefixLength,
    gateway: i.gateway === null ? null : parseIpv4(i.gateway)!, dns: [], mtu: i.mtu,
  };
}

function inMemory(end: LinkEnd, guest: GuestNetConfig): () => Promise<ExternalDevice> {
  return () => Promise.resolve({ device: end, guest, forwards: [], close: () => end.setWaker(null) });
}
