// The stack one net-task drives: its interfaces (lo over Loopback always, plus the external
// device the launch configuration names, eth0, with the guest settings that device gives),
// the Router between them, the socket set, and the driver loop.
//
// Lifetime: NetStack.start() builds the external device (async: the gateway binds its
// forwards) and the interfaces; stop() ends the driving and closes the device, which gives
// its host resources back (listeners, host sockets, a TAP descriptor). Before that, as
// Linux goes on sending for a process that closed its socket and exited, stop() lingers
// while a closed connection still has data or its FIN unacknowledged (FIN-WAIT-1, CLOSING,
// LAST-ACK), at most LINGER_MS: `nc HOST PORT < FILE` as the guest's last command delivers
// the whole file.
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
import { TcpSocket } from "../socket/tcp.ts";
import { ipv4 } from "../wire/address.ts";
import { buildDevice, type DeviceSpec, type ExternalDevice, type ExternalNetInfo } from "./devices.ts";

export interface ExternalNetConfig {
  /** A device kind the net-task builds (devices.ts), or (inproc and ipc modes) a factory. */
  device: DeviceSpec | (() => Promise<ExternalDevice>);
  /** Interface name (default eth0). */
  name?: string;
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
/** How long stop() waits at most for closed connections to deliver what they hold. */
export const LINGER_MS = 5000;
const IN_FLIGHT: ReadonlySet<string> = new Set(["FIN-WAIT-1", "CLOSING", "LAST-ACK"]);

export class NetStack {
  readonly router = new Router();
  readonly sockets = new SocketSet();
  /** Called after a poll that no request asked for moved something. */
  onNews: (() => void) | null = null;
  /** The external device's guest settings and forwards; null with lo only. */
  readonly external: ExternalNetInfo | null;
  readonly #devices: Device[] = [];
  readonly #external: ExternalDevice | null;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #wakeQueued = false;
  #stopped = false;
  /** Set while stop() lingers: checks, after each poll, whether it may go on. */
  #lingering: (() => void) | null = null;

  /**
   * Builds the external device, then the stack. Rejects with what building the device
   * rejected with (devices.ts: TypeError, SyntaxError, a host error).
   */
  static async start(config: NetConfig): Promise<NetStack> {
    const ext = config.external;
    const built = ext === null ? null : typeof ext.device === "function" ? await ext.device() : await buildDevice(ext.device);
    try {
      return new NetStack(config, built);
    } catch (error) {
      await built?.close();
      throw error;
    }
  }

  private constructor(config: NetConfig, external: ExternalDevice | null) {
    const trace = config.trace === true ? (line: string) => process.stderr.write(`net: ${line}\n`) : null;
    const faulty = (d: Device): Device => (config.faults === null ? d : new FaultInjector(d, config.faults));
    this.#external = external;
    this.external = external === null ? null : { guest: external.guest, forwards: external.forwards };
    const lo = external === null ? faulty(new Loopback()) : new Loopback();
    this.router.add("lo", new Interface(lo, { addresses: [{ address: ipv4(127, 0, 0, 1), prefixLen: 8 }], trace }));
    this.#devices.push(lo);
    if (external !== null) {
      const device = faulty(external.device);
      const guest = external.guest;
      const iface = new Interface(device, {
        hardwareAddress: device.medium === "ethernet" ? guest.hardwareAddress : undefined,
        addresses: [{ address: guest.address, prefixLen: guest.prefixLen }], gateway: guest.gateway, trace,
      });
      this.router.add(config.external?.name ?? "eth0", iface);
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

  /** Stops the timer, detaches the devices' wakers and closes the external device. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    await this.#linger();
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const d of this.#devices) d.setWaker?.(null);
    await this.#external?.close();
  }

  /** Waits until no closed connection has data or a FIN in flight, or LINGER_MS passed. */
  async #linger(): Promise<void> {
    this.poll();
    if (!this.#inFlight()) return;
    await new Promise<void>((resolve) => {
      // A timer that holds the event loop: the stack's own are unref()'d.
      const limit = setTimeout(() => done(), LINGER_MS);
      const done = (): void => {
        clearTimeout(limit);
        this.#lingering = null;
        resolve();
      };
      this.#lingering = () => {
        if (!this.#inFlight()) done();
      };
    });
  }

  #inFlight(): boolean {
    for (const s of this.sockets.values()) {
      if (s instanceof TcpSocket && IN_FLIGHT.has(s.state)) return true;
    }
    return false;
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
    this.#lingering?.();
  }
}
