// Readiness flags a socket reports to whoever multiplexes it (the IPC module's poll/epoll),
// and the waker hook: a socket calls its waker when something a waiter may care about
// happened (data arrived, buffer space freed, state changed, a connection is ready to
// accept, an error), so waiters need not poll. The waker must not call back into the stack.

import { type SocketContext } from "./context.ts";

export const Readiness = {
  /** Data (or end of stream, or an error) to read. */
  Readable: 1,
  /** Room in the send buffer (or an error a writer must see). */
  Writable: 2,
  /** The peer finished sending (Linux POLLRDHUP). */
  ReadHup: 4,
  /** Both directions are finished or the connection is gone (POLLHUP). */
  Hup: 8,
  /** A pending error (POLLERR). */
  Error: 16,
  /** A listener has a connection ready to accept. */
  Acceptable: 32,
} as const;

export type Waker = () => void;

/** The part every socket shares: the handle the set gave it and its waker. */
export abstract class SocketBase {
  /** Set by SocketSet.add(); -1 while the socket is in no set. */
  handle = -1;
  /** Nobody holds the handle: the set removes the socket once it is closed (SocketSet.reap). */
  orphaned = false;
  #waker: Waker | null = null;

  setWaker(waker: Waker | null): void {
    this.#waker = waker;
  }

  protected wake(): void {
    this.#waker?.();
  }

  /** A mask of Readiness flags. */
  abstract readiness(): number;

  /** When the socket next needs the interface (ms), Infinity for never. */
  abstract pollAt(): number;

  /** Sends what is due through the interface; true when something went out. */
  abstract dispatch(cx: SocketContext): boolean;

  /** Finished: nothing left to send or receive (an orphan in this state can go). */
  abstract get isClosed(): boolean;
}
