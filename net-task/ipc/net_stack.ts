// The stack one net-task drives: its interfaces (lo over Loopback always, plus one per
// device the launch configuration names, eth0, eth1, … unless named, each with the guest
// settings its device gives: the launcher's one device, or a system description's links),
// the Router between them, the socket set, and the driver loop.
//
// Lifetime: NetStack.start() builds the devices (async: the gateway binds its forwards)
// and the interfaces; stop() ends the driving and closes the devices, which gives their
// host resources back (listeners, host sockets, a TAP descriptor). Before that, as
// Linux goes on sending for a process that closed its socket and exited, stop() lingers
// while a closed connection still has data or its FIN unacknowledged (FIN-WAIT-1, CLOSING,
// LAST-ACK), at most LINGER_MS: `nc HOST PORT < FILE` as the guest's last command delivers
// the whole file. It lingers in FIN-WAIT-2 too, until the peer's FIN came and was
// acknowledged, as Linux keeps such an orphan (tcp_fin_timeout): a server that closed
// first and ends at once (a kernel of a system description) would otherwise leave its
// peer in LAST-ACK, waiting for an ACK nobody will send.
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
  /** Interface name (default ethN, N its place among the devices). */
  name?: string;
}

/**
 * How a net-task starts: structured-cloneable (JSON, and a frame ring's shared memory)
 * unless a device is a function.
 */
export interface NetConfig {
  /** Its interfaces besides lo, in order; the first one's settings are the guest's `external`. */
  devices: ExternalNetConfig[];
  /** Faults on the first device, or on lo when there is none. */
  faults: FaultOptions | null;
  /** One line per dropped packet and state transition. */
  trace?: boolean;
}

/** When the loop must come back before the timer would (a device refused a frame): a short breath, not a spin. */
const RETRY_MS = 1;
/** How long stop() waits at most for closed connections to deliver what they hold. */
export const LINGER_MS = 5000;
const IN_FLIGHT: ReadonlySet<string> = new Set(["FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "LAST-ACK"]);

export class NetStack {
  readonly router = new Router();
  readonly sockets = new SocketSet();
  /** Called after a poll that no request asked for moved something. */
  onNews: (() => void) | null = null;
  /**
   * Called when such a poll threw (the stack's state is then not to be trusted: the
   * net-task died); without one, the throw goes on (a worker's thread ends).
   */
  onFailure: ((err: unknown) => void) | null = null;
  /** The first device's guest settings and forwards; null with lo only. */
  readonly external: ExternalNetInfo | null;
  readonly #devices: Device[] = [];
  readonly #built: ExternalDevice[];
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #wakeQueued = false;
  #stopped = false;
  /** Set while stop() lingers: checks, after each poll, whether it may go on. */
  #lingering: (() => void) | null = null;

  /**
   * Builds the devices, then the stack. Rejects with what building a device rejected with
   * (devices.ts: TypeError, SyntaxError, a host error), once those built are closed again.
   */
  static async start(config: NetConfig): Promise<NetStack> {
    const built: ExternalDevice[] = [];
    try {
      for (const { device } of config.devices) built.push(typeof device === "function" ? await device() : await buildDevice(device));
      return new NetStack(config, built);
    } catch (error) {
      for (const d of built) await d.close();
      throw error;
    }
  }

  private constructor(config: NetConfig, built: ExternalDevice[]) {
    const trace = config.trace === true ? (line: string) => process.stderr.write(`net: ${line}\n`) : null;
    const faulty = (d: Device): Device => (config.faults === null ? d : new FaultInjector(d, config.faults));
    this.#built = built;
    const first = built[0];
    this.external = first === undefined ? null : { guest: first.guest, forwards: first.forwards };
    const lo = first === undefined ? faulty(new Loopback()) : new Loopback();
    this.router.add("lo", new Interface(lo, { addresses: [{ address: ipv4(127, 0, 0, 1), prefixLen: 8 }], trace }));
    this.#devices.push(lo);
    built.forEach((ext, i) => {
      const device = i === 0 ? faulty(ext.device) : ext.device;
      const guest = ext.guest;
      const iface = new Interface(device, {
        hardwareAddress: device.medium === "ethernet" ? guest.hardwareAddress : undefined,
        addresses: [{ address: guest.address, prefixLen: guest.prefixLen }], gateway: guest.gateway, trace,
      });
      this.router.add(config.devices[i]!.name ?? `eth${i}`, iface);
      this.#devices.push(device);
      device.setWaker?.(this.#wake);
    });
  }

  /** Polls now (after a request); true when anything moved. */
  poll(): boolean {
    if (this.#stopped) return false;
    const moved = this.router.poll(performance.now(), this.sockets);
    this.#arm(moved);
    return moved;
  }

  /** Stops the timer, detaches the devices' wakers and closes the devices (after lingering, unless told not to). */
  async stop(options: { linger?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    if (options.linger !== false) await this.#linger();
    else this.#lingering = null;
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const d of this.#devices) d.setWaker?.(null);
    for (const d of this.#built) await d.close();
  }

  /** Waits until no closed connection has data or a FIN in flight (either way), or LINGER_MS passed. */
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
    try {
      this.poll();
      this.onNews?.();
    } catch (err) {
      if (this.onFailure === null) throw err;
      this.onFailure(err);
      return;
    }
    this.#lingering?.();
  }
}
