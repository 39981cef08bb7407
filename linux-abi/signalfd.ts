// Linux: include/uapi/linux/signalfd.h (and fs/signalfd.c's signalfd_copyinfo).

import type { Siginfo } from "./siginfo.ts";

export const SFD_CLOEXEC = 0o2000000;
export const SFD_NONBLOCK = 0o4000;

/** struct signalfd_siginfo: 128 bytes. */
export const SIZEOF_SIGNALFD_SIGINFO = 128;

// Field offsets of struct signalfd_siginfo.
const SSI = {
  signo: 0, errno: 4, code: 8, pid: 12, uid: 16, fd: 20, tid: 24, band: 28, overrun: 32, trapno: 36,
  status: 40, int: 44, ptr: 48, utime: 56, stime: 64, addr: 72, addr_lsb: 80, syscall: 84, call_addr: 88, arch: 96,
} as const;

/**
 * A dequeued signal as signalfd(2) reads it (Linux's signalfd_copyinfo): the fields of its
 * siginfo layout, the rest zero. `view` must hold SIZEOF_SIGNALFD_SIGINFO zeroed bytes at `offset`.
 */
export function encodeSignalfdSiginfo(view: DataView, offset: number, info: Siginfo): void {
  const u32 = (field: keyof typeof SSI, v: number): void => view.setUint32(offset + SSI[field], v >>> 0, true);
  const u64 = (field: keyof typeof SSI, v: bigint): void => view.setBigUint64(offset + SSI[field], BigInt.asUintN(64, v), true);
  u32("signo", info.si_signo);
  u32("errno", info.si_errno);
  u32("code", info.si_code);
  switch (info.layout) {
    case "kill":
      u32("pid", info.si_pid);
      u32("uid", info.si_uid);
      break;
    case "rt":
      u32("pid", info.si_pid);
      u32("uid", info.si_uid);
      u64("ptr", info.si_value);
      u32("int", Number(BigInt.asUintN(32, info.si_value)));
      break;
    case "timer":
      u32("tid", info.si_tid);
      u32("overrun", info.si_overrun);
      u64("ptr", info.si_value);
      u32("int", Number(BigInt.asUintN(32, info.si_value)));
      break;
    case "chld":
      u32("pid", info.si_pid);
      u32("uid", info.si_uid);
      u32("status", info.si_status);
      u64("utime", BigInt(info.si_utime));
      u64("stime", BigInt(info.si_stime));
      break;
    case "fault":
      u64("addr", info.si_addr);
      if (info.si_addr_lsb !== undefined) view.setUint16(offset + SSI.addr_lsb, info.si_addr_lsb, true);
      break;
    case "poll":
      u32("band", info.si_band);
      u32("fd", info.si_fd);
      break;
    case "sys":
      u64("call_addr", info.si_call_addr);
      u32("syscall", info.si_syscall);
      u32("arch", info.si_arch);
      break;
  }
}
