// Processes and threads for unit tests: real GuestMemory over a FakeVSpace, no CPU engine.
import { initialCredentials } from "../../../libos/creds.ts";
import { FdTable } from "../../../libos/file.ts";
import { GuestMemory, MemoryIds, PROT_READ, PROT_WRITE } from "../../../libos/memory.ts";
import { FsContext, Process, SignalHandlers, Thread } from "../../../libos/process.ts";
import { SI_USER, type Siginfo } from "../../../linux-abi/siginfo.ts";
import { SIGCHLD } from "../../../linux-abi/signal.ts";
import { FakeVSpace } from "./_fake_vspace.ts";

export const RW = PROT_READ | PROT_WRITE;

let nextPid = 1000;

/** A running process over `memory` (a fresh one over a FakeVSpace by default). */
export function makeProcess(memory: GuestMemory = new GuestMemory(new FakeVSpace(), new MemoryIds()), parent: Process | null = null): Process {
  const pid = nextPid++;
  return new Process(pid, parent, memory, new FdTable(), new FsContext("/"), new SignalHandlers(), initialCredentials(0, 0, []), "/bin/test", ["test"], SIGCHLD);
}

/** A thread of `p`, registered in its thread map (the first one gets tid = pid). */
export function makeThread(p: Process = makeProcess()): Thread {
  const tid = p.threads.size === 0 ? p.pid : nextPid++;
  const t = new Thread(tid, p);
  p.threads.set(tid, t);
  return t;
}

/** A kill(2)-style siginfo. */
export function killInfo(sig: number, pid = 1): Siginfo {
  return { layout: "kill", si_signo: sig, si_errno: 0, si_code: SI_USER, si_pid: pid, si_uid: 0 };
}

/** Let queued microtasks (WaitQueue wake-up passes and the promise chains after them) run. */
export async function flushMicrotasks(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Follow a promise's settlement without awaiting it. */
export function track<T>(p: Promise<T>): { settled: boolean; value: T | undefined } {
  const s: { settled: boolean; value: T | undefined } = { settled: false, value: undefined };
  void p.then((v) => {
    s.settled = true;
    s.value = v;
  });
  return s;
}
