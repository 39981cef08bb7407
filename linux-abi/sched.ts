// Linux: include/uapi/linux/sched.h (clone flags and struct clone_args of clone3(2)).

import { getUint64 } from "./_int64.ts";

/** The exit signal in the low byte of clone(2) flags. */
export const CSIGNAL = 0x000000ff;
export const CLONE_NEWTIME = 0x00000080;
export const CLONE_VM = 0x00000100;
export const CLONE_FS = 0x00000200;
export const CLONE_FILES = 0x00000400;
export const CLONE_SIGHAND = 0x00000800;
export const CLONE_PIDFD = 0x00001000;
export const CLONE_PTRACE = 0x00002000;
export const CLONE_VFORK = 0x00004000;
export const CLONE_PARENT = 0x00008000;
export const CLONE_THREAD = 0x00010000;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_SYSVSEM = 0x00040000;
export const CLONE_SETTLS = 0x00080000;
export const CLONE_PARENT_SETTID = 0x00100000;
export const CLONE_CHILD_CLEARTID = 0x00200000;
export const CLONE_DETACHED = 0x00400000;
export const CLONE_UNTRACED = 0x00800000;
export const CLONE_CHILD_SETTID = 0x01000000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
export const CLONE_IO = 0x80000000;
/** clone3(2) only: above 32 bits. */
export const CLONE_CLEAR_SIGHAND = 2 ** 32;
/** clone3(2) only: above 32 bits. */
export const CLONE_INTO_CGROUP = 2 ** 33;

export const CLONE_ARGS_SIZE_VER0 = 64;
export const CLONE_ARGS_SIZE_VER1 = 80;
export const CLONE_ARGS_SIZE_VER2 = 88;

/** struct clone_args. Fields past the size the caller passed read as 0. */
export interface CloneArgs {
  flags: number;
  pidfd: number;
  child_tid: number;
  parent_tid: number;
  exit_signal: number;
  stack: number;
  stack_size: number;
  tls: number;
  set_tid: number;
  set_tid_size: number;
  cgroup: number;
}
export const CLONE_ARGS_FIELDS = {
  flags: 0,
  pidfd: 8,
  child_tid: 16,
  parent_tid: 24,
  exit_signal: 32,
  stack: 40,
  stack_size: 48,
  tls: 56,
  set_tid: 64,
  set_tid_size: 72,
  cgroup: 80,
} as const;

/** Decode the first `size` bytes (CLONE_ARGS_SIZE_VER0 or more) of a struct clone_args. */
export function decodeCloneArgs(view: DataView, offset: number, size: number): CloneArgs {
  const f = CLONE_ARGS_FIELDS;
  const field = (at: number): number => (at + 8 <= size ? getUint64(view, offset + at) : 0);
  return {
    flags: field(f.flags),
    pidfd: field(f.pidfd),
    child_tid: field(f.child_tid),
    parent_tid: field(f.parent_tid),
    exit_signal: field(f.exit_signal),
    stack: field(f.stack),
    stack_size: field(f.stack_size),
    tls: field(f.tls),
    set_tid: field(f.set_tid),
    set_tid_size: field(f.set_tid_size),
    cgroup: field(f.cgroup),
  };
}
