// Drives an Interface and its SocketSet from Node's event loop: a poll runs soon after a
// kick (the device's waker, a host socket's event), then a service function (the relays or
// applications that use the sockets) runs, and both repeat while anything moves; after
// that a timer waits for iface.pollAt(). The clock is performance.now() in ms.
//
// One run is bounded (MAX_ROUNDS) and yields to the event loop after that, so host sockets
// and the other side of a link get their turn. A socket that is due but cannot send (a
// full device queue) is retried after a millisecond rather than in a busy loop.

import { performance } from "node:perf_hooks";
import { type Interface } from "../iface/interface.ts";
import { type SocketSet } from "../socket/socket_set.ts";

const MAX_ROUNDS = 32;
const STUCK_RETRY_MS = 1;

export interface StackDriverOptions {
  /** Runs after each poll; true when it did something that may need another poll. */
  service?: () => boolean;
}

export class StackDriver {
  readonly iface: Interface;
  readonly sockets: SocketSet;
  readonly #service: () => boolean;
  #immediate: NodeJS.Immediate | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(iface: Interface, sockets: SocketSet, options: StackDriverOptions = {}) {
    this.iface = iface;
    this.sockets = sockets;
    this.#service = options.service ?? (() => false);
    iface.device.setWaker?.(() => this.kick());
  }

  /** Polls soon (coalesced): something may have changed. */
  kick(): void {
    if (this.#immediate === null && !this.#stopped) this.#immediate = setImmediate(() => this.#run());
  }

  /** Stops polling for good and lets the device forget the waker. */
  stop(): void {
    this.#stopped = true;
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#immediate = this.#timer = null;
    this.iface.device.setWaker?.(null);
  }

  #run(): void {
    this.#immediate = null;
    if (this.#stopped) return;
    for (let round = 0; ; round++) {
      const moved = this.iface.poll(performance.now(), this.sockets);
      const served = this.#service();
      if (!moved && !served) break;
      if (round === MAX_ROUNDS) return this.kick();
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const at = this.iface.pollAt(this.sockets);
    if (at === Infinity || this.#immediate !== null) return;
    const delay = Math.max(STUCK_RETRY_MS, Math.ceil(at - performance.now()));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#run();
    }, delay);
    // The stack's timers alone (a TIME-WAIT, a retransmission) do not keep the process alive.
    this.#timer.unref();
  }
}
