import { describe, expect, it } from "vitest";
import { KernelError } from "../../../microkernel/errors.ts";
import { RootSlot } from "../../../microkernel/kernel.ts";
import { getWord, setWord } from "../../../microkernel/message.ts";
import type { Reply } from "../../../microkernel/reply.ts";
import { Rights } from "../../../microkernel/rights.ts";
import type { Tcb } from "../../../microkernel/tcb.ts";
import { boot, make, mint, thread } from "./_boot.ts";

const EP = 20;

describe("passive", () => {
  it("a passive server answering synchronously completes the call in the same JS turn", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    mint(k, 21, EP, Rights.Write | Rights.GrantReply, 0x55);
    const server = thread(k, 10);
    const client = thread(k, 11);
    const seen: number[] = [];
    expect(
      k.serve(server, EP, {
        protected(s, badge, reply) {
          seen.push(badge, s.info.label);
          setWord(s.buffer, 0, getWord(s.buffer, 0) + 1);
          k.replyWith(reply!, 0, 1);
        },
      }).status,
    ).toBe("blocked");
    expect(server.state).toBe("BlockedOnRecv");
    setWord(client.buffer, 0, 41);
    expect(k.call(client, 21, 3, 1)).toEqual({ error: KernelError.Ok, status: "completed" });
    expect(getWord(client.buffer, 0)).toBe(42);
    expect(seen).toEqual([0x55, 3]);
    expect(server.state).toBe("BlockedOnRecv");
  });

  it("a passive server may keep the reply and answer later", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    const server = thread(k, 10);
    const client = thread(k, 11);
    let kept: Reply | null = null;
    k.serve(server, EP, { protected: (_s, _b, reply) => void (kept = reply) });
    let woke = 0;
    client.onWake = () => woke++;
    expect(k.call(client, EP, 0, 0).status).toBe("blocked");
    expect(client.state).toBe("BlockedOnReply");
    setWord(server.buffer, 0, 9);
    k.replyWith(kept!, 0, 1);
    expect([woke, client.state, getWord(client.buffer, 0)]).toEqual([1, "Running", 9]);
    // A used handle does nothing.
    k.replyWith(kept!, 0, 1);
    expect(woke).toBe(1);
  });

  it("a passive server wakes a deferred guest caller onto the run queue", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    const server = thread(k, 10);
    const guest = thread(k, 11, { threadKind: "guest" });
    k.scheduler.dequeue(guest);
    let kept: Reply | null = null;
    k.serve(server, EP, { protected: (_s, _b, reply) => void (kept = reply) });
    k.call(guest, EP, 0, 0);
    expect(k.scheduler.size).toBe(0);
    k.replyWith(kept!, 0, 0);
    expect(k.scheduler.pickNext()).toBe(guest);
  });

  it("nested calls between passive servers form a call chain", () => {
    const k = boot();
    make(k, "Endpoint", 20);
    make(k, "Endpoint", 21);
    const front = thread(k, 10);
    const back = thread(k, 11);
    const client = thread(k, 12);
    k.serve(back, 21, {
      protected(s, _badge, reply) {
        setWord(s.buffer, 0, getWord(s.buffer, 0) * 10);
        k.replyWith(reply!, 0, 1);
      },
    });
    k.serve(front, 20, {
      protected(s, _badge, reply) {
        expect(k.call(s, 21, 0, 1).status).toBe("completed");
        setWord(s.buffer, 0, getWord(s.buffer, 0) + 1);
        k.replyWith(reply!, 0, 1);
      },
    });
    setWord(client.buffer, 0, 4);
    expect(k.call(client, 20, 0, 1).status).toBe("completed");
    expect(getWord(client.buffer, 0)).toBe(41);
    expect([front.state, back.state]).toEqual(["BlockedOnRecv", "BlockedOnRecv"]);
  });

  it("a server re-entered while busy queues the sender and serves it after returning", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    const server = thread(k, 10);
    const a = thread(k, 11);
    const b = thread(k, 12);
    const order: string[] = [];
    let bResult = "";
    k.serve(server, EP, {
      protected(s, _badge, reply) {
        order.push(`start ${s.info.label}`);
        if (s.info.label === 1) bResult = k.call(b, EP, 2, 0).status;
        order.push(`end ${s.info.label}`);
        k.replyWith(reply!, s.info.label * 100, 0);
      },
    });
    let bWoke = 0;
    b.onWake = () => bWoke++;
    expect(k.call(a, EP, 1, 0).status).toBe("completed");
    expect(bResult).toBe("blocked");
    expect(order).toEqual(["start 1", "end 1", "start 2", "end 2"]);
    expect([a.info.label, b.info.label, bWoke]).toEqual([100, 200, 1]);
  });

  it("a handler whose nested call blocks resumes serving when the answer comes", () => {
    const k = boot();
    make(k, "Endpoint", 20);
    make(k, "Endpoint", 21);
    const front = thread(k, 10);
    const back = thread(k, 11);
    const client = thread(k, 12);
    const other = thread(k, 13);
    let pending: Reply | null = null;
    let backReply: Reply | null = null;
    k.serve(back, 21, { protected: (_s, _b, reply) => void (backReply = reply) });
    k.serve(front, 20, {
      protected(s, _badge, reply) {
        pending = reply;
        expect(k.call(s, 21, 0, 0).status).toBe("blocked");
      },
    });
    front.onWake = (s) => k.replyWith(pending!, s.info.label + 1, 0);
    expect(k.call(client, 20, 0, 0).status).toBe("blocked");
    expect(front.state).toBe("BlockedOnReply");
    expect(k.call(other, 20, 0, 0).status).toBe("blocked");
    expect(other.state).toBe("BlockedOnSend");
    k.replyWith(backReply!, 6, 0);
    expect([client.state, client.info.label]).toEqual(["Running", 7]);
    // Serving resumed: the queued caller got in and is now parked in front's nested call.
    expect([other.state, front.state]).toEqual(["BlockedOnReply", "BlockedOnReply"]);
  });

  it("a bound notification enters notified()", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    make(k, "Notification", 30);
    mint(k, 31, 30, Rights.Write, 4);
    const server = thread(k, 10);
    const bits: number[] = [];
    k.tcbBindNotification(k.rootTcb, 10, 30);
    k.serve(server, EP, { protected() {}, notified: (_s, b) => void bits.push(b) });
    k.signal(k.rootTcb, 31);
    expect(bits).toEqual([4]);
    expect(server.state).toBe("BlockedOnRecv");
  });

  it("serve() refuses guests, non-running threads and caps without Read", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    mint(k, 21, EP, Rights.Write);
    const guest = thread(k, 10, { threadKind: "guest" });
    const native = thread(k, 11);
    const idle = make<Tcb>(k, "Tcb", 12);
    const handler = { protected() {} };
    expect(k.serve(guest, EP, handler).error).toBe(KernelError.IllegalOperation);
    expect(k.serve(idle, EP, handler).error).toBe(KernelError.IllegalOperation);
    expect(k.serve(native, 21, handler).error).toBe(KernelError.InvalidCapability);
    expect(k.serve(native, EP, handler).status).toBe("blocked");
    expect(k.recv(native, EP).error).toBe(KernelError.IllegalOperation);
  });

  it("deleting the endpoint stops the server and tells its owner", () => {
    const k = boot();
    make(k, "Endpoint", EP);
    const server = thread(k, 10);
    let woke = 0;
    server.onWake = () => woke++;
    k.serve(server, EP, { protected() {} });
    k.cnodeDelete(k.rootTcb, RootSlot.CNode, EP);
    expect([server.passive, server.state, server.ipcError, woke]).toEqual([null, "Running", KernelError.InvalidCapability, 1]);
  });
});
