// The net-task under the kernel-task's supervision: when it dies (inproc: its code threw
// out of a call or a timer; ipc: its server's handler threw; worker: its thread ended or
// was killed), the call in flight fails, every socket it held is dead, and a new
// instance is started from the same configuration (interfaces, addresses, routes, port
// forwards; a boot's links and switch ports are the same device ends, which the new
// stack takes over).
//
//   new SupervisedNet(first, start, events)   first: the running net-task; start(): a new
//                             one (createNetTask with the launch of now); events: died
//                             (one report line) and notStarted (a restart that failed)
//   back                      woken when a new instance serves: socket(2) waits on it
//   restarts                  times the net-task died
//
// Socket ids carry the instance they came from: id + generation × 2^32 (generation 0
// until a first death, so nothing changes for a net-task that never died). An id of a
// dead instance never reaches the new one, which may hand out the same small numbers.
//
// What a dead instance's socket does, as Linux's socket does after its connection was
// reset and the socket closed under it (tcp_reset, tcp_done; sock_diag's SOCK_DESTROY for
// the listener): a pending error, ECONNRESET (a listener's: ECONNABORTED), reported once
// by the next recv, send, connect, accept or SO_ERROR; poll bits POLLIN|POLLOUT|POLLHUP|
// POLLRDHUP, with POLLERR until the error was reported (tcp_poll of a closed socket with
// both directions shut), so poll and epoll waiters wake. After the error: recv is 0 (end
// of file), send EPIPE, accept, connect, bind and listen EINVAL (the socket cannot be used
// again: make a new one), getpeername ENOTCONN, TCP_INFO the CLOSE state. UDP and ping
// sockets behave the same way (Linux's udp_abort also leaves an error and shuts them).
// The call in flight when the net-task died: on a socket, the dead socket's answer (so a
// recv or send sees ECONNRESET); otherwise EIO.

import * as E from "../linux-abi/errno.ts";
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP } from "../linux-abi/poll.ts";
import type {
  ExternalNetInfo, NetClient, NetEndpoint, NetInterfaceInfo, NetMode, NetRecv, NetSocketRow, NetTcpInfo, ReadinessSink,
} from "../net-task/mod.ts";
import { WaitQueue } from "./wait_queue.ts";

/** Socket ids of one instance lie below this; the generation is above it. */
const GENERATION_SPAN = 2 ** 32;
/** A dead socket's poll bits, POLLERR aside. */
const DEAD_MASK = POLLIN | POLLOUT | POLLHUP | POLLRDHUP;
/** Linux's TCP_CLOSE state number. */
const TCP_CLOSE = 7;

export interface SupervisedNetEvents {
  /** The net-task died (a new one is being started). */
  died(err: unknown): void;
  /** The new one could not be started: AF_INET's socket(2) is ENETDOWN from now on. */
  notStarted(err: unknown): void;
}

export class SupervisedNet implements NetClient {
  readonly mode: NetMode;
  /** The first instance's external device (a restart binds the same forwards again). */
  readonly external: ExternalNetInfo | null;
  /** Woken when a new instance serves, or when none will. */
  readonly back = new WaitQueue();
  /** Times its net-task died. */
  restarts = 0;
  readonly #start: () => Promise<NetClient>;
  readonly #events: SupervisedNetEvents;
  #instance: NetClient | null = null;
  #generation = 0;
  #sink: ReadinessSink | null = null;
  /** Sockets of the current instance, by outer id: true for a listener. */
  readonly #live = new Map<number, boolean>();
  /** Sockets of dead instances, by outer id: the error they report next (0 once reported). */
  readonly #dead = new Map<number, number>();
  #restarting: Promise<void> | null = null;
  #stopped = false;

  constructor(first: NetClient, start: () => Promise<NetClient>, events: SupervisedNetEvents) {
    this.mode = first.mode;
    this.external = first.external;
    this.#start = start;
    this.#events = events;
    this.#adopt(first);
  }

  setReadinessSink(sink: ReadinessSink | null): void {
    this.#sink = sink;
  }

  /** The report of a death (replaces the events' died). */
  setDeathWatch(watch: ((err: unknown) => void) | null): void {
    this.#events.died = watch ?? (() => {});
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#restarting;
    await this.#instance?.stop();
  }

  async kill(): Promise<void> {
    this.#stopped = true;
    await this.#restarting;
    await this.#instance?.kill();
  }

  // ----- calls without a socket ----------------------------------------------------------------

