// A learning Ethernet switch (IEEE 802.1D's forwarding without spanning tree or aging):
// several ports, each a Device whose far end is one interface of some net-task (the
// switch's end of an in-memory link or of a frame ring), and a table of which port each
// source MAC was last seen on.
//
//   forward(now)   one pass: drains every port and forwards each frame, bounded per port
//                  (true when a port has more waiting); tests call it directly
//   start()/stop() driving on the event loop: a port's waker schedules a pass (once,
//                  however many fire before it runs); a pass that left frames schedules
//                  another
//
// Forwarding: learn the source (unless it is a group address), then a frame to a known
// unicast MAC goes out of that port only (and nowhere when that is the port it came in
// by); broadcast, multicast and unknown destinations are flooded to every other port.
// A flooded frame reaches each port as a copy of its own but the last (a receiving
// stack owns its frames); a forwarded one moves as is. Nothing else allocates.
// The table holds at most `tableLimit` MACs; past that, unknown sources are not learned
// and frames to them are flooded.

import { readMac } from "../wire/address.ts";
import { type Device } from "./device.ts";

export interface SwitchOptions {
  /** MACs the table learns at most (default 1024). */
  tableLimit?: number;
}

export interface SwitchPortStats {
  /** Frames (and their bytes) received from the port's interface. */
  rxFrames: number;
  rxBytes: number;
  /** Frames (and their bytes) handed to the port's interface. */
  txFrames: number;
  txBytes: number;
  /** Frames the port's device refused (its queue or ring was full). */
  txDropped: number;
}

export interface SwitchStats {
  /** Frames sent to every other port (broadcast, multicast, unknown destination). */
  flooded: number;
  /** Frames whose destination sits on the port they came in by. */
  filtered: number;
  /** Frames shorter than an Ethernet header. */
  runts: number;
  ports: SwitchPortStats[];
}

/** Frames taken from one port in one pass. */
const PORT_BATCH = 256;
const MAC_BYTES = 6;

export class LearningSwitch {
  readonly name: string;
  readonly stats: SwitchStats = { flooded: 0, filtered: 0, runts: 0, ports: [] };
  readonly #ports: Device[] = [];
  /** MAC → port index. */
  readonly #table = new Map<number, number>();
  readonly #tableLimit: number;
  #scheduled = false;
  #running = false;

  constructor(name: string, options: SwitchOptions = {}) {
    this.name = name;
    this.#tableLimit = options.tableLimit ?? 1024;
  }

  /** Adds a port; its index. */
  addPort(device: Device): number {
    this.#ports.push(device);
    this.stats.ports.push({ rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, txDropped: 0 });
    return this.#ports.length - 1;
  }

  /** The port a MAC was learned on, or -1. */
  portOf(mac: number): number {
    return this.#table.get(mac) ?? -1;
  }

  /** Forwards on the event loop from now on: every port's waker schedules a pass. */
  start(): void {
    this.#running = true;
    for (const port of this.#ports) port.setWaker?.(this.#schedule);
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    for (const port of this.#ports) port.setWaker?.(null);
  }

  /** One pass over the ports; true when some port still has frames waiting. */
  forward(now: number): boolean {
    let more = false;
    for (let p = 0; p < this.#ports.length; p++) {
      const port = this.#ports[p]!;
      let n = 0;
      for (; n < PORT_BATCH; n++) {
        const frame = port.receive(now);
        if (frame === null) break;
        this.#forwardFrame(now, p, frame);
      }
      if (n === PORT_BATCH) more = true;
    }
    return more;
  }

  #forwardFrame(now: number, from: number, frame: Uint8Array): void {
    const rx = this.stats.ports[from]!;
    rx.rxFrames++;
    rx.rxBytes += frame.length;
    if (frame.length < 2 * MAC_BYTES + 2) {
      this.stats.runts++;
      return;
    }
    // The group bit is the first octet's lowest: broadcast and multicast.
    const srcGroup = (frame[MAC_BYTES]! & 1) !== 0;
    if (!srcGroup) this.#learn(readMac(frame, MAC_BYTES), from);
    const to = (frame[0]! & 1) !== 0 ? -1 : this.portOf(readMac(frame, 0));
    if (to === from) {
      this.stats.filtered++;
      return;
    }
    if (to >= 0) return this.#send(now, to, frame);
    this.stats.flooded++;
    let last = -1;
    for (let p = 0; p < this.#ports.length; p++) {
      if (p === from) continue;
      if (last >= 0) this.#send(now, last, frame.slice());
      last = p;
    }
    if (last >= 0) this.#send(now, last, frame);
  }

  #learn(mac: number, port: number): void {
    if (this.#table.get(mac) === port) return;
    if (this.#table.has(mac) || this.#table.size < this.#tableLimit) this.#table.set(mac, port);
  }

  #send(now: number, port: number, frame: Uint8Array): void {
    const stats = this.stats.ports[port]!;
    if (this.#ports[port]!.transmit(now, frame)) {
      stats.txFrames++;
      stats.txBytes += frame.length;
    } else stats.txDropped++;
  }

  #schedule = (): void => {
    if (this.#scheduled || !this.#running) return;
    this.#scheduled = true;
    setImmediate(this.#pass);
  };

  #pass = (): void => {
    this.#scheduled = false;
    if (!this.#running) return;
    if (this.forward(performance.now())) this.#schedule();
  };
}
