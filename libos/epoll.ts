// Epoll instances (Linux: fs/eventpoll.c), over the one readiness machinery: a file's
// poll() and its readiness queue (file.ts, wait_queue.ts).
//
//   interest list  entries keyed by (open file description, fd), as Linux keys them. An
//                  entry watches its file's readiness queue: a notification whose key
//                  meets the entry's events puts it on the ready list and wakes the
//                  epoll's own queue (ep_poll_callback). It holds no reference on the
//                  file: it goes when the description's last reference does (not with a
//                  close of one of its descriptors), or with the epoll.
//   collect        epoll_wait's scan (ep_send_events): each entry on the ready list is
//                  polled again and reported if something it asks for is ready. Then a
//                  level-triggered entry goes back on the list; an EPOLLET one waits for
//                  the next notification of its file (an edge); an EPOLLONESHOT one is
//                  disabled until EPOLL_CTL_MOD.
//   poll           an epoll is readable while an entry on its ready list is ready, so
//                  epolls nest; adding one to another is checked for loops and depth.
//
// EPOLLERR and EPOLLHUP are always asked for. EPOLLEXCLUSIVE entries watch their queue
// exclusively: a notification stops at the first epoll it wakes a waiter of. The entries
// of a user kernel are bounded (WatchBudget), as Linux bounds a user's by max_user_watches.

import { EEXIST, EFAULT, ELOOP, ENOSPC } from "../linux-abi/errno.ts";
import { EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLWAKEUP } from "../linux-abi/poll.ts";
import { AnonInodeFile } from "./anon_inode.ts";
import type { Interest, OpenFile } from "./file.ts";
import type { Thread } from "./process.ts";
import { WaitQueue, type Watcher } from "./wait_queue.ts";

/** Bits that steer an entry rather than name events. */
const EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
/** How deep epolls may nest. */
const EP_MAX_NESTS = 4;

/** How many epoll entries a user kernel may hold (Linux's max_user_watches): ENOSPC past it. */
export class WatchBudget {
  used = 0;
  constructor(readonly max: number) {}
}

/** Where collect() puts the n-th event; false when it cannot (EFAULT). */
export type EventSink = (n: number, events: number, data: bigint) => boolean;

export class EpollItem implements Interest {
  /** The queue watched: the file's readiness queue when the entry was added. */
  readonly queue: WaitQueue;
  readonly watcher: Watcher;

  constructor(
    readonly ep: EventPoll,
    readonly file: OpenFile,
    readonly fd: number,
    public events: number,
    public data: bigint,
    queue: WaitQueue,
    wake: (item: EpollItem, key: number) => boolean,
  ) {
    this.queue = queue;
    this.watcher = (key) => wake(this, key);
  }

  /** Disabled: an EPOLLONESHOT entry after its report. */
  get disabled(): boolean {
    return (this.events & ~EP_PRIVATE_BITS) === 0;
  }

  drop(): void {
    this.ep.remove(this);
  }
}

export class EventPoll extends AnonInodeFile {
  /** epoll_wait sleepers and whoever polls this epoll (Linux's wq and poll_wait). */
  readonly readiness = new WaitQueue();
  readonly #items = new Map<OpenFile, Map<number, EpollItem>>();
  /** The ready list, in the order entries became ready. */
  readonly #ready = new Set<EpollItem>();
  /** collect()'s level-triggered entries on their way back to the ready list. */
  readonly #requeue = new Set<EpollItem>();
  /** Entries of other epolls that watch this one. */
  readonly #parents = new Set<EpollItem>();

  constructor(readonly budget: WatchBudget) {
    super("eventpoll");
  }

  find(file: OpenFile, fd: number): EpollItem | null {
    return this.#items.get(file)?.get(fd) ?? null;
  }

