// A virtual-time world for end-to-end tests: nodes (an Interface and its SocketSet) polled
// in turn, the clock jumping to the next timer when nothing moves. Waits are bounded by
// virtual time and by a step count, never by the wall clock.

import { Interface, type InterfaceOptions } from "../../../net-task/iface/interface.ts";
import { type Device } from "../../../net-task/phy/device.ts";
import { SeededRandom } from "../../../net-task/phy/prng.ts";
import { SocketSet } from "../../../net-task/socket/socket_set.ts";

export interface Node {
  iface: Interface;
  sockets: SocketSet;
}

export function node(device: Device, options: InterfaceOptions, seed = 1): Node {
  const random = new SeededRandom(seed);
  return {
    iface: new Interface(device, { random: () => random.nextU32(), isnKey: Uint32Array.of(seed, seed * 7), ...options }),
    sockets: new SocketSet(),
  };
}

export class World {
  now = 0;
  steps = 0;
  constructor(readonly nodes: Node[]) {}

  /** Polls every node once at the current time; true when any moved. */
  pollAll(): boolean {
    let progress = false;
    for (const n of this.nodes) progress = n.iface.poll(this.now, n.sockets) || progress;
    return progress;
  }

  /**
   * Runs until `done()` holds, calling `app()` (the applications; it returns true when it
   * did something) between polls. Throws when virtual time passes `limit` ms.
   */
  runUntil(done: () => boolean, app: () => boolean = () => false, limit = 1e9): void {
    while (!done()) {
      this.steps++;
      const moved = this.pollAll();
      const acted = app();
      if (moved || acted) continue;
      let next = Infinity;
      for (const n of this.nodes) next = Math.min(next, n.iface.pollAt(n.sockets));
      // Something claims to be due but nothing moved (a full queue): let a millisecond pass.
      this.now = next > this.now && next !== Infinity ? next : this.now + 1;
      if (this.now > limit) throw new Error(`Cannot finish: virtual time passed ${limit} ms`);
    }
  }

  /** Advances the clock by `ms`, polling at every timer on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      while (this.pollAll());
      let next = Infinity;
      for (const n of this.nodes) next = Math.min(next, n.iface.pollAt(n.sockets));
      if (next > end) break;
      this.now = Math.max(next, this.now + 0.001);
    }
    this.now = end;
    while (this.pollAll());
  }
}
