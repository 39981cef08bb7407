// The learning switch: unknown and broadcast destinations flood every other port (a copy
// each but the last), a learned MAC gets its frames on its port alone, a frame for the
// port it came in by is filtered, a station that moves is learned again, the table's
// limit leaves later MACs unknown, runts are counted; started, it forwards on its ports'
// wakers, over in-memory links and frame rings alike.

import { describe, expect, it } from "vitest";
import { FrameRingEnd, createFrameRing } from "../../../../net-task/phy/frame_ring.ts";
import { LearningSwitch, type SwitchOptions } from "../../../../net-task/phy/learning_switch.ts";
import { LinkEnd } from "../../../../net-task/phy/link.ts";
import { MAC_BROADCAST, writeMac } from "../../../../net-task/wire/address.ts";

const MAC = [0x020000000001, 0x020000000002, 0x020000000003, 0x020000000004];

/** An Ethernet frame from `src` to `dst` whose payload byte is `tag`. */
function frame(dst: number, src: number, tag: number): Uint8Array {
  const f = new Uint8Array(60);
  writeMac(f, 0, dst);
  writeMac(f, 6, src);
  f[12] = 0x08;
  f[14] = tag;
  return f;
}

/** A switch with `n` ports over in-memory links; the stations' ends. */
function lan(n: number, options: SwitchOptions = {}): { sw: LearningSwitch; stations: LinkEnd[] } {
  const sw = new LearningSwitch("lan", options);
  const stations = Array.from({ length: n }, () => {
    const station = new LinkEnd(1500, 100), port = new LinkEnd(1500, 100);
    LinkEnd.connect(station, port);
    sw.addPort(port);
    return station;
  });
  return { sw, stations };
}

/** The tags each station has received, draining them. */
function received(stations: LinkEnd[]): number[][] {
  return stations.map((s) => {
    const tags: number[] = [];
    for (let f = s.receive(); f !== null; f = s.receive()) tags.push(f[14]!);
    return tags;
  });
}

describe("LearningSwitch", () => {
  it("floods unknown and broadcast destinations to every other port, a copy each but the last", () => {
    const { sw, stations } = lan(4);
    const sent = frame(MAC[3]!, MAC[0]!, 1);
    stations[0]!.transmit(0, sent);
    stations[1]!.transmit(0, frame(MAC_BROADCAST, MAC[1]!, 2));
    sw.forward(0);
    const got = stations.map((s) => [s.receive()]);
    expect(got[0]![0]![14]).toBe(2);
    expect(got[1]![0]![14]).toBe(1);
    expect(got.slice(2).map((g) => g[0]![14])).toEqual([1, 1]);
    expect(got.filter((g) => g[0] === sent).length).toBe(1);
    expect(received(stations)).toEqual([[], [], [2], [2]]);
    expect(sw.stats.flooded).toBe(2);
  });

  it("sends a learned MAC's frames out of its port alone, and filters frames for the port they came by", () => {
    const { sw, stations } = lan(3);
    stations[0]!.transmit(0, frame(MAC_BROADCAST, MAC[0]!, 1));
    stations[1]!.transmit(0, frame(MAC[0]!, MAC[1]!, 2));
    sw.forward(0);
    expect(received(stations)).toEqual([[2], [1], [1]]);
    expect([sw.portOf(MAC[0]!), sw.portOf(MAC[1]!), sw.portOf(MAC[2]!)]).toEqual([0, 1, -1]);
    stations[2]!.transmit(0, frame(MAC[1]!, MAC[2]!, 3));
    stations[1]!.transmit(0, frame(MAC[0]!, MAC[1]!, 4));
    // MAC 0 sits on port 0: a frame to it coming in by port 0 goes nowhere.
    stations[0]!.transmit(0, frame(MAC[0]!, MAC[3]!, 5));
    sw.forward(0);
    expect(received(stations)).toEqual([[4], [3], []]);
    expect(sw.stats.filtered).toBe(1);
    expect(sw.stats.ports.map((p) => [p.rxFrames, p.txFrames])).toEqual([[2, 2], [2, 2], [1, 1]]);
  });

  it("learns a station again when it moves, and stops learning at the table's limit", () => {
    const { sw, stations } = lan(3, { tableLimit: 2 });
    stations[0]!.transmit(0, frame(MAC_BROADCAST, MAC[0]!, 1));
    stations[1]!.transmit(0, frame(MAC_BROADCAST, MAC[1]!, 2));
    stations[2]!.transmit(0, frame(MAC_BROADCAST, MAC[2]!, 3));
    sw.forward(0);
    expect([sw.portOf(MAC[0]!), sw.portOf(MAC[1]!), sw.portOf(MAC[2]!)]).toEqual([0, 1, -1]);
    stations[2]!.transmit(0, frame(MAC_BROADCAST, MAC[0]!, 4));
    sw.forward(0);
    expect(sw.portOf(MAC[0]!)).toBe(2);
    received(stations);
    stations[1]!.transmit(0, frame(MAC[0]!, MAC[1]!, 5));
    stations[0]!.transmit(0, frame(MAC[2]!, MAC[1]!, 6));
    sw.forward(0);
    expect(received(stations)).toEqual([[], [6], [6, 5]]);
  });

  it("counts runts and forwards nothing of them", () => {
    const { sw, stations } = lan(2);
    stations[0]!.transmit(0, new Uint8Array(10));
    sw.forward(0);
    expect(sw.stats.runts).toBe(1);
    expect(received(stations)).toEqual([[], []]);
  });

  it("started, forwards on its ports' wakers, to an in-memory link and a frame ring alike", async () => {
    const sw = new LearningSwitch("lan");
    const station = new LinkEnd(1500, 100), port = new LinkEnd(1500, 100);
    LinkEnd.connect(station, port);
    sw.addPort(port);
    const ring = createFrameRing(1500);
    const far = new FrameRingEnd(ring, 0);
    sw.addPort(new FrameRingEnd(ring, 1));
    sw.start();
    try {
      const arrived = new Promise<void>((resolve) => far.setWaker(resolve));
      station.transmit(0, frame(MAC_BROADCAST, MAC[0]!, 7));
      await arrived;
      expect(far.receive()![14]).toBe(7);
      far.setWaker(null);
      const back = new Promise<void>((resolve) => station.setWaker(resolve));
      far.transmit(0, frame(MAC[0]!, MAC[1]!, 8));
      await back;
      expect(station.receive()![14]).toBe(8);
      expect(sw.stats.flooded).toBe(1);
    } finally {
      sw.stop();
    }
  });
});
