// One TCP connection relayed between a host socket (node:net) and a connection of the
// gateway's own stack (a TcpSocket whose peer is the guest).
//
//   guest → host   conn.recv → host.write; when the host socket's buffer is full, reading
//                  stops until 'drain', so the conn's receive buffer fills and its window
//                  closes on the guest
//   host → guest   'data' → conn.send; what the send buffer does not take is kept (one
//                  chunk at most) and the host socket is paused until the guest acks
//   half-close     the guest's FIN → host.end(); the host's 'end' → conn.close() (FIN)
//   resets         the guest's RST → host.resetAndDestroy(); a host socket that errors or
//                  closes before both directions ended → conn.abort() (RST to the guest).
//                  Node stops reading a socket at its end of stream, so a host RST after
//                  its FIN shows only when the relay next writes to it
//
// The conn's waker and the host socket's events only mark the relay for service(), which
// the gateway's driver runs between polls of its stack.

import { type Socket } from "node:net";
import { type TcpSocket } from "../socket/tcp.ts";

const EMPTY = new Uint8Array(0);
const FIN_RECEIVED: ReadonlySet<string> = new Set(["CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT"]);

export class TcpRelay {
  readonly host: Socket;
  readonly conn: TcpSocket;
  /** Host bytes the conn's send buffer has not taken yet; the host socket is paused meanwhile. */
  #pending: Uint8Array | null = null;
  /** The host finished sending (its FIN). */
  #hostEnded = false;
  /** host.write() reported a full buffer: wait for 'drain' before reading more from the guest. */
  #hostBlocked = false;
  #hostClosed = false;
  /** The guest's FIN was passed on to the host. */
  #guestEnded = false;
  /** conn.close() was called for the host's FIN. */
  #finQueued = false;
  #connected = false;
  #finished = false;

  constructor(host: Socket, conn: TcpSocket, changed: (relay: TcpRelay) => void) {
    this.host = host;
    this.conn = conn;
    const mark = (): void => changed(this);
    conn.setWaker(mark);
    host.on("data", (chunk: Buffer) => {
      this.#fromHost(chunk);
      mark();
    });
    host.on("end", () => {
      this.#hostEnded = true;
      mark();
    });
    host.on("drain", () => {
      this.#hostBlocked = false;
      mark();
    });
    // end() flushed: what the guest sent is the host kernel's now (delivering turns false).
    host.on("finish", mark);
    // The error itself is not needed: 'close' follows, and an unfinished relay resets the guest.
    host.on("error", () => {});
    host.on("close", () => {
      this.#hostClosed = true;
      mark();
    });
  }

  get finished(): boolean { return this.#finished; }

  /**
   * The guest finished its stream (its FIN came) but part of it has not reached the host
   * kernel yet: still in the conn's receive buffer, or in the host socket's write queue.
   */
  get delivering(): boolean {
    if (this.#finished || this.#hostClosed) return false;
    if (this.#guestEnded) return !this.host.writableFinished;
    return FIN_RECEIVED.has(this.conn.state);
  }

  /** Moves what can move in both directions; true when something did. */
  service(): boolean {
    if (this.#finished) return false;
    if (!this.#connected) {
      const state = this.conn.state;
      if (state === "SYN-SENT" || state === "SYN-RECEIVED") return this.#hostClosed ? this.#abort() : false;
      if (state === "CLOSED" || state === "TIME-WAIT") {
        // The guest refused (RST) or never answered: the host side sees a reset.
        if (!this.#hostClosed) this.host.resetAndDestroy();
        return this.#finish();
      }
      this.#connected = true;
      if (this.#pending === null) this.host.resume();
    }
    let acted = this.#toHost();
    acted = this.#toGuest() || acted;
    if (this.#hostClosed) {
      const clean = this.#hostEnded && this.#guestEnded && this.#pending === null;
      return clean ? this.#finish() : this.#abort();
    }
    return acted;
  }

  /** Ends the relay at once: the guest gets a RST, the host socket is destroyed. */
  abort(): void {
    this.#abort();
  }

  #fromHost(chunk: Buffer): void {
    if (this.#pending !== null) {
      // Data that was on its way when the socket was paused.
      this.#pending = Buffer.concat([this.#pending, chunk]);
      this.host.pause();
      return;
    }
    const taken = this.conn.send(chunk);
    const n = typeof taken === "number" ? taken : 0;
    if (n === chunk.length) return;
    if (typeof taken === "string" && taken !== "again") return; // The guest side is gone; service() ends it.
    this.#pending = chunk.subarray(n);
    this.host.pause();
  }

  /** Guest → host: reads the conn while the host socket takes more. */
  #toHost(): boolean {
    let acted = false;
    while (!this.#hostBlocked && !this.#guestEnded && !this.#hostClosed) {
      const queued = this.conn.recvQueue;
      const into = queued > 0 ? Buffer.allocUnsafe(queued) : EMPTY;
      const r = this.conn.recv(into);
      if (r === "again") break;
      acted = true;
      if (typeof r === "number" && r > 0) {
        if (!this.host.write(into.subarray(0, r))) this.#hostBlocked = true;
      } else if (r === 0) {
        this.#guestEnded = true;
        this.host.end();
      } else {
        // The guest reset the connection, or it timed out: the host side sees a reset too.
        if (r === "reset") this.host.resetAndDestroy();
        else this.host.destroy();
        break;
      }
    }
    return acted;
  }

  /** Host → guest: what is pending, then the host's FIN once everything before it is queued. */
  #toGuest(): boolean {
    let acted = false;
    const pending = this.#pending;
    if (pending !== null) {
      const taken = this.conn.send(pending);
      if (typeof taken === "number" && taken > 0) {
        acted = true;
        this.#pending = taken === pending.length ? null : pending.subarray(taken);
      } else if (taken !== "again") {
        this.#pending = null; // The guest side is gone; its end reaches the host through #toHost.
      }
      if (this.#pending === null && !this.#hostClosed) this.host.resume();
    }
    if (this.#hostEnded && this.#pending === null && !this.#finQueued) {
      this.#finQueued = true;
      this.conn.close();
      acted = true;
    }
    return acted;
  }

  #abort(): boolean {
    this.conn.abort();
    if (!this.#hostClosed) this.host.destroy();
    return this.#finish();
  }

  #finish(): boolean {
    this.#finished = true;
    this.conn.setWaker(null);
    return true;
  }
}
