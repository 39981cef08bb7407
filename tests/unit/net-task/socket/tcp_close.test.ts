// TCP frame scripts, closing: active close (FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED),
// passive close (CLOSE-WAIT → LAST-ACK → CLOSED), simultaneous close (CLOSING), FIN
// retransmission, TIME-WAIT re-acking a retransmitted FIN and expiring, abort with RST,
// and the socket set reaping a released connection once it has closed.

import { describe, expect, it } from "vitest";
import { Readiness } from "../../../../net-task/socket/readiness.ts";
import { Script, bytes } from "../_script.ts";
import { establishPassive } from "../_tcp.ts";

const R = 10_001;

describe("active close", () => {
  it("FIN after the data, FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT, CLOSED after 2·MSL", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s, { timeWait: 60_000 });
    socket.send(bytes("last"));
    socket.close();
    expect(socket.state).toBe("FIN-WAIT-1");
    expect(socket.send(bytes("more"))).toBe("closed");
    s.poll();
    s.expect({ control: "fin", seq: iss + 1, payload: bytes("last") });
    s.send({ seq: R, ack: iss + 6 });
    expect(socket.state).toBe("FIN-WAIT-2");
    s.send({ control: "fin", seq: R, ack: iss + 6 });
    s.expect({ control: "none", seq: iss + 6, ack: R + 1 });
    expect(socket.state).toBe("TIME-WAIT");
    s.advanceTo(30_000);
    s.send({ control: "fin", seq: R, ack: iss + 6 }); // A retransmitted FIN: ACK again, restart 2·MSL.
    s.expect({ ack: R + 1 });
    s.advanceTo(89_999);
    expect(socket.state).toBe("TIME-WAIT");
    s.advanceTo(90_000);
    expect(socket.state).toBe("CLOSED");
    expect(socket.error).toBeNull();
  });

  it("retransmits an unacknowledged FIN on the RTO", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    socket.close();
    s.poll();
    s.expect({ control: "fin", seq: iss + 1 });
    s.advanceTo(200);
    s.expect({ control: "fin", seq: iss + 1 });
  });

  it("FIN-WAIT-1 with the peer's FIN and our FIN acked together goes straight to TIME-WAIT", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    socket.close();
    s.poll();
    s.recv();
    s.send({ control: "fin", seq: R, ack: iss + 2 });
    s.expect({ ack: R + 1 });
    expect(socket.state).toBe("TIME-WAIT");
  });
});

describe("passive close", () => {
  it("CLOSE-WAIT until the application closes, LAST-ACK, CLOSED on the ACK", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    s.send({ control: "fin", seq: R, ack: iss + 1 });
    s.expect({ ack: R + 1 });
    expect(socket.state).toBe("CLOSE-WAIT");
    expect(socket.send(bytes("reply"))).toBe(5); // Half-close: we may still send.
    socket.close();
    expect(socket.state).toBe("LAST-ACK");
    s.poll();
    s.expect({ control: "fin", seq: iss + 1, payload: bytes("reply") });
    s.send({ seq: R + 1, ack: iss + 7 });
    expect(socket.state).toBe("CLOSED");
    expect(socket.readiness() & Readiness.Hup).toBe(Readiness.Hup);
  });
});

describe("simultaneous close", () => {
  it("FIN-WAIT-1 → CLOSING on the peer's FIN, TIME-WAIT once our FIN is acked", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    socket.close();
    s.poll();
    s.expect({ control: "fin", seq: iss + 1, ack: R });
    s.send({ control: "fin", seq: R, ack: iss + 1 });
    s.expect({ control: "none", seq: iss + 2, ack: R + 1 });
    expect(socket.state).toBe("CLOSING");
    s.send({ seq: R + 1, ack: iss + 2 });
    expect(socket.state).toBe("TIME-WAIT");
  });
});

describe("abort and reaping", () => {
  it("abort() sends a RST and closes at once", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    socket.abort();
    s.poll();
    s.expect({ control: "rst", seq: iss + 1 });
    expect(socket.state).toBe("CLOSED");
  });

  it("a released connection finishes its close on its own and then leaves the set", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s, { timeWait: 1000 });
    expect(s.sockets.size).toBe(2);
    socket.close();
    s.sockets.release(socket.handle);
    s.poll();
    s.expect({ control: "fin" });
    s.send({ control: "fin", seq: R, ack: iss + 2 });
    s.recv();
    expect(s.sockets.size).toBe(2);
    s.advanceTo(1000);
    expect(s.sockets.size).toBe(1); // The listener remains.
    expect(socket.handle).toBe(-1);
  });

  it("the waker is called when data arrives and when the state changes", () => {
    const s = new Script();
    const { socket, iss } = establishPassive(s);
    let wakes = 0;
    socket.setWaker(() => wakes++);
    s.send({ seq: R, ack: iss + 1, payload: bytes("x") });
    expect(wakes).toBeGreaterThan(0);
    const before = wakes;
    s.send({ control: "rst", seq: R + 1 });
    expect(wakes).toBeGreaterThan(before);
  });
});