  open(kind: number): number {
    const inst = this.#instance;
    if (inst === null) return this.#restarting !== null ? -E.EAGAIN : -E.ENETDOWN;
    const generation = this.#generation;
    const id = inst.open(kind);
    if (generation !== this.#generation) return -E.EIO;
    if (id < 0) return id;
    const outer = id + generation * GENERATION_SPAN;
    this.#live.set(outer, false);
    return outer;
  }

  interfaces(): NetInterfaceInfo[] {
    return this.#instance?.interfaces() ?? [];
  }

  sockets(kind: number): NetSocketRow[] {
    const offset = this.#generation * GENERATION_SPAN;
    return (this.#instance?.sockets(kind) ?? []).map((row) => ({ ...row, id: row.id + offset }));
  }

  sync(): number {
    return this.#instance?.sync() ?? 0;
  }

  // ----- calls on a socket ---------------------------------------------------------------------

  close(id: number): number {
    const r = this.#on(id, (net, inner) => net.close(inner), () => 0);
    this.#live.delete(id);
    this.#dead.delete(id);
    return r;
  }

  bind(id: number, addr: number, port: number): number {
    return this.#on(id, (net, inner) => net.bind(inner, addr, port), () => -E.EINVAL);
  }

  listen(id: number, backlog: number): number {
    const r = this.#on(id, (net, inner) => net.listen(inner, backlog), () => -E.EINVAL);
    if (r === 0 && this.#live.has(id)) this.#live.set(id, true);
    return r;
  }

  accept(id: number): number {
    const generation = this.#generation;
    const r = this.#on(id, (net, inner) => net.accept(inner), () => -this.#report(id) || -E.EINVAL);
    if (r < 0 || generation !== this.#generation) return r;
    const outer = r + generation * GENERATION_SPAN;
    this.#live.set(outer, false);
    return outer;
  }

  connect(id: number, addr: number, port: number): number {
    return this.#on(id, (net, inner) => net.connect(inner, addr, port), () => -this.#report(id) || -E.EINVAL);
  }

  send(id: number, data: Uint8Array, flags: number, addr: number, port: number): number {
    return this.#on(id, (net, inner) => net.send(inner, data, flags, addr, port), () => -this.#report(id) || -E.EPIPE);
  }

  recv(id: number, into: Uint8Array, flags: number, skip: number, more: boolean): NetRecv | number {
    return this.#on<NetRecv | number>(id, (net, inner) => net.recv(inner, into, flags, skip, more), () => -this.#report(id) || 0);
  }

  shutdown(id: number, how: number): number {
    return this.#on(id, (net, inner) => net.shutdown(inner, how), () => -E.ENOTCONN);
  }

  setOption(id: number, level: number, name: number, value: number): number {
    return this.#on(id, (net, inner) => net.setOption(inner, level, name, value), () => 0);
  }

  getOption(id: number, level: number, name: number): number {
    return this.#on(id, (net, inner) => net.getOption(inner, level, name), () => 0);
  }

  takeError(id: number): number {
    return this.#on(id, (net, inner) => net.takeError(inner), () => this.#report(id));
  }

  name(id: number, peer: boolean): NetEndpoint | number {
    return this.#on<NetEndpoint | number>(id, (net, inner) => net.name(inner, peer), () => (peer ? -E.ENOTCONN : { addr: 0, port: 0 }));
  }

  queued(id: number, out: boolean): number {
    return this.#on(id, (net, inner) => net.queued(inner, out), () => 0);
  }

  tcpInfo(id: number): NetTcpInfo | number {
    return this.#on<NetTcpInfo | number>(id, (net, inner) => net.tcpInfo(inner), () => closedTcpInfo());
  }

  // ----- supervision ---------------------------------------------------------------------------

  /**
   * `call` on the socket's instance, or `dead` when that instance is gone (before the
   * call, or during it: the call in flight gets the dead socket's answer).
   */
  #on<T>(id: number, call: (net: NetClient, inner: number) => T, dead: () => T): T {
    const inst = this.#instance;
    const generation = this.#generation;
    if (inst === null || !this.#live.has(id)) return dead();
    const r = call(inst, id % GENERATION_SPAN);
    return generation === this.#generation ? r : dead();
  }

  /** A dead socket's pending error (a positive errno, then 0): reporting it clears POLLERR. */
  #report(id: number): number {
    const err = this.#dead.get(id) ?? 0;
    if (err !== 0) {
      this.#dead.set(id, 0);
      this.#sink?.(id, DEAD_MASK);
    }
    return err;
  }

  #adopt(inst: NetClient): void {
    const offset = this.#generation * GENERATION_SPAN;
    this.#instance = inst;
    inst.setReadinessSink((id, mask) => this.#sink?.(id + offset, mask));
    inst.setDeathWatch((err) => this.#died(inst, err));
  }

  /** `inst` died (its transport says so once, before the call in flight returns). */
  #died(inst: NetClient, err: unknown): void {
    if (inst !== this.#instance || this.#stopped) return;
    this.#instance = null;
    this.#generation++;
    this.restarts++;
    const held = [...this.#live];
    this.#live.clear();
    for (const [id, listener] of held) this.#dead.set(id, listener ? E.ECONNABORTED : E.ECONNRESET);
    this.#events.died(err);
    // Poll, epoll and blocked calls wake to the error; not from inside the dying call.
    queueMicrotask(() => {
      for (const [id] of held) {
        const pending = this.#dead.get(id);
        if (pending !== undefined) this.#sink?.(id, DEAD_MASK | (pending !== 0 ? POLLERR : 0));
      }
    });
    this.#restarting = this.#restart(inst);
  }

  /** Ends the dead instance (its devices close), then starts a new one on the same configuration. */
  async #restart(old: NetClient): Promise<void> {
    try {
      await old.kill();
    } catch {
      // Its devices are gone or going either way; the new instance opens its own.
    }
    try {
      const inst = await this.#start();
      if (this.#stopped) await inst.stop();
      else this.#adopt(inst);
    } catch (err) {
      this.#events.notStarted(err);
    } finally {
      this.#restarting = null;
      this.back.notify();
    }
  }
}

/** TCP_INFO of a socket whose connection is gone. */
function closedTcpInfo(): NetTcpInfo {
  return {
    state: TCP_CLOSE, retransmits: 0, options: 0, sndWscale: 0, rcvWscale: 0, rtoUs: 0, sndMss: 0, rcvMss: 0, unacked: 0, rttUs: 0,
    rttvarUs: 0, sndSsthresh: 0, sndCwnd: 0, advmss: 0, rcvSpace: 0, lastDataRecvMs: 0,
  };
}
