// Default signal actions against signal(7), and the sigset bit helpers.
import { describe, expect, it } from "vitest";
import * as abi from "../../../linux-abi/mod.ts";

/**
 * The "Action" column of signal(7)'s table of standard signals (Linux man-pages 6.x), by
 * number on x86-64; "Real-time signals": "The default action for an unhandled real-time
 * signal is to terminate the receiving process."
 */
const SIGNAL_7: Readonly<Record<number, [string, abi.SigDefaultAction]>> = {
  1: ["SIGHUP", "term"],
  2: ["SIGINT", "term"],
  3: ["SIGQUIT", "core"],
  4: ["SIGILL", "core"],
  5: ["SIGTRAP", "core"],
  6: ["SIGABRT", "core"],
  7: ["SIGBUS", "core"],
  8: ["SIGFPE", "core"],
  9: ["SIGKILL", "term"],
  10: ["SIGUSR1", "term"],
  11: ["SIGSEGV", "core"],
  12: ["SIGUSR2", "term"],
  13: ["SIGPIPE", "term"],
  14: ["SIGALRM", "term"],
  15: ["SIGTERM", "term"],
  16: ["SIGSTKFLT", "term"],
  17: ["SIGCHLD", "ign"],
  18: ["SIGCONT", "cont"],
  19: ["SIGSTOP", "stop"],
  20: ["SIGTSTP", "stop"],
  21: ["SIGTTIN", "stop"],
  22: ["SIGTTOU", "stop"],
  23: ["SIGURG", "ign"],
  24: ["SIGXCPU", "core"],
  25: ["SIGXFSZ", "core"],
  26: ["SIGVTALRM", "term"],
  27: ["SIGPROF", "term"],
  28: ["SIGWINCH", "ign"],
  29: ["SIGIO", "term"],
  30: ["SIGPWR", "term"],
  31: ["SIGSYS", "core"],
};

describe("default signal actions", () => {
  it("match signal(7) for signals 1..31 and terminate for 32..64", () => {
    for (let sig = 1; sig <= 64; sig++) {
      const [name, action] = SIGNAL_7[sig] ?? [`SIGRT ${sig}`, "term"];
      expect([sig, name, abi.defaultAction(sig)]).toEqual([sig, name, action]);
      if (sig <= 31) expect(abi.signalName(sig)).toBe(name);
    }
  });

  it("the table is frozen, indexed by signal number, and rejects non-signals", () => {
    expect(Object.isFrozen(abi.SIG_DEFAULT_ACTIONS)).toBe(true);
    expect(abi.SIG_DEFAULT_ACTIONS.length).toBe(65);
    expect(abi.SIG_DEFAULT_ACTIONS[0]).toBeUndefined();
    expect(abi.SIG_DEFAULT_ACTIONS[abi.SIGSTOP]).toBe("stop");
    for (const bad of [0, -1, 65, 1.5, Number.NaN]) expect(() => abi.defaultAction(bad)).toThrow(RangeError);
  });

  it("the kernel's classes agree with the table", () => {
    for (let sig = 1; sig <= 64; sig++) {
      const a = abi.defaultAction(sig);
      expect([sig, abi.sig_kernel_coredump(sig)]).toEqual([sig, a === "core"]);
      expect([sig, abi.sig_kernel_stop(sig)]).toEqual([sig, a === "stop"]);
      expect([sig, abi.sig_kernel_ignore(sig)]).toEqual([sig, a === "ign" || a === "cont"]);
      expect([sig, abi.sig_kernel_only(sig)]).toEqual([sig, sig === 9 || sig === 19]);
    }
  });
});

describe("sigset helpers", () => {
  it("sigmask() sets bit sig - 1, up to bit 63", () => {
    expect(abi.sigmask(1)).toBe(1n);
    expect(abi.sigmask(abi.SIGKILL)).toBe(0x100n);
    expect(abi.sigmask(64)).toBe(0x8000000000000000n);
    expect(abi.SIG_KERNEL_ONLY_MASK).toBe(0x40100n);
  });

  it("add, delete, test; masking out SIGKILL and SIGSTOP keeps a non-negative set", () => {
    let set = abi.sigaddset(0n, abi.SIGINT);
    set = abi.sigaddset(set, 64);
    expect(abi.sigismember(set, abi.SIGINT)).toBe(true);
    expect(abi.sigismember(set, abi.SIGQUIT)).toBe(false);
    set = abi.sigdelset(set, abi.SIGINT);
    expect(set).toBe(1n << 63n);
    const all = (1n << 64n) - 1n;
    expect(all & ~abi.SIG_KERNEL_ONLY_MASK).toBe(0xfffffffffffbfeffn);
  });
});
