// Applications for the host-device tests, on both sides: a checked byte stream (guest
// steps over a TcpSocket, host functions over node:net), echo servers, and a wait on a
// condition that no event announces (a counter of the gateway).

import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { type TcpListener } from "../../../../net-task/socket/tcp_listener.ts";
import { type TcpSocket } from "../../../../net-task/socket/tcp.ts";
import { type Step } from "./_guest.ts";

/** Byte i of a test stream: not periodic in any segment size, so misplaced data shows. */
export function streamByte(i: number): number {
  return (i * 31 + (i >>> 11) * 7) & 0xff;
}

export function fillStream(into: Uint8Array, offset: number): Uint8Array {
  for (let i = 0; i < into.length; i++) into[i] = streamByte(offset + i);
  return into;
}

/** Counts bytes that differ from the test stream at `offset`. */
export function streamErrors(bytes: Uint8Array, offset: number): number {
  let bad = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== streamByte(offset + i)) bad++;
  return bad;
}

export interface StreamResult {
  sent: number;
  received: number;
  errors: number;
  /** How receiving ended: "eof", or the connection's error. */
  end: string;
}

export const newResult = (): StreamResult => ({ sent: 0, received: 0, errors: 0, end: "" });

/**
 * Guest: sends `total` bytes of the stream then FIN, and reads (checking) until the peer's
 * FIN; done when both are over, or at an error.
 */
export function streamStep(conn: TcpSocket, total: number, result: StreamResult): Step {
  const chunk = new Uint8Array(64 * 1024), into = new Uint8Array(256 * 1024);
  let closed = false;
  return (finish) => {
    let acted = false;
    while (result.sent < total && (conn.state === "ESTABLISHED" || conn.state === "CLOSE-WAIT")) {
      const r = conn.send(fillStream(chunk.subarray(0, Math.min(chunk.length, total - result.sent)), result.sent));
      if (typeof r !== "number" || r === 0) break;
      result.sent += r;
      acted = true;
    }
    if (result.sent === total && !closed && (conn.state === "ESTABLISHED" || conn.state === "CLOSE-WAIT")) {
      conn.close();
      closed = acted = true;
    }
    while (result.end === "") {
      const r = conn.recv(into);
      if (r === "again") break;
      acted = true;
      if (typeof r === "number" && r > 0) {
        result.errors += streamErrors(into.subarray(0, r), result.received);
        result.received += r;
      } else {
        result.end = typeof r === "number" ? "eof" : r;
      }
    }
    if ((result.end === "eof" && closed) || (result.end !== "" && result.end !== "eof")) finish();
    return acted;
  };
}

/** Guest: accepts one connection and echoes it until the peer's FIN, then closes. */
export function echoStep(listener: TcpListener, wake: () => void): Step {
  let conn: TcpSocket | null = null, pending: Uint8Array | null = null, eof = false;
  const into = new Uint8Array(256 * 1024);
  return (finish) => {
    if (conn === null) {
      conn = listener.accept();
      if (conn === null) return false;
      conn.setWaker(wake);
    }
    let acted = false;
    for (;;) {
      if (pending !== null) {
        const r = conn.send(pending);
        if (typeof r !== "number") {
          if (r === "again") break;
          finish();
          return true;
        }
        pending = r === pending.length ? null : pending.subarray(r);
        acted = true;
        if (pending !== null) break;
      }
      if (eof) break;
      const r = conn.recv(into);
      if (r === "again") break;
      if (typeof r !== "number") {
        finish();
        return true;
      }
      if (r === 0) eof = true;
      else pending = into.slice(0, r);
      acted = true;
    }
    if (eof && pending === null) {
      conn.close();
      finish();
      return true;
    }
    return acted;
  };
}

/** Host: connects, sends `total` bytes of the stream then FIN, reads until FIN or an error. */
export function hostStream(port: number, total: number, host = "127.0.0.1"): Promise<StreamResult> {
  const result = newResult();
  return new Promise((resolve) => {
    const socket = connect({ port, host, allowHalfOpen: true });
    const write = (): void => {
      while (result.sent < total) {
        const n = Math.min(64 * 1024, total - result.sent);
        const ok = socket.write(fillStream(new Uint8Array(n), result.sent));
        result.sent += n;
        if (!ok) {
          socket.once("drain", write);
          return;
        }
      }
      socket.end();
    };
    socket.on("connect", write);
    socket.on("data", (data: Buffer) => {
      result.errors += streamErrors(data, result.received);
      result.received += data.length;
    });
    socket.on("end", () => { result.end = "eof"; });
    socket.on("error", (e: NodeJS.ErrnoException) => { result.end = e.code ?? e.message; });
    socket.on("close", () => resolve(result));
  });
}

/** Host: a TCP server on 127.0.0.1 with a free port. */
export async function hostServer(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Resolves once `cond` holds, checking every few milliseconds (the test's timeout bounds it). */
export async function eventually(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 5));
}
