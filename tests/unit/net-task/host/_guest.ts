// A guest for the host-device tests: an Interface of this stack over the gateway's (or a
// TAP's) device, driven on Node's event loop by a StackDriver. Applications are steps the
// driver runs after each poll until they call `finish`; each returns whether it did
// something (so the driver polls again). Waits end on events (socket wakers, host
// sockets), never on a clock; the test's timeout bounds them.

import { Interface, type InterfaceOptions } from "../../../../net-task/iface/interface.ts";
import { StackDriver } from "../../../../net-task/host/stack_driver.ts";
import { type Device } from "../../../../net-task/phy/device.ts";
import { type AnySocket, SocketSet } from "../../../../net-task/socket/socket_set.ts";

/** An application: runs after each poll, returns whether it did something, calls finish when done. */
export type Step = (finish: () => void) => boolean;

export class Guest {
  readonly iface: Interface;
  readonly sockets = new SocketSet();
  readonly driver: StackDriver;
  readonly #steps = new Set<() => boolean>();

  constructor(device: Device, options: InterfaceOptions) {
    this.iface = new Interface(device, options);
    this.driver = new StackDriver(this.iface, this.sockets, { service: () => this.#service() });
  }

  /** Adds a socket whose news wakes the driver. */
  add<T extends AnySocket>(socket: T): T {
    this.sockets.add(socket);
    socket.setWaker(() => this.driver.kick());
    return socket;
  }

  /** Runs `step` after every poll until it calls finish. */
  run(step: Step): Promise<void> {
    return new Promise((resolve) => {
      const entry = (): boolean => step(() => {
        this.#steps.delete(entry);
        resolve();
      });
      this.#steps.add(entry);
      this.driver.kick();
    });
  }

  /** Resolves once `cond` holds after a poll. */
  until(cond: () => boolean): Promise<void> {
    return this.run((finish) => {
      if (cond()) finish();
      return false;
    });
  }

  stop(): void {
    this.driver.stop();
  }

  #service(): boolean {
    let acted = false;
    for (const step of [...this.#steps]) acted = step() || acted;
    return acted;
  }
}
