// TCP frame scripts, ESTABLISHED: receiving (delayed ACK, out-of-order with SACK blocks,
// window updates when the application drains), sending (Nagle and TCP_NODELAY), RTO with
// backoff and restart on a new ACK, fast retransmit on the third duplicate ACK, zero
// window and persist probes, RST validation and challenge ACKs (RFC 5961), keep-alive.

import { describe, expect, it } from "vitest";
import { Readiness } from "../../../../net-task/socket/readiness.ts";
import { Script, bytes } from "../_script.ts";
import { establishActive, establishPassive } from "../_tcp.ts";

const R = 10_001; // The remote's first data byte.

describe("receiving", () => {
  it("delivers in-order data, acks a lone segment after the delayed-ACK time and every second full one at once", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    s.send({ seq: R, ack: iss + 1, payload: bytes("hello") });
    expect(socket.readiness() & Readiness.Readable).toBe(Readiness.Readable);
    s.expectNothing();
    s.advanceTo(39);
    s.expectNothing();
    s.advanceTo(40);
    s.expect({ ack: R + 5 });
    const out = new Uint8Array(16);
    expect(socket.recv(out)).toBe(5);
    expect(new TextDecoder().decode(out.subarray(0, 5))).toBe("hello");
    expect(socket.recv(out)).toBe("again");
    s.send({ seq: R + 5, ack: iss + 1, payload: new Uint8Array(1460) });
    s.expectNothing();
    s.send({ seq: R + 1465, ack: iss + 1, payload: new Uint8Array(1460) });
    s.expect({ ack: R + 2925 });
  });

  it("acks out-of-order data at once with SACK blocks, and everything once the hole fills", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s, {}, { sackPermitted: true });
    s.send({ seq: R + 100, ack: iss + 1, payload: new Uint8Array(50).fill(2) });
    s.expect({ ack: R, sackRanges: [[R + 100, R + 150]] });
    s.send({ seq: R + 200, ack: iss + 1, payload: new Uint8Array(50).fill(3) });
    s.expect({ ack: R, sackRanges: [[R + 100, R + 150], [R + 200, R + 250]] });
    expect(socket.recvQueue).toBe(0);
    s.send({ seq: R, ack: iss + 1, payload: new Uint8Array(100).fill(1) });
    s.expect({ ack: R + 150, sackRanges: [[R + 200, R + 250]] });
    const out = new Uint8Array(300);
    expect(socket.recv(out)).toBe(150);
    expect([out[0], out[99], out[100], out[149]]).toEqual([1, 1, 2, 2]);
  });

  it("trims a retransmission that overlaps what it has, and re-acks a wholly old one", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    s.send({ seq: R, ack: iss + 1, payload: bytes("abcd") });
    s.send({ seq: R + 2, ack: iss + 1, payload: bytes("cdef") });
    s.recv();
    s.send({ seq: R, ack: iss + 1, payload: bytes("ab") });
    s.expect({ ack: R + 6 });
    const out = new Uint8Array(10);
    expect(new TextDecoder().decode(out.subarray(0, socket.recv(out) as number))).toBe("abcdef");
  });

  it("advertises a zero window when the buffer fills and a window update once the application drains it", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s, { rxBufferSize: 4096 });
    s.send({ seq: R, ack: iss + 1, payload: new Uint8Array(2048) });
    s.send({ seq: R + 2048, ack: iss + 1, payload: new Uint8Array(2048) });
    s.advanceTo(40);
    s.expect({ ack: R + 4096, window: 0 });
    s.send({ seq: R + 4096, ack: iss + 1, payload: new Uint8Array(10) });
    s.expect({ ack: R + 4096, window: 0 }); // No room: nothing taken, the ACK says so.
    socket.recv(new Uint8Array(4096));
    s.poll();
    s.expect({ ack: R + 4096, window: 4096 });
  });

  it("takes the peer's FIN after its data: ACK, CLOSE-WAIT, end of stream", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    s.send({ control: "fin", seq: R, ack: iss + 1, payload: bytes("bye") });
    s.expect({ ack: R + 4 });
    expect(socket.state).toBe("CLOSE-WAIT");
    expect(socket.readiness() & Readiness.ReadHup).toBe(Readiness.ReadHup);
    const out = new Uint8Array(8);
    expect(socket.recv(out)).toBe(3);
    expect(socket.recv(out)).toBe(0);
  });
});