  /** EPOLL_CTL_ADD of a file that has a readiness queue; EEXIST, ELOOP, ENOSPC. */
  add(t: Thread, file: OpenFile, fd: number, events: number, data: bigint): number {
    if (this.find(file, fd)) return -EEXIST;
    const queue = file.ops.readiness!;
    const nested = file.ops instanceof EventPoll ? file.ops : null;
    if (nested && !this.#mayWatch(nested)) return -ELOOP;
    if (this.budget.used >= this.budget.max) return -ENOSPC;
    this.budget.used++;
    const item = new EpollItem(this, file, fd, events | EPOLLERR | EPOLLHUP, data, queue, (i, key) => this.#wake(i, key));
    let byFd = this.#items.get(file);
    if (!byFd) this.#items.set(file, (byFd = new Map()));
    byFd.set(fd, item);
    file.addInterest(item);
    if (nested) nested.#parents.add(item);
    queue.watch(item.watcher, (events & EPOLLEXCLUSIVE) !== 0);
    if (file.poll(t) & item.events) this.#queue(item);
    return 0;
  }

  /** EPOLL_CTL_MOD: new events and data; reported again if ready now (a oneshot is re-armed). */
  modify(t: Thread, item: EpollItem, events: number, data: bigint): void {
    item.events = events | EPOLLERR | EPOLLHUP;
    item.data = data;
    if (item.file.poll(t) & item.events) this.#queue(item);
  }

  /** EPOLL_CTL_DEL, or the file's last reference is gone. */
  remove(item: EpollItem): void {
    const byFd = this.#items.get(item.file);
    if (byFd?.get(item.fd) !== item) return;
    byFd.delete(item.fd);
    if (byFd.size === 0) this.#items.delete(item.file);
    this.budget.used--;
    item.queue.unwatch(item.watcher);
    item.file.removeInterest(item);
    if (item.file.ops instanceof EventPoll) item.file.ops.#parents.delete(item);
    this.#ready.delete(item);
  }

  /**
   * epoll_wait's scan: up to `max` events for `t` into `sink`. Returns how many, or -EFAULT
   * when the first one could not be stored (the entry then stays ready).
   */
  collect(t: Thread, max: number, sink: EventSink): number {
    const ready = this.#ready, requeue = this.#requeue;
    let n = 0;
    let failed = false;
    // Entries leave the list as they are looked at; those not reached stay first.
    for (const item of ready) {
      if (n >= max) break;
      const revents = item.file.poll(t) & item.events;
      if (revents && !sink(n, revents, item.data)) {
        failed = true;
        break;
      }
      ready.delete(item);
      if (!revents) continue;
      n++;
      if (item.events & EPOLLONESHOT) item.events &= EP_PRIVATE_BITS;
      else if (!(item.events & EPOLLET)) requeue.add(item);
    }
    // The level-triggered ones go to the back.
    for (const item of requeue) ready.add(item);
    requeue.clear();
    return n === 0 && failed ? -EFAULT : n;
  }

  /** Readable while an entry on the ready list is ready; entries no longer ready leave it. */
  poll(caller: Thread): number {
    for (const item of this.#ready) {
      if (item.file.poll(caller) & item.events) return EPOLLIN;
      this.#ready.delete(item);
    }
    return 0;
  }

  override release(): void {
    for (const byFd of [...this.#items.values()]) for (const item of [...byFd.values()]) this.remove(item);
  }

  /** ep_poll_callback: a notification of an entry's file. True if it woke a waiter (EPOLLEXCLUSIVE). */
  #wake(item: EpollItem, key: number): boolean {
    if (item.disabled || (key !== 0 && (key & item.events) === 0)) return false;
    const waiting = this.readiness.size > 0;
    // Every such notification wakes the epoll's own queue, listed or not: an edge for an
    // epoll watching this one.
    this.#ready.add(item);
    this.readiness.notify(EPOLLIN);
    if (!(item.events & EPOLLEXCLUSIVE)) return true;
    // An exclusive entry counts as a wake-up only for the direction it asked for.
    const inOut = key & (EPOLLIN | EPOLLOUT);
    return waiting && (inOut === 0 || (inOut !== (EPOLLIN | EPOLLOUT) && (item.events & inOut) !== 0));
  }

  /** A file found ready at ADD or MOD goes on the ready list, unless it is there. */
  #queue(item: EpollItem): void {
    if (this.#ready.has(item)) return;
    this.#ready.add(item);
    this.readiness.notify(EPOLLIN);
  }

  /**
   * Whether `to` may be added here (Linux's ep_loop_check): it must not reach this epoll,
   * and the longest chain through the new link, from the epolls above this one to those
   * below `to`, stays within EP_MAX_NESTS.
   */
  #mayWatch(to: EventPoll): boolean {
    if (to === this) return false;
    const below = depthBelow(to, this, new Map());
    if (below > EP_MAX_NESTS) return false;
    return below + 1 + depthAbove(this, new Map()) <= EP_MAX_NESTS;
  }

  /** The epolls this one watches. */
  *children(): Generator<EventPoll> {
    for (const file of this.#items.keys()) if (file.ops instanceof EventPoll) yield file.ops;
  }

  /** The epolls that watch this one. */
  *parents(): Generator<EventPoll> {
    for (const item of this.#parents) yield item.ep;
  }
}

/** How many levels of epolls `ep` watches below it; more than EP_MAX_NESTS when `target` is among them. */
function depthBelow(ep: EventPoll, target: EventPoll, seen: Map<EventPoll, number>, depth = 0): number {
  const known = seen.get(ep);
  if (known !== undefined) return known;
  let result = 0;
  for (const child of ep.children()) {
    result = child === target || depth > EP_MAX_NESTS ? EP_MAX_NESTS + 1 : Math.max(result, depthBelow(child, target, seen, depth + 1) + 1);
    if (result > EP_MAX_NESTS) break;
  }
  seen.set(ep, result);
  return result;
}

/** How many levels of epolls watch `ep` from above. */
function depthAbove(ep: EventPoll, seen: Map<EventPoll, number>): number {
  const known = seen.get(ep);
  if (known !== undefined) return known;
  let result = 0;
  for (const parent of ep.parents()) result = Math.max(result, depthAbove(parent, seen) + 1);
  seen.set(ep, result);
  return result;
}
