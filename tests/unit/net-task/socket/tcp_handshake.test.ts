// TCP frame scripts, opening: passive and active three-way handshakes with option
// negotiation, simultaneous open, SYN-SENT's RST and bad-ACK rules, RSTs for closed ports,
// listener queues (SYN queue and accept backlog overflow drop SYNs), SYN retransmission.

import { describe, expect, it } from "vitest";
import { TcpSocket } from "../../../../net-task/socket/tcp.ts";
import { LOCAL_PORT, REMOTE, REMOTE_PORT, Script } from "../_script.ts";
import { establishPassive, listen } from "../_tcp.ts";

describe("LISTEN → SYN-RECEIVED → ESTABLISHED", () => {
  it("answers a bare SYN with a SYN-ACK carrying our MSS and no options the peer did not offer", () => {
    const s = new Script();
    const listener = listen(s);
    s.send({ control: "syn", seq: 10_000, mss: 1460 });
    const synAck = s.expect({
      control: "syn", ack: 10_001, mss: 1460, windowScale: null, sackPermitted: false, timestamp: null, window: 65535,
    });
    expect(listener.halfOpen).toBe(1);
    expect(listener.accept()).toBeNull();
    s.send({ seq: 10_001, ack: synAck.seq + 1 });
    s.expectNothing();
    expect(listener.readiness() & 32).toBe(32);
    const child = listener.accept()!;
    expect(child.state).toBe("ESTABLISHED");
    expect(child.remote).toEqual({ addr: REMOTE, port: REMOTE_PORT });
    expect(child.mss).toBe(1460);
    expect(listener.halfOpen).toBe(0);
  });

  it("negotiates window scale, SACK-permitted and timestamps when the SYN offers them", () => {
    const s = new Script();
    const listener = listen(s);
    s.send({ control: "syn", seq: 10_000, mss: 1400, windowScale: 7, sackPermitted: true, timestamp: { tsval: 555, tsecr: 0 } });
    const synAck = s.expect({ control: "syn", windowScale: 3, sackPermitted: true, mss: 1460 });
    expect(synAck.timestamp?.tsecr).toBe(555);
    s.send({ seq: 10_001, ack: synAck.seq + 1, window: 100, timestamp: { tsval: 556, tsecr: synAck.timestamp!.tsval } });
    const child = listener.accept()!;
    expect(child.mss).toBe(1400 - 12); // The peer's MSS less the timestamp option.
    // The window is now scaled by the peer's shift: 100 << 7 lets 12800 bytes out.
    child.noDelay = true;
    expect(child.send(new Uint8Array(20_000))).toBe(20_000);
    s.poll();
    const segs = s.recv();
    const sent = segs.reduce((n, seg) => n + seg.payload.length, 0);
    expect(sent).toBeLessThanOrEqual(12_800);
    expect(sent).toBeGreaterThan(12_800 - child.mss); // A runt that only the window limits waits (SWS avoidance).
    expect(segs[0]!.timestamp?.tsecr).toBe(556);
  });

  it("resends the SYN-ACK for a retransmitted SYN and on its own timer, then gives up", () => {
    const s = new Script();
    const listener = listen(s, { synRetries: 1 });
    s.send({ control: "syn", seq: 10_000 });
    const synAck = s.expect({ control: "syn" });
    s.send({ control: "syn", seq: 10_000 });
    s.expect({ control: "syn", seq: synAck.seq, ack: 10_001 });
    s.advanceTo(1000);
    s.expect({ control: "syn", seq: synAck.seq });
    s.advanceTo(3000);
    s.expectNothing();
    expect(listener.halfOpen).toBe(0);
    expect(s.sockets.size).toBe(1); // The half-open child was reaped.
  });

  it("answers an ACK to a listener with a RST and ignores a RST", () => {
    const s = new Script();
    listen(s);
    s.send({ seq: 5, ack: 777 });
    s.expect({ control: "rst", seq: 777, ack: null });
    s.send({ control: "rst", seq: 5 });
    s.expectNothing();
  });

  it("drops SYNs once the SYN queue is full, as Linux without SYN cookies", () => {
    const s = new Script();
    const listener = listen(s, { backlog: 1, synBacklog: 2 });
    for (const port of [1001, 1002, 1003]) s.send({ control: "syn", srcPort: port, seq: port });
    expect(s.recv().map((seg) => seg.dstPort)).toEqual([1001, 1002]);
    expect(listener.overflows).toBe(1);
    expect(listener.halfOpen).toBe(2);
  });

  it("drops SYNs while the accept queue holds more than the backlog, and the last ACK while it is full", () => {
    const s = new Script();
    const listener = listen(s, { backlog: 0, synBacklog: 8 });
    const open = (port: number) => {
      s.send({ control: "syn", srcPort: port, seq: 0 });
      return s.recv();
    };
    const first = open(2001)[0]!;
    const second = open(2002)[0]!;
    s.send({ srcPort: 2001, seq: 1, ack: first.seq + 1 });
    expect(listener.pendingAccepts).toBe(1); // backlog 0 admits one (Linux: backlog + 1).
    s.send({ srcPort: 2002, seq: 1, ack: second.seq + 1 });
    expect(listener.pendingAccepts).toBe(1); // Dropped: the accept queue is full.
    expect(open(2003)).toEqual([]);
    expect(listener.overflows).toBe(1);
    expect(listener.accept()!.remote.port).toBe(2001);
    s.send({ srcPort: 2002, seq: 1, ack: second.seq + 1 });
    expect(listener.accept()!.remote.port).toBe(2002);
  });

  it("resets unaccepted children when the listener closes", () => {
    const s = new Script();
    const { listener } = establishPassive(s);
    s.send({ control: "syn", srcPort: 3000, seq: 0 });
    s.recv();
    // Re-queue one established child: the first was accepted by establishPassive.
    listener.close();
    s.poll();
    expect(s.recv().map((seg) => [seg.control, seg.dstPort])).toEqual([["rst", 3000]]);
  });
});

