// clone(2), clone3(2), fork and vfork: a new thread in the caller's process, or a new
// process (Linux: kernel/fork.c, copy_process).
//
// A thread (CLONE_THREAD) shares everything but its registers, mask and tid words. A
// process gets the caller's address space copied on write (or shared: CLONE_VM, vfork),
// and shares or copies each part Linux lets clone choose: descriptors (CLONE_FILES), cwd
// and root (CLONE_FS), signal dispositions (CLONE_SIGHAND). A vfork parent sleeps until
// the child execs or exits (exit.ts releaseVfork). Either way the new thread starts as a
// copy of the caller's registers with RAX = 0 (machine.ts startThread).

import { EAGAIN, EFAULT, EINVAL, ENOMEM } from "../linux-abi/errno.ts";
import {
  CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_FS, CLONE_PARENT, CLONE_PARENT_SETTID, CLONE_SETTLS,
  CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_VM,
} from "../linux-abi/sched.ts";
import { getWord, setWord } from "../microkernel/mod.ts";
import { Msg } from "../syscall-shim/x86_64.ts";
import { setExe, u32Bytes, type ExitContext } from "./exit.ts";
import type { GuestMemory } from "./memory.ts";
import { Process, Thread } from "./process.ts";
import type { SyscallResult } from "./sys/context.ts";
import { AGAIN, WaitQueue, sleep } from "./wait_queue.ts";

/** What a fork copies of each side's stack at once: the red zone below SP and a little above. */
const FORK_STACK_BELOW = 256, FORK_STACK_BYTES = 512;

/** The copy-on-write stack around `sp` made private (its granule copied), when it is a writable one. */
function unshareStack(memory: GuestMemory, sp: number): void {
  if (memory.isCopyOnWrite(sp)) memory.unshare(sp - FORK_STACK_BELOW, FORK_STACK_BYTES);
}

/** The arguments of clone(2) and clone3(2) past the flags. */
export interface CloneArgs {
  stack: number;
  parentTid: number;
  childTid: number;
  tls: number;
  exitSignal: number;
}

/** Returns the child's tid, or a Promise of it for vfork. */
export function clone(k: ExitContext, t: Thread, flags: number, args: CloneArgs): SyscallResult {
  const p = t.process;
  if (flags & CLONE_THREAD && (flags & (CLONE_SIGHAND | CLONE_VM)) !== (CLONE_SIGHAND | CLONE_VM)) return -EINVAL;
  if (flags & CLONE_SIGHAND && !(flags & CLONE_VM)) return -EINVAL;
  if (k.table.overProcessLimit(t)) return -EAGAIN;
  const tid = k.table.allocPid();
  if (tid < 0) return -EAGAIN;
  const settls = flags & CLONE_SETTLS ? args.tls : null;
  const edit = (regs: Uint32Array): void => {
    setWord(regs, Msg.rax, 0);
    if (args.stack) setWord(regs, Msg.rsp, args.stack);
  };
  if (flags & CLONE_THREAD) {
    const child = new Thread(tid, p, t.creds);
    child.sigmask = t.sigmask;
    child.sched = { ...t.sched };
    child.name = t.name;
    if (flags & CLONE_CHILD_CLEARTID) child.clearChildTid = args.childTid;
    if (flags & CLONE_PARENT_SETTID && !p.memory.write(args.parentTid, u32Bytes(tid))) return -EFAULT;
    if (flags & CLONE_CHILD_SETTID && !p.memory.write(args.childTid, u32Bytes(tid))) return -EFAULT;
    k.keys.cloned(t, child, true);
    k.table.register(child);
    if (!k.machine.startThread(child, t, settls, edit)) {
      k.table.unregister(child);
      return -EAGAIN;
    }
    return tid;
  }
  // Linux's copy_process: EAGAIN when no more tasks fit (threads-max, here the quota),
  // ENOMEM when the memory does not.
  if (flags & CLONE_PARENT_SETTID && !p.memory.write(args.parentTid, u32Bytes(tid))) return -EFAULT;
  if (!k.machine.reserveProcess()) return -EAGAIN;
  let memory: GuestMemory | null;
  if (flags & CLONE_VM) {
    memory = p.memory;
  } else {
    memory = k.machine.forkSpace(p.memory);
    if (!memory) {
      k.machine.releaseProcess();
      return -ENOMEM;
    }
    k.ipc.shm.spaceChanged(p.pid, memory, "forked");
    // Both sides write their stack as soon as fork returns: its copy-on-write granules
    // are copied now rather than in two faults (on KVM each fault is a VM exit, ~0.1 ms).
    // Best effort: without memory for a copy, the fault makes it later as it would have.
    const sp = getWord(k.machine.context(t).regs, Msg.rsp);
    unshareStack(p.memory, sp);
    unshareStack(memory, args.stack || sp);
  }
  k.machine.shareSpace(memory);
  // CLONE_PARENT: a sibling, which tells the shared parent of its end as the caller would
  // (Linux: copy_process takes the caller's own exit_signal, not clone's argument).
  const parent = flags & CLONE_PARENT ? p.parent : p;
  const fds = flags & CLONE_FILES ? p.fds.share() : p.fds.clone();
  const child = new Process(
    tid, parent, memory, fds, flags & CLONE_FS ? p.fs : p.fs.copy(),
    flags & CLONE_SIGHAND ? p.handlers : p.handlers.copy(), t.creds, p.exe, p.argv,
    flags & CLONE_PARENT ? p.exitSignal : args.exitSignal,
  );
  child.pgid = p.pgid;
  child.sid = p.sid;
  child.ctty = p.ctty;
  child.envp = p.envp;
  child.rlimits = new Map(p.rlimits);
  child.membarrierPrivate = p.membarrierPrivate;
  child.personality = p.personality;
  child.interpreter = p.interpreter;
  const ct = new Thread(tid, child);
  ct.sigmask = t.sigmask;
  ct.sched = { ...t.sched };
  ct.altStack = { ...t.altStack };
  ct.name = t.name;
  if (flags & CLONE_CHILD_CLEARTID) ct.clearChildTid = args.childTid;
  if (flags & CLONE_CHILD_SETTID) memory.write(args.childTid, u32Bytes(tid));
  k.keys.cloned(t, ct, false);
  if (p.exeInode && k.writeAccess.deny(p.exeInode) === 0) child.exeInode = p.exeInode;
  k.table.processes.set(tid, child);
  parent?.children.add(child);
  k.table.register(ct);
  if (!k.machine.startThread(ct, t, settls, edit)) {
    k.table.unregister(ct);
    setExe(k, child, null);
    k.table.processes.delete(tid);
    parent?.children.delete(child);
    k.machine.releaseSpace(memory);
    k.machine.releaseProcess();
    return -ENOMEM;
  }
  if (!(flags & CLONE_VFORK)) return tid;
  child.vforkDone = new WaitQueue();
  const done = child.vforkDone;
  return sleep(t, [done], () => (child.vforkDone === null ? tid : AGAIN), { killableOnly: true });
}
