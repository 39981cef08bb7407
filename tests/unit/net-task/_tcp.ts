// Helpers for TCP frame scripts: listen, and the two ways to reach ESTABLISHED with the
// remote's ISN 10000 (its first data byte is 10001).

import { expect } from "vitest";
import { TcpSocket } from "../../../net-task/socket/tcp.ts";
import { TcpListener, type TcpListenerOptions } from "../../../net-task/socket/tcp_listener.ts";
import { type TcpOptions } from "../../../net-task/socket/tcp_options.ts";
import { type TcpRepr } from "../../../net-task/wire/tcp.ts";
import { LOCAL_PORT, REMOTE, REMOTE_PORT, type Script } from "./_script.ts";

export function listen(s: Script, options: TcpListenerOptions = {}): TcpListener {
  const listener = new TcpListener(options);
  s.sockets.add(listener);
  listener.listen({ addr: 0, port: LOCAL_PORT });
  return listener;
}

/** A passive open from the remote (ISN 10000, no options); returns the accepted socket and our ISS. */
export function establishPassive(s: Script, options: TcpListenerOptions = {}, syn: Partial<TcpRepr> = {}) {
  const listener = listen(s, options);
  s.send({ control: "syn", seq: 10_000, mss: 1460, ...syn });
  const synAck = s.expect({ control: "syn", ack: 10_001 });
  s.send({ seq: 10_001, ack: synAck.seq + 1 });
  const socket = listener.accept()!;
  expect(socket.state).toBe("ESTABLISHED");
  return { socket, iss: synAck.seq, listener };
}

/** An active open to the remote (their ISN 10000, no options). */
export function establishActive(s: Script, options: TcpOptions = {}) {
  const socket = new TcpSocket(options);
  const handle = s.sockets.add(socket);
  expect(s.iface.connect(s.sockets, handle, { addr: REMOTE, port: REMOTE_PORT }, LOCAL_PORT)).toBe("ok");
  s.poll();
  const syn = s.expect({ control: "syn", ack: null });
  s.send({ control: "syn", seq: 10_000, ack: syn.seq + 1, mss: 1460 });
  s.expect({ control: "none", seq: syn.seq + 1, ack: 10_001 });
  expect(socket.state).toBe("ESTABLISHED");
  return { socket, iss: syn.seq, handle };
}