describe("sending", () => {
  it("Nagle holds a short segment while data is unacknowledged; TCP_NODELAY sends it", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    socket.send(bytes("a"));
    s.poll();
    s.expect({ seq: iss + 1, payload: bytes("a") });
    socket.send(bytes("b"));
    s.poll();
    s.expectNothing();
    s.send({ seq: R, ack: iss + 2 });
    s.expect({ seq: iss + 2, payload: bytes("b") });
    socket.noDelay = true;
    socket.send(bytes("c"));
    s.poll();
    s.expect({ seq: iss + 3, payload: bytes("c") });
  });

  it("sends full segments up to the initial congestion window (10 segments)", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    socket.send(new Uint8Array(20 * 1460));
    s.poll();
    const segs = s.recv();
    expect(segs.length).toBe(10);
    expect(segs.every((seg, i) => seg.seq === iss + 1 + i * 1460 && seg.payload.length === 1460)).toBe(true);
  });

  it("sends a full segment across the send buffer's wrap, with the right bytes", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s, { txBufferSize: 4000 });
    const stream = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) % 251);
    expect(socket.send(stream(0, 2920))).toBe(2920);
    s.poll();
    expect(s.recv().map((seg) => seg.payload.length)).toEqual([1460, 1460]);
    s.send({ seq: R, ack: iss + 1 + 2920 });
    // The ring's head is at 2920 of 4000: the next 1460 bytes wrap at 4000.
    expect(socket.send(stream(2920, 2920))).toBe(2920);
    s.poll();
    const segs = s.recv();
    expect(segs.map((seg) => seg.payload.length)).toEqual([1460, 1460]);
    expect([...segs[0]!.payload]).toEqual([...stream(2920, 1460)]);
    expect([...segs[1]!.payload]).toEqual([...stream(4380, 1460)]);
  });

  it("retransmits on RTO with exponential backoff, and restarts the timer on a new ACK", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    expect(socket.rto).toBe(200); // One RTT sample (0 ms here) from the handshake, Linux's 200 ms floor.
    socket.send(new Uint8Array(2 * 1460));
    s.poll();
    expect(s.recv().length).toBe(2);
    s.advanceTo(199);
    s.expectNothing();
    s.advanceTo(200);
    s.expect({ seq: iss + 1, payload: expect.objectContaining({ length: 1460 }) });
    expect(socket.rto).toBe(400);
    s.advanceTo(599);
    s.expectNothing();
    s.advanceTo(600);
    s.expect({ seq: iss + 1 });
    // The ACK of the first segment ends the backoff and restarts the timer; slow start resends.
    s.send({ seq: R, ack: iss + 1461 });
    expect(socket.rto).toBe(200);
    const resent = s.recv();
    expect(resent.map((seg) => seg.seq)).toEqual([iss + 1461]);
    s.advanceTo(800);
    s.expect({ seq: iss + 1461 });
  });

  it("fast-retransmits the first unacked segment on the third duplicate ACK (NewReno)", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    socket.send(new Uint8Array(6 * 1460));
    s.poll();
    expect(s.recv().length).toBe(6);
    s.send({ seq: R, ack: iss + 1 + 1460 });
    s.recv();
    s.send({ seq: R, ack: iss + 1 + 1460 });
    s.send({ seq: R, ack: iss + 1 + 1460 });
    s.expectNothing();
    s.send({ seq: R, ack: iss + 1 + 1460 });
    const segs = s.recv();
    expect(segs[0]).toMatchObject({ seq: iss + 1 + 1460 });
    expect(segs[0]!.payload.length).toBe(1460);
    // A partial ACK (RFC 6582) retransmits the next hole at once.
    s.send({ seq: R, ack: iss + 1 + 2 * 1460 });
    expect(s.recv().map((seg) => seg.seq)).toContain(iss + 1 + 2 * 1460);
  });

  it("probes a zero window on the persist timer with backoff and sends once it opens", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    s.send({ seq: R, ack: iss + 1, window: 0 });
    socket.send(bytes("data"));
    s.poll();
    s.expectNothing();
    s.advanceTo(200);
    s.expect({ seq: iss, payload: new Uint8Array(0) }); // SND.UNA - 1: the peer must answer.
    s.advanceTo(599);
    s.expectNothing();
    s.advanceTo(600);
    s.expect({ seq: iss });
    s.send({ seq: R, ack: iss + 1, window: 1000 });
    s.expect({ seq: iss + 1, payload: bytes("data") });
    s.advanceTo(5000);
    expect(s.recv().every((seg) => seg.payload.length === 4)).toBe(true); // Retransmissions only, no probes.
  });
});

describe("RST and SYN validation (RFC 5961)", () => {
  it("a RST at exactly RCV.NXT resets the connection", () => {
    const s = new Script();
    const { socket } = establishPassive(s);
    s.send({ control: "rst", seq: R });
    expect(socket.state).toBe("CLOSED");
    expect(socket.readiness() & (Readiness.Error | Readiness.Hup)).toBe(Readiness.Error | Readiness.Hup);
    expect(socket.recv(new Uint8Array(1))).toBe("reset");
    expect(socket.send(new Uint8Array(1))).toBe("closed");
  });

  it("a RST inside the window but not at RCV.NXT gets a challenge ACK; one outside is ignored", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    s.send({ control: "rst", seq: R + 100 });
    s.expect({ control: "none", seq: iss + 1, ack: R });
    s.send({ control: "rst", seq: R + 1_000_000 });
    s.expectNothing();
    expect(socket.state).toBe("ESTABLISHED");
  });

  it("a SYN on an established connection gets a challenge ACK", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    s.send({ control: "syn", seq: R + 5 });
    s.expect({ control: "none", seq: iss + 1, ack: R });
    expect(socket.state).toBe("ESTABLISHED");
  });

  it("an ACK for data never sent is answered with an ACK and ignored", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    s.send({ seq: R, ack: iss + 1000, payload: bytes("x") });
    s.expect({ ack: R });
    expect(socket.recvQueue).toBe(0);
  });

  it("a segment outside the window is answered with an ACK and dropped", () => {
    const s = new Script();
    const { socket } = establishPassive(s);
    s.send({ seq: R + 10_000_000, payload: bytes("x") });
    s.expect({ ack: R });
    expect(socket.recvQueue).toBe(0);
  });
});

describe("keep-alive", () => {
  it("probes an idle connection and resets it when every probe goes unanswered", () => {
    const s = new Script();
    const { socket, iss } = establishActive(s, { keepAlive: true, keepAliveIdle: 10_000, keepAliveInterval: 1000, keepAliveCount: 2 });
    s.advanceTo(10_000);
    s.expect({ seq: iss, payload: new Uint8Array(0) });
    s.send({ seq: R, ack: iss + 1 }); // Answered: idle again.
    s.advanceTo(20_000);
    s.expect({ seq: iss });
    s.advanceTo(21_000);
    s.expect({ seq: iss });
    s.advanceTo(22_000);
    s.expect({ control: "rst" });
    expect(socket.recv(new Uint8Array(1))).toBe("timed-out");
  });
});