describe("SYN-SENT", () => {
  it("sends a SYN with our options and completes on a SYN-ACK", () => {
    const s = new Script();
    const socket = new TcpSocket();
    const handle = s.sockets.add(socket);
    expect(s.iface.connect(s.sockets, handle, { addr: REMOTE, port: REMOTE_PORT })).toBe("ok");
    expect(socket.local.port).toBeGreaterThanOrEqual(32768);
    s.poll();
    const syn = s.expect({ control: "syn", ack: null, mss: 1460, windowScale: 3, sackPermitted: true });
    expect(syn.timestamp?.tsecr).toBe(0);
    expect(socket.send(new Uint8Array(1))).toBe("again");
    s.send({ control: "syn", dstPort: syn.srcPort, seq: 10_000, ack: syn.seq + 1, windowScale: 2, timestamp: { tsval: 9, tsecr: syn.timestamp!.tsval } });
    s.expect({ seq: syn.seq + 1, ack: 10_001, timestamp: { tsval: expect.any(Number), tsecr: 9 } });
    expect(socket.state).toBe("ESTABLISHED");
    expect(socket.readiness() & 2).toBe(2);
  });

  it("retransmits the SYN with exponential backoff, then times out", () => {
    const s = new Script();
    const socket = new TcpSocket({ synRetries: 2 });
    const handle = s.sockets.add(socket);
    s.iface.connect(s.sockets, handle, { addr: REMOTE, port: REMOTE_PORT }, LOCAL_PORT);
    s.poll();
    const syn = s.expect({ control: "syn" });
    s.advanceTo(999);
    s.expectNothing();
    s.advanceTo(1000);
    s.expect({ control: "syn", seq: syn.seq });
    s.advanceTo(2999);
    s.expectNothing();
    s.advanceTo(3000);
    s.expect({ control: "syn", seq: syn.seq });
    s.advanceTo(7000);
    s.expectNothing();
    expect(socket.state).toBe("CLOSED");
    expect(socket.recv(new Uint8Array(1))).toBe("timed-out");
  });

  it("is refused by a RST that acknowledges the SYN, and ignores one that does not", () => {
    const s = new Script();
    const socket = new TcpSocket();
    s.iface.connect(s.sockets, s.sockets.add(socket), { addr: REMOTE, port: REMOTE_PORT }, LOCAL_PORT);
    s.poll();
    const syn = s.expect({ control: "syn" });
    s.send({ control: "rst", seq: 0 });
    expect(socket.state).toBe("SYN-SENT");
    s.send({ control: "rst", seq: 0, ack: syn.seq + 1 });
    expect(socket.state).toBe("CLOSED");
    expect(socket.readiness() & 16).toBe(16);
    expect(socket.recv(new Uint8Array(1))).toBe("refused");
  });

  it("answers an unacceptable ACK with a RST and stays in SYN-SENT", () => {
    const s = new Script();
    const socket = new TcpSocket();
    s.iface.connect(s.sockets, s.sockets.add(socket), { addr: REMOTE, port: REMOTE_PORT }, LOCAL_PORT);
    s.poll();
    const syn = s.expect({ control: "syn" });
    s.send({ control: "syn", seq: 10_000, ack: syn.seq + 5 });
    s.expect({ control: "rst", seq: syn.seq + 5 });
    expect(socket.state).toBe("SYN-SENT");
  });

  it("handles a simultaneous open: SYN → SYN-RECEIVED (SYN-ACK with our ISS) → ESTABLISHED", () => {
    const s = new Script();
    const socket = new TcpSocket();
    s.iface.connect(s.sockets, s.sockets.add(socket), { addr: REMOTE, port: REMOTE_PORT }, LOCAL_PORT);
    s.poll();
    const syn = s.expect({ control: "syn", ack: null });
    s.send({ control: "syn", seq: 10_000 });
    s.expect({ control: "syn", seq: syn.seq, ack: 10_001 });
    expect(socket.state).toBe("SYN-RECEIVED");
    s.send({ control: "syn", seq: 10_000, ack: syn.seq + 1 }); // The peer's SYN-ACK: a SYN we already have.
    s.send({ seq: 10_001, ack: syn.seq + 1 });
    expect(socket.state).toBe("ESTABLISHED");
  });
});

describe("segments for nobody", () => {
  it("a closed port answers SYN with RST+ACK and an ACK with a RST at its ack number", () => {
    const s = new Script();
    s.send({ control: "syn", seq: 100 });
    s.expect({ control: "rst", seq: 0, ack: 101 });
    s.send({ seq: 100, ack: 5000, payload: new Uint8Array(10) });
    s.expect({ control: "rst", seq: 5000, ack: null });
    s.send({ control: "rst", seq: 100 });
    s.expectNothing();
  });

  it("different connections get different ISNs", () => {
    const s = new Script();
    listen(s);
    s.send({ control: "syn", srcPort: 4001, seq: 0 });
    s.send({ control: "syn", srcPort: 4002, seq: 0 });
    const [a, b] = s.recv();
    expect(a!.seq).not.toBe(b!.seq);
  });
});
