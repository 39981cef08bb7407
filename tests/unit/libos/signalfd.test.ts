import { describe, expect, it } from "vitest";
import { EAGAIN, EINVAL } from "../../../linux-abi/errno.ts";
import { POLLIN } from "../../../linux-abi/poll.ts";
import { SIGUSR1, SIGUSR2, sigmask } from "../../../linux-abi/signal.ts";
import { SIZEOF_SIGNALFD_SIGINFO } from "../../../linux-abi/signalfd.ts";
import { SignalFd } from "../../../libos/signalfd.ts";
import { killInfo, makeProcess, makeThread } from "./_fake_process.ts";

/** The signal numbers of one read of up to `max` records, or -errno. */
function signos(fd: SignalFd, caller: ReturnType<typeof makeThread>, max = 4): number[] | number {
  const b = new Uint8Array(max * SIZEOF_SIGNALFD_SIGINFO);
  const n = fd.read(b, -1, caller);
  if (n < 0) return n;
  const v = new DataView(b.buffer);
  return Array.from({ length: n / SIZEOF_SIGNALFD_SIGINFO }, (_, i) => v.getUint32(i * SIZEOF_SIGNALFD_SIGINFO, true));
}

describe("SignalFd", () => {
  it("dequeues the caller's signals of its mask: the thread's own first, then its process's", () => {
    const p = makeProcess();
    const t = makeThread(p);
    const fd = new SignalFd(sigmask(SIGUSR1) | sigmask(SIGUSR2), t, () => t);
    expect(fd.poll(t)).toBe(0);
    p.pending.add(killInfo(SIGUSR1));
    t.pending.add(killInfo(SIGUSR2));
    expect(fd.poll(t)).toBe(POLLIN);
    expect(signos(fd, t)).toEqual([SIGUSR2, SIGUSR1]);
    expect(signos(fd, t)).toBe(-EAGAIN);
  });

  it("leaves signals outside its mask, and reads them after setMask()", () => {
    const t = makeThread();
    const fd = new SignalFd(sigmask(SIGUSR1), t, () => t);
    t.process.pending.add(killInfo(SIGUSR2));
    expect(signos(fd, t)).toBe(-EAGAIN);
    fd.setMask(sigmask(SIGUSR2));
    expect(signos(fd, t)).toEqual([SIGUSR2]);
  });

  it("needs room for one record and a reading thread", () => {
    const t = makeThread();
    const fd = new SignalFd(sigmask(SIGUSR1), t, () => t);
    expect(fd.read(new Uint8Array(SIZEOF_SIGNALFD_SIGINFO - 1), -1, t)).toBe(-EINVAL);
    expect(fd.read(new Uint8Array(SIZEOF_SIGNALFD_SIGINFO), -1)).toBe(-EINVAL);
  });

  it("waits on the caller's signal handlers' queue", () => {
    const a = makeThread(), b = makeThread();
    let caller = a;
    const fd = new SignalFd(sigmask(SIGUSR1), a, () => caller);
    expect(fd.readiness).toBe(a.process.handlers.signalfdReadiness);
    caller = b;
    expect(fd.readiness).toBe(b.process.handlers.signalfdReadiness);
  });
});
