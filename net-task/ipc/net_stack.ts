// The stack one net-task drives: its interfaces (lo over Loopback always, plus the external
// device the launch configuration names), the Router between them, the socket set, and the
// driver loop.
//
// Driving, without busy polling: poll() runs after every request (the caller's), when a
// device's waker fires (a frame came from outside) and when the one timer fires, which is
// always set for router.pollAt(): the next RTO, delayed ACK, TIME-WAIT, keep-alive, ARP
// retry or delay-line frame. An idle stack has no timer, so an idle guest costs nothing.
// After a poll that was not a request's, onNews tells the owner (readiness may have
// changed: the transport then carries events to the kernel-task).

import { type Device } from "../phy/device.ts";
import { FaultInjector, type FaultOptions } from "../phy/fault_injector.ts";
import { Loopback } from "../phy/loopback.ts";
import { Interface } from "../iface/interface.ts";
import { Router } from "../iface/router.ts";
import { SocketSet } from "../socket/socket_set.ts";
import { ipv4 } from "../wire/address.ts";
import { buildDevice, type DeviceSpec } from "./devices.ts";

export interface ExternalNetConfig {
  /** A device kind the net-task builds (devices.ts), or (inproc and ipc modes) a factory. */
  device: DeviceSpec | (() => Device);
  /** Interface name (default eth0). */
  name?: string;
  /** The MAC address of an Ethernet device, as a 48-bit number. */
  mac: number;
  address: number;
  prefixLen: number;
  gateway: number | null;
}

/** How a net-task starts: serialisable (JSON) unless `external.device` is a function. */
export interface NetConfig {
  external: ExternalNetConfig | null;
  /** Faults on the external device, or on lo when there is none. */
  faults: FaultOptions | null;
  /** One line per dropped packet and state transition. */
  trace?: boolean;
}

/** When the loop must come back before the timer would (a device refused a frame): a short breath, not a spin. */
const RETRY_MS = 1;

export class NetStack {
  readonly router = new Router();
  readonly sockets = new SocketSet();
  /** Called after a poll that no request asked for moved something. */
  onNews: (() => void) | null = null;
  readonly #devices: Device[] = [];
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #wakeQueued = false;
  #stopped = false;

  /** Throws TypeError when the external device cannot be built. */
  constructor(config: NetConfig) {
    const trace = config.trace === true ? (line: string) => process.stderr.write(`net: ${line}\n`) : null;
    const faulty = (d: Device): Device => (config.faults === null ? d : new FaultInjector(d, config.faults));
    const ext = config.external;
    const lo = ext === null ? faulty(new Loopback()) : new Loopback();
    this.router.add("lo", new Interface(lo, { addresses: [{ address: ipv4(127, 0, 0, 1), prefixLen: 8 }], trace }));
    this.#devices.push(lo);
    if (ext !== null) {
      const device = faulty(typeof ext.device === "function" ? ext.device() : buildDevice(ext.device));
      const iface = new Interface(device, {
        hardwareAddress: device.medium === "ethernet" ? ext.mac : undefined,
        addresses: [{ address: ext.address, prefixLen: ext.prefixLen }], gateway: ext.gateway, trace,
      });
      this.router.add(ext.name ?? "eth0", iface);
      this.#devices.push(device);
      device.setWaker?.(this.#wake);
    }
  }

  /** Polls now (after a request); true when anything moved. */
  poll(): boolean {
    if (this.#stopped) return false;
    const moved = this.router.poll(performance.now(), this.sockets);
    this.#arm(moved);
    return moved;
  }

  /** Stops the timer and detaches the devices' wakers. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const d of this.#devices) d.setWaker?.(null);
  }

  /** Sets the one timer for the next thing due. */
  #arm(moved: boolean): void {
    const now = performance.now();
    const at = this.router.pollAt(this.sockets);
    // Work due already that the poll's rounds did not finish: again at once if it moved,
    // else after a breath (a full device queue drains by then).
    if (at <= now && moved) return this.#wake();
    this.#setTimer(at <= now ? now + RETRY_MS : at, now);
  }

  #setTimer(at: number, now: number): void {
    if (this.#timer !== null) {
      // A timer that fires no later than needed stays: firing early only polls once more.
      if (this.#timerAt <= at && at !== Infinity) return;
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerAt = Infinity;
    }
    if (at === Infinity) return;
    this.#timerAt = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - now));
    this.#timer.unref();
  }

  #fire = (): void => {
    this.#timer = null;
    this.#timerAt = Infinity;
    this.#asyncPoll();
  };

  /** A device's waker: poll soon (once however often it fires before then). */
  #wake = (): void => {
    if (this.#wakeQueued || this.#stopped) return;
    this.#wakeQueued = true;
    setImmediate(() => {
      this.#wakeQueued = false;
      this.#asyncPoll();
    });
  };

  #asyncPoll(): void {
    if (this.#stopped) return;
    this.poll();
    this.onNews?.();
  }
}
