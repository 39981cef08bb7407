import { describe, expect, it } from "vitest";
import { KernelError } from "../../../microkernel/errors.ts";
import { RootSlot } from "../../../microkernel/kernel.ts";
import { getWord, setWord } from "../../../microkernel/message.ts";
import { Rights } from "../../../microkernel/rights.ts";
import type { Reply } from "../../../microkernel/reply.ts";
import { boot, make, mint, thread } from "./_boot.ts";

const C = RootSlot.CNode;
const EP = 20;

function setup() {
  const k = boot();
  make(k, "Endpoint", EP);
  const client = thread(k, 10);
  const server = thread(k, 11);
  return { k, client, server };
}

describe("reply", () => {
  it("call() and reply() make a round trip", () => {
    const { k, client, server } = setup();
    let woke = 0;
    client.onWake = () => woke++;
    expect(k.recv(server, EP).status).toBe("blocked");
    setWord(client.buffer, 0, 20);
    expect(k.call(client, EP, 5, 1).status).toBe("blocked");
    expect(client.state).toBe("BlockedOnReply");
    expect(client.reply.armed).toBe(true);
    expect(server.callerReply).toBe(client.reply);
    setWord(server.buffer, 0, getWord(server.buffer, 0) * 2);
    expect(k.reply(server, 0, 1).status).toBe("completed");
    expect(woke).toBe(1);
    expect(client.state).toBe("Running");
    expect(getWord(client.buffer, 0)).toBe(40);
    expect([client.info.label, client.badge]).toEqual([0, 0]);
    expect(client.reply.armed).toBe(false);
  });

  it("a receiver answering inside onWake completes the call synchronously", () => {
    const { k, client, server } = setup();
    let clientWoke = 0;
    client.onWake = () => clientWoke++;
    server.onWake = (s) => {
      setWord(s.buffer, 0, 99);
      k.replyRecv(s, EP, 1, 1);
    };
    k.recv(server, EP);
    expect(k.call(client, EP, 0, 0).status).toBe("completed");
    expect(getWord(client.buffer, 0)).toBe(99);
    expect(clientWoke).toBe(0);
    expect(server.state).toBe("BlockedOnRecv");
  });

  it("a reply given later wakes the caller", async () => {
    const { k, client, server } = setup();
    const done = new Promise<number>((resolve) => (client.onWake = (t) => resolve(getWord(t.buffer, 0))));
    k.recv(server, EP);
    k.call(client, EP, 0, 0);
    const handle = server.callerReply as Reply;
    k.recv(server, EP);
    setTimeout(() => {
      setWord(handle.server!.buffer, 0, 7);
      k.replyWith(handle, 0, 1);
    }, 1);
    expect(await done).toBe(7);
  });

  it("replying to a thread no longer waiting is a no-op", () => {
    const { k, client, server } = setup();
    k.recv(server, EP);
    k.call(client, EP, 0, 0);
    const stale = server.callerReply as Reply;
    expect(k.tcbSuspend(k.rootTcb, 10).error).toBe(KernelError.Ok);
    expect(client.reply).not.toBe(stale);
    k.tcbResume(k.rootTcb, 10);
    // The client calls again; the stale handle must not answer the new call.
    k.call(client, EP, 0, 0);
    expect(client.state).toBe("BlockedOnSend");
    k.recv(server, EP);
    expect(client.state).toBe("BlockedOnReply");
    expect(k.replyWith(stale, 3, 0).status).toBe("completed");
    expect(client.state).toBe("BlockedOnReply");
    k.reply(server, 4, 0);
    expect([client.state, client.info.label]).toEqual(["Running", 4]);
    k.reply(server, 5, 0);
    expect(client.info.label).toBe(4);
  });

  it("a reply carries caps only if the receiver's endpoint cap has Grant", () => {
    const { k, client, server } = setup();
    make(k, "Notification", 30);
    mint(k, 21, EP, Rights.Read);
    client.receiveCnodeCptr = C;
    client.receiveIndex = 40;
    server.capsOut[0] = 30;
    k.recv(server, 21);
    k.call(client, EP, 0, 0);
    k.reply(server, 0, 0, 1);
    expect(client.info.extraCaps).toBe(0);
    k.recv(server, EP);
    k.call(client, EP, 0, 0);
    k.reply(server, 0, 0, 1);
    expect(client.info.extraCaps).toBe(1);
    expect(k.rootCnode.capAt(40)!.object.kind).toBe("Notification");
  });

  it("cnodeSaveCaller() keeps the reply as a one-shot cap answered by send()", () => {
    const { k, client, server } = setup();
    k.recv(server, EP);
    k.call(client, EP, 0, 0);
    expect(k.cnodeSaveCaller(server, C, 50).error).toBe(KernelError.Ok);
    expect(server.callerReply).toBeNull();
    expect(k.reply(server, 1, 0).status).toBe("completed");
    expect(client.state).toBe("BlockedOnReply");
    expect(k.send(server, 50, 8, 0).status).toBe("completed");
    expect([client.state, client.info.label]).toEqual(["Running", 8]);
    expect(k.rootCnode.capAt(50)).toBeNull();
  });
});
